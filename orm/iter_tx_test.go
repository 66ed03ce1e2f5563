package orm_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// Streaming and writing share a transaction safely (issue 15, item 3):
// inside a transaction, Get misses, queries and flushes in the body of an
// Iter loop work on every database (a cursor on PostgreSQL, the rest of
// the result read on demand on MySQL, interleaved statements on SQLite),
// the transaction is never ended by them, and work flushed before the loop
// is committed with the rest. Names start with "it", tables with "it_".

type itRow struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	N    int
}

func (itRow) TableName() string { return "it_row" }

type itNote struct {
	ID    int64 `sqlmodel:"pk"`
	RowID int64
	Text  string
}

func (itNote) TableName() string { return "it_note" }

func TestIterWithStatementsInTransaction(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &itRow{}, &itNote{})
		const rows = 600 // more than one cursor batch
		seed := make([]any, rows)
		for i := range seed {
			seed[i] = &itRow{Name: fmt.Sprintf("r%03d", i), N: i}
		}
		rwSeed(t, db, seed...)
		for _, autoFlush := range []bool{true, false} {
			cfg := orm.DefaultSessionConfig()
			cfg.AutoFlush = autoFlush
			s := orm.NewSessionWithConfig(db, cfg)
			rwOK(t, s.Begin(ctx), "Begin")
			before := &itNote{Text: fmt.Sprintf("before the loop %v", autoFlush)}
			rwOK(t, s.Add(before), "Add before")
			rwOK(t, s.Flush(ctx), "Flush before the loop")
			seen := 0
			for r, err := range orm.Select[itRow](s).OrderBy("id").Iter(ctx) {
				rwOK(t, err, "Iter")
				seen++
				if seen%100 == 1 {
					// A Get miss (SQL), a query and a flush inside the loop.
					other, err := orm.Get[itRow](ctx, s, r.ID+1)
					if err != nil && seen < rows {
						t.Fatalf("Get inside the loop (autoflush %v): %v", autoFlush, err)
					}
					_ = other
					n, err := orm.Select[itNote](s).Count(ctx)
					rwOK(t, err, "Count inside the loop")
					if n < 1 {
						t.Fatalf("the note flushed before the loop is not visible inside it: %d", n)
					}
					rwOK(t, s.Add(&itNote{RowID: r.ID, Text: fmt.Sprintf("in loop %v", autoFlush)}), "Add in loop")
					rwOK(t, s.Flush(ctx), "Flush inside the loop")
				}
				r.N += 1000
			}
			if seen != rows {
				t.Fatalf("autoflush %v: iterated %d rows, want %d", autoFlush, seen, rows)
			}
			if !s.InTransaction() {
				t.Fatalf("autoflush %v: the transaction ended during the loop", autoFlush)
			}
			rwOK(t, s.Commit(ctx), "Commit")
			rwOK(t, s.Close(), "Close")
		}
		rwEqual(t, "notes", rwRows(t, db, `SELECT COUNT(*) FROM "it_note"`), []string{"14"})
		rwEqual(t, "rows updated by both passes", rwRows(t, db, `SELECT COUNT(*) FROM "it_row" WHERE "n" >= 2000`), []string{fmt.Sprint(rows)})
	})
}

// A private in-memory SQLite database has one connection: Iter reads its
// result first, so a Get miss in the loop body does not wait forever.
func TestIterInMemorySQLite(t *testing.T) {
	db, err := orm.Open(ormtest.SQLiteDriver(), ":memory:")
	rwOK(t, err, "Open")
	defer db.Close()
	ctx := rwCtx(t)
	rwOK(t, db.CreateAll(ctx, &itRow{}), "CreateAll")
	s := orm.NewSession(db)
	defer s.Close()
	for i := range 5 {
		rwOK(t, s.Add(&itRow{Name: fmt.Sprint(i)}), "Add")
	}
	rwOK(t, s.Commit(ctx), "Commit")
	done := make(chan error, 1)
	go func() {
		s2 := orm.NewSession(db)
		defer s2.Close()
		n := 0
		for r, err := range orm.Select[itRow](s2).OrderBy("id").Iter(ctx) {
			if err != nil {
				done <- err
				return
			}
			if _, err := orm.Get[itRow](ctx, s2, r.ID+100); err == nil {
				done <- fmt.Errorf("Get of a missing key found a row")
				return
			}
			n++
		}
		if n != 5 {
			done <- fmt.Errorf("iterated %d rows, want 5", n)
			return
		}
		done <- nil
	}()
	select {
	case err := <-done:
		rwOK(t, err, "Iter with Get on :memory:")
	case <-time.After(30 * time.Second):
		t.Fatal("Iter with a Get in its loop on :memory: did not finish in 30 s")
	}
}
