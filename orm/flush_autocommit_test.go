package orm_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// acOps lists recorded operations: "begin", "commit", "rollback", or the
// statement's first word, with "(tx)" after statements run in a transaction.
func acOps(rec *testkit.Recorder) []string {
	var out []string
	for _, e := range rec.Events() {
		switch e.Op {
		case "begin", "commit", "rollback", "savepoint":
			out = append(out, e.Op)
		default:
			w := e.Query
			for i, c := range w {
				if c == ' ' {
					w = w[:i]
					break
				}
			}
			if e.InTx {
				w += "(tx)"
			}
			out = append(out, w)
		}
	}
	return out
}

func TestCommitSingleStatementWithoutTransaction(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		rdb, rec := testkit.Record(db)
		check := func(what string, want ...string) {
			t.Helper()
			if got := acOps(rec); !slices.Equal(got, want) {
				t.Fatalf("%s: sent %v, want %v", what, got, want)
			}
			rec.Reset()
		}

		// One INSERT (of one or many rows) committed at once.
		s := orm.NewSession(rdb)
		defer s.Close()
		a, b := &bkRow{Name: "a"}, &bkRow{Name: "b"}
		if err := s.AddAll(a, b); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check("two rows of one table", "INSERT")
		if a.ID == 0 || b.ID == 0 || a.ID == b.ID {
			t.Fatalf("keys %d, %d", a.ID, b.ID)
		}
		if st, _ := s.ObjectState(a); st != orm.StatePersistent && st != orm.StateExpired {
			t.Fatalf("state after commit: %v", st)
		}

		// One UPDATE.
		a.Age = 5
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check("one update", "UPDATE")

		// Two rows changing the same columns: one batched UPDATE.
		a.Age, b.Age = 6, 7
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// It needs a transaction: should it match some rows but not all,
		// the rows it did write must be rolled back.
		check("two updates of the same columns", "begin", "UPDATE(tx)", "commit")

		// Different columns: two UPDATEs, which need a transaction.
		a.Age, b.Right = 9, true
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check("two updates of different columns", "begin", "UPDATE(tx)", "UPDATE(tx)", "commit")

		// Flush without Commit keeps the AutoBegin transaction open.
		a.Age = 8
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		check("flush", "begin", "UPDATE(tx)")
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check("commit after flush", "commit")

		// A failing single statement leaves nothing behind and the
		// session as it was.
		dup := &bkRow{Name: "a"}
		if err := s.Add(dup); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("duplicate: %v", err)
		}
		if st, ok := s.ObjectState(dup); !ok || st != orm.StateNew || dup.ID != 0 || s.PendingNewCount() != 1 {
			t.Fatalf("after a failed commit: state %v tracked %v key %d pending %d", st, ok, dup.ID, s.PendingNewCount())
		}
		dup.Name = "c"
		rec.Reset()
		if err := s.Commit(ctx); err != nil {
			t.Fatalf("retry: %v", err)
		}
		check("retry", "INSERT")

		// Model hooks after the statement need a transaction to undo it.
		h := &bkHooked{Name: "h"}
		if err := s.Add(h); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check("AfterInsert hook", "begin", "INSERT(tx)", "commit")

		// So do after-flush handlers, whose errors stop the commit.
		s2 := orm.NewSession(rdb)
		defer s2.Close()
		s2.OnAfterFlush(func(context.Context) error { return nil })
		if err := s2.Add(&bkRow{Name: "d"}); err != nil {
			t.Fatal(err)
		}
		if err := s2.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check("after-flush handler", "begin", "INSERT(tx)", "commit")

		if got := len(bkAll(t, ctx, db)); got != 4 {
			t.Fatalf("%d rows, want 4", got)
		}
	})
}
