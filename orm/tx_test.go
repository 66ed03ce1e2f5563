package orm_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

type flTx struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	Note string
}

func (flTx) TableName() string { return "fl_tx" }

var flTxCols = []string{"id", "name", "note"}

// flTxSetup creates fl_tx and commits rows with the given names, returning
// their keys.
func flTxSetup(t *testing.T, db *orm.DB, names ...string) []int64 {
	t.Helper()
	flCreate(t, db, &flTx{})
	s := orm.NewSession(db)
	defer s.Close()
	rows := make([]*flTx, len(names))
	for i, n := range names {
		rows[i] = &flTx{Name: n}
		flOK(t, s.Add(rows[i]), "setup Add")
	}
	flOK(t, s.Commit(flCtx(t)), "setup Commit")
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

func flOps(rec *testkit.Recorder) []string {
	var out []string
	for _, e := range rec.Events() {
		if e.Op == "exec" || e.Op == "query" {
			out = append(out, flKind(e.Query))
		} else {
			out = append(out, e.Op)
		}
	}
	return out
}

// Reads before the first flush use the pool; the flush opens the
// transaction (BEGIN just before its first INSERT); Commit ends it.
func TestTxAutoBeginAtFirstFlush(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := flTxSetup(t, db, "one")
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		r1, err := orm.Get[flTx](ctx, s, ids[0])
		flOK(t, err, "Get")
		if s.InTransaction() {
			t.Fatal("Get opened a transaction")
		}
		ev := rec.Events()
		if len(ev) != 1 || ev[0].Op != "query" || ev[0].InTx {
			t.Fatalf("Get: want one SELECT outside a transaction, got\n%s", rec.Dump())
		}
		r1.Name = "uno"
		n1 := &flTx{Name: "two"}
		flOK(t, s.Add(n1), "Add")
		if s.InTransaction() {
			t.Fatal("Add opened a transaction")
		}
		flOK(t, s.Flush(ctx), "Flush")
		flEqual(t, "events", flOps(rec), []string{"SELECT", "begin", "INSERT fl_tx", "UPDATE fl_tx"})
		for _, e := range rec.Events()[2:] {
			if !e.InTx {
				t.Fatalf("%s ran outside the transaction", e.Query)
			}
		}
		if !s.InTransaction() {
			t.Fatal("no transaction after the flush")
		}
		// Nothing is visible outside before Commit.
		flEqual(t, "outside before commit", flDump(t, db, "fl_tx", flTxCols...), []string{fmt.Sprintf("%d|one|", ids[0])})
		// Once open, reads go through the transaction.
		rec.Reset()
		if _, err := orm.Get[flTx](ctx, s, int64(987654)); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("Get missing = %v", err)
		}
		if ev := rec.Events(); len(ev) != 1 || !ev[0].InTx {
			t.Fatalf("Get in the transaction:\n%s", rec.Dump())
		}
		rec.Reset()
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "commit events", flOps(rec), []string{"commit"})
		if s.InTransaction() {
			t.Fatal("transaction open after Commit")
		}
		flEqual(t, "after commit", flDump(t, db, "fl_tx", flTxCols...), []string{
			fmt.Sprintf("%d|uno|", ids[0]), fmt.Sprintf("%d|two|", n1.ID),
		})
	})
}

// Committing (or rolling back, or flushing) a session that never touched
// the database sends nothing; one that only read sends no COMMIT.
func TestTxCommitWithoutWritesSendsNothing(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := flTxSetup(t, db, "one")
		rdb, rec := testkit.Record(db)

		s := orm.NewSession(rdb)
		defer s.Close()
		flOK(t, s.Flush(ctx), "Flush")
		flOK(t, s.Commit(ctx), "Commit")
		flOK(t, s.Rollback(ctx), "Rollback")
		if n := rec.Count(); n != 0 {
			t.Fatalf("untouched session sent %d statements:\n%s", n, rec.Dump())
		}

		r, err := orm.Get[flTx](ctx, s, ids[0])
		flOK(t, err, "Get")
		r.Name = "one" // the value it already has: no change
		flOK(t, s.Commit(ctx), "Commit after a read")
		flEqual(t, "read-only session", flOps(rec), []string{"SELECT"})

		// Add and delete before any flush: nothing to do either.
		rec.Reset()
		x := &flTx{Name: "gone"}
		flOK(t, s.Add(x), "Add")
		flOK(t, s.Delete(x), "Delete new")
		flOK(t, s.Commit(ctx), "Commit")
		if n := rec.Count(); n != 0 {
			t.Fatalf("cancelled add sent %d statements:\n%s", n, rec.Dump())
		}
	})
}

// Rollback: objects inserted in the transaction become transient (key 0),
// deleted ones are tracked again, flushed changes are undone in memory,
// unflushed ones stay, and every persistent object is Expired.
func TestTxRollbackRestoresSession(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := flTxSetup(t, db, "one", "two", "three", "four")
		before := flDump(t, db, "fl_tx", flTxCols...)
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		var r [4]*flTx
		for i, id := range ids {
			var err error
			r[i], err = orm.Get[flTx](ctx, s, id)
			flOK(t, err, "Get")
		}
		n1 := &flTx{Name: "new"}
		flOK(t, s.Add(n1), "Add")
		flOK(t, s.Delete(r[1]), "Delete r2")
		r[0].Name = "one-changed"
		r[3].Name = "four-changed"
		flOK(t, s.Flush(ctx), "Flush")
		if n1.ID == 0 || !s.InTransaction() {
			t.Fatalf("flush: n1 key %d, in tx %v", n1.ID, s.InTransaction())
		}
		r[2].Name = "three-unflushed"
		r[3].Note = "n4-unflushed"
		rec.Reset()
		flOK(t, s.Rollback(ctx), "Rollback")
		flEqual(t, "rollback events", flOps(rec), []string{"rollback"})
		if s.InTransaction() {
			t.Fatal("transaction open after Rollback")
		}
		flEqual(t, "database after rollback", flDump(t, db, "fl_tx", flTxCols...), before)

		// Inserted: transient again.
		flState(t, s, n1, orm.StateDetached, false, "inserted object")
		if n1.ID != 0 {
			t.Fatalf("inserted object kept its generated key %d", n1.ID)
		}
		// Deleted: tracked again, expired like every persistent object.
		flState(t, s, r[1], orm.StateExpired, true, "deleted object")
		// Flushed change: undone, clean, expired.
		if r[0].Name != "one" || s.IsModified(r[0]) {
			t.Fatalf("flushed object: name %q modified %v %v; want its value before the transaction, clean", r[0].Name, s.IsModified(r[0]), s.ModifiedAttributes(r[0]))
		}
		flState(t, s, r[0], orm.StateExpired, true, "flushed object")
		// Never flushed: kept, still dirty.
		if r[2].Name != "three-unflushed" || !slices.Equal(s.ModifiedAttributes(r[2]), []string{"name"}) {
			t.Fatalf("unflushed change: name %q attrs %v", r[2].Name, s.ModifiedAttributes(r[2]))
		}
		flState(t, s, r[2], orm.StateExpired, true, "unflushed object")
		// Flushed and unflushed columns on one object.
		if r[3].Name != "four" || r[3].Note != "n4-unflushed" || !slices.Equal(s.ModifiedAttributes(r[3]), []string{"note"}) {
			t.Fatalf("mixed object: %+v attrs %v; want name back to four, note kept and dirty", *r[3], s.ModifiedAttributes(r[3]))
		}
		flState(t, s, r[3], orm.StateExpired, true, "mixed object")
		if s.PendingNewCount() != 0 || s.PendingDeleteCount() != 0 || s.PendingDirtyCount() != 2 {
			t.Fatalf("pending new/delete/dirty = %d/%d/%d, want 0/0/2\n%s", s.PendingNewCount(), s.PendingDeleteCount(), s.PendingDirtyCount(), s.DebugState())
		}
		// An expired object reloads in place on Get.
		rec.Reset()
		g, err := orm.Get[flTx](ctx, s, ids[0])
		flOK(t, err, "Get after rollback")
		if g != r[0] || r[0].Name != "one" || rec.Count() != 1 {
			t.Fatalf("reload: same %v name %q statements %d", g == r[0], r[0].Name, rec.Count())
		}
		flState(t, s, r[0], orm.StatePersistent, true, "reloaded object")

		// The transient object can be added again and committed.
		flOK(t, s.Add(n1), "re-Add")
		flOK(t, s.Commit(ctx), "Commit")
		if n1.ID == 0 {
			t.Fatal("re-added object got no key")
		}
		flEqual(t, "after commit", flDump(t, db, "fl_tx", flTxCols...), []string{
			fmt.Sprintf("%d|one|", ids[0]), fmt.Sprintf("%d|two|", ids[1]),
			fmt.Sprintf("%d|three-unflushed|", ids[2]), fmt.Sprintf("%d|four|n4-unflushed", ids[3]),
			fmt.Sprintf("%d|new|", n1.ID),
		})
	})
}

// ExpireOnCommit (default on) expires persistent objects at Commit, so the
// next Get reloads them; with it off they stay as they are.
func TestTxExpireOnCommit(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flTx{})
		for _, expire := range []bool{true, false} {
			rdb, rec := testkit.Record(db)
			cfg := orm.DefaultSessionConfig()
			if !cfg.ExpireOnCommit {
				t.Fatal("ExpireOnCommit is off by default")
			}
			cfg.ExpireOnCommit = expire
			s := orm.NewSessionWithConfig(rdb, cfg)
			x := &flTx{Name: "x"}
			flOK(t, s.Add(x), "Add")
			flOK(t, s.Commit(ctx), "Commit")
			want := orm.StatePersistent
			if expire {
				want = orm.StateExpired
			}
			flState(t, s, x, want, true, fmt.Sprintf("after Commit (ExpireOnCommit=%v)", expire))
			flExec(t, db, "UPDATE fl_tx SET name = ? WHERE id = ?", "changed elsewhere", x.ID)
			rec.Reset()
			g, err := orm.Get[flTx](ctx, s, x.ID)
			flOK(t, err, "Get")
			if g != x {
				t.Fatal("Get returned another instance")
			}
			if expire {
				if rec.Count() != 1 || x.Name != "changed elsewhere" {
					t.Fatalf("expired object: %d statements, name %q; want a reload", rec.Count(), x.Name)
				}
			} else if rec.Count() != 0 || x.Name != "x" {
				t.Fatalf("unexpired object: %d statements, name %q; want the identity map", rec.Count(), x.Name)
			}
			flState(t, s, x, orm.StatePersistent, true, "after Get")
			flOK(t, s.Close(), "Close")
		}
	})
}

// Close with an open transaction rolls it back.
func TestTxCloseRollsBack(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flTx{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		x := &flTx{Name: "x"}
		flOK(t, s.Add(x), "Add")
		flOK(t, s.Flush(ctx), "Flush")
		if !s.InTransaction() {
			t.Fatal("no transaction after Flush")
		}
		rec.Reset()
		flOK(t, s.Close(), "Close")
		flEqual(t, "close events", flOps(rec), []string{"rollback"})
		if n := flCount(t, db, "fl_tx"); n != 0 {
			t.Fatalf("%d rows after Close rolled back", n)
		}
		if s.Contains(x) {
			t.Fatal("closed session still tracks objects")
		}
		if err := s.Flush(ctx); !errors.Is(err, orm.ErrSessionClosed) {
			t.Fatalf("Flush after Close = %v, want ErrSessionClosed", err)
		}
	})
}

// Without AutoBegin every flush commits its own work: another session sees
// the rows right after Flush.
func TestTxWithoutAutoBegin(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flTx{})
		rdb, rec := testkit.Record(db)
		cfg := orm.DefaultSessionConfig()
		cfg.AutoBegin = false
		s := orm.NewSessionWithConfig(rdb, cfg)
		defer s.Close()
		x := &flTx{Name: "x"}
		y := &flTx{Name: "y"}
		flOK(t, s.AddAll(x, y), "AddAll")
		flOK(t, s.Flush(ctx), "Flush")
		if s.InTransaction() {
			t.Fatal("transaction left open without AutoBegin")
		}
		flCheckOwnTx(t, rec)
		other := orm.NewSession(db)
		defer other.Close()
		got, err := orm.Get[flTx](ctx, other, y.ID)
		flOK(t, err, "Get from another session")
		if got.Name != "y" {
			t.Fatalf("other session sees %+v", got)
		}
		flOK(t, other.Commit(ctx), "other Commit")

		rec.Reset()
		x.Name = "x2"
		flOK(t, s.Flush(ctx), "Flush update")
		if s.InTransaction() {
			t.Fatal("transaction left open after the second flush")
		}
		flCheckOwnTx(t, rec)
		flEqual(t, "rows", flDump(t, db, "fl_tx", flTxCols...), []string{fmt.Sprintf("%d|x2|", x.ID), fmt.Sprintf("%d|y|", y.ID)})
		// Rollback afterwards has nothing to undo.
		rec.Reset()
		flOK(t, s.Rollback(ctx), "Rollback")
		if rec.Count() != 0 || x.Name != "x2" {
			t.Fatalf("Rollback without a transaction: %d statements, name %q", rec.Count(), x.Name)
		}
		flEqual(t, "rows after Rollback", flDump(t, db, "fl_tx", flTxCols...), []string{fmt.Sprintf("%d|x2|", x.ID), fmt.Sprintf("%d|y|", y.ID)})
	})
}

// flCheckOwnTx checks that a flush either ran in autocommit or wrapped its
// statements in a transaction it committed.
func flCheckOwnTx(t *testing.T, rec *testkit.Recorder) {
	t.Helper()
	ops := flOps(rec)
	if len(ops) == 0 {
		t.Fatal("flush sent nothing")
	}
	if ops[0] == "begin" {
		if ops[len(ops)-1] != "commit" {
			t.Fatalf("flush opened a transaction and did not commit it: %q", ops)
		}
		return
	}
	for _, o := range ops {
		if o == "begin" || o == "commit" || o == "rollback" {
			t.Fatalf("unexpected transaction control: %q", ops)
		}
	}
}
