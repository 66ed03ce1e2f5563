// Command admin serves the web admin of orm/admin over the heroes models
// (teams, heroes, powers, missions) with seed data, on SQLite in a
// temporary directory:
//
//	go run ./examples/admin -addr 127.0.0.1:8080   # then open http://127.0.0.1:8080/admin/
//
// Without -addr it runs a self-check instead and exits: it serves the admin
// on a loopback test server, creates, edits, lists and exports rows through
// HTTP as a browser would, and prints what it did (CI runs it this way).
// Give -db to keep the database in a file of your choice.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/admin"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3" // "sqlite3": SQLite (cgo)
)

// Team is a group of heroes; deleting it deletes its missions and sets its
// heroes free (ON DELETE SET NULL).
type Team struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique,size=100"`
	Headquarters string
	Heroes       orm.RelatedMany[Hero]    `sqlmodel:"back_populates=Team"`
	Missions     orm.RelatedMany[Mission] `sqlmodel:"cascade_delete"`
}

// String names a team in selects and lists.
func (t *Team) String() string { return t.Name }

// Hero is a hero with a secret identity, an optional team and powers. Its
// version column turns concurrent edits into a conflict the admin shows.
type Hero struct {
	ID         int64  `sqlmodel:"pk"`
	Name       string `sqlmodel:"size=100,index"`
	SecretName string
	Age        *int
	Rank       string `sqlmodel:"size=20"`
	Active     bool
	Version    int64                  `sqlmodel:"version"`
	TeamID     *int64                 `sqlmodel:"fk=team.id,ondelete=set null"`
	Team       orm.Lazy[Team]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers     orm.RelatedMany[Power] `sqlmodel:"link=hero_power,back_populates=Heroes"`
}

// Power is a super power.
type Power struct {
	ID     int64                 `sqlmodel:"pk"`
	Name   string                `sqlmodel:"unique,size=100"`
	Heroes orm.RelatedMany[Hero] `sqlmodel:"link=hero_power,back_populates=Powers"`
}

// Mission belongs to a team and dies with it.
type Mission struct {
	ID     int64  `sqlmodel:"pk"`
	Name   string `sqlmodel:"size=100"`
	TeamID int64  `sqlmodel:"fk=team.id,ondelete=cascade"`
}

func main() {
	addr := flag.String("addr", "", "serve the admin on this address (e.g. 127.0.0.1:8080); without it, run a self-check and exit")
	dbPath := flag.String("db", "", "SQLite file (default: a new one in a temporary directory)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *addr, *dbPath); err != nil {
		log.Fatal(err)
	}
}

// run opens and seeds the database, builds the admin and serves it or
// checks it.
func run(ctx context.Context, out io.Writer, addr, dbPath string) error {
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "sqlmodel-admin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "heroes.db")
	}
	db, err := orm.Open(sqliteDriver, "file:"+dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CreateAll(ctx, &Team{}, &Power{}, &Hero{}, &Mission{}, &admin.AuditEntry{}); err != nil {
		return err
	}
	if err := seed(ctx, db); err != nil {
		return err
	}
	h, err := newAdmin(db)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", h))
	mux.Handle("/{$}", http.RedirectHandler("/admin/", http.StatusFound))
	if addr == "" {
		return selfCheck(ctx, out, db, mux)
	}
	fmt.Fprintf(out, "admin on http://%s/admin/ (database %s); Ctrl-C to stop\n", addr, dbPath)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

// newAdmin builds the admin. This demo lets every request do everything,
// but only from this machine: a real Authorize checks the user.
func newAdmin(db *orm.DB) (*admin.Handler, error) {
	return admin.New(db,
		admin.Title("Heroes admin"),
		admin.Models(
			admin.Model[Team](admin.ListColumns("id", "name", "headquarters")),
			admin.Model[Hero](
				admin.ListColumns("id", "name", "age", "rank", "active", "team_id"),
				admin.Label("secret_name", "Secret identity"),
				admin.Choices("rank", "rookie", "veteran", "legend")),
			admin.Model[Power](),
			admin.Model[Mission](),
			admin.Model[admin.AuditEntry](admin.Name("audit log"), admin.ReadOnly("at", "who", "action", "table_name", "row_key", "changes")),
		),
		admin.Authorize(func(r *http.Request, table string, a admin.Action) bool {
			if table == "admin_audit" && a != admin.ActionList && a != admin.ActionView && a != admin.ActionExport {
				return false // the audit log is read-only
			}
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			ip := net.ParseIP(host)
			return err == nil && ip != nil && ip.IsLoopback()
		}),
		admin.AuditLog(func(r *http.Request) string { return "demo@" + r.RemoteAddr }),
	)
}

// seed adds the tutorial's teams, heroes, powers and missions unless the
// database already has teams.
func seed(ctx context.Context, db *orm.DB) error {
	s := orm.NewSession(db)
	defer s.Close()
	n, err := orm.Select[Team](s).Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	preventers := &Team{Name: "Preventers", Headquarters: "Sharp Tower"}
	zforce := &Team{Name: "Z-Force", Headquarters: "Sister Margaret's Bar"}
	fly, strength, ice := &Power{Name: "flight"}, &Power{Name: "super strength"}, &Power{Name: "ice"}
	heroes := []*Hero{
		{Name: "Deadpond", SecretName: "Dive Wilson", Rank: "veteran", Active: true},
		{Name: "Spider-Boy", SecretName: "Pedro Parqueador", Rank: "rookie"},
		{Name: "Rusty-Man", SecretName: "Tommy Sharp", Age: ptr(48), Rank: "legend", Active: true},
		{Name: "Tarantula", SecretName: "Natalia Roman-on", Age: ptr(32), Rank: "veteran"},
		{Name: "Black Lion", SecretName: "Trevor Challa", Age: ptr(35), Rank: "veteran", Active: true},
		{Name: "Dr. Weird", SecretName: "Steve Weird", Age: ptr(36), Rank: "rookie"},
		{Name: "Captain North America", SecretName: "Esteban Rogelios", Age: ptr(93), Rank: "legend"},
	}
	heroes[0].Team.Set(zforce)
	heroes[2].Team.Set(preventers)
	heroes[3].Team.Set(preventers)
	heroes[0].Powers.Set([]*Power{strength})
	heroes[1].Powers.Set([]*Power{fly})
	heroes[2].Powers.Set([]*Power{fly, strength})
	heroes[6].Powers.Set([]*Power{ice})
	for _, h := range heroes {
		if err := s.Add(h); err != nil {
			return err
		}
	}
	return finishSeed(ctx, s, preventers, zforce)
}

// finishSeed adds the missions, which need their teams' keys, and commits.
func finishSeed(ctx context.Context, s *orm.Session, preventers, zforce *Team) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	if err := s.AddAll(&Mission{Name: "Guard the tower", TeamID: preventers.ID}, &Mission{Name: "Find chimichangas", TeamID: zforce.ID}); err != nil {
		return err
	}
	return s.Commit(ctx)
}

func ptr[T any](v T) *T { return &v }

// errCheck reports a self-check step that did not answer as expected.
var errCheck = errors.New("admin self-check failed")

// sqliteDriver is the SQLite driver the example opens: mattn/go-sqlite3, or
// the pure-Go modernc.org/sqlite in a build without cgo (sqlite_nocgo.go).
var sqliteDriver = "sqlite3"
