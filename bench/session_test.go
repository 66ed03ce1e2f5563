package bench

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/bench/internal/benchdb"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// The session benchmarks of issue 3. Each uses b.Loop, so its setup (fresh
// database, seeding, loading objects into the session) runs once and is not
// timed; only the body of the loop is.

const (
	identityHitObjects = 1_000
	cleanScanObjects   = 100_000
	dirtyObjects       = 1_000
)

// stmtCounter is a query hook counting statements, used to check that the
// timed part of the no-SQL benchmarks really sends nothing.
type stmtCounter struct{ n atomic.Int64 }

func (c *stmtCounter) BeforeQuery(ctx context.Context, _ *orm.QueryEvent) context.Context { return ctx }
func (c *stmtCounter) AfterQuery(context.Context, *orm.QueryEvent)                        { c.n.Add(1) }

// prepare creates the models table in tg's fresh database through the ORM,
// seeds rows 1..n with raw database/sql, and returns the ORM handle.
func prepare(b *testing.B, tg benchdb.Target, n int) *orm.DB {
	b.Helper()
	ctx := context.Background()
	db := tg.OpenORM(b)
	if err := db.CreateAll(ctx, &Model{}); err != nil {
		b.Fatalf("create table: %v", err)
	}
	if err := SeedModels(ctx, db.SQL(), tg.Dialect, n); err != nil {
		b.Fatalf("seed: %v", err)
	}
	return db
}

// load tracks rows 1..n in s, one orm.Get each (a SELECT by key per row:
// there is no query API yet), and returns them in key order. It runs
// without AutoFlush: nothing is pending, and the flush before each Get miss
// would scan every object tracked so far (a quadratic setup).
func load(b *testing.B, s *orm.Session, n int) []*Model {
	b.Helper()
	ctx := context.Background()
	objs := make([]*Model, n)
	s.NoAutoFlush(func() {
		for i := range objs {
			m, err := orm.Get[Model](ctx, s, int64(i+1))
			if err != nil {
				b.Fatalf("load %d: %v", i+1, err)
			}
			objs[i] = m
		}
	})
	if got := s.TrackedCount(); got != n {
		b.Fatalf("session tracks %d objects, want %d", got, n)
	}
	return objs
}

// BenchmarkGetIdentityHit measures orm.Get[T] of a key the session already
// tracks: an identity-map hit that sends no SQL. The keys cycle over 1,000
// tracked objects and are boxed in advance, so the figures are the ORM's
// own cost (a caller passing an int64 variable of 256 or more pays one more
// 8-byte allocation for the conversion to any).
// Aim (issue 3): under 100 ns and 0 allocations per Get.
func BenchmarkGetIdentityHit(b *testing.B) {
	benchdb.Each(b, func(b *testing.B, tg benchdb.Target) {
		ctx := context.Background()
		cnt := &stmtCounter{}
		db := prepare(b, tg, identityHitObjects).WithQueryHook(cnt)
		s := orm.NewSession(db)
		defer s.Close()
		objs := load(b, s, identityHitObjects)
		keys := make([]any, len(objs))
		for i, o := range objs {
			keys[i] = o.ID
		}
		before := cnt.n.Load()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m, err := orm.Get[Model](ctx, s, keys[i])
			if err != nil || m != objs[i] {
				b.Fatalf("Get %v: %p, %v; want the tracked %p", keys[i], m, err, objs[i])
			}
			if i++; i == len(keys) {
				i = 0
			}
		}
		if n := cnt.n.Load() - before; n != 0 {
			b.Fatalf("identity-map hits sent %d statement(s)", n)
		}
	})
}

// BenchmarkFlushCleanScan measures s.Flush on a session tracking 100,000
// clean loaded objects of the 8-column model: nothing to write, no SQL; the
// whole cost is finding that out. Reported per tracked object as ns/object.
// SQLite only: no statement reaches the database, the dialect is irrelevant.
// Setup loads the objects with 100,000 orm.Get calls (one SELECT each; the
// session has no query API yet) after a raw bulk INSERT.
// Aim (issue 3): under 100 ns per object.
func BenchmarkFlushCleanScan(b *testing.B) {
	ctx := context.Background()
	tg := benchdb.Must(b, "sqlite")
	cnt := &stmtCounter{}
	db := prepare(b, tg, cleanScanObjects).WithQueryHook(cnt)
	s := orm.NewSession(db)
	defer s.Close()
	load(b, s, cleanScanObjects)
	before := cnt.n.Load()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N*cleanScanObjects), "ns/object")
	if n := cnt.n.Load() - before; n != 0 {
		b.Fatalf("clean flush sent %d statement(s)", n)
	}
	if s.PendingDirtyCount() != 0 || s.InTransaction() {
		b.Fatalf("clean flush left work: dirty=%d tx=%v", s.PendingDirtyCount(), s.InTransaction())
	}
}

// BenchmarkFlushDirty1000 measures one unit of work of 1,000 UPDATEs: the
// session holds 1,000 loaded objects; each iteration sets a new counter on
// every one of them, then s.Flush (which opens the transaction, AutoBegin)
// and s.Commit. The session runs with the default config (AutoBegin,
// AutoFlush, ExpireOnCommit). Compare with BenchmarkRawUpdate1000 (aim: ratio ≤ 1.2).
// Besides wall time it reports cpu-ns/op, the process CPU time per
// iteration (see benchdb.CPUClock), which server latency does not blur.
func BenchmarkFlushDirty1000(b *testing.B) {
	benchdb.Each(b, func(b *testing.B, tg benchdb.Target) {
		ctx := context.Background()
		db := prepare(b, tg, dirtyObjects)
		s := orm.NewSession(db)
		defer s.Close()
		objs := load(b, s, dirtyObjects)
		var round int64
		b.ReportAllocs()
		cpu := benchdb.StartCPU()
		for b.Loop() {
			round++
			for _, o := range objs {
				o.Counter = round*1_000_000 + o.ID
			}
			if err := s.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			if err := s.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
		cpu.Report(b)
		checkCounters(b, db.SQL(), round)
	})
}

// BenchmarkRawUpdate1000 is BenchmarkFlushDirty1000 written by hand: one
// transaction, 1,000 "UPDATE models SET counter = ? WHERE id = ?" through
// tx.ExecContext (not prepared by the program; drivers that prepare
// implicitly do so here exactly as for the ORM), each checked for one row
// affected as the ORM does, then COMMIT. It runs on the ORM's own pool
// (db.SQL()), so the driver and DSN settings are identical.
func BenchmarkRawUpdate1000(b *testing.B) {
	benchRawUpdate(b, false)
}

// BenchmarkRawUpdate1000Prepared is BenchmarkRawUpdate1000 with the UPDATE
// prepared once per transaction (tx.PrepareContext) and executed 1,000
// times: the floor hand-written code can reach, which the ORM does not try
// to match yet.
func BenchmarkRawUpdate1000Prepared(b *testing.B) {
	benchRawUpdate(b, true)
}

func benchRawUpdate(b *testing.B, prepared bool) {
	benchdb.Each(b, func(b *testing.B, tg benchdb.Target) {
		ctx := context.Background()
		pool := prepare(b, tg, dirtyObjects).SQL()
		// The same starting point as the ORM benchmark: 1,000 rows read
		// into structs.
		objs := make([]*Model, dirtyObjects)
		for i := range objs {
			m := NewModel(int64(i + 1))
			objs[i] = &m
		}
		q := "UPDATE models SET counter = " + Placeholder(tg.Dialect, 1) + " WHERE id = " + Placeholder(tg.Dialect, 2)
		var round int64
		b.ReportAllocs()
		cpu := benchdb.StartCPU()
		for b.Loop() {
			round++
			for _, o := range objs {
				o.Counter = round*1_000_000 + o.ID
			}
			if err := rawUpdate(ctx, pool, q, objs, prepared); err != nil {
				b.Fatal(err)
			}
		}
		cpu.Report(b)
		checkCounters(b, pool, round)
	})
}

func rawUpdate(ctx context.Context, db *sql.DB, q string, objs []*Model, prepared bool) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	exec := func(args ...any) (sql.Result, error) { return tx.ExecContext(ctx, q, args...) }
	if prepared {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		exec = func(args ...any) (sql.Result, error) { return st.ExecContext(ctx, args...) }
	}
	for _, o := range objs {
		res, err := exec(o.Counter, o.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("update id %d: %d rows affected, %v", o.ID, n, err)
		}
	}
	return tx.Commit()
}

// checkCounters verifies, after the timed loop, that the last round of
// updates reached the database.
func checkCounters(b *testing.B, db *sql.DB, round int64) {
	b.Helper()
	var n int
	err := db.QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM models WHERE counter = id + "+fmt.Sprint(round*1_000_000)).Scan(&n)
	if err != nil {
		b.Fatal(err)
	}
	if n != dirtyObjects {
		b.Fatalf("%d of %d rows carry the last round's counter", n, dirtyObjects)
	}
}
