package orm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Savepoints: BeginNested, Savepoint.Commit and Savepoint.Rollback
// (DESIGN §5 items 6 and 8, issue 4).

type lcSp struct {
	ID   int64  `sqlmodel:"pk"`
	Code string `sqlmodel:"unique,size=40"`
	Name string
}

func (lcSp) TableName() string { return "lc_sp" }

var lcSpCols = []string{"id", "code", "name"}

// lcSpSetup creates lc_sp and commits one row per code (name = code),
// returning the keys.
func lcSpSetup(t *testing.T, db *orm.DB, codes ...string) []int64 {
	t.Helper()
	flCreate(t, db, &lcSp{})
	s := orm.NewSession(db)
	defer s.Close()
	objs := make([]*lcSp, len(codes))
	for i, c := range codes {
		objs[i] = &lcSp{Code: c, Name: c}
		flOK(t, s.Add(objs[i]), "setup Add")
	}
	flOK(t, s.Commit(flCtx(t)), "setup Commit")
	ids := make([]int64, len(objs))
	for i, o := range objs {
		ids[i] = o.ID
	}
	return ids
}

func lcSpRow(id int64, code, name string) string { return fmt.Sprintf("%d|%s|%s", id, code, name) }

// lcSavepoints returns the savepoint statements of BeginNested savepoints
// (not the flushes' own), with their names replaced by "spN" in order of
// creation: "SAVEPOINT sp1", "RELEASE SAVEPOINT sp1", "ROLLBACK TO SAVEPOINT sp1".
func lcSavepoints(rec *testkit.Recorder) []string {
	names := map[string]string{}
	var out []string
	for _, e := range rec.Events() {
		if e.Op != "savepoint" {
			continue
		}
		verb, name := "", ""
		for _, v := range []string{"SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT "} {
			if strings.HasPrefix(e.Query, v) {
				verb, name = v, strings.Trim(e.Query[len(v):], "\"`")
			}
		}
		if !strings.HasPrefix(name, "sqlm_sp_") {
			continue // a flush's savepoint
		}
		if verb == "SAVEPOINT " {
			names[name] = fmt.Sprintf("sp%d", len(names)+1)
		}
		out = append(out, verb+names[name])
	}
	return out
}

// Outer update; nested update of that object and of another, nested
// insert, all flushed; nested Rollback: the outer work commits, the nested
// work is gone from the database, the nested insert is transient again
// (key 0), the objects updated in the savepoint are back to their values
// from when it began and Expired.
func TestLcSavepointRollback(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcSpSetup(t, db, "o1", "n1", "u1", "del")
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		o1, err := orm.Get[lcSp](ctx, s, ids[0])
		flOK(t, err, "Get o1")
		n1, err := orm.Get[lcSp](ctx, s, ids[1])
		flOK(t, err, "Get n1")
		u1, err := orm.Get[lcSp](ctx, s, ids[2])
		flOK(t, err, "Get u1")
		del, err := orm.Get[lcSp](ctx, s, ids[3])
		flOK(t, err, "Get del")
		o1.Name = "o1-outer"
		flOK(t, s.Flush(ctx), "outer Flush")

		rec.Reset()
		sp, err := s.BeginNested(ctx)
		flOK(t, err, "BeginNested")
		o1.Name = "o1-nested"
		n1.Name = "n1-nested"
		ins := &lcSp{Code: "ins", Name: "ins"}
		flOK(t, s.Add(ins), "Add in savepoint")
		flOK(t, s.Delete(del), "Delete in savepoint")
		flOK(t, s.Flush(ctx), "nested Flush")
		if s.Contains(del) {
			t.Fatal("flushed delete still tracked")
		}
		if ins.ID == 0 {
			t.Fatal("nested insert got no key")
		}
		// Changed inside the savepoint but never flushed: kept by the rollback.
		u1.Name = "u1-unflushed"
		// Added inside the savepoint and never flushed: forgotten.
		unflushed := &lcSp{Code: "unflushed", Name: "unflushed"}
		flOK(t, s.Add(unflushed), "Add unflushed")

		flOK(t, sp.Rollback(ctx), "Savepoint.Rollback")
		flEqual(t, "savepoint statements", lcSavepoints(rec), []string{
			"SAVEPOINT sp1", "ROLLBACK TO SAVEPOINT sp1", "RELEASE SAVEPOINT sp1",
		})
		if !s.InTransaction() {
			t.Fatal("savepoint rollback ended the transaction")
		}
		// The nested insert is transient again.
		if s.Contains(ins) || ins.ID != 0 {
			t.Fatalf("nested insert: tracked %v key %d, want transient with key 0", s.Contains(ins), ins.ID)
		}
		if s.Contains(unflushed) {
			t.Fatal("object added in the savepoint and never flushed is still tracked")
		}
		// Objects updated in the savepoint: values from when it began, Expired.
		if o1.Name != "o1-outer" || n1.Name != "n1" {
			t.Fatalf("after savepoint rollback: o1 %q n1 %q, want o1-outer and n1", o1.Name, n1.Name)
		}
		flState(t, s, o1, orm.StateExpired, true, "o1")
		flState(t, s, n1, orm.StateExpired, true, "n1")
		// The object deleted in the savepoint is tracked again.
		flState(t, s, del, orm.StateExpired, true, "deleted in the savepoint")
		if g, err := orm.Get[lcSp](ctx, s, ids[3]); err != nil || g != del {
			t.Fatalf("Get of the undeleted object: %v, same %v", err, g == del)
		}
		if s.IsModified(o1) || s.IsModified(n1) {
			t.Fatalf("restored objects look dirty: %q %q", s.ModifiedAttributes(o1), s.ModifiedAttributes(n1))
		}
		// The unflushed change stays, dirty.
		if u1.Name != "u1-unflushed" {
			t.Fatalf("unflushed change lost: %+v", *u1)
		}
		lcAttrs(t, "u1 modified", s.ModifiedAttributes(u1), []string{"name"})
		if s.PendingNewCount() != 0 || s.PendingDirtyCount() != 1 {
			t.Fatalf("pending new/dirty %d/%d, want 0/1\n%s", s.PendingNewCount(), s.PendingDirtyCount(), s.DebugState())
		}
		// Reloading an expired object in the transaction sees the outer work.
		g, err := orm.Get[lcSp](ctx, s, ids[0])
		flOK(t, err, "Get o1")
		if g != o1 || o1.Name != "o1-outer" {
			t.Fatalf("reloaded o1 %+v", *o1)
		}

		rec.Reset()
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "commit", lcOps(rec), []string{"savepoint", "UPDATE lc_sp", "savepoint", "commit"})
		flEqual(t, "rows", flDump(t, db, "lc_sp", lcSpCols...), []string{
			lcSpRow(ids[0], "o1", "o1-outer"), lcSpRow(ids[1], "n1", "n1"), lcSpRow(ids[2], "u1", "u1-unflushed"),
			lcSpRow(ids[3], "del", "del"),
		})
		// The transient insert can be added again.
		flOK(t, s.Add(ins), "re-Add")
		flOK(t, s.Commit(ctx), "Commit re-Add")
		if ins.ID == 0 || flCount(t, db, "lc_sp") != 5 {
			t.Fatalf("re-added insert: key %d, %d rows", ins.ID, flCount(t, db, "lc_sp"))
		}
	})
}

// Savepoint.Commit releases the savepoint: its work joins the transaction
// and commits with it; a savepoint opened without a transaction opens one.
func TestLcSavepointCommit(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcSpSetup(t, db, "a")
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		a, err := orm.Get[lcSp](ctx, s, ids[0])
		flOK(t, err, "Get")
		rec.Reset()
		sp, err := s.BeginNested(ctx)
		flOK(t, err, "BeginNested")
		flEqual(t, "BeginNested without a transaction", lcOps(rec)[:1], []string{"begin"})
		a.Name = "a-nested"
		b := &lcSp{Code: "b", Name: "b"}
		flOK(t, s.Add(b), "Add")
		flOK(t, sp.Commit(ctx), "Savepoint.Commit") // flushes, then releases
		flEqual(t, "savepoint statements", lcSavepoints(rec), []string{"SAVEPOINT sp1", "RELEASE SAVEPOINT sp1"})
		if b.ID == 0 || s.IsModified(a) {
			t.Fatalf("Savepoint.Commit did not flush: key %d, a modified %v", b.ID, s.IsModified(a))
		}
		if err := sp.Commit(ctx); err == nil {
			t.Fatal("second Savepoint.Commit succeeded")
		}
		if err := sp.Rollback(ctx); err == nil {
			t.Fatal("Savepoint.Rollback after Commit succeeded")
		}
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "rows", flDump(t, db, "lc_sp", lcSpCols...), []string{lcSpRow(ids[0], "a", "a-nested"), lcSpRow(b.ID, "b", "b")})
		// A savepoint whose transaction ended is gone.
		sp, err = s.BeginNested(ctx)
		flOK(t, err, "BeginNested")
		flOK(t, s.Rollback(ctx), "Rollback")
		// (session.ErrNoTransaction, which the orm facade does not export.)
		if err := sp.Rollback(ctx); err == nil || !strings.Contains(err.Error(), "transaction") {
			t.Fatalf("Savepoint.Rollback after the transaction ended = %v, want an error about the ended transaction", err)
		}
	})
}

// A unique violation inside a savepoint: the failed flush leaves the
// savepoint usable, rolling the savepoint back removes only its work
// (including an earlier successful insert in it), and the outer commit
// succeeds.
func TestLcSavepointUniqueViolation(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcSpSetup(t, db, "taken")
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		outer := &lcSp{Code: "outer", Name: "outer"}
		flOK(t, s.Add(outer), "Add outer")
		taken, err := orm.Get[lcSp](ctx, s, ids[0])
		flOK(t, err, "Get")
		taken.Name = "taken-outer"
		flOK(t, s.Flush(ctx), "outer Flush")

		rec.Reset()
		sp, err := s.BeginNested(ctx)
		flOK(t, err, "BeginNested")
		ok := &lcSp{Code: "ok", Name: "ok"}
		flOK(t, s.Add(ok), "Add ok")
		flOK(t, s.Flush(ctx), "nested Flush ok")
		dup := &lcSp{Code: "taken", Name: "dup"}
		flOK(t, s.Add(dup), "Add dup")
		if err := s.Flush(ctx); !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("Flush of a duplicate = %v, want ErrUniqueViolation", err)
		}
		flState(t, s, dup, orm.StateNew, true, "duplicate after the failed flush")
		if !s.InTransaction() {
			t.Fatal("failed flush in a savepoint ended the transaction")
		}
		flOK(t, sp.Rollback(ctx), "Savepoint.Rollback")
		flEqual(t, "savepoint statements", lcSavepoints(rec), []string{
			"SAVEPOINT sp1", "ROLLBACK TO SAVEPOINT sp1", "RELEASE SAVEPOINT sp1",
		})
		if s.Contains(dup) || s.Contains(ok) || ok.ID != 0 {
			t.Fatalf("after rollback: dup tracked %v, ok tracked %v key %d", s.Contains(dup), s.Contains(ok), ok.ID)
		}
		flState(t, s, outer, orm.StatePersistent, true, "outer insert")
		flState(t, s, taken, orm.StatePersistent, true, "outer update")
		flOK(t, s.Commit(ctx), "outer Commit")
		flEqual(t, "rows", flDump(t, db, "lc_sp", lcSpCols...), []string{
			lcSpRow(ids[0], "taken", "taken-outer"), lcSpRow(outer.ID, "outer", "outer"),
		})
	})
}

// Three levels: commit the innermost, roll back the middle one: the middle
// and innermost work is gone, the transaction's and the outer savepoint's
// work stays.
func TestLcSavepointDepth3(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcSpSetup(t, db, "a", "b", "d")
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		var objs []*lcSp
		for _, id := range ids {
			o, err := orm.Get[lcSp](ctx, s, id)
			flOK(t, err, "Get")
			objs = append(objs, o)
		}
		a, b, d := objs[0], objs[1], objs[2]
		a.Name = "a-tx"
		flOK(t, s.Flush(ctx), "transaction Flush")
		rec.Reset()

		sp1, err := s.BeginNested(ctx)
		flOK(t, err, "BeginNested 1")
		b.Name = "b-sp1"
		flOK(t, s.Flush(ctx), "Flush sp1")

		sp2, err := s.BeginNested(ctx)
		flOK(t, err, "BeginNested 2")
		c := &lcSp{Code: "c", Name: "c-sp2"}
		flOK(t, s.Add(c), "Add c")
		b.Name = "b-sp2"
		flOK(t, s.Flush(ctx), "Flush sp2")

		sp3, err := s.BeginNested(ctx)
		flOK(t, err, "BeginNested 3")
		d.Name = "d-sp3"
		e := &lcSp{Code: "e", Name: "e-sp3"}
		flOK(t, s.Add(e), "Add e")
		flOK(t, s.Flush(ctx), "Flush sp3")
		if err := sp2.Commit(ctx); err == nil {
			t.Fatal("Savepoint.Commit of the middle savepoint with the innermost open succeeded")
		}
		flOK(t, sp3.Commit(ctx), "Commit sp3")
		flOK(t, sp2.Rollback(ctx), "Rollback sp2")

		flEqual(t, "savepoint statements", lcSavepoints(rec), []string{
			"SAVEPOINT sp1", "SAVEPOINT sp2", "SAVEPOINT sp3", "RELEASE SAVEPOINT sp3",
			"ROLLBACK TO SAVEPOINT sp2", "RELEASE SAVEPOINT sp2",
		})
		for _, o := range []*lcSp{c, e} {
			if s.Contains(o) || o.ID != 0 {
				t.Fatalf("%s: tracked %v key %d, want transient", o.Code, s.Contains(o), o.ID)
			}
		}
		if a.Name != "a-tx" || b.Name != "b-sp1" || d.Name != "d" {
			t.Fatalf("after rolling back sp2: a %q b %q d %q; want a-tx, b-sp1, d", a.Name, b.Name, d.Name)
		}
		flState(t, s, a, orm.StatePersistent, true, "a (transaction work)")
		flState(t, s, b, orm.StateExpired, true, "b (changed in sp2)")
		flState(t, s, d, orm.StateExpired, true, "d (changed in sp3)")
		if s.PendingDirtyCount() != 0 || s.PendingNewCount() != 0 {
			t.Fatalf("pending dirty/new %d/%d\n%s", s.PendingDirtyCount(), s.PendingNewCount(), s.DebugState())
		}
		flOK(t, sp1.Commit(ctx), "Commit sp1")
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "rows", flDump(t, db, "lc_sp", lcSpCols...), []string{
			lcSpRow(ids[0], "a", "a-tx"), lcSpRow(ids[1], "b", "b-sp1"), lcSpRow(ids[2], "d", "d"),
		})
	})
}

// Rolling back an outer savepoint rolls back the ones opened inside it,
// and a transaction Rollback undoes the savepoints' work with the rest.
func TestLcSavepointRollbackOuter(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcSpSetup(t, db, "a")
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		a, err := orm.Get[lcSp](ctx, s, ids[0])
		flOK(t, err, "Get")
		sp1, err := s.BeginNested(ctx)
		flOK(t, err, "BeginNested 1")
		a.Name = "a1"
		flOK(t, s.Flush(ctx), "Flush")
		sp2, err := s.BeginNested(ctx)
		flOK(t, err, "BeginNested 2")
		x := &lcSp{Code: "x"}
		flOK(t, s.Add(x), "Add")
		a.Name = "a2"
		flOK(t, s.Flush(ctx), "Flush")
		rec.Reset()
		flOK(t, sp1.Rollback(ctx), "Rollback sp1")
		if err := sp2.Rollback(ctx); err == nil {
			t.Fatal("Rollback of a savepoint already rolled back with its parent succeeded")
		}
		if s.Contains(x) || x.ID != 0 || a.Name != "a" {
			t.Fatalf("after rolling back the outer savepoint: x tracked %v key %d, a %q", s.Contains(x), x.ID, a.Name)
		}
		flState(t, s, a, orm.StateExpired, true, "a")

		// Transaction rollback after savepoint work.
		sp3, err := s.BeginNested(ctx)
		flOK(t, err, "BeginNested 3")
		y := &lcSp{Code: "y"}
		flOK(t, s.Add(y), "Add")
		flOK(t, sp3.Commit(ctx), "Commit sp3")
		if y.ID == 0 {
			t.Fatal("no key")
		}
		flOK(t, s.Rollback(ctx), "Rollback")
		if s.Contains(y) || y.ID != 0 {
			t.Fatalf("after transaction rollback: y tracked %v key %d", s.Contains(y), y.ID)
		}
		flEqual(t, "rows", flDump(t, db, "lc_sp", lcSpCols...), []string{lcSpRow(ids[0], "a", "a")})
	})
}
