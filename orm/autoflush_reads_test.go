package orm_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// AutoFlush is on by default, and every read agrees with the others
// (issue 14, point 6; DESIGN §5.9): with AutoFlush, reads flush pending
// work first; without it, they return what the database has, objects
// deleted in the session but not flushed included (as their tracked
// instances), as in SQLAlchemy. Every name of this file starts with "af",
// every table with "af_". The rw* helpers come from relations_write_test.go.

type afTeam struct {
	ID     int64                   `sqlmodel:"pk"`
	Name   string                  `sqlmodel:"unique"`
	Heroes orm.RelatedMany[afHero] `sqlmodel:"back_populates=Team"`
}

func (afTeam) TableName() string { return "af_team" }

type afHero struct {
	ID     int64                    `sqlmodel:"pk"`
	Name   string                   `sqlmodel:"unique"`
	TeamID *int64                   `sqlmodel:"fk=af_team.id"`
	Team   orm.Lazy[afTeam]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers orm.RelatedMany[afPower] `sqlmodel:"link=af_hero_power,back_populates=Heroes"`
}

func (afHero) TableName() string { return "af_hero" }

type afPower struct {
	ID     int64                   `sqlmodel:"pk"`
	Name   string                  `sqlmodel:"unique"`
	Heroes orm.RelatedMany[afHero] `sqlmodel:"link=af_hero_power,back_populates=Powers"`
}

func (afPower) TableName() string { return "af_power" }

func afTeamOf(h *afHero) *orm.Lazy[afTeam]                { return &h.Team }
func afHeroesOf(t *afTeam) *orm.RelatedMany[afHero]       { return &t.Heroes }
func afPowersOf(h *afHero) *orm.RelatedMany[afPower]      { return &h.Powers }
func afHeroesOfPower(p *afPower) *orm.RelatedMany[afHero] { return &p.Heroes }

// afSeed writes teams Alpha, Beta and Gamma, heroes a, b, c in Alpha and
// the power Flight, and returns their keys by name.
func afSeed(t *testing.T, db *orm.DB) map[string]int64 {
	t.Helper()
	rwCreate(t, db, &afTeam{}, &afHero{}, &afPower{})
	s := orm.NewSession(db)
	defer s.Close()
	alpha, beta, gamma := &afTeam{Name: "Alpha"}, &afTeam{Name: "Beta"}, &afTeam{Name: "Gamma"}
	a, b, c := &afHero{Name: "a"}, &afHero{Name: "b"}, &afHero{Name: "c"}
	fl := &afPower{Name: "Flight"}
	rwOK(t, s.AddAll(alpha, beta, gamma, a, b, c, fl), "seed AddAll")
	for _, h := range []*afHero{a, b, c} {
		rwOK(t, orm.RelateToOne(s, h, afTeamOf, alpha), "seed relate")
	}
	rwOK(t, s.Commit(rwCtx(t)), "seed Commit")
	return map[string]int64{"Alpha": alpha.ID, "Beta": beta.ID, "Gamma": gamma.ID, "a": a.ID, "b": b.ID, "c": c.ID, "Flight": fl.ID}
}

func afNames(hs []*afHero) []string { return rwNames(hs, func(h *afHero) string { return h.Name }) }

func afNoAutoFlush() orm.SessionConfig {
	cfg := orm.DefaultSessionConfig()
	cfg.AutoFlush = false
	return cfg
}

// AutoFlush off: one of three heroes deleted without a flush. Every read
// answers from the database, which still has the row: Count, All, Limit,
// First, One, Exists, Iter, Raw and Get agree on three, the deleted hero
// being returned as its tracked instance, still Deleted.
func TestAfReadsAgreeWithoutAutoFlush(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		k := afSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := orm.NewSessionWithConfig(rdb, afNoAutoFlush())
		defer s.Close()
		all, err := orm.Select[afHero](s).OrderBy("id").All(ctx)
		rwOK(t, err, "All")
		a := all[0]
		rwOK(t, s.Delete(a), "Delete")
		rec.Reset()

		n, err := orm.Select[afHero](s).Count(ctx)
		rwOK(t, err, "Count")
		got, err := orm.Select[afHero](s).OrderBy("id").All(ctx)
		rwOK(t, err, "All")
		two, err := orm.Select[afHero](s).OrderBy("id").Limit(2).All(ctx)
		rwOK(t, err, "Limit(2).All")
		first, err := orm.Select[afHero](s).OrderBy("id").First(ctx)
		rwOK(t, err, "First")
		if n != 3 || len(got) != 3 || len(two) != 2 || first != a || got[0] != a || two[0] != a {
			t.Fatalf("Count %d, All %q, Limit(2) %q, First %s: want 3, 3, 2 and the deleted a", n, afNames(got), afNames(two), first.Name)
		}
		one, err := orm.Select[afHero](s).Filter(orm.Col("name").Eq("a")).One(ctx)
		if err != nil || one != a {
			t.Fatalf("One(a) = %p, %v; want the tracked %p", one, err, a)
		}
		if ok, err := orm.Select[afHero](s).Filter(orm.Col("name").Eq("a")).Exists(ctx); err != nil || !ok {
			t.Fatalf("Exists(a) = %v, %v", ok, err)
		}
		var it []*afHero
		for h, err := range orm.Select[afHero](s).OrderBy("id").Iter(ctx) {
			rwOK(t, err, "Iter")
			it = append(it, h)
		}
		raw, err := orm.Raw[afHero](ctx, s, rwQ(db, `SELECT "id", "name", "team_id" FROM "af_hero" ORDER BY "id"`))
		rwOK(t, err, "Raw")
		if !slices.Equal(it, got) || !slices.Equal(raw, got) {
			t.Fatalf("Iter %q, Raw %q; want the objects of All %q", afNames(it), afNames(raw), afNames(got))
		}
		if g, err := orm.Get[afHero](ctx, s, k["a"]); err != nil || g != a {
			t.Fatalf("Get(a) = %p, %v; want the tracked %p", g, err, a)
		}
		rwState(t, s, a, orm.StateDeleted, "a after the reads")
		for _, kind := range rwKinds(rec) {
			if kind != "SELECT af_hero" {
				t.Fatalf("a read without AutoFlush wrote: %q", rwKinds(rec))
			}
		}
		rec.Reset()
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "DELETE af_hero_power", "DELETE af_hero") // its link rows go first
		if n, err := orm.Select[afHero](s).Count(ctx); err != nil || n != 2 {
			t.Fatalf("Count after the commit = %d, %v", n, err)
		}
	})
}

// AutoFlush on (the default): Get of the deleted hero is ErrNotFound
// without SQL; the first query flushes the delete, and every read then
// agrees on two.
func TestAfReadsAgreeWithAutoFlush(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		k := afSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		if !s.Config().AutoFlush {
			t.Fatal("AutoFlush is not on by default")
		}
		all, err := orm.Select[afHero](s).OrderBy("id").All(ctx)
		rwOK(t, err, "All")
		a, b, c := all[0], all[1], all[2]
		rwOK(t, s.Delete(a), "Delete")
		rec.Reset()
		if g, err := orm.Get[afHero](ctx, s, k["a"]); g != nil || !errors.Is(err, orm.ErrNotFound) || rec.Count() != 0 {
			t.Fatalf("Get of the deleted hero = %p, %v (%d statements); want ErrNotFound without SQL", g, err, rec.Count())
		}
		rwState(t, s, a, orm.StateDeleted, "a before the first query")

		n, err := orm.Select[afHero](s).Count(ctx)
		rwOK(t, err, "Count")
		rwEqual(t, "Count sends the DELETE first", rwKinds(rec), []string{"DELETE af_hero_power", "DELETE af_hero", "SELECT af_hero"})
		rwState(t, s, a, orm.StateDetached, "a after the autoflush")
		got, err := orm.Select[afHero](s).OrderBy("id").All(ctx)
		rwOK(t, err, "All")
		two, err := orm.Select[afHero](s).OrderBy("id").Limit(2).All(ctx)
		rwOK(t, err, "Limit(2).All")
		first, err := orm.Select[afHero](s).OrderBy("id").First(ctx)
		rwOK(t, err, "First")
		if n != 2 || !slices.Equal(got, []*afHero{b, c}) || !slices.Equal(two, []*afHero{b, c}) || first != b {
			t.Fatalf("Count %d, All %q, Limit(2) %q, First %s: want 2, [b c], [b c], b", n, afNames(got), afNames(two), first.Name)
		}
		if one, err := orm.Select[afHero](s).Filter(orm.Col("name").Eq("a")).One(ctx); one != nil || !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("One(a) = %p, %v; want ErrNotFound", one, err)
		}
		if ok, err := orm.Select[afHero](s).Filter(orm.Col("name").Eq("a")).Exists(ctx); err != nil || ok {
			t.Fatalf("Exists(a) = %v, %v; want false", ok, err)
		}
		if g, err := orm.Get[afHero](ctx, s, k["a"]); g != nil || !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("Get(a) after the flush = %p, %v", g, err)
		}
		rwOK(t, s.Commit(ctx), "Commit")
		if n := rwCount(t, db, "af_hero"); n != 2 {
			t.Fatalf("%d heroes after the commit, want 2", n)
		}
	})
}

// With AutoFlush (the default), every loader flushes first, so that a
// relation loaded after an unflushed change shows the session's state:
// LoadOneToMany after RelateToOne of a new hero and after a changed
// foreign key, LoadLazy and LoadMany after changed foreign keys,
// LoadManyToMany after RelateManyToMany, Preload after RelateToOne.
// Without AutoFlush the one-to-many load shows the session's state too,
// without writing: the pending hero related to the team is in its
// collection (relation changes are visible to collections loaded after
// them, see graph_consistency_test.go).
func TestAfLoadersAutoFlush(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		k := afSeed(t, db)
		rdb, rec := testkit.Record(db)

		off := orm.NewSessionWithConfig(rdb, afNoAutoFlush())
		defer off.Close()
		alphaOff := rwGet[afTeam](t, off, k["Alpha"])
		pending := &afHero{Name: "pending"}
		rwOK(t, off.Add(pending), "Add")
		rwOK(t, orm.RelateToOne(off, pending, afTeamOf, alphaOff), "RelateToOne")
		_, err := orm.LoadOneToMany(ctx, off, []*afTeam{alphaOff}, afHeroesOf)
		rwOK(t, err, "LoadOneToMany without AutoFlush")
		if names := afNames(alphaOff.Heroes.Items()); !slices.Equal(names, []string{"a", "b", "c", "pending"}) {
			t.Fatalf("without AutoFlush the collection is not the session's: %q", names)
		}
		if n := rwCount(t, db, "af_hero"); n != 3 {
			t.Fatalf("the load without AutoFlush wrote: %d heroes in the database", n)
		}
		rwOK(t, off.Rollback(ctx), "Rollback")

		s := rwSession(t, rdb)
		alpha, beta := rwGet[afTeam](t, s, k["Alpha"]), rwGet[afTeam](t, s, k["Beta"])
		betaID, gammaID := k["Beta"], k["Gamma"]
		// loaded checks that the load wrote the pending change first.
		loaded := func(what, write string) {
			t.Helper()
			kinds := rwKinds(rec)
			if len(kinds) == 0 || kinds[0] != write {
				t.Fatalf("%s sent %q, want %s first", what, kinds, write)
			}
			rec.Reset()
		}

		// LoadOneToMany after RelateToOne of a new hero.
		nh := &afHero{Name: "new"}
		rwOK(t, s.Add(nh), "Add")
		rwOK(t, orm.RelateToOne(s, nh, afTeamOf, alpha), "RelateToOne")
		rec.Reset()
		_, err = orm.LoadOneToMany(ctx, s, []*afTeam{alpha}, afHeroesOf)
		rwOK(t, err, "LoadOneToMany")
		loaded("LoadOneToMany", "INSERT af_hero")
		if hs := alpha.Heroes.Items(); len(hs) != 4 || !slices.Contains(hs, nh) {
			t.Fatalf("Alpha's heroes %q, want a, b, c and the new one", afNames(hs))
		}

		// LoadOneToMany after a foreign key set by hand.
		a := rwGet[afHero](t, s, k["a"])
		a.TeamID = &betaID
		rec.Reset()
		_, err = orm.LoadOneToMany(ctx, s, []*afTeam{beta}, afHeroesOf)
		rwOK(t, err, "LoadOneToMany of Beta")
		loaded("LoadOneToMany of Beta", "UPDATE af_hero")
		if hs := beta.Heroes.Items(); len(hs) != 1 || hs[0] != a {
			t.Fatalf("Beta's heroes %q, want a", afNames(hs))
		}

		// LoadLazy and LoadMany after foreign keys set by hand.
		b, c := rwGet[afHero](t, s, k["b"]), rwGet[afHero](t, s, k["c"])
		b.TeamID = &betaID
		rec.Reset()
		ok, err := orm.LoadLazy(ctx, s, &b.Team)
		rwOK(t, err, "LoadLazy")
		loaded("LoadLazy", "UPDATE af_hero")
		if tt, _ := b.Team.Get(); !ok || tt != beta {
			t.Fatalf("b.Team = %p, want Beta %p", tt, beta)
		}
		c.TeamID = &gammaID
		rec.Reset()
		_, err = orm.LoadMany(ctx, s, []*afHero{c}, afTeamOf)
		rwOK(t, err, "LoadMany")
		loaded("LoadMany", "UPDATE af_hero")
		if tt, _ := c.Team.Get(); tt == nil || tt.Name != "Gamma" {
			t.Fatalf("c.Team = %+v, want Gamma", tt)
		}

		// LoadManyToMany after RelateManyToMany from the other side.
		fl := rwGet[afPower](t, s, k["Flight"])
		rwOK(t, orm.RelateManyToMany(s, a, afPowersOf, fl), "RelateManyToMany")
		rec.Reset()
		_, err = orm.LoadManyToMany(ctx, s, []*afPower{fl}, afHeroesOfPower)
		rwOK(t, err, "LoadManyToMany")
		loaded("LoadManyToMany", "INSERT af_hero_power")
		if hs := fl.Heroes.Items(); len(hs) != 1 || hs[0] != a {
			t.Fatalf("Flight's heroes %q, want a", afNames(hs))
		}

		// Preload after RelateToOne of a new hero.
		gamma := rwGet[afTeam](t, s, k["Gamma"])
		gh := &afHero{Name: "gamma hero"}
		rwOK(t, s.Add(gh), "Add")
		rwOK(t, orm.RelateToOne(s, gh, afTeamOf, gamma), "RelateToOne")
		rec.Reset()
		rwOK(t, orm.Preload(ctx, s, []*afTeam{gamma}, "Heroes"), "Preload")
		loaded("Preload", "INSERT af_hero")
		if hs := gamma.Heroes.Items(); len(hs) != 2 || !slices.Contains(hs, gh) || !slices.Contains(hs, c) {
			t.Fatalf("Gamma's heroes %q, want c and the new one", afNames(hs))
		}
		rwOK(t, s.Commit(ctx), "Commit")
	})
}
