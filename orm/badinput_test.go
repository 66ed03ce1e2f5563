package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Bad input at every public entry point of package orm (issue 8, item 6):
// nil, non-pointer, unregistered type, pointer to pointer, wrong key arity
// and type, objects of another session, closed session, closed DB. Each
// call returns an error matching a specific sentinel and none panics.
// session_input_test.go covers the object methods (Add, Delete, ...) in
// depth; this file goes through the rest of the API.

type bdTeam struct {
	ID     int64                   `sqlmodel:"pk"`
	Name   string                  `sqlmodel:"unique"`
	Heroes orm.RelatedMany[bdHero] `sqlmodel:"back_populates=Team"`
}

func (bdTeam) TableName() string { return "bd_team" }

type bdHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID *int64                   `sqlmodel:"fk=bd_team.id"`
	Team   orm.Lazy[bdTeam]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers orm.RelatedMany[bdPower] `sqlmodel:"link=bd_hero_power"`
}

func (bdHero) TableName() string { return "bd_hero" }

type bdPower struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func (bdPower) TableName() string { return "bd_power" }

// bdItem has a composite key.
type bdItem struct {
	OrderID int64 `sqlmodel:"pk,noautoincrement"`
	Line    int   `sqlmodel:"pk"`
	Qty     int
}

func (bdItem) TableName() string { return "bd_item" }

// bdUnregistered is never registered.
type bdUnregistered struct {
	ID int64 `sqlmodel:"pk"`
}

func bdTeamOf(h *bdHero) *orm.Lazy[bdTeam]            { return &h.Team }
func bdPowersOf(h *bdHero) *orm.RelatedMany[bdPower]  { return &h.Powers }
func bdHeroesOf(t *bdTeam) *orm.RelatedMany[bdHero]   { return &t.Heroes }
func bdNilLazy(*bdHero) *orm.Lazy[bdTeam]             { return nil }
func bdNilMany(*bdHero) *orm.RelatedMany[bdPower]     { return nil }
func bdOtherLazy(h *bdHero) *orm.Lazy[bdTeam]         { return new(orm.Lazy[bdTeam]) }
func bdUnregLazy(u *bdUnregistered) *orm.Lazy[bdTeam] { return new(orm.Lazy[bdTeam]) }

// bdCase is one call and the sentinel its error must match.
type bdCase struct {
	name string
	want error
	fn   func() error
}

// bdRun runs the cases: an error matching want, never a panic.
func bdRun(t *testing.T, cases []bdCase) {
	t.Helper()
	for _, c := range cases {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("PANIC: %v", r)
				}
			}()
			return c.fn()
		}()
		switch {
		case err == nil:
			t.Errorf("%s: accepted, want an error matching %v", c.name, c.want)
		case !errors.Is(err, c.want):
			t.Errorf("%s: %v; want an error matching %v", c.name, err, c.want)
		default:
			t.Logf("%s: %v", c.name, err)
		}
	}
}

// bdWorld is a database with a team, two heroes and a power, a session
// holding them, and a second session.
type bdWorld struct {
	ctx         context.Context
	db          *orm.DB
	s, other    *orm.Session
	team        *bdTeam
	hero, hero2 *bdHero
	power       *bdPower
	// inOther is hero 1 as tracked by the other session.
	inOther *bdHero
}

func bdSetup(t *testing.T, db *orm.DB) *bdWorld {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	if err := db.CreateAll(ctx, &bdTeam{}, &bdHero{}, &bdPower{}, &bdItem{}); err != nil {
		t.Fatal(err)
	}
	setup := orm.NewSession(db)
	team := &bdTeam{Name: "t"}
	h1, h2 := &bdHero{Name: "a"}, &bdHero{Name: "b"}
	if err := setup.AddAll(team, h1, h2, &bdPower{Name: "p"}, &bdItem{OrderID: 1, Line: 1, Qty: 1}); err != nil {
		t.Fatal(err)
	}
	if err := orm.RelateToOne(setup, h1, bdTeamOf, team); err != nil {
		t.Fatal(err)
	}
	if err := setup.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	_ = setup.Close()

	w := &bdWorld{ctx: ctx, db: db, s: orm.NewSession(db), other: orm.NewSession(db)}
	t.Cleanup(func() { _ = w.s.Close(); _ = w.other.Close() })
	var err error
	if w.team, err = orm.Get[bdTeam](ctx, w.s, team.ID); err != nil {
		t.Fatal(err)
	}
	if w.hero, err = orm.Get[bdHero](ctx, w.s, h1.ID); err != nil {
		t.Fatal(err)
	}
	if w.hero2, err = orm.Get[bdHero](ctx, w.s, h2.ID); err != nil {
		t.Fatal(err)
	}
	if w.power, err = orm.Get[bdPower](ctx, w.s, int64(1)); err != nil {
		t.Fatal(err)
	}
	if w.inOther, err = orm.Get[bdHero](ctx, w.other, h1.ID); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestBadInputQueries(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		w := bdSetup(t, db)
		ctx, s := w.ctx, w.s
		var nilSession *orm.Session
		var nilDB *orm.DB
		var nilQuery *orm.Query[bdHero]
		bdRun(t, []bdCase{
			// Get, GetByPK, GetWithOptions
			{"Get nil session", orm.ErrInvalidArgument, func() error { _, err := orm.Get[bdHero](ctx, nilSession, 1); return err }},
			{"Get nil key", orm.ErrInvalidArgument, func() error { _, err := orm.Get[bdHero](ctx, s, nil); return err }},
			{"Get wrong key type", orm.ErrInvalidArgument, func() error { _, err := orm.Get[bdHero](ctx, s, "abc"); return err }},
			{"Get struct key", orm.ErrInvalidArgument, func() error { _, err := orm.Get[bdHero](ctx, s, struct{}{}); return err }},
			{"Get unregistered", orm.ErrUnmapped, func() error { _, err := orm.Get[bdUnregistered](ctx, s, 1); return err }},
			{"Get pointer type", orm.ErrUnmapped, func() error { _, err := orm.Get[*bdHero](ctx, s, 1); return err }},
			{"Get of a composite key", orm.ErrInvalidArgument, func() error { _, err := orm.Get[bdItem](ctx, s, 1); return err }},
			{"GetByPK too few", orm.ErrInvalidArgument, func() error { _, err := orm.GetByPK[bdItem](ctx, s, 1); return err }},
			{"GetByPK too many", orm.ErrInvalidArgument, func() error { _, err := orm.GetByPK[bdItem](ctx, s, 1, 1, 1); return err }},
			{"GetByPK none", orm.ErrInvalidArgument, func() error { _, err := orm.GetByPK[bdHero](ctx, s); return err }},
			{"GetByPK wrong type", orm.ErrInvalidArgument, func() error { _, err := orm.GetByPK[bdItem](ctx, s, 1, 2.5); return err }},
			{"GetWithOptions wrong arity", orm.ErrInvalidArgument, func() error {
				_, err := orm.GetWithOptions[bdItem](ctx, s, orm.GetOptions{ForUpdate: true}, 1)
				return err
			}},
			{"GetWithOptions nil session", orm.ErrInvalidArgument, func() error {
				_, err := orm.GetWithOptions[bdHero](ctx, nilSession, orm.GetOptions{}, 1)
				return err
			}},
			// Select and its terminals
			{"Select nil session", orm.ErrInvalidArgument, func() error { _, err := orm.Select[bdHero](nilSession).All(ctx); return err }},
			{"Select nil DB", orm.ErrInvalidArgument, func() error { _, err := orm.Select[bdHero](nilDB).All(ctx); return err }},
			{"Select nil querier", orm.ErrInvalidArgument, func() error { _, err := orm.Select[bdHero](nil).Count(ctx); return err }},
			{"Select unregistered", orm.ErrUnmapped, func() error { _, err := orm.Select[bdUnregistered](s).All(ctx); return err }},
			{"Select non-struct", orm.ErrUnmapped, func() error { _, err := orm.Select[int](s).All(ctx); return err }},
			{"Select unknown column", orm.ErrUnknownColumn, func() error {
				_, err := orm.Select[bdHero](s).Filter(orm.Col("nope").Eq(1)).All(ctx)
				return err
			}},
			{"Select injected column", orm.ErrUnknownColumn, func() error {
				_, err := orm.Select[bdHero](s).OrderBy("name; DROP TABLE bd_hero").All(ctx)
				return err
			}},
			{"First unknown column", orm.ErrUnknownColumn, func() error { _, err := orm.Select[bdHero](s).OrderBy("x").First(ctx); return err }},
			{"One unknown column", orm.ErrUnknownColumn, func() error { _, err := orm.Select[bdHero](s).GroupBy("x").One(ctx); return err }},
			{"Exists unknown column", orm.ErrUnknownColumn, func() error {
				_, err := orm.Select[bdHero](s).Filter(orm.Col("x").IsNull()).Exists(ctx)
				return err
			}},
			{"Update unknown column", orm.ErrUnknownColumn, func() error {
				_, err := orm.Select[bdHero](s).Update(ctx, map[string]any{"nope": 1})
				return err
			}},
			{"Update nil map", orm.ErrInvalidArgument, func() error { _, err := orm.Select[bdHero](s).Update(ctx, nil); return err }},
			{"Delete unknown column", orm.ErrUnknownColumn, func() error {
				_, err := orm.Select[bdHero](s).Filter(orm.Col("nope").Eq(1)).Delete(ctx)
				return err
			}},
			{"Iter unknown column", orm.ErrUnknownColumn, func() error {
				for _, err := range orm.Select[bdHero](s).OrderBy("nope").Iter(ctx) {
					return err
				}
				return nil
			}},
			{"Iter nil session", orm.ErrInvalidArgument, func() error {
				for _, err := range orm.Select[bdHero](nilSession).Iter(ctx) {
					return err
				}
				return nil
			}},
			{"Where placeholder count", orm.ErrInvalidArgument, func() error {
				_, err := orm.Select[bdHero](s).Where("name = ? AND id = ?", "a").All(ctx)
				return err
			}},
			{"Join unknown table", orm.ErrInvalidArgument, func() error {
				_, err := orm.Select[bdHero](s).Join("bd_team; DROP TABLE bd_hero", orm.SQL("1 = 1")).All(ctx)
				return err
			}},
			{"Preload unknown relation", orm.ErrInvalidArgument, func() error {
				_, err := orm.Select[bdHero](s).Preload("Nope").All(ctx)
				return err
			}},
			{"Scalars unknown column", orm.ErrUnknownColumn, func() error {
				_, err := orm.Scalars[string](ctx, orm.Select[bdHero](s), "nope")
				return err
			}},
			{"Scalars nil query", orm.ErrInvalidArgument, func() error { _, err := orm.Scalars[string](ctx, nilQuery, "name"); return err }},
			// Raw and Exec
			{"Raw nil querier", orm.ErrInvalidArgument, func() error { _, err := orm.Raw[bdHero](ctx, nil, "SELECT 1"); return err }},
			{"Raw nil session", orm.ErrInvalidArgument, func() error { _, err := orm.Raw[bdHero](ctx, nilSession, "SELECT 1"); return err }},
			{"Raw unregistered", orm.ErrUnmapped, func() error { _, err := orm.Raw[bdUnregistered](ctx, s, "SELECT 1 AS id"); return err }},
			{"Raw unknown column", orm.ErrUnknownColumn, func() error { _, err := orm.Raw[bdHero](ctx, s, "SELECT 1 AS nope"); return err }},
			{"Raw placeholder count", orm.ErrInvalidArgument, func() error { _, err := orm.Raw[bdHero](ctx, s, "SELECT * FROM bd_hero WHERE id = ?"); return err }},
			{"Exec nil querier", orm.ErrInvalidArgument, func() error { _, err := orm.Exec(ctx, nil, "SELECT 1"); return err }},
			{"Exec nil DB", orm.ErrInvalidArgument, func() error { _, err := orm.Exec(ctx, nilDB, "SELECT 1"); return err }},
			{"Exec placeholder count", orm.ErrInvalidArgument, func() error { _, err := orm.Exec(ctx, s, "UPDATE bd_hero SET name = ?"); return err }},
		})
	})
}

func TestBadInputObjects(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		w := bdSetup(t, db)
		ctx, s := w.ctx, w.s
		var nilSession *orm.Session
		var nilHero *bdHero
		n := 1
		fresh := &bdHero{Name: "new"}
		detached := &bdHero{ID: w.hero.ID, Name: "detached copy"}
		bdRun(t, []bdCase{
			// Refresh, Merge
			{"Refresh nil", orm.ErrInvalidArgument, func() error { return orm.Refresh(ctx, s, nilHero) }},
			{"Refresh nil session", orm.ErrInvalidArgument, func() error { return orm.Refresh(ctx, nilSession, w.hero) }},
			{"Refresh unregistered", orm.ErrUnmapped, func() error { return orm.Refresh(ctx, s, &bdUnregistered{ID: 1}) }},
			{"Refresh non-struct", orm.ErrInvalidArgument, func() error { return orm.Refresh(ctx, s, &n) }},
			{"Refresh pointer to pointer", orm.ErrInvalidArgument, func() error { h := w.hero; return orm.Refresh(ctx, s, &h) }},
			{"Refresh new object", orm.ErrNotPersistent, func() error { return orm.Refresh(ctx, s, fresh) }},
			{"Refresh detached copy", orm.ErrNotPersistent, func() error { return orm.Refresh(ctx, s, detached) }},
			{"Refresh object of another session", orm.ErrNotPersistent, func() error { return orm.Refresh(ctx, s, w.inOther) }},
			{"Merge nil", orm.ErrInvalidArgument, func() error { _, err := orm.Merge(ctx, s, nilHero, true); return err }},
			{"Merge nil session", orm.ErrInvalidArgument, func() error { _, err := orm.Merge(ctx, nilSession, detached, true); return err }},
			{"Merge unregistered", orm.ErrUnmapped, func() error { _, err := orm.Merge(ctx, s, &bdUnregistered{ID: 1}, true); return err }},
			{"Merge pointer to pointer", orm.ErrInvalidArgument, func() error { h := detached; _, err := orm.Merge(ctx, s, &h, true); return err }},
			{"MergeWithoutLoad nil", orm.ErrInvalidArgument, func() error { _, err := orm.MergeWithoutLoad(ctx, s, nilHero); return err }},
			{"MergeWithoutLoad unregistered", orm.ErrUnmapped, func() error {
				_, err := orm.MergeWithoutLoad(ctx, s, &bdUnregistered{ID: 1})
				return err
			}},
			// Adding a second instance of a tracked key
			{"Add detached copy of a tracked key", orm.ErrIdentityConflict, func() error { return s.Add(detached) }},
			{"Delete detached copy of a tracked key", orm.ErrIdentityConflict, func() error { return s.Delete(detached) }},
			{"Add object of another session", orm.ErrIdentityConflict, func() error { return s.Add(w.inOther) }},
			{"Delete object of another session", orm.ErrIdentityConflict, func() error { return s.Delete(w.inOther) }},
			{"Delete new untracked object", orm.ErrInvalidArgument, func() error { return s.Delete(&bdHero{Name: "no key"}) }},
			// Loaders
			{"LoadLazy nil", orm.ErrInvalidArgument, func() error { _, err := orm.LoadLazy[bdTeam](ctx, s, nil); return err }},
			{"LoadLazy nil session", orm.ErrInvalidArgument, func() error { _, err := orm.LoadLazy(ctx, nilSession, &w.hero.Team); return err }},
			{"LoadLazy of an untracked object", orm.ErrInvalidArgument, func() error { _, err := orm.LoadLazy(ctx, s, &fresh.Team); return err }},
			{"LoadLazy of another session's object", orm.ErrInvalidArgument, func() error { _, err := orm.LoadLazy(ctx, s, &w.inOther.Team); return err }},
			{"LoadLazy of a free Lazy", orm.ErrInvalidArgument, func() error { _, err := orm.LoadLazy(ctx, s, new(orm.Lazy[bdTeam])); return err }},
			{"LoadMany nil session", orm.ErrInvalidArgument, func() error {
				_, err := orm.LoadMany(ctx, nilSession, []*bdHero{w.hero}, bdTeamOf)
				return err
			}},
			{"LoadMany nil accessor", orm.ErrInvalidArgument, func() error { _, err := orm.LoadMany[bdHero, bdTeam](ctx, s, []*bdHero{w.hero}, nil); return err }},
			{"LoadMany accessor returns nil", orm.ErrInvalidArgument, func() error { _, err := orm.LoadMany(ctx, s, []*bdHero{w.hero}, bdNilLazy); return err }},
			{"LoadMany accessor outside the parent", orm.ErrInvalidArgument, func() error { _, err := orm.LoadMany(ctx, s, []*bdHero{w.hero}, bdOtherLazy); return err }},
			{"LoadMany unregistered parent", orm.ErrUnmapped, func() error {
				_, err := orm.LoadMany(ctx, s, []*bdUnregistered{{ID: 1}}, bdUnregLazy)
				return err
			}},
			{"LoadOneToMany nil accessor", orm.ErrInvalidArgument, func() error {
				_, err := orm.LoadOneToMany[bdTeam, bdHero](ctx, s, []*bdTeam{w.team}, nil)
				return err
			}},
			{"LoadOneToMany many-to-many relation", orm.ErrInvalidArgument, func() error { _, err := orm.LoadOneToMany(ctx, s, []*bdHero{w.hero}, bdPowersOf); return err }},
			{"LoadManyToMany one-to-many relation", orm.ErrInvalidArgument, func() error { _, err := orm.LoadManyToMany(ctx, s, []*bdTeam{w.team}, bdHeroesOf); return err }},
			{"LoadManyToMany accessor returns nil", orm.ErrInvalidArgument, func() error { _, err := orm.LoadManyToMany(ctx, s, []*bdHero{w.hero}, bdNilMany); return err }},
			{"Preload unknown path", orm.ErrInvalidArgument, func() error { return orm.Preload(ctx, s, []*bdHero{w.hero}, "Nope") }},
			{"Preload unknown nested path", orm.ErrInvalidArgument, func() error { return orm.Preload(ctx, s, []*bdHero{w.hero}, "Team.Nope") }},
			{"Preload nil session", orm.ErrInvalidArgument, func() error { return orm.Preload(ctx, nilSession, []*bdHero{w.hero}, "Team") }},
			{"Preload unregistered", orm.ErrUnmapped, func() error { return orm.Preload(ctx, s, []*bdUnregistered{{ID: 1}}, "X") }},
			// Relating
			{"RelateToOne nil session", orm.ErrInvalidArgument, func() error { return orm.RelateToOne(nilSession, w.hero2, bdTeamOf, w.team) }},
			{"RelateToOne nil child", orm.ErrInvalidArgument, func() error { return orm.RelateToOne(s, nilHero, bdTeamOf, w.team) }},
			{"RelateToOne nil accessor", orm.ErrInvalidArgument, func() error { return orm.RelateToOne[bdHero, bdTeam](s, w.hero2, nil, w.team) }},
			{"RelateToOne accessor returns nil", orm.ErrInvalidArgument, func() error { return orm.RelateToOne(s, w.hero2, bdNilLazy, w.team) }},
			{"RelateToOne accessor outside the child", orm.ErrInvalidArgument, func() error { return orm.RelateToOne(s, w.hero2, bdOtherLazy, w.team) }},
			{"RelateToOne unregistered child", orm.ErrUnmapped, func() error { return orm.RelateToOne(s, &bdUnregistered{}, bdUnregLazy, w.team) }},
			{"RelateToOne parent of another session", orm.ErrIdentityConflict, func() error {
				otherTeam, err := orm.Get[bdTeam](ctx, w.other, w.team.ID)
				if err != nil {
					return err
				}
				return orm.RelateToOne(s, w.hero2, bdTeamOf, otherTeam)
			}},
			{"UnrelateFromOne nil child", orm.ErrInvalidArgument, func() error { return orm.UnrelateFromOne(s, nilHero, bdTeamOf) }},
			{"UnrelateFromOne nil session", orm.ErrInvalidArgument, func() error { return orm.UnrelateFromOne(nilSession, w.hero, bdTeamOf) }},
			{"UnrelateFromOne accessor returns nil", orm.ErrInvalidArgument, func() error { return orm.UnrelateFromOne(s, w.hero, bdNilLazy) }},
			{"RelateManyToMany nil session", orm.ErrInvalidArgument, func() error { return orm.RelateManyToMany(nilSession, w.hero, bdPowersOf, w.power) }},
			{"RelateManyToMany nil left", orm.ErrInvalidArgument, func() error { return orm.RelateManyToMany(s, nilHero, bdPowersOf, w.power) }},
			{"RelateManyToMany nil right", orm.ErrInvalidArgument, func() error { return orm.RelateManyToMany[bdHero, bdPower](s, w.hero, bdPowersOf, nil) }},
			{"RelateManyToMany accessor returns nil", orm.ErrInvalidArgument, func() error { return orm.RelateManyToMany(s, w.hero, bdNilMany, w.power) }},
			{"RelateManyToMany one-to-many relation", orm.ErrInvalidArgument, func() error { return orm.RelateManyToMany(s, w.team, bdHeroesOf, w.hero2) }},
			{"UnrelateManyToMany nil right", orm.ErrInvalidArgument, func() error { return orm.UnrelateManyToMany[bdHero, bdPower](s, w.hero, bdPowersOf, nil) }},
			{"UnrelateManyToMany nil session", orm.ErrInvalidArgument, func() error { return orm.UnrelateManyToMany(nilSession, w.hero, bdPowersOf, w.power) }},
			{"FlushRelatedMany nil session", orm.ErrInvalidArgument, func() error { return orm.FlushRelatedMany(ctx, nilSession, w.hero, bdPowersOf) }},
			{"FlushRelatedMany nil left", orm.ErrInvalidArgument, func() error { return orm.FlushRelatedMany(ctx, s, nilHero, bdPowersOf) }},
		})
		if st, _ := s.ObjectState(w.hero); st != orm.StatePersistent {
			t.Fatalf("tracked hero is %v after the bad calls", st)
		}
	})
}

func TestBadInputClosed(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		db := testkit.OpenORM(t, tg)
		w := bdSetup(t, db)
		ctx := w.ctx

		// A closed session refuses everything with ErrSessionClosed.
		cs := orm.NewSession(db)
		h, err := orm.Get[bdHero](ctx, cs, w.hero.ID)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := cs.BeginNested(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.Close(); err != nil {
			t.Fatal(err)
		}
		bdRun(t, []bdCase{
			{"closed session: Refresh", orm.ErrSessionClosed, func() error { return orm.Refresh(ctx, cs, h) }},
			{"closed session: Merge", orm.ErrSessionClosed, func() error { _, err := orm.Merge(ctx, cs, &bdHero{ID: 1}, true); return err }},
			{"closed session: MergeWithoutLoad", orm.ErrSessionClosed, func() error { _, err := orm.MergeWithoutLoad(ctx, cs, &bdHero{ID: 1}); return err }},
			{"closed session: BeginNested", orm.ErrSessionClosed, func() error { _, err := cs.BeginNested(ctx); return err }},
			{"closed session: Savepoint.Commit", orm.ErrNoTransaction, func() error { return sp.Commit(ctx) }},
			{"closed session: Savepoint.Rollback", orm.ErrNoTransaction, func() error { return sp.Rollback(ctx) }},
			{"closed session: BeginTx", orm.ErrSessionClosed, func() error { return cs.BeginTx(ctx, &sql.TxOptions{}) }},
			{"closed session: Select.All", orm.ErrSessionClosed, func() error { _, err := orm.Select[bdHero](cs).All(ctx); return err }},
			{"closed session: Select.Count", orm.ErrSessionClosed, func() error { _, err := orm.Select[bdHero](cs).Count(ctx); return err }},
			{"closed session: Select.Update", orm.ErrSessionClosed, func() error {
				_, err := orm.Select[bdHero](cs).AllRows().Update(ctx, map[string]any{"name": "x"})
				return err
			}},
			{"closed session: Select.Delete", orm.ErrSessionClosed, func() error { _, err := orm.Select[bdHero](cs).AllRows().Delete(ctx); return err }},
			{"closed session: Iter", orm.ErrSessionClosed, func() error {
				for _, err := range orm.Select[bdHero](cs).Iter(ctx) {
					return err
				}
				return nil
			}},
			{"closed session: Scalars", orm.ErrSessionClosed, func() error { _, err := orm.Scalars[string](ctx, orm.Select[bdHero](cs), "name"); return err }},
			{"closed session: Raw", orm.ErrSessionClosed, func() error { _, err := orm.Raw[bdHero](ctx, cs, "SELECT * FROM bd_hero"); return err }},
			{"closed session: Exec", orm.ErrSessionClosed, func() error { _, err := orm.Exec(ctx, cs, "DELETE FROM bd_hero WHERE 1 = 0"); return err }},
			{"closed session: LoadLazy", orm.ErrSessionClosed, func() error { _, err := orm.LoadLazy(ctx, cs, &h.Team); return err }},
			{"closed session: LoadMany", orm.ErrSessionClosed, func() error { _, err := orm.LoadMany(ctx, cs, []*bdHero{h}, bdTeamOf); return err }},
			{"closed session: LoadManyToMany", orm.ErrSessionClosed, func() error { _, err := orm.LoadManyToMany(ctx, cs, []*bdHero{h}, bdPowersOf); return err }},
			{"closed session: Preload", orm.ErrSessionClosed, func() error { return orm.Preload(ctx, cs, []*bdHero{h}, "Team") }},
			{"closed session: RelateToOne", orm.ErrSessionClosed, func() error { return orm.RelateToOne(cs, h, bdTeamOf, &bdTeam{ID: 1}) }},
			{"closed session: UnrelateFromOne", orm.ErrSessionClosed, func() error { return orm.UnrelateFromOne(cs, h, bdTeamOf) }},
			{"closed session: RelateManyToMany", orm.ErrSessionClosed, func() error { return orm.RelateManyToMany(cs, h, bdPowersOf, &bdPower{ID: 1}) }},
			{"closed session: UnrelateManyToMany", orm.ErrSessionClosed, func() error { return orm.UnrelateManyToMany(cs, h, bdPowersOf, &bdPower{ID: 1}) }},
			{"closed session: FlushRelatedMany", orm.ErrSessionClosed, func() error { return orm.FlushRelatedMany(ctx, cs, h, bdPowersOf) }},
		})

		// A closed DB refuses everything with ErrDBClosed, sessions on it
		// included.
		cdb, err := orm.Open(tg.Driver, tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		if err := cdb.Register(&bdTeam{}, &bdHero{}, &bdPower{}, &bdItem{}); err != nil {
			t.Fatal(err)
		}
		if err := cdb.Close(); err != nil {
			t.Fatal(err)
		}
		cds := orm.NewSession(cdb)
		defer cds.Close()
		bdRun(t, []bdCase{
			{"closed DB: Ping", orm.ErrDBClosed, func() error { return cdb.Ping(ctx) }},
			{"closed DB: CreateAll", orm.ErrDBClosed, func() error { return cdb.CreateAll(ctx, &bdHero{}) }},
			{"closed DB: DropAll", orm.ErrDBClosed, func() error { return cdb.DropAll(ctx, &bdHero{}) }},
			{"closed DB: ExecContext", orm.ErrDBClosed, func() error { _, err := cdb.ExecContext(ctx, "SELECT 1"); return err }},
			{"closed DB: Exec", orm.ErrDBClosed, func() error { _, err := orm.Exec(ctx, cdb, "SELECT 1"); return err }},
			{"closed DB: Raw", orm.ErrDBClosed, func() error { _, err := orm.Raw[bdHero](ctx, cdb, "SELECT * FROM bd_hero"); return err }},
			{"closed DB: Select", orm.ErrDBClosed, func() error { _, err := orm.Select[bdHero](cdb).All(ctx); return err }},
			{"closed DB: Get", orm.ErrDBClosed, func() error { _, err := orm.Get[bdHero](ctx, cds, 1); return err }},
			{"closed DB: Begin", orm.ErrDBClosed, func() error { return cds.Begin(ctx) }},
			{"closed DB: Commit", orm.ErrDBClosed, func() error {
				if err := cds.Add(&bdPower{Name: "x"}); err != nil {
					return err
				}
				return cds.Commit(ctx)
			}},
			{"closed DB: RunInTx", orm.ErrDBClosed, func() error { return orm.RunInTx(ctx, cdb, func(*orm.Session) error { return nil }) }},
		})

		// DB-level entry points.
		var nilDB *orm.DB
		n := 1
		bdRun(t, []bdCase{
			{"Open unknown driver", orm.ErrInvalidArgument, func() error { _, err := orm.Open("nodriver", "x"); return err }},
			{"OpenDB nil pool", orm.ErrInvalidArgument, func() error { _, err := orm.OpenDB(nil, "postgres"); return err }},
			{"OpenDB unknown dialect", orm.ErrInvalidArgument, func() error { _, err := orm.OpenDB(db.SQL(), "oracle"); return err }},
			{"Register nil", orm.ErrUnmapped, func() error { return db.Register(nil) }},
			{"Register int", orm.ErrUnmapped, func() error { return db.Register(&n) }},
			{"Register pointer to pointer", orm.ErrUnmapped, func() error { h := &bdHero{}; return db.Register(&h) }},
			{"Register bad tag", orm.ErrInvalidTag, func() error { return db.Register(&bdBadTag{}) }},
			{"CreateAll nil", orm.ErrUnmapped, func() error { return db.CreateAll(ctx, nil) }},
			{"CreateAll int", orm.ErrUnmapped, func() error { return db.CreateAll(ctx, 42) }},
			{"CreateAll bad tag", orm.ErrInvalidTag, func() error { return db.CreateAll(ctx, &bdBadTag{}) }},
			{"DropAll nil", orm.ErrUnmapped, func() error { return db.DropAll(ctx, nil) }},
			{"RunInTx nil DB", orm.ErrInvalidArgument, func() error { return orm.RunInTx(ctx, nilDB, func(*orm.Session) error { return nil }) }},
			{"RunInTx nil function", orm.ErrInvalidArgument, func() error { return orm.RunInTx(ctx, db, nil) }},
			{"NewSession nil DB: Get", orm.ErrSessionClosed, func() error { _, err := orm.Get[bdHero](ctx, orm.NewSession(nilDB), 1); return err }},
			{"NewSession nil DB: Add", orm.ErrSessionClosed, func() error { return orm.NewSession(nilDB).Add(&bdHero{}) }},
			{"NewSession nil DB: Commit", orm.ErrSessionClosed, func() error { return orm.NewSession(nilDB).Commit(ctx) }},
			{"BeginNested nil session", orm.ErrInvalidArgument, func() error { var s *orm.Session; _, err := s.BeginNested(ctx); return err }},
			{"Savepoint nil", orm.ErrInvalidArgument, func() error { var sp *orm.Savepoint; return sp.Commit(ctx) }},
			{"Savepoint released twice", orm.ErrNoTransaction, func() error {
				s := orm.NewSession(db)
				defer s.Close()
				sp, err := s.BeginNested(ctx)
				if err != nil {
					return err
				}
				if err := sp.Commit(ctx); err != nil {
					return err
				}
				return sp.Commit(ctx)
			}},
		})
	})
}

type bdBadTag struct {
	ID   int64 `sqlmodel:"pk,nope"`
	Name string
}

func (bdBadTag) TableName() string { return "bd_bad_tag" }
