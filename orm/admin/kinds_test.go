package admin_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/admin"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// Gadget has the field kinds the hero model lacks: unsigned and 32-bit
// numbers, bytes, a NOT NULL time, a nullable bool, a Valuer type, raw JSON
// and a string key.
type Gadget struct {
	Code    string `sqlmodel:"pk,size=40"`
	Count   uint32
	Weight  float32
	Blob    []byte `sqlmodel:"size=100"`
	Made    time.Time
	Working *bool
	Note    sql.NullString  `sqlmodel:"size=100"`
	Spec    json.RawMessage `sqlmodel:"json"`
	Small   int8
}

func TestEveryFieldKindRoundTrips(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, &Gadget{}); err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, db, admin.Models(admin.Model[Gadget]()))
		form := url.Values{"c.code": {"g/1 ,%"}, "c.count": {"4000000000"}, "c.weight": {"1.5"}, "c.blob": {"bytes"},
			"c.made": {"2024-02-29T23:59:58.25"}, "c.working": {"false"}, "c.note": {""}, "null.note": {"on"},
			"c.spec": {`{"volts": 12}`}, "c.small": {"-128"}}
		if r := e.post("/gadget/new", form); r.code != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", r.code, clip(r.body))
		}
		s := orm.NewSession(db)
		defer s.Close()
		g, err := orm.Get[Gadget](ctx, s, "g/1 ,%")
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2024, 2, 29, 23, 59, 58, 250_000_000, time.UTC)
		if g.Count != 4_000_000_000 || g.Weight != 1.5 || string(g.Blob) != "bytes" || !g.Made.Equal(want) ||
			g.Working == nil || *g.Working || g.Note.Valid || string(g.Spec) == "" || g.Small != -128 {
			t.Fatalf("created gadget: %+v (made %v)", g, g.Made)
		}
		var spec map[string]int
		if err := json.Unmarshal(g.Spec, &spec); err != nil || spec["volts"] != 12 {
			t.Fatalf("spec %s: %v", g.Spec, err)
		}
		key := url.PathEscape(url.QueryEscape("g/1 ,%"))
		e.get("/gadget/"+key).want(t, http.StatusOK, `value="4000000000"`, `value="2024-02-29T23:59:58.25"`, `<option value="false" selected>no</option>`, `name="null.note" id="null.note" checked`)
		// Out-of-range numbers are type errors on their fields.
		form.Set("c.count", "-1")
		form.Set("c.small", "128")
		form.Set("c.working", "")
		r := e.post("/gadget/"+key, form)
		r.want(t, http.StatusUnprocessableEntity, `id="error.count">not a whole number`, `id="error.small">not a whole number`)
		form.Set("c.count", "0")
		form.Set("c.small", "0")
		form.Set("c.note", "hello")
		form.Del("null.note")
		if r := e.post("/gadget/"+key, form); r.code != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", r.code, clip(r.body))
		}
		s2 := orm.NewSession(db)
		defer s2.Close()
		g2, err := orm.Get[Gadget](ctx, s2, "g/1 ,%")
		if err != nil {
			t.Fatal(err)
		}
		if g2.Count != 0 || g2.Working != nil || !g2.Note.Valid || g2.Note.String != "hello" || g2.Small != 0 {
			t.Fatalf("updated gadget: %+v", g2)
		}
		e.get("/gadget?sort=-made").want(t, http.StatusOK, "1 row")
		e.get(fmt.Sprintf("/gadget?f.made.min=%s", url.QueryEscape("2024-01-01"))).want(t, http.StatusOK, "1 row")
		e.get(fmt.Sprintf("/gadget?f.made.max=%s", url.QueryEscape("2024-01-01"))).want(t, http.StatusOK, "0 rows")
	})
}
