package bench

import (
	"context"
	"runtime"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/bench/internal/benchdb"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// iterRows is the size of the result BenchmarkIterMillion streams.
const iterRows = 1_000_000

// BenchmarkIterMillion streams 1,000,000 rows with Query.Iter on
// PostgreSQL and reports the peak heap in use while it runs (sampled every
// 50,000 rows), to show that memory stays bounded: on a *DB (nothing
// tracked), and in a session's transaction (a server-side cursor, FETCH in
// batches) with a weak identity map, so that the clean objects already
// passed can be collected. With the default strong identity map the
// session keeps every object it returned, by design.
func BenchmarkIterMillion(b *testing.B) {
	tg := benchdb.Must(b, "postgres")
	db := prepare(b, tg, iterRows)
	ctx := context.Background()
	run := func(b *testing.B, q *orm.Query[Model]) {
		var peak uint64
		var ms runtime.MemStats
		for b.Loop() {
			runtime.GC()
			n := 0
			for _, err := range q.Iter(ctx) {
				if err != nil {
					b.Fatal(err)
				}
				if n++; n%50_000 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
			}
			if n != iterRows {
				b.Fatalf("iterated %d rows, want %d", n, iterRows)
			}
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	}
	b.Run("DB", func(b *testing.B) { run(b, orm.Select[Model](db)) })
	b.Run("SessionTxWeak", func(b *testing.B) {
		cfg := orm.DefaultSessionConfig()
		cfg.WeakIdentityMap = true
		s := orm.NewSessionWithConfig(db, cfg)
		defer s.Close()
		if err := s.Begin(ctx); err != nil {
			b.Fatal(err)
		}
		run(b, orm.Select[Model](s))
	})
}
