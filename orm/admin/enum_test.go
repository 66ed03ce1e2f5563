package admin_test

import (
	"context"
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

// Status is a string-kind enum: Values returns its own type.
type Status string

func (Status) Values() []Status { return []Status{"open", "closed", "won't fix"} }

// Category is a string-kind enum declared with []string.
type Category string

func (Category) Values() []string { return []string{"bug", "feature"} }

// Priority is an int-kind enum: the column stores the integer, the admin
// shows String().
type Priority int8

const (
	Low Priority = iota + 1
	Medium
	High
)

func (Priority) Values() []Priority { return []Priority{Low, Medium, High} }

func (p Priority) String() string {
	switch p {
	case Low:
		return "low"
	case Medium:
		return "medium"
	case High:
		return "high"
	}
	return fmt.Sprintf("Priority(%d)", int8(p))
}

// Ticket has enum-like columns of named types, one of them nullable.
type Ticket struct {
	ID         int64  `sqlmodel:"pk"`
	Title      string `sqlmodel:"size=100"`
	Status     Status `sqlmodel:"size=20"`
	Category   Category
	Priority   Priority
	Escalation *Priority
}

// ticketEnv is an admin over Ticket (and the heroes models) whose database
// records its statements.
func ticketEnv(t *testing.T, tg ormtest.Target, opts ...admin.ModelOption) (*env, *ormtest.Recorder) {
	t.Helper()
	db, rec := ormtest.Record(tg.OpenORM(t))
	if err := db.CreateAll(context.Background(), &Ticket{}); err != nil {
		t.Fatal(err)
	}
	return newEnv(t, db, admin.Models(admin.Model[Ticket](opts...))), rec
}

func getTicket(t *testing.T, db *orm.DB, title string) *Ticket {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	tk, err := orm.Select[Ticket](s).Where("title = ?", title).One(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestEnumTypesAreDetected(t *testing.T) {
	ormtest.EachTarget(t, func(t *testing.T, tg ormtest.Target) {
		e, rec := ticketEnv(t, tg)
		e.get("/ticket/new").want(t, http.StatusOK, `<select id="c.status" name="c.status"><option value="">—</option><option value="open">open</option>`,
			`<option value="won&#39;t fix">won&#39;t fix</option>`, `<select id="c.category"`, `<option value="feature">feature</option>`,
			`<select id="c.priority" name="c.priority"><option value="">—</option><option value="1">low</option><option value="2">medium</option><option value="3">high</option></select>`,
			`<select id="c.escalation" name="c.escalation"><option value="">NULL</option><option value="1">low</option>`)
		// Values outside the lists are field errors, and nothing reaches
		// the database (the form comes back without a statement).
		rec.Reset()
		r := e.post("/ticket/new", url.Values{"c.title": {"bad"}, "c.status": {"reopened"}, "c.category": {""}, "c.priority": {"7"}, "c.escalation": {"0"}})
		r.want(t, http.StatusUnprocessableEntity, `id="error.status">&#34;reopened&#34; is not one of the choices`, `id="error.category">required`,
			`id="error.priority">&#34;7&#34; is not one of the choices`, `id="error.escalation">&#34;0&#34; is not one of the choices`)
		if n := len(rec.SQL()); n != 0 {
			t.Errorf("an invalid enum POST sent %d statements: %q", n, rec.SQL())
		}
		form := url.Values{"c.title": {"t1"}, "c.status": {"won't fix"}, "c.category": {"feature"}, "c.priority": {"3"}, "c.escalation": {""}}
		if r := e.post("/ticket/new", form); r.code != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", r.code, clip(r.body))
		}
		tk := getTicket(t, e.db, "t1")
		if tk.Status != "won't fix" || tk.Category != "feature" || tk.Priority != High || tk.Escalation != nil {
			t.Fatalf("created ticket: %+v", tk)
		}
		key := fmt.Sprint(tk.ID)
		e.get("/ticket/"+key).want(t, http.StatusOK, `<option value="3" selected>high</option>`, `<option value="won&#39;t fix" selected>`, `<option value="" selected>NULL</option>`)
		form.Set("c.escalation", " 02") // the integer, however written
		form.Set("c.status", "closed")
		if r := e.post("/ticket/"+key, form); r.code != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", r.code, clip(r.body))
		}
		tk = getTicket(t, e.db, "t1")
		if tk.Status != "closed" || tk.Escalation == nil || *tk.Escalation != Medium {
			t.Fatalf("updated ticket: %+v", tk)
		}
		seed(t, e.db, &Ticket{Title: "t2", Status: "open", Category: "bug", Priority: Low})
		// The list shows labels and filters on the stored values.
		r = e.get("/ticket")
		r.want(t, http.StatusOK, "2 rows", `<select name="f.priority"><option value="">any</option><option value="1">low</option>`, `<td>high</td>`, `<select name="f.status">`)
		e.get("/ticket?f.priority=3").want(t, http.StatusOK, "1 row", "t1")
		e.get("/ticket?f.priority=03").want(t, http.StatusOK, "1 row", "t1")
		e.get("/ticket?f.status=open").want(t, http.StatusOK, "1 row", "t2")
		e.get("/ticket?f.category=bug").want(t, http.StatusOK, "1 row", "t2")
		e.get("/ticket?f.escalation=2").want(t, http.StatusOK, "1 row", "t1")
		for _, q := range []string{"f.priority=7", "f.priority=high", "f.status=reopened", "f.category=idea", "f.priority.min=1"} {
			if r := e.get("/ticket?" + q); r.code != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", q, r.code)
			}
		}
		if r := e.get("/ticket?f.priority=1"); strings.Contains(r.body, "t1") || !strings.Contains(r.body, "t2") {
			t.Error("f.priority=1 does not list only t2")
		}
	})
}

func TestChoicesOverrideDeclaredValues(t *testing.T) {
	ormtest.EachTarget(t, func(t *testing.T, tg ormtest.Target) {
		e, _ := ticketEnv(t, tg, admin.Choices("status", "open", "closed"))
		r := e.get("/ticket/new")
		r.want(t, http.StatusOK, `<option value="closed">closed</option>`)
		if strings.Contains(r.body, "won&#39;t fix") {
			t.Error("admin.Choices does not replace the values Status declares")
		}
		e.post("/ticket/new", url.Values{"c.title": {"x"}, "c.status": {"won't fix"}, "c.category": {"bug"}, "c.priority": {"1"}}).
			want(t, http.StatusUnprocessableEntity, `id="error.status">`)
	})
}

// Broken declares its values with a method that panics.
type Broken string

func (Broken) Values() []Broken { panic("no values today") }

type Gizmo struct {
	ID    int64 `sqlmodel:"pk"`
	State Broken
}

func TestPanickingValuesIsAConfigError(t *testing.T) {
	db := ormtest.Open(t, "sqlite")
	_, err := admin.New(db, admin.Models(admin.Model[Gizmo]()), admin.Authorize(func(*http.Request, string, admin.Action) bool { return true }))
	if !errors.Is(err, admin.ErrConfig) || !strings.Contains(err.Error(), "no values today") {
		t.Fatalf("New with a panicking Values method: %v, want ErrConfig naming the panic", err)
	}
}
