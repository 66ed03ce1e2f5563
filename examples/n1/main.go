// Command n1 shows the N+1 problem and its fix. A naive loop that loads
// each hero's team one at a time sends one query per team and makes the
// session log a warning through slog, naming the relation, the call site
// and the loader to use instead. The same work with Preload takes two
// queries, however many heroes there are. A query hook counts the
// statements of each version.
//
// With no arguments it uses SQLite in a temporary directory:
//
//	go run ./examples/n1
//
// Give a DSN with -dsn or SQLMODEL_DSN to run it on PostgreSQL or MySQL
// (it drops and recreates its tables there):
//
//	go run ./examples/n1 -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go run ./examples/n1 -dsn 'root@tcp(127.0.0.1:3306)/test'
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/sqlmodel-go/sqlmodel/orm"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/mysql"   // "mysql": MySQL and MariaDB
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"     // "pgx": PostgreSQL
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3" // "sqlite3": SQLite (cgo)
)

// Team is a group of heroes.
type Team struct {
	ID     int64                 `sqlmodel:"pk"`
	Name   string                `sqlmodel:"unique"`
	Heroes orm.RelatedMany[Hero] `sqlmodel:"back_populates=Team,order_by=id"`
}

// Hero belongs to one team.
type Hero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID int64          `sqlmodel:"fk=team.id"`
	Team   orm.Lazy[Team] `sqlmodel:"fk=TeamID,back_populates=Heroes"`
}

func main() {
	dsn := flag.String("dsn", os.Getenv("SQLMODEL_DSN"), "database DSN (default: SQLite in a temporary directory)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dsn); err != nil {
		log.Fatal(err)
	}
}

// driverFor guesses the database/sql driver from a DSN.
func driverFor(dsn string) string {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"), strings.Contains(dsn, "host="):
		return "pgx"
	case strings.Contains(dsn, "@tcp("), strings.Contains(dsn, "@unix("):
		return "mysql"
	}
	return sqliteDriver
}

// counter is a query hook that counts the statements sent to the database
// (not BEGIN/COMMIT).
type counter struct{ n atomic.Int64 }

// BeforeQuery implements orm.QueryHook.
func (c *counter) BeforeQuery(ctx context.Context, _ *orm.QueryEvent) context.Context { return ctx }

// AfterQuery implements orm.QueryHook.
func (c *counter) AfterQuery(_ context.Context, e *orm.QueryEvent) {
	if e.Op == "query" || e.Op == "exec" {
		c.n.Add(1)
	}
}

// logger prints slog records without the time and with call sites reduced
// to the file's base name, so that the output is the same everywhere.
func logger(out io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{}
			case "call_site":
				return slog.String(a.Key, filepath.Base(a.Value.String()))
			}
			return a
		},
	}))
}

func run(ctx context.Context, out io.Writer, dsn string) error {
	if dsn == "" {
		dir, err := os.MkdirTemp("", "n1-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = "file:" + filepath.Join(dir, "n1.db")
	}
	count := &counter{}
	db, err := orm.Open(driverFor(dsn), dsn, orm.WithQueryHook(count))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := seed(ctx, db); err != nil {
		return err
	}

	cfg := orm.DefaultSessionConfig()
	cfg.Logger = logger(out)

	fmt.Fprintln(out, "== Naive loop: one query per hero's team")
	naive := orm.NewSessionWithConfig(db, cfg)
	defer naive.Close()
	naive.EnableN1Detection(3) // the default threshold, set explicitly
	count.n.Store(0)
	heroes, err := orm.Select[Hero](naive).OrderBy("id").All(ctx)
	if err != nil {
		return err
	}
	for _, h := range heroes {
		// Each call loads one team: the N of N+1. A team already tracked
		// is not read again, so there is one query per distinct team.
		if _, err := orm.LoadLazy(ctx, naive, &h.Team); err != nil {
			return err
		}
	}
	if err := printHeroes(out, heroes); err != nil {
		return err
	}
	st := naive.N1Stats()
	fmt.Fprintf(out, "statements: %d for %d heroes (single loads %d, potential N+1 %d)\n", count.n.Load(), len(heroes), st.TotalLoads, st.PotentialN1)

	fmt.Fprintln(out, "\n== Preload: one query per relation")
	s := orm.NewSessionWithConfig(db, cfg)
	defer s.Close()
	count.n.Store(0)
	heroes, err = orm.Select[Hero](s).OrderBy("id").Preload("Team").All(ctx)
	if err != nil {
		return err
	}
	if err := printHeroes(out, heroes); err != nil {
		return err
	}
	st = s.N1Stats()
	fmt.Fprintf(out, "statements: %d for %d heroes (single loads %d, potential N+1 %d)\n", count.n.Load(), len(heroes), st.TotalLoads, st.PotentialN1)

	fmt.Fprintln(out, "\n== Preload of a nested path: teams, their heroes, and back")
	s2 := orm.NewSessionWithConfig(db, cfg)
	defer s2.Close()
	count.n.Store(0)
	teams, err := orm.Select[Team](s2).OrderBy("id").All(ctx)
	if err != nil {
		return err
	}
	if err := orm.Preload(ctx, s2, teams, "Heroes", "Heroes.Team"); err != nil {
		return err
	}
	for _, t := range teams {
		var names []string
		for _, h := range t.Heroes.Items() {
			names = append(names, h.Name)
		}
		fmt.Fprintf(out, "%s: %s\n", t.Name, strings.Join(names, ", "))
	}
	fmt.Fprintf(out, "statements: %d for %d teams\n", count.n.Load(), len(teams))
	return nil
}

// printHeroes prints each hero with its loaded team.
func printHeroes(out io.Writer, heroes []*Hero) error {
	for _, h := range heroes {
		team, loaded := h.Team.Get()
		if !loaded || team == nil {
			return fmt.Errorf("team of %s not loaded", h.Name)
		}
		fmt.Fprintf(out, "%s -> %s\n", h.Name, team.Name)
	}
	return nil
}

// seed creates the tables afresh with five teams of two heroes each.
func seed(ctx context.Context, db *orm.DB) error {
	if err := db.DropAll(ctx, &Hero{}, &Team{}); err != nil {
		return err
	}
	if err := db.CreateAll(ctx, &Hero{}, &Team{}); err != nil {
		return err
	}
	s := orm.NewSession(db)
	defer s.Close()
	names := [][3]string{
		{"Preventers", "Rusty-Man", "Tarantula"},
		{"Z-Force", "Deadpond", "Domino"},
		{"Wakaland", "Black Lion", "Princess Sure-E"},
		{"Avengers", "Dr. Weird", "Captain North America"},
		{"Sharks", "Spider-Boy", "Toad"},
	}
	for _, n := range names {
		team := &Team{Name: n[0]}
		team.Heroes.Set([]*Hero{{Name: n[1]}, {Name: n[2]}})
		if err := s.Add(team); err != nil {
			return err
		}
	}
	return s.Commit(ctx)
}

// sqliteDriver is the driver of SQLite DSNs: mattn/go-sqlite3, or the
// pure-Go driver in a build without cgo (sqlite_nocgo.go).
var sqliteDriver = "sqlite3"
