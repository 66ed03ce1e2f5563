package ormtest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// exHero is the model of the examples.
type exHero struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"unique"`
}

func (exHero) TableName() string { return "ex_hero" }

// Provision makes an isolated database without a testing.TB (here SQLite:
// a file in a new temporary directory); drop removes it. In a test, Each,
// Open or NewTarget do the same and drop it at cleanup.
func Example() {
	ctx := context.Background()
	tg, drop, err := ormtest.Provision(ctx, "sqlite")
	if err != nil {
		log.Fatal(err)
	}
	defer drop()

	db, err := orm.Open(tg.Driver, tg.DSN)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db, rec := ormtest.Record(db)
	if err := db.CreateAll(ctx, &exHero{}); err != nil {
		log.Fatal(err)
	}
	rec.Reset()

	s := orm.NewSession(db)
	defer s.Close()
	if err := s.AddAll(&exHero{Name: "Deadpond"}, &exHero{Name: "Rusty-Man"}); err != nil {
		log.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	heroes, err := orm.Select[exHero](s).OrderBy("name").All(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range heroes {
		fmt.Println(h.ID, h.Name)
	}
	fmt.Println(strings.Join(rec.SQL(), "\n"))
	// Output:
	// 1 Deadpond
	// 2 Rusty-Man
	// INSERT INTO "ex_hero" ("name") VALUES (?), (?) RETURNING "id"
	// SELECT "id", "name" FROM "ex_hero" ORDER BY "name" ASC
}

// Each runs the body of a test once per database, each time on an empty
// schema of its own; the tables are created by the test.
func ExampleEach() {
	// In hero_test.go: func TestHeroNamesAreUnique(t *testing.T) { ... }
	testHeroNamesAreUnique := func(t *testing.T) {
		ormtest.Each(t, func(t *testing.T, db *orm.DB) {
			ctx := context.Background()
			if err := db.CreateAll(ctx, &exHero{}); err != nil {
				t.Fatal(err)
			}
			s := orm.NewSession(db)
			defer s.Close()
			if err := s.AddAll(&exHero{Name: "Deadpond"}, &exHero{Name: "Deadpond"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx); !errors.Is(err, orm.ErrUniqueViolation) {
				t.Errorf("two heroes named Deadpond: %v, want a unique violation", err)
			}
		})
	}
	_ = testHeroNamesAreUnique
}

// Open gives one DB of a named dialect, with options; Record shows the
// statements an operation sends.
func ExampleOpen() {
	testHeroInsertIsOneStatement := func(t *testing.T) {
		db, rec := ormtest.Record(ormtest.Open(t, "postgres"))
		ctx := context.Background()
		if err := db.CreateAll(ctx, &exHero{}); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		s := orm.NewSession(db)
		defer s.Close()
		if err := s.AddAll(&exHero{Name: "Deadpond"}, &exHero{Name: "Rusty-Man"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rec.SQL(); len(got) != 1 {
			t.Errorf("statements: %q, want one multi-row INSERT", got)
		}
	}
	_ = testHeroInsertIsOneStatement
}
