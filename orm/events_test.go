package orm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Session events and model hooks (DESIGN §5 item 11, issue 4).

type lcEv struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func (lcEv) TableName() string { return "lc_ev" }

// lcEvLog records event names in order.
type lcEvLog struct{ names []string }

func (l *lcEvLog) handler(name string) orm.EventFunc {
	return func(context.Context) error {
		l.names = append(l.names, name)
		return nil
	}
}

func (l *lcEvLog) take() []string {
	out := l.names
	l.names = nil
	return out
}

// lcEvSession returns a recorded session on a fresh lc_ev table with two
// handlers on every event.
func lcEvSession(t *testing.T, db *orm.DB) (*orm.Session, *testkit.Recorder, *lcEvLog) {
	t.Helper()
	flCreate(t, db, &lcEv{})
	rdb, rec := testkit.Record(db)
	s := orm.NewSession(rdb)
	t.Cleanup(func() { s.Close() })
	l := &lcEvLog{}
	for _, n := range []string{"1", "2"} {
		s.OnBeforeFlush(l.handler("before-flush" + n))
		s.OnAfterFlush(l.handler("after-flush" + n))
		s.OnBeforeCommit(l.handler("before-commit" + n))
		s.OnAfterCommit(l.handler("after-commit" + n))
		s.OnAfterRollback(l.handler("after-rollback" + n))
	}
	return s, rec, l
}

// Events fire in registration order: before-commit, the flush's events,
// then after-commit; a Rollback fires after-rollback; Close of an open
// transaction too.
func TestLcEventsOrder(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		s, rec, l := lcEvSession(t, db)
		a := &lcEv{Name: "a"}
		flOK(t, s.Add(a), "Add")
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "commit events", l.take(), []string{
			"before-commit1", "before-commit2", "before-flush1", "before-flush2",
			"after-flush1", "after-flush2", "after-commit1", "after-commit2",
		})
		flEqual(t, "commit statements", lcOps(rec), []string{"begin", "INSERT lc_ev", "commit"})

		// Flush then Rollback.
		a.Name = "a2"
		flOK(t, s.Add(&lcEv{Name: "b"}), "Add")
		flOK(t, s.Flush(ctx), "Flush")
		flEqual(t, "flush events", l.take(), []string{"before-flush1", "before-flush2", "after-flush1", "after-flush2"})
		flOK(t, s.Rollback(ctx), "Rollback")
		flEqual(t, "rollback events", l.take(), []string{"after-rollback1", "after-rollback2"})

		// Two flushes in one transaction, then Commit: each flush fires its
		// own events, the commit's flush has nothing to do.
		a.Name = "a3"
		flOK(t, s.Flush(ctx), "Flush 1")
		c := &lcEv{Name: "c"}
		flOK(t, s.Add(c), "Add")
		flOK(t, s.Flush(ctx), "Flush 2")
		rec.Reset()
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "two flushes and a commit", l.take(), []string{
			"before-flush1", "before-flush2", "after-flush1", "after-flush2",
			"before-flush1", "before-flush2", "after-flush1", "after-flush2",
			"before-commit1", "before-commit2", "after-commit1", "after-commit2",
		})
		flEqual(t, "commit statements", lcOps(rec), []string{"commit"})

		// Close with an open transaction rolls back and says so.
		a.Name = "a4"
		flOK(t, s.Flush(ctx), "Flush")
		l.take()
		flOK(t, s.Close(), "Close")
		flEqual(t, "close events", l.take(), []string{"after-rollback1", "after-rollback2"})
		flEqual(t, "rows", flDump(t, db, "lc_ev", "id", "name"), []string{fmt.Sprintf("%d|a3", a.ID), fmt.Sprintf("%d|c", c.ID)})
	})
}

// A flush with nothing to do fires no flush events (and sends nothing).
func TestLcEventsNoOpFlush(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		s, rec, l := lcEvSession(t, db)
		flOK(t, s.Flush(ctx), "Flush of an empty session")
		if got := l.take(); len(got) != 0 {
			t.Fatalf("empty flush fired %q", got)
		}
		a := &lcEv{Name: "a"}
		flOK(t, s.Add(a), "Add")
		flOK(t, s.Commit(ctx), "Commit")
		l.take()
		got, err := orm.Get[lcEv](ctx, s, a.ID)
		flOK(t, err, "Get")
		got.Name = "a" // same value
		rec.Reset()
		flOK(t, s.Flush(ctx), "Flush without changes")
		if got := l.take(); len(got) != 0 {
			t.Fatalf("flush without changes fired %q", got)
		}
		// Add then Delete of a new object: nothing to do either.
		x := &lcEv{Name: "x"}
		flOK(t, s.Add(x), "Add")
		flOK(t, s.Delete(x), "Delete")
		flOK(t, s.Commit(ctx), "Commit")
		for _, n := range l.take() {
			if strings.Contains(n, "flush") {
				t.Fatalf("commit without work fired %q", n)
			}
		}
		if rec.Count() != 0 {
			t.Fatalf("no-op flushes sent SQL:\n%s", rec.Dump())
		}
	})
}

// An error from a before-flush handler aborts the flush before any SQL:
// the handlers after it do not run and the objects stay pending.
func TestLcEventsBeforeFlushAbort(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &lcEv{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		errVeto := errors.New("veto")
		veto := true
		var calls []string
		s.OnBeforeFlush(func(context.Context) error {
			calls = append(calls, "before-flush1")
			if veto {
				return errVeto
			}
			return nil
		})
		s.OnBeforeFlush(func(context.Context) error { calls = append(calls, "before-flush2"); return nil })
		s.OnAfterFlush(func(context.Context) error { calls = append(calls, "after-flush"); return nil })
		s.OnAfterCommit(func(context.Context) error { calls = append(calls, "after-commit"); return nil })
		a := &lcEv{Name: "a"}
		flOK(t, s.Add(a), "Add")
		for _, op := range []struct {
			name string
			fn   func(context.Context) error
		}{{"Flush", s.Flush}, {"Commit", s.Commit}} {
			calls = nil
			err := op.fn(ctx)
			if !errors.Is(err, errVeto) {
				t.Fatalf("%s = %v, want the handler's error", op.name, err)
			}
			if rec.Count() != 0 {
				t.Fatalf("%s sent SQL after a before-flush error:\n%s", op.name, rec.Dump())
			}
			flEqual(t, op.name+" handlers", calls, []string{"before-flush1"})
			flState(t, s, a, orm.StateNew, true, "after "+op.name)
			if a.ID != 0 || s.PendingNewCount() != 1 || s.InTransaction() {
				t.Fatalf("after %s: key %d pending %d tx %v", op.name, a.ID, s.PendingNewCount(), s.InTransaction())
			}
		}
		veto = false
		calls = nil
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "handlers", calls, []string{"before-flush1", "before-flush2", "after-flush", "after-commit"})
		flEqual(t, "rows", flDump(t, db, "lc_ev", "id", "name"), []string{fmt.Sprintf("%d|a", a.ID)})
	})
}

// An error from a before-commit handler aborts the commit before its
// flush: no SQL, objects still pending, an open transaction stays open.
func TestLcEventsBeforeCommitAbort(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &lcEv{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		errVeto := errors.New("not now")
		veto := true
		var calls []string
		s.OnBeforeCommit(func(context.Context) error {
			calls = append(calls, "before-commit1")
			if veto {
				return errVeto
			}
			return nil
		})
		s.OnBeforeCommit(func(context.Context) error { calls = append(calls, "before-commit2"); return nil })
		s.OnBeforeFlush(func(context.Context) error { calls = append(calls, "before-flush"); return nil })
		s.OnAfterCommit(func(context.Context) error { calls = append(calls, "after-commit"); return nil })
		a := &lcEv{Name: "a"}
		flOK(t, s.Add(a), "Add")
		if err := s.Commit(ctx); !errors.Is(err, errVeto) {
			t.Fatalf("Commit = %v, want the handler's error", err)
		}
		if rec.Count() != 0 {
			t.Fatalf("Commit sent SQL after a before-commit error:\n%s", rec.Dump())
		}
		flEqual(t, "handlers", calls, []string{"before-commit1"})
		flState(t, s, a, orm.StateNew, true, "after the vetoed Commit")
		if a.ID != 0 || s.PendingNewCount() != 1 {
			t.Fatalf("key %d pending %d", a.ID, s.PendingNewCount())
		}
		// With a transaction open (an earlier flush), the veto leaves it open
		// and its work in place.
		flOK(t, s.Flush(ctx), "Flush")
		b := &lcEv{Name: "b"}
		flOK(t, s.Add(b), "Add")
		rec.Reset()
		if err := s.Commit(ctx); !errors.Is(err, errVeto) {
			t.Fatalf("Commit = %v, want the handler's error", err)
		}
		if rec.Count() != 0 || !s.InTransaction() || s.PendingNewCount() != 1 {
			t.Fatalf("vetoed Commit in a transaction: %d statements, tx %v, pending %d", rec.Count(), s.InTransaction(), s.PendingNewCount())
		}
		if n := flCount(t, db, "lc_ev"); n != 0 {
			t.Fatalf("%d rows visible before any commit", n)
		}
		veto = false
		calls = nil
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "handlers", calls, []string{"before-commit1", "before-commit2", "before-flush", "after-commit"})
		flEqual(t, "rows", flDump(t, db, "lc_ev", "id", "name"), []string{fmt.Sprintf("%d|a", a.ID), fmt.Sprintf("%d|b", b.ID)})
	})
}

// A before-flush handler may add objects: they are inserted by the same
// flush, and the handlers run once.
func TestLcEventsBeforeFlushAdds(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &lcEv{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		var audit []*lcEv
		before, after := 0, 0
		s.OnBeforeFlush(func(context.Context) error {
			before++
			x := &lcEv{Name: fmt.Sprintf("audit %d", before)}
			audit = append(audit, x)
			return s.Add(x)
		})
		s.OnAfterFlush(func(context.Context) error { after++; return nil })
		a := &lcEv{Name: "a"}
		flOK(t, s.Add(a), "Add")
		flOK(t, s.Flush(ctx), "Flush")
		if before != 1 || after != 1 {
			t.Fatalf("handlers ran %d/%d times, want once each", before, after)
		}
		if w := flWrites(rec); len(w) != 1 || w[0] != "INSERT lc_ev" {
			t.Fatalf("flush wrote %q, want one INSERT of both rows", w)
		}
		flState(t, s, audit[0], orm.StatePersistent, true, "object added by the handler")
		if audit[0].ID == 0 || s.PendingNewCount() != 0 {
			t.Fatalf("added object key %d, pending %d", audit[0].ID, s.PendingNewCount())
		}
		// A handler that adds only when there is work does not make an
		// empty flush do anything.
		flOK(t, s.Flush(ctx), "empty Flush")
		if before != 1 {
			t.Fatalf("before-flush ran on an empty flush")
		}
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "rows", flDump(t, db, "lc_ev", "id", "name"), []string{fmt.Sprintf("%d|a", a.ID), fmt.Sprintf("%d|audit 1", audit[0].ID)})
	})
}

// ---- model hooks ----

// lcHooked records its hook calls in lcHooks, which a test owns for its
// duration.
type lcHooked struct {
	ID        int64 `sqlmodel:"pk"`
	Name      string
	CreatedBy string
	UpdatedAt time.Time
}

func (lcHooked) TableName() string { return "lc_hooked" }

type lcHookLog struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]error // "BeforeInsert:name" -> error to return
	clock time.Time
}

var lcHooks *lcHookLog

// lcHooksFor gives the test its own hook log.
func lcHooksFor(t *testing.T) *lcHookLog {
	l := &lcHookLog{fail: map[string]error{}, clock: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	lcHooks = l
	t.Cleanup(func() { lcHooks = nil })
	return l
}

func (l *lcHookLog) hit(hook string, h *lcHooked) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	call := hook + ":" + h.Name
	l.calls = append(l.calls, call)
	return l.fail[call]
}

func (l *lcHookLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.calls
	l.calls = nil
	return out
}

func (l *lcHookLog) tick() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clock = l.clock.Add(time.Minute)
	return l.clock
}

func (h *lcHooked) BeforeInsert(context.Context) error {
	if err := lcHooks.hit("BeforeInsert", h); err != nil {
		return err
	}
	if h.CreatedBy == "" {
		h.CreatedBy = "hook"
	}
	if lcHooks != nil {
		h.UpdatedAt = lcHooks.tick()
	}
	return nil
}

func (h *lcHooked) AfterInsert(context.Context) error { return lcHooks.hit("AfterInsert", h) }

func (h *lcHooked) BeforeUpdate(context.Context) error {
	if err := lcHooks.hit("BeforeUpdate", h); err != nil {
		return err
	}
	if lcHooks != nil {
		h.UpdatedAt = lcHooks.tick()
	}
	return nil
}

func (h *lcHooked) AfterUpdate(context.Context) error  { return lcHooks.hit("AfterUpdate", h) }
func (h *lcHooked) BeforeDelete(context.Context) error { return lcHooks.hit("BeforeDelete", h) }
func (h *lcHooked) AfterDelete(context.Context) error  { return lcHooks.hit("AfterDelete", h) }
func (h *lcHooked) AfterLoad(context.Context) error    { return lcHooks.hit("AfterLoad", h) }

var lcHookedCols = []string{"id", "name", "created_by"}

// Hooks run in plan order: every Before hook before any SQL (inserts,
// updates, deletes), then each After hook right after its statement, in
// flush order (inserts and updates, then deletes).
func TestLcHooksOrder(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &lcHooked{})
		l := lcHooksFor(t)
		s := orm.NewSession(db)
		defer s.Close()
		a := &lcHooked{Name: "a"}
		b := &lcHooked{Name: "b"}
		flOK(t, s.AddAll(a, b), "AddAll")
		flOK(t, s.Flush(ctx), "Flush inserts")
		flEqual(t, "insert flush", l.take(), []string{"BeforeInsert:a", "BeforeInsert:b", "AfterInsert:a", "AfterInsert:b"})

		c := &lcHooked{Name: "c"}
		flOK(t, s.Add(c), "Add")
		a.Name = "a2"
		flOK(t, s.Delete(b), "Delete")
		flOK(t, s.Flush(ctx), "Flush mixed")
		flEqual(t, "mixed flush", l.take(), []string{
			"BeforeInsert:c", "BeforeUpdate:a2", "BeforeDelete:b",
			"AfterInsert:c", "AfterUpdate:a2", "AfterDelete:b",
		})
		// No change, no hooks.
		flOK(t, s.Flush(ctx), "empty Flush")
		if got := l.take(); len(got) != 0 {
			t.Fatalf("empty flush ran hooks %q", got)
		}
		flOK(t, s.Commit(ctx), "Commit")
		if got := l.take(); len(got) != 0 {
			t.Fatalf("commit ran hooks %q", got)
		}
		flEqual(t, "rows", flDump(t, db, "lc_hooked", lcHookedCols...), []string{
			fmt.Sprintf("%d|a2|hook", a.ID), fmt.Sprintf("%d|c|hook", c.ID),
		})
	})
}

// Fields set by BeforeInsert are inserted; a field set by BeforeUpdate is
// added to the UPDATE's columns; the object is clean afterwards.
func TestLcHooksSetFields(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &lcHooked{})
		l := lcHooksFor(t)
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		a := &lcHooked{Name: "a"}
		b := &lcHooked{Name: "b", CreatedBy: "alice"}
		flOK(t, s.AddAll(a, b), "AddAll")
		flOK(t, s.Flush(ctx), "Flush")
		ins := flData(rec)
		if len(ins) == 0 || flKind(ins[0].Query) != "INSERT lc_hooked" || !slices.ContainsFunc(ins[0].Args, func(v any) bool { return v == "hook" }) {
			t.Fatalf("INSERT does not carry the hook's CreatedBy:\n%s %v", rec.Dump(), ins[0].Args)
		}
		if a.CreatedBy != "hook" || b.CreatedBy != "alice" || !a.UpdatedAt.Equal(l.clock.Add(-time.Minute)) {
			t.Fatalf("after insert: %+v %+v", *a, *b)
		}
		if s.IsModified(a) || s.IsModified(b) {
			t.Fatalf("inserted objects dirty: %q %q", s.ModifiedAttributes(a), s.ModifiedAttributes(b))
		}
		rec.Reset()
		l.take()
		a.Name = "a2"
		flOK(t, s.Flush(ctx), "Flush update")
		evs := flData(rec)
		if len(evs) != 1 || evs[0].Query != lcStmt(db, "UPDATE {lc_hooked} SET {name} = ?, {updated_at} = ? WHERE {id} = ?") {
			t.Fatalf("update statements:\n%s", rec.Dump())
		}
		if !a.UpdatedAt.Equal(l.clock) || s.IsModified(a) {
			t.Fatalf("after update: %+v modified %q", *a, s.ModifiedAttributes(a))
		}
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "rows", flDump(t, db, "lc_hooked", lcHookedCols...), []string{
			fmt.Sprintf("%d|a2|hook", a.ID), fmt.Sprintf("%d|b|alice", b.ID),
		})
		// The database holds the hook's timestamp.
		s2 := orm.NewSession(db)
		defer s2.Close()
		got, err := orm.Select[lcHooked](s2).Where("id = ?", a.ID).One(ctx)
		flOK(t, err, "load")
		if !got.UpdatedAt.Equal(l.clock) {
			t.Fatalf("updated_at in the database %v, want %v", got.UpdatedAt, l.clock)
		}
	})
}

// AfterLoad runs for query rows and reloads, and for Get misses.
func TestLcHooksAfterLoad(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &lcHooked{})
		l := lcHooksFor(t)
		s := orm.NewSession(db)
		defer s.Close()
		a := &lcHooked{Name: "a"}
		b := &lcHooked{Name: "b"}
		flOK(t, s.AddAll(a, b), "AddAll")
		flOK(t, s.Commit(ctx), "Commit")
		flOK(t, s.Close(), "Close")

		s = orm.NewSession(db)
		defer s.Close()
		l.take()
		rows, err := orm.Select[lcHooked](s).OrderBy("id").All(ctx)
		flOK(t, err, "Select")
		if len(rows) != 2 {
			t.Fatalf("%d rows", len(rows))
		}
		flEqual(t, "query", l.take(), []string{"AfterLoad:a", "AfterLoad:b"})
		// Tracked and not expired: no reload, no hook.
		_, err = orm.Select[lcHooked](s).OrderBy("id").All(ctx)
		flOK(t, err, "Select again")
		if got := l.take(); len(got) != 0 {
			t.Fatalf("query of tracked objects ran %q", got)
		}
		// An expired object reloaded by a query or by Refresh.
		s.Expire(rows[0])
		_, err = orm.Select[lcHooked](s).OrderBy("id").All(ctx)
		flOK(t, err, "Select expired")
		flEqual(t, "query reload", l.take(), []string{"AfterLoad:a"})
		flOK(t, orm.Refresh(ctx, s, rows[1]), "Refresh")
		flEqual(t, "Refresh", l.take(), []string{"AfterLoad:b"})
		// Raw rows too.
		s3 := orm.NewSession(db)
		defer s3.Close()
		_, err = orm.Raw[lcHooked](ctx, s3, "SELECT * FROM lc_hooked WHERE id = ?", a.ID)
		flOK(t, err, "Raw")
		flEqual(t, "Raw", l.take(), []string{"AfterLoad:a"})

		// A Get miss loads a row: AfterLoad must run.
		s4 := orm.NewSession(db)
		defer s4.Close()
		_, err = orm.Get[lcHooked](ctx, s4, a.ID)
		flOK(t, err, "Get")
		got := l.take()
		if len(got) == 0 {
			t.Fatal("orm/session/get.go: a Get miss tracks the loaded row (Session.track) without running " +
				"the AfterLoad hook, and Get of an expired object reloads through Session.reload, which skips it too; " +
				"queries, Raw and Refresh run it")
		}
		flEqual(t, "Get miss", got, []string{"AfterLoad:a"})
		g, _ := orm.Get[lcHooked](ctx, s4, a.ID)
		s4.Expire(g)
		_, err = orm.Get[lcHooked](ctx, s4, a.ID)
		flOK(t, err, "Get expired")
		flEqual(t, "Get of an expired object", l.take(), []string{"AfterLoad:a"})
	})
}

// lcHookSnap is what the session shows of the hook scenario, for
// comparing before and after a failed flush.
type lcHookSnap struct {
	objs               []lcHooked
	states             []orm.ObjectState
	newN, dirtyN, delN int
	tracked            int
	rows               []string
	dirtyA             []string
}

func lcHookCapture(t *testing.T, db *orm.DB, s *orm.Session, objs ...*lcHooked) lcHookSnap {
	t.Helper()
	var sn lcHookSnap
	for _, o := range objs {
		sn.objs = append(sn.objs, *o)
		st, _ := s.ObjectState(o)
		sn.states = append(sn.states, st)
	}
	sn.newN, sn.dirtyN, sn.delN, sn.tracked = s.PendingNewCount(), s.PendingDirtyCount(), s.PendingDeleteCount(), s.TrackedCount()
	sn.rows = flDump(t, db, "lc_hooked", lcHookedCols...)
	sn.dirtyA = s.ModifiedAttributes(objs[0])
	return sn
}

func lcHookSame(t *testing.T, what string, got, want lcHookSnap) {
	t.Helper()
	if !slices.Equal(got.objs, want.objs) {
		t.Fatalf("%s: objects\n got  %+v\n want %+v", what, got.objs, want.objs)
	}
	if !slices.Equal(got.states, want.states) {
		t.Fatalf("%s: states %v, want %v", what, got.states, want.states)
	}
	if got.newN != want.newN || got.dirtyN != want.dirtyN || got.delN != want.delN || got.tracked != want.tracked {
		t.Fatalf("%s: pending new/dirty/delete/tracked %d/%d/%d/%d, want %d/%d/%d/%d", what,
			got.newN, got.dirtyN, got.delN, got.tracked, want.newN, want.dirtyN, want.delN, want.tracked)
	}
	flEqual(t, what+": rows", got.rows, want.rows)
	flEqual(t, what+": modified attributes", got.dirtyA, want.dirtyA)
}

// A failing model hook aborts the flush atomically: the database and the
// session are as before it (pending counts, objects, keys 0), and the error
// wraps the hook's. BeforeInsert fails before any SQL; AfterUpdate fails
// after statements ran, which are rolled back (the whole transaction the
// flush opened, or to the flush's savepoint in an open transaction).
func TestLcHooksAbort(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &lcHooked{})
		l := lcHooksFor(t)
		seed := orm.NewSession(db)
		flOK(t, seed.AddAll(&lcHooked{Name: "p"}, &lcHooked{Name: "gone"}), "seed")
		flOK(t, seed.Commit(ctx), "seed Commit")
		flOK(t, seed.Close(), "seed Close")
		errHook := errors.New("hook says no")

		for _, c := range []struct {
			name    string
			fail    string // failing hook call
			inTx    bool   // a transaction with earlier work is open
			wantSQL bool   // statements ran before the failure
		}{
			{"BeforeInsert", "BeforeInsert:bad", false, false},
			{"AfterUpdate", "AfterUpdate:p2", false, true},
			{"AfterUpdate in a transaction", "AfterUpdate:p2", true, true},
			{"BeforeDelete", "BeforeDelete:gone", false, false},
			{"AfterDelete", "AfterDelete:gone", false, true},
		} {
			rdb, rec := testkit.Record(db)
			s := orm.NewSession(rdb)
			ps, err := orm.Select[lcHooked](s).OrderBy("id").All(ctx)
			flOK(t, err, "load")
			p, gone := ps[0], ps[1]
			var earlier *lcHooked
			if c.inTx {
				earlier = &lcHooked{Name: "earlier"}
				flOK(t, s.Add(earlier), "Add earlier")
				flOK(t, s.Flush(ctx), "earlier Flush")
			}
			good := &lcHooked{Name: "good"}
			bad := &lcHooked{Name: "bad"}
			flOK(t, s.AddAll(good, bad), "AddAll")
			p.Name = "p2"
			flOK(t, s.Delete(gone), "Delete")
			before := lcHookCapture(t, db, s, p, good, bad, gone)
			l.fail = map[string]error{c.fail: errHook}
			l.take()
			rec.Reset()

			err = s.Flush(ctx)
			if !errors.Is(err, errHook) {
				t.Fatalf("%s: Flush = %v, want the hook's error", c.name, err)
			}
			if !strings.Contains(err.Error(), strings.SplitN(c.fail, ":", 2)[0]) {
				t.Fatalf("%s: error %q does not name the hook", c.name, err)
			}
			if got := len(flData(rec)) > 0; got != c.wantSQL {
				t.Fatalf("%s: statements sent %v, want %v:\n%s", c.name, got, c.wantSQL, rec.Dump())
			}
			after := lcHookCapture(t, db, s, p, good, bad, gone)
			lcHookSame(t, c.name, after, before)
			if good.ID != 0 || bad.ID != 0 {
				t.Fatalf("%s: keys %d %d after the failed flush", c.name, good.ID, bad.ID)
			}
			if s.InTransaction() != c.inTx {
				t.Fatalf("%s: InTransaction = %v, want %v", c.name, s.InTransaction(), c.inTx)
			}

			// Fixed, the same flush goes through.
			l.fail = map[string]error{}
			flOK(t, s.Commit(ctx), c.name+": Commit after the fix")
			want := []string{fmt.Sprintf("%d|p2|hook", p.ID)}
			if c.inTx {
				want = append(want, fmt.Sprintf("%d|earlier|hook", earlier.ID))
			}
			want = append(want, fmt.Sprintf("%d|good|hook", good.ID), fmt.Sprintf("%d|bad|hook", bad.ID))
			flEqual(t, c.name+": rows after the fix", flDump(t, db, "lc_hooked", lcHookedCols...), want)
			flOK(t, s.Close(), "Close")

			// Back to the seed rows for the next case.
			flExec(t, db, "DELETE FROM lc_hooked")
			reseed := orm.NewSession(db)
			flOK(t, reseed.AddAll(&lcHooked{Name: "p"}, &lcHooked{Name: "gone"}), "reseed")
			flOK(t, reseed.Commit(ctx), "reseed Commit")
			flOK(t, reseed.Close(), "reseed Close")
		}
	})
}

// A before-flush handler that calls Flush (with the context it was given)
// gets an error from that inner Flush instead of recursing; the outer
// flush goes on. Likewise Commit from a before-commit handler. Another
// session may be flushed from a handler.
func TestLcEventsReentrantFlush(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &lcEv{})
		s := orm.NewSession(db)
		defer s.Close()
		// Without AutoBegin its flush commits at once (SQLite has one writer).
		other := orm.NewSessionWithConfig(db, orm.SessionConfig{ExpireOnCommit: true})
		defer other.Close()
		other.OnBeforeFlush(func(context.Context) error { return nil })
		depth := 0
		var inner, innerOther error
		s.OnBeforeFlush(func(ctx context.Context) error {
			depth++
			if depth > 3 {
				return errors.New("recursing")
			}
			inner = s.Flush(ctx)
			flOK(t, other.Add(&lcEv{Name: "other"}), "Add to the other session")
			innerOther = other.Flush(ctx)
			return nil
		})
		commits := 0
		var innerCommit error
		s.OnBeforeCommit(func(ctx context.Context) error {
			commits++
			if commits > 3 {
				return errors.New("recursing")
			}
			innerCommit = s.Commit(ctx)
			return nil
		})
		a := &lcEv{Name: "a"}
		flOK(t, s.Add(a), "Add")
		flOK(t, s.Flush(ctx), "Flush")
		if depth != 1 || inner == nil {
			t.Fatalf("before-flush handler ran %d times, inner Flush = %v; want once and an error", depth, inner)
		}
		flOK(t, innerOther, "Flush of another session from a handler")
		flState(t, s, a, orm.StatePersistent, true, "flushed object")
		flOK(t, s.Commit(ctx), "Commit")
		if commits != 1 || innerCommit == nil {
			t.Fatalf("before-commit handler ran %d times, inner Commit = %v; want once and an error", commits, innerCommit)
		}
		flOK(t, other.Commit(ctx), "other Commit")
		if n := flCount(t, db, "lc_ev"); n != 2 {
			t.Fatalf("%d rows, want 2", n)
		}
	})
}
