// Command migrations shows orm/migrate on SQLite with no setup: version 1 of
// the application creates its tables with migrate.Auto and stores heroes;
// version 2 changes the models (a new column, a wider one, a new index, a
// new table, a dropped column) and migrate.Plan shows what it would do;
// migrate.Auto refuses the destructive part until it is allowed, then
// applies everything, keeping the rows.
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

	"github.com/sqlmodel-go/sqlmodel/orm"
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

// open opens the database with a registry of its own, as each version of
// the application would.
func open(path string) (*orm.DB, error) {
	return orm.Open("sqlite3", path, orm.WithRegistry(orm.NewRegistry()))
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
	if err := s.AddAll(&HeroV1{ID: 1, Name: "Deadpond", Secret: "Dive Wilson"}, &HeroV1{ID: 2, Name: "Rusty-Man", Secret: "Tommy Sharp"}); err != nil {
		return err
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	s.Close()
	fmt.Fprintln(w, "version 1: table hero created by migrate.Auto, 2 heroes stored")

	v2, err := open(path)
	if err != nil {
		return err
	}
	defer v2.Close()
	models := []any{&Team{}, &HeroV2{}}
	plan, err := migrate.Plan(ctx, v2, models...)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "version 2: migrate.Plan finds %d changes:\n", len(plan.All()))
	for _, c := range plan.All() {
		fmt.Fprintln(w, "  "+c.String())
	}
	if err := migrate.Auto(ctx, v2, models); err != nil {
		fmt.Fprintf(w, "migrate.Auto without AllowDestructive: %v\n", err)
	}
	if err := migrate.Auto(ctx, v2, models, migrate.AllowDestructive()); err != nil {
		return err
	}
	fmt.Fprintln(w, "migrate.Auto with AllowDestructive: applied")
	again, err := migrate.Plan(ctx, v2, models...)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "migrate.Plan again: empty = %v\n", again.Empty())

	s = orm.NewSession(v2)
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
