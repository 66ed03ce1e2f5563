package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/admin"
)

// Team, Hero, Power, Mission and Membership are the test models: every
// field kind the forms know, a version column, a many-to-many relation, a
// cascade, a SET NULL and a blocking foreign key, and a composite key.
type Team struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique,size=100"`
	Headquarters string
	Heroes       orm.RelatedMany[Hero]    `sqlmodel:"back_populates=Team"`
	Missions     orm.RelatedMany[Mission] `sqlmodel:"cascade_delete"`
}

type Hero struct {
	ID         int64  `sqlmodel:"pk"`
	Name       string `sqlmodel:"size=100,index"`
	SecretName string
	Age        *int
	Motto      *string `sqlmodel:"size=100"`
	Active     bool
	Rank       string `sqlmodel:"size=20"`
	Born       *time.Time
	Score      float64
	Meta       map[string]any         `sqlmodel:"json"`
	Version    int64                  `sqlmodel:"version"`
	TeamID     *int64                 `sqlmodel:"fk=team.id,ondelete=set null"`
	Team       orm.Lazy[Team]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers     orm.RelatedMany[Power] `sqlmodel:"link=hero_power,back_populates=Heroes"`
}

type Power struct {
	ID     int64                 `sqlmodel:"pk"`
	Name   string                `sqlmodel:"unique,size=100"`
	Heroes orm.RelatedMany[Hero] `sqlmodel:"link=hero_power,back_populates=Powers"`
}

type Mission struct {
	ID     int64  `sqlmodel:"pk"`
	Name   string `sqlmodel:"size=100"`
	TeamID int64  `sqlmodel:"fk=team.id,ondelete=cascade"`
}

// Membership has a composite key, and its NOT NULL foreign key to team
// without ON DELETE blocks a team's delete.
type Membership struct {
	TeamID int64  `sqlmodel:"pk,fk=team.id"`
	Slot   string `sqlmodel:"pk,size=50"`
	Role   string `sqlmodel:"size=50"`
}

var allModels = []any{&Team{}, &Power{}, &Hero{}, &Mission{}, &Membership{}, &admin.AuditEntry{}}

// env is one admin over one fresh database.
type env struct {
	t   *testing.T
	db  *orm.DB
	h   *admin.Handler
	srv *httptest.Server
	// deny, when set, refuses the actions it names ("hero:update").
	deny map[string]bool
}

// newEnv creates the tables and an admin on db, allowing everything not in
// env.deny; the user of every request is "tester".
func newEnv(t *testing.T, db *orm.DB, opts ...admin.Option) *env {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateAll(ctx, allModels...); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, deny: map[string]bool{}}
	base := []admin.Option{
		admin.Models(
			admin.Model[Team](),
			admin.Model[Hero](admin.Choices("rank", "rookie", "veteran", "legend"), admin.Label("secret_name", "Secret identity")),
			admin.Model[Power](),
			admin.Model[Mission](),
			admin.Model[Membership](),
		),
		admin.Authorize(func(r *http.Request, table string, a admin.Action) bool {
			return !e.deny[table+":"+string(a)] && !e.deny["*:"+string(a)]
		}),
		admin.AuditLog(func(*http.Request) string { return "tester" }),
	}
	h, err := admin.New(db, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", h))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// response is a finished request.
type response struct {
	code int
	body string
	loc  string
	hdr  http.Header
}

// do sends a request to the admin (path relative to its mount point)
// without following redirects.
func (e *env) do(method, path string, form url.Values, hdr map[string]string) response {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+"/admin"+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{code: res.StatusCode, body: string(b), loc: res.Header.Get("Location"), hdr: res.Header}
}

func (e *env) get(path string) response { e.t.Helper(); return e.do("GET", path, nil, nil) }

// post sends a same-origin form POST, as a browser does.
func (e *env) post(path string, form url.Values) response {
	e.t.Helper()
	return e.do("POST", path, form, map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"})
}

// want fails the test unless the response has the status and contains
// every string.
func (r response) want(t *testing.T, code int, contains ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d; body:\n%s", r.code, code, clip(r.body))
	}
	for _, s := range contains {
		if !strings.Contains(r.body, s) {
			t.Fatalf("body lacks %q:\n%s", s, clip(r.body))
		}
	}
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// seed adds rows through a session and commits them.
func seed(t *testing.T, db *orm.DB, objs ...any) {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	if err := s.AddAll(objs...); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// audits returns the audit entries, oldest first.
func audits(t *testing.T, db *orm.DB) []*admin.AuditEntry {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	es, err := orm.Select[admin.AuditEntry](s).OrderBy("id").All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func ptr[T any](v T) *T { return &v }

// recorder is a minimal http.ResponseWriter for calling a Handler directly.
type recorder struct {
	code int
	hdr  http.Header
	body strings.Builder
}

func newRecorder() *recorder            { return &recorder{hdr: http.Header{}} }
func (r *recorder) Header() http.Header { return r.hdr }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) { r.code = code }

func mustRequest(t *testing.T, method, target string) *http.Request {
	t.Helper()
	return httptest.NewRequest(method, target, nil)
}
