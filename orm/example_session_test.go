package orm_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// idExHero is the model of the session examples.
type idExHero struct {
	ID         int64 `sqlmodel:"pk"`
	Name       string
	SecretName string
	Age        *int
}

func (idExHero) TableName() string { return "id_ex_hero" }

// idExOpen opens an in-memory SQLite database with the example table.
func idExOpen() *orm.DB {
	db, err := orm.Open(ormtest.SQLiteDriver(), ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	if err := db.CreateAll(context.Background(), &idExHero{}); err != nil {
		log.Fatal(err)
	}
	return db
}

// A session tracks the objects added to it and writes them at Commit.
func ExampleNewSession() {
	ctx := context.Background()
	db := idExOpen()
	defer db.Close()

	s := orm.NewSession(db)
	defer s.Close()

	age := 48
	deadpond := &idExHero{Name: "Deadpond", SecretName: "Dive Wilson"}
	rusty := &idExHero{Name: "Rusty-Man", SecretName: "Tommy Sharp", Age: &age}
	if err := s.AddAll(deadpond, rusty); err != nil {
		log.Fatal(err)
	}
	st, _ := s.ObjectState(deadpond)
	fmt.Println("before commit:", st, "pending:", s.PendingNewCount(), "id:", deadpond.ID)

	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	st, _ = s.ObjectState(deadpond)
	fmt.Println("after commit:", st, "ids:", deadpond.ID, rusty.ID)
	// Output:
	// before commit: New pending: 2 id: 0
	// after commit: Expired ids: 1 2
}

// Get returns the tracked instance for a key: the same pointer every time,
// loaded with one SELECT the first time only.
func ExampleGet() {
	ctx := context.Background()
	db, rec := idExOpen(), &idExCounter{}
	defer db.Close()
	rdb := db.WithQueryHook(rec)

	seed := orm.NewSession(db)
	if err := seed.Add(&idExHero{Name: "Spider-Boy", SecretName: "Pedro Parqueador"}); err != nil {
		log.Fatal(err)
	}
	if err := seed.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	seed.Close()

	s := orm.NewSession(rdb)
	defer s.Close()
	a, err := orm.Get[idExHero](ctx, s, 1)
	if err != nil {
		log.Fatal(err)
	}
	b, err := orm.Get[idExHero](ctx, s, int32(1)) // any integer type: the same key
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Name, a == b, "statements:", rec.n)

	_, err = orm.Get[idExHero](ctx, s, 99)
	fmt.Println(errors.Is(err, orm.ErrNotFound))
	// Output:
	// Spider-Boy true statements: 1
	// true
}

// Commit flushes the changes found by comparing each object with its
// snapshot: only the changed column is written.
func ExampleSession_Commit() {
	ctx := context.Background()
	db := idExOpen()
	defer db.Close()
	rec := &idExCounter{}
	rdb := db.WithQueryHook(rec)

	s := orm.NewSession(rdb)
	defer s.Close()
	if err := s.Add(&idExHero{Name: "Tarantula", SecretName: "Natalia Roman-on"}); err != nil {
		log.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}

	h, err := orm.Get[idExHero](ctx, s, 1) // Expired after the commit: reloaded in place
	if err != nil {
		log.Fatal(err)
	}
	h.SecretName = "Natalia Roman-off"
	fmt.Println(s.ModifiedAttributes(h))

	rec.queries = nil
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	for _, q := range rec.queries {
		fmt.Println(q)
	}
	// Output:
	// [secret_name]
	// UPDATE "id_ex_hero" SET "secret_name" = ? WHERE "id" = ?
}

// idExCounter counts and keeps the statements (not transaction control)
// of a DB.
type idExCounter struct {
	n       int
	queries []string
}

func (c *idExCounter) BeforeQuery(ctx context.Context, _ *orm.QueryEvent) context.Context {
	return ctx
}

func (c *idExCounter) AfterQuery(_ context.Context, e *orm.QueryEvent) {
	if e.Op == "exec" || e.Op == "query" {
		c.n++
		c.queries = append(c.queries, e.Query)
	}
}
