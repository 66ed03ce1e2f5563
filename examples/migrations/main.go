// Command migrations shows orm/migrate on SQLite with no setup: version 1 of
// the application creates its tables with migrate.Auto and stores heroes;
// version 2 changes the models (a new column, a wider one, a new index, a
// new table, a dropped column): migrate.Plan shows what it would do,
// migrate.Auto refuses the destructive part, migrate.Generate writes the
// change as a versioned file in goose's format and migrate.Up applies it,
// keeping the rows.
//
//	go run ./examples/migrations
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3" // "sqlite3": SQLite (cgo)
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

// Version 1 of the models.
type HeroV1 struct {
	ID     int64  `sqlmodel:"pk"`
	Name   string `sqlmodel:"size=20"`
	Secret string
	Motto  *string
}

func (HeroV1) TableName() string { return "hero" }

// Version 2: Name is wider and indexed, Age is new (existing rows get 0),
// Motto is gone, heroes belong to a team.
type HeroV2 struct {
	ID     int64  `sqlmodel:"pk"`
	Name   string `sqlmodel:"size=100,index"`
	Secret string
	Age    int
	TeamID *int64 `sqlmodel:"fk=team.id,ondelete=set null"`
}

func (HeroV2) TableName() string { return "hero" }

// Team is new in version 2.
type Team struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=50,unique"`
}

func main() {
	dir, err := os.MkdirTemp("", "sqlmodel-migrations-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := run(context.Background(), os.Stdout, filepath.Join(dir, "app.db")); err != nil {
		log.Fatal(err)
	}
}

// sqliteDriver is the SQLite driver: mattn/go-sqlite3, or the pure-Go
// driver in a build without cgo (sqlite_nocgo.go).
var sqliteDriver = "sqlite3"

// open opens the database with a registry of its own, as each version of
// the application would.
func open(path string) (*orm.DB, error) {
	return orm.Open(sqliteDriver, path, orm.WithRegistry(orm.NewRegistry()))
}

func run(ctx context.Context, w io.Writer, path string) error {
	v1, err := open(path)
	if err != nil {
		return err
	}
	defer v1.Close()
	if err := migrate.Auto(ctx, v1, []any{&HeroV1{}}); err != nil {
		return err
	}
	s := orm.NewSession(v1)
	defer s.Close()
	if err := s.AddAll(&HeroV1{ID: 1, Name: "Deadpond", Secret: "Dive Wilson"}, &HeroV1{ID: 2, Name: "Rusty-Man", Secret: "Tommy Sharp"}); err != nil {
		return err
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintln(w, "version 1: table hero created by migrate.Auto, 2 heroes stored")

	v2, err := open(path)
	if err != nil {
		return err
	}
	defer v2.Close()
	if err := version2(ctx, w, v2, filepath.Join(filepath.Dir(path), "migrations")); err != nil {
		return err
	}
	return readBack(ctx, w, v2)
}

// version2 shows the plan, lets Auto refuse its destructive part, then
// writes the reviewed change as a versioned file and applies it with Up.
func version2(ctx context.Context, w io.Writer, db *orm.DB, dir string) error {
	models := []any{&Team{}, &HeroV2{}}
	plan, err := migrate.Plan(ctx, db, models...)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "version 2: migrate.Plan finds %d changes:\n", len(plan.All()))
	for _, c := range plan.All() {
		fmt.Fprintln(w, "  "+c.String())
	}
	if err := migrate.Auto(ctx, db, models); err != nil {
		fmt.Fprintf(w, "migrate.Auto without AllowDestructive: %v\n", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	file, err := migrate.Generate(ctx, db, dir, "teams_and_age", models...)
	if err != nil {
		return err
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "migrate.Generate wrote %s (%d lines), reviewed, then migrate.Up:\n", filepath.Base(file), strings.Count(string(text), "\n"))
	applied, err := migrate.Up(ctx, db, os.DirFS(dir))
	if err != nil {
		return err
	}
	st, err := migrate.Status(ctx, db, os.DirFS(dir))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  applied %v; status: applied %v, checksum ok %v\n", applied, st[0].Applied, st[0].ChecksumOK)
	again, err := migrate.Plan(ctx, db, models...)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "migrate.Plan again: empty = %v\n", again.Empty())
	return nil
}

// readBack reads and writes a hero through a session of version 2.
func readBack(ctx context.Context, w io.Writer, db *orm.DB) error {
	s := orm.NewSession(db)
	defer s.Close()
	h, err := orm.Get[HeroV2](ctx, s, int64(1))
	if err != nil {
		return err
	}
	h.Age = 32
	if err := s.MarkDirty(h); err != nil {
		return err
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	h, err = orm.Get[HeroV2](ctx, s, int64(1))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "hero 1 after the migration: name %q, secret %q, age %d\n", h.Name, h.Secret, h.Age)
	return nil
}
