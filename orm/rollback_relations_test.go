package orm_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// Rollback and relation fields: a relation field set, after a flush, to
// what the database then held (a change the next flush would not write)
// must not survive a rollback that changes what the database holds under
// it. After the rollback it holds what the database holds again, or is not
// loaded; the next flush writes nothing for it (the rolled-back change is
// not written again). Found by TestGraphModel (seed 1796539317152290806).

type rrTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes orm.RelatedMany[rrHero] `sqlmodel:"back_populates=Team"`
}

func (rrTeam) TableName() string { return "rr_team" }

type rrHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID *int64                   `sqlmodel:"fk=rr_team.id,ondelete=set null"`
	Team   orm.Lazy[rrTeam]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers orm.RelatedMany[rrPower] `sqlmodel:"link=rr_hero_power,back_populates=Heroes"`
}

func (rrHero) TableName() string { return "rr_hero" }

type rrPower struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes orm.RelatedMany[rrHero] `sqlmodel:"link=rr_hero_power,back_populates=Powers"`
}

func (rrPower) TableName() string { return "rr_power" }

func rrHeroesOf(t *rrTeam) *orm.RelatedMany[rrHero]  { return &t.Heroes }
func rrPowersOf(h *rrHero) *orm.RelatedMany[rrPower] { return &h.Powers }

// rrKeys are the rows rrSetup commits: teams t1 and t2, hero h in t1,
// power p linked to h when linked is set.
type rrKeys struct{ t1, t2, h, p int64 }

func rrSetup(t *testing.T, db *orm.DB, linked bool) rrKeys {
	t.Helper()
	ctx := flCtx(t)
	flCreate(t, db, &rrTeam{}, &rrHero{}, &rrPower{})
	s := orm.NewSession(db)
	defer s.Close()
	t1, t2 := &rrTeam{Name: "t1"}, &rrTeam{Name: "t2"}
	p := &rrPower{Name: "p"}
	h := &rrHero{Name: "h"}
	h.Team.Set(t1)
	if linked {
		h.Powers.Set([]*rrPower{p})
	}
	flOK(t, s.AddAll(t1, t2, h, p), "setup AddAll")
	flOK(t, s.Commit(ctx), "setup Commit")
	return rrKeys{t1.ID, t2.ID, h.ID, p.ID}
}

// rrScope opens a transaction (Begin) or a savepoint (BeginNested inside a
// transaction) and returns its rollback.
func rrScope(t *testing.T, ctx context.Context, s *orm.Session, nested bool) func() {
	t.Helper()
	if !nested {
		flOK(t, s.Begin(ctx), "Begin")
		return func() { flOK(t, s.Rollback(ctx), "Rollback") }
	}
	flOK(t, s.Begin(ctx), "Begin")
	sp, err := s.BeginNested(ctx)
	flOK(t, err, "BeginNested")
	return func() { flOK(t, sp.Rollback(ctx), "Savepoint.Rollback") }
}

// rrGet loads an object in the session.
func rrGet[T any](t *testing.T, ctx context.Context, s *orm.Session, key int64) *T {
	t.Helper()
	o, err := orm.Get[T](ctx, s, key)
	flOK(t, err, "Get")
	return o
}

// rrAutoflush runs a query, which flushes the pending changes first, and
// fails unless that flush sent a statement containing want.
func rrAutoflush(t *testing.T, ctx context.Context, s *orm.Session, rec *ormtest.Recorder, want string) {
	t.Helper()
	rec.Reset()
	_, err := orm.Select[rrPower](s).Count(ctx)
	flOK(t, err, "query (autoflush)")
	if !slices.ContainsFunc(rrWrites(rec), func(q string) bool { return strings.Contains(q, want) }) {
		t.Fatalf("autoflush sent %q, want a statement with %q", rrWrites(rec), want)
	}
}

// rrWrites returns the recorded INSERT, UPDATE and DELETE statements.
func rrWrites(rec *ormtest.Recorder) []string {
	var out []string
	for _, e := range rec.Events() {
		q := strings.TrimSpace(e.Query)
		for _, verb := range []string{"INSERT", "UPDATE", "DELETE"} {
			if strings.HasPrefix(strings.ToUpper(q), verb) {
				out = append(out, q)
			}
		}
	}
	return out
}

// rrCommitWritesNothing commits and fails if that sent any write.
func rrCommitWritesNothing(t *testing.T, ctx context.Context, s *orm.Session, rec *ormtest.Recorder) {
	t.Helper()
	rec.Reset()
	flOK(t, s.Commit(ctx), "Commit")
	if w := rrWrites(rec); len(w) > 0 {
		t.Errorf("the commit after the rollback wrote %q: a rolled-back change was written again", w)
	}
}

// rrLazyIs fails unless the Lazy is not loaded or holds want.
func rrLazyIs(t *testing.T, what string, l *orm.Lazy[rrTeam], want *rrTeam) {
	t.Helper()
	if got, loaded := l.Get(); loaded && got != want {
		t.Errorf("%s = %s after the rollback, want %s or not loaded", what, rrName(got), rrName(want))
	}
}

func rrName(t *rrTeam) string {
	if t == nil {
		return "nil"
	}
	return t.Name
}

// rrCollIs fails unless the collection is not loaded or holds exactly want.
func rrCollIs[T any](t *testing.T, what string, c *orm.RelatedMany[T], want ...*T) {
	t.Helper()
	got, loaded := c.Get()
	if !loaded {
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s holds %d objects after the rollback, want %d or not loaded", what, len(got), len(want))
		return
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s lacks an object after the rollback (want it, or the field not loaded)", what)
		}
	}
}

// rrTeamIDIs reads the hero's row in a new session and fails unless its
// team_id is want.
func rrTeamIDIs(t *testing.T, ctx context.Context, db *orm.DB, hero, want int64) {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	h := rrGet[rrHero](t, ctx, s, hero)
	if h.TeamID == nil {
		t.Errorf("hero row team_id = NULL, want %d (the rollback undid the change)", want)
	} else if *h.TeamID != want {
		t.Errorf("hero row team_id = %d, want %d (the rollback undid the change)", *h.TeamID, want)
	}
}

func rrEachScope(t *testing.T, fn func(t *testing.T, db *orm.DB, nested bool)) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		for _, nested := range []bool{true, false} {
			name := "transaction"
			if nested {
				name = "savepoint"
			}
			t.Run(name, func(t *testing.T) { fn(t, db, nested) })
		}
	})
}

// A hero taken out of a loaded team.Heroes inside the scope: the autoflush
// writes its team_id NULL; then hero.Team is set to nil, which the database
// holds at that moment. The rollback puts team_id back: hero.Team must not
// stay nil (the next flush would write NULL again).
func TestRollbackRelationsCollectionRemoval(t *testing.T) {
	rrEachScope(t, func(t *testing.T, db *orm.DB, nested bool) {
		for _, lazyLoaded := range []bool{false, true} {
			name := "lazy-not-loaded"
			if lazyLoaded {
				name = "lazy-loaded"
			}
			t.Run(name, func(t *testing.T) {
				ctx := flCtx(t)
				k := rrSetup(t, db, false)
				rdb, rec := ormtest.Record(db)
				s := orm.NewSession(rdb)
				defer s.Close()
				rollback := rrScope(t, ctx, s, nested)
				t1 := rrGet[rrTeam](t, ctx, s, k.t1)
				h := rrGet[rrHero](t, ctx, s, k.h)
				_, err := orm.LoadOneToMany(ctx, s, []*rrTeam{t1}, rrHeroesOf)
				flOK(t, err, "LoadOneToMany")
				if lazyLoaded {
					_, err := orm.LoadLazy(ctx, s, &h.Team)
					flOK(t, err, "LoadLazy")
				}
				t1.Heroes.Set([]*rrHero{})
				rrAutoflush(t, ctx, s, rec, "UPDATE")
				if h.TeamID != nil {
					t.Fatalf("after the autoflush h.TeamID = %d, want NULL", *h.TeamID)
				}
				h.Team.Set(nil) // what the database holds now
				rollback()
				rrLazyIs(t, "h.Team", &h.Team, t1)
				rrCollIs(t, "t1.Heroes", &t1.Heroes, h)
				rrCommitWritesNothing(t, ctx, s, rec)
				rrTeamIDIs(t, ctx, db, k.h, k.t1)
			})
		}
	})
}

// The mirror case: hero.Team changed from t1 to t2 inside the scope (the
// autoflush writes team_id = t2); then the team collections, not loaded,
// are set to what the database holds at that moment. After the rollback
// t1.Heroes must hold the hero (or be unloaded) and t2.Heroes must not.
func TestRollbackRelationsManyToOneMove(t *testing.T) {
	rrEachScope(t, func(t *testing.T, db *orm.DB, nested bool) {
		ctx := flCtx(t)
		k := rrSetup(t, db, false)
		rdb, rec := ormtest.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		rollback := rrScope(t, ctx, s, nested)
		t1 := rrGet[rrTeam](t, ctx, s, k.t1)
		t2 := rrGet[rrTeam](t, ctx, s, k.t2)
		h := rrGet[rrHero](t, ctx, s, k.h)
		_, err := orm.LoadLazy(ctx, s, &h.Team)
		flOK(t, err, "LoadLazy")
		h.Team.Set(t2)
		rrAutoflush(t, ctx, s, rec, "UPDATE")
		t1.Heroes.Set([]*rrHero{})  // t1 has no hero now
		t2.Heroes.Set([]*rrHero{h}) // h is in t2 now
		rollback()
		rrLazyIs(t, "h.Team", &h.Team, t1)
		rrCollIs(t, "t1.Heroes", &t1.Heroes, h)
		rrCollIs(t, "t2.Heroes", &t2.Heroes)
		rrCommitWritesNothing(t, ctx, s, rec)
		rrTeamIDIs(t, ctx, db, k.h, k.t1)
	})
}

// Many-to-many: a link deleted (or inserted) by an autoflush inside the
// scope, then the other side's collection, not loaded, set to what the
// database holds at that moment. After the rollback both collections
// agree with the link table again (or are unloaded), and the commit
// writes no link row.
func TestRollbackRelationsManyToMany(t *testing.T) {
	rrEachScope(t, func(t *testing.T, db *orm.DB, nested bool) {
		for _, unlink := range []bool{true, false} {
			name := "link"
			if unlink {
				name = "unlink"
			}
			t.Run(name, func(t *testing.T) {
				ctx := flCtx(t)
				k := rrSetup(t, db, unlink)
				rdb, rec := ormtest.Record(db)
				s := orm.NewSession(rdb)
				defer s.Close()
				rollback := rrScope(t, ctx, s, nested)
				h := rrGet[rrHero](t, ctx, s, k.h)
				p := rrGet[rrPower](t, ctx, s, k.p)
				_, err := orm.LoadManyToMany(ctx, s, []*rrHero{h}, rrPowersOf)
				flOK(t, err, "LoadManyToMany")
				var before, after []*rrPower
				if unlink {
					before = []*rrPower{p}
					h.Powers.Set([]*rrPower{})
					rrAutoflush(t, ctx, s, rec, "DELETE")
					p.Heroes.Set([]*rrHero{})
				} else {
					after = []*rrPower{p}
					h.Powers.Set(after)
					rrAutoflush(t, ctx, s, rec, "INSERT")
					p.Heroes.Set([]*rrHero{h})
				}
				rollback()
				rrCollIs(t, "h.Powers", &h.Powers, before...)
				if unlink {
					rrCollIs(t, "p.Heroes", &p.Heroes, h)
				} else {
					rrCollIs(t, "p.Heroes", &p.Heroes)
				}
				rrCommitWritesNothing(t, ctx, s, rec)
				s2 := orm.NewSession(db)
				defer s2.Close()
				h2 := rrGet[rrHero](t, ctx, s2, k.h)
				_, err = orm.LoadManyToMany(ctx, s2, []*rrHero{h2}, rrPowersOf)
				flOK(t, err, "LoadManyToMany (check)")
				if got := len(h2.Powers.Items()); got != len(before) {
					t.Errorf("the hero has %d link rows after the commit, want %d", got, len(before))
				}
			})
		}
	})
}

// A Lazy loaded before the change, unloaded by Expire after the autoflush,
// then set to the target its foreign key names: the rollback puts the
// Lazy's base (what it held before the change) back, and the Lazy must go
// with it instead of keeping the rolled-back target as a change.
func TestRollbackRelationsExpiredThenSet(t *testing.T) {
	rrEachScope(t, func(t *testing.T, db *orm.DB, nested bool) {
		ctx := flCtx(t)
		k := rrSetup(t, db, false)
		rdb, rec := ormtest.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		rollback := rrScope(t, ctx, s, nested)
		t1 := rrGet[rrTeam](t, ctx, s, k.t1)
		t2 := rrGet[rrTeam](t, ctx, s, k.t2)
		h := rrGet[rrHero](t, ctx, s, k.h)
		_, err := orm.LoadLazy(ctx, s, &h.Team)
		flOK(t, err, "LoadLazy")
		h.Team.Set(t2)
		rrAutoflush(t, ctx, s, rec, "UPDATE")
		s.Expire(h)
		if h.Team.IsLoaded() {
			t.Fatal("Expire left h.Team loaded")
		}
		_ = rrGet[rrHero](t, ctx, s, k.h) // reload the columns
		h.Team.Set(t2)                    // what team_id names now
		rollback()
		rrLazyIs(t, "h.Team", &h.Team, t1)
		rrCommitWritesNothing(t, ctx, s, rec)
		rrTeamIDIs(t, ctx, db, k.h, k.t1)
	})
}

// Link and Unlink calls on the two sides of a many-to-many pair before a
// flush (the collections not loaded) count in the order they were made:
// the last one wins, and a link and an unlink that cancel send nothing.
// (TestGraphModel's gmRelinkAcrossSides.)
func TestRelinkAcrossSides(t *testing.T) {
	cases := []struct {
		name   string
		linked bool     // the pair's row exists before
		calls  []string // "h+": h.Powers.Link(p), "p-": p.Heroes.Unlink(h), ...
		want   bool     // the row exists after
		writes bool     // the commit sends link statements
	}{
		{"link-unlink-link", false, []string{"h+", "p-", "h+"}, true, true},
		{"unlink-link-unlink", true, []string{"h-", "p+", "h-"}, false, true},
		{"link-unlink-link-other-side", false, []string{"p+", "h-", "h+"}, true, true},
		{"unlink-link", true, []string{"h-", "p+"}, true, false},
		{"link-unlink", false, []string{"p+", "h-"}, false, false},
	}
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ctx := flCtx(t)
				k := rrSetup(t, db, c.linked)
				rdb, rec := ormtest.Record(db)
				s := orm.NewSession(rdb)
				defer s.Close()
				h := rrGet[rrHero](t, ctx, s, k.h)
				p := rrGet[rrPower](t, ctx, s, k.p)
				for _, call := range c.calls {
					switch call {
					case "h+":
						h.Powers.Link(p)
					case "h-":
						h.Powers.Unlink(p)
					case "p+":
						p.Heroes.Link(h)
					case "p-":
						p.Heroes.Unlink(h)
					}
				}
				rec.Reset()
				flOK(t, s.Commit(ctx), "Commit")
				if w := rrWrites(rec); len(w) > 0 != c.writes {
					t.Errorf("the commit wrote %q, want writes: %v", w, c.writes)
				}
				s2 := orm.NewSession(db)
				defer s2.Close()
				h2 := rrGet[rrHero](t, ctx, s2, k.h)
				_, err := orm.LoadManyToMany(ctx, s2, []*rrHero{h2}, rrPowersOf)
				flOK(t, err, "LoadManyToMany (check)")
				if got := len(h2.Powers.Items()) == 1; got != c.want {
					t.Errorf("the pair is linked: %v, want %v", got, c.want)
				}
			})
		}
	})
}

// Both loaded collections of a linked pair unlink it (Unlink on both
// sides, or UnrelateManyToMany from the hero), then RelateManyToMany links
// it again from the power's side: both collections hold the pair again and
// nothing is written (the unlink and the link cancel).
func TestRelinkAcrossSidesLoaded(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		for _, helper := range []bool{false, true} {
			t.Run(map[bool]string{false: "unlink-both", true: "unrelate"}[helper], func(t *testing.T) {
				rrRelinkLoaded(t, db, helper)
			})
		}
	})
}

// rrRelinkLoaded is one case of TestRelinkAcrossSidesLoaded.
func rrRelinkLoaded(t *testing.T, db *orm.DB, helper bool) {
	ctx := flCtx(t)
	k := rrSetup(t, db, true)
	rdb, rec := ormtest.Record(db)
	s := orm.NewSession(rdb)
	defer s.Close()
	h := rrGet[rrHero](t, ctx, s, k.h)
	p := rrGet[rrPower](t, ctx, s, k.p)
	_, err := orm.LoadManyToMany(ctx, s, []*rrHero{h}, rrPowersOf)
	flOK(t, err, "LoadManyToMany")
	_, err = orm.LoadManyToMany(ctx, s, []*rrPower{p}, func(p *rrPower) *orm.RelatedMany[rrHero] { return &p.Heroes })
	flOK(t, err, "LoadManyToMany")
	if helper {
		flOK(t, orm.UnrelateManyToMany(s, h, rrPowersOf, p), "UnrelateManyToMany")
	} else {
		h.Powers.Unlink(p)
		p.Heroes.Unlink(h)
	}
	flOK(t, orm.RelateManyToMany(s, p, func(p *rrPower) *orm.RelatedMany[rrHero] { return &p.Heroes }, h), "RelateManyToMany")
	if got := h.Powers.Items(); len(got) != 1 || got[0] != p {
		t.Errorf("h.Powers holds %d objects, want the power", len(got))
	}
	if got := p.Heroes.Items(); len(got) != 1 || got[0] != h {
		t.Errorf("p.Heroes holds %d objects, want the hero", len(got))
	}
	rec.Reset()
	flOK(t, s.Commit(ctx), "Commit")
	if w := rrWrites(rec); len(w) > 0 {
		t.Errorf("the commit wrote %q, want nothing (unlink and link cancel)", w)
	}
	s2 := orm.NewSession(db)
	defer s2.Close()
	h2 := rrGet[rrHero](t, ctx, s2, k.h)
	_, err = orm.LoadManyToMany(ctx, s2, []*rrHero{h2}, rrPowersOf)
	flOK(t, err, "LoadManyToMany (check)")
	if len(h2.Powers.Items()) != 1 {
		t.Errorf("the pair is not linked after the commit")
	}
}

// A hero deleted (and flushed) inside the scope, which takes it out of
// the loaded t1.Heroes and p.Heroes: the rollback brings it back, into
// those collections, with its own relations as they were (or unloaded);
// the commit writes nothing. (TestGraphModel's
// gmRollbackRestoresDeletedInRelations.)
func TestRollbackRelationsDeleted(t *testing.T) {
	rrEachScope(t, func(t *testing.T, db *orm.DB, nested bool) {
		ctx := flCtx(t)
		k := rrSetup(t, db, true)
		rdb, rec := ormtest.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		rollback := rrScope(t, ctx, s, nested)
		t1 := rrGet[rrTeam](t, ctx, s, k.t1)
		h := rrGet[rrHero](t, ctx, s, k.h)
		p := rrGet[rrPower](t, ctx, s, k.p)
		_, err := orm.LoadOneToMany(ctx, s, []*rrTeam{t1}, rrHeroesOf)
		flOK(t, err, "LoadOneToMany")
		_, err = orm.LoadLazy(ctx, s, &h.Team)
		flOK(t, err, "LoadLazy")
		_, err = orm.LoadManyToMany(ctx, s, []*rrHero{h}, rrPowersOf)
		flOK(t, err, "LoadManyToMany")
		_, err = orm.LoadManyToMany(ctx, s, []*rrPower{p}, func(p *rrPower) *orm.RelatedMany[rrHero] { return &p.Heroes })
		flOK(t, err, "LoadManyToMany")
		flOK(t, s.Delete(h), "Delete")
		rrAutoflush(t, ctx, s, rec, "DELETE")
		if len(t1.Heroes.Items())+len(p.Heroes.Items()) != 0 {
			t.Fatal("the delete's flush left the hero in a loaded collection")
		}
		rollback()
		if st, tracked := s.ObjectState(h); !tracked {
			t.Fatalf("the hero is %v after the rollback, want tracked again", st)
		}
		rrCollIs(t, "t1.Heroes", &t1.Heroes, h)
		rrCollIs(t, "p.Heroes", &p.Heroes, h)
		rrCollIs(t, "h.Powers", &h.Powers, p)
		rrLazyIs(t, "h.Team", &h.Team, t1)
		rrCommitWritesNothing(t, ctx, s, rec)
		rrTeamIDIs(t, ctx, db, k.h, k.t1)
	})
}

// A team deleted in the scope while one of its heroes moves to another
// team, then rolled back: the flush took the moving hero out of the deleted
// team's loaded Heroes (and the database set the other's team_id NULL).
// After the rollback the team's Heroes must hold both heroes again, or be
// not loaded, and the next commit must write nothing. Found by
// TestGraphModel (seed 1796557110630689527, with gmLeaveDeletedParent on).
func TestRollbackRelationsDeletedParentMovedChild(t *testing.T) {
	rrEachScope(t, func(t *testing.T, db *orm.DB, nested bool) {
		ctx := flCtx(t)
		k := rrSetup(t, db, false)
		seed := orm.NewSession(db)
		h2 := &rrHero{Name: "h2", TeamID: &k.t1}
		flOK(t, seed.Add(h2), "Add h2")
		flOK(t, seed.Commit(ctx), "Commit h2")
		flOK(t, seed.Close(), "Close")
		rdb, rec := ormtest.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		rollback := rrScope(t, ctx, s, nested)
		t1 := rrGet[rrTeam](t, ctx, s, k.t1)
		t2 := rrGet[rrTeam](t, ctx, s, k.t2)
		h := rrGet[rrHero](t, ctx, s, k.h)
		other := rrGet[rrHero](t, ctx, s, h2.ID)
		_, err := orm.LoadOneToMany(ctx, s, []*rrTeam{t1, t2}, rrHeroesOf)
		flOK(t, err, "LoadOneToMany")
		_, err = orm.LoadLazy(ctx, s, &h.Team)
		flOK(t, err, "LoadLazy")
		flOK(t, s.Delete(t1), "Delete t1")
		h.Team.Set(t2)
		rrAutoflush(t, ctx, s, rec, "DELETE")
		rollback()
		if st, tracked := s.ObjectState(t1); !tracked {
			t.Fatalf("t1 is %v after the rollback, want tracked again", st)
		}
		rrCollIs(t, "t1.Heroes", &t1.Heroes, h, other)
		rrCollIs(t, "t2.Heroes", &t2.Heroes)
		rrLazyIs(t, "h.Team", &h.Team, t1)
		rrCommitWritesNothing(t, ctx, s, rec)
		rrTeamIDIs(t, ctx, db, k.h, k.t1)
		rrTeamIDIs(t, ctx, db, h2.ID, k.t1)
	})
}
