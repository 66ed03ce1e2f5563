// Command heroes walks through the SQLModel tutorial in Go, step by step:
// it creates the tables, creates, reads, updates and deletes heroes, puts
// them in teams through Lazy and RelatedMany relations kept in step by
// back_populates, moves a hero between teams, deletes a team (its missions
// cascade, its heroes are set free with SET NULL), and gives heroes powers
// through a many-to-many link model with an extra is_training column.
// Each step prints what it did, as the tutorial does.
//
// With no arguments it uses SQLite in a temporary directory:
//
//	go run ./examples/heroes
//
// Give a DSN with -dsn or SQLMODEL_DSN to run it on PostgreSQL or MySQL
// (it drops and recreates its tables there):
//
//	go run ./examples/heroes -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go run ./examples/heroes -dsn 'root@tcp(127.0.0.1:3306)/test'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/mysql"   // "mysql": MySQL and MariaDB
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"     // "pgx": PostgreSQL
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3" // "sqlite3": SQLite (cgo)
)

// Team is a group of heroes. Deleting a team deletes its missions
// (cascade_delete); its heroes stay, without a team (ON DELETE SET NULL).
type Team struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique"`
	Headquarters string
	Heroes       orm.RelatedMany[Hero]    `sqlmodel:"back_populates=Team,order_by=id"`
	Missions     orm.RelatedMany[Mission] `sqlmodel:"cascade_delete"`
}

// Hero is a hero with a secret identity, an optional team and powers.
type Hero struct {
	ID         int64  `sqlmodel:"pk"`
	Name       string `sqlmodel:"index"`
	SecretName string
	Age        *int                   `sqlmodel:"index"`
	TeamID     *int64                 `sqlmodel:"fk=team.id,ondelete=set null"`
	Team       orm.Lazy[Team]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers     orm.RelatedMany[Power] `sqlmodel:"link_model=HeroPowerLink,back_populates=Heroes,order_by=id"`
}

// Power is a super power.
type Power struct {
	ID     int64                 `sqlmodel:"pk"`
	Name   string                `sqlmodel:"unique"`
	Heroes orm.RelatedMany[Hero] `sqlmodel:"link_model=HeroPowerLink,back_populates=Powers"`
}

// HeroPowerLink is the link model of the hero-power many-to-many relation.
// Besides the two keys it has a column of its own: whether the hero is
// still training the power.
type HeroPowerLink struct {
	HeroID     int64 `sqlmodel:"pk,fk=hero.id"`
	PowerID    int64 `sqlmodel:"pk,fk=power.id"`
	IsTraining bool
}

// Mission belongs to a team and dies with it.
type Mission struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID int64 `sqlmodel:"fk=team.id,ondelete=cascade"`
}

// String prints a hero as the tutorial does.
func (h *Hero) String() string {
	age, team := "None", "None"
	if h.Age != nil {
		age = fmt.Sprint(*h.Age)
	}
	if h.TeamID != nil {
		team = fmt.Sprint(*h.TeamID)
	}
	return fmt.Sprintf("id=%d name='%s' secret_name='%s' age=%s team_id=%s", h.ID, h.Name, h.SecretName, age, team)
}

// String prints a team as the tutorial does.
func (t *Team) String() string {
	return fmt.Sprintf("id=%d name='%s' headquarters='%s'", t.ID, t.Name, t.Headquarters)
}

func main() {
	dsn := flag.String("dsn", os.Getenv("SQLMODEL_DSN"), "database DSN (default: SQLite in a temporary directory)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dsn); err != nil {
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

// tutorial holds what every step needs: the output, the database and the
// session of the current step.
type tutorial struct {
	ctx context.Context
	out io.Writer
	db  *orm.DB
}

func (t *tutorial) printf(format string, args ...any) { fmt.Fprintf(t.out, format+"\n", args...) }

func (t *tutorial) step(title string) { fmt.Fprintf(t.out, "\n== %s\n", title) }

// session runs fn with a fresh session, as the tutorial's `with
// Session(engine) as session:` blocks do, and closes it.
func (t *tutorial) session(fn func(s *orm.Session) error) error {
	s := orm.NewSession(t.db)
	defer s.Close()
	return fn(s)
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
	t := &tutorial{ctx: ctx, out: out, db: db}
	for _, step := range []func() error{
		t.createTables,
		t.createHeroes,
		t.selectHeroes,
		t.filterHeroes,
		t.oneHero,
		t.limitOffset,
		t.updateHeroes,
		t.deleteHero,
		t.createTeams,
		t.readRelationships,
		t.moveHero,
		t.deleteTeam,
		t.powers,
		t.linkModel,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// createTables starts from empty tables, so that the output is the same
// on every run, and creates them in foreign-key order.
func (t *tutorial) createTables() error {
	models := []any{&Hero{}, &Team{}, &Power{}, &HeroPowerLink{}, &Mission{}}
	if err := t.db.DropAll(t.ctx, models...); err != nil {
		return err
	}
	fmt.Fprintln(t.out, "== Create the tables")
	if err := t.db.CreateAll(t.ctx, models...); err != nil {
		return err
	}
	for _, table := range []string{"team", "hero", "power", "hero_power_link", "mission"} {
		m, ok := t.db.Registry().Table(table)
		if !ok {
			return fmt.Errorf("table %s is not registered", table)
		}
		t.printf("table %s: %s", table, strings.Join(m.Columns(), ", "))
	}
	return nil
}

func intp(v int) *int { return &v }

// createHeroes: the keys are empty before the commit and filled after it.
func (t *tutorial) createHeroes() error {
	t.step("Create heroes")
	return t.session(func(s *orm.Session) error {
		heroes := []*Hero{
			{Name: "Deadpond", SecretName: "Dive Wilson"},
			{Name: "Spider-Boy", SecretName: "Pedro Parqueador"},
			{Name: "Rusty-Man", SecretName: "Tommy Sharp", Age: intp(48)},
			{Name: "Tarantula", SecretName: "Natalia Roman-on", Age: intp(32)},
			{Name: "Black Lion", SecretName: "Trevor Challa", Age: intp(35)},
			{Name: "Dr. Weird", SecretName: "Steve Weird", Age: intp(36)},
			{Name: "Captain North America", SecretName: "Esteban Rogelios", Age: intp(93)},
		}
		t.printf("Before interacting with the database")
		for _, h := range heroes[:3] {
			t.printf("Hero: %v", h)
		}
		for _, h := range heroes {
			if err := s.Add(h); err != nil {
				return err
			}
		}
		st, _ := s.ObjectState(heroes[0])
		t.printf("After adding to the session: state %v, %d pending, ids %d %d %d", st, s.PendingNewCount(), heroes[0].ID, heroes[1].ID, heroes[2].ID)
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		st, _ = s.ObjectState(heroes[0])
		t.printf("After committing the session: state %v, ids %d %d %d", st, heroes[0].ID, heroes[1].ID, heroes[2].ID)
		for _, h := range heroes[:3] {
			if err := orm.Refresh(t.ctx, s, h); err != nil {
				return err
			}
			t.printf("Hero after refresh: %v", h)
		}
		return nil
	})
}

// selectHeroes reads every hero.
func (t *tutorial) selectHeroes() error {
	t.step("Select all heroes")
	return t.session(func(s *orm.Session) error {
		heroes, err := orm.Select[Hero](s).OrderBy("id").All(t.ctx)
		if err != nil {
			return err
		}
		for _, h := range heroes {
			t.printf("Hero: %v", h)
		}
		return nil
	})
}

// filterHeroes shows hand-written and typed conditions.
func (t *tutorial) filterHeroes() error {
	t.step("Filter with where")
	return t.session(func(s *orm.Session) error {
		queries := []struct {
			title string
			q     *orm.Query[Hero]
		}{
			{`where("name = ?", "Deadpond")`, orm.Select[Hero](s).Where("name = ?", "Deadpond")},
			{`where("name != ?", "Deadpond")`, orm.Select[Hero](s).Where("name <> ?", "Deadpond")},
			{`Col("age").Gt(35)`, orm.Select[Hero](s).Filter(orm.Col("age").Gt(35))},
			{`Col("age").Ge(35), Col("age").Lt(40)`, orm.Select[Hero](s).Filter(orm.Col("age").Ge(35), orm.Col("age").Lt(40))},
			{`Or(Col("age").Le(35), Col("age").Gt(90))`, orm.Select[Hero](s).Filter(orm.Or(orm.Col("age").Le(35), orm.Col("age").Gt(90)))},
			{`Col("age").IsNull()`, orm.Select[Hero](s).Filter(orm.Col("age").IsNull())},
		}
		for _, q := range queries {
			heroes, err := q.q.OrderBy("id").All(t.ctx)
			if err != nil {
				return err
			}
			t.printf("%s:", q.title)
			for _, h := range heroes {
				t.printf("  %v", h)
			}
		}
		return nil
	})
}

// oneHero reads single rows: First, One, OneOrNone and Get.
func (t *tutorial) oneHero() error {
	t.step("Read one row")
	return t.session(func(s *orm.Session) error {
		first, err := orm.Select[Hero](s).Filter(orm.Col("age").Le(35)).OrderBy("id").First(t.ctx)
		if err != nil {
			return err
		}
		t.printf("First hero with age <= 35: %v", first)

		_, err = orm.Select[Hero](s).Filter(orm.Col("age").Le(35)).One(t.ctx)
		t.printf("One hero with age <= 35: ErrMultipleRows: %v", errors.Is(err, orm.ErrMultipleRows))

		deadpond, err := orm.Select[Hero](s).Where("name = ?", "Deadpond").One(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Exactly one Deadpond: %v", deadpond)

		none, err := orm.Select[Hero](s).Where("name = ?", "Deadpooooool").OneOrNone(t.ctx)
		if err != nil {
			return err
		}
		t.printf("OneOrNone for Deadpooooool: %v", none)

		h, err := orm.Get[Hero](t.ctx, s, 1)
		if err != nil {
			return err
		}
		t.printf("Get(1): %v (the tracked pointer: %v)", h, h == deadpond)
		_, err = orm.Get[Hero](t.ctx, s, 9001)
		t.printf("Get(9001): ErrNotFound: %v", errors.Is(err, orm.ErrNotFound))
		return nil
	})
}

// limitOffset pages through the heroes three at a time.
func (t *tutorial) limitOffset() error {
	t.step("Limit and offset")
	return t.session(func(s *orm.Session) error {
		for offset := 0; offset < 9; offset += 3 {
			heroes, err := orm.Select[Hero](s).OrderBy("id").Limit(3).Offset(offset).All(t.ctx)
			if err != nil {
				return err
			}
			t.printf("Limit(3).Offset(%d): %d heroes", offset, len(heroes))
			for _, h := range heroes {
				t.printf("  %v", h)
			}
		}
		heroes, err := orm.Select[Hero](s).Filter(orm.Col("age").Gt(32)).OrderBy("id").Offset(1).Limit(2).All(t.ctx)
		if err != nil {
			return err
		}
		t.printf("age > 32, Offset(1).Limit(2):")
		for _, h := range heroes {
			t.printf("  %v", h)
		}
		return nil
	})
}

// updateHeroes changes fields in place; the UPDATE sets only the changed
// columns.
func (t *tutorial) updateHeroes() error {
	t.step("Update heroes")
	return t.session(func(s *orm.Session) error {
		spider, err := orm.Select[Hero](s).Where("name = ?", "Spider-Boy").One(t.ctx)
		if err != nil {
			return err
		}
		captain, err := orm.Select[Hero](s).Where("name = ?", "Captain North America").One(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Hero 1: %v", spider)
		t.printf("Hero 2: %v", captain)
		spider.Age = intp(16)
		spider.Name = "Spider-Youngster"
		captain.Name = "Captain North America Except Canada"
		captain.Age = intp(110)
		t.printf("Modified: %v and %v", s.ModifiedAttributes(spider), s.ModifiedAttributes(captain))
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("After commit: expired %v (the next Refresh, Get or query reloads it)", s.IsExpired(spider))
		if err := orm.Refresh(t.ctx, s, spider); err != nil {
			return err
		}
		if err := orm.Refresh(t.ctx, s, captain); err != nil {
			return err
		}
		t.printf("Updated hero 1: %v", spider)
		t.printf("Updated hero 2: %v", captain)
		t.printf("Nothing changed since: modified %v", s.IsModified(spider))
		return nil
	})
}

// deleteHero deletes Spider-Youngster and checks that he is gone.
func (t *tutorial) deleteHero() error {
	t.step("Delete a hero")
	return t.session(func(s *orm.Session) error {
		hero, err := orm.Select[Hero](s).Where("name = ?", "Spider-Youngster").One(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Hero: %v", hero)
		if err := s.Delete(hero); err != nil {
			return err
		}
		st, _ := s.ObjectState(hero)
		t.printf("State before commit: %v", st)
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		_, tracked := s.ObjectState(hero)
		t.printf("Deleted hero: %v (still tracked: %v)", hero, tracked)
		gone, err := orm.Select[Hero](s).Where("name = ?", "Spider-Youngster").OneOrNone(t.ctx)
		if err != nil {
			return err
		}
		if gone == nil {
			t.printf("There's no hero named Spider-Youngster")
		}
		return nil
	})
}
