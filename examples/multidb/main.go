// Command multidb uses one set of models on two databases at once: it
// reads teams and heroes from a source database (SQLite) through one
// session and writes copies of them to a target database (PostgreSQL or
// MySQL) through another. The two sessions have separate identity maps:
// the same key gives a different pointer in each, a change in one is not
// seen by the other, and the rows end up equal on both sides.
//
// With no arguments both databases are SQLite files in a temporary
// directory, so it runs with no setup:
//
//	go run ./examples/multidb
//
// Give the target with -to or SQLMODEL_TO_DSN (and the source with -from or
// SQLMODEL_FROM_DSN) to copy across database kinds; the program drops and
// recreates its tables on both:
//
//	go run ./examples/multidb -to 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go run ./examples/multidb -to 'root@tcp(127.0.0.1:3306)/test'
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/mysql"   // "mysql": MySQL and MariaDB
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"     // "pgx": PostgreSQL
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3" // "sqlite3": SQLite (cgo)
)

// Team is a group of heroes.
type Team struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique"`
	Headquarters string
	Heroes       orm.RelatedMany[Hero] `sqlmodel:"back_populates=Team,order_by=id"`
}

// Hero is a hero with an optional team.
type Hero struct {
	ID         int64 `sqlmodel:"pk"`
	Name       string
	SecretName string
	Age        *int
	TeamID     *int64         `sqlmodel:"fk=team.id,ondelete=set null"`
	Team       orm.Lazy[Team] `sqlmodel:"fk=TeamID,back_populates=Heroes"`
}

// row is a hero's columns as plain values, for comparing the databases.
type row struct {
	ID               int64
	Name, SecretName string
	Age, TeamID      string
	TeamName, TeamHQ string
}

func main() {
	from := flag.String("from", os.Getenv("SQLMODEL_FROM_DSN"), "source DSN (default: a SQLite file in a temporary directory)")
	to := flag.String("to", os.Getenv("SQLMODEL_TO_DSN"), "target DSN, PostgreSQL or MySQL (default: a second SQLite file)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *from, *to); err != nil {
		log.Fatal(err)
	}
}

// sqliteDriver is the driver of SQLite DSNs: mattn/go-sqlite3, or the
// pure-Go driver in a build without cgo (sqlite_nocgo.go).
var sqliteDriver = "sqlite3"

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

// open opens dsn and recreates the example's tables there.
func open(ctx context.Context, dsn string) (*orm.DB, error) {
	db, err := orm.Open(driverFor(dsn), dsn)
	if err != nil {
		return nil, err
	}
	if err := db.DropAll(ctx, &Hero{}, &Team{}); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.CreateAll(ctx, &Hero{}, &Team{}); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func run(ctx context.Context, out io.Writer, from, to string) error {
	if from == "" || to == "" {
		dir, err := os.MkdirTemp("", "multidb-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if from == "" {
			from = "file:" + filepath.Join(dir, "source.db")
		}
		if to == "" {
			to = "file:" + filepath.Join(dir, "target.db")
			fmt.Fprintln(out, "no target DSN given (-to or SQLMODEL_TO_DSN): using a second SQLite file")
		}
	}
	src, err := open(ctx, from)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	dst, err := open(ctx, to)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer dst.Close()
	fmt.Fprintf(out, "source: %s, target: %s\n", src.Dialect().Name(), dst.Dialect().Name())
	if err := seed(ctx, src); err != nil {
		return err
	}

	rs := orm.NewSession(src)
	defer rs.Close()
	ws := orm.NewSession(dst)
	defer ws.Close()
	if err := copyTeams(ctx, out, rs, ws); err != nil {
		return err
	}

	fmt.Fprintln(out, "== Two sessions, two identity maps")
	a, err := orm.Get[Hero](ctx, rs, 1)
	if err != nil {
		return err
	}
	b, err := orm.Get[Hero](ctx, ws, 1)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "hero 1: %s in both; same pointer: %v\n", a.Name, a == b)
	fmt.Fprintf(out, "source session tracks the target's object: %v; target session tracks the source's: %v\n", rs.Contains(b), ws.Contains(a))
	fmt.Fprintf(out, "tracked: source %d, target %d\n", rs.TrackedCount(), ws.TrackedCount())

	if err := compare(ctx, out, src, dst); err != nil {
		return err
	}

	return changeInTarget(ctx, out, src, dst, rs, ws, a, b)
}

// copyTeams reads the teams with their heroes through the source session
// rs and writes copies, with the same keys, through the target session ws
// in one unit of work.
func copyTeams(ctx context.Context, out io.Writer, rs, ws *orm.Session) error {
	fmt.Fprintln(out, "== Read from the source, write to the target")
	teams, err := orm.Select[Team](rs).OrderBy("id").Preload("Heroes").All(ctx)
	if err != nil {
		return err
	}
	for _, t := range teams {
		// A copy with the same key: explicit keys are honoured on
		// autoincrement columns. Relation fields are not copied: they
		// hold the source session's objects.
		tc := &Team{ID: t.ID, Name: t.Name, Headquarters: t.Headquarters}
		var heroes []*Hero
		for _, h := range t.Heroes.Items() {
			heroes = append(heroes, &Hero{ID: h.ID, Name: h.Name, SecretName: h.SecretName, Age: h.Age, TeamID: h.TeamID})
		}
		tc.Heroes.Set(heroes)
		if err := ws.Add(tc); err != nil { // adds the heroes too
			return err
		}
		fmt.Fprintf(out, "copy team %d %s with %d heroes\n", t.ID, t.Name, len(heroes))
	}
	fmt.Fprintf(out, "target session: %d new objects pending\n", ws.PendingNewCount())
	if err := ws.Commit(ctx); err != nil {
		return err
	}

	return nil
}

// changeInTarget changes a hero through the target session and shows that
// the source keeps its own value, and that the target's key generator
// continues after the copied keys.
func changeInTarget(ctx context.Context, out io.Writer, src, dst *orm.DB, rs, ws *orm.Session, a, b *Hero) error {
	fmt.Fprintln(out, "== A change in the target session")
	b.Age = intp(17)
	if err := ws.Commit(ctx); err != nil {
		return err
	}
	if err := orm.Refresh(ctx, rs, a); err != nil {
		return err
	}
	fmt.Fprintf(out, "target: %s age %s; source: %s age %s\n", b.Name, show(b.Age), a.Name, show(a.Age))

	// The target's key generator continues after the copied keys.
	newcomer := &Hero{Name: "Toad", SecretName: "Mortimer Toynbee"}
	if err := ws.Add(newcomer); err != nil {
		return err
	}
	if err := ws.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "a new hero on the target gets key %d\n", newcomer.ID)
	for _, db := range []*orm.DB{src, dst} {
		n, err := orm.Select[Hero](db).Count(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s heroes: %d\n", map[*orm.DB]string{src: "source", dst: "target"}[db], n)
	}
	return nil
}

// compare reads every hero with its team from both databases through the
// DBs (no session, no identity map) and reports whether they are equal.
func compare(ctx context.Context, out io.Writer, src, dst *orm.DB) error {
	fmt.Fprintln(out, "== Compare the databases")
	var rows [2][]row
	for i, db := range []*orm.DB{src, dst} {
		heroes, err := orm.Select[Hero](db).OrderBy("id").All(ctx)
		if err != nil {
			return err
		}
		teams, err := orm.Select[Team](db).OrderBy("id").All(ctx)
		if err != nil {
			return err
		}
		byID := map[int64]*Team{}
		for _, t := range teams {
			byID[t.ID] = t
		}
		for _, h := range heroes {
			r := row{ID: h.ID, Name: h.Name, SecretName: h.SecretName, Age: show(h.Age), TeamID: show(h.TeamID)}
			if h.TeamID != nil {
				t := byID[*h.TeamID]
				r.TeamName, r.TeamHQ = t.Name, t.Headquarters
			}
			rows[i] = append(rows[i], r)
		}
	}
	for _, r := range rows[1] {
		fmt.Fprintf(out, "target row: %d %s (%s) age %s team %s %s\n", r.ID, r.Name, r.SecretName, r.Age, r.TeamID, r.TeamName)
	}
	fmt.Fprintf(out, "rows equal on both databases: %v\n", reflect.DeepEqual(rows[0], rows[1]))
	return nil
}

func intp(v int) *int { return &v }

// show prints a nullable value as the tutorial does.
func show[T any](p *T) string {
	if p == nil {
		return "None"
	}
	return fmt.Sprint(*p)
}

// seed fills the source database.
func seed(ctx context.Context, db *orm.DB) error {
	s := orm.NewSession(db)
	defer s.Close()
	preventers := &Team{Name: "Preventers", Headquarters: "Sharp Tower"}
	zforce := &Team{Name: "Z-Force", Headquarters: "Sister Margaret's Bar"}
	preventers.Heroes.Set([]*Hero{
		{Name: "Rusty-Man", SecretName: "Tommy Sharp", Age: intp(48)},
		{Name: "Tarantula", SecretName: "Natalia Roman-on", Age: intp(32)},
	})
	zforce.Heroes.Set([]*Hero{{Name: "Deadpond", SecretName: "Dive Wilson"}})
	if err := s.AddAll(preventers, zforce); err != nil {
		return err
	}
	return s.Commit(ctx)
}
