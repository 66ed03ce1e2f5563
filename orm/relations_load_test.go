package orm_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Loading relationships (issue 6, DESIGN §3 and §5.10): LoadLazy, LoadMany,
// LoadOneToMany, LoadManyToMany and Preload go through the identity map,
// batch with IN, chunk under the bind limit and cache "loaded, empty".
// Every name of this file and of n1_test.go starts with "rl", every table
// with "rl_".

// The SQLModel tutorial's world.

type rlTeam struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique"`
	Headquarters string
	Heroes       orm.RelatedMany[rlHero] `sqlmodel:"back_populates=Team,order_by=name"`
}

func (rlTeam) TableName() string { return "rl_team" }

type rlHero struct {
	ID         int64  `sqlmodel:"pk"`
	Name       string `sqlmodel:"index"`
	SecretName string
	Age        *int
	TeamID     *int64                   `sqlmodel:"fk=rl_team.id,ondelete=set null"`
	Team       orm.Lazy[rlTeam]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers     orm.RelatedMany[rlPower] `sqlmodel:"link=rl_hero_power"`
}

func (rlHero) TableName() string { return "rl_hero" }

type rlPower struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func (rlPower) TableName() string { return "rl_power" }

// rlSidekick's relation to its hero refuses single lazy loads.
type rlSidekick struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	HeroID *int64
	Hero   orm.Lazy[rlHero] `sqlmodel:"fk=HeroID,lazy=raise"`
}

func (rlSidekick) TableName() string { return "rl_sidekick" }

// A many-to-many between two models with two-column primary keys.

type rlSquad struct {
	Region   string `sqlmodel:"pk,size=20"`
	Num      int64  `sqlmodel:"pk"`
	Name     string
	Missions orm.RelatedMany[rlMission] `sqlmodel:"link=rl_squad_mission(squad_region;squad_num,mission_code;mission_year)"`
}

func (rlSquad) TableName() string { return "rl_squad" }

type rlMission struct {
	Code  string `sqlmodel:"pk,size=20"`
	Year  int    `sqlmodel:"pk"`
	Title string
}

func (rlMission) TableName() string { return "rl_mission" }

// Cheap models for the chunking test.

type rlChunkOwner struct {
	ID int64 `sqlmodel:"pk"`
}

func (rlChunkOwner) TableName() string { return "rl_chunk_owner" }

type rlChunkItem struct {
	ID      int64 `sqlmodel:"pk"`
	OwnerID *int64
	Owner   orm.Lazy[rlChunkOwner] `sqlmodel:"fk=OwnerID"`
}

func (rlChunkItem) TableName() string { return "rl_chunk_item" }

const rlTeamSelect = `SELECT "id", "name", "headquarters" FROM "rl_team"`
const rlHeroSelect = `SELECT "id", "name", "secret_name", "age", "team_id" FROM "rl_hero"`

func rlI64(v int64) *int64 { return &v }
func rlInt(v int) *int     { return &v }

// rlQ turns a neutral statement ("double quotes", ? placeholders) into the
// dialect's text.
func rlQ(db *orm.DB, s string) string {
	d := db.Dialect()
	var b strings.Builder
	n := 0
	inLit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			inLit = !inLit
		case inLit:
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			b.WriteString(d.Quote(s[i+1 : i+1+j]))
			i += j + 1
			continue
		case c == '?':
			n++
			b.WriteString(d.Placeholder(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// rlExec runs a neutral statement on the pool, outside every session.
func rlExec(t testing.TB, ctx context.Context, db *orm.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(ctx, rlQ(db, q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// rlCreate creates the tables of the tutorial world (and the link table).
func rlCreate(t testing.TB, db *orm.DB, models ...any) context.Context {
	t.Helper()
	ctx := context.Background()
	if len(models) == 0 {
		models = []any{&rlTeam{}, &rlHero{}, &rlPower{}}
	}
	if err := db.CreateAll(ctx, models...); err != nil {
		t.Fatalf("CreateAll: %v", err)
	}
	return ctx
}

// rlSeed writes objs with Add and one Commit in a session of its own.
func rlSeed(t testing.TB, ctx context.Context, db *orm.DB, objs ...any) {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	if err := s.AddAll(objs...); err != nil {
		t.Fatalf("AddAll: %v", err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatalf("seed Commit: %v", err)
	}
}

// rlSession opens a session on db that is closed when the test ends.
func rlSession(t testing.TB, db *orm.DB) *orm.Session {
	t.Helper()
	s := orm.NewSession(db)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("session Close: %v", err)
		}
	})
	return s
}

// rlLink inserts link rows (hero id, power id) with raw SQL.
func rlLink(t testing.TB, ctx context.Context, db *orm.DB, pairs ...[2]int64) {
	t.Helper()
	for len(pairs) > 0 {
		n := min(len(pairs), 500)
		q := `INSERT INTO "rl_hero_power" ("rl_hero_id", "rl_power_id") VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ")
		args := make([]any, 0, 2*n)
		for _, p := range pairs[:n] {
			args = append(args, p[0], p[1])
		}
		rlExec(t, ctx, db, q, args...)
		pairs = pairs[n:]
	}
}

// rlInsertDangling inserts a hero whose team_id references no team: the
// foreign key is dropped on PostgreSQL and MySQL, and switched off for one
// connection on SQLite.
func rlInsertDangling(t *testing.T, ctx context.Context, db *orm.DB, id, teamID int64, name string) {
	t.Helper()
	q := rlQ(db, `INSERT INTO "rl_hero" ("id", "name", "secret_name", "team_id") VALUES (?, ?, ?, ?)`)
	args := []any{id, name, "Nobody", teamID}
	if db.Dialect().Name() == "sqlite" {
		c, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, st := range []string{"PRAGMA foreign_keys = OFF", q, "PRAGMA foreign_keys = ON"} {
			a := []any(nil)
			if st == q {
				a = args
			}
			if _, err := c.ExecContext(ctx, st, a...); err != nil {
				t.Fatalf("%s: %v", st, err)
			}
		}
		return
	}
	m, ok := db.Registry().Lookup(reflect.TypeFor[rlHero]())
	if !ok {
		t.Fatal("rlHero is not registered")
	}
	dropped := false
	for _, fk := range m.ForeignKeys {
		if slices.Equal(fk.Columns, []string{"team_id"}) {
			if _, err := db.ExecContext(ctx, db.Dialect().DropForeignKey(m, fk)); err != nil {
				t.Fatalf("drop %s: %v", fk.Name, err)
			}
			dropped = true
		}
	}
	if !dropped {
		t.Fatalf("rl_hero has no foreign key on team_id: %+v", m.ForeignKeys)
	}
	if _, err := db.ExecContext(ctx, q, args...); err != nil {
		t.Fatalf("insert dangling hero: %v", err)
	}
}

// rlSQL returns the statements recorded since the last Reset (transaction
// control left out).
func rlSQL(rec *testkit.Recorder) []orm.QueryEvent {
	var out []orm.QueryEvent
	for _, e := range rec.Events() {
		if e.Op == "exec" || e.Op == "query" {
			out = append(out, e)
		}
	}
	return out
}

// rlOne checks that exactly one statement was recorded, with the given
// neutral text and arguments.
func rlOne(t *testing.T, db *orm.DB, rec *testkit.Recorder, neutral string, args ...any) {
	t.Helper()
	evs := rlSQL(rec)
	if len(evs) != 1 {
		t.Fatalf("%d statements, want 1:\n%s", len(evs), rec.Dump())
	}
	if want := rlQ(db, neutral); evs[0].Query != want {
		t.Errorf("SQL:\n got  %s\n want %s", evs[0].Query, want)
	}
	if got, want := fmt.Sprint(evs[0].Args), fmt.Sprint(append([]any(nil), args...)); got != want {
		t.Errorf("args = %s, want %s", got, want)
	}
}

// rlNone checks that nothing at all reached the database.
func rlNone(t *testing.T, rec *testkit.Recorder, what string) {
	t.Helper()
	if n := rec.Count(); n != 0 {
		t.Errorf("%s sent %d statement(s), want none:\n%s", what, n, rec.Dump())
	}
}

func rlHeroes(t *testing.T, ctx context.Context, s *orm.Session) []*rlHero {
	t.Helper()
	hs, err := orm.Select[rlHero](s).OrderBy("id").All(ctx)
	if err != nil {
		t.Fatalf("select heroes: %v", err)
	}
	return hs
}

func rlTeamOf(t *testing.T, h *rlHero) *rlTeam {
	t.Helper()
	team, loaded := h.Team.Get()
	if !loaded {
		t.Fatalf("hero %d (%s): Team not loaded", h.ID, h.Name)
	}
	return team
}

func rlPowerIDs(ps []*rlPower) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	slices.Sort(out)
	return out
}

func rlHeroNames(hs []*rlHero) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return out
}

func TestRlLoadManyManyToOne(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlCreate(t, db)
		rlSeed(t, ctx, db,
			&rlTeam{ID: 1, Name: "Preventers", Headquarters: "Sharp Tower"},
			&rlTeam{ID: 2, Name: "Z-Force", Headquarters: "Sister Margaret's Bar"},
			&rlTeam{ID: 3, Name: "Unused", Headquarters: "Nowhere"},
		)
		rlSeed(t, ctx, db,
			&rlHero{ID: 1, Name: "Rusty-Man", SecretName: "Tommy Sharp", Age: rlInt(48), TeamID: rlI64(1)},
			&rlHero{ID: 2, Name: "Deadpond", SecretName: "Dive Wilson", TeamID: rlI64(2)},
			&rlHero{ID: 3, Name: "Tarantula", SecretName: "Natalia Roman-on", Age: rlInt(32), TeamID: rlI64(1)},
			&rlHero{ID: 4, Name: "Spider-Boy", SecretName: "Pedro Parqueador"},
		)
		rlInsertDangling(t, ctx, db, 5, 999, "Lost")

		rdb, rec := testkit.Record(db)
		s := rlSession(t, rdb)
		heroes := rlHeroes(t, ctx, s)
		if len(heroes) != 5 {
			t.Fatalf("%d heroes, want 5", len(heroes))
		}
		rec.Reset()
		n, err := orm.LoadMany(ctx, s, heroes, func(h *rlHero) *orm.Lazy[rlTeam] { return &h.Team })
		if err != nil {
			t.Fatal(err)
		}
		// One IN with the three distinct non-null keys, in first-seen order.
		rlOne(t, db, rec, rlTeamSelect+` WHERE "id" IN (?, ?, ?)`, 1, 2, 999)
		if n != 2 {
			t.Errorf("LoadMany = %d, want 2 distinct teams", n)
		}
		t1, t2 := rlTeamOf(t, heroes[0]), rlTeamOf(t, heroes[1])
		if t1 == nil || t1.ID != 1 || t1.Name != "Preventers" || t2 == nil || t2.ID != 2 {
			t.Fatalf("teams = %+v, %+v", t1, t2)
		}
		if t3 := rlTeamOf(t, heroes[2]); t3 != t1 {
			t.Errorf("heroes of team 1 hold different pointers %p and %p", t1, t3)
		}
		for _, h := range heroes[3:] {
			if got, loaded := h.Team.Get(); got != nil || !loaded {
				t.Errorf("hero %d (team_id %v): Team.Get() = %p, %v; want nil, true", h.ID, h.TeamID, got, loaded)
			}
		}

		// Loaded teams are the tracked instances.
		rec.Reset()
		g, err := orm.Get[rlTeam](ctx, s, 1)
		if err != nil || g != t1 {
			t.Errorf("Get team 1 = %p, %v; want %p", g, err, t1)
		}
		rlNone(t, rec, "Get of a loaded team")

		// Every relation is loaded: nothing to do, nothing sent.
		n, err = orm.LoadMany(ctx, s, heroes, func(h *rlHero) *orm.Lazy[rlTeam] { return &h.Team })
		if err != nil || n != 0 {
			t.Errorf("second LoadMany = %d, %v; want 0, nil", n, err)
		}
		rlNone(t, rec, "second LoadMany")

		// Targets the session already tracks are not queried again.
		s2 := rlSession(t, rdb)
		pre1, err := orm.Get[rlTeam](ctx, s2, 1)
		if err != nil {
			t.Fatal(err)
		}
		pre2, err := orm.Get[rlTeam](ctx, s2, 2)
		if err != nil {
			t.Fatal(err)
		}
		heroes2 := rlHeroes(t, ctx, s2)
		rec.Reset()
		n, err = orm.LoadMany(ctx, s2, heroes2[:4], func(h *rlHero) *orm.Lazy[rlTeam] { return &h.Team })
		if err != nil || n != 2 {
			t.Errorf("LoadMany of tracked targets = %d, %v; want 2, nil", n, err)
		}
		rlNone(t, rec, "LoadMany of tracked targets")
		if rlTeamOf(t, heroes2[0]) != pre1 || rlTeamOf(t, heroes2[2]) != pre1 || rlTeamOf(t, heroes2[1]) != pre2 {
			t.Error("LoadMany did not use the tracked teams")
		}
		// A mix: only the key not tracked is asked for.
		rec.Reset()
		n, err = orm.LoadMany(ctx, s2, heroes2, func(h *rlHero) *orm.Lazy[rlTeam] { return &h.Team })
		if err != nil || n != 0 {
			t.Errorf("LoadMany of the rest = %d, %v; want 0 (only the dangling key), nil", n, err)
		}
		rlOne(t, db, rec, rlTeamSelect+` WHERE "id" IN (?)`, 999)
		if got, loaded := heroes2[4].Team.Get(); got != nil || !loaded {
			t.Errorf("dangling hero: Team.Get() = %p, %v; want nil, true", got, loaded)
		}
	})
}

func TestRlLoadOneToMany(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlCreate(t, db)
		rlSeed(t, ctx, db,
			&rlTeam{ID: 1, Name: "Empty", Headquarters: "-"},
			&rlTeam{ID: 2, Name: "Solo", Headquarters: "Garage"},
			&rlTeam{ID: 3, Name: "Trio", Headquarters: "Tower"},
		)
		// The ids of team 3's heroes are not in name order.
		rlSeed(t, ctx, db,
			&rlHero{ID: 1, Name: "Lonely", SecretName: "L", TeamID: rlI64(2)},
			&rlHero{ID: 2, Name: "Zeta", SecretName: "Z", TeamID: rlI64(3)},
			&rlHero{ID: 3, Name: "Alpha", SecretName: "A", TeamID: rlI64(3)},
			&rlHero{ID: 4, Name: "Mid", SecretName: "M", TeamID: rlI64(3)},
			&rlHero{ID: 5, Name: "Free", SecretName: "F"},
		)
		rdb, rec := testkit.Record(db)
		s := rlSession(t, rdb)
		teams, err := orm.Select[rlTeam](s).OrderBy("id").All(ctx)
		if err != nil || len(teams) != 3 {
			t.Fatalf("teams = %d, %v", len(teams), err)
		}
		rec.Reset()
		n, err := orm.LoadOneToMany(ctx, s, teams, func(t *rlTeam) *orm.RelatedMany[rlHero] { return &t.Heroes })
		if err != nil {
			t.Fatal(err)
		}
		rlOne(t, db, rec, rlHeroSelect+` WHERE "team_id" IN (?, ?, ?) ORDER BY "name"`, 1, 2, 3)
		if n != 4 {
			t.Errorf("LoadOneToMany = %d, want 4 children", n)
		}
		want := [][]string{{}, {"Lonely"}, {"Alpha", "Mid", "Zeta"}}
		for i, team := range teams {
			hs, loaded := team.Heroes.Get()
			if !loaded || hs == nil {
				t.Errorf("team %d: Heroes.Get() = %v, %v; want a loaded, non-nil slice", team.ID, hs, loaded)
				continue
			}
			if got := rlHeroNames(hs); !slices.Equal(got, want[i]) {
				t.Errorf("team %d heroes = %q, want %q (order_by=name)", team.ID, got, want[i])
			}
			if team.Heroes.Len() != len(want[i]) || !team.Heroes.IsLoaded() {
				t.Errorf("team %d: Len = %d, IsLoaded = %v", team.ID, team.Heroes.Len(), team.Heroes.IsLoaded())
			}
			for _, h := range hs {
				if h.TeamID == nil || *h.TeamID != team.ID {
					t.Errorf("hero %s grouped under team %d, team_id %v", h.Name, team.ID, h.TeamID)
				}
			}
		}

		// The children are the tracked instances.
		rec.Reset()
		for _, h := range teams[2].Heroes.Items() {
			g, err := orm.Get[rlHero](ctx, s, h.ID)
			if err != nil || g != h {
				t.Errorf("Get hero %d = %p, %v; want %p", h.ID, g, err, h)
			}
		}
		rlNone(t, rec, "Get of loaded heroes")

		// Loaded, even when empty: no second query.
		n, err = orm.LoadOneToMany(ctx, s, teams, func(t *rlTeam) *orm.RelatedMany[rlHero] { return &t.Heroes })
		if err != nil || n != 0 {
			t.Errorf("second LoadOneToMany = %d, %v", n, err)
		}
		rlNone(t, rec, "second LoadOneToMany")

		// Children loaded first come back as the same pointers.
		s2 := rlSession(t, rdb)
		alpha, err := orm.Get[rlHero](ctx, s2, 3)
		if err != nil {
			t.Fatal(err)
		}
		trio, err := orm.Get[rlTeam](ctx, s2, 3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := orm.LoadOneToMany(ctx, s2, []*rlTeam{trio, trio}, func(t *rlTeam) *orm.RelatedMany[rlHero] { return &t.Heroes }); err != nil {
			t.Fatal(err)
		}
		if hs := trio.Heroes.Items(); len(hs) != 3 || hs[0] != alpha {
			t.Errorf("trio heroes = %q, first %p; want Alpha as %p", rlHeroNames(hs), hs[0], alpha)
		}

		// The loader for another kind of relation refuses.
		if _, err := orm.LoadOneToMany(ctx, s, []*rlHero{alpha}, func(h *rlHero) *orm.RelatedMany[rlPower] { return &h.Powers }); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Errorf("LoadOneToMany of a many-to-many: %v, want ErrInvalidArgument", err)
		}
	})
}

func TestRlLoadManyToMany(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlCreate(t, db)
		rlSeed(t, ctx, db,
			&rlHero{ID: 1, Name: "Nobody", SecretName: "N"},
			&rlHero{ID: 2, Name: "Single", SecretName: "S"},
			&rlHero{ID: 3, Name: "Double", SecretName: "D"},
			&rlPower{ID: 1, Name: "Flight"},
			&rlPower{ID: 2, Name: "Strength"},
			&rlPower{ID: 3, Name: "Unused"},
		)
		rlLink(t, ctx, db, [2]int64{2, 2}, [2]int64{3, 1}, [2]int64{3, 2})

		rdb, rec := testkit.Record(db)
		s := rlSession(t, rdb)
		heroes := rlHeroes(t, ctx, s)
		rec.Reset()
		n, err := orm.LoadManyToMany(ctx, s, heroes, func(h *rlHero) *orm.RelatedMany[rlPower] { return &h.Powers })
		if err != nil {
			t.Fatal(err)
		}
		rlOne(t, db, rec, `SELECT "rl_power"."id", "rl_power"."name", "rl_hero_power"."rl_hero_id" FROM "rl_power" JOIN "rl_hero_power" ON "rl_hero_power"."rl_power_id" = "rl_power"."id" WHERE "rl_hero_power"."rl_hero_id" IN (?, ?, ?)`, 1, 2, 3)
		if n != 2 {
			t.Errorf("LoadManyToMany = %d, want 2 distinct powers", n)
		}
		want := [][]int64{{}, {2}, {1, 2}}
		for i, h := range heroes {
			ps, loaded := h.Powers.Get()
			if !loaded || ps == nil {
				t.Errorf("hero %d: Powers.Get() = %v, %v; want loaded, non-nil", h.ID, ps, loaded)
				continue
			}
			if got := rlPowerIDs(ps); !slices.Equal(got, want[i]) {
				t.Errorf("hero %d powers = %v, want %v", h.ID, got, want[i])
			}
		}
		var strength2, strength3 *rlPower
		for _, p := range heroes[1].Powers.Items() {
			strength2 = p
		}
		for _, p := range heroes[2].Powers.Items() {
			if p.ID == 2 {
				strength3 = p
			}
		}
		if strength2 == nil || strength2 != strength3 || strength2.Name != "Strength" {
			t.Errorf("Strength is %p and %p, want one shared instance", strength2, strength3)
		}
		rec.Reset()
		if g, err := orm.Get[rlPower](ctx, s, 2); err != nil || g != strength2 {
			t.Errorf("Get power 2 = %p, %v; want %p", g, err, strength2)
		}
		rlNone(t, rec, "Get of a loaded power")
		if n, err := orm.LoadManyToMany(ctx, s, heroes, func(h *rlHero) *orm.RelatedMany[rlPower] { return &h.Powers }); err != nil || n != 0 {
			t.Errorf("second LoadManyToMany = %d, %v", n, err)
		}
		rlNone(t, rec, "second LoadManyToMany")
	})
}

func TestRlLoadManyToManyCompositeKeys(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlCreate(t, db, &rlSquad{}, &rlMission{})
		rlSeed(t, ctx, db,
			&rlSquad{Region: "EU", Num: 1, Name: "EU one"},
			&rlSquad{Region: "EU", Num: 2, Name: "EU two"},
			&rlSquad{Region: "US", Num: 1, Name: "US one"},
			&rlMission{Code: "M1", Year: 2020, Title: "M1 of 2020"},
			&rlMission{Code: "M1", Year: 2021, Title: "M1 of 2021"},
			&rlMission{Code: "M2", Year: 2020, Title: "M2 of 2020"},
		)
		for _, l := range [][4]any{{"EU", 1, "M1", 2020}, {"EU", 1, "M1", 2021}, {"EU", 2, "M1", 2020}, {"US", 1, "M2", 2020}} {
			rlExec(t, ctx, db, `INSERT INTO "rl_squad_mission" ("squad_region", "squad_num", "mission_code", "mission_year") VALUES (?, ?, ?, ?)`, l[:]...)
		}
		// A squad without missions.
		rlSeed(t, ctx, db, &rlSquad{Region: "US", Num: 2, Name: "US two"})

		rdb, rec := testkit.Record(db)
		s := rlSession(t, rdb)
		squads, err := orm.Select[rlSquad](s).OrderBy("region", "num").All(ctx)
		if err != nil || len(squads) != 4 {
			t.Fatalf("squads = %d, %v", len(squads), err)
		}
		rec.Reset()
		n, err := orm.LoadManyToMany(ctx, s, squads, func(q *rlSquad) *orm.RelatedMany[rlMission] { return &q.Missions })
		if err != nil {
			t.Fatal(err)
		}
		rlOne(t, db, rec, `SELECT "rl_mission"."code", "rl_mission"."year", "rl_mission"."title", "rl_squad_mission"."squad_region", "rl_squad_mission"."squad_num" FROM "rl_mission" JOIN "rl_squad_mission" ON "rl_squad_mission"."mission_code" = "rl_mission"."code" AND "rl_squad_mission"."mission_year" = "rl_mission"."year" WHERE ("rl_squad_mission"."squad_region", "rl_squad_mission"."squad_num") IN ((?, ?), (?, ?), (?, ?), (?, ?))`,
			"EU", 1, "EU", 2, "US", 1, "US", 2)
		if n != 3 {
			t.Errorf("LoadManyToMany = %d, want 3 distinct missions", n)
		}
		key := func(m *rlMission) string { return fmt.Sprintf("%s/%d", m.Code, m.Year) }
		want := [][]string{{"M1/2020", "M1/2021"}, {"M1/2020"}, {"M2/2020"}, {}}
		byKey := map[string]*rlMission{}
		for i, q := range squads {
			ms, loaded := q.Missions.Get()
			if !loaded || ms == nil {
				t.Errorf("squad %s/%d: Missions.Get() = %v, %v", q.Region, q.Num, ms, loaded)
				continue
			}
			got := []string{}
			for _, m := range ms {
				got = append(got, key(m))
				if prev, ok := byKey[key(m)]; ok && prev != m {
					t.Errorf("mission %s loaded as two instances", key(m))
				}
				byKey[key(m)] = m
			}
			slices.Sort(got)
			if !slices.Equal(got, want[i]) {
				t.Errorf("squad %s/%d missions = %q, want %q", q.Region, q.Num, got, want[i])
			}
		}
		rec.Reset()
		for k, m := range byKey {
			g, err := orm.GetByPK[rlMission](ctx, s, m.Code, m.Year)
			if err != nil || g != m {
				t.Errorf("GetByPK %s = %p, %v; want %p", k, g, err, m)
			}
		}
		rlNone(t, rec, "GetByPK of loaded missions")
	})
}

// rlSeedThousand writes 10 teams, 5 powers and 1,000 heroes (Add and one
// Commit), every hero but each tenth in a team, hero i with i%3 powers.
// It returns the expected team id (0: none) and power ids per hero id.
func rlSeedThousand(t *testing.T, ctx context.Context, db *orm.DB) (map[int64]int64, map[int64][]int64) {
	t.Helper()
	var objs []any
	for i := int64(1); i <= 10; i++ {
		objs = append(objs, &rlTeam{ID: i, Name: fmt.Sprintf("Team %02d", i), Headquarters: "HQ"})
	}
	for i := int64(1); i <= 5; i++ {
		objs = append(objs, &rlPower{ID: i, Name: fmt.Sprintf("Power %d", i)})
	}
	rlSeed(t, ctx, db, objs...)
	heroes := make([]any, 1000)
	hs := make([]*rlHero, 1000)
	for i := range hs {
		h := &rlHero{Name: fmt.Sprintf("Hero %04d", i), SecretName: "secret"}
		if i%10 != 0 {
			h.TeamID = rlI64(int64(i%10) + 1)
		}
		hs[i], heroes[i] = h, h
	}
	rlSeed(t, ctx, db, heroes...)
	teamOf := map[int64]int64{}
	powersOf := map[int64][]int64{}
	var pairs [][2]int64
	for i, h := range hs {
		if h.ID == 0 {
			t.Fatalf("hero %d has no id after commit", i)
		}
		if h.TeamID != nil {
			teamOf[h.ID] = *h.TeamID
		}
		ps := []int64{}
		for k := 0; k < i%3; k++ {
			p := int64((i+k)%5) + 1
			ps = append(ps, p)
			pairs = append(pairs, [2]int64{h.ID, p})
		}
		slices.Sort(ps)
		powersOf[h.ID] = ps
	}
	rlLink(t, ctx, db, pairs...)
	return teamOf, powersOf
}

func TestRlPreloadThousandHeroes(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlCreate(t, db)
		teamOf, powersOf := rlSeedThousand(t, ctx, db)

		rdb, rec := testkit.Record(db)
		s := rlSession(t, rdb)
		heroes, err := orm.Select[rlHero](s).Preload("Team", "Powers").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		evs := rlSQL(rec)
		if len(evs) != 3 || rec.Count() != 3 {
			t.Fatalf("%d statements (%d events), want 3 (heroes, teams, powers):\n%s", len(evs), rec.Count(), rec.Dump())
		}
		for i, want := range []string{`FROM "rl_hero"`, `FROM "rl_team" WHERE "id" IN (`, `JOIN "rl_hero_power"`} {
			if !strings.Contains(evs[i].Query, rlQ(db, want)) {
				t.Errorf("statement %d = %s, want it to contain %s", i+1, evs[i].Query, rlQ(db, want))
			}
		}
		if len(evs[1].Args) != 9 || len(evs[2].Args) != 1000 {
			t.Errorf("IN sizes = %d teams, %d heroes; want 9, 1000", len(evs[1].Args), len(evs[2].Args))
		}
		if len(heroes) != 1000 {
			t.Fatalf("%d heroes", len(heroes))
		}
		teams := map[int64]*rlTeam{}
		for _, h := range heroes {
			team := rlTeamOf(t, h)
			switch {
			case teamOf[h.ID] == 0 && team != nil:
				t.Fatalf("hero %d without a team has team %d", h.ID, team.ID)
			case teamOf[h.ID] != 0 && (team == nil || team.ID != teamOf[h.ID]):
				t.Fatalf("hero %d: team %+v, want %d", h.ID, team, teamOf[h.ID])
			}
			if team != nil {
				if prev, ok := teams[team.ID]; ok && prev != team {
					t.Fatalf("team %d loaded as two instances", team.ID)
				}
				teams[team.ID] = team
			}
			ps, loaded := h.Powers.Get()
			if !loaded || !slices.Equal(rlPowerIDs(ps), powersOf[h.ID]) {
				t.Fatalf("hero %d powers = %v (loaded %v), want %v", h.ID, rlPowerIDs(ps), loaded, powersOf[h.ID])
			}
		}
		if len(teams) != 9 {
			t.Errorf("%d teams loaded, want 9", len(teams))
		}

		// Same pointers as Get, without SQL.
		rec.Reset()
		for id, team := range teams {
			if g, err := orm.Get[rlTeam](ctx, s, id); err != nil || g != team {
				t.Fatalf("Get team %d = %p, %v; want %p", id, g, err, team)
			}
		}
		for _, h := range heroes[:50] {
			if g, err := orm.Get[rlHero](ctx, s, h.ID); err != nil || g != h {
				t.Fatalf("Get hero %d = %p, %v; want %p", h.ID, g, err, h)
			}
			for _, p := range h.Powers.Items() {
				if g, err := orm.Get[rlPower](ctx, s, p.ID); err != nil || g != p {
					t.Fatalf("Get power %d = %p, %v; want %p", p.ID, g, err, p)
				}
			}
		}
		rlNone(t, rec, "Get of preloaded objects")

		// The nested level adds one statement; the loaded levels none.
		if err := orm.Preload(ctx, s, heroes, "Team", "Powers", "Team.Heroes"); err != nil {
			t.Fatal(err)
		}
		evs = rlSQL(rec)
		if len(evs) != 1 || !strings.Contains(evs[0].Query, rlQ(db, `FROM "rl_hero" WHERE "team_id" IN (`)) || len(evs[0].Args) != 9 {
			t.Fatalf("Team.Heroes sent:\n%s\nwant one IN of 9 teams", rec.Dump())
		}
		byID := map[int64]*rlHero{}
		for _, h := range heroes {
			byID[h.ID] = h
		}
		total := 0
		for id, team := range teams {
			hs, loaded := team.Heroes.Get()
			if !loaded {
				t.Fatalf("team %d: Heroes not loaded", id)
			}
			total += len(hs)
			if !slices.IsSortedFunc(hs, func(a, b *rlHero) int { return strings.Compare(a.Name, b.Name) }) {
				t.Errorf("team %d heroes are not ordered by name", id)
			}
			for _, h := range hs {
				if byID[h.ID] != h || teamOf[h.ID] != id {
					t.Fatalf("team %d holds hero %d (%p), want the tracked %p of team %d", id, h.ID, h, byID[h.ID], teamOf[h.ID])
				}
			}
		}
		if total != 900 {
			t.Errorf("teams hold %d heroes, want 900", total)
		}

		// From scratch, three levels in one Select: 4 statements.
		s2 := rlSession(t, rdb)
		rec.Reset()
		heroes2, err := orm.Select[rlHero](s2).Preload("Team", "Powers", "Team.Heroes").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(rlSQL(rec)); n != 4 || rec.Count() != 4 {
			t.Errorf("Select.Preload(Team, Powers, Team.Heroes) sent %d statements, want 4:\n%s", n, rec.Dump())
		}
		if team := rlTeamOf(t, heroes2[1]); team == nil || !slices.Contains(team.Heroes.Items(), heroes2[1]) {
			t.Errorf("hero %d is not among its team's heroes", heroes2[1].ID)
		}
	})
}

func TestRlPreloadErrors(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlCreate(t, db)
		rlSeed(t, ctx, db, &rlTeam{ID: 1, Name: "T"}, &rlHero{ID: 1, Name: "H", TeamID: rlI64(1)})
		s := rlSession(t, db)
		heroes := rlHeroes(t, ctx, s)
		if err := orm.Preload(ctx, s, heroes, "Sidekicks"); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Errorf("Preload of an unknown relation: %v, want ErrInvalidArgument", err)
		}
		if err := orm.Preload(ctx, s, heroes, "Team.Nope"); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Errorf("Preload of an unknown nested relation: %v, want ErrInvalidArgument", err)
		}
		if _, err := orm.Select[rlHero](db).Preload("Team").All(ctx); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Errorf("Select on a DB with Preload: %v, want ErrInvalidArgument", err)
		}
		// A misspelt path is reported whether or not the query finds rows
		// (it used to pass silently when none matched).
		for _, path := range []string{"Teem", "Team.Nope"} {
			if _, err := orm.Select[rlHero](s).Where("id = ?", 999).Preload(path).All(ctx); !errors.Is(err, orm.ErrInvalidArgument) {
				t.Errorf("Preload(%q) on a query without rows: %v, want ErrInvalidArgument", path, err)
			}
		}
		if got, err := orm.Select[rlHero](s).Where("id = ?", 999).Preload("Team.Heroes").All(ctx); err != nil || len(got) != 0 {
			t.Errorf("valid nested Preload on a query without rows: %v, %v", got, err)
		}
		// No parents: nothing to do.
		if err := orm.Preload(ctx, s, []*rlHero{}, "Team"); err != nil {
			t.Errorf("Preload of no parents: %v", err)
		}
	})
}

func TestRlPreloadChunksUnderBindLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts tens of thousands of rows")
	}
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		// The three databases at once: each loads tens of thousands of rows.
		t.Parallel()
		ctx := rlCreate(t, db, &rlChunkOwner{}, &rlChunkItem{})
		limit := db.Dialect().MaxBindParams()
		n := 40000
		if n <= limit {
			n = limit + 4465
		}
		const per = 5000
		for lo := 1; lo <= n; lo += per {
			hi := min(n, lo+per-1)
			var owners []any
			for i := lo; i <= hi; i++ {
				owners = append(owners, int64(i))
			}
			k := hi - lo + 1
			rlExec(t, ctx, db, `INSERT INTO "rl_chunk_owner" ("id") VALUES `+strings.TrimSuffix(strings.Repeat("(?), ", k), ", "), owners...)
		}
		for lo := 1; lo <= n; lo += per {
			hi := min(n, lo+per-1)
			var items []any
			for i := lo; i <= hi; i++ {
				items = append(items, int64(i), int64(n+1-i))
			}
			k := hi - lo + 1
			rlExec(t, ctx, db, `INSERT INTO "rl_chunk_item" ("id", "owner_id") VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?), ", k), ", "), items...)
		}

		rdb, rec := testkit.Record(db)
		s := rlSession(t, rdb)
		items, err := orm.Select[rlChunkItem](s).Preload("Owner").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != n {
			t.Fatalf("%d items, want %d", len(items), n)
		}
		evs := rlSQL(rec)
		if len(evs) != 3 {
			t.Fatalf("%d statements, want 3 (items + 2 IN chunks)", len(evs))
		}
		for i, want := range []int{limit, n - limit} {
			e := evs[i+1]
			if !strings.HasPrefix(e.Query, rlQ(db, `SELECT "id" FROM "rl_chunk_owner" WHERE "id" IN (`)) || len(e.Args) != want {
				t.Errorf("chunk %d: %d args (limit %d), want %d; %.80s", i+1, len(e.Args), limit, want, e.Query)
			}
		}
		for _, it := range items {
			o, loaded := it.Owner.Get()
			if !loaded || o == nil || o.ID != *it.OwnerID {
				t.Fatalf("item %d: owner %+v loaded %v, want %d", it.ID, o, loaded, *it.OwnerID)
			}
		}
		t.Logf("%s: %d parents, IN chunks of %d and %d", db.Dialect().Name(), n, len(evs[1].Args), len(evs[2].Args))
	})
}

func TestRlLoadLazy(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlCreate(t, db, &rlTeam{}, &rlHero{}, &rlPower{}, &rlSidekick{})
		rlSeed(t, ctx, db,
			&rlTeam{ID: 1, Name: "Preventers", Headquarters: "Sharp Tower"},
			&rlTeam{ID: 2, Name: "Z-Force", Headquarters: "Bar"},
		)
		rlSeed(t, ctx, db,
			&rlHero{ID: 1, Name: "Rusty-Man", SecretName: "Tommy Sharp", TeamID: rlI64(1)},
			&rlHero{ID: 2, Name: "Spider-Boy", SecretName: "Pedro Parqueador"},
			&rlHero{ID: 3, Name: "Deadpond", SecretName: "Dive Wilson", TeamID: rlI64(2)},
		)
		rlSeed(t, ctx, db,
			&rlSidekick{ID: 1, Name: "Robin", HeroID: rlI64(1)},
			&rlSidekick{ID: 2, Name: "Bucky", HeroID: rlI64(3)},
		)
		rdb, rec := testkit.Record(db)
		s := rlSession(t, rdb)

		// A tracked hero: one SELECT of its team.
		h1, err := orm.Get[rlHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		ok, err := orm.LoadLazy(ctx, s, &h1.Team)
		if err != nil || !ok {
			t.Fatalf("LoadLazy = %v, %v; want true, nil", ok, err)
		}
		rlOne(t, db, rec, rlTeamSelect+` WHERE "id" IN (?)`, 1)
		team := rlTeamOf(t, h1)
		if team == nil || team.Name != "Preventers" {
			t.Fatalf("team = %+v", team)
		}
		rec.Reset()
		if g, err := orm.Get[rlTeam](ctx, s, 1); err != nil || g != team {
			t.Errorf("Get team 1 = %p, %v; want %p", g, err, team)
		}
		// Loaded already: no SQL.
		if ok, err := orm.LoadLazy(ctx, s, &h1.Team); err != nil || !ok {
			t.Errorf("second LoadLazy = %v, %v", ok, err)
		}
		rlNone(t, rec, "Get and LoadLazy of a loaded team")

		// A NULL foreign key: loaded nil, no SQL.
		h2, err := orm.Get[rlHero](ctx, s, 2)
		if err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		if ok, err := orm.LoadLazy(ctx, s, &h2.Team); err != nil || ok {
			t.Errorf("LoadLazy of a NULL FK = %v, %v; want false, nil", ok, err)
		}
		rlNone(t, rec, "LoadLazy of a NULL FK")
		if got, loaded := h2.Team.Get(); got != nil || !loaded {
			t.Errorf("NULL FK: Team.Get() = %p, %v; want nil, true", got, loaded)
		}

		// The target is tracked already: no SQL, the same pointer.
		t2, err := orm.Get[rlTeam](ctx, s, 2)
		if err != nil {
			t.Fatal(err)
		}
		h3, err := orm.Get[rlHero](ctx, s, 3)
		if err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		if ok, err := orm.LoadLazy(ctx, s, &h3.Team); err != nil || !ok {
			t.Errorf("LoadLazy of a tracked target = %v, %v", ok, err)
		}
		rlNone(t, rec, "LoadLazy of a tracked target")
		if rlTeamOf(t, h3) != t2 {
			t.Error("LoadLazy did not use the tracked team")
		}

		// A field of an object the session does not track.
		loose := &rlHero{ID: 1, Name: "Copy", TeamID: rlI64(1)}
		if _, err := orm.LoadLazy(ctx, s, &loose.Team); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Errorf("LoadLazy of an untracked object: %v, want ErrInvalidArgument", err)
		}
		if loose.Team.IsLoaded() {
			t.Error("the untracked object's relation was loaded")
		}
		rlNone(t, rec, "LoadLazy of an untracked object")

		// lazy=raise: no single loads, without SQL; batches work.
		sk, err := orm.Get[rlSidekick](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		before := s.N1Stats()
		rec.Reset()
		if _, err := orm.LoadLazy(ctx, s, &sk.Hero); !errors.Is(err, orm.ErrLazyRaise) {
			t.Errorf("LoadLazy of a lazy=raise relation: %v, want ErrLazyRaise", err)
		}
		rlNone(t, rec, "LoadLazy of a lazy=raise relation")
		if sk.Hero.IsLoaded() {
			t.Error("lazy=raise relation loaded")
		}
		if got := s.N1Stats(); got != before {
			t.Errorf("a refused load counted for N+1: %+v -> %+v", before, got)
		}
		sks, err := orm.Select[rlSidekick](s).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		if n, err := orm.LoadMany(ctx, s, sks, func(k *rlSidekick) *orm.Lazy[rlHero] { return &k.Hero }); err != nil || n != 2 {
			t.Errorf("LoadMany of a lazy=raise relation = %d, %v; want 2, nil", n, err)
		}
		if got, _ := sks[0].Hero.Get(); got != h1 {
			t.Errorf("sidekick 1's hero = %p, want %p", got, h1)
		}
		rlNone(t, rec, "LoadMany of tracked heroes")
		s2 := rlSession(t, rdb)
		sks2, err := orm.Select[rlSidekick](s2).Preload("Hero", "Hero.Team").OrderBy("id").All(ctx)
		if err != nil {
			t.Fatalf("Preload of a lazy=raise relation: %v", err)
		}
		if h, _ := sks2[1].Hero.Get(); h == nil || h.ID != 3 || rlTeamOf(t, h) == nil || rlTeamOf(t, h).ID != 2 {
			t.Errorf("preloaded sidekick 2: hero %+v", h)
		}
	})
}

func TestRlLoadManyToManyKeepsPendingLinkOps(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlCreate(t, db)
		rlSeed(t, ctx, db,
			&rlHero{ID: 1, Name: "Double", SecretName: "D"},
			&rlPower{ID: 1, Name: "Flight"},
			&rlPower{ID: 2, Name: "Strength"},
			&rlPower{ID: 3, Name: "Speed"},
		)
		rlLink(t, ctx, db, [2]int64{1, 1}, [2]int64{1, 2})
		// AutoFlush off: with it the load would flush the operations first.
		cfg := orm.DefaultSessionConfig()
		cfg.AutoFlush = false
		s := orm.NewSessionWithConfig(db, cfg)
		defer s.Close()
		h, err := orm.Get[rlHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		p1, err := orm.Get[rlPower](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		p3, err := orm.Get[rlPower](ctx, s, 3)
		if err != nil {
			t.Fatal(err)
		}
		// Link and Unlink on a collection that is not loaded yet.
		h.Powers.Link(p3)
		h.Powers.Unlink(p1)
		if h.Powers.IsLoaded() || !h.Powers.HasPendingOps() {
			t.Fatalf("before load: IsLoaded %v, HasPendingOps %v", h.Powers.IsLoaded(), h.Powers.HasPendingOps())
		}
		if _, err := orm.LoadManyToMany(ctx, s, []*rlHero{h}, func(h *rlHero) *orm.RelatedMany[rlPower] { return &h.Powers }); err != nil {
			t.Fatal(err)
		}
		// The pending operations survive the load, for the flush to write.
		link, unlink := h.Powers.PendingLinks()
		if !h.Powers.HasPendingOps() || len(link) != 1 || link[0] != any(p3) || len(unlink) != 1 || unlink[0] != any(p1) {
			t.Errorf("after load: PendingLinks = %v, %v; want [p3], [p1]", link, unlink)
		}
		// The loaded collection shows the session's view: the database's
		// rows with the pending link and unlink applied.
		if got := rlPowerIDs(h.Powers.Items()); !slices.Equal(got, []int64{2, 3}) {
			t.Fatalf("orm/session/load.go loadManyToMany (setRelated -> RelatedMany.SetRelated) replaces the items with the database rows only: "+
				"Link/Unlink recorded while the collection was not loaded are not applied to the loaded items (got powers %v, want [2 3]); "+
				"a pending Unlink'ed object reappears and a pending Link'ed one is missing until the flush", got)
		}
	})
}
