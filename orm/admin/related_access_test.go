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

// A request that may work on heroes but not list teams or powers sees no
// team or power row on the hero pages: list cells show the key without a
// link, the team filter and the form's team input take the key, the
// many-to-many field is not on the form and a posted one is refused. With
// list allowed the same pages show the related rows (the control).
func TestRelatedRowsNeedListPermission(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		team := &Team{Name: "Secret-Squad"}
		fly := &Power{Name: "hidden-flight"}
		h := &Hero{Name: "Deadpond", Version: 1}
		h.Team.Set(team)
		h.Powers.Set([]*Power{fly})
		seed(t, db, team, fly, h)
		key, tid := fmt.Sprint(h.ID), fmt.Sprint(team.ID)

		// Control: everything allowed.
		e.get("/hero").want(t, http.StatusOK, "Secret-Squad", `href="/admin/team/`+tid+`"`)
		e.get("/hero/"+key).want(t, http.StatusOK, "Secret-Squad", "hidden-flight", `name="m2m.Powers"`)

		e.deny = map[string]bool{"team:list": true, "power:list": true}
		list := e.get("/hero")
		list.want(t, http.StatusOK, "Deadpond", `<input name="f.team_id"`)
		form := e.get("/hero/" + key)
		form.want(t, http.StatusOK, `name="c.team_id"`, `value="`+tid+`"`)
		for what, body := range map[string]string{"list": list.body, "form": form.body} {
			for _, leak := range []string{"Secret-Squad", "hidden-flight", `href="/admin/team/`, `name="m2m.Powers"`, `<select name="f.team_id"`, `<select id="c.team_id"`} {
				if strings.Contains(body, leak) {
					t.Errorf("%s page shows %q to a request that may not list teams and powers", what, leak)
				}
			}
		}
		// The form saves with the key typed; the links are kept.
		post := url.Values{"_version": {"1"}, "c.name": {"Deadpond 2"}, "c.secret_name": {""}, "c.rank": {"rookie"}, "c.score": {"0"}, "c.meta": {"null"}, "c.team_id": {tid}}
		if r := e.post("/hero/"+key, post); r.code != http.StatusSeeOther {
			t.Fatalf("update with the team key typed: %d\n%s", r.code, clip(r.body))
		}
		// A posted many-to-many field is refused next to the field.
		post.Set("_version", "2")
		post.Set("c.name", "Deadpond 3")
		post.Set("m2m.Powers", "")
		r := e.post("/hero/"+key, post)
		r.want(t, http.StatusUnprocessableEntity, "not allowed to list")
		s := orm.NewSession(db)
		defer s.Close()
		got, err := orm.Select[Hero](s).Where("id = ?", h.ID).Preload("Powers").One(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Deadpond 2" || got.TeamID == nil || *got.TeamID != team.ID || got.Powers.Len() != 1 {
			t.Fatalf("hero after the updates: name %q team %v powers %d; want the first update only, links kept", got.Name, got.TeamID, got.Powers.Len())
		}
	})
}
