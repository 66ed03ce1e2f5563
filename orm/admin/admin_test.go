package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/admin"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

func TestIndexAndListPages(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		team := &Team{Name: "Preventers", Headquarters: "Sharp Tower"}
		seed(t, db, team)
		seed(t, db, &Hero{Name: "Deadpond", SecretName: "Dive Wilson", TeamID: &team.ID, Rank: "rookie"},
			&Hero{Name: "Rusty-Man", SecretName: "Tommy Sharp", Age: ptr(48), Active: true, Rank: "legend"})
		e.get("/").want(t, http.StatusOK, `href="/admin/hero"`, `href="/admin/team"`)
		r := e.get("/hero")
		// The team column shows the related row's name, linked to its page.
		r.want(t, http.StatusOK, "Deadpond", "Rusty-Man", "2 rows", `<a href="/admin/team/1">Preventers</a>`, "Secret identity")
		e.get("/hero?q=rusty").want(t, http.StatusOK, "Rusty-Man", "1 row")
		if r := e.get("/hero?q=rusty"); strings.Contains(r.body, "Deadpond") {
			t.Error("search for rusty lists Deadpond")
		}
		e.get("/hero?f.active=true").want(t, http.StatusOK, "Rusty-Man", "1 row")
		e.get("/hero?f.rank=rookie").want(t, http.StatusOK, "Deadpond", "1 row")
		e.get("/hero?f.age.min=40&f.age.max=50").want(t, http.StatusOK, "Rusty-Man", "1 row")
		e.get(fmt.Sprintf("/hero?f.team_id=%d", team.ID)).want(t, http.StatusOK, "Deadpond", "1 row")
		r = e.get("/hero?sort=-name")
		r.want(t, http.StatusOK)
		if strings.Index(r.body, "Rusty-Man") > strings.Index(r.body, "Deadpond") {
			t.Error("sort=-name does not list Rusty-Man first")
		}
		e.get("/nosuch").want(t, http.StatusNotFound)
		e.get("/hero/999").want(t, http.StatusNotFound)
		e.get("/hero/abc").want(t, http.StatusBadRequest, "malformed key")
		e.get("/_static/htmx.min.js").want(t, http.StatusOK, "htmx")
	})
}

func TestHostileListParametersAreRefused(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		seed(t, db, &Hero{Name: "Deadpond"})
		for _, q := range []string{
			"sort=" + url.QueryEscape("name; DROP TABLE hero"),
			"sort=" + url.QueryEscape(`"name"`),
			"sort=meta",        // JSON: not sortable
			"sort=Name",        // Go name, not a column
			"f.name=Deadpond",  // text columns are searched, not filtered
			"f.nosuch=1",       // unknown column
			"f.age=1",          // ranges take .min/.max
			"f.age.min=abc",    // not a number
			"f.rank=overlord",  // not one of the choices
			"f.active=perhaps", // not a bool
			"size=0", "size=100000", "page=-1",
			"after=" + url.QueryEscape("1,2,3"),
			"after=" + url.QueryEscape("x"),
			"unknown=1",
			"sort=name&sort=age",
			"q=" + strings.Repeat("x", 201),
		} {
			r := e.get("/hero?" + q)
			if r.code != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", q, r.code)
			}
		}
		// A search with SQL and LIKE metacharacters is a bound literal.
		e.get("/hero?q="+url.QueryEscape("%' OR 1=1 --")).want(t, http.StatusOK, "0 rows")
		e.get("/hero?q="+url.QueryEscape("_")).want(t, http.StatusOK, "0 rows")
		e.get("/hero").want(t, http.StatusOK, "Deadpond")
	})
}

func TestCreateUpdateAndAudit(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		team := &Team{Name: "Z-Force"}
		fly, ice := &Power{Name: "flight"}, &Power{Name: "ice"}
		seed(t, db, team, fly, ice)
		e.get("/hero/new").want(t, http.StatusOK, `name="c.name"`, `name="null.motto"`, `<option value="rookie">`, `name="m2m.Powers"`, "Z-Force")
		form := url.Values{
			"c.name": {"Deadpond"}, "c.secret_name": {"Dive Wilson"}, "c.age": {"30"}, "c.active": {"true"},
			"c.rank": {"veteran"}, "c.born": {"1990-04-01T10:30"}, "c.motto": {""}, "c.score": {"2.5"}, "c.meta": {`{"likes":"tacos"}`},
			"c.team_id": {fmt.Sprint(team.ID)}, "m2m.Powers": {fmt.Sprint(fly.ID), fmt.Sprint(ice.ID)},
		}
		r := e.post("/hero/new", form)
		if r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/admin/hero?saved=") {
			t.Fatalf("create: %d %q\n%s", r.code, r.loc, clip(r.body))
		}
		ctx := context.Background()
		s := orm.NewSession(db)
		defer s.Close()
		h, err := orm.Select[Hero](s).Where("name = ?", "Deadpond").Preload("Powers").One(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h.Age == nil || *h.Age != 30 || h.Motto == nil || *h.Motto != "" || !h.Active || h.Rank != "veteran" || h.Born == nil || h.Born.Year() != 1990 ||
			h.Score != 2.5 || h.Meta["likes"] != "tacos" || h.TeamID == nil || *h.TeamID != team.ID || h.Powers.Len() != 2 || h.Version != 1 {
			t.Fatalf("created hero: %+v, powers %d", h, h.Powers.Len())
		}
		// Update: age to NULL through the explicit NULL choice, one power
		// removed, the bool unchecked.
		key := fmt.Sprint(h.ID)
		e.get("/hero/"+key).want(t, http.StatusOK, `value="Deadpond"`, `name="_version" value="1"`)
		form = url.Values{"_version": {"1"}, "c.name": {"Deadpond"}, "c.secret_name": {"Dive Wilson"}, "c.age": {""}, "c.motto": {""}, "null.motto": {"on"},
			"c.rank": {"veteran"}, "c.born": {"1990-04-01T10:30:00"}, "c.score": {"2.5"}, "c.meta": {`{"likes":"tacos"}`},
			"c.team_id": {fmt.Sprint(team.ID)}, "m2m.Powers": {fmt.Sprint(ice.ID)}, "has.active": {"1"}}
		r = e.post("/hero/"+key, form)
		if r.code != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", r.code, clip(r.body))
		}
		s2 := orm.NewSession(db)
		defer s2.Close()
		h2, err := orm.Select[Hero](s2).Where("id = ?", h.ID).Preload("Powers").One(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h2.Age != nil || h2.Motto != nil || h2.Active || h2.Version != 2 || h2.Powers.Len() != 1 || h2.Powers.Items()[0].Name != "ice" {
			t.Fatalf("updated hero: %+v powers %v", h2, h2.Powers.Items())
		}
		es := audits(t, db)
		if len(es) != 2 || es[0].Action != "create" || es[1].Action != "update" || es[1].Who != "tester" || es[1].Table != "hero" || es[1].RowKey != key {
			t.Fatalf("audit entries: %+v", es)
		}
		var ch map[string]struct{ Old, New any }
		if err := json.Unmarshal([]byte(es[1].Changes), &ch); err != nil {
			t.Fatal(err)
		}
		if ch["age"].Old != "30" || ch["age"].New != nil || ch["active"].Old != "true" || ch["active"].New != "false" {
			t.Errorf("audit changes: %s", es[1].Changes)
		}
		if _, ok := ch["Powers"]; !ok || len(ch) != 4 || ch["motto"].Old != "" || ch["motto"].New != nil {
			t.Errorf("audit changes: %s, want age, motto, active and Powers", es[1].Changes)
		}
		// Saving the same values again changes nothing and writes no entry.
		form.Set("_version", "2")
		if r := e.post("/hero/"+key, form); r.code != http.StatusSeeOther {
			t.Fatalf("resave: %d", r.code)
		}
		if n := len(audits(t, db)); n != 2 {
			t.Errorf("%d audit entries after a save that changed nothing, want 2", n)
		}
	})
}

func TestFormErrorsShownNextToFields(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		seed(t, db, &Team{Name: "Taken"})
		r := e.post("/hero/new", url.Values{"c.name": {"X"}, "c.motto": {"m"}, "null.motto": {"on"}, "c.age": {"old"}, "c.born": {"yesterday"}, "c.meta": {"{oops"}, "c.score": {""}, "c.rank": {"boss"}})
		r.want(t, http.StatusUnprocessableEntity, `id="error.age">not a whole number`, `id="error.born">not a date`, `id="error.meta">not valid JSON`,
			`id="error.score">required`, `id="error.rank">`, `id="error.motto">clear the value or untick NULL`, `value="old"`)
		// A unique violation comes back on its column, and nothing is kept.
		r = e.post("/team/new", url.Values{"c.name": {"Taken"}, "c.headquarters": {""}})
		r.want(t, http.StatusUnprocessableEntity, `id="error.name">another row already has this value`)
		// A foreign key to a missing row.
		r = e.post("/mission/new", url.Values{"c.name": {"m"}, "c.team_id": {"999"}})
		r.want(t, http.StatusUnprocessableEntity, "the related row does not exist")
		if n := len(audits(t, db)); n != 0 {
			t.Errorf("%d audit entries after failed writes, want 0", n)
		}
		s := orm.NewSession(db)
		defer s.Close()
		if n, err := orm.Select[Team](s).Count(context.Background()); err != nil || n != 1 {
			t.Errorf("teams: %d, %v; want 1", n, err)
		}
	})
}

func TestVersionConflictShowsCurrentValues(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		h := &Hero{Name: "Deadpond", SecretName: "Dive"}
		seed(t, db, h)
		key := fmt.Sprint(h.ID)
		e.get("/hero/"+key).want(t, http.StatusOK, `name="_version" value="1"`)
		// Someone else renames the hero meanwhile, in another session.
		ctx := context.Background()
		s := orm.NewSession(db)
		other, err := orm.Get[Hero](ctx, s, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		other.Name = "Deadpond (theirs)"
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close()
		form := url.Values{"_version": {"1"}, "c.name": {"Deadpond (mine)"}, "c.secret_name": {"Dive"}, "c.score": {"0"}, "c.meta": {"null"}}
		r := e.post("/hero/"+key, form)
		r.want(t, http.StatusConflict, "changed by someone else", `id="conflict"`, "Deadpond (theirs)", "Deadpond (mine)", `name="_version" value="2"`)
		s2 := orm.NewSession(db)
		defer s2.Close()
		now, err := orm.Get[Hero](ctx, s2, h.ID)
		if err != nil || now.Name != "Deadpond (theirs)" {
			t.Fatalf("after the conflict: %+v, %v; want the other session's name kept", now, err)
		}
		// Saving again with the version shown replaces the other change.
		form.Set("_version", "2")
		if r := e.post("/hero/"+key, form); r.code != http.StatusSeeOther {
			t.Fatalf("second save: %d\n%s", r.code, clip(r.body))
		}
	})
}

func TestDeleteShowsCascadeFirst(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		team := &Team{Name: "Preventers"}
		seed(t, db, team)
		pw := &Power{Name: "flight"}
		h := &Hero{Name: "Deadpond", TeamID: &team.ID}
		h.Powers.Set([]*Power{pw})
		seed(t, db, h, &Mission{Name: "Rescue", TeamID: team.ID}, &Mission{Name: "Patrol", TeamID: team.ID})
		tk := fmt.Sprint(team.ID)
		r := e.get("/team/" + tk + "/delete")
		r.want(t, http.StatusOK, "<td>mission</td><td>2</td><td>deleted</td>", "Rescue", "<td>hero</td><td>1</td><td>set to NULL</td>", "Deadpond")
		e.get(fmt.Sprintf("/power/%d/delete", pw.ID)).want(t, http.StatusOK, "<td>hero_power</td><td>1</td><td>unlinked</td>")
		// A membership's NOT NULL key blocks the delete: the button is
		// disabled, and a POST anyway is refused by the database.
		seed(t, db, &Membership{TeamID: team.ID, Slot: "a", Role: "lead"})
		e.get("/team/"+tk+"/delete").want(t, http.StatusOK, "<td>membership</td><td>1</td><td>blocks the delete</td>", `id="blocked"`, "disabled")
		e.post("/team/"+tk+"/delete", url.Values{}).want(t, http.StatusConflict, `id="delete-error"`)
		if r := e.post("/membership/"+tk+",a/delete", url.Values{}); r.code != http.StatusSeeOther {
			t.Fatalf("delete membership: %d\n%s", r.code, clip(r.body))
		}
		if r := e.post("/team/"+tk+"/delete", url.Values{}); r.code != http.StatusSeeOther {
			t.Fatalf("delete team: %d\n%s", r.code, clip(r.body))
		}
		ctx := context.Background()
		s := orm.NewSession(db)
		defer s.Close()
		if n, _ := orm.Select[Mission](s).Count(ctx); n != 0 {
			t.Errorf("%d missions left, want 0 (cascade)", n)
		}
		hero, err := orm.Get[Hero](ctx, s, h.ID)
		if err != nil || hero.TeamID != nil {
			t.Errorf("hero after its team's delete: %+v, %v; want team_id NULL", hero, err)
		}
		es := audits(t, db)
		last := es[len(es)-1]
		if last.Action != "delete" || last.Table != "team" || !strings.Contains(last.Changes, `"name":{"old":"Preventers","new":null}`) {
			t.Errorf("last audit entry: %+v", last)
		}
	})
}

func TestCompositeKeysAndBulkActions(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		team := &Team{Name: "T"}
		seed(t, db, team)
		tk := fmt.Sprint(team.ID)
		// A slot with a comma, a slash and a percent sign round-trips.
		slot := "a,b/c%d"
		r := e.post("/membership/new", url.Values{"c.team_id": {tk}, "c.slot": {slot}, "c.role": {"lead"}})
		if r.code != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", r.code, clip(r.body))
		}
		seed(t, db, &Membership{TeamID: team.ID, Slot: "b", Role: "x"}, &Membership{TeamID: team.ID, Slot: "c", Role: "y"})
		key := tk + "," + url.QueryEscape(slot)
		e.get("/membership/"+url.PathEscape(key)).want(t, http.StatusOK, `value="lead"`)
		if r := e.post("/membership/"+url.PathEscape(key), url.Values{"c.role": {"boss"}}); r.code != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", r.code, clip(r.body))
		}
		e.get("/membership/"+tk).want(t, http.StatusBadRequest)
		// Bulk export, then bulk delete after its confirmation.
		keys := url.Values{"key": {key, tk + ",b"}, "action": {"export"}}
		r = e.post("/membership/bulk", keys)
		r.want(t, http.StatusOK, "team_id,slot,role\n", `"a,b/c%d",boss`)
		keys.Set("action", "delete")
		e.post("/membership/bulk", keys).want(t, http.StatusOK, "Delete 2 membership rows?", `name="confirm" value="1"`)
		keys.Set("confirm", "1")
		if r := e.post("/membership/bulk", keys); r.code != http.StatusSeeOther {
			t.Fatalf("bulk delete: %d\n%s", r.code, clip(r.body))
		}
		s := orm.NewSession(db)
		defer s.Close()
		left, err := orm.Select[Membership](s).All(context.Background())
		if err != nil || len(left) != 1 || left[0].Slot != "c" {
			t.Fatalf("memberships left: %v, %v", left, err)
		}
	})
}

func TestExportCSV(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		var hs []any
		for i := range 2500 {
			hs = append(hs, &Hero{Name: fmt.Sprintf("h%04d", i), Meta: map[string]any{}})
		}
		hs = append(hs, &Hero{Name: "=HYPERLINK(\"x\")", Age: ptr(3)})
		seed(t, db, hs...)
		r := e.get("/hero/export.csv")
		r.want(t, http.StatusOK, "id,name,secret_name,age,motto,active,rank,born,score,meta,version,team_id\n", `"'=HYPERLINK(""x"")"`)
		if got := strings.Count(r.body, "\n"); got != 2502 {
			t.Errorf("%d lines, want 2502 (header and every row across export batches)", got)
		}
		r = e.get("/hero/export.csv?f.age.min=1")
		if got := strings.Count(r.body, "\n"); got != 2 {
			t.Errorf("filtered export: %d lines, want 2", got)
		}
	})
}

func TestKeysetPaging(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		var hs []any
		for i := range 23 {
			hs = append(hs, &Hero{Name: fmt.Sprintf("h%02d", i%7), Score: float64(i)})
		}
		seed(t, db, hs...)
		for _, sort := range []string{"name", "-name", "-score", "id", "age"} { // age is nullable: offset pages
			seen := map[string]bool{}
			next := "sort=" + sort + "&size=5"
			pages := 0
			for next != "" {
				r := e.get("/hero?" + next)
				r.want(t, http.StatusOK)
				for _, part := range strings.Split(r.body, `<tr data-key="`)[1:] {
					k := part[:strings.Index(part, `"`)]
					if seen[k] {
						t.Fatalf("sort %s: row %s on two pages", sort, k)
					}
					seen[k] = true
				}
				next = ""
				if i := strings.Index(r.body, `<a href="?`); i >= 0 && strings.Contains(r.body, `id="next-page"`) {
					j := strings.Index(r.body, `id="next-page"`)
					seg := r.body[:j]
					seg = seg[strings.LastIndex(seg, `<a href="?`)+len(`<a href="?`):]
					next = strings.ReplaceAll(seg[:strings.Index(seg, `"`)], "&amp;", "&")
				}
				pages++
				if pages > 10 {
					t.Fatalf("sort %s: more than 10 pages", sort)
				}
			}
			if len(seen) != 23 || pages != 5 {
				t.Errorf("sort %s: %d rows on %d pages, want 23 on 5", sort, len(seen), pages)
			}
		}
	})
}

func TestListStatementCountIndependentOfPageSize(t *testing.T) {
	ormtest.EachTarget(t, func(t *testing.T, tg ormtest.Target) {
		db, rec := ormtest.Record(tg.OpenORM(t))
		e := newEnv(t, db)
		var objs []any
		for i := range 8 {
			objs = append(objs, &Team{Name: fmt.Sprintf("team %d", i)})
		}
		seed(t, db, objs...)
		objs = nil
		for i := range 60 {
			objs = append(objs, &Hero{Name: fmt.Sprintf("hero %d", i), TeamID: ptr(int64(i%8 + 1))})
		}
		seed(t, db, objs...)
		var counts []int
		for _, size := range []int{5, 20, 60} {
			rec.Reset()
			e.get(fmt.Sprintf("/hero?size=%d", size)).want(t, http.StatusOK, "team 7")
			counts = append(counts, len(rec.SQL()))
		}
		if counts[0] != counts[1] || counts[1] != counts[2] || counts[0] > 4 {
			t.Errorf("statements per list page for sizes 5, 20, 60: %v; want the same, at most 4 (count, page, related teams, filter choices)", counts)
		}
	})
}

func TestAuthorizationRefusals(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		h := &Hero{Name: "Deadpond"}
		seed(t, db, h)
		key := fmt.Sprint(h.ID)
		for _, a := range []string{"list", "view", "create", "update", "delete", "export"} {
			e.deny = map[string]bool{"hero:" + a: true}
			var r response
			switch a {
			case "list":
				r = e.get("/hero")
			case "view":
				r = e.get("/hero/" + key)
			case "create":
				r = e.post("/hero/new", url.Values{"c.name": {"x"}, "c.score": {"0"}})
			case "update":
				r = e.post("/hero/"+key, url.Values{"_version": {"1"}, "c.name": {"changed"}, "c.score": {"0"}})
			case "delete":
				r = e.post("/hero/"+key+"/delete", url.Values{})
			case "export":
				r = e.get("/hero/export.csv")
			}
			if r.code != http.StatusForbidden {
				t.Errorf("%s refused by Authorize: status %d, want 403", a, r.code)
			}
		}
		e.deny = map[string]bool{"*:list": true}
		e.get("/").want(t, http.StatusForbidden)
		s := orm.NewSession(db)
		defer s.Close()
		got, err := orm.Get[Hero](context.Background(), s, h.ID)
		if err != nil || got.Name != "Deadpond" {
			t.Fatalf("hero after refused writes: %+v, %v", got, err)
		}
		if n := len(audits(t, db)); n != 0 {
			t.Errorf("%d audit entries after refused writes", n)
		}
		// Without an Authorize function nothing is served.
		bare, err := admin.New(db, admin.Models(admin.Model[Hero]()))
		if err != nil {
			t.Fatal(err)
		}
		rr := newRecorder()
		bare.ServeHTTP(rr, mustRequest(t, "GET", "/hero"))
		if rr.code != http.StatusForbidden {
			t.Errorf("no Authorize: status %d, want 403", rr.code)
		}
	})
}

func TestCrossOriginPostRefused(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		h := &Hero{Name: "Deadpond"}
		seed(t, db, h)
		form := url.Values{"_version": {"1"}, "c.name": {"pwned"}, "c.score": {"0"}}
		r := e.do("POST", fmt.Sprintf("/hero/%d", h.ID), form, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
		r.want(t, http.StatusForbidden, "cross-origin request refused")
		r = e.do("POST", fmt.Sprintf("/hero/%d/delete", h.ID), url.Values{}, map[string]string{"Origin": "https://evil.example"})
		r.want(t, http.StatusForbidden)
		s := orm.NewSession(db)
		defer s.Close()
		got, err := orm.Get[Hero](context.Background(), s, h.ID)
		if err != nil || got.Name != "Deadpond" {
			t.Fatalf("hero after cross-origin POSTs: %+v, %v", got, err)
		}
	})
}

func TestStoredScriptRenderedInert(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		evil := `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`
		team := &Team{Name: evil}
		seed(t, db, team)
		seed(t, db, &Hero{Name: evil, SecretName: "javascript:alert(3)", TeamID: &team.ID})
		for _, p := range []string{"/hero", "/team", "/hero/1", "/team/1/delete", "/hero?q=" + url.QueryEscape(evil)} {
			r := e.get(p)
			r.want(t, http.StatusOK, "&lt;script&gt;alert(1)&lt;/script&gt;")
			if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") {
				t.Errorf("%s: stored markup rendered as HTML", p)
			}
		}
	})
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	db := ormtest.Open(t, "sqlite")
	allow := admin.Authorize(func(*http.Request, string, admin.Action) bool { return true })
	for name, opts := range map[string][]admin.Option{
		"no models":      {allow},
		"twice":          {admin.Models(admin.Model[Hero](), admin.Model[Hero]())},
		"unknown column": {admin.Models(admin.Model[Hero](admin.ListColumns("nosuch")))},
		"choices on int": {admin.Models(admin.Model[Hero](admin.Choices("age", "1")))},
		"not a struct":   {admin.Models(admin.Model[int]())},
		"page size":      {admin.Models(admin.Model[Hero]()), admin.PageSize(0)},
		"nil authorize":  {admin.Models(admin.Model[Hero]()), admin.Authorize(nil)},
	} {
		if _, err := admin.New(db, opts...); !errors.Is(err, admin.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	if _, err := admin.New(nil); !errors.Is(err, admin.ErrConfig) {
		t.Errorf("nil db: %v, want ErrConfig", err)
	}
}

func TestColumnsMissingFromTheFormKeepTheirValues(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		fly := &Power{Name: "flight"}
		h := &Hero{Name: "Deadpond", SecretName: "Dive", Age: ptr(30), Active: true, Motto: ptr("maximum effort")}
		h.Powers.Set([]*Power{fly})
		seed(t, db, h)
		// A form with the name only (as an older page, or a script, posts):
		// no checkbox marker, no many-to-many marker.
		r := e.post(fmt.Sprintf("/hero/%d", h.ID), url.Values{"_version": {"1"}, "c.name": {"Deadpond 2"}})
		if r.code != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", r.code, clip(r.body))
		}
		s := orm.NewSession(db)
		defer s.Close()
		got, err := orm.Select[Hero](s).Where("id = ?", h.ID).Preload("Powers").One(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Deadpond 2" || got.SecretName != "Dive" || got.Age == nil || *got.Age != 30 || !got.Active ||
			got.Motto == nil || *got.Motto != "maximum effort" || got.Powers.Len() != 1 {
			t.Fatalf("after a partial form: %+v, %d powers", got, got.Powers.Len())
		}
		// With the markers, an unchecked box and an empty multi-select are
		// false and no links.
		r = e.post(fmt.Sprintf("/hero/%d", h.ID), url.Values{"_version": {"2"}, "has.active": {"1"}, "has.m2m.Powers": {"1"}})
		if r.code != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", r.code, clip(r.body))
		}
		s2 := orm.NewSession(db)
		defer s2.Close()
		got, err = orm.Select[Hero](s2).Where("id = ?", h.ID).Preload("Powers").One(context.Background())
		if err != nil || got.Active || got.Powers.Len() != 0 || got.Name != "Deadpond 2" {
			t.Fatalf("after unchecking: %+v, %v", got, err)
		}
	})
}
