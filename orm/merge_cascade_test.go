package orm_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Merge cascades along loaded relations (issue 14, point 5; SQLAlchemy's
// default "merge" cascade): the objects a merged object's loaded relations
// hold are merged too, and the tracked instances' relations hold tracked
// instances. Every name of this file starts with "mc", every table with
// "mc_". The rw* helpers come from relations_write_test.go.

type mcTeam struct {
	ID           int64                   `sqlmodel:"pk" json:"id"`
	Name         string                  `sqlmodel:"unique" json:"name"`
	Headquarters string                  `json:"headquarters"`
	Heroes       orm.RelatedMany[mcHero] `sqlmodel:"back_populates=Team" json:"heroes,omitzero"`
}

func (mcTeam) TableName() string { return "mc_team" }

type mcHero struct {
	ID     int64                    `sqlmodel:"pk" json:"id"`
	Name   string                   `json:"name"`
	Age    *int                     `json:"age"`
	TeamID *int64                   `sqlmodel:"fk=mc_team.id,ondelete=set null" json:"team_id"`
	Team   orm.Lazy[mcTeam]         `sqlmodel:"fk=TeamID,back_populates=Heroes" json:"team,omitzero"`
	Powers orm.RelatedMany[mcPower] `sqlmodel:"link=mc_hero_power,back_populates=Heroes" json:"powers,omitzero"`
}

func (mcHero) TableName() string { return "mc_hero" }

type mcPower struct {
	ID     int64                   `sqlmodel:"pk" json:"id"`
	Name   string                  `sqlmodel:"unique" json:"name"`
	Heroes orm.RelatedMany[mcHero] `sqlmodel:"link=mc_hero_power,back_populates=Powers" json:"heroes,omitzero"`
}

func (mcPower) TableName() string { return "mc_power" }

func mcTeamOf(h *mcHero) *orm.Lazy[mcTeam]                { return &h.Team }
func mcHeroesOf(t *mcTeam) *orm.RelatedMany[mcHero]       { return &t.Heroes }
func mcPowersOf(h *mcHero) *orm.RelatedMany[mcPower]      { return &h.Powers }
func mcHeroesOfPower(p *mcPower) *orm.RelatedMany[mcHero] { return &p.Heroes }

// mcWorld holds the keys of the seeded world.
type mcWorld struct {
	preventers, zforce                 int64
	rusty, tarantula, spider, deadpond int64
	flight, strength, web              int64
}

// mcSeed writes, in a session of its own: the Preventers (Rusty-Man 48,
// Tarantula 32, Spider-Boy without an age) and Z-Force (Deadpond);
// Rusty-Man has Flight and Strength, Spider-Boy Web, Deadpond Flight.
func mcSeed(t *testing.T, db *orm.DB) mcWorld {
	t.Helper()
	rwCreate(t, db, &mcTeam{}, &mcHero{}, &mcPower{})
	s := orm.NewSession(db)
	defer s.Close()
	pre := &mcTeam{Name: "Preventers", Headquarters: "Sharp Tower"}
	z := &mcTeam{Name: "Z-Force", Headquarters: "Sister Margaret's Bar"}
	rm := &mcHero{Name: "Rusty-Man", Age: rwInt(48)}
	ta := &mcHero{Name: "Tarantula", Age: rwInt(32)}
	sb := &mcHero{Name: "Spider-Boy"}
	dp := &mcHero{Name: "Deadpond"}
	fl, st, wb := &mcPower{Name: "Flight"}, &mcPower{Name: "Strength"}, &mcPower{Name: "Web"}
	rwOK(t, s.AddAll(rm, ta, sb, dp, fl, st, wb), "seed AddAll")
	for _, h := range []*mcHero{rm, ta, sb} {
		rwOK(t, orm.RelateToOne(s, h, mcTeamOf, pre), "seed relate")
	}
	rwOK(t, orm.RelateToOne(s, dp, mcTeamOf, z), "seed relate")
	rm.Powers.Link(fl)
	rm.Powers.Link(st)
	sb.Powers.Link(wb)
	dp.Powers.Link(fl)
	rwOK(t, s.Commit(rwCtx(t)), "seed Commit")
	return mcWorld{pre.ID, z.ID, rm.ID, ta.ID, sb.ID, dp.ID, fl.ID, st.ID, wb.ID}
}

// mcHeroRows lists the heroes as "name|age|team name".
func mcHeroRows(t *testing.T, db *orm.DB) []string {
	t.Helper()
	return rwRows(t, db, `SELECT "h"."name", "h"."age", "t"."name" FROM "mc_hero" "h" LEFT JOIN "mc_team" "t" ON "t"."id" = "h"."team_id"`)
}

// mcLinks lists the link rows as "hero|power".
func mcLinks(t *testing.T, db *orm.DB) []string {
	t.Helper()
	return rwRows(t, db, `SELECT "h"."name", "p"."name" FROM "mc_hero_power" "l" `+
		`JOIN "mc_hero" "h" ON "h"."id" = "l"."mc_hero_id" JOIN "mc_power" "p" ON "p"."id" = "l"."mc_power_id"`)
}

func mcAttrs(t *testing.T, s *orm.Session, obj any, want ...string) {
	t.Helper()
	if got := s.ModifiedAttributes(obj); !slices.Equal(got, want) {
		t.Fatalf("ModifiedAttributes of %+v = %q, want %q", obj, got, want)
	}
}

// mcSorted returns the recorded data statements' texts, sorted.
func mcSorted(rec *testkit.Recorder) []string {
	var out []string
	for _, e := range rwData(rec) {
		out = append(out, e.Query)
	}
	slices.Sort(out)
	return out
}

// A new hero whose Lazy holds a detached copy of an existing team: the
// team is merged by key (loaded, not added), the hero's relation holds the
// tracked team, and the commit inserts only the hero, with the team's key.
func TestMergeCascadeNewHeroDetachedTeam(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := mcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		team := &mcTeam{ID: w.preventers, Name: "Preventers", Headquarters: "Sharp Tower"}
		hero := &mcHero{Name: "Black Lion", Age: rwInt(35)}
		hero.Team.Set(team)

		m, err := orm.Merge(ctx, s, hero, true)
		rwOK(t, err, "Merge")
		rwStatements(t, rec, "SELECT mc_team")
		if m != hero {
			t.Fatal("Merge of a new object did not return it")
		}
		rwState(t, s, m, orm.StateNew, "merged hero")
		tt, loaded := m.Team.Get()
		if !loaded || tt == nil || tt == team {
			t.Fatalf("merged hero's team: %p (loaded %v), the detached team is %p", tt, loaded, team)
		}
		rwState(t, s, tt, orm.StatePersistent, "merged team")
		rwState(t, s, team, orm.StateDetached, "detached team")
		if s.IsModified(tt) {
			t.Fatalf("the team is modified: %q", s.ModifiedAttributes(tt))
		}
		if m.TeamID == nil || *m.TeamID != w.preventers {
			t.Fatalf("hero TeamID = %v, want %d", m.TeamID, w.preventers)
		}
		rec.Reset()
		if g := rwGet[mcTeam](t, s, w.preventers); g != tt || rec.Count() != 0 {
			t.Fatalf("Get of the team = %p, want the merged %p without SQL", g, tt)
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "INSERT mc_hero")
		rwEqual(t, "heroes", mcHeroRows(t, db), []string{"Black Lion|35|Preventers", "Deadpond|NULL|Z-Force", "Rusty-Man|48|Preventers", "Spider-Boy|NULL|Preventers", "Tarantula|32|Preventers"})
		if n := rwCount(t, db, "mc_team"); n != 2 {
			t.Fatalf("%d teams, want 2", n)
		}
	})
}

// A team whose RelatedMany holds detached copies of its heroes, some
// changed: the collection is loaded once, the heroes are found in the
// identity map, and the commit updates exactly the changed columns.
func TestMergeCascadeCollectionUpdatesChangedColumns(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := mcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		team := &mcTeam{ID: w.preventers, Name: "Preventers", Headquarters: "Sharp Tower"}
		rusty := &mcHero{ID: w.rusty, Name: "Rusty-Man", Age: rwInt(49), TeamID: &w.preventers}
		tara := &mcHero{ID: w.tarantula, Name: "Tarantula II", Age: rwInt(32), TeamID: &w.preventers}
		spider := &mcHero{ID: w.spider, Name: "Spider-Boy", TeamID: &w.preventers}
		inputs := []*mcHero{rusty, tara, spider}
		team.Heroes.Set(inputs)

		m, err := orm.Merge(ctx, s, team, true)
		rwOK(t, err, "Merge")
		rwStatements(t, rec, "SELECT mc_team", "SELECT mc_hero")
		if m == team {
			t.Fatal("Merge returned the detached team")
		}
		rwState(t, s, m, orm.StatePersistent, "merged team")
		mcAttrs(t, s, m)
		items, loaded := m.Heroes.Get()
		if !loaded || len(items) != 3 {
			t.Fatalf("merged team's heroes: %d (loaded %v)", len(items), loaded)
		}
		want := map[int64][]string{w.rusty: {"age"}, w.tarantula: {"name"}, w.spider: nil}
		rec.Reset()
		for i, h := range items {
			if h == inputs[i] || h.ID != inputs[i].ID {
				t.Fatalf("item %d is %p (id %d), the input is %p (id %d)", i, h, h.ID, inputs[i], inputs[i].ID)
			}
			rwState(t, s, h, orm.StatePersistent, h.Name)
			rwState(t, s, inputs[i], orm.StateDetached, "input "+inputs[i].Name)
			if g := rwGet[mcHero](t, s, h.ID); g != h {
				t.Fatalf("Get(%d) = %p, want the merged %p", h.ID, g, h)
			}
			mcAttrs(t, s, h, want[h.ID]...)
		}
		if rec.Count() != 0 {
			t.Fatalf("Get of merged heroes sent SQL:\n%s", rec.Dump())
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "commit", mcSorted(rec), []string{
			rwQ(db, `UPDATE "mc_hero" SET "age" = ? WHERE "id" = ?`),
			rwQ(db, `UPDATE "mc_hero" SET "name" = ? WHERE "id" = ?`),
		})
		rwEqual(t, "heroes", mcHeroRows(t, db), []string{"Deadpond|NULL|Z-Force", "Rusty-Man|49|Preventers", "Spider-Boy|NULL|Preventers", "Tarantula II|32|Preventers"})

		// A relation not loaded on the object given leaves the tracked
		// instance's relation as it is. (The commit expired the team and
		// unloaded its relations: load them again first.)
		_, err = orm.LoadOneToMany(ctx, s, []*mcTeam{m}, func(t *mcTeam) *orm.RelatedMany[mcHero] { return &t.Heroes })
		rwOK(t, err, "LoadOneToMany after the commit")
		before, loaded := m.Heroes.Get()
		if !loaded {
			t.Fatal("the tracked team's heroes are not loaded after the commit")
		}
		m2, err := orm.Merge(ctx, s, &mcTeam{ID: w.preventers, Name: "Preventers", Headquarters: "Tower"}, true)
		rwOK(t, err, "second Merge")
		after, loaded := m2.Heroes.Get()
		if m2 != m || !loaded || !slices.Equal(after, before) {
			t.Fatalf("second merge: same team %v, heroes loaded %v, %d items (were %d)", m2 == m, loaded, len(after), len(before))
		}
		mcAttrs(t, s, m, "headquarters")
	})
}

// A graph decoded from JSON, merged in one call: the team changes its
// headquarters, Spider-Boy gets an age, a new hero joins (no key: added,
// inserted with the team's key), and Tarantula, left out of the loaded
// collection, lets go of the team (its foreign key is set to NULL).
func TestMergeCascadeJSONGraph(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := mcSeed(t, db)
		doc := fmt.Sprintf(`{"id": %d, "name": "Preventers", "headquarters": "Preventers Tower",
			"heroes": [
				{"id": %d, "name": "Rusty-Man", "age": 48, "team_id": %d},
				{"id": %d, "name": "Spider-Boy", "age": 16, "team_id": %d},
				{"name": "Captain North America", "age": 93}
			]}`, w.preventers, w.rusty, w.preventers, w.spider, w.preventers)
		var team mcTeam
		rwOK(t, json.Unmarshal([]byte(doc), &team), "decode")
		newcomer := team.Heroes.Items()[2]
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		m, err := orm.Merge(ctx, s, &team, true)
		rwOK(t, err, "Merge")
		rwStatements(t, rec, "SELECT mc_team", "SELECT mc_hero")
		mcAttrs(t, s, m, "headquarters")
		items := m.Heroes.Items()
		if len(items) != 3 || items[2] != newcomer {
			t.Fatalf("merged heroes %v: want 3, the new one being the decoded object", rwNames(items, func(h *mcHero) string { return h.Name }))
		}
		rwState(t, s, newcomer, orm.StateNew, "newcomer")
		if newcomer.TeamID == nil || *newcomer.TeamID != w.preventers {
			t.Fatalf("newcomer's TeamID = %v, want the team's key", newcomer.TeamID)
		}
		rusty, spider := rwGet[mcHero](t, s, w.rusty), rwGet[mcHero](t, s, w.spider)
		if items[0] != rusty || items[1] != spider {
			t.Fatal("the merged collection does not hold the tracked heroes")
		}
		mcAttrs(t, s, rusty)
		mcAttrs(t, s, spider, "age")
		rec.Reset()
		tara := rwGet[mcHero](t, s, w.tarantula)
		if rec.Count() != 0 {
			t.Fatal("Tarantula was not loaded with the collection")
		}
		if tara.TeamID != nil {
			t.Fatalf("Tarantula's TeamID = %d, want NULL (left out of the collection)", *tara.TeamID)
		}
		mcAttrs(t, s, tara, "team_id")

		rwOK(t, s.Commit(ctx), "Commit")
		kinds := rwKinds(rec)
		slices.Sort(kinds)
		rwEqual(t, "commit", kinds, []string{"INSERT mc_hero", "UPDATE mc_hero", "UPDATE mc_hero", "UPDATE mc_team"})
		rwEqual(t, "heroes", mcHeroRows(t, db), []string{"Captain North America|93|Preventers", "Deadpond|NULL|Z-Force", "Rusty-Man|48|Preventers", "Spider-Boy|16|Preventers", "Tarantula|32|NULL"})
		rwEqual(t, "teams", rwRows(t, db, `SELECT "name", "headquarters" FROM "mc_team"`), []string{"Preventers|Preventers Tower", "Z-Force|Sister Margaret's Bar"})
	})
}

// Many-to-many: the hero's collection is loaded and replaced by the merged
// one; the flush inserts the new power and links, and removes the link
// left out.
func TestMergeCascadeManyToMany(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := mcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		speed := &mcPower{Name: "Speed"}
		hero := &mcHero{ID: w.rusty, Name: "Rusty-Man", Age: rwInt(48), TeamID: &w.preventers}
		hero.Powers.Set([]*mcPower{{ID: w.flight, Name: "Flight"}, {ID: w.web, Name: "Web"}, speed})

		m, err := orm.Merge(ctx, s, hero, true)
		rwOK(t, err, "Merge")
		// The hero, its powers (one join), Web (not linked to it yet).
		rwStatements(t, rec, "SELECT mc_hero", "SELECT mc_power", "SELECT mc_power")
		mcAttrs(t, s, m)
		ps := m.Powers.Items()
		if len(ps) != 3 || ps[2] != speed {
			t.Fatalf("merged powers %v", rwNames(ps, func(p *mcPower) string { return p.Name }))
		}
		rec.Reset()
		for _, p := range ps[:2] {
			if g := rwGet[mcPower](t, s, p.ID); g != p {
				t.Fatalf("Get(power %d) is not the merged instance", p.ID)
			}
			rwState(t, s, p, orm.StatePersistent, p.Name)
		}
		rwState(t, s, speed, orm.StateNew, "Speed")
		if rec.Count() != 0 {
			t.Fatalf("Gets sent SQL:\n%s", rec.Dump())
		}
		link, unlink := m.Powers.PendingLinks()
		if len(link) != 2 || link[0] != any(ps[1]) || link[1] != any(speed) || len(unlink) != 1 || unlink[0].(*mcPower).Name != "Strength" {
			t.Fatalf("pending links %v, unlinks %v: want Web and Speed, Strength", link, unlink)
		}

		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "INSERT mc_power", "INSERT mc_hero_power", "DELETE mc_hero_power")
		rwEqual(t, "links", mcLinks(t, db), []string{"Deadpond|Flight", "Rusty-Man|Flight", "Rusty-Man|Speed", "Rusty-Man|Web", "Spider-Boy|Web"})
		if m.Powers.HasPendingOps() {
			t.Fatal("link operations still pending after the commit")
		}
	})
}

// A graph with cycles (back_populates both ways, to-many and many-to-many)
// loaded in another session: each object is merged once, the relations of
// the merged instances point at merged instances (the cycles close on
// them), the other session is untouched, and only the one change is
// written. Collections load one query per relation and level.
func TestMergeCascadeCyclesFromAnotherSession(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := mcSeed(t, db)
		s1 := rwSession(t, db)
		team := rwGet[mcTeam](t, s1, w.preventers)
		_, err := orm.LoadOneToMany(ctx, s1, []*mcTeam{team}, mcHeroesOf)
		rwOK(t, err, "LoadOneToMany")
		heroes := team.Heroes.Items()
		_, err = orm.LoadMany(ctx, s1, heroes, mcTeamOf)
		rwOK(t, err, "LoadMany")
		_, err = orm.LoadManyToMany(ctx, s1, heroes, mcPowersOf)
		rwOK(t, err, "LoadManyToMany")
		var powers []*mcPower
		for _, h := range heroes {
			for _, p := range h.Powers.Items() {
				if !slices.Contains(powers, p) {
					powers = append(powers, p)
				}
			}
		}
		_, err = orm.LoadManyToMany(ctx, s1, powers, mcHeroesOfPower)
		rwOK(t, err, "LoadManyToMany back")
		rusty := rwGet[mcHero](t, s1, w.rusty)
		rusty.Age = rwInt(50)
		tracked1 := s1.TrackedCount()

		rdb, rec := testkit.Record(db)
		s2 := rwSession(t, rdb)
		m, err := orm.Merge(ctx, s2, team, true)
		rwOK(t, err, "Merge")
		rwStatements(t, rec, "SELECT mc_team", "SELECT mc_hero", "SELECT mc_power", "SELECT mc_hero")
		if m == team || s2.Contains(team) || !s1.Contains(team) {
			t.Fatal("the other session's team was attached")
		}
		if s1.TrackedCount() != tracked1 || !s1.IsModified(rusty) {
			t.Fatal("the other session changed")
		}
		// Every hero and power of the graph, merged once.
		if n := s2.TrackedCount(); n != 1+4+3 {
			t.Fatalf("s2 tracks %d objects, want 8 (the team, 4 heroes, 3 powers)\n%s", n, s2.DebugState())
		}
		hs := m.Heroes.Items()
		if len(hs) != 3 {
			t.Fatalf("%d merged heroes", len(hs))
		}
		for _, h := range hs {
			if slices.Contains(heroes, h) {
				t.Fatalf("merged team holds %s of the other session", h.Name)
			}
			if tt, _ := h.Team.Get(); tt != m {
				t.Fatalf("%s.Team = %p, want the merged team %p", h.Name, tt, m)
			}
			if g := rwGet[mcHero](t, s2, h.ID); g != h {
				t.Fatalf("Get(%s) is not the merged instance", h.Name)
			}
			for _, p := range h.Powers.Items() {
				if !s2.Contains(p) || slices.Contains(powers, p) {
					t.Fatalf("%s holds power %s of another session", h.Name, p.Name)
				}
				if !slices.Contains(p.Heroes.Items(), h) {
					t.Fatalf("power %s does not hold the merged %s", p.Name, h.Name)
				}
			}
		}
		dp := rwGet[mcHero](t, s2, w.deadpond)
		if dp.Team.IsLoaded() {
			t.Fatal("Deadpond's team was not loaded in the input, but is loaded now")
		}
		if n := s2.PendingDirtyCount(); n != 1 {
			t.Fatalf("PendingDirtyCount = %d, want 1\n%s", n, s2.DebugState())
		}
		rec.Reset()
		rwOK(t, s2.Commit(ctx), "Commit")
		rwEqual(t, "commit", mcSorted(rec), []string{rwQ(db, `UPDATE "mc_hero" SET "age" = ? WHERE "id" = ?`)})
		rwEqual(t, "heroes", mcHeroRows(t, db), []string{"Deadpond|NULL|Z-Force", "Rusty-Man|50|Preventers", "Spider-Boy|NULL|Preventers", "Tarantula|32|Preventers"})
		rwEqual(t, "links", mcLinks(t, db), []string{"Deadpond|Flight", "Rusty-Man|Flight", "Rusty-Man|Strength", "Spider-Boy|Web"})
	})
}

// Without load: no SQL; the objects given are attached as Persistent and
// clean (a key the session tracks merges into the tracked instance), the
// relations hold them, and nothing is written until they change.
func TestMergeCascadeWithoutLoad(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := mcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		z := rwGet[mcTeam](t, s, w.zforce)
		given := &mcTeam{ID: w.zforce, Name: "Z-Force", Headquarters: "Sister Margaret's Bar"}
		flight := &mcPower{ID: w.flight, Name: "Flight"}
		hero := &mcHero{ID: w.deadpond, Name: "Deadpond", TeamID: &w.zforce}
		hero.Team.Set(given)
		hero.Powers.Set([]*mcPower{flight})
		rec.Reset()

		m, err := orm.MergeWithoutLoad(ctx, s, hero)
		rwOK(t, err, "MergeWithoutLoad")
		if rec.Count() != 0 {
			t.Fatalf("MergeWithoutLoad sent SQL:\n%s", rec.Dump())
		}
		if m != hero {
			t.Fatal("an untracked key without load: the object given is attached")
		}
		if tt, _ := m.Team.Get(); tt != z {
			t.Fatalf("hero's team %p, want the tracked team %p", tt, z)
		}
		rwState(t, s, given, orm.StateDetached, "the given team copy")
		if ps := m.Powers.Items(); len(ps) != 1 || ps[0] != flight {
			t.Fatal("the hero's powers do not hold the attached power")
		}
		for _, o := range []any{m, flight, z} {
			st, ok := s.ObjectState(o)
			if !ok || st != orm.StatePersistent || s.IsModified(o) {
				t.Fatalf("%+v: state %v (tracked %v), modified %q", o, st, ok, s.ModifiedAttributes(o))
			}
		}
		if m.Powers.HasPendingOps() {
			t.Fatal("MergeWithoutLoad recorded link operations")
		}
		if g := rwGet[mcPower](t, s, w.flight); g != flight || rec.Count() != 0 {
			t.Fatal("Get of the attached power is not it, or sent SQL")
		}
		rwOK(t, s.Flush(ctx), "Flush")
		if rec.Count() != 0 {
			t.Fatalf("flush after MergeWithoutLoad sent SQL:\n%s", rec.Dump())
		}
		flight.Name = "Flying"
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "commit", mcSorted(rec), []string{rwQ(db, `UPDATE "mc_power" SET "name" = ? WHERE "id" = ?`)})
		rwEqual(t, "links", mcLinks(t, db), []string{"Deadpond|Flying", "Rusty-Man|Flying", "Rusty-Man|Strength", "Spider-Boy|Web"})
	})
}

// A merge that fails part-way leaves the session as it was: nothing it
// loaded stays tracked, nothing it laid over a tracked instance stays, the
// objects given are unchanged, and the session's own pending work is
// still what the commit writes.
func TestMergeCascadeFailureLeavesSessionUnchanged(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := mcSeed(t, db)
		rdb, rec := testkit.Record(db)
		// AutoFlush off, so that the pending delete of Spider-Boy is still
		// pending when the merge reaches him.
		cfg := orm.DefaultSessionConfig()
		cfg.AutoFlush = false
		s := orm.NewSessionWithConfig(rdb, cfg)
		defer s.Close()
		pre := rwGet[mcTeam](t, s, w.preventers)
		sb := rwGet[mcHero](t, s, w.spider)
		rwOK(t, s.Delete(sb), "Delete")
		tracked := s.TrackedCount()

		team := &mcTeam{ID: w.preventers, Name: "Preventers", Headquarters: "Elsewhere"}
		rusty := &mcHero{ID: w.rusty, Name: "Rusty-Man", Age: rwInt(60), TeamID: &w.preventers}
		spider := &mcHero{ID: w.spider, Name: "Spider-Boy", TeamID: &w.preventers}
		newcomer := &mcHero{Name: "Newcomer"}
		team.Heroes.Set([]*mcHero{rusty, newcomer, spider})
		rec.Reset()
		_, err := orm.Merge(ctx, s, team, true)
		if !errors.Is(err, orm.ErrNotPersistent) {
			t.Fatalf("Merge reaching a deleted key = %v, want ErrNotPersistent", err)
		}
		rwStatements(t, rec, "SELECT mc_hero") // the collection was loaded before the failure
		if n := s.TrackedCount(); n != tracked {
			t.Fatalf("TrackedCount = %d, want %d\n%s", n, tracked, s.DebugState())
		}
		if pre.Headquarters != "Sharp Tower" || s.IsModified(pre) || pre.Heroes.IsLoaded() {
			t.Fatalf("the tracked team changed: %+v (modified %v, heroes loaded %v)", *pre, s.IsModified(pre), pre.Heroes.IsLoaded())
		}
		rwState(t, s, sb, orm.StateDeleted, "Spider-Boy")
		rwState(t, s, newcomer, orm.StateDetached, "newcomer")
		if newcomer.TeamID != nil || *rusty.Age != 60 || rusty.Team.IsLoaded() || team.Heroes.Items()[1] != newcomer {
			t.Fatal("the objects given were changed")
		}
		if s.PendingNewCount() != 0 || s.PendingDirtyCount() != 0 || s.PendingDeleteCount() != 1 {
			t.Fatalf("pending: new %d dirty %d delete %d", s.PendingNewCount(), s.PendingDirtyCount(), s.PendingDeleteCount())
		}
		rec.Reset()
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "DELETE mc_hero_power", "DELETE mc_hero") // the deleted hero's links go first
		rwEqual(t, "heroes", mcHeroRows(t, db), []string{"Deadpond|NULL|Z-Force", "Rusty-Man|48|Preventers", "Tarantula|32|Preventers"})
		rwEqual(t, "links", mcLinks(t, db), []string{"Deadpond|Flight", "Rusty-Man|Flight", "Rusty-Man|Strength"})

		// AutoFlush on: a nil item found after the loads is an error, and
		// what the loads tracked is forgotten again.
		s2 := rwSession(t, rdb)
		bad := &mcTeam{ID: w.preventers, Name: "Preventers", Headquarters: "Sharp Tower"}
		bad.Heroes.Set([]*mcHero{{ID: w.rusty, Name: "Rusty-Man"}, nil})
		rec.Reset()
		if _, err := orm.Merge(ctx, s2, bad, true); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("Merge of a collection with a nil item = %v, want ErrInvalidArgument", err)
		}
		rwStatements(t, rec, "SELECT mc_team", "SELECT mc_hero")
		if n := s2.TrackedCount(); n != 0 {
			t.Fatalf("TrackedCount = %d after a failed merge, want 0\n%s", n, s2.DebugState())
		}
	})
}
