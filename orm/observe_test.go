package orm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// The optional observer interfaces of query hooks (issue 16, item 3):
// flushes, transactions and RunInTx attempts, and the contexts that flow
// from each observation point to what runs inside it.

type obTeam struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"unique"`
}

func (obTeam) TableName() string { return "ob_team" }

type obHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID *int64 `sqlmodel:"fk=ob_team.id"`
}

func (obHero) TableName() string { return "ob_hero" }

// obMark is the context key under which the observer marks the contexts
// it returns: the label of the observation point.
type obMark struct{}

// obRecord is one call of the observer: what was called, the mark of the
// context it was called with, and the event.
type obRecord struct {
	call string // "query", "flush", "tx", "attempt" (Before) or "/flush", ... (After)
	in   string // mark of ctx at the call
	q    orm.QueryEvent
	f    *orm.FlushEvent
	tx   *orm.TxEvent
	a    *orm.AttemptEvent
}

// obObserver implements QueryHook and the three observer interfaces; each
// Before returns a context marked with a label, so that the test sees
// which context each later call was given.
type obObserver struct {
	mu   sync.Mutex
	recs []obRecord
	n    int
}

func obMarkOf(ctx context.Context) string { s, _ := ctx.Value(obMark{}).(string); return s }

func (o *obObserver) add(r obRecord) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n++
	o.recs = append(o.recs, r)
	return fmt.Sprintf("%s#%d", r.call, o.n)
}

func (o *obObserver) BeforeQuery(ctx context.Context, e *orm.QueryEvent) context.Context {
	o.add(obRecord{call: "query", in: obMarkOf(ctx), q: *e})
	return ctx
}
func (o *obObserver) AfterQuery(context.Context, *orm.QueryEvent) {}

func (o *obObserver) BeforeFlush(ctx context.Context, e *orm.FlushEvent) context.Context {
	return context.WithValue(ctx, obMark{}, o.add(obRecord{call: "flush", in: obMarkOf(ctx), f: e}))
}
func (o *obObserver) AfterFlush(ctx context.Context, e *orm.FlushEvent) {
	o.add(obRecord{call: "/flush", in: obMarkOf(ctx), f: e})
}

func (o *obObserver) BeforeTx(ctx context.Context, e *orm.TxEvent) context.Context {
	return context.WithValue(ctx, obMark{}, o.add(obRecord{call: "tx", in: obMarkOf(ctx), tx: e}))
}
func (o *obObserver) AfterTx(ctx context.Context, e *orm.TxEvent) {
	o.add(obRecord{call: "/tx", in: obMarkOf(ctx), tx: e})
}

func (o *obObserver) BeforeAttempt(ctx context.Context, e *orm.AttemptEvent) context.Context {
	return context.WithValue(ctx, obMark{}, o.add(obRecord{call: "attempt", in: obMarkOf(ctx), a: e}))
}
func (o *obObserver) AfterAttempt(ctx context.Context, e *orm.AttemptEvent) {
	o.add(obRecord{call: "/attempt", in: obMarkOf(ctx), a: e})
}

// calls returns the records of one kind of call.
func (o *obObserver) calls(call string) []obRecord {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []obRecord
	for _, r := range o.recs {
		if r.call == call {
			out = append(out, r)
		}
	}
	return out
}

// mark returns the label the observer gave to the i-th record of a call.
func (o *obObserver) mark(call string, i int) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := 0
	for j, r := range o.recs {
		if r.call == call {
			if k == i {
				return fmt.Sprintf("%s#%d", call, j+1)
			}
			k++
		}
	}
	return ""
}

// queriesIn returns the statements that started with the context marked m.
func (o *obObserver) queriesIn(m string) []string {
	var out []string
	for _, r := range o.calls("query") {
		if r.in == m {
			out = append(out, r.q.Query)
		}
	}
	return out
}

func obSetup(t *testing.T, db *orm.DB) (*orm.DB, *obObserver) {
	t.Helper()
	flCreate(t, db, &obTeam{}, &obHero{})
	o := &obObserver{}
	return db.WithQueryHook(o), o
}

// RunInTx with a retry: one attempt record per attempt with its number and
// the error that caused it, one transaction per attempt begun with the
// attempt's context, the flush inside the second transaction, the flush's
// statements run with the flush's context, counted per table, and the
// transaction's statements tied to it through QueryEvent.Tx.
func TestObserveRunInTxRetry(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		odb, o := obSetup(t, db)
		tries := 0
		err := orm.RunInTx(ctx, odb, func(s *orm.Session) error {
			tries++
			if tries == 1 {
				return fmt.Errorf("first attempt: %w", orm.ErrSerialization)
			}
			team := &obTeam{Name: "Z-Force"}
			if err := s.Add(team); err != nil {
				return err
			}
			if err := s.Flush(ctx); err != nil {
				return err
			}
			heroes := []*obHero{{Name: "Deadpond", TeamID: &team.ID}, {Name: "Rusty-Man", TeamID: &team.ID}}
			for _, h := range heroes {
				if err := s.Add(h); err != nil {
					return err
				}
			}
			_, err := orm.Get[obTeam](ctx, s, team.ID) // from the identity map: no statement
			return err
		})
		flOK(t, err, "RunInTx")

		att, done := o.calls("attempt"), o.calls("/attempt")
		if len(att) != 2 || len(done) != 2 {
			t.Fatalf("attempt records: %d before, %d after; want 2 and 2", len(att), len(done))
		}
		a1, a2 := att[0].a, att[1].a
		if a1.Attempt != 1 || a1.Retry != nil || !errors.Is(a1.Err, orm.ErrSerialization) || !a1.WillRetry || a1.Committed {
			t.Errorf("first attempt = %+v; want number 1, no retry cause, ErrSerialization, WillRetry", *a1)
		}
		if a2.Attempt != 2 || !errors.Is(a2.Retry, orm.ErrSerialization) || a2.Err != nil || a2.WillRetry || !a2.Committed {
			t.Errorf("second attempt = %+v; want number 2 caused by ErrSerialization, committed", *a2)
		}
		if a1.Duration <= 0 || a2.Duration <= 0 {
			t.Errorf("attempt durations %v, %v; want > 0", a1.Duration, a2.Duration)
		}

		txs, txEnds := o.calls("tx"), o.calls("/tx")
		if len(txs) != 2 || len(txEnds) != 2 {
			t.Fatalf("transaction records: %d begun, %d ended; want 2 and 2", len(txs), len(txEnds))
		}
		for i, r := range txs {
			if want := o.mark("attempt", i); r.in != want {
				t.Errorf("transaction %d begun with context %q; want the attempt's %q", i+1, r.in, want)
			}
			if got := o.queriesIn(o.mark("tx", i)); !slices.Equal(got, []string{"BEGIN"}) {
				t.Errorf("statements with transaction %d's context: %q; want [BEGIN]", i+1, got)
			}
		}
		if e := txEnds[0].tx; e.End != "rollback" || e.Err != nil {
			t.Errorf("first transaction ended %q (err %v); want an explicit rollback", e.End, e.Err)
		}
		if e := txEnds[1].tx; e.End != "commit" || e.Err != nil || e.Duration <= 0 {
			t.Errorf("second transaction ended %q after %v (err %v); want commit", e.End, e.Duration, e.Err)
		}

		flushes := o.calls("/flush")
		if len(flushes) != 2 {
			t.Fatalf("%d flushes observed; want 2 (Flush, then Commit's)", len(flushes))
		}
		for i, r := range o.calls("flush") {
			if r.f.Tx != txs[1].tx {
				t.Errorf("flush %d: FlushEvent.Tx is not the attempt's transaction", i+1)
			}
			stmts := o.queriesIn(o.mark("flush", i))
			if len(stmts) == 0 {
				t.Errorf("flush %d: no statement ran with the flush's context", i+1)
			}
			for _, q := range stmts {
				// The flush's savepoint (the transaction holds earlier
				// work), its INSERTs, and reads of generated values.
				if !strings.HasPrefix(q, "INSERT") && !strings.HasPrefix(q, "SELECT") && !strings.Contains(q, "SAVEPOINT") {
					t.Errorf("flush %d ran %q with its context", i+1, q)
				}
			}
		}
		obCheckTables(t, flushes[0].f, orm.FlushTable{Table: "ob_team", Statements: 1, Rows: 1})
		obCheckTables(t, flushes[1].f, orm.FlushTable{Table: "ob_hero", Statements: 1, Rows: 2})

		// COMMIT, run with the attempt's context, is tied to the
		// transaction through QueryEvent.Tx.
		for _, r := range o.calls("query") {
			if r.q.Op == "commit" && r.q.Tx != txs[1].tx {
				t.Errorf("COMMIT: QueryEvent.Tx = %p; want the transaction %p", r.q.Tx, txs[1].tx)
			}
		}
	})
}

// obCheckTables compares a finished flush's per-table counts with want
// (SELECTs the flush sends are counted in the totals, not per table).
func obCheckTables(t *testing.T, f *orm.FlushEvent, want ...orm.FlushTable) {
	t.Helper()
	if f.Err != nil || f.Duration <= 0 {
		t.Errorf("flush: err %v, duration %v; want success, duration > 0", f.Err, f.Duration)
	}
	var got []orm.FlushTable
	for _, tb := range f.Tables {
		got = append(got, tb)
	}
	if !slices.Equal(got, want) {
		t.Errorf("flush tables = %+v; want %+v", got, want)
	}
	sum := 0
	for _, tb := range want {
		sum += tb.Statements
	}
	if f.Statements < sum {
		t.Errorf("flush statements = %d; want at least %d", f.Statements, sum)
	}
}

// A Commit without a transaction: a flush of more than one statement
// begins its own transaction, so the
// transaction is observed inside the flush (begun with its context) and
// ends with the commit; updates and deletes are counted per table; a
// failed flush reports its error and its transaction's rollback.
func TestObserveFlushOwnTransaction(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		odb, o := obSetup(t, db)
		s := orm.NewSession(odb)
		defer s.Close()
		a, b := &obTeam{Name: "A"}, &obTeam{Name: "B"}
		flOK(t, s.Add(a), "Add")
		flOK(t, s.Add(b), "Add")
		flOK(t, s.Add(&obHero{Name: "free agent"}), "Add hero")
		flOK(t, s.Commit(ctx), "Commit")
		f := o.calls("flush")
		if len(f) != 1 || f[0].f.Tx != nil {
			t.Fatalf("flushes %d (Tx %v); want 1 begun outside a transaction", len(f), f)
		}
		txs := o.calls("tx")
		if len(txs) != 1 || txs[0].in != o.mark("flush", 0) {
			t.Fatalf("transactions %d; want 1 begun with the flush's context", len(txs))
		}
		if e := o.calls("/tx"); len(e) != 1 || e[0].tx.End != "commit" {
			t.Fatalf("transaction ends %d; want one commit", len(e))
		}
		obCheckTables(t, o.calls("/flush")[0].f, orm.FlushTable{Table: "ob_team", Statements: 1, Rows: 2},
			orm.FlushTable{Table: "ob_hero", Statements: 1, Rows: 1})

		// An update of both rows and a delete: the MySQL and SQLite
		// dialects batch updates differently, so count rows, not texts.
		a, err := orm.Get[obTeam](ctx, s, a.ID)
		flOK(t, err, "Get a")
		b, err = orm.Get[obTeam](ctx, s, b.ID)
		flOK(t, err, "Get b")
		a.Name = "A2"
		flOK(t, s.Delete(b), "Delete")
		flOK(t, s.Commit(ctx), "Commit update+delete")
		last := o.calls("/flush")[1].f
		if len(last.Tables) != 1 || last.Tables[0].Table != "ob_team" || last.Tables[0].Rows != 2 || last.Tables[0].Statements != 2 {
			t.Errorf("update+delete flush tables = %+v; want ob_team, 2 statements, 2 rows", last.Tables)
		}

		// A failing flush (two statements, so in a transaction): the
		// unique name is taken.
		flOK(t, s.Add(&obTeam{Name: "A2"}), "Add duplicate")
		flOK(t, s.Add(&obHero{Name: "another"}), "Add hero")
		err = s.Commit(ctx)
		if !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("Commit of a duplicate: %v; want ErrUniqueViolation", err)
		}
		failed := o.calls("/flush")
		if got := failed[len(failed)-1].f; !errors.Is(got.Err, orm.ErrUniqueViolation) {
			t.Errorf("failed flush: FlushEvent.Err = %v; want ErrUniqueViolation", got.Err)
		}
		ends := o.calls("/tx")
		if e := ends[len(ends)-1].tx; e.End != "rollback" || !errors.Is(e.Err, orm.ErrUniqueViolation) {
			t.Errorf("failed flush's transaction ended %q with %v; want a rollback for ErrUniqueViolation", e.End, e.Err)
		}
		if len(o.calls("tx")) != len(ends) {
			t.Errorf("%d transactions begun, %d ended", len(o.calls("tx")), len(ends))
		}
	})
}

// An explicit transaction: statements the caller runs in it with its own
// context carry the transaction in QueryEvent.Tx; statements outside do
// not; a rollback ends it.
func TestObserveExplicitTransaction(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		odb, o := obSetup(t, db)
		s := orm.NewSession(odb)
		defer s.Close()
		_, err := orm.Select[obTeam](s).All(ctx)
		flOK(t, err, "Select outside a transaction")
		flOK(t, s.Begin(ctx), "Begin")
		_, err = orm.Select[obTeam](s).Where("name = ?", "x").All(ctx)
		flOK(t, err, "Select in the transaction")
		flOK(t, s.Rollback(ctx), "Rollback")
		txs := o.calls("tx")
		if len(txs) != 1 {
			t.Fatalf("%d transactions observed; want 1", len(txs))
		}
		var sel []orm.QueryEvent
		for _, r := range o.calls("query") {
			if strings.HasPrefix(r.q.Query, "SELECT") {
				sel = append(sel, r.q)
			}
		}
		if len(sel) != 2 || sel[0].Tx != nil || sel[1].Tx != txs[0].tx {
			t.Fatalf("SELECTs %d: want 2, the first outside the transaction, the second tied to it", len(sel))
		}
		if e := o.calls("/tx"); len(e) != 1 || e[0].tx.End != "rollback" || e[0].tx.Err != nil {
			t.Errorf("transaction end %+v; want one rollback without error", e)
		}
	})
}

// A hook that implements none of the observer interfaces sees exactly the
// statements it saw before they existed, and one that implements them
// sees no flush, transaction or attempt of a DB it was not added to.
func TestObservePlainHookUnaffected(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &obTeam{}, &obHero{})
		o := &obObserver{}
		_ = db.WithQueryHook(o) // a copy: db itself is not observed
		rdb, rec := testkit.Record(db)
		err := orm.RunInTx(ctx, rdb, func(s *orm.Session) error { return s.Add(&obTeam{Name: "solo"}) })
		flOK(t, err, "RunInTx")
		if n := len(o.calls("query")) + len(o.calls("flush")) + len(o.calls("tx")) + len(o.calls("attempt")); n != 0 {
			t.Errorf("observer of another DB copy saw %d calls", n)
		}
		var ops []string
		for _, e := range rec.Events() {
			ops = append(ops, e.Op)
			if e.Tx != nil {
				t.Errorf("%s: QueryEvent.Tx set without a transaction observer", e.Query)
			}
		}
		if len(ops) < 3 || ops[0] != "begin" || ops[len(ops)-1] != "commit" {
			t.Errorf("recorded ops %q; want begin … commit", ops)
		}
	})
}
