package orm_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// exTeam and exHero are the models of the package examples: the SQLModel
// tutorial's teams and heroes.
type exTeam struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique"`
	Headquarters string
	Heroes       orm.RelatedMany[exHero] `sqlmodel:"back_populates=Team,order_by=id"`
}

func (exTeam) TableName() string { return "ex_team" }

type exHero struct {
	ID         int64  `sqlmodel:"pk"`
	Name       string `sqlmodel:"index"`
	SecretName string
	Age        *int
	TeamID     *int64           `sqlmodel:"fk=ex_team.id,ondelete=set null"`
	Team       orm.Lazy[exTeam] `sqlmodel:"fk=TeamID,back_populates=Heroes"`
}

func (exHero) TableName() string { return "ex_hero" }

func exAge(v int) *int { return &v }

// exOpen opens an in-memory SQLite database with the example tables and
// the tutorial's heroes in two teams.
func exOpen(opts ...orm.Option) *orm.DB {
	ctx := context.Background()
	db, err := orm.Open(ormtest.SQLiteDriver(), ":memory:", opts...)
	if err != nil {
		log.Fatal(err)
	}
	if err := db.CreateAll(ctx, &exTeam{}, &exHero{}); err != nil {
		log.Fatal(err)
	}
	s := orm.NewSession(db)
	defer s.Close()
	preventers := &exTeam{Name: "Preventers", Headquarters: "Sharp Tower"}
	zforce := &exTeam{Name: "Z-Force", Headquarters: "Sister Margaret's Bar"}
	preventers.Heroes.Set([]*exHero{
		{Name: "Rusty-Man", SecretName: "Tommy Sharp", Age: exAge(48)},
		{Name: "Tarantula", SecretName: "Natalia Roman-on", Age: exAge(32)},
	})
	zforce.Heroes.Set([]*exHero{{Name: "Deadpond", SecretName: "Dive Wilson"}})
	if err := s.AddAll(preventers, zforce); err != nil {
		log.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	return db
}

// exCount is a query hook that counts the statements a DB sends (not
// transaction control).
type exCount struct{ n int }

func (c *exCount) BeforeQuery(ctx context.Context, _ *orm.QueryEvent) context.Context { return ctx }

func (c *exCount) AfterQuery(_ context.Context, e *orm.QueryEvent) {
	if e.Op == "query" || e.Op == "exec" {
		c.n++
	}
}

// Open takes a database/sql driver name and a DSN; CreateAll creates the
// tables of the models in foreign-key order, with their indexes.
func ExampleOpen() {
	ctx := context.Background()
	db, err := orm.Open("sqlite", ":memory:") // or "sqlite3" (cgo), "pgx", "postgres", "mysql"
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateAll(ctx, &exHero{}, &exTeam{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("dialect:", db.Dialect().Name())
	for _, table := range []string{"ex_team", "ex_hero"} {
		m, _ := db.Registry().Table(table)
		fmt.Printf("%s: %s\n", table, strings.Join(m.Columns(), ", "))
	}
	// Output:
	// dialect: sqlite
	// ex_team: id, name, headquarters
	// ex_hero: id, name, secret_name, age, team_id
}

// Add schedules an INSERT; Commit flushes it and fills the generated key.
// Related new objects are added with their parent.
func ExampleSession_Add() {
	ctx := context.Background()
	db := exOpen()
	defer db.Close()
	s := orm.NewSession(db)
	defer s.Close()

	team := &exTeam{Name: "Wakaland", Headquarters: "Wakaland Capital City"}
	hero := &exHero{Name: "Black Lion", SecretName: "Trevor Challa", Age: exAge(35)}
	hero.Team.Set(team)
	if err := s.Add(hero); err != nil { // adds the team too
		log.Fatal(err)
	}
	fmt.Println("before commit:", hero.ID, team.ID, s.PendingNewCount(), "pending")
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after commit:", hero.ID, team.ID, "team_id", *hero.TeamID)
	// Output:
	// before commit: 0 0 2 pending
	// after commit: 4 3 team_id 3
}

// Select builds a typed query. On a session its rows go through the
// identity map; on a DB they are plain, untracked objects.
func ExampleSelect() {
	ctx := context.Background()
	db := exOpen()
	defer db.Close()
	s := orm.NewSession(db)
	defer s.Close()

	heroes, err := orm.Select[exHero](s).
		Filter(orm.Col("age").Gt(30)).
		OrderBy("-age").
		All(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range heroes {
		fmt.Println(h.Name, *h.Age)
	}

	deadpond, err := orm.Select[exHero](s).Where("name = ?", "Deadpond").One(ctx)
	if err != nil {
		log.Fatal(err)
	}
	same, err := orm.Get[exHero](ctx, s, deadpond.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Get returns the queried pointer:", same == deadpond)

	n, err := orm.Select[exHero](db).Filter(orm.Col("age").IsNull()).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("heroes without an age:", n)
	// Output:
	// Rusty-Man 48
	// Tarantula 32
	// Get returns the queried pointer: true
	// heroes without an age: 1
}

// Query.Iter streams rows one at a time; breaking out of the loop releases
// the connection.
func ExampleQuery_Iter() {
	ctx := context.Background()
	db := exOpen()
	defer db.Close()
	s := orm.NewSession(db)
	defer s.Close()

	for h, err := range orm.Select[exHero](s).OrderBy("id").Iter(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(h.ID, h.Name)
		if h.ID == 2 {
			break
		}
	}
	// Output:
	// 1 Rusty-Man
	// 2 Tarantula
}

// Preload loads relations of many objects with one query per relation and
// level, instead of one query per object.
func ExamplePreload() {
	ctx := context.Background()
	count := &exCount{}
	db := exOpen(orm.WithQueryHook(count))
	defer db.Close()
	s := orm.NewSession(db)
	defer s.Close()

	count.n = 0
	teams, err := orm.Select[exTeam](s).OrderBy("id").All(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := orm.Preload(ctx, s, teams, "Heroes", "Heroes.Team"); err != nil {
		log.Fatal(err)
	}
	for _, t := range teams {
		for _, h := range t.Heroes.Items() {
			team, _ := h.Team.Get()
			fmt.Printf("%s: %s (team %s)\n", t.Name, h.Name, team.Name)
		}
	}
	fmt.Println("statements:", count.n)
	// Output:
	// Preventers: Rusty-Man (team Preventers)
	// Preventers: Tarantula (team Preventers)
	// Z-Force: Deadpond (team Z-Force)
	// statements: 2
}

// Query.Preload does the same as part of a query.
func ExampleQuery_Preload() {
	ctx := context.Background()
	db := exOpen()
	defer db.Close()
	s := orm.NewSession(db)
	defer s.Close()

	heroes, err := orm.Select[exHero](s).OrderBy("name").Preload("Team").All(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range heroes {
		team, loaded := h.Team.Get()
		fmt.Println(h.Name, loaded, team.Headquarters)
	}
	// Output:
	// Deadpond true Sister Margaret's Bar
	// Rusty-Man true Sharp Tower
	// Tarantula true Sharp Tower
}

// RunInTx runs a function in a fresh session inside a transaction and
// commits it; an error rolls everything back. Serialization failures and
// deadlocks are retried with backoff.
func ExampleRunInTx() {
	ctx := context.Background()
	db := exOpen()
	defer db.Close()

	// Move Deadpond to the Preventers.
	err := orm.RunInTx(ctx, db, func(s *orm.Session) error {
		hero, err := orm.Select[exHero](s).Where("name = ?", "Deadpond").One(ctx)
		if err != nil {
			return err
		}
		team, err := orm.Select[exTeam](s).Where("name = ?", "Preventers").One(ctx)
		if err != nil {
			return err
		}
		return orm.RelateToOne(s, hero, func(h *exHero) *orm.Lazy[exTeam] { return &h.Team }, team)
	})
	if err != nil {
		log.Fatal(err)
	}

	// A failing function changes nothing.
	err = orm.RunInTx(ctx, db, func(s *orm.Session) error {
		if err := s.Add(&exHero{Name: "Dormammu", SecretName: "Dormammu"}); err != nil {
			return err
		}
		if err := s.Flush(ctx); err != nil { // the INSERT is sent...
			return err
		}
		return fmt.Errorf("changed my mind") // ...and rolled back
	})
	fmt.Println("error:", err)

	n, err := orm.Select[exHero](db).Filter(orm.Col("team_id").Eq(1)).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	total, err := orm.Select[exHero](db).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Preventers:", n, "heroes:", total)
	// Output:
	// error: changed my mind
	// Preventers: 3 heroes: 3
}

// BeginNested opens a savepoint: rolling it back undoes its work, in the
// database and in the session, and keeps the rest of the transaction.
func ExampleSession_BeginNested() {
	ctx := context.Background()
	db := exOpen()
	defer db.Close()
	s := orm.NewSession(db)
	defer s.Close()

	if err := s.Begin(ctx); err != nil {
		log.Fatal(err)
	}
	kept := &exHero{Name: "Dr. Weird", SecretName: "Steve Weird"}
	if err := s.Add(kept); err != nil {
		log.Fatal(err)
	}
	sp, err := s.BeginNested(ctx)
	if err != nil {
		log.Fatal(err)
	}
	undone := &exHero{Name: "Captain North America", SecretName: "Esteban Rogelios"}
	if err := s.Add(undone); err != nil {
		log.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("inside the savepoint:", kept.ID, undone.ID)
	if err := sp.Rollback(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after its rollback:", kept.ID, undone.ID, s.Contains(undone))
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	n, err := orm.Select[exHero](db).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("heroes:", n)
	// Output:
	// inside the savepoint: 4 5
	// after its rollback: 4 0 false
	// heroes: 4
}
