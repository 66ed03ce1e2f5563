package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// seedManyTeams adds 250 teams ("team 000" to "team 249"), more than a
// select offers, then Preventers and a team named with markup; it returns
// those two.
func seedManyTeams(t *testing.T, db *orm.DB) (preventers, evil *Team) {
	t.Helper()
	var objs []any
	for i := range 250 {
		objs = append(objs, &Team{Name: fmt.Sprintf("team %03d", i), Headquarters: "somewhere"})
	}
	seed(t, db, objs...)
	preventers = &Team{Name: "Preventers", Headquarters: "Sharp Tower"}
	evil = &Team{Name: `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`}
	seed(t, db, preventers, evil)
	return preventers, evil
}

func TestLookupPickerForLargeTables(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		pv, _ := seedManyTeams(t, db)
		id := fmt.Sprint(pv.ID)
		// The form has the picker, not a select of 252 teams.
		r := e.get("/hero/new")
		r.want(t, http.StatusOK, `id="fk-team_id"`, `<input type="text" id="c.team_id" name="c.team_id" value=""`,
			`hx-get="/admin/hero/lookup?for=team_id&amp;part=results"`, `<form id="lookup-team_id" method="get" action="/admin/hero/lookup"`)
		if strings.Contains(r.body, `<select id="c.team_id"`) || strings.Contains(r.body, "team 123") {
			t.Error("the form offers a select of every team")
		}
		// The rows only (htmx): a case-insensitive search on the team's
		// text columns, each row a link that works without JavaScript.
		r = e.get("/hero/lookup?for=team_id&part=results&q=PREVENT")
		r.want(t, http.StatusOK, `href="/admin/hero/new?c.team_id=`+id+`"`, `hx-get="/admin/hero/lookup?for=team_id&amp;part=picker&amp;pick=`+id+`"`, ">Preventers</a>")
		if strings.Contains(r.body, "<html") || strings.Contains(r.body, "team 0") {
			t.Errorf("results fragment: a whole page or other teams:\n%s", clip(r.body))
		}
		if n := strings.Count(e.get("/hero/lookup?for=team_id&part=results&q=team+01").body, `class="fk-choice"`); n != 10 {
			t.Errorf("q=team 01: %d rows, want 10 (team 010 to team 019)", n)
		}
		r = e.get("/hero/lookup?for=team_id&part=results&q=team")
		if n := strings.Count(r.body, `class="fk-choice"`); n != 20 || !strings.Contains(r.body, "More rows match") || !strings.Contains(r.body, ">team 000<") {
			t.Errorf("q=team: %d rows, want the first 20 by name and a note that more match:\n%s", n, clip(r.body))
		}
		// The key itself matches exactly.
		e.get("/hero/lookup?for=team_id&part=results&q="+id).want(t, http.StatusOK, ">Preventers</a>")
		e.get("/hero/lookup?for=team_id&part=results&q=nobody").want(t, http.StatusOK, "No team matches.")
		// htmx puts the chosen row into the picker: its key and its name.
		e.get("/hero/lookup?for=team_id&part=picker&pick="+id).want(t, http.StatusOK,
			`<div class="fk-picker" id="fk-team_id">`, `name="c.team_id" value="`+id+`"`, `id="fk-label-team_id">Preventers</span>`)
		// Without JavaScript: the lookup page, whose links open the form
		// (new, edit or the list filter) with the key filled in.
		e.get("/hero/lookup?for=team_id&q=prevent").want(t, http.StatusOK, `<a class="choose" href="/admin/hero/new?c.team_id=`+id+`">Preventers</a>`, `id="lookup-q" value="prevent"`)
		e.get("/hero/lookup?for=team_id&list=1&q=prevent").want(t, http.StatusOK, `href="/admin/hero?f.team_id=`+id+`"`)
		e.get("/hero/new?c.team_id="+id).want(t, http.StatusOK, `name="c.team_id" value="`+id+`"`, `id="fk-label-team_id">Preventers</span>`)
		e.get("/hero/new?c.team_id=999999").want(t, http.StatusOK, "no such team")
		// A POST with the chosen key saves it.
		r = e.post("/hero/new", url.Values{"c.name": {"Deadpond"}, "c.score": {"0"}, "c.rank": {"rookie"}, "c.meta": {"{}"}, "c.team_id": {id}})
		if r.code != http.StatusSeeOther {
			t.Fatalf("create with a picked team: %d\n%s", r.code, clip(r.body))
		}
		s := orm.NewSession(db)
		defer s.Close()
		h, err := orm.Select[Hero](s).Where("name = ?", "Deadpond").One(context.Background())
		if err != nil || h.TeamID == nil || *h.TeamID != pv.ID {
			t.Fatalf("created hero: %+v, %v; want team %d", h, err, pv.ID)
		}
		hk := fmt.Sprint(h.ID)
		e.get("/hero/"+hk).want(t, http.StatusOK, `id="fk-label-team_id">Preventers</span>`, `<input type="hidden" name="row" value="`+hk+`">`)
		e.get("/hero/lookup?for=team_id&row="+hk+"&q=prevent").want(t, http.StatusOK, `href="/admin/hero/`+hk+`?c.team_id=`+id+`"`)
		// The list filter is a picker too, showing the chosen team's name.
		e.get("/hero").want(t, http.StatusOK, `name="f.team_id"`, `<input type="hidden" name="list" value="1">`)
		e.get("/hero?f.team_id="+id).want(t, http.StatusOK, "1 row", `id="fk-label-team_id">Preventers</span>`)
	})
}

func TestLookupRefusalsAndInertOutput(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		pv, evil := seedManyTeams(t, db)
		// The lookup lists teams: it needs list permission on team.
		e.deny = map[string]bool{"team:list": true}
		for _, q := range []string{"q=prevent", "part=results&q=prevent", fmt.Sprintf("part=picker&pick=%d", pv.ID)} {
			r := e.get("/hero/lookup?for=team_id&" + q)
			if r.code != http.StatusForbidden || strings.Contains(r.body, "Preventers") {
				t.Errorf("%s with team:list refused: status %d, want 403 and no row", q, r.code)
			}
		}
		e.deny = map[string]bool{}
		for _, q := range []string{
			"", "q=x", // no for
			"for=name", "for=nosuch", "for=" + url.QueryEscape("team_id; DROP TABLE team"), "for=Team",
			"for=team_id&for=team_id",
			"for=team_id&q=" + strings.Repeat("x", 201), "for=team_id&q=%ff",
			"for=team_id&row=abc", "for=team_id&row=1,2", "for=team_id&list=2", "for=team_id&row=1&list=1",
			"for=team_id&part=evil", "for=team_id&pick=1", "for=team_id&part=picker", "for=team_id&part=picker&pick=abc",
			"for=team_id&unknown=1",
		} {
			if r := e.get("/hero/lookup?" + q); r.code != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", q, r.code)
			}
		}
		e.get("/power/lookup?for=name").want(t, http.StatusBadRequest)
		// Search text is a bound literal; LIKE metacharacters match
		// themselves.
		for _, q := range []string{"%", "_", "' OR 1=1 --", `\`} {
			e.get("/hero/lookup?for=team_id&part=results&q="+url.QueryEscape(q)).want(t, http.StatusOK, "No team matches.")
		}
		// A stored name with markup is text in every lookup output.
		for _, p := range []string{"/hero/lookup?for=team_id&q=script", "/hero/lookup?for=team_id&part=results&q=script",
			fmt.Sprintf("/hero/lookup?for=team_id&part=picker&pick=%d", evil.ID), fmt.Sprintf("/hero/new?c.team_id=%d", evil.ID)} {
			r := e.get(p)
			r.want(t, http.StatusOK, "&lt;script&gt;alert(1)&lt;/script&gt;")
			if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") {
				t.Errorf("%s: stored markup rendered as HTML", p)
			}
		}
		if r := e.get("/hero/lookup?for=team_id&part=results&q=x"); r.hdr.Get("Content-Security-Policy") == "" || r.hdr.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("fragment headers: %v", r.hdr)
		}
	})
}

func TestLookupSendsOneStatement(t *testing.T) {
	ormtest.EachTarget(t, func(t *testing.T, tg ormtest.Target) {
		db, rec := ormtest.Record(tg.OpenORM(t))
		e := newEnv(t, db)
		pv, _ := seedManyTeams(t, db)
		for _, q := range []string{"part=results&q=prevent", "part=results&q=team", "part=results&q=", "q=team+01", "list=1&q=PREV",
			fmt.Sprintf("part=results&q=%d", pv.ID), fmt.Sprintf("part=picker&pick=%d", pv.ID)} {
			rec.Reset()
			e.get("/hero/lookup?for=team_id&"+q).want(t, http.StatusOK)
			if n := len(rec.SQL()); n != 1 {
				t.Errorf("%s: %d statements, want 1: %q", q, n, rec.SQL())
			}
		}
		// The list page with a picker filter set: count, page, the related
		// names of the rows, the filter's probe of the team table and the
		// chosen team's name, whatever the page size.
		var objs []any
		for i := range 30 {
			objs = append(objs, &Hero{Name: fmt.Sprintf("hero %d", i), TeamID: &pv.ID})
		}
		seed(t, db, objs...)
		var counts []int
		for _, size := range []int{5, 30} {
			rec.Reset()
			e.get(fmt.Sprintf("/hero?size=%d&f.team_id=%d", size, pv.ID)).want(t, http.StatusOK, "30 rows")
			counts = append(counts, len(rec.SQL()))
		}
		if counts[0] != counts[1] || counts[0] != 5 {
			t.Errorf("statements per list page with a picker filter, sizes 5 and 30: %v, want 5 each", counts)
		}
	})
}
