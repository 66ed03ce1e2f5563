package orm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Writing through relations (issue 6, items 3 and 4; DESIGN §3, §5.4,
// §5.10): RelateToOne / UnrelateFromOne keep the foreign key, the Lazy and
// the back_populates collections in step; RelateManyToMany /
// UnrelateManyToMany and Link / Unlink record link operations that the
// flush writes itself, deduplicated, after both ends exist. Every name of
// this file and of cascade_test.go starts with "rw", every table with
// "rw_".

// ---- the SQLModel tutorial's world ----

type rwTeam struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique"`
	Headquarters string
	Heroes       orm.RelatedMany[rwHero] `sqlmodel:"back_populates=Team"`
}

func (rwTeam) TableName() string { return "rw_team" }

type rwHero struct {
	ID         int64 `sqlmodel:"pk"`
	Name       string
	SecretName string
	Age        *int
	TeamID     *int64                   `sqlmodel:"fk=rw_team.id,ondelete=set null"`
	Team       orm.Lazy[rwTeam]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers     orm.RelatedMany[rwPower] `sqlmodel:"link=rw_hero_power,back_populates=Heroes"`
	// Training goes through a link model with an extra column.
	Training orm.RelatedMany[rwPower] `sqlmodel:"link_model=rwHeroTraining"`
}

func (rwHero) TableName() string { return "rw_hero" }

type rwPower struct {
	ID     int64                   `sqlmodel:"pk"`
	Name   string                  `sqlmodel:"unique"`
	Heroes orm.RelatedMany[rwHero] `sqlmodel:"link=rw_hero_power,back_populates=Powers"`
}

func (rwPower) TableName() string { return "rw_power" }

// rwHeroTraining is the link model of rwHero.Training: a normal tracked
// model whose rows are also written by Link.
type rwHeroTraining struct {
	HeroID     int64 `sqlmodel:"pk,fk=rw_hero.id"`
	PowerID    int64 `sqlmodel:"pk,fk=rw_power.id"`
	IsTraining bool
}

func (rwHeroTraining) TableName() string { return "rw_hero_training" }

// Accessors for the relation helpers.
func rwTeamOf(h *rwHero) *orm.Lazy[rwTeam]                { return &h.Team }
func rwPowersOf(h *rwHero) *orm.RelatedMany[rwPower]      { return &h.Powers }
func rwHeroesOfPower(p *rwPower) *orm.RelatedMany[rwHero] { return &p.Heroes }
func rwHeroesOfTeam(t *rwTeam) *orm.RelatedMany[rwHero]   { return &t.Heroes }

func rwInt(v int) *int { return &v }

// ---- helpers shared by the rw* tests ----

func rwCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func rwOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// rwWorldModels are the tables of the tutorial world.
func rwWorldModels() []any { return []any{&rwTeam{}, &rwHero{}, &rwPower{}, &rwHeroTraining{}} }

func rwCreate(t *testing.T, db *orm.DB, models ...any) {
	t.Helper()
	rwOK(t, db.CreateAll(rwCtx(t), models...), "CreateAll")
}

// rwSession opens a session closed at the end of the test.
func rwSession(t *testing.T, db *orm.DB) *orm.Session {
	t.Helper()
	s := orm.NewSession(db)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("session Close: %v", err)
		}
	})
	return s
}

// rwQ turns a neutral statement ("double quotes", ? placeholders) into the
// dialect's text.
func rwQ(db *orm.DB, s string) string {
	d := db.Dialect()
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			j := strings.IndexByte(s[i+1:], '"')
			b.WriteString(d.Quote(s[i+1 : i+1+j]))
			i += j + 1
		case '?':
			n++
			b.WriteString(d.Placeholder(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// rwData returns the recorded statements that are not transaction control.
func rwData(rec *testkit.Recorder) []orm.QueryEvent {
	var out []orm.QueryEvent
	for _, e := range rec.Events() {
		if e.Op == "exec" || e.Op == "query" {
			out = append(out, e)
		}
	}
	return out
}

// rwKind summarises a statement as "INSERT t", "UPDATE t", "DELETE t" or
// "SELECT t" (the table after FROM).
func rwKind(q string) string {
	word := func(s string) string {
		s = strings.TrimSpace(s)
		if i := strings.IndexAny(s, " (\t\n"); i > 0 {
			s = s[:i]
		}
		return strings.Trim(s, "\"`")
	}
	switch {
	case strings.HasPrefix(q, "INSERT INTO "):
		return "INSERT " + word(q[len("INSERT INTO "):])
	case strings.HasPrefix(q, "UPDATE "):
		return "UPDATE " + word(q[len("UPDATE "):])
	case strings.HasPrefix(q, "DELETE FROM "):
		return "DELETE " + word(q[len("DELETE FROM "):])
	case strings.HasPrefix(q, "SELECT"):
		if i := strings.Index(q, " FROM "); i > 0 {
			return "SELECT " + word(q[i+len(" FROM "):])
		}
		return "SELECT"
	}
	return q
}

// rwKinds summarises the recorded data statements.
func rwKinds(rec *testkit.Recorder) []string {
	var out []string
	for _, e := range rwData(rec) {
		out = append(out, rwKind(e.Query))
	}
	return out
}

func rwEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// rwStatements asserts the recorded data statements by kind.
func rwStatements(t *testing.T, rec *testkit.Recorder, want ...string) {
	t.Helper()
	if got := rwKinds(rec); !slices.Equal(got, want) {
		t.Fatalf("statements:\n got  %q\n want %q\nrecorded:\n%s", got, want, rec.Dump())
	}
}

func rwFormat(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

// rwRows runs a neutral query on the pool (outside every session) and
// returns its rows, columns joined by "|", sorted.
func rwRows(t *testing.T, db *orm.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.SQL().QueryContext(rwCtx(t), rwQ(db, q), args...)
	rwOK(t, err, q)
	defer rows.Close()
	cols, err := rows.Columns()
	rwOK(t, err, "columns")
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		rwOK(t, rows.Scan(ptrs...), "scan")
		s := make([]string, len(vals))
		for i, v := range vals {
			s[i] = rwFormat(v)
		}
		out = append(out, strings.Join(s, "|"))
	}
	rwOK(t, rows.Err(), "rows")
	slices.Sort(out)
	return out
}

// rwDump returns every row of table (all columns), sorted.
func rwDump(t *testing.T, db *orm.DB, table string) []string {
	t.Helper()
	return rwRows(t, db, `SELECT * FROM "`+table+`"`)
}

func rwCount(t *testing.T, db *orm.DB, table string) int {
	t.Helper()
	var n int
	err := db.SQL().QueryRowContext(rwCtx(t), "SELECT COUNT(*) FROM "+db.Dialect().Quote(table)).Scan(&n)
	rwOK(t, err, "count "+table)
	return n
}

func rwState(t *testing.T, s *orm.Session, obj any, want orm.ObjectState, what string) {
	t.Helper()
	st, ok := s.ObjectState(obj)
	if want == orm.StateDetached {
		if ok || s.Contains(obj) {
			t.Fatalf("%s: state %v (tracked %v), want detached", what, st, ok)
		}
		return
	}
	if !ok || st != want {
		t.Fatalf("%s: state %v (tracked %v), want %v", what, st, ok, want)
	}
}

// rwNames lists the Name fields of objects.
func rwNames[T any](objs []*T, name func(*T) string) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, name(o))
	}
	return out
}

func rwHeroNames(hs []*rwHero) []string {
	n := rwNames(hs, func(h *rwHero) string { return h.Name })
	slices.Sort(n)
	return n
}

func rwPowerNames(ps []*rwPower) []string {
	n := rwNames(ps, func(p *rwPower) string { return p.Name })
	slices.Sort(n)
	return n
}

// rwHeroPowers lists the link rows of rw_hero_power as "hero|power" names.
func rwHeroPowers(t *testing.T, db *orm.DB) []string {
	t.Helper()
	return rwRows(t, db, `SELECT "h"."name", "p"."name" FROM "rw_hero_power" "l" `+
		`JOIN "rw_hero" "h" ON "h"."id" = "l"."rw_hero_id" JOIN "rw_power" "p" ON "p"."id" = "l"."rw_power_id"`)
}

// rwTrainings lists the rows of rw_hero_training as "hero|power|is_training".
func rwTrainings(t *testing.T, db *orm.DB) []string {
	t.Helper()
	return rwRows(t, db, `SELECT "h"."name", "p"."name", "l"."is_training" FROM "rw_hero_training" "l" `+
		`JOIN "rw_hero" "h" ON "h"."id" = "l"."hero_id" JOIN "rw_power" "p" ON "p"."id" = "l"."power_id"`)
}

// rwWorld holds the keys of a seeded tutorial world.
type rwWorld struct {
	preventers, zforce                    int64
	deadpond, rusty, spider, tarantula    int64
	flight, regeneration, web, superForce int64
}

// rwSeedWorld writes a small tutorial world in a session of its own:
// Deadpond in Z-Force, Rusty-Man and Tarantula in the Preventers,
// Spider-Boy without a team; Deadpond has Regeneration, Rusty-Man Flight
// and Super Strength, Spider-Boy Web.
func rwSeedWorld(t *testing.T, db *orm.DB) rwWorld {
	t.Helper()
	ctx := rwCtx(t)
	s := orm.NewSession(db)
	defer s.Close()
	pre := &rwTeam{Name: "Preventers", Headquarters: "Sharp Tower"}
	z := &rwTeam{Name: "Z-Force", Headquarters: "Sister Margaret's Bar"}
	dp := &rwHero{Name: "Deadpond", SecretName: "Dive Wilson"}
	rm := &rwHero{Name: "Rusty-Man", SecretName: "Tommy Sharp", Age: rwInt(48)}
	sb := &rwHero{Name: "Spider-Boy", SecretName: "Pedro Parqueador"}
	ta := &rwHero{Name: "Tarantula", SecretName: "Natalia Roman-on", Age: rwInt(32)}
	fl, rg, wb, st := &rwPower{Name: "Flight"}, &rwPower{Name: "Regeneration"}, &rwPower{Name: "Web"}, &rwPower{Name: "Super Strength"}
	rwOK(t, s.AddAll(dp, rm, sb, ta, fl, rg, wb, st), "seed AddAll")
	rwOK(t, orm.RelateToOne(s, dp, rwTeamOf, z), "seed relate")
	rwOK(t, orm.RelateToOne(s, rm, rwTeamOf, pre), "seed relate")
	rwOK(t, orm.RelateToOne(s, ta, rwTeamOf, pre), "seed relate")
	dp.Powers.Link(rg)
	rm.Powers.Link(fl)
	rm.Powers.Link(st)
	sb.Powers.Link(wb)
	rwOK(t, s.Commit(ctx), "seed Commit")
	return rwWorld{pre.ID, z.ID, dp.ID, rm.ID, sb.ID, ta.ID, fl.ID, rg.ID, wb.ID, st.ID}
}

func rwGet[T any](t *testing.T, s *orm.Session, id int64) *T {
	t.Helper()
	obj, err := orm.Get[T](rwCtx(t), s, id)
	rwOK(t, err, fmt.Sprintf("Get %T %d", obj, id))
	return obj
}

// ---- tests ----

// The tutorial's world built through relations only: no foreign key and no
// link row is set by hand. One Commit sends one INSERT per table (teams,
// heroes, powers, in foreign-key order) and one INSERT per link table, with
// every pair once, after both ends exist.
func TestRwTutorialWorldThroughRelations(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		pre := &rwTeam{Name: "Preventers", Headquarters: "Sharp Tower"}
		z := &rwTeam{Name: "Z-Force", Headquarters: "Sister Margaret's Bar"}
		dp := &rwHero{Name: "Deadpond", SecretName: "Dive Wilson"}
		rm := &rwHero{Name: "Rusty-Man", SecretName: "Tommy Sharp", Age: rwInt(48)}
		sb := &rwHero{Name: "Spider-Boy", SecretName: "Pedro Parqueador"}
		ta := &rwHero{Name: "Tarantula", SecretName: "Natalia Roman-on", Age: rwInt(32)}
		fl, rg, wb, st := &rwPower{Name: "Flight"}, &rwPower{Name: "Regeneration"}, &rwPower{Name: "Web"}, &rwPower{Name: "Super Strength"}

		// Only the heroes are added; the rest comes in through relations.
		rwOK(t, s.AddAll(dp, rm, sb, ta), "AddAll heroes")
		rwOK(t, orm.RelateToOne(s, dp, rwTeamOf, z), "relate Deadpond")
		rwOK(t, orm.RelateToOne(s, rm, rwTeamOf, pre), "relate Rusty-Man")
		rwOK(t, orm.RelateToOne(s, ta, rwTeamOf, pre), "relate Tarantula")
		if !s.Contains(z) || !s.Contains(pre) {
			t.Fatal("RelateToOne of a tracked hero did not add the new team")
		}
		if dp.TeamID != nil || rm.TeamID != nil {
			t.Fatal("a pending team has no key yet: the foreign key must wait for the flush")
		}
		// RelateManyToMany adds the power; Link leaves flight and strength
		// untracked until the flush's save cascade.
		rwOK(t, orm.RelateManyToMany(s, dp, rwPowersOf, rg), "relate Deadpond/Regeneration")
		rwOK(t, orm.RelateManyToMany(s, sb, rwPowersOf, wb), "relate Spider-Boy/Web")
		rm.Powers.Link(fl)
		rm.Powers.Link(st)
		ta.Powers.Link(wb)
		// From the power's side: a new pair, and one already related from
		// the hero's side (one row, not two).
		rwOK(t, orm.RelateManyToMany(s, rg, rwHeroesOfPower, ta), "relate Regeneration/Tarantula")
		rwOK(t, orm.RelateManyToMany(s, wb, rwHeroesOfPower, sb), "relate Web/Spider-Boy")
		// Through the link model: rows with is_training = false.
		dp.Training.Link(rg)
		sb.Training.Link(wb)
		if s.Contains(fl) || s.Contains(st) {
			t.Fatal("Link must not add its target before the flush")
		}

		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "INSERT rw_team", "INSERT rw_hero", "INSERT rw_power", "INSERT rw_hero_power", "INSERT rw_hero_training")
		data := rwData(rec)
		// Multi-row statements: 2 teams, 4 heroes, 4 powers, 6 distinct
		// hero/power pairs, 2 trainings.
		for i, want := range []int{2 * 2, 4 * 4, 4 * 1, 6 * 2, 2 * 3} {
			if got := len(data[i].Args); got != want {
				t.Errorf("statement %d %s: %d arguments, want %d", i, data[i].Query, got, want)
			}
		}
		wantHP := rwQ(db, `INSERT INTO "rw_hero_power" ("rw_hero_id", "rw_power_id") VALUES (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?, ?)`)
		if !strings.HasPrefix(data[3].Query, wantHP) {
			t.Errorf("link insert:\n got  %s\n want %s ...", data[3].Query, wantHP)
		}
		wantTr := rwQ(db, `INSERT INTO "rw_hero_training" ("hero_id", "power_id", "is_training") VALUES (?, ?, ?), (?, ?, ?)`)
		if !strings.HasPrefix(data[4].Query, wantTr) {
			t.Errorf("link-model insert:\n got  %s\n want %s ...", data[4].Query, wantTr)
		}

		// Keys: generated, copied into the foreign keys, nothing pending.
		for _, h := range []*rwHero{dp, rm, sb, ta} {
			if h.ID == 0 {
				t.Fatalf("%s has no key", h.Name)
			}
		}
		if dp.TeamID == nil || *dp.TeamID != z.ID || rm.TeamID == nil || *rm.TeamID != pre.ID || *ta.TeamID != pre.ID || sb.TeamID != nil {
			t.Fatalf("team ids: Deadpond %v, Rusty-Man %v, Tarantula %v, Spider-Boy %v; teams %d, %d", dp.TeamID, rm.TeamID, ta.TeamID, sb.TeamID, z.ID, pre.ID)
		}
		for _, p := range []*rwPower{fl, rg, wb, st} {
			if p.ID == 0 {
				t.Fatalf("power %s has no key", p.Name)
			}
			rwState(t, s, p, orm.StateExpired, "power "+p.Name)
		}
		for _, h := range []*rwHero{dp, rm, sb, ta} {
			if h.Powers.HasPendingOps() || h.Training.HasPendingOps() {
				t.Fatalf("%s still has pending link operations", h.Name)
			}
		}
		if s.PendingNewCount() != 0 {
			t.Fatalf("PendingNewCount = %d after Commit", s.PendingNewCount())
		}

		// The database.
		rwEqual(t, "teams", rwRows(t, db, `SELECT "id", "name", "headquarters" FROM "rw_team"`), []string{
			fmt.Sprintf("%d|Z-Force|Sister Margaret's Bar", z.ID), fmt.Sprintf("%d|Preventers|Sharp Tower", pre.ID),
		})
		if z.ID >= pre.ID {
			t.Fatalf("teams inserted out of relate order: Z-Force %d, Preventers %d", z.ID, pre.ID)
		}
		rwEqual(t, "heroes", rwRows(t, db, `SELECT "h"."name", "h"."secret_name", "h"."age", "t"."name" FROM "rw_hero" "h" LEFT JOIN "rw_team" "t" ON "t"."id" = "h"."team_id"`), []string{
			"Deadpond|Dive Wilson|NULL|Z-Force", "Rusty-Man|Tommy Sharp|48|Preventers",
			"Spider-Boy|Pedro Parqueador|NULL|NULL", "Tarantula|Natalia Roman-on|32|Preventers",
		})
		rwEqual(t, "hero_power", rwHeroPowers(t, db), []string{
			"Deadpond|Regeneration", "Rusty-Man|Flight", "Rusty-Man|Super Strength",
			"Spider-Boy|Web", "Tarantula|Regeneration", "Tarantula|Web",
		})
		rwEqual(t, "hero_training", rwTrainings(t, db), []string{"Deadpond|Regeneration|0", "Spider-Boy|Web|0"})
		rwEqual(t, "hero_power keys", rwRows(t, db, `SELECT "rw_hero_id", "rw_power_id" FROM "rw_hero_power" WHERE "rw_hero_id" = ?`, rm.ID),
			slices.Sorted(slices.Values([]string{fmt.Sprintf("%d|%d", rm.ID, fl.ID), fmt.Sprintf("%d|%d", rm.ID, st.ID)})))

		// A fresh session loads what was written.
		s2 := rwSession(t, db)
		heroes, err := orm.Select[rwHero](s2).OrderBy("name").All(ctx)
		rwOK(t, err, "select heroes")
		rwOK(t, orm.Preload(ctx, s2, heroes, "Team", "Powers", "Training"), "Preload")
		got := map[string]string{}
		for _, h := range heroes {
			team := "-"
			if tm, _ := h.Team.Get(); tm != nil {
				team = tm.Name
			}
			got[h.Name] = team + ":" + strings.Join(rwPowerNames(h.Powers.Items()), ",") + ":" + strings.Join(rwPowerNames(h.Training.Items()), ",")
		}
		want := map[string]string{
			"Deadpond":   "Z-Force:Regeneration:Regeneration",
			"Rusty-Man":  "Preventers:Flight,Super Strength:",
			"Spider-Boy": "-:Web:Web",
			"Tarantula":  "Preventers:Regeneration,Web:",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("reloaded world:\n got  %v\n want %v", got, want)
		}
	})
}

// The link model is a normal tracked model: changing is_training of a
// loaded row flushes one UPDATE of that column, a row added directly is one
// INSERT, and Training.Unlink deletes its row.
func TestRwLinkModelIsATrackedModel(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		// Training.Link writes the row with the extra column's zero value.
		dp := rwGet[rwHero](t, s, w.deadpond)
		rg := rwGet[rwPower](t, s, w.regeneration)
		fl := rwGet[rwPower](t, s, w.flight)
		rec.Reset()
		dp.Training.Link(rg)
		dp.Training.Link(fl)
		rwOK(t, s.Commit(ctx), "Commit links")
		rwStatements(t, rec, "INSERT rw_hero_training")
		rwEqual(t, "trainings", rwTrainings(t, db), []string{"Deadpond|Flight|0", "Deadpond|Regeneration|0"})

		// The link row as an object: one UPDATE of is_training only.
		tr, err := orm.GetByPK[rwHeroTraining](ctx, s, w.deadpond, w.regeneration)
		rwOK(t, err, "GetByPK training")
		if tr.IsTraining {
			t.Fatal("is_training = true, want the zero value written by Link")
		}
		rec.Reset()
		tr.IsTraining = true
		rwOK(t, s.Commit(ctx), "Commit update")
		rwStatements(t, rec, "UPDATE rw_hero_training")
		ev := rwData(rec)[0]
		if want := rwQ(db, `UPDATE "rw_hero_training" SET "is_training" = ? WHERE "hero_id" = ? AND "power_id" = ?`); ev.Query != want {
			t.Fatalf("update:\n got  %s\n want %s", ev.Query, want)
		}

		// A row added directly: one INSERT; the relation loads it.
		rec.Reset()
		rwOK(t, s.Add(&rwHeroTraining{HeroID: w.spider, PowerID: w.web, IsTraining: true}), "Add training")
		rwOK(t, s.Commit(ctx), "Commit insert")
		rwStatements(t, rec, "INSERT rw_hero_training")
		rwEqual(t, "trainings", rwTrainings(t, db), []string{"Deadpond|Flight|0", "Deadpond|Regeneration|1", "Spider-Boy|Web|1"})

		// Unlink through the relation: one DELETE of that pair.
		rec.Reset()
		dp.Training.Unlink(fl)
		rwOK(t, s.Commit(ctx), "Commit unlink")
		rwStatements(t, rec, "DELETE rw_hero_training")
		rwEqual(t, "trainings", rwTrainings(t, db), []string{"Deadpond|Regeneration|1", "Spider-Boy|Web|1"})
	})
}

// Moving a hero to another team: one UPDATE of team_id only, and both
// teams' loaded collections follow through back_populates, whether the
// hero's Team was loaded or not.
func TestRwMoveHeroBetweenTeams(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		pre := rwGet[rwTeam](t, s, w.preventers)
		z := rwGet[rwTeam](t, s, w.zforce)
		_, err := orm.LoadOneToMany(ctx, s, []*rwTeam{pre, z}, rwHeroesOfTeam)
		rwOK(t, err, "LoadOneToMany")
		rm := rwGet[rwHero](t, s, w.rusty)
		if rm.Team.IsLoaded() {
			t.Fatal("the hero's Team is not loaded by the team's collection load")
		}
		rwEqual(t, "Preventers before", rwHeroNames(pre.Heroes.Items()), []string{"Rusty-Man", "Tarantula"})
		rwEqual(t, "Z-Force before", rwHeroNames(z.Heroes.Items()), []string{"Deadpond"})

		// Rusty-Man, whose Team is not loaded, moves to Z-Force.
		rec.Reset()
		rwOK(t, orm.RelateToOne(s, rm, rwTeamOf, z), "RelateToOne")
		if rm.TeamID == nil || *rm.TeamID != w.zforce {
			t.Fatalf("team_id = %v, want %d", rm.TeamID, w.zforce)
		}
		if tm, ok := rm.Team.Get(); !ok || tm != z {
			t.Fatalf("Team = %v, %v; want the tracked Z-Force", tm, ok)
		}
		rwEqual(t, "Z-Force gains", rwHeroNames(z.Heroes.Items()), []string{"Deadpond", "Rusty-Man"})
		rwEqual(t, "Preventers loses", rwHeroNames(pre.Heroes.Items()), []string{"Tarantula"})
		if got := s.ModifiedAttributes(rm); !slices.Equal(got, []string{"team_id"}) {
			t.Fatalf("ModifiedAttributes = %v, want [team_id]", got)
		}
		rwOK(t, s.Flush(ctx), "Flush")
		rwStatements(t, rec, "UPDATE rw_hero")
		ev := rwData(rec)[0]
		if want := rwQ(db, `UPDATE "rw_hero" SET "team_id" = ? WHERE "id" = ?`); ev.Query != want {
			t.Fatalf("update:\n got  %s\n want %s", ev.Query, want)
		}
		if fmt.Sprint(ev.Args) != fmt.Sprint([]any{w.zforce, w.rusty}) {
			t.Fatalf("update args = %v, want [%d %d]", ev.Args, w.zforce, w.rusty)
		}

		// Tarantula, whose Team is loaded, moves the other way round.
		ta := rwGet[rwHero](t, s, w.tarantula)
		_, err = orm.LoadLazy(ctx, s, &ta.Team)
		rwOK(t, err, "LoadLazy")
		rec.Reset()
		rwOK(t, orm.RelateToOne(s, ta, rwTeamOf, z), "RelateToOne 2")
		rwEqual(t, "Preventers empty", rwHeroNames(pre.Heroes.Items()), []string{})
		if !pre.Heroes.IsLoaded() {
			t.Fatal("an emptied collection must stay loaded")
		}
		rwEqual(t, "Z-Force gains again", rwHeroNames(z.Heroes.Items()), []string{"Deadpond", "Rusty-Man", "Tarantula"})
		// Relating to the team it already has changes nothing.
		rwOK(t, orm.RelateToOne(s, ta, rwTeamOf, z), "RelateToOne again")
		if z.Heroes.Len() != 3 {
			t.Fatalf("Z-Force has %d heroes after a repeated relate, want 3", z.Heroes.Len())
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "UPDATE rw_hero")
		rwEqual(t, "db", rwRows(t, db, `SELECT "h"."name", "t"."name" FROM "rw_hero" "h" LEFT JOIN "rw_team" "t" ON "t"."id" = "h"."team_id"`),
			[]string{"Deadpond|Z-Force", "Rusty-Man|Z-Force", "Spider-Boy|NULL", "Tarantula|Z-Force"})

		// To a team that does not exist yet: the key is copied by the
		// flush, after the team's INSERT. (The commit unloaded Z-Force's
		// heroes: load them again.)
		_, err = orm.LoadOneToMany(ctx, s, []*rwTeam{z}, rwHeroesOfTeam)
		rwOK(t, err, "LoadOneToMany again")
		av := &rwTeam{Name: "Avengers", Headquarters: "Stark Tower"}
		rec.Reset()
		rwOK(t, orm.RelateToOne(s, ta, rwTeamOf, av), "RelateToOne new team")
		if !s.Contains(av) {
			t.Fatal("the new team was not added")
		}
		rwEqual(t, "Z-Force loses", rwHeroNames(z.Heroes.Items()), []string{"Deadpond", "Rusty-Man"})
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "INSERT rw_team", "UPDATE rw_hero")
		if ev := rwData(rec)[1]; ev.Query != rwQ(db, `UPDATE "rw_hero" SET "team_id" = ? WHERE "id" = ?`) || fmt.Sprint(ev.Args) != fmt.Sprint([]any{av.ID, w.tarantula}) {
			t.Fatalf("update: %s %v (team %d)", ev.Query, ev.Args, av.ID)
		}
		if ta.TeamID == nil || *ta.TeamID != av.ID {
			t.Fatalf("team_id = %v, want %d", ta.TeamID, av.ID)
		}
		rwEqual(t, "db", rwRows(t, db, `SELECT "h"."name", "t"."name" FROM "rw_hero" "h" JOIN "rw_team" "t" ON "t"."id" = "h"."team_id" WHERE "h"."id" = ?`, w.tarantula),
			[]string{"Tarantula|Avengers"})
	})
}

// Unlinking a power: one DELETE of that link row, through
// UnrelateManyToMany (which also updates the power's loaded Heroes) or
// through Unlink.
func TestRwUnlinkPower(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		rm := rwGet[rwHero](t, s, w.rusty)
		fl := rwGet[rwPower](t, s, w.flight)
		st := rwGet[rwPower](t, s, w.superForce)
		_, err := orm.LoadManyToMany(ctx, s, []*rwHero{rm}, rwPowersOf)
		rwOK(t, err, "LoadManyToMany heroes")
		_, err = orm.LoadManyToMany(ctx, s, []*rwPower{fl, st}, rwHeroesOfPower)
		rwOK(t, err, "LoadManyToMany powers")
		rwEqual(t, "powers before", rwPowerNames(rm.Powers.Items()), []string{"Flight", "Super Strength"})

		rec.Reset()
		rwOK(t, orm.UnrelateManyToMany(s, rm, rwPowersOf, fl), "UnrelateManyToMany")
		rwEqual(t, "powers after", rwPowerNames(rm.Powers.Items()), []string{"Super Strength"})
		rwEqual(t, "Flight's heroes", rwHeroNames(fl.Heroes.Items()), []string{})
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "DELETE rw_hero_power")
		ev := rwData(rec)[0]
		if want := rwQ(db, `DELETE FROM "rw_hero_power" WHERE ("rw_hero_id", "rw_power_id") IN ((?, ?))`); ev.Query != want {
			t.Fatalf("delete:\n got  %s\n want %s", ev.Query, want)
		}
		if fmt.Sprint(ev.Args) != fmt.Sprint([]any{w.rusty, w.flight}) {
			t.Fatalf("delete args = %v", ev.Args)
		}
		rwEqual(t, "links", rwHeroPowers(t, db), []string{"Deadpond|Regeneration", "Rusty-Man|Super Strength", "Spider-Boy|Web"})

		// Unlink on the collection: the same single DELETE.
		rec.Reset()
		rm.Powers.Unlink(st)
		if !rm.Powers.HasPendingOps() {
			t.Fatal("Unlink recorded no operation")
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "DELETE rw_hero_power")
		if rm.Powers.HasPendingOps() || rm.Powers.Len() != 0 {
			t.Fatalf("after the flush: pending %v, %d powers", rm.Powers.HasPendingOps(), rm.Powers.Len())
		}
		rwEqual(t, "links", rwHeroPowers(t, db), []string{"Deadpond|Regeneration", "Spider-Boy|Web"})
		if rwCount(t, db, "rw_power") != 4 {
			t.Fatal("unlinking deleted a power")
		}
	})
}

// Relating both sides of a many-to-many makes one link row, and both
// loaded collections hold the other end once.
func TestRwRelateBothSidesOneLinkRow(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		sb := rwGet[rwHero](t, s, w.spider)
		fl := rwGet[rwPower](t, s, w.flight)
		_, err := orm.LoadManyToMany(ctx, s, []*rwHero{sb}, rwPowersOf)
		rwOK(t, err, "load hero powers")
		_, err = orm.LoadManyToMany(ctx, s, []*rwPower{fl}, rwHeroesOfPower)
		rwOK(t, err, "load power heroes")
		rec.Reset()
		rwOK(t, orm.RelateManyToMany(s, sb, rwPowersOf, fl), "hero -> power")
		rwOK(t, orm.RelateManyToMany(s, fl, rwHeroesOfPower, sb), "power -> hero")
		sb.Powers.Link(fl)
		fl.Heroes.Link(sb)
		rwEqual(t, "hero's powers", rwPowerNames(sb.Powers.Items()), []string{"Flight", "Web"})
		rwEqual(t, "power's heroes", rwHeroNames(fl.Heroes.Items()), []string{"Rusty-Man", "Spider-Boy"})
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "INSERT rw_hero_power")
		if ev := rwData(rec)[0]; len(ev.Args) != 2 {
			t.Fatalf("link insert with %d arguments, want one row: %s %v", len(ev.Args), ev.Query, ev.Args)
		}
		n := rwRows(t, db, `SELECT COUNT(*) FROM "rw_hero_power" WHERE "rw_hero_id" = ? AND "rw_power_id" = ?`, w.spider, w.flight)
		rwEqual(t, "rows of the pair", n, []string{"1"})
	})
}

// A Link and an Unlink of the same pair before a flush cancel: no
// statement at all, from one side or from both.
func TestRwLinkThenUnlinkSendsNothing(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		sb := rwGet[rwHero](t, s, w.spider)
		fl := rwGet[rwPower](t, s, w.flight)
		rg := rwGet[rwPower](t, s, w.regeneration)
		rec.Reset()
		sb.Powers.Link(fl)
		sb.Powers.Unlink(fl)
		rwOK(t, orm.RelateManyToMany(s, sb, rwPowersOf, rg), "relate")
		rwOK(t, orm.UnrelateManyToMany(s, rg, rwHeroesOfPower, sb), "unrelate from the other side")
		rwOK(t, s.Flush(ctx), "Flush")
		rwOK(t, s.Commit(ctx), "Commit")
		if n := rec.Count(); n != 0 {
			t.Fatalf("%d statements for cancelled links, want none:\n%s", n, rec.Dump())
		}
		if sb.Powers.HasPendingOps() {
			t.Fatal("cancelled operations still pending")
		}
		rwEqual(t, "links", rwHeroPowers(t, db), []string{"Deadpond|Regeneration", "Rusty-Man|Flight", "Rusty-Man|Super Strength", "Spider-Boy|Web"})
	})
}

// Linking a pair that is already linked in the database (the collection not
// loaded) is not an error: the conflict is ignored and the pair keeps one
// row.
func TestRwLinkAlreadyLinkedPair(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		rm := rwGet[rwHero](t, s, w.rusty)
		fl := rwGet[rwPower](t, s, w.flight)
		rec.Reset()
		rm.Powers.Link(fl)
		rwOK(t, orm.RelateManyToMany(s, fl, rwHeroesOfPower, rm), "relate again from the power")
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "INSERT rw_hero_power")
		rwEqual(t, "rows of the pair", rwRows(t, db, `SELECT COUNT(*) FROM "rw_hero_power" WHERE "rw_hero_id" = ? AND "rw_power_id" = ?`, w.rusty, w.flight), []string{"1"})
		if rwCount(t, db, "rw_hero_power") != 4 {
			t.Fatalf("link rows = %d, want 4", rwCount(t, db, "rw_hero_power"))
		}
	})
}

// A link to a new object that was never added: the flush adds it (save
// cascade of pending links) and inserts it before the link row.
func TestRwLinkNewTargetIsCascaded(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		ta := rwGet[rwHero](t, s, w.tarantula)
		venom := &rwPower{Name: "Venom"}
		rec.Reset()
		ta.Powers.Link(venom)
		if s.Contains(venom) {
			t.Fatal("Link added its target before the flush")
		}
		rwOK(t, s.Flush(ctx), "Flush")
		rwStatements(t, rec, "INSERT rw_power", "INSERT rw_hero_power")
		if venom.ID == 0 {
			t.Fatal("the cascaded power has no key")
		}
		rwState(t, s, venom, orm.StatePersistent, "cascaded power")
		if ev := rwData(rec)[1]; fmt.Sprint(ev.Args) != fmt.Sprint([]any{w.tarantula, venom.ID}) {
			t.Fatalf("link args = %v, want [%d %d]", ev.Args, w.tarantula, venom.ID)
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "Tarantula's powers", rwRows(t, db, `SELECT "p"."name" FROM "rw_hero_power" "l" JOIN "rw_power" "p" ON "p"."id" = "l"."rw_power_id" WHERE "l"."rw_hero_id" = ?`, w.tarantula), []string{"Venom"})
	})
}

// A flush that fails keeps the pending links: the caller fixes the cause
// and the next flush writes them.
func TestRwLinkFlushFailureKeepsPendingLinks(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		sb := rwGet[rwHero](t, s, w.spider)
		rg := rwGet[rwPower](t, s, w.regeneration)
		dup := &rwPower{Name: "Flight"} // unique name taken
		sb.Powers.Link(rg)
		sb.Powers.Link(dup)
		rec.Reset()
		if err := s.Flush(ctx); !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("Flush: %v, want ErrUniqueViolation", err)
		}
		if !sb.Powers.HasPendingOps() {
			t.Fatal("the failed flush dropped the pending links")
		}
		rwEqual(t, "links", rwHeroPowers(t, db), []string{"Deadpond|Regeneration", "Rusty-Man|Flight", "Rusty-Man|Super Strength", "Spider-Boy|Web"})
		dup.Name = "Venom"
		rec.Reset()
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "INSERT rw_power", "INSERT rw_hero_power")
		rwEqual(t, "links", rwHeroPowers(t, db), []string{"Deadpond|Regeneration", "Rusty-Man|Flight", "Rusty-Man|Super Strength",
			"Spider-Boy|Regeneration", "Spider-Boy|Venom", "Spider-Boy|Web"})
	})
}

// UnrelateFromOne sets the foreign key NULL (one UPDATE) and takes the hero
// out of the old team's loaded collection.
func TestRwUnrelateFromOne(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		pre := rwGet[rwTeam](t, s, w.preventers)
		_, err := orm.LoadOneToMany(ctx, s, []*rwTeam{pre}, rwHeroesOfTeam)
		rwOK(t, err, "LoadOneToMany")
		rm := rwGet[rwHero](t, s, w.rusty)
		rec.Reset()
		rwOK(t, orm.UnrelateFromOne(s, rm, rwTeamOf), "UnrelateFromOne")
		if rm.TeamID != nil {
			t.Fatalf("team_id = %d, want nil", *rm.TeamID)
		}
		if tm, ok := rm.Team.Get(); !ok || tm != nil {
			t.Fatalf("Team = %v, %v; want loaded nil", tm, ok)
		}
		rwEqual(t, "Preventers", rwHeroNames(pre.Heroes.Items()), []string{"Tarantula"})
		rwOK(t, s.Flush(ctx), "Flush")
		rwStatements(t, rec, "UPDATE rw_hero")
		ev := rwData(rec)[0]
		if want := rwQ(db, `UPDATE "rw_hero" SET "team_id" = ? WHERE "id" = ?`); ev.Query != want || fmt.Sprint(ev.Args) != fmt.Sprint([]any{nil, w.rusty}) {
			t.Fatalf("update: %s %v", ev.Query, ev.Args)
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "db", rwRows(t, db, `SELECT "name", "team_id" FROM "rw_hero" WHERE "id" = ?`, w.rusty), []string{"Rusty-Man|NULL"})
	})
}

// UnrelateFromOne on a NOT NULL foreign key is an error that changes
// nothing: neither the key, nor the Lazy, nor the parent's collection.
func TestRwUnrelateFromOneNotNull(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwCascadeModels()...)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		fr := &rwCountry{Name: "France"}
		paris := &rwCity{Name: "Paris"}
		rwOK(t, s.Add(fr), "Add")
		rwOK(t, orm.RelateToOne(s, paris, rwCountryOf, fr), "RelateToOne")
		rwOK(t, s.Add(paris), "Add city")
		rwOK(t, s.Commit(ctx), "Commit")
		_, err := orm.LoadOneToMany(ctx, s, []*rwCountry{fr}, rwCitiesOf)
		rwOK(t, err, "LoadOneToMany")
		_, err = orm.LoadLazy(ctx, s, &paris.Country)
		rwOK(t, err, "LoadLazy")

		rec.Reset()
		err = orm.UnrelateFromOne(s, paris, rwCountryOf)
		if !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("UnrelateFromOne of a NOT NULL key: %v, want ErrInvalidArgument", err)
		}
		if paris.CountryID != fr.ID {
			t.Fatalf("country_id = %d, want %d", paris.CountryID, fr.ID)
		}
		if c, ok := paris.Country.Get(); !ok || c != fr {
			t.Fatalf("Country = %v, %v; want France", c, ok)
		}
		if fr.Cities.Len() != 1 {
			t.Fatalf("France has %d cities, want 1", fr.Cities.Len())
		}
		if s.IsModified(paris) {
			t.Fatalf("city modified: %v", s.ModifiedAttributes(paris))
		}
		rwOK(t, s.Commit(ctx), "Commit")
		if n := len(rwData(rec)); n != 0 {
			t.Fatalf("%d statements after a refused unrelate:\n%s", n, rec.Dump())
		}
	})
}

// FlushRelatedMany writes the pending link rows now.
func TestRwFlushRelatedMany(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		rwOK(t, s.Begin(ctx), "Begin")
		dp := rwGet[rwHero](t, s, w.deadpond)
		wb := rwGet[rwPower](t, s, w.web)
		rec.Reset()
		dp.Powers.Link(wb)
		rwOK(t, orm.FlushRelatedMany(ctx, s, dp, rwPowersOf), "FlushRelatedMany")
		rwStatements(t, rec, "INSERT rw_hero_power")
		if dp.Powers.HasPendingOps() {
			t.Fatal("operations still pending after FlushRelatedMany")
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "Deadpond", rwRows(t, db, `SELECT COUNT(*) FROM "rw_hero_power" WHERE "rw_hero_id" = ?`, w.deadpond), []string{"2"})
	})
}

// Reloading an object in place must not leave a loaded to-one relation
// that contradicts the reloaded foreign key.
func TestRwRefreshResetsChangedToOne(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		s := rwSession(t, db)
		rm := rwGet[rwHero](t, s, w.rusty)
		_, err := orm.LoadLazy(ctx, s, &rm.Team)
		rwOK(t, err, "LoadLazy")

		other := rwSession(t, db)
		rm2 := rwGet[rwHero](t, other, w.rusty)
		rwOK(t, orm.RelateToOne(other, rm2, rwTeamOf, rwGet[rwTeam](t, other, w.zforce)), "RelateToOne")
		rwOK(t, other.Commit(ctx), "Commit")

		rwOK(t, orm.Refresh(ctx, s, rm), "Refresh")
		if rm.TeamID == nil || *rm.TeamID != w.zforce {
			t.Fatalf("team_id after Refresh = %v, want %d", rm.TeamID, w.zforce)
		}
		if tm, ok := rm.Team.Get(); ok && (tm == nil || tm.ID != w.zforce) {
			t.Fatalf("Team after Refresh = %+v (loaded), contradicts team_id %d", tm, w.zforce)
		}
	})
}

// Relating a pair from one side and unrelating it from the other before a
// flush cancels (no statement); neither loaded collection may still show
// the pair.
func TestRwUnrelateOtherSideOfPendingLink(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		sb := rwGet[rwHero](t, s, w.spider)
		fl := rwGet[rwPower](t, s, w.flight)
		_, err := orm.LoadManyToMany(ctx, s, []*rwHero{sb}, rwPowersOf)
		rwOK(t, err, "load hero powers")
		_, err = orm.LoadManyToMany(ctx, s, []*rwPower{fl}, rwHeroesOfPower)
		rwOK(t, err, "load power heroes")
		rwOK(t, orm.RelateManyToMany(s, fl, rwHeroesOfPower, sb), "relate power -> hero")
		rwOK(t, orm.UnrelateManyToMany(s, sb, rwPowersOf, fl), "unrelate hero -> power")
		rwEqual(t, "hero's powers", rwPowerNames(sb.Powers.Items()), []string{"Web"})
		rwEqual(t, "power's heroes", rwHeroNames(fl.Heroes.Items()), []string{"Rusty-Man"})
		rec.Reset()
		rwOK(t, s.Flush(ctx), "Flush")
		if n := rec.Count(); n != 0 {
			t.Fatalf("%d statements for a cancelled pair:\n%s", n, rec.Dump())
		}
		rwEqual(t, "power's heroes after the flush", rwHeroNames(fl.Heroes.Items()), []string{"Rusty-Man"})
	})
}
