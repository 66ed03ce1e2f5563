package otel_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
	"github.com/sqlmodel-go/sqlmodel/orm/otel"
)

type otTeam struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"unique"`
	Size int
}

func (otTeam) TableName() string { return "ot_team" }

type otHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID *int64 `sqlmodel:"fk=ot_team.id"`
}

func (otHero) TableName() string { return "ot_hero" }

// telemetry is an in-memory span recorder and metric reader.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newTelemetry(t *testing.T) *telemetry {
	t.Helper()
	tm := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tm.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tm.spans))
	tm.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(tm.reader))
	t.Cleanup(func() { _ = tm.tp.Shutdown(context.Background()); _ = tm.mp.Shutdown(context.Background()) })
	return tm
}

// instrument creates the test's tables and returns db instrumented with
// the in-memory recorder and reader.
func instrument(t *testing.T, db *orm.DB) (*orm.DB, *telemetry) {
	t.Helper()
	ctx := testCtx(t)
	if err := db.CreateAll(ctx, &otTeam{}, &otHero{}); err != nil {
		t.Fatal(err)
	}
	tm := newTelemetry(t)
	idb, err := otel.Instrument(ctx, db, otel.WithTracerProvider(tm.tp), otel.WithMeterProvider(tm.mp))
	if err != nil {
		t.Fatal(err)
	}
	return idb, tm
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func ok(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// attr returns a span's attribute, "" when it has none.
func attr(s sdktrace.ReadOnlySpan, key attribute.Key) string {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// children returns the names of the spans whose parent is p, by start.
func children(all []sdktrace.ReadOnlySpan, p interface{ SpanContext() trace.SpanContext }) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range all {
		if s.Parent().SpanID() == p.SpanContext().SpanID() {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	return out
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

// only returns the one span among spans named name.
func only(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans named %q among %q; want 1", len(found), name, names(spans))
	}
	return found[0]
}

// isFlushStatement reports whether a flush may send the statement of a
// span: its INSERTs, its savepoint, reads of generated values.
func isFlushStatement(name string) bool {
	for _, p := range []string{"INSERT ", "SAVEPOINT", "RELEASE", "SELECT"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Add and Flush in RunInTx, with a retry: under the caller's span, one
// attempt span per attempt (number, retry reason, outcome), each holding
// its transaction's span, which holds BEGIN, the flush's span (holding the
// flush's statements) and COMMIT or ROLLBACK.
func TestSpanTreeRunInTxRetry(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		idb, tm := instrument(t, db)
		ctx, root := tm.tp.Tracer("test").Start(testCtx(t), "request")
		attempts := 0
		err := orm.RunInTx(ctx, idb, func(s *orm.Session) error {
			attempts++
			team := &otTeam{Name: fmt.Sprintf("team-%d", attempts)}
			if err := s.Add(team); err != nil {
				return err
			}
			if err := s.Flush(ctx); err != nil {
				return err
			}
			if attempts == 1 {
				return fmt.Errorf("simulated conflict: %w", orm.ErrSerialization)
			}
			return s.Add(&otHero{Name: "Deadpond", TeamID: &team.ID})
		})
		ok(t, err, "RunInTx")
		root.End()
		all := tm.spans.Ended()

		top := children(all, root)
		if got := names(top); !slices.Equal(got, []string{otel.AttemptSpanName, otel.AttemptSpanName}) {
			t.Fatalf("spans under the caller's span: %q; want two attempts", got)
		}
		for i, a := range top {
			n := i + 1
			if got := attr(a, otel.AttemptKey); got != fmt.Sprint(n) {
				t.Errorf("attempt %d: %s = %q", n, otel.AttemptKey, got)
			}
			wantReason, wantStatus := "", codes.Error
			if n == 2 {
				wantReason, wantStatus = "serialization_failure", codes.Unset
			}
			if got := attr(a, otel.RetryReasonKey); got != wantReason {
				t.Errorf("attempt %d: retry reason %q; want %q", n, got, wantReason)
			}
			if a.Status().Code != wantStatus {
				t.Errorf("attempt %d: status %v; want %v", n, a.Status(), wantStatus)
			}
			if got := attr(a, otel.WillRetryKey); got != fmt.Sprint(n == 1) {
				t.Errorf("attempt %d: will_retry %q", n, got)
			}
			txs := children(all, a)
			if got := names(txs); !slices.Equal(got, []string{otel.TxSpanName}) {
				t.Fatalf("attempt %d holds %q; want one transaction", n, got)
			}
			tx := txs[0]
			wantEnd := map[int]string{1: "rollback", 2: "commit"}[n]
			if got := attr(tx, otel.TxEndKey); got != wantEnd {
				t.Errorf("attempt %d: transaction ended %q; want %q", n, got, wantEnd)
			}
			inTx := children(all, tx)
			got := names(inTx)
			wantLast := map[int]string{1: "ROLLBACK", 2: "COMMIT"}[n]
			flushes := 1 + (n - 1) // attempt 2 flushes again at commit (the hero)
			if len(got) != 2+flushes || got[0] != "BEGIN" || got[len(got)-1] != wantLast {
				t.Fatalf("attempt %d: transaction holds %q; want BEGIN, %d flush(es), %s", n, got, flushes, wantLast)
			}
			for j, f := range inTx[1 : len(inTx)-1] {
				if f.Name() != otel.FlushSpanName {
					t.Fatalf("attempt %d: %q in the transaction; want a flush", n, f.Name())
				}
				stmts := children(all, f)
				table := []string{"ot_team", "ot_hero"}[j]
				only(t, stmts, "INSERT "+table)
				for _, st := range stmts {
					if !isFlushStatement(st.Name()) || st.SpanKind() != trace.SpanKindClient {
						t.Errorf("flush span holds %q (%v)", st.Name(), st.SpanKind())
					}
				}
				if attr(f, otel.FlushTablesKey) != "["+fmt.Sprintf("%q", table)+"]" || attr(f, otel.FlushTableStatementsKey) != "[1]" ||
					attr(f, otel.FlushTableRowsKey) != "[1]" || attr(f, "db.collection.name") != table {
					t.Errorf("flush on %s: attributes %v", table, f.Attributes())
				}
			}
		}
	})
}

// A statement span's attributes follow the semantic conventions, and the
// histogram records every statement in seconds with the recommended
// buckets.
func TestStatementAttributesAndHistogram(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		idb, tm := instrument(t, db)
		ctx := testCtx(t)
		s := orm.NewSession(idb)
		defer s.Close()
		ok(t, s.Add(&otTeam{Name: "Z-Force", Size: 3}), "Add")
		ok(t, s.Commit(ctx), "Commit")
		all := tm.spans.Ended()
		ins := only(t, all, "INSERT ot_team")
		system := map[string]string{"postgres": "postgresql", "mysql": db.Dialect().Name(), "sqlite": "sqlite"}
		want := map[attribute.Key]string{
			"db.system.name":     system[db.Dialect().Name()],
			"db.collection.name": "ot_team",
			"db.operation.name":  "INSERT",
			otel.NodeKey:         "primary",
			otel.RowsKey:         "1",
		}
		if want["db.system.name"] == "" { // the MySQL dialect names MariaDB "mariadb"
			want["db.system.name"] = db.Dialect().Name()
		}
		for k, v := range want {
			if got := attr(ins, k); got != v {
				t.Errorf("INSERT span: %s = %q; want %q", k, got, v)
			}
		}
		if q := attr(ins, "db.query.text"); !strings.HasPrefix(q, "INSERT INTO ") {
			t.Errorf("db.query.text = %q", q)
		}
		if attr(ins, "db.namespace") == "" {
			t.Error("db.namespace is missing")
		}
		if db.Dialect().Name() != "sqlite" && (attr(ins, "server.address") == "" || attr(ins, "server.port") == "") {
			t.Errorf("server.address/port missing: %v", ins.Attributes())
		}
		if ins.SpanKind() != trace.SpanKindClient || ins.Status().Code != codes.Unset {
			t.Errorf("INSERT span kind %v status %v", ins.SpanKind(), ins.Status())
		}

		var rm metricdata.ResourceMetrics
		ok(t, tm.reader.Collect(ctx, &rm), "Collect")
		h := histogram(t, rm)
		var inserts uint64
		for _, dp := range h.DataPoints {
			if !slices.Equal(dp.Bounds, otel.DurationBuckets) {
				t.Errorf("bucket bounds %v; want %v", dp.Bounds, otel.DurationBuckets)
			}
			op, _ := dp.Attributes.Value("db.operation.name")
			table, _ := dp.Attributes.Value("db.collection.name")
			if op.AsString() == "INSERT" && table.AsString() == "ot_team" {
				inserts += dp.Count
				if dp.Sum <= 0 || dp.Sum > 60 {
					t.Errorf("INSERT duration sum %v s; want seconds", dp.Sum)
				}
			}
		}
		if inserts != 1 {
			t.Errorf("histogram counts %d INSERT ot_team; want 1", inserts)
		}
	})
}

// histogram returns the db.client.operation.duration histogram.
func histogram(t *testing.T, rm metricdata.ResourceMetrics) metricdata.Histogram[float64] {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "db.client.operation.duration" {
				if m.Unit != "s" {
					t.Errorf("unit %q; want s", m.Unit)
				}
				h, isHist := m.Data.(metricdata.Histogram[float64])
				if !isHist {
					t.Fatalf("%s is a %T", m.Name, m.Data)
				}
				return h
			}
		}
	}
	t.Fatal("no db.client.operation.duration metric")
	return metricdata.Histogram[float64]{}
}
