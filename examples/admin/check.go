package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/admin"
)

// selfCheck serves the admin on a loopback test server and goes through it
// as a user would: the index, a filtered list, a new team, a hero moved to
// it, the delete preview of a team, a CSV export and the audit log.
func selfCheck(ctx context.Context, out io.Writer, db *orm.DB, h http.Handler) error {
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := &client{base: srv.URL + "/admin", origin: srv.URL, http: srv.Client()}
	steps := []struct {
		what string
		run  func() (string, error)
	}{
		{"index", func() (string, error) { return c.expect("GET", "/", nil, 200, "hero", "team") }},
		{"heroes with rank legend", func() (string, error) {
			return c.expect("GET", "/hero?f.rank=legend&sort=-age", nil, 200, "Captain North America", "Rusty-Man", "2 rows")
		}},
		{"create team Avengers", func() (string, error) {
			return c.expect("POST", "/team/new", url.Values{"c.name": {"Avengers"}, "c.headquarters": {"Stark Tower"}}, 303)
		}},
		{"move Spider-Boy to it", func() (string, error) { return moveHero(ctx, c, db) }},
		{"delete preview of Preventers", func() (string, error) {
			return c.expect("GET", "/team/1/delete", nil, 200, "set to NULL", "deleted")
		}},
		{"CSV export of heroes", func() (string, error) { return c.expect("GET", "/hero/export.csv", nil, 200, "Spider-Boy") }},
		{"audit log", func() (string, error) { return c.expect("GET", "/admin_audit", nil, 200, "team_id", "Avengers") }},
	}
	for _, st := range steps {
		detail, err := st.run()
		if err != nil {
			return fmt.Errorf("%w: %s: %w", errCheck, st.what, err)
		}
		fmt.Fprintf(out, "ok  %-30s %s\n", st.what, detail)
	}
	s := orm.NewSession(db)
	defer s.Close()
	entries, err := orm.Select[admin.AuditEntry](s).OrderBy("id").All(ctx)
	if err != nil {
		return err
	}
	for _, e := range entries {
		fmt.Fprintf(out, "audit: %s %s %s by %s: %s\n", e.Action, e.Table, e.RowKey, strings.SplitN(e.Who, "@", 2)[0], e.Changes)
	}
	fmt.Fprintln(out, "self-check passed; run with -addr 127.0.0.1:8080 to use the admin in a browser")
	return nil
}

// moveHero edits Spider-Boy's team through the edit form, sending back
// the version the form showed.
func moveHero(ctx context.Context, c *client, db *orm.DB) (string, error) {
	s := orm.NewSession(db)
	defer s.Close()
	hero, err := orm.Select[Hero](s).Where("name = ?", "Spider-Boy").Preload("Powers").One(ctx)
	if err != nil {
		return "", err
	}
	team, err := orm.Select[Team](s).Where("name = ?", "Avengers").One(ctx)
	if err != nil {
		return "", err
	}
	form := url.Values{"_version": {fmt.Sprint(hero.Version)}, "c.name": {hero.Name}, "c.secret_name": {hero.SecretName},
		"null.age": {"on"}, "c.rank": {hero.Rank}, "c.team_id": {fmt.Sprint(team.ID)}}
	for _, p := range hero.Powers.Items() {
		form.Add("m2m.Powers", fmt.Sprint(p.ID))
	}
	return c.expect("POST", fmt.Sprintf("/hero/%d", hero.ID), form, 303)
}

// client sends same-origin requests to the admin without following
// redirects.
type client struct {
	base, origin string
	http         *http.Client
}

// expect sends a request and checks its status and body.
func (c *client) expect(method, path string, form url.Values, status int, contains ...string) (string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.origin)
	}
	cl := *c.http
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := cl.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != status {
		return "", fmt.Errorf("%s %s: status %d, want %d", method, path, res.StatusCode, status)
	}
	for _, s := range contains {
		if !strings.Contains(string(b), s) {
			return "", fmt.Errorf("%s %s: the page lacks %q", method, path, s)
		}
	}
	return fmt.Sprintf("(%s %s → %d)", method, path, res.StatusCode), nil
}
