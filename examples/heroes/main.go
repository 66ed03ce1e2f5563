// Command heroes walks through the SQLModel tutorial in Go: it declares the
// Hero, Team and Power models, creates their tables, and works with them
// through a Session.
//
// With no arguments it uses SQLite in a temporary directory:
//
//	go run ./examples/heroes
//
// Give a DSN with -dsn or SQLMODEL_DSN to run it on PostgreSQL or MySQL:
//
//	go run ./examples/heroes -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go run ./examples/heroes -dsn 'root@tcp(127.0.0.1:3306)/test'
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Team is a group of heroes.
type Team struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique"`
	Headquarters string
	Heroes       orm.RelatedMany[Hero] `sqlmodel:"back_populates=Team"`
}

// Hero is a hero with a secret identity.
type Hero struct {
	ID         int64  `sqlmodel:"pk"`
	Name       string `sqlmodel:"index"`
	SecretName string
	Age        *int
	TeamID     *int64                 `sqlmodel:"fk=team.id,ondelete=set null"`
	Team       orm.Lazy[Team]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers     orm.RelatedMany[Power] `sqlmodel:"link=hero_power"`
}

// Power is a super power.
type Power struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"unique"`
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
	return "sqlite3"
}

func run(ctx context.Context, out io.Writer, dsn string) error {
	if dsn == "" {
		dir, err := os.MkdirTemp("", "heroes-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = "file:" + filepath.Join(dir, "heroes.db")
	}
	db, err := orm.Open(driverFor(dsn), dsn)
	if err != nil {
		return err
	}
	defer db.Close()

	// Start from empty tables so that the output is the same on every run.
	if err := db.DropAll(ctx, &Hero{}, &Power{}, &Team{}); err != nil {
		return err
	}
	fmt.Fprintln(out, "== Create the tables")
	if err := db.CreateAll(ctx, &Hero{}, &Team{}, &Power{}); err != nil {
		return err
	}
	for _, table := range []string{"team", "hero", "power", "hero_power"} {
		m, _ := db.Registry().Table(table)
		fmt.Fprintf(out, "table %s: %s\n", table, strings.Join(m.Columns(), ", "))
	}

	fmt.Fprintln(out, "== Create heroes")
	s := orm.NewSession(db)
	defer s.Close()
	age := 48
	deadpond := &Hero{Name: "Deadpond", SecretName: "Dive Wilson"}
	spider := &Hero{Name: "Spider-Boy", SecretName: "Pedro Parqueador"}
	rusty := &Hero{Name: "Rusty-Man", SecretName: "Tommy Sharp", Age: &age}
	fmt.Fprintf(out, "before commit: ids %d %d %d\n", deadpond.ID, spider.ID, rusty.ID)
	if err := s.AddAll(deadpond, spider, rusty); err != nil {
		return err
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "after commit: ids %d %d %d\n", deadpond.ID, spider.ID, rusty.ID)

	fmt.Fprintln(out, "== Get by primary key")
	h, err := orm.Get[Hero](ctx, s, rusty.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "hero %d: %s (%s), age %d, same object: %v\n", h.ID, h.Name, h.SecretName, *h.Age, h == rusty)

	fmt.Fprintln(out, "== Update")
	*h.Age = 49
	fmt.Fprintf(out, "modified columns: %v\n", s.ModifiedAttributes(h))
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "state after commit: %v\n", mustState(s, h))

	fmt.Fprintln(out, "== A team and its heroes")
	preventers := &Team{Name: "Preventers", Headquarters: "Sharp Tower"}
	tarantula := &Hero{Name: "Tarantula", SecretName: "Natalia Roman-on"}
	tarantula.Team.Set(preventers) // Add cascades to the new team
	if err := s.Add(tarantula); err != nil {
		return err
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "team %d %s; %s.team_id = %d\n", preventers.ID, preventers.Name, tarantula.Name, *tarantula.TeamID)

	fmt.Fprintln(out, "== Delete")
	if err := s.Delete(spider); err != nil {
		return err
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	if _, err := orm.Get[Hero](ctx, s, int64(2)); err != nil {
		fmt.Fprintf(out, "hero 2: %v\n", err)
	}
	return nil
}

func mustState(s *orm.Session, obj any) orm.ObjectState {
	st, _ := s.ObjectState(obj)
	return st
}
