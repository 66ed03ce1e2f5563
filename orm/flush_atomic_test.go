package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

type flAtP struct {
	ID    int64  `sqlmodel:"pk"`
	Name  string `sqlmodel:"unique"`
	Score int
}

func (flAtP) TableName() string { return "fl_at_p" }

type flAtC struct {
	ID       int64  `sqlmodel:"pk"`
	Code     string `sqlmodel:"unique"`
	ParentID int64
	Parent   orm.Lazy[flAtP] `sqlmodel:"fk=ParentID"`
}

func (flAtC) TableName() string { return "fl_at_c" }

type flVer struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	Version int `sqlmodel:"version"`
}

func (flVer) TableName() string { return "fl_ver" }

// flAtomic is the data of the atomic-failure scenario: 5 inserts, 2 updates
// and 1 delete over a parent and a child table. In flush order the
// statements are
//
//	1 INSERT fl_at_p (p3, p4)
//	2 UPDATE fl_at_p (p1.score)
//	3 UPDATE fl_at_p (p2.name)
//	4 INSERT fl_at_c (c4, c5, c6)   <- c5 duplicates c1's code
//	5 DELETE fl_at_c (c2)
type flAtomic struct {
	p1, p2, p3, p4     *flAtP
	c2, c4, c5, c6     *flAtC
	setupP, setupC     []string
	p1ID, p2ID, c1ID   int64
	c2ID, c3ID         int64
	objs               []any
	copies             []any
	states             []orm.ObjectState
	debug              string
	dirtyAttrs         [][]string
	newN, dirtyN, delN int
}

var flAtPCols = []string{"id", "name", "score"}
var flAtCCols = []string{"id", "code", "parent_id"}

// flAtomicSetup creates the tables and commits p1, p2, c1 (p1), c2 (p1),
// c3 (p2) through db.
func flAtomicSetup(t *testing.T, db *orm.DB) *flAtomic {
	t.Helper()
	ctx := flCtx(t)
	flCreate(t, db, &flAtP{}, &flAtC{})
	s := orm.NewSession(db)
	defer s.Close()
	p1 := &flAtP{Name: "p1", Score: 1}
	p2 := &flAtP{Name: "p2", Score: 2}
	c1 := &flAtC{Code: "c1"}
	c1.Parent.Set(p1)
	c2 := &flAtC{Code: "c2"}
	c2.Parent.Set(p1)
	c3 := &flAtC{Code: "c3"}
	c3.Parent.Set(p2)
	flOK(t, s.AddAll(p1, p2, c1, c2, c3), "setup AddAll")
	flOK(t, s.Commit(ctx), "setup Commit")
	return &flAtomic{
		setupP: flDump(t, db, "fl_at_p", flAtPCols...), setupC: flDump(t, db, "fl_at_c", flAtCCols...),
		p1ID: p1.ID, p2ID: p2.ID, c1ID: c1.ID, c2ID: c2.ID, c3ID: c3.ID,
	}
}

// stage loads and changes the objects of the scenario in s.
func (a *flAtomic) stage(t *testing.T, ctx context.Context, s *orm.Session) {
	t.Helper()
	var err error
	a.p1, err = orm.Get[flAtP](ctx, s, a.p1ID)
	flOK(t, err, "Get p1")
	a.p2, err = orm.Get[flAtP](ctx, s, a.p2ID)
	flOK(t, err, "Get p2")
	a.c2, err = orm.Get[flAtC](ctx, s, a.c2ID)
	flOK(t, err, "Get c2")
	a.p3 = &flAtP{Name: "p3", Score: 3}
	a.p4 = &flAtP{Name: "p4", Score: 4}
	a.c4 = &flAtC{Code: "c4"}
	a.c4.Parent.Set(a.p3)
	a.c5 = &flAtC{Code: "c1"} // duplicate of c1: fails
	a.c5.Parent.Set(a.p4)
	a.c6 = &flAtC{Code: "c6"}
	a.c6.Parent.Set(a.p1)
	flOK(t, s.AddAll(a.p3, a.p4, a.c4, a.c5, a.c6), "AddAll")
	a.p1.Score = 10
	a.p2.Name = "p2x"
	flOK(t, s.Delete(a.c2), "Delete c2")
	a.objs = []any{a.p1, a.p2, a.p3, a.p4, a.c2, a.c4, a.c5, a.c6}
}

// capture records everything the session knows before the flush.
func (a *flAtomic) capture(t *testing.T, s *orm.Session) {
	t.Helper()
	a.copies, a.states, a.dirtyAttrs = nil, nil, nil
	for _, o := range a.objs {
		switch x := o.(type) {
		case *flAtP:
			a.copies = append(a.copies, *x)
		case *flAtC:
			a.copies = append(a.copies, *x)
		}
		st, ok := s.ObjectState(o)
		if !ok {
			t.Fatalf("%+v not tracked before the flush", o)
		}
		a.states = append(a.states, st)
		a.dirtyAttrs = append(a.dirtyAttrs, s.ModifiedAttributes(o))
	}
	a.newN, a.dirtyN, a.delN = s.PendingNewCount(), s.PendingDirtyCount(), s.PendingDeleteCount()
	if a.newN != 5 || a.dirtyN != 2 || a.delN != 1 {
		t.Fatalf("pending new/dirty/delete = %d/%d/%d, want 5/2/1", a.newN, a.dirtyN, a.delN)
	}
	a.debug = s.DebugState()
}

// verifyUnchanged checks that the session is exactly as captured.
func (a *flAtomic) verifyUnchanged(t *testing.T, s *orm.Session) {
	t.Helper()
	if n, d, x := s.PendingNewCount(), s.PendingDirtyCount(), s.PendingDeleteCount(); n != a.newN || d != a.dirtyN || x != a.delN {
		t.Fatalf("pending new/dirty/delete = %d/%d/%d after the failed flush, want %d/%d/%d", n, d, x, a.newN, a.dirtyN, a.delN)
	}
	for i, o := range a.objs {
		var cur any
		switch x := o.(type) {
		case *flAtP:
			cur = *x
		case *flAtC:
			cur = *x
		}
		if cur != a.copies[i] {
			t.Fatalf("object %d changed by the failed flush:\n got  %+v\n want %+v", i, cur, a.copies[i])
		}
		st, ok := s.ObjectState(o)
		if !ok || st != a.states[i] {
			t.Fatalf("object %d: state %v (tracked %v), want %v", i, st, ok, a.states[i])
		}
		if got := s.ModifiedAttributes(o); !slices.Equal(got, a.dirtyAttrs[i]) {
			t.Fatalf("object %d: ModifiedAttributes %v, want %v", i, got, a.dirtyAttrs[i])
		}
	}
	for _, o := range []any{a.p3, a.p4, a.c4, a.c5, a.c6} {
		var id, fk int64
		switch x := o.(type) {
		case *flAtP:
			id = x.ID
		case *flAtC:
			id, fk = x.ID, x.ParentID
		}
		if id != 0 || fk != 0 {
			t.Fatalf("new object kept a key written by the failed flush: id %d parent_id %d", id, fk)
		}
	}
	if !s.IsModified(a.p1) || !s.IsModified(a.p2) {
		t.Fatal("dirty objects no longer modified: their snapshots changed")
	}
	if got := s.DebugState(); got != a.debug {
		t.Fatalf("DebugState changed:\n got\n%s want\n%s", got, a.debug)
	}
}

func (a *flAtomic) verifyFailure(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("flush succeeded; want a failure")
	}
	var fe *orm.FlushError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *orm.FlushError", err, err)
	}
	if fe.Table != "fl_at_c" || fe.Op != "insert" {
		t.Fatalf("FlushError op %q table %q, want insert fl_at_c: %v", fe.Op, fe.Table, err)
	}
}

// verifyFlushStatements checks the data statements of one flush attempt:
// the first n of the full sequence, the last one failing when fail is set.
// Statements that a pipelined flush (pgx) sent after the failing one, and
// that the database skipped, are recorded with ErrNotRun: they are left
// out, once it is checked that they come after the failure.
func flVerifyStatements(t *testing.T, evs []orm.QueryEvent, n int, fail bool) {
	t.Helper()
	full := []string{"INSERT fl_at_p", "UPDATE fl_at_p", "UPDATE fl_at_p", "INSERT fl_at_c", "DELETE fl_at_c"}
	var got []string
	ran := evs[:0:0]
	for i, e := range evs {
		if errors.Is(e.Err, orm.ErrNotRun) {
			if i == 0 || evs[i-1].Err == nil {
				t.Fatalf("statement %d %s skipped (%v) without an earlier failure", i+1, flKind(e.Query), e.Err)
			}
			continue
		}
		ran = append(ran, e)
		got = append(got, flKind(e.Query))
	}
	evs = ran
	flEqual(t, "data statements", got, full[:n])
	for i, e := range evs {
		failed := e.Err != nil
		if failed != (fail && i == n-1) {
			t.Fatalf("statement %d %s: err %v", i+1, got[i], e.Err)
		}
	}
}

// expected returns the table contents once all 8 changes landed.
func (a *flAtomic) expected() (p, c []string) {
	p = []string{
		fmt.Sprintf("%d|p1|10", a.p1ID), fmt.Sprintf("%d|p2x|2", a.p2ID),
		fmt.Sprintf("%d|p3|3", a.p3.ID), fmt.Sprintf("%d|p4|4", a.p4.ID),
	}
	c = []string{
		fmt.Sprintf("%d|c1|%d", a.c1ID, a.p1ID), fmt.Sprintf("%d|c3|%d", a.c3ID, a.p2ID),
		fmt.Sprintf("%d|c4|%d", a.c4.ID, a.p3.ID), fmt.Sprintf("%d|c5|%d", a.c5.ID, a.p4.ID),
		fmt.Sprintf("%d|c6|%d", a.c6.ID, a.p1ID),
	}
	return p, c
}

// retry fixes the duplicate and flushes again: every change lands.
// extraP and extraC are rows expected besides the scenario's.
func (a *flAtomic) retry(t *testing.T, ctx context.Context, db *orm.DB, s *orm.Session, rec *testkit.Recorder, extraP, extraC []string) {
	t.Helper()
	a.c5.Code = "c5"
	rec.Reset()
	flOK(t, s.Flush(ctx), "Flush after the fix")
	flVerifyStatements(t, flData(rec), 5, false)
	if n := s.PendingNewCount() + s.PendingDirtyCount() + s.PendingDeleteCount(); n != 0 {
		t.Fatalf("%d changes still pending after the retry\n%s", n, s.DebugState())
	}
	if a.c4.ParentID != a.p3.ID || a.c5.ParentID != a.p4.ID || a.c6.ParentID != a.p1ID || a.p3.ID == 0 || a.p4.ID == 0 {
		t.Fatalf("keys after retry: p3 %d p4 %d c4->%d c5->%d c6->%d", a.p3.ID, a.p4.ID, a.c4.ParentID, a.c5.ParentID, a.c6.ParentID)
	}
	flOK(t, s.Commit(ctx), "Commit")
	wp, wc := a.expected()
	wp, wc = append(wp, extraP...), append(wc, extraC...)
	slices.SortFunc(wp, flByID)
	slices.SortFunc(wc, flByID)
	flEqual(t, "fl_at_p after retry", flDump(t, db, "fl_at_p", flAtPCols...), wp)
	flEqual(t, "fl_at_c after retry", flDump(t, db, "fl_at_c", flAtCCols...), wc)
}

// A failing 4th statement (unique violation) leaves the database and the
// session exactly as before the flush; fixing the value and flushing again
// writes all 8 changes.
func TestFlushAtomicUniqueViolation(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		a := flAtomicSetup(t, db)
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		a.stage(t, ctx, s)
		a.capture(t, s)
		rec.Reset()

		err := s.Flush(ctx)
		a.verifyFailure(t, err)
		if !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("errors.Is(%v, ErrUniqueViolation) = false", err)
		}
		flVerifyStatements(t, flData(rec), 4, true)
		if s.InTransaction() {
			t.Fatal("the transaction the flush opened is still open")
		}
		ops := []string{}
		for _, e := range rec.Events() {
			if e.Op != "exec" && e.Op != "query" {
				ops = append(ops, e.Op)
			}
		}
		flEqual(t, "transaction control", ops, []string{"begin", "rollback"})
		flEqual(t, "fl_at_p unchanged", flDump(t, db, "fl_at_p", flAtPCols...), a.setupP)
		flEqual(t, "fl_at_c unchanged", flDump(t, db, "fl_at_c", flAtCCols...), a.setupC)
		a.verifyUnchanged(t, s)

		a.retry(t, ctx, db, s, rec, nil, nil)
	})
}

// flCancelHook cancels a context when the at-th data statement after arming
// is about to run.
type flCancelHook struct {
	mu     sync.Mutex
	n, at  int
	cancel context.CancelFunc
}

func (h *flCancelHook) arm(at int, cancel context.CancelFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n, h.at, h.cancel = 0, at, cancel
}

func (h *flCancelHook) BeforeQuery(ctx context.Context, e *orm.QueryEvent) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cancel == nil || (e.Op != "exec" && e.Op != "query") {
		return ctx
	}
	h.n++
	if h.n == h.at {
		h.cancel()
		h.cancel = nil
	}
	return ctx
}

func (h *flCancelHook) AfterQuery(context.Context, *orm.QueryEvent) {}

// The context is cancelled just before the 4th statement: same guarantees
// as a failing statement, and the error matches context.Canceled.
func TestFlushAtomicContextCancelled(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		a := flAtomicSetup(t, db)
		hook := &flCancelHook{}
		rdb, rec := testkit.Record(db.WithQueryHook(hook))
		s := orm.NewSession(rdb)
		defer s.Close()
		a.stage(t, ctx, s)
		a.c5.Code = "c5" // nothing wrong with the data this time
		a.capture(t, s)
		rec.Reset()

		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		hook.arm(4, cancel)
		err := s.Flush(fctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Flush = %v, want context.Canceled", err)
		}
		var fe *orm.FlushError
		if !errors.As(err, &fe) || fe.Table != "fl_at_c" {
			t.Fatalf("error %v: want a *FlushError on fl_at_c", err)
		}
		evs := flData(rec)
		flVerifyStatements(t, evs, 4, true)
		if !errors.Is(evs[3].Err, context.Canceled) {
			t.Fatalf("4th statement error %v, want context.Canceled", evs[3].Err)
		}
		if s.InTransaction() {
			t.Fatal("transaction still open")
		}
		flEqual(t, "fl_at_p unchanged", flDump(t, db, "fl_at_p", flAtPCols...), a.setupP)
		flEqual(t, "fl_at_c unchanged", flDump(t, db, "fl_at_c", flAtCCols...), a.setupC)
		a.verifyUnchanged(t, s)

		// A fresh context: the same changes land.
		a.retry(t, ctx, db, s, rec, nil, nil)
	})
}

// In a transaction that already holds a successful flush, a failing flush
// rolls back to a savepoint: the earlier work survives (visible in the
// transaction and after Commit), the failed changes stay pending.
func TestFlushAtomicSavepointKeepsEarlierFlush(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		a := flAtomicSetup(t, db)
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		flOK(t, s.Begin(ctx), "Begin")
		// Flush A.
		pa := &flAtP{Name: "pa", Score: 100}
		ca := &flAtC{Code: "ca"}
		ca.Parent.Set(pa)
		flOK(t, s.AddAll(pa, ca), "AddAll A")
		flOK(t, s.Flush(ctx), "Flush A")
		if pa.ID == 0 || ca.ParentID != pa.ID {
			t.Fatalf("flush A: pa %d, ca.parent_id %d", pa.ID, ca.ParentID)
		}
		// Flush B fails.
		a.stage(t, ctx, s)
		a.capture(t, s)
		rec.Reset()
		err := s.Flush(ctx)
		a.verifyFailure(t, err)
		if !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("errors.Is(%v, ErrUniqueViolation) = false", err)
		}
		flVerifyStatements(t, flData(rec), 4, true)
		if ev := rec.Events(); ev[0].Op != "savepoint" || !strings.HasPrefix(ev[0].Query, "SAVEPOINT ") {
			t.Fatalf("flush B did not start with a SAVEPOINT:\n%s", rec.Dump())
		}
		sawRollbackTo := false
		for _, e := range rec.Events() {
			if e.Op == "savepoint" && strings.HasPrefix(e.Query, "ROLLBACK TO SAVEPOINT ") {
				sawRollbackTo = true
			}
			if e.Op == "rollback" || e.Op == "commit" {
				t.Fatalf("flush B ended the transaction: %s", rec.Dump())
			}
		}
		if !sawRollbackTo {
			t.Fatalf("no ROLLBACK TO SAVEPOINT:\n%s", rec.Dump())
		}
		if !s.InTransaction() {
			t.Fatal("the explicit transaction was closed by the failed flush")
		}
		a.verifyUnchanged(t, s)
		// Flush A's rows are still there inside the transaction.
		flState(t, s, pa, orm.StatePersistent, true, "pa")
		s.Expire(pa)
		s.Expire(ca)
		gp, err := orm.Get[flAtP](ctx, s, pa.ID)
		flOK(t, err, "Get pa in the transaction")
		gc, err := orm.Get[flAtC](ctx, s, ca.ID)
		flOK(t, err, "Get ca in the transaction")
		if gp != pa || gc != ca || pa.Name != "pa" || ca.ParentID != pa.ID {
			t.Fatalf("flush A's rows lost: %+v %+v", pa, ca)
		}
		// Outside the transaction nothing is visible yet.
		flEqual(t, "fl_at_p outside", flDump(t, db, "fl_at_p", flAtPCols...), a.setupP)

		// Flush B again and commit: A's and B's changes are all there.
		a.retry(t, ctx, db, s, rec, []string{fmt.Sprintf("%d|pa|100", pa.ID)}, []string{fmt.Sprintf("%d|ca|%d", ca.ID, pa.ID)})
	})
}

func flByID(x, y string) int {
	var a, b int64
	fmt.Sscanf(x, "%d|", &a)
	fmt.Sscanf(y, "%d|", &b)
	return int(a - b)
}

// A version column: INSERT sets 1, UPDATE increments it and checks the old
// value in its WHERE; a row changed elsewhere fails with ErrStaleData and
// leaves the session unchanged.
func TestFlushAtomicOptimisticLock(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flVer{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		v := &flVer{Name: "a"}
		flOK(t, s.Add(v), "Add")
		flOK(t, s.Commit(ctx), "Commit insert")
		if v.Version != 1 {
			t.Fatalf("version after insert = %d, want 1", v.Version)
		}
		flEqual(t, "after insert", flDump(t, db, "fl_ver", "id", "name", "version"), []string{fmt.Sprintf("%d|a|1", v.ID)})

		rec.Reset()
		v.Name = "b"
		flOK(t, s.Commit(ctx), "Commit update")
		evs := flData(rec)
		if len(evs) != 1 || flKind(evs[0].Query) != "UPDATE fl_ver" {
			t.Fatalf("statements %q, want one UPDATE", flKinds(rec))
		}
		q := db.Dialect().Quote
		upd := evs[0].Query
		where := upd[strings.Index(upd, " WHERE "):]
		if !strings.Contains(where, q("version")) || !strings.Contains(upd[:strings.Index(upd, " WHERE ")], q("version")) {
			t.Fatalf("UPDATE %q must set version and check it in WHERE", upd)
		}
		if fmt.Sprint(evs[0].Args[len(evs[0].Args)-1]) != "1" {
			t.Fatalf("UPDATE args %v: want the old version 1 last", evs[0].Args)
		}
		if v.Version != 2 {
			t.Fatalf("version after update = %d, want 2", v.Version)
		}
		flEqual(t, "after update", flDump(t, db, "fl_ver", "id", "name", "version"), []string{fmt.Sprintf("%d|b|2", v.ID)})

		// Another connection moves the version on.
		flExec(t, db, "UPDATE fl_ver SET version = 7 WHERE id = ?", v.ID)
		v.Name = "c"
		before := *v
		st, _ := s.ObjectState(v)
		err := s.Flush(ctx)
		if !errors.Is(err, orm.ErrStaleData) {
			t.Fatalf("Flush = %v, want ErrStaleData", err)
		}
		var fe *orm.FlushError
		if !errors.As(err, &fe) || fe.Table != "fl_ver" || fe.Op != "update" {
			t.Fatalf("error %v: want a *FlushError for update fl_ver", err)
		}
		if *v != before {
			t.Fatalf("object changed by the failed flush: %+v, want %+v", *v, before)
		}
		if st2, ok := s.ObjectState(v); !ok || st2 != st {
			t.Fatalf("state %v, want %v", st2, st)
		}
		if !s.IsModified(v) || !slices.Equal(s.ModifiedAttributes(v), []string{"name"}) || s.PendingDirtyCount() != 1 {
			t.Fatalf("modified %v attrs %v dirty %d; want name still pending", s.IsModified(v), s.ModifiedAttributes(v), s.PendingDirtyCount())
		}
		if s.InTransaction() {
			t.Fatal("transaction left open")
		}
		flEqual(t, "row untouched", flDump(t, db, "fl_ver", "id", "name", "version"), []string{fmt.Sprintf("%d|b|7", v.ID)})
	})
}

// flKillHook terminates, just before the at-th data statement after arming,
// the PostgreSQL backend whose transaction has written to table (found
// through its lock, in the test's own schema): the session's connection.
type flKillHook struct {
	mu     sync.Mutex
	n, at  int
	table  string
	admin  *sql.DB
	killed int
	err    error
}

func (h *flKillHook) BeforeQuery(ctx context.Context, e *orm.QueryEvent) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.at == 0 || (e.Op != "exec" && e.Op != "query") {
		return ctx
	}
	h.n++
	if h.n == h.at {
		h.at = 0
		h.kill()
	}
	return ctx
}

func (h *flKillHook) kill() {
	ctx := context.Background()
	var pids []int64
	rows, err := h.admin.QueryContext(ctx, `SELECT DISTINCT pid FROM pg_locks
		WHERE relation = $1::regclass AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()`, h.table)
	if err != nil {
		h.err = err
		return
	}
	for rows.Next() {
		var pid int64
		if h.err = rows.Scan(&pid); h.err != nil {
			rows.Close()
			return
		}
		pids = append(pids, pid)
	}
	rows.Close()
	for _, pid := range pids {
		var ok bool
		if h.err = h.admin.QueryRowContext(ctx, "SELECT pg_terminate_backend($1, 5000)", pid).Scan(&ok); h.err != nil {
			return
		}
		if ok {
			h.killed++
		}
	}
}

func (h *flKillHook) AfterQuery(context.Context, *orm.QueryEvent) {}

// When the transaction itself is lost during a flush (its connection
// dropped), the session ends up as after a Rollback: the failed flush's
// changes to the objects are undone first, then the transaction's. Only
// PostgreSQL can drop another session's connection on cue here.
func TestFlushAtomicLostTransaction(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		if db.Dialect().Name() != "postgres" {
			t.Skip("drops the session's connection with pg_terminate_backend")
		}
		ctx := flCtx(t)
		flCreate(t, db, &flVer{}, &flItem{})
		s0 := orm.NewSession(db)
		v0 := &flVer{Name: "a"}
		flOK(t, s0.Add(v0), "setup")
		flOK(t, s0.Commit(ctx), "setup Commit")
		flOK(t, s0.Close(), "setup Close")

		hook := &flKillHook{admin: db.SQL(), table: "fl_ver"}
		rdb, rec := testkit.Record(db.WithQueryHook(hook))
		s := orm.NewSession(rdb)
		defer s.Close()
		flOK(t, s.Begin(ctx), "Begin")
		v, err := orm.Get[flVer](ctx, s, v0.ID)
		flOK(t, err, "Get")
		// Flush A: update v, insert n1.
		v.Name = "b"
		n1 := &flItem{Name: "n1"}
		flOK(t, s.Add(n1), "Add n1")
		flOK(t, s.Flush(ctx), "Flush A")
		if v.Version != 2 || n1.ID == 0 {
			t.Fatalf("flush A: version %d, n1 key %d", v.Version, n1.ID)
		}
		// Flush B: UPDATE fl_ver (touches v's version), then INSERT fl_item,
		// before which the connection is dropped.
		v.Name = "c"
		n2 := &flItem{Name: "n2"}
		flOK(t, s.Add(n2), "Add n2")
		rec.Reset()
		hook.mu.Lock()
		hook.n, hook.at = 0, 2
		hook.mu.Unlock()
		err = s.Flush(ctx)
		if hook.err != nil || hook.killed != 1 {
			t.Fatalf("could not drop the session's connection: killed %d, %v", hook.killed, hook.err)
		}
		if err == nil {
			t.Fatalf("Flush B succeeded on a dropped connection:\n%s", rec.Dump())
		}
		flEqual(t, "flush B statements", flKinds(rec), []string{"UPDATE fl_ver", "INSERT fl_item"})
		if s.InTransaction() {
			t.Fatal("session still in the lost transaction")
		}
		// As after Rollback: n1 (inserted in the transaction) transient, v
		// back to its values before the transaction except the change never
		// flushed, expired; n2 still pending.
		flState(t, s, n1, orm.StateDetached, false, "n1")
		if n1.ID != 0 {
			t.Fatalf("n1 kept key %d", n1.ID)
		}
		flState(t, s, n2, orm.StateNew, true, "n2")
		if n2.ID != 0 {
			t.Fatalf("n2 kept key %d", n2.ID)
		}
		flState(t, s, v, orm.StateExpired, true, "v")
		if v.Name != "c" || v.Version != 1 || !slices.Equal(s.ModifiedAttributes(v), []string{"name"}) {
			t.Fatalf("v = %+v, modified %v; want name c (unflushed), version 1, only name modified", *v, s.ModifiedAttributes(v))
		}
		flEqual(t, "fl_ver", flDump(t, db, "fl_ver", "id", "name", "version"), []string{fmt.Sprintf("%d|a|1", v.ID)})
		if n := flCount(t, db, "fl_item"); n != 0 {
			t.Fatalf("%d items after the lost transaction", n)
		}
		// The session refuses work until Rollback acknowledges the loss
		// (a Commit must never report the lost work as committed); then
		// flushing again in a new transaction works.
		if err := s.Commit(ctx); !errors.Is(err, orm.ErrTransactionAborted) {
			t.Fatalf("Commit after the lost transaction: %v, want ErrTransactionAborted", err)
		}
		flOK(t, s.Rollback(ctx), "Rollback")
		flOK(t, s.Commit(ctx), "Commit retry")
		flEqual(t, "fl_ver after retry", flDump(t, db, "fl_ver", "id", "name", "version"), []string{fmt.Sprintf("%d|c|2", v.ID)})
		flEqual(t, "fl_item after retry", flDump(t, db, "fl_item", "id", "name"), []string{fmt.Sprintf("%d|n2", n2.ID)})
	})
}
