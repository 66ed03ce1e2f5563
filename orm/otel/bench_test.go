package otel_test

import (
	"context"
	"fmt"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
	"github.com/sqlmodel-go/sqlmodel/orm/otel"
)

// bnModel is the 8-column model of the Read benchmark in bench/.
type bnModel struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	Title   string
	Fax     string
	Web     string
	Age     int
	Right   bool
	Counter int64
}

func (bnModel) TableName() string { return "bn_models" }

const bnRows = 1000

// discard is a span exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkRead is the session entrant of bench's Read: a new session
// and Get by primary key, one SELECT, per iteration; on SQLite and
// PostgreSQL, without instrumentation (plain), with the hook on OpenTelemetry's
// no-op providers (noop), and with the SDK sampling every span into a
// batching processor and aggregating the histogram (sdk), and the same
// sampling 1% of traces (sdk-1pct, the histogram still measures every
// read). Besides ns/op it
// reports cpu-ns/op, the process's CPU time per read (all its threads, the
// database server excluded).
//
//	cd orm/otel && go test -run '^$' -bench 'Read|HookStatement' -benchmem -benchtime 3000x -count 10
func BenchmarkRead(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			db := ormtest.Open(b, dialect)
			bnSeed(b, db)
			variants := []struct {
				name string
				db   func(b *testing.B) *orm.DB
			}{
				{"plain", func(*testing.B) *orm.DB { return db }},
				{"noop", func(b *testing.B) *orm.DB {
					return bnInstrument(b, db, otel.WithTracerProvider(tracenoop.NewTracerProvider()),
						otel.WithMeterProvider(metricnoop.NewMeterProvider()))
				}},
				{"sdk", func(b *testing.B) *orm.DB { return bnSDK(b, db, sdktrace.AlwaysSample()) }},
				{"sdk-1pct", func(b *testing.B) *orm.DB {
					return bnSDK(b, db, sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.01)))
				}},
			}
			for _, v := range variants {
				b.Run(v.name, func(b *testing.B) {
					vdb := v.db(b)
					b.ReportAllocs()
					i := 0
					cpu0, cpuOK := cpuTime()
					for b.Loop() {
						i++
						s := orm.NewSession(vdb)
						m, err := orm.Get[bnModel](ctx, s, int64(i%bnRows+1))
						_ = s.Close()
						if err != nil || m.ID != int64(i%bnRows+1) {
							b.Fatalf("Get %d: %v", i%bnRows+1, err)
						}
					}
					if cpu1, ok := cpuTime(); ok && cpuOK && i > 0 {
						// The process's CPU time per read (the database
						// server's excluded): steadier than ns/op on a
						// loaded machine.
						b.ReportMetric(float64(cpu1-cpu0)/float64(i), "cpu-ns/op")
					}
				})
			}
		})
	}
}

// bnSDK instruments db with the SDK: spans chosen by sampler go to a
// batching processor with a discarding exporter, the histogram to a
// manual reader.
func bnSDK(b *testing.B, db *orm.DB, sampler sdktrace.Sampler) *orm.DB {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithBatcher(discard{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	return bnInstrument(b, db, otel.WithTracerProvider(tp), otel.WithMeterProvider(mp))
}

func bnInstrument(b *testing.B, db *orm.DB, opts ...otel.Option) *orm.DB {
	idb, err := otel.Instrument(context.Background(), db, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return idb
}

// bnSeed creates bn_models with bnRows rows, keys 1 to bnRows.
func bnSeed(b *testing.B, db *orm.DB) {
	ctx := context.Background()
	if err := db.CreateAll(ctx, &bnModel{}); err != nil {
		b.Fatal(err)
	}
	s := orm.NewSession(db)
	defer s.Close()
	for i := 1; i <= bnRows; i++ {
		m := &bnModel{Name: fmt.Sprint("name ", i), Title: "title", Fax: "fax", Web: "web", Age: i % 90, Right: i%2 == 0, Counter: int64(i)}
		if err := s.Add(m); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Commit(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHookStatement is the hook's own cost for one statement, without
// a database: BeforeQuery and AfterQuery on the event of the Read
// benchmark's SELECT, on the no-op providers and on the SDK (as in
// BenchmarkRead). A CPU-bound figure that a loaded machine disturbs less
// than BenchmarkRead's round trips.
func BenchmarkHookStatement(b *testing.B) {
	ctx := context.Background()
	ev := &orm.QueryEvent{Op: "query", Node: orm.NodePrimary, Rows: 1, Duration: 50e3,
		Query: `SELECT "id", "name", "title", "fax", "web", "age", "right", "counter" FROM "bn_models" WHERE "id" = $1`}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discard{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = tp.Shutdown(ctx); _ = mp.Shutdown(ctx) })
	hooks := []struct {
		name string
		h    *otel.Hook
	}{
		{"noop", otel.NewHook(otel.WithTracerProvider(tracenoop.NewTracerProvider()), otel.WithMeterProvider(metricnoop.NewMeterProvider()))},
		{"sdk", otel.NewHook(otel.WithTracerProvider(tp), otel.WithMeterProvider(mp),
			otel.WithDatabase("postgres", "test.public"), otel.WithServerAddress("127.0.0.1", 5432))},
	}
	for _, c := range hooks {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.h.AfterQuery(c.h.BeforeQuery(ctx, ev), ev)
			}
		})
	}
}
