package orm_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Object-graph consistency (issue 14): relation fields are part of the unit
// of work. Names start with "gc", tables with "gc_".

type gcTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes orm.RelatedMany[gcHero] `sqlmodel:"back_populates=Team"`
}

func (gcTeam) TableName() string { return "gc_team" }

type gcHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID *int64                   `sqlmodel:"fk=gc_team.id"`
	Team   orm.Lazy[gcTeam]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers orm.RelatedMany[gcPower] `sqlmodel:"link=gc_hero_power,back_populates=Heroes"`
}

func (gcHero) TableName() string { return "gc_hero" }

type gcPower struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes orm.RelatedMany[gcHero] `sqlmodel:"link=gc_hero_power,back_populates=Powers"`
}

func (gcPower) TableName() string { return "gc_power" }

// gcOrder's lines have a NOT NULL foreign key and no delete_orphan.
type gcOrder struct {
	ID    int64 `sqlmodel:"pk"`
	Name  string
	Lines orm.RelatedMany[gcLine] `sqlmodel:"back_populates=Order"`
}

func (gcOrder) TableName() string { return "gc_order" }

type gcLine struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	OrderID int64             `sqlmodel:"fk=gc_order.id"`
	Order   orm.Lazy[gcOrder] `sqlmodel:"fk=OrderID,back_populates=Lines"`
}

func (gcLine) TableName() string { return "gc_line" }

// gcTag has a natural (not generated) key, for primary-key changes.
type gcTag struct {
	Code string `sqlmodel:"pk"`
	Name string
}

func (gcTag) TableName() string { return "gc_tag" }

func gcHeroesOf(t *gcTeam) *orm.RelatedMany[gcHero]  { return &t.Heroes }
func gcLinesOf(o *gcOrder) *orm.RelatedMany[gcLine]  { return &o.Lines }
func gcPowersOf(h *gcHero) *orm.RelatedMany[gcPower] { return &h.Powers }

type gcWorld struct {
	t1, t2     int64 // teams: t1 has heroes h1, h2; t2 has h3
	h1, h2, h3 int64
	p1, p2     int64 // powers: h1 has p1
	o1, o2     int64 // orders: o1 has lines l1, l2
	l1, l2     int64
}

func gcSeed(t *testing.T, db *orm.DB) gcWorld {
	t.Helper()
	rwCreate(t, db, &gcTeam{}, &gcHero{}, &gcPower{}, &gcOrder{}, &gcLine{}, &gcTag{})
	t1 := &gcTeam{Name: "t1"}
	t2 := &gcTeam{Name: "t2"}
	h1, h2, h3 := &gcHero{Name: "h1"}, &gcHero{Name: "h2"}, &gcHero{Name: "h3"}
	t1.Heroes.Set([]*gcHero{h1, h2})
	t2.Heroes.Set([]*gcHero{h3})
	p1, p2 := &gcPower{Name: "p1"}, &gcPower{Name: "p2"}
	h1.Powers.Set([]*gcPower{p1})
	o1, o2 := &gcOrder{Name: "o1"}, &gcOrder{Name: "o2"}
	l1, l2 := &gcLine{Name: "l1"}, &gcLine{Name: "l2"}
	o1.Lines.Set([]*gcLine{l1, l2})
	rwSeed(t, db, t1, t2, p2, o1, o2, &gcTag{Code: "a", Name: "alpha"})
	return gcWorld{t1.ID, t2.ID, h1.ID, h2.ID, h3.ID, p1.ID, p2.ID, o1.ID, o2.ID, l1.ID, l2.ID}
}

func gcHeroTeams(t *testing.T, db *orm.DB) []string {
	t.Helper()
	return rwRows(t, db, `SELECT "h"."name", COALESCE("t"."name", 'none') FROM "gc_hero" "h" LEFT JOIN "gc_team" "t" ON "t"."id" = "h"."team_id"`)
}

func gcLinks(t *testing.T, db *orm.DB) []string {
	t.Helper()
	return rwRows(t, db, `SELECT "h"."name", "p"."name" FROM "gc_hero_power" "l" JOIN "gc_hero" "h" ON "h"."id" = "l"."gc_hero_id" JOIN "gc_power" "p" ON "p"."id" = "l"."gc_power_id"`)
}

func gcNames(hs []*gcHero) []string { return rwNames(hs, func(h *gcHero) string { return h.Name }) }

func gcNoConfigExpiry(db *orm.DB) *orm.Session {
	cfg := orm.DefaultSessionConfig()
	cfg.ExpireOnCommit = false
	return orm.NewSessionWithConfig(db, cfg)
}

func gcIs(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
}

// Lazy.Set on a persistent object writes the foreign key; back_populates
// collections follow after the flush; Lazy.Clear writes NULL.
func TestGCLazySetWritesForeignKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		t1, t2 := rwGet[gcTeam](t, s, w.t1), rwGet[gcTeam](t, s, w.t2)
		_, err := orm.LoadOneToMany(ctx, s, []*gcTeam{t1, t2}, gcHeroesOf)
		rwOK(t, err, "LoadOneToMany")
		h1 := rwGet[gcHero](t, s, w.h1)
		if h1.Team.IsLoaded() {
			t.Fatal("h1.Team loaded before the test sets it")
		}
		rec.Reset()
		h1.Team.Set(t2) // the field was never loaded
		rwOK(t, s.Flush(ctx), "Flush")
		rwStatements(t, rec, "UPDATE gc_hero")
		if ev := rwData(rec)[0]; ev.Query != rwQ(db, `UPDATE "gc_hero" SET "team_id" = ? WHERE "id" = ?`) || fmt.Sprint(ev.Args) != fmt.Sprint([]any{w.t2, w.h1}) {
			t.Fatalf("update: %s %v", ev.Query, ev.Args)
		}
		if h1.TeamID == nil || *h1.TeamID != w.t2 {
			t.Fatalf("h1.TeamID = %v, want %d", h1.TeamID, w.t2)
		}
		rwEqual(t, "t1 heroes", gcNames(t1.Heroes.Items()), []string{"h2"})
		rwEqual(t, "t2 heroes", gcNames(t2.Heroes.Items()), []string{"h3", "h1"})
		if s.IsModified(h1) || s.IsModified(t1) {
			t.Fatal("objects still modified after the flush")
		}
		// Clear writes NULL and leaves the collection.
		rec.Reset()
		h1.Team.Clear()
		rwOK(t, s.Flush(ctx), "Flush Clear")
		rwStatements(t, rec, "UPDATE gc_hero")
		if h1.TeamID != nil {
			t.Fatalf("h1.TeamID = %d after Clear, want nil", *h1.TeamID)
		}
		rwEqual(t, "t2 heroes after Clear", gcNames(t2.Heroes.Items()), []string{"h3"})
		// A flush with nothing changed sends nothing.
		rec.Reset()
		rwOK(t, s.Flush(ctx), "Flush again")
		rwStatements(t, rec)
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "db", gcHeroTeams(t, db), []string{"h1|none", "h2|t1", "h3|t2"})
	})
}

// When the foreign-key field and the relation both changed, the relation
// wins; when only the field changed, it is written and the stale loaded
// relation is unloaded.
func TestGCRelationWinsOverForeignKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		s := rwSession(t, db)
		h1 := rwGet[gcHero](t, s, w.h1)
		t2 := rwGet[gcTeam](t, s, w.t2)
		other := w.t1
		h1.TeamID = &other
		h1.Team.Set(t2)
		rwOK(t, s.Commit(ctx), "Commit both")
		if *h1.TeamID != w.t2 {
			t.Fatalf("team_id = %d, want the relation's %d", *h1.TeamID, w.t2)
		}
		rwEqual(t, "db after both", rwRows(t, db, `SELECT "team_id" FROM "gc_hero" WHERE "id" = ?`, w.h1), []string{fmt.Sprint(w.t2)})
		// Only the field: h1.Team is loaded (t2) and not changed.
		_, err := orm.LoadLazy(ctx, s, &h1.Team)
		rwOK(t, err, "LoadLazy t2")
		back := w.t1
		h1.TeamID = &back
		rwOK(t, s.Flush(ctx), "Flush field")
		if h1.Team.IsLoaded() {
			t.Fatal("h1.Team still loaded with the old team after its key changed")
		}
		rwOK(t, s.Commit(ctx), "Commit field")
		rwEqual(t, "db after field", rwRows(t, db, `SELECT "team_id" FROM "gc_hero" WHERE "id" = ?`, w.h1), []string{fmt.Sprint(w.t1)})
		ok, err := orm.LoadLazy(ctx, s, &h1.Team)
		rwOK(t, err, "LoadLazy")
		if got, _ := h1.Team.Get(); !ok || got.ID != w.t1 {
			t.Fatalf("reloaded team %v", got)
		}
		rwOK(t, s.Commit(ctx), "Commit")
	})
}

// Moving a persistent child between two loaded collections writes its key;
// removing it from one only writes NULL.
func TestGCMoveBetweenCollections(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		t1, t2 := rwGet[gcTeam](t, s, w.t1), rwGet[gcTeam](t, s, w.t2)
		_, err := orm.LoadOneToMany(ctx, s, []*gcTeam{t1, t2}, gcHeroesOf)
		rwOK(t, err, "LoadOneToMany")
		var h1, h2 *gcHero
		for _, h := range t1.Heroes.Items() {
			switch h.Name {
			case "h1":
				h1 = h
			case "h2":
				h2 = h
			}
		}
		rec.Reset()
		t1.Heroes.Set([]*gcHero{h2})
		t2.Heroes.Set(append(t2.Heroes.Items(), h1))
		rwOK(t, s.Flush(ctx), "Flush move")
		rwStatements(t, rec, "UPDATE gc_hero")
		if *h1.TeamID != w.t2 {
			t.Fatalf("moved hero's team_id = %d", *h1.TeamID)
		}
		if got, _ := h1.Team.Get(); h1.Team.IsLoaded() && got != t2 {
			t.Fatal("moved hero's loaded Team is not the new team")
		}
		rec.Reset()
		t1.Heroes.Set(nil)
		rwOK(t, s.Flush(ctx), "Flush removal")
		rwStatements(t, rec, "UPDATE gc_hero")
		if h2.TeamID != nil {
			t.Fatalf("removed hero's team_id = %d, want NULL", *h2.TeamID)
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "db", gcHeroTeams(t, db), []string{"h1|t2", "h2|none", "h3|t2"})
	})
}

// A child with a NOT NULL key taken out of a collection (or whose Lazy is
// cleared) fails the flush before any SQL, naming the relation; the
// session is unchanged and the change can be completed.
func TestGCOrphanWithNotNullKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		o1, o2 := rwGet[gcOrder](t, s, w.o1), rwGet[gcOrder](t, s, w.o2)
		_, err := orm.LoadOneToMany(ctx, s, []*gcOrder{o1, o2}, gcLinesOf)
		rwOK(t, err, "LoadOneToMany")
		l1, l2 := o1.Lines.Items()[0], o1.Lines.Items()[1]
		rec.Reset()
		o1.Lines.Set([]*gcLine{l1})
		err = s.Flush(ctx)
		gcIs(t, err, orm.ErrOrphan, "Flush orphan")
		if !strings.Contains(err.Error(), "gcOrder.Lines") {
			t.Fatalf("error does not name the relation: %v", err)
		}
		rwStatements(t, rec)
		if l2.OrderID != w.o1 || s.IsModified(l2) {
			t.Fatalf("orphan changed by the failed flush: order_id %d, modified %v", l2.OrderID, s.IsModified(l2))
		}
		// Completing the move makes it valid.
		o2.Lines.Set([]*gcLine{l2})
		rwOK(t, s.Flush(ctx), "Flush move")
		rwStatements(t, rec, "UPDATE gc_line")
		// A cleared Lazy on a NOT NULL key fails the same way.
		rec.Reset()
		l1.Order.Clear()
		gcIs(t, s.Flush(ctx), orm.ErrOrphan, "Flush cleared Lazy")
		rwStatements(t, rec)
		l1.Order.Set(o2)
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "db", rwRows(t, db, `SELECT "l"."name", "o"."name" FROM "gc_line" "l" JOIN "gc_order" "o" ON "o"."id" = "l"."order_id"`), []string{"l1|o2", "l2|o2"})
	})
}

// Set on a loaded many-to-many collection writes the link rows it implies.
func TestGCManyToManySet(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		h1 := rwGet[gcHero](t, s, w.h1)
		p2 := rwGet[gcPower](t, s, w.p2)
		_, err := orm.LoadManyToMany(ctx, s, []*gcHero{h1}, gcPowersOf)
		rwOK(t, err, "LoadManyToMany")
		rec.Reset()
		h1.Powers.Set([]*gcPower{p2})
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "INSERT gc_hero_power", "DELETE gc_hero_power")
		rwEqual(t, "links", gcLinks(t, db), []string{"h1|p2"})
		// A new object's collection is linked when it is inserted.
		nh := &gcHero{Name: "n"}
		nh.Powers.Set([]*gcPower{p2})
		rwOK(t, s.Add(nh), "Add")
		rwOK(t, s.Commit(ctx), "Commit new")
		rwEqual(t, "links with new", gcLinks(t, db), []string{"h1|p2", "n|p2"})
	})
}

// A child deleted while a loaded collection holds it leaves the collection
// after the flush, and later commits do not insert it again; the same for
// a deleted end of a many-to-many collection.
func TestGCDeletedNotResurrected(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := gcNoConfigExpiry(rdb)
		defer s.Close()
		t1 := rwGet[gcTeam](t, s, w.t1)
		_, err := orm.LoadOneToMany(ctx, s, []*gcTeam{t1}, gcHeroesOf)
		rwOK(t, err, "LoadOneToMany")
		h1 := rwGet[gcHero](t, s, w.h1)
		_, err = orm.LoadManyToMany(ctx, s, []*gcHero{h1}, gcPowersOf)
		rwOK(t, err, "LoadManyToMany")
		p1 := h1.Powers.Items()[0]
		h2 := rwGet[gcHero](t, s, w.h2)
		rwOK(t, s.Delete(h2), "Delete h2")
		rwOK(t, s.Delete(p1), "Delete p1")
		rwOK(t, s.Commit(ctx), "Commit delete")
		rwEqual(t, "t1 heroes", gcNames(t1.Heroes.Items()), []string{"h1"})
		if h1.Powers.Len() != 0 {
			t.Fatalf("h1 still holds %d powers after its power was deleted", h1.Powers.Len())
		}
		rec.Reset()
		t1.Name = "t1b"
		rwOK(t, s.Commit(ctx), "Commit later")
		rwStatements(t, rec, "UPDATE gc_team")
		rwEqual(t, "db", gcHeroTeams(t, db), []string{"h1|t1b", "h3|t2"})
		rwEqual(t, "links", gcLinks(t, db), nil)
		if _, err := orm.Get[gcHero](ctx, s, w.h2); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("Get of the deleted hero: %v", err)
		}
	})
}

// An expunged child still held by a collection, and a new object deleted
// while a pending child's Lazy holds it, are not inserted: the flush fails
// before any SQL and changes nothing.
func TestGCExpungedAndForgottenRefused(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		t1 := rwGet[gcTeam](t, s, w.t1)
		_, err := orm.LoadOneToMany(ctx, s, []*gcTeam{t1}, gcHeroesOf)
		rwOK(t, err, "LoadOneToMany")
		h1 := t1.Heroes.Items()[0]
		rwOK(t, s.Expunge(h1), "Expunge")
		t1.Name = "renamed"
		rec.Reset()
		err = s.Flush(ctx)
		gcIs(t, err, orm.ErrDetachedObject, "Flush with an expunged child")
		if !strings.Contains(err.Error(), "expunged") || !strings.Contains(err.Error(), "gcTeam.Heroes") {
			t.Fatalf("error does not say what and where: %v", err)
		}
		rwStatements(t, rec)
		if !s.IsModified(t1) {
			t.Fatal("the failed flush lost the team's change")
		}
		t1.Heroes.Set(t1.Heroes.Items()[1:])
		rwOK(t, s.Flush(ctx), "Flush without it")
		rwStatements(t, rec, "UPDATE gc_team")

		// Delete of a new team a pending hero still holds.
		nt := &gcTeam{Name: "new"}
		nh := &gcHero{Name: "nh"}
		nh.Team.Set(nt)
		rwOK(t, s.Add(nh), "Add")
		rwOK(t, s.Delete(nt), "Delete new team")
		rec.Reset()
		gcIs(t, s.Flush(ctx), orm.ErrDetachedObject, "Flush with a forgotten team")
		rwStatements(t, rec)
		if st, _ := s.ObjectState(nh); st != orm.StateNew {
			t.Fatalf("pending hero is %v after the failed flush", st)
		}
		nh.Team.Clear()
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "teams", rwRows(t, db, `SELECT "name" FROM "gc_team"`), []string{"renamed", "t2"})
	})
}

// A detached object with a generated key put into a relation of a tracked
// object is not inserted again: the flush says to Merge it.
func TestGCDetachedWithKeyRefused(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		h3 := rwGet[gcHero](t, s, w.h3)
		copyOfT1 := &gcTeam{ID: w.t1, Name: "t1"}
		h3.Team.Set(copyOfT1)
		rec.Reset()
		err := s.Flush(ctx)
		gcIs(t, err, orm.ErrDetachedObject, "Flush")
		if !strings.Contains(err.Error(), "Merge") {
			t.Fatalf("error does not suggest Merge: %v", err)
		}
		rwStatements(t, rec)
		h3.Team.Reset() // AutoFlush: Merge would flush the refused change first
		merged, err := orm.Merge(ctx, s, copyOfT1, true)
		rwOK(t, err, "Merge")
		h3.Team.Set(merged)
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "db", gcHeroTeams(t, db), []string{"h1|t1", "h2|t1", "h3|t1"})
	})
}

// Rollback after a delete and a re-add of the same key leaves one tracked
// instance under that key, every time (the undo journal is ordered).
func TestGCRollbackDeleteAndReAdd(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		for i := range 12 {
			s := orm.NewSession(db)
			h := rwGet[gcHero](t, s, w.h3)
			rwOK(t, s.Delete(h), "Delete")
			rwOK(t, s.Flush(ctx), "Flush delete")
			again := &gcHero{ID: w.h3, Name: "again"}
			rwOK(t, s.Add(again), "Add again")
			rwOK(t, s.Flush(ctx), "Flush re-add")
			rwOK(t, s.Rollback(ctx), "Rollback")
			if st, ok := s.ObjectState(again); ok || st != orm.StateDetached {
				t.Fatalf("round %d: the re-added instance is %v after rollback", i, st)
			}
			if _, ok := s.ObjectState(h); !ok {
				t.Fatalf("round %d: the original instance is not tracked after rollback", i)
			}
			got, err := orm.Get[gcHero](ctx, s, w.h3)
			rwOK(t, err, "Get")
			if got != h || got.Name != "h3" {
				t.Fatalf("round %d: Get returned %p %q, want the original %p", i, got, got.Name, h)
			}
			if n := s.TrackedCount(); n != 1 {
				t.Fatalf("round %d: %d tracked objects, want 1", i, n)
			}
			rwOK(t, s.Close(), "Close")
		}
		rwEqual(t, "db", gcHeroTeams(t, db), []string{"h1|t1", "h2|t1", "h3|t2"})
	})
}

// Rollback (and savepoint rollback) of a primary-key change puts the
// object back under its old key.
func TestGCRollbackPrimaryKeyChange(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		gcSeed(t, db)
		for _, nested := range []bool{false, true} {
			s := orm.NewSession(db)
			tag, err := orm.Get[gcTag](ctx, s, "a")
			rwOK(t, err, "Get a")
			var sp *orm.Savepoint
			if nested {
				sp, err = s.BeginNested(ctx)
				rwOK(t, err, "BeginNested")
			}
			tag.Code = "b"
			rwOK(t, s.Flush(ctx), "Flush key change")
			if nested {
				rwOK(t, sp.Rollback(ctx), "savepoint Rollback")
			} else {
				rwOK(t, s.Rollback(ctx), "Rollback")
			}
			if tag.Code != "a" {
				t.Fatalf("nested=%v: key after rollback %q, want a", nested, tag.Code)
			}
			got, err := orm.Get[gcTag](ctx, s, "a")
			rwOK(t, err, "Get a after rollback")
			if got != tag {
				t.Fatalf("nested=%v: Get(a) returned another instance", nested)
			}
			if _, err := orm.Get[gcTag](ctx, s, "b"); !errors.Is(err, orm.ErrNotFound) {
				t.Fatalf("nested=%v: Get(b) after rollback: %v, want ErrNotFound", nested, err)
			}
			rwOK(t, s.Close(), "Close")
		}
		rwEqual(t, "db", rwRows(t, db, `SELECT "code" FROM "gc_tag"`), []string{"a"})
	})
}

// Savepoint and transaction rollback take a new object out of the
// collections that gained it, restore many-to-many contents, and the next
// commit writes neither.
func TestGCRollbackRestoresRelations(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		t1 := rwGet[gcTeam](t, s, w.t1)
		h1 := rwGet[gcHero](t, s, w.h1)
		p2 := rwGet[gcPower](t, s, w.p2)
		load := func() {
			t.Helper()
			_, err := orm.LoadOneToMany(ctx, s, []*gcTeam{t1}, gcHeroesOf)
			rwOK(t, err, "LoadOneToMany")
			_, err = orm.LoadManyToMany(ctx, s, []*gcHero{h1}, gcPowersOf)
			rwOK(t, err, "LoadManyToMany")
		}
		load()
		sp, err := s.BeginNested(ctx)
		rwOK(t, err, "BeginNested")
		nh := &gcHero{Name: "nh"}
		t1.Heroes.Set(append(t1.Heroes.Items(), nh))
		h1.Powers.Link(p2)
		rwOK(t, s.Flush(ctx), "Flush in savepoint")
		rwOK(t, sp.Rollback(ctx), "savepoint Rollback")
		if st, _ := s.ObjectState(nh); st != orm.StateDetached {
			t.Fatalf("new hero is %v after the savepoint rollback", st)
		}
		load()
		rwEqual(t, "t1 heroes", gcNames(t1.Heroes.Items()), []string{"h1", "h2"})
		rwEqual(t, "h1 powers", rwNames(h1.Powers.Items(), func(p *gcPower) string { return p.Name }), []string{"p1"})
		// The same through a transaction rollback.
		nh2 := &gcHero{Name: "nh2"}
		t1.Heroes.Set(append(t1.Heroes.Items(), nh2))
		rwOK(t, s.Flush(ctx), "Flush in transaction")
		rwOK(t, s.Rollback(ctx), "Rollback")
		for _, h := range t1.Heroes.Items() {
			if h == nh2 {
				t.Fatal("the rolled-back hero is still in the collection")
			}
		}
		rec.Reset()
		rwOK(t, s.Commit(ctx), "Commit")
		for _, k := range rwKinds(rec) {
			if strings.HasPrefix(k, "INSERT") {
				t.Fatalf("commit after rollback inserted: %v", rwKinds(rec))
			}
		}
		rwEqual(t, "db", gcHeroTeams(t, db), []string{"h1|t1", "h2|t1", "h3|t2"})
		rwEqual(t, "links", gcLinks(t, db), []string{"h1|p1"})
	})
}

// Expire, Refresh and ExpireOnCommit unload relations (the next loader
// reads them again); a relation expired by name unloads alone; a relation
// changed and not flushed survives expiry and is written.
func TestGCExpiryUnloadsRelations(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		s := rwSession(t, db)
		h1 := rwGet[gcHero](t, s, w.h1)
		t1 := rwGet[gcTeam](t, s, w.t1)
		loadAll := func() {
			t.Helper()
			_, err := orm.LoadLazy(ctx, s, &h1.Team)
			rwOK(t, err, "LoadLazy")
			_, err = orm.LoadOneToMany(ctx, s, []*gcTeam{t1}, gcHeroesOf)
			rwOK(t, err, "LoadOneToMany")
		}
		loadAll()
		s.Expire(t1, "Heroes")
		if t1.Heroes.IsLoaded() || s.IsExpired(t1) || !h1.Team.IsLoaded() {
			t.Fatalf("Expire(t1, Heroes): heroes loaded %v, t1 expired %v, h1.Team loaded %v", t1.Heroes.IsLoaded(), s.IsExpired(t1), h1.Team.IsLoaded())
		}
		s.Expire(h1)
		if h1.Team.IsLoaded() {
			t.Fatal("Expire(h1) left h1.Team loaded")
		}
		loadAll()
		rwOK(t, orm.Refresh(ctx, s, t1), "Refresh")
		if t1.Heroes.IsLoaded() {
			t.Fatal("Refresh left t1.Heroes loaded")
		}
		loadAll()
		rwOK(t, s.Commit(ctx), "Commit")
		if t1.Heroes.IsLoaded() || h1.Team.IsLoaded() {
			t.Fatal("ExpireOnCommit left relations loaded")
		}
		loadAll()
		if h1.Team.IsLoaded() == false || t1.Heroes.Len() != 2 {
			t.Fatal("relations did not load again")
		}
		// An unflushed relation change survives Expire.
		t2 := rwGet[gcTeam](t, s, w.t2)
		h1.Team.Set(t2)
		s.Expire(h1)
		if got, _ := h1.Team.Get(); got != t2 {
			t.Fatal("Expire dropped an unflushed relation change")
		}
		rwOK(t, s.Commit(ctx), "Commit change")
		rwEqual(t, "db", gcHeroTeams(t, db), []string{"h1|t2", "h2|t1", "h3|t2"})
	})
}

// With AutoFlush off, a collection loaded after unflushed relation changes
// shows the session's state: children moved by their Lazy or foreign key,
// and new children, are where the session has them.
func TestGCCollectionsLoadedAfterPendingChanges(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		w := gcSeed(t, db)
		cfg := orm.DefaultSessionConfig()
		cfg.AutoFlush = false
		s := orm.NewSessionWithConfig(db, cfg)
		defer s.Close()
		t1, t2 := rwGet[gcTeam](t, s, w.t1), rwGet[gcTeam](t, s, w.t2)
		h1, h2 := rwGet[gcHero](t, s, w.h1), rwGet[gcHero](t, s, w.h2)
		h1.Team.Set(t2) // through the relation
		toT2 := w.t2
		h2.TeamID = &toT2 // through the key
		h3 := rwGet[gcHero](t, s, w.h3)
		h3.Team.Set(t1)
		nh := &gcHero{Name: "nh", TeamID: &w.t1}
		rwOK(t, s.Add(nh), "Add")
		_, err := orm.LoadOneToMany(ctx, s, []*gcTeam{t1, t2}, gcHeroesOf)
		rwOK(t, err, "LoadOneToMany")
		rwEqual(t, "t1", slices.Sorted(slices.Values(gcNames(t1.Heroes.Items()))), []string{"h3", "nh"})
		rwEqual(t, "t2", slices.Sorted(slices.Values(gcNames(t2.Heroes.Items()))), []string{"h1", "h2"})
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "db", gcHeroTeams(t, db), []string{"h1|t2", "h2|t2", "h3|t1", "nh|t1"})
	})
}
