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

// createTeams creates teams and relates heroes to them from both sides:
// Lazy on the hero (RelateToOne) and RelatedMany on the team (a new team
// added with its heroes).
func (t *tutorial) createTeams() error {
	t.step("Create teams and relate heroes")
	return t.session(func(s *orm.Session) error {
		preventers := &Team{Name: "Preventers", Headquarters: "Sharp Tower"}
		zforce := &Team{Name: "Z-Force", Headquarters: "Sister Margaret's Bar"}
		deadpond, err := orm.Select[Hero](s).Where("name = ?", "Deadpond").One(t.ctx)
		if err != nil {
			return err
		}
		rusty, err := orm.Select[Hero](s).Where("name = ?", "Rusty-Man").One(t.ctx)
		if err != nil {
			return err
		}
		// The teams are new: RelateToOne adds them to the session, and the
		// flush fills the heroes' team_id from their generated keys.
		if err := orm.RelateToOne(s, deadpond, heroTeam, zforce); err != nil {
			return err
		}
		if err := orm.RelateToOne(s, rusty, heroTeam, preventers); err != nil {
			return err
		}
		t.printf("Before commit: team ids %d %d, Deadpond.team_id %v", zforce.ID, preventers.ID, deadpond.TeamID)
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("Created team: %v", zforce)
		t.printf("Created team: %v", preventers)
		t.printf("Updated hero: %v", deadpond)
		t.printf("Updated hero: %v", rusty)

		// A new team with its heroes and missions, set on the team's side:
		// adding the team adds the new hero and missions (save cascade),
		// and the flush writes their team_id from the team's new key.
		blackLion, err := orm.Select[Hero](s).Where("name = ?", "Black Lion").One(t.ctx)
		if err != nil {
			return err
		}
		sureE := &Hero{Name: "Princess Sure-E", SecretName: "Sure-E"}
		wakaland := &Team{Name: "Wakaland", Headquarters: "Wakaland Capital City"}
		wakaland.Heroes.Set([]*Hero{blackLion, sureE})
		wakaland.Missions.Set([]*Mission{{Name: "Guard the capital"}, {Name: "Train the guard"}})
		if err := s.Add(wakaland); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		// The commit expired the team, relations included: load them again.
		if err := orm.Preload(t.ctx, s, []*Team{wakaland}, "Heroes", "Missions"); err != nil {
			return err
		}
		t.printf("Team Wakaland: %v", wakaland)
		for _, h := range wakaland.Heroes.Items() {
			t.printf("  hero: %v", h)
		}
		for _, m := range wakaland.Missions.Items() {
			t.printf("  mission: id=%d name='%s' team_id=%d", m.ID, m.Name, m.TeamID)
		}
		return nil
	})
}

func heroTeam(h *Hero) *orm.Lazy[Team]            { return &h.Team }
func teamHeroes(t *Team) *orm.RelatedMany[Hero]   { return &t.Heroes }
func heroPowers(h *Hero) *orm.RelatedMany[Power]  { return &h.Powers }
func powerHeroes(p *Power) *orm.RelatedMany[Hero] { return &p.Heroes }

// readRelationships loads relations explicitly: a single LoadLazy, then
// Preload for many objects with one query per relation.
func (t *tutorial) readRelationships() error {
	t.step("Read relationships")
	return t.session(func(s *orm.Session) error {
		rusty, err := orm.Select[Hero](s).Where("name = ?", "Rusty-Man").One(t.ctx)
		if err != nil {
			return err
		}
		_, loaded := rusty.Team.Get()
		t.printf("Rusty-Man's team loaded before LoadLazy: %v", loaded)
		if _, err := orm.LoadLazy(t.ctx, s, &rusty.Team); err != nil {
			return err
		}
		team, _ := rusty.Team.Get()
		t.printf("Rusty-Man's team: %v", team)

		teams, err := orm.Select[Team](s).OrderBy("id").Preload("Heroes").All(t.ctx)
		if err != nil {
			return err
		}
		for _, team := range teams {
			t.printf("%s heroes:", team.Name)
			for _, h := range team.Heroes.Items() {
				t.printf("  %v", h)
			}
		}
		t.printf("Rusty-Man is the same pointer in his team: %v", teams[1].Heroes.Items()[0] == rusty)
		return nil
	})
}

// moveHero moves Tarantula into Z-Force and then to the Preventers, and
// finally lets Dr. Weird leave his team. back_populates keeps the teams'
// loaded hero lists in step before anything is written.
func (t *tutorial) moveHero() error {
	t.step("Move a hero between teams")
	return t.session(func(s *orm.Session) error {
		teams, err := orm.Select[Team](s).Where("name IN (?)", []string{"Preventers", "Z-Force"}).OrderBy("id").Preload("Heroes").All(t.ctx)
		if err != nil {
			return err
		}
		zforce, preventers := teams[0], teams[1]
		tarantula, err := orm.Select[Hero](s).Where("name = ?", "Tarantula").One(t.ctx)
		if err != nil {
			return err
		}
		// Each commit expires the objects, relations included; names loads
		// the teams' heroes again when needed (one query for both teams).
		names := func(team *Team) string {
			if !team.Heroes.IsLoaded() {
				if err := orm.Preload(t.ctx, s, []*Team{zforce, preventers}, "Heroes"); err != nil {
					return err.Error()
				}
			}
			var n []string
			for _, h := range team.Heroes.Items() {
				n = append(n, h.Name)
			}
			return "[" + strings.Join(n, ", ") + "]"
		}
		if err := orm.RelateToOne(s, tarantula, heroTeam, zforce); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("Tarantula joins Z-Force: Z-Force %s, Preventers %s", names(zforce), names(preventers))

		if err := orm.RelateToOne(s, tarantula, heroTeam, preventers); err != nil {
			return err
		}
		t.printf("Moved, not yet committed: modified %v; Z-Force %s, Preventers %s", s.ModifiedAttributes(tarantula), names(zforce), names(preventers))
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		if err := orm.Refresh(t.ctx, s, tarantula); err != nil {
			return err
		}
		t.printf("Updated hero: %v", tarantula)

		weird, err := orm.Select[Hero](s).Where("name = ?", "Dr. Weird").One(t.ctx)
		if err != nil {
			return err
		}
		if err := orm.RelateToOne(s, weird, heroTeam, preventers); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("Dr. Weird joins the Preventers: %s", names(preventers))
		if err := orm.UnrelateFromOne(s, weird, heroTeam); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		if err := orm.Refresh(t.ctx, s, weird); err != nil {
			return err
		}
		t.printf("Dr. Weird leaves: %v; Preventers %s", weird, names(preventers))
		return nil
	})
}

// deleteTeam deletes Wakaland: its missions are deleted with it
// (cascade_delete), its heroes stay with team_id NULL (ON DELETE SET NULL).
func (t *tutorial) deleteTeam() error {
	t.step("Delete a team: cascade vs SET NULL")
	return t.session(func(s *orm.Session) error {
		wakaland, err := orm.Select[Team](s).Where("name = ?", "Wakaland").One(t.ctx)
		if err != nil {
			return err
		}
		missions, err := orm.Select[Mission](s).Filter(orm.Col("team_id").Eq(wakaland.ID)).Count(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Wakaland has %d missions", missions)
		if err := s.Delete(wakaland); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("Deleted team: %v", wakaland)
		missions, err = orm.Select[Mission](s).Count(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Missions left: %d (cascade_delete)", missions)
		heroes, err := orm.Select[Hero](s).Where("name IN (?)", []string{"Black Lion", "Princess Sure-E"}).OrderBy("id").All(t.ctx)
		if err != nil {
			return err
		}
		for _, h := range heroes {
			t.printf("Hero kept, without a team (SET NULL): %v", h)
		}
		return nil
	})
}

// powers relates heroes and powers many-to-many, from either side; one
// link row per pair.
func (t *tutorial) powers() error {
	t.step("Many-to-many: powers")
	return t.session(func(s *orm.Session) error {
		heroes, err := orm.Select[Hero](s).Where("name IN (?)", []string{"Deadpond", "Rusty-Man", "Tarantula"}).OrderBy("id").All(t.ctx)
		if err != nil {
			return err
		}
		deadpond, rusty, tarantula := heroes[0], heroes[1], heroes[2]
		healing := &Power{Name: "Healing Factor"}
		strength := &Power{Name: "Super Strength"}
		webs := &Power{Name: "Web Shooting"}
		if err := s.AddAll(healing, strength, webs); err != nil {
			return err
		}
		for _, rel := range []struct {
			hero  *Hero
			power *Power
		}{{deadpond, healing}, {deadpond, strength}, {rusty, strength}, {tarantula, webs}} {
			if err := orm.RelateManyToMany(s, rel.hero, heroPowers, rel.power); err != nil {
				return err
			}
		}
		// The same pair from the other side: still one link row.
		if err := orm.RelateManyToMany(s, strength, powerHeroes, rusty); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		links, err := orm.Select[HeroPowerLink](s).Count(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Link rows: %d", links)
		return t.printPowers(s)
	})
}

// printPowers loads every hero's powers with one query and prints them.
func (t *tutorial) printPowers(s *orm.Session) error {
	heroes, err := orm.Select[Hero](s).OrderBy("id").Preload("Powers").All(t.ctx)
	if err != nil {
		return err
	}
	for _, h := range heroes {
		var names []string
		for _, p := range h.Powers.Items() {
			names = append(names, p.Name)
		}
		if len(names) > 0 {
			t.printf("%s: %s", h.Name, strings.Join(names, ", "))
		}
	}
	return nil
}

// linkModel works with the link rows as objects: is_training is a column
// of the link model, changed and queried like any other.
func (t *tutorial) linkModel() error {
	t.step("The link model: is_training")
	return t.session(func(s *orm.Session) error {
		tarantula, err := orm.Select[Hero](s).Where("name = ?", "Tarantula").One(t.ctx)
		if err != nil {
			return err
		}
		strength, err := orm.Select[Power](s).Where("name = ?", "Super Strength").One(t.ctx)
		if err != nil {
			return err
		}
		// A link row added as an object, with its extra column.
		if err := s.Add(&HeroPowerLink{HeroID: tarantula.ID, PowerID: strength.ID, IsTraining: true}); err != nil {
			return err
		}
		// A link row written by Link gets is_training = false; change it.
		rusty, err := orm.Select[Hero](s).Where("name = ?", "Rusty-Man").One(t.ctx)
		if err != nil {
			return err
		}
		link, err := orm.GetByPK[HeroPowerLink](t.ctx, s, rusty.ID, strength.ID)
		if err != nil {
			return err
		}
		link.IsTraining = true
		t.printf("Modified link: %v", s.ModifiedAttributes(link))
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		training, err := orm.Select[HeroPowerLink](s).Filter(orm.Col("is_training").Eq(true)).OrderBy("hero_id", "power_id").All(t.ctx)
		if err != nil {
			return err
		}
		for _, l := range training {
			t.printf("Training: hero_id=%d power_id=%d is_training=%v", l.HeroID, l.PowerID, l.IsTraining)
		}

		// Unlinking and deleting a hero remove their link rows.
		deadpond, err := orm.Select[Hero](s).Where("name = ?", "Deadpond").One(t.ctx)
		if err != nil {
			return err
		}
		if err := orm.UnrelateManyToMany(s, deadpond, heroPowers, strength); err != nil {
			return err
		}
		if err := s.Delete(rusty); err != nil {
			return err
		}
		if err := s.Commit(t.ctx); err != nil {
			return err
		}
		t.printf("Deadpond gives up Super Strength; Rusty-Man is deleted")
		links, err := orm.Select[HeroPowerLink](s).Count(t.ctx)
		if err != nil {
			return err
		}
		t.printf("Link rows: %d", links)
		return t.printPowers(s)
	})
}
