package orm_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// qyRow is the model of the streaming tests.
type qyRow struct {
	ID    int64 `sqlmodel:"pk"`
	N     int64
	Label string `sqlmodel:"size=80"`
}

func (qyRow) TableName() string { return "qy_row" }

// qyLabelPad makes every label 64 bytes long, so that holding rows costs
// memory that a streaming loop must not.
var qyLabelPad = strings.Repeat("x", 64-len("row-000000-"))

func qyLabel(i int) string { return fmt.Sprintf("row-%06d-%s", i, qyLabelPad) }

// qyFillRows creates qy_row with rows 1..n (N = id * 3): the first rows
// (up to n/32) with multi-row INSERTs, then by doubling with
// INSERT ... SELECT while the table has at most half of n, and the rest
// with multi-row INSERTs again.
func qyFillRows(t testing.TB, ctx context.Context, db *orm.DB, n int) {
	t.Helper()
	if err := db.CreateAll(ctx, &qyRow{}); err != nil {
		t.Fatalf("CreateAll: %v", err)
	}
	insert := func(from, to int) {
		const chunk = 2000
		var b strings.Builder
		args := make([]any, 0, 3*chunk)
		for start := from; start <= to; start += chunk {
			b.Reset()
			args = args[:0]
			b.WriteString(`INSERT INTO qy_row (id, n, label) VALUES `)
			for i := start; i < start+chunk && i <= to; i++ {
				if i > start {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?)")
				args = append(args, i, int64(i)*3, qyLabel(i))
			}
			if _, err := orm.Exec(ctx, db, b.String(), args...); err != nil {
				t.Fatalf("insert rows from %d: %v", start, err)
			}
		}
	}
	have := max(1, n/32)
	insert(1, have)
	for have*2 <= n {
		// The copies keep their source row's label.
		if _, err := orm.Exec(ctx, db, `INSERT INTO qy_row (id, n, label) SELECT id + ?, (id + ?) * 3, label FROM qy_row`, have, have); err != nil {
			t.Fatalf("double rows from %d: %v", have, err)
		}
		have *= 2
	}
	insert(have+1, n)
}

func qyHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestQueryIterMemoryFlat streams 100,000 rows from a *DB and checks that
// the live heap stays far below what holding the rows would take.
func TestQueryIterMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts and streams 100,000 rows per database")
	}
	const n = 100_000
	// What All would keep alive: the objects, their labels and the slice.
	held := int64(n) * int64(unsafe.Sizeof(qyRow{})+uintptr(len(qyLabel(1)))+unsafe.Sizeof(&qyRow{}))
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		start := time.Now()
		qyFillRows(t, ctx, db, n)
		filled := time.Since(start)

		base := qyHeap()
		var peak uint64
		count, sum := 0, int64(0)
		for r, err := range orm.Select[qyRow](db).Iter(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if r.N != r.ID*3 || len(r.Label) != 64 {
				t.Fatalf("row %+v", r)
			}
			count++
			sum += r.N
			if count%20_000 == 0 {
				peak = max(peak, qyHeap())
			}
		}
		streamed := time.Since(start) - filled
		if count != n || sum != 3*int64(n)*(n+1)/2 {
			t.Fatalf("streamed %d rows, sum %d", count, sum)
		}
		growth := int64(peak) - int64(base)
		t.Logf("fill %v, stream %v; live heap growth while streaming %d KiB, holding the rows would take %d KiB",
			filled.Round(time.Millisecond), streamed.Round(time.Millisecond), growth/1024, held/1024)
		if growth > held/10 {
			t.Errorf("live heap grew by %d bytes while streaming, more than a tenth of holding all rows (%d bytes)", growth, held)
		}
		if inUse := db.SQL().Stats().InUse; inUse != 0 {
			t.Errorf("%d connection(s) in use after the loop", inUse)
		}
	})
}

// TestQueryIterStopEarlyReleasesConnection: breaking out of the loop closes
// the rows at once and frees the connection for the next statement.
func TestQueryIterStopEarlyReleasesConnection(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		qyFillRows(t, ctx, db, 1000)
		rdb, rec := qyRecord(db)

		k := 0
		for r, err := range orm.Select[qyRow](rdb).OrderBy("id").Iter(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			k++
			if r.ID != int64(k) {
				t.Fatalf("row %d has id %d", k, r.ID)
			}
			if k == 5 {
				break
			}
		}
		if k != 5 {
			t.Fatalf("looped %d times", k)
		}
		if inUse := db.SQL().Stats().InUse; inUse != 0 {
			t.Fatalf("%d connection(s) in use after break", inUse)
		}
		if e := qyOnly(t, rec); e.Rows != 5 {
			t.Errorf("statement after break: %d rows read, want 5", e.Rows)
		}
		if n, err := orm.Select[qyRow](rdb).Count(ctx); err != nil || n != 1000 {
			t.Fatalf("Count after break = %d, %v", n, err)
		}

		// A panic in the loop body also releases the connection.
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			for range orm.Select[qyRow](rdb).Iter(ctx) {
				panic("boom")
			}
		}()
		if inUse := db.SQL().Stats().InUse; inUse != 0 {
			t.Fatalf("%d connection(s) in use after a panic in the loop", inUse)
		}

		// Through a session outside a transaction: the objects seen are
		// tracked, the connection is back in the pool.
		s := qySession(t, rdb)
		k = 0
		for _, err := range orm.Select[qyRow](s).Filter(orm.Col("id").Gt(500)).OrderBy("id").Iter(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if k++; k == 3 {
				break
			}
		}
		if inUse := db.SQL().Stats().InUse; inUse != 0 || s.TrackedCount() != 3 {
			t.Fatalf("session break: %d connection(s) in use, TrackedCount %d", inUse, s.TrackedCount())
		}

		// Inside the session's transaction: the transaction keeps its
		// connection, and the next statement on it works (the rows were
		// closed).
		if err := s.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		for range orm.Select[qyRow](s).Iter(ctx) {
			break
		}
		if inUse := db.SQL().Stats().InUse; inUse != 1 {
			t.Errorf("%d connection(s) in use in the transaction, want 1", inUse)
		}
		rec.Reset()
		got, err := orm.Select[qyRow](s).Filter(orm.Col("id").Eq(999)).One(ctx)
		if err != nil || got.N != 2997 {
			t.Fatalf("query after break in the transaction: %+v, %v", got, err)
		}
		if e := qyOnly(t, rec); !e.InTx {
			t.Error("query after break left the transaction")
		}
		if _, err := orm.Exec(ctx, s, `UPDATE qy_row SET n = ? WHERE id = ?`, 0, 999); err != nil {
			t.Fatal(err)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if inUse := db.SQL().Stats().InUse; inUse != 0 {
			t.Errorf("%d connection(s) in use after rollback", inUse)
		}
	})
}

// TestQueryIterErrors: a query that cannot be built yields its error once;
// a cancelled context ends the loop with the context's error and frees
// the connection.
func TestQueryIterErrors(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		qyFillRows(t, ctx, db, 1000)
		rdb, rec := qyRecord(db)

		calls := 0
		for r, err := range orm.Select[qyRow](rdb).OrderBy("nope").Iter(ctx) {
			calls++
			if r != nil || err == nil {
				t.Errorf("Iter of a bad query yielded %v, %v", r, err)
			}
		}
		if calls != 1 {
			t.Errorf("Iter of a bad query yielded %d times, want 1", calls)
		}
		qyWantNoSQL(t, rec, "Iter of a bad query")

		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		k := 0
		var last error
		for r, err := range orm.Select[qyRow](rdb).OrderBy("id").Iter(cctx) {
			if err != nil {
				last = err
				if r != nil {
					t.Error("an error came with an object")
				}
				continue
			}
			if last != nil {
				t.Fatal("a row after the error")
			}
			if k++; k == 10 {
				cancel()
				time.Sleep(50 * time.Millisecond)
			}
		}
		if !errors.Is(last, context.Canceled) {
			t.Errorf("loop ended with %v after %d rows, want context.Canceled", last, k)
		}
		if k >= 1000 {
			t.Errorf("read all %d rows despite the cancel", k)
		}
		if inUse := db.SQL().Stats().InUse; inUse != 0 {
			t.Errorf("%d connection(s) in use after the cancelled loop", inUse)
		}
		if n, err := orm.Select[qyRow](rdb).Count(ctx); err != nil || n != 1000 {
			t.Errorf("Count after the cancelled loop = %d, %v", n, err)
		}
	})
}

// TestQueryIterStopEarlyIsNotAnError: a consumer that stops the loop did
// not see a failed statement, and neither should the query hooks (the
// logging hook warns "statement failed" for every early break).
func TestQueryIterStopEarlyIsNotAnError(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		qyFillRows(t, ctx, db, 10)
		rdb, rec := qyRecord(db)
		for range orm.Select[qyRow](rdb).Iter(ctx) {
			break
		}
		if e := qyOnly(t, rec); e.Err != nil {
			t.Errorf("statement of an Iter stopped by break reported error %v to the hooks", e.Err)
		}
	})
}
