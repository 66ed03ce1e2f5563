package orm_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Pipelined flush (PostgreSQL through pgx): the statements of a flush are
// sent as pgx batches, one round trip per dependency layer. Every name of
// this file starts with "pl", every table with "pl_". On MySQL, SQLite and
// lib/pq the same tests check that the fallback gives the same results.

type plTeam struct {
	ID     int64  `sqlmodel:"pk"`
	Name   string `sqlmodel:"unique"`
	Score  int
	Heroes orm.RelatedMany[plHero] `sqlmodel:"back_populates=Team,cascade_delete"`
}

func (plTeam) TableName() string { return "pl_team" }

type plHero struct {
	ID      int64  `sqlmodel:"pk"`
	Name    string `sqlmodel:"unique"`
	Level   int
	Version int                      `sqlmodel:"version"`
	TeamID  int64                    `sqlmodel:"fk=pl_team.id"`
	Team    orm.Lazy[plTeam]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers  orm.RelatedMany[plPower] `sqlmodel:"link=pl_hero_power,back_populates=Heroes"`
}

func (plHero) TableName() string { return "pl_hero" }

type plPower struct {
	ID     int64  `sqlmodel:"pk"`
	Name   string `sqlmodel:"unique"`
	Rank   int
	Heroes orm.RelatedMany[plHero] `sqlmodel:"link=pl_hero_power,back_populates=Powers"`
}

func (plPower) TableName() string { return "pl_power" }

func plModels() []any { return []any{&plTeam{}, &plHero{}, &plPower{}} }

// plTrips counts round trips on every connection of a pool: a read from
// the server that follows a write to it is one round trip.
type plTrips struct {
	mu sync.Mutex
	n  int
}

func (p *plTrips) get() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

type plConn struct {
	net.Conn
	t     *plTrips
	wrote bool
}

func (c *plConn) Write(b []byte) (int, error) {
	c.t.mu.Lock()
	c.wrote = true
	c.t.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *plConn) Read(b []byte) (int, error) {
	c.t.mu.Lock()
	if c.wrote {
		c.wrote = false
		c.t.n++
	}
	c.t.mu.Unlock()
	return c.Conn.Read(b)
}

// plOpen opens tg. On PostgreSQL through pgx the pool's connections count
// their round trips (trips is nil elsewhere); hide wraps pgx's driver so
// that the session cannot reach pgx's connection (no pipeline).
func plOpen(t *testing.T, tg testkit.Target, hide bool) (*orm.DB, *plTrips) {
	t.Helper()
	if tg.Driver != "pgx" {
		return testkit.OpenORM(t, tg), nil
	}
	cfg, err := pgx.ParseConfig(tg.DSN)
	flOK(t, err, "ParseConfig")
	trips := &plTrips{}
	d := &net.Dialer{Timeout: 10 * time.Second}
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &plConn{Conn: c, t: trips}, nil
	}
	var connector driver.Connector = stdlib.GetConnector(*cfg)
	if hide {
		connector = plHidden{connector}
	}
	sqlDB := sql.OpenDB(connector)
	db, err := orm.OpenDB(sqlDB, tg.Dialect)
	flOK(t, err, "OpenDB")
	t.Cleanup(func() { _ = db.Close(); _ = sqlDB.Close() })
	return db, trips
}

// plHidden is a connector whose driver is not pgx's.
type plHidden struct{ driver.Connector }

type plHiddenDriver struct{ driver.Driver }

func (c plHidden) Driver() driver.Driver { return plHiddenDriver{c.Connector.Driver()} }

// plMeasure runs fn and returns the round trips it took (-1 when they are
// not counted) and the statements it sent.
func plMeasure(t *testing.T, trips *plTrips, rec *testkit.Recorder, fn func() error) (int, []orm.QueryEvent) {
	t.Helper()
	rec.Reset()
	before := 0
	if trips != nil {
		before = trips.get()
	}
	flOK(t, fn(), "measured step")
	if trips == nil {
		return -1, rec.Events()
	}
	return trips.get() - before, rec.Events()
}

// plSummary counts the control statements (BEGIN, COMMIT, savepoints) and
// the data statements of evs.
func plSummary(evs []orm.QueryEvent) (control, data int) {
	for _, e := range evs {
		if e.Op == "exec" || e.Op == "query" {
			data++
		} else {
			control++
		}
	}
	return control, data
}

// plCheckTrips asserts the round trips of a measured step on pgx: one per
// control statement plus batches, and logs the figures.
func plCheckTrips(t *testing.T, what string, trips int, evs []orm.QueryEvent, batches int) {
	t.Helper()
	control, data := plSummary(evs)
	t.Logf("%s: %d data statements, %d control statements; round trips %d (one per statement: %d)", what, data, control, trips, data+control)
	if trips < 0 {
		return
	}
	if want := control + batches; trips != want {
		var b strings.Builder
		for _, e := range evs {
			fmt.Fprintf(&b, "  %s %s\n", e.Op, flKind(e.Query))
		}
		t.Fatalf("%s: %d round trips, want %d (%d control + %d batches):\n%s", what, trips, want, control, batches, b.String())
	}
}

// plGraph adds teams×heroes new heroes under new teams, each hero linked
// to two of three new powers; tag makes the names unique.
func plGraph(s *orm.Session, tag string, teams, heroes int) ([]*plTeam, error) {
	powers := make([]*plPower, 3)
	for i := range powers {
		powers[i] = &plPower{Name: fmt.Sprintf("%s-power%d", tag, i), Rank: i}
		if err := s.Add(powers[i]); err != nil {
			return nil, err
		}
	}
	out := make([]*plTeam, teams)
	for i := range out {
		tm := &plTeam{Name: fmt.Sprintf("%s-team%d", tag, i)}
		hs := make([]*plHero, heroes)
		for j := range hs {
			hs[j] = &plHero{Name: fmt.Sprintf("%s-hero%d-%d", tag, i, j), Level: j}
			hs[j].Powers.Set([]*plPower{powers[j%3], powers[(j+1)%3]})
		}
		tm.Heroes.Set(hs)
		if err := s.Add(tm); err != nil {
			return nil, err
		}
		out[i] = tm
	}
	return out, nil
}

// Inserting a graph costs one round trip per dependency layer: the teams
// and powers, the heroes (which need the teams' keys), the link rows
// (which need the heroes'), besides BEGIN and COMMIT.
func TestFlushPipelineInsertGraphRoundTrips(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := flCtx(t)
		db, trips := plOpen(t, tg, false)
		flCreate(t, db, plModels()...)
		rdb, rec := testkit.Record(db)
		for round, tag := range []string{"warm", "measured"} {
			s := orm.NewSession(rdb)
			teams, err := plGraph(s, tag, 4, 5)
			flOK(t, err, "graph")
			n, evs := plMeasure(t, trips, rec, func() error { return s.Commit(ctx) })
			s.Close()
			if round == 1 {
				plCheckTrips(t, "insert graph (4 teams, 20 heroes, 3 powers, 40 links)", n, evs, 3)
			}
			for _, tm := range teams {
				if tm.ID == 0 {
					t.Fatalf("team %s has no key", tm.Name)
				}
			}
		}
		if got := flCount(t, db, "pl_hero_power"); got != 80 {
			t.Fatalf("%d link rows, want 80", got)
		}
		var bad int
		q := "SELECT COUNT(*) FROM pl_hero h JOIN pl_team m ON m.id = h.team_id WHERE h.name NOT LIKE " + plConcat(tg.Dialect)
		flOK(t, db.SQL().QueryRowContext(ctx, q).Scan(&bad), "check heroes")
		if bad != 0 || flCount(t, db, "pl_hero") != 40 {
			t.Fatalf("%d heroes under the wrong team; %d heroes", bad, flCount(t, db, "pl_hero"))
		}
	})
}

// plConcat is the pattern a hero's name matches under its team: the
// team's tag followed by "-hero".
func plConcat(dialect string) string {
	prefix := "replace(m.name, '-team', '-hero')"
	if dialect == "mysql" {
		return "CONCAT(" + prefix + ", '%')"
	}
	return prefix + " || '%'"
}

// plSeed commits teams with heroes and powers for the load-change-save
// and delete scenarios.
func plSeed(t *testing.T, ctx context.Context, db *orm.DB, teams, heroes int) {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	_, err := plGraph(s, "seed", teams, heroes)
	flOK(t, err, "seed graph")
	for i := range 27 {
		flOK(t, s.Add(&plPower{Name: fmt.Sprintf("extra%d", i)}), "seed power")
	}
	flOK(t, s.Commit(ctx), "seed Commit")
}

// plChange loads every team, hero and power and changes 100 rows across
// the three tables in round: every team's score, every hero's level
// (half of them their name too), every power's rank.
func plChange(t *testing.T, ctx context.Context, s *orm.Session, round int) int {
	t.Helper()
	teams, err := orm.Select[plTeam](s).All(ctx)
	flOK(t, err, "load teams")
	heroes, err := orm.Select[plHero](s).All(ctx)
	flOK(t, err, "load heroes")
	powers, err := orm.Select[plPower](s).All(ctx)
	flOK(t, err, "load powers")
	// Values no row holds yet, so that every round changes every row
	// (the same statement shapes each round).
	for _, tm := range teams {
		tm.Score = 10 + round
	}
	for i, h := range heroes {
		h.Level = 100*round + i
		if i%2 == 0 {
			h.Name = fmt.Sprintf("hero-%d-%d", round, i)
		}
	}
	for _, p := range powers {
		p.Rank = 10 + round
	}
	return len(teams) + len(heroes) + len(powers)
}

// Load, change 100 rows of three tables, save: the four UPDATEs (one per
// table and column set) go in one round trip.
func TestFlushPipelineLoadChangeSaveRoundTrips(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := flCtx(t)
		db, trips := plOpen(t, tg, false)
		flCreate(t, db, plModels()...)
		plSeed(t, ctx, db, 10, 6)
		rdb, rec := testkit.Record(db)
		for round := 1; round <= 2; round++ {
			s := orm.NewSession(rdb)
			if n := plChange(t, ctx, s, round); n != 100 {
				t.Fatalf("%d rows changed, want 100", n)
			}
			n, evs := plMeasure(t, trips, rec, func() error { return s.Commit(ctx) })
			s.Close()
			if round == 2 {
				plCheckTrips(t, "load-change-save (100 rows, 3 tables)", n, evs, 1)
			}
		}
		var score, ranks, levels int
		flOK(t, db.SQL().QueryRowContext(ctx, "SELECT SUM(score) FROM pl_team").Scan(&score), "sum")
		flOK(t, db.SQL().QueryRowContext(ctx, "SELECT SUM(rank) FROM pl_power").Scan(&ranks), "sum")
		flOK(t, db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM pl_hero WHERE level >= 200 AND version = 3").Scan(&levels), "count")
		if score != 120 || ranks != 360 || levels != 60 {
			t.Fatalf("after two rounds: team scores %d, power ranks %d, heroes changed twice %d; want 120, 360, 60", score, ranks, levels)
		}
	})
}

// Deleting teams cascades to their heroes and the heroes' link rows: the
// three DELETEs go in one round trip (the cascade's reads come before).
func TestFlushPipelineDeleteCascadeRoundTrips(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := flCtx(t)
		db, trips := plOpen(t, tg, false)
		flCreate(t, db, plModels()...)
		plSeed(t, ctx, db, 4, 6)
		rdb, rec := testkit.Record(db)
		ls := orm.NewSession(db)
		teams, err := orm.Select[plTeam](ls).All(ctx)
		flOK(t, err, "list teams")
		flOK(t, ls.Close(), "Close")
		for round := range 2 {
			s := orm.NewSession(rdb)
			for _, tm := range teams[2*round : 2*round+2] {
				x, err := orm.Get[plTeam](ctx, s, tm.ID)
				flOK(t, err, "Get team")
				flOK(t, s.Delete(x), "Delete team")
			}
			n, evs := plMeasure(t, trips, rec, func() error { return s.Commit(ctx) })
			s.Close()
			if round == 1 {
				reads := 0
				for _, e := range evs {
					if strings.HasPrefix(e.Query, "SELECT") {
						reads++
					}
				}
				plCheckTrips(t, "delete 2 teams (12 heroes, 24 link rows)", n, evs, 1+reads)
			}
		}
		for table, want := range map[string]int{"pl_team": 0, "pl_hero": 0, "pl_hero_power": 0, "pl_power": 30} {
			if got := flCount(t, db, table); got != want {
				t.Fatalf("%s: %d rows, want %d", table, got, want)
			}
		}
	})
}

// plFixture is a committed team with two heroes and a power, loaded in a
// session and changed so that the flush sends, in order, an UPDATE of the
// team, an INSERT of a new hero, a batched UPDATE of the two heroes and a
// DELETE of the power.
type plFixture struct {
	s              *orm.Session
	team           *plTeam
	h1, h2, newbie *plHero
	power          *plPower
	dump           [][]string
	debug          string
}

func plStage(t *testing.T, ctx context.Context, db, rdb *orm.DB) *plFixture {
	t.Helper()
	setup := orm.NewSession(db)
	tm := &plTeam{Name: "t"}
	h1, h2 := &plHero{Name: "h1"}, &plHero{Name: "h2"}
	h1.Team.Set(tm)
	h2.Team.Set(tm)
	flOK(t, setup.AddAll(tm, h1, h2, &plPower{Name: "p"}), "setup")
	flOK(t, setup.Commit(ctx), "setup Commit")
	flOK(t, setup.Close(), "setup Close")
	x := &plFixture{s: orm.NewSession(rdb)}
	var err error
	x.team, err = orm.Get[plTeam](ctx, x.s, tm.ID)
	flOK(t, err, "Get team")
	x.h1, err = orm.Get[plHero](ctx, x.s, h1.ID)
	flOK(t, err, "Get h1")
	x.h2, err = orm.Get[plHero](ctx, x.s, h2.ID)
	flOK(t, err, "Get h2")
	x.power, err = orm.Select[plPower](x.s).First(ctx)
	flOK(t, err, "First power")
	x.team.Score = 7
	x.newbie = &plHero{Name: "new", TeamID: tm.ID}
	flOK(t, x.s.Add(x.newbie), "Add newbie")
	x.h1.Level, x.h2.Level = 5, 6
	flOK(t, x.s.Delete(x.power), "Delete power")
	x.dump = plDumpAll(t, db)
	x.debug = x.s.DebugState()
	return x
}

func plDumpAll(t *testing.T, db *orm.DB) [][]string {
	return [][]string{
		flDump(t, db, "pl_team", "id", "name", "score"),
		flDump(t, db, "pl_hero", "id", "name", "level", "version", "team_id"),
		flDump(t, db, "pl_power", "id", "name", "rank"),
	}
}

// fails checks a failed Commit: the error, the database as it was, the
// session as it was.
func (x *plFixture) fails(t *testing.T, db *orm.DB, err error, target error, op, table string) {
	t.Helper()
	var fe *orm.FlushError
	if !errors.Is(err, target) || !errors.As(err, &fe) || fe.Op != op || fe.Table != table {
		t.Fatalf("Commit = %v; want a FlushError %s %s matching %v", err, op, table, target)
	}
	if got := plDumpAll(t, db); fmt.Sprint(got) != fmt.Sprint(x.dump) {
		t.Fatalf("database changed by the failed flush:\n got  %v\n want %v", got, x.dump)
	}
	if got := x.s.DebugState(); got != x.debug {
		t.Fatalf("session changed by the failed flush:\n got\n%s want\n%s", got, x.debug)
	}
	if x.newbie.ID != 0 || x.h1.Version != 1 || x.team.Score != 7 {
		t.Fatalf("objects changed: newbie id %d, h1 version %d, score %d", x.newbie.ID, x.h1.Version, x.team.Score)
	}
}

// retry commits again and checks that every change landed.
func (x *plFixture) retry(t *testing.T, ctx context.Context, db *orm.DB) {
	t.Helper()
	flOK(t, x.s.Commit(ctx), "Commit after the fix")
	flOK(t, x.s.Close(), "Close")
	var score, levels, heroes, powers int
	flOK(t, db.SQL().QueryRowContext(ctx, "SELECT score FROM pl_team").Scan(&score), "score")
	flOK(t, db.SQL().QueryRowContext(ctx, "SELECT COUNT(*), SUM(level) FROM pl_hero").Scan(&heroes, &levels), "heroes")
	flOK(t, db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM pl_power").Scan(&powers), "powers")
	if score != 7 || heroes != 3 || levels != 11 || powers != 0 {
		t.Fatalf("after the retry: score %d, %d heroes of levels %d, %d powers; want 7, 3, 11, 0", score, heroes, levels, powers)
	}
}

// A unique violation, a foreign-key violation and a stale UPDATE in the
// middle of a pipeline: the flush fails with the statement's error, the
// database and the session are as before, and the retry succeeds.
func TestFlushPipelineFailureAtomic(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := flCtx(t)
		db, _ := plOpen(t, tg, false)
		flCreate(t, db, plModels()...)
		rdb, _ := testkit.Record(db)
		reset := func() {
			for _, table := range []string{"pl_hero_power", "pl_hero", "pl_team", "pl_power"} {
				_, err := db.SQL().ExecContext(ctx, "DELETE FROM "+table)
				flOK(t, err, "reset")
			}
		}
		t.Run("unique", func(t *testing.T) {
			x := plStage(t, ctx, db, rdb)
			x.newbie.Name = "h1"
			x.debug = x.s.DebugState()
			x.fails(t, db, x.s.Commit(ctx), orm.ErrUniqueViolation, "insert", "pl_hero")
			x.newbie.Name = "h3"
			x.retry(t, ctx, db)
			reset()
		})
		t.Run("foreign key", func(t *testing.T) {
			x := plStage(t, ctx, db, rdb)
			x.newbie.TeamID = x.team.ID + 1000
			x.debug = x.s.DebugState()
			x.fails(t, db, x.s.Commit(ctx), orm.ErrForeignKeyViolation, "insert", "pl_hero")
			x.newbie.TeamID = x.team.ID
			x.retry(t, ctx, db)
			reset()
		})
		t.Run("stale", func(t *testing.T) {
			x := plStage(t, ctx, db, rdb)
			other := orm.NewSession(db)
			h, err := orm.Get[plHero](ctx, other, x.h2.ID)
			flOK(t, err, "Get h2 elsewhere")
			h.Name = "h2x"
			flOK(t, other.Commit(ctx), "Commit elsewhere")
			flOK(t, other.Close(), "Close elsewhere")
			x.dump = plDumpAll(t, db)
			x.fails(t, db, x.s.Commit(ctx), orm.ErrStaleData, "update", "pl_hero")
			x.s.Expire(x.h2)
			h2, err := orm.Get[plHero](ctx, x.s, x.h2.ID)
			flOK(t, err, "reload h2")
			h2.Level = 6
			x.retry(t, ctx, db)
			reset()
		})
	})
}

// The hooks see every statement of a pipelined flush, in order, with its
// text, arguments and rows: the same as without a pipeline.
func TestFlushPipelineHooksSeeEveryStatement(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		run := func(hide bool) []string {
			ctx := flCtx(t)
			tg := tg
			if hide {
				var err error
				tg, err = testkit.NewTarget(t, tg.Dialect)
				flOK(t, err, "second target")
				tg.Driver = map[bool]string{true: "pgx", false: tg.Driver}[tg.Driver == "pgx"]
			}
			db, _ := plOpen(t, tg, hide)
			flCreate(t, db, plModels()...)
			plSeed(t, ctx, db, 3, 4)
			rdb, rec := testkit.Record(db)
			s := orm.NewSession(rdb)
			defer s.Close()
			plChange(t, ctx, s, 1)
			_, err := plGraph(s, "more", 2, 3)
			flOK(t, err, "graph")
			tm, err := orm.Select[plTeam](s).First(ctx)
			flOK(t, err, "First team")
			flOK(t, s.Delete(tm), "Delete team")
			rec.Reset()
			flOK(t, s.Commit(ctx), "Commit")
			var out []string
			for _, e := range rec.Events() {
				out = append(out, fmt.Sprintf("%s %s %v rows=%d err=%v", e.Op, e.Query, e.Args, e.Rows, e.Err))
			}
			return out
		}
		piped, plain := run(false), run(true)
		flEqual(t, "statements with and without a pipeline", piped, plain)
	})
}
