package otel

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/engine"
)

// Attributes of this package's own, beside the semantic conventions.
const (
	// NodeKey is the node that served a statement: "primary" or a
	// replica's label ("replica:0", ...), see orm.WithReplicas.
	NodeKey = attribute.Key("sqlmodel.node")
	// RowsKey is the number of rows a statement affected or returned.
	RowsKey = attribute.Key("sqlmodel.rows")
	// Flush span: statements and rows in all, and per table (three lists
	// of the same length, in the order the flush first touched each table).
	FlushStatementsKey      = attribute.Key("sqlmodel.flush.statements")
	FlushRowsKey            = attribute.Key("sqlmodel.flush.rows")
	FlushTablesKey          = attribute.Key("sqlmodel.flush.tables")
	FlushTableStatementsKey = attribute.Key("sqlmodel.flush.table_statements")
	FlushTableRowsKey       = attribute.Key("sqlmodel.flush.table_rows")
	// Transaction span: how it ended ("commit", "rollback" or "begin" when
	// BEGIN failed), its isolation level when one was set, read-only.
	TxEndKey       = attribute.Key("sqlmodel.tx.end")
	TxIsolationKey = attribute.Key("sqlmodel.tx.isolation")
	TxReadOnlyKey  = attribute.Key("sqlmodel.tx.read_only")
	// Attempt span: its number (1 for the first), why it runs (the
	// previous attempt's failure: "serialization_failure", "deadlock",
	// "lock_timeout", "connection_lost"), and after it, whether it
	// committed and whether RunInTx retries.
	AttemptKey     = attribute.Key("sqlmodel.attempt")
	RetryReasonKey = attribute.Key("sqlmodel.retry.reason")
	CommittedKey   = attribute.Key("sqlmodel.committed")
	WillRetryKey   = attribute.Key("sqlmodel.will_retry")
)

// Span names of the spans above statements.
const (
	FlushSpanName   = "sqlmodel.flush"
	TxSpanName      = "sqlmodel.transaction"
	AttemptSpanName = "sqlmodel.attempt"
)

// scope is what the hook keeps in the context of a span it started for a
// flush, a transaction or an attempt: the span, and the spans that enclose
// it up to the first that is not the hook's (enclosing). A statement or
// flush of a transaction that comes with a context whose span is one of
// those of the transaction's scope (or none) is moved under the
// transaction's span.
type scope struct {
	span      trace.Span
	enclosing []trace.SpanID
}

type scopeKey struct{}

// stmtKey carries a statement's stmtState from BeforeQuery to AfterQuery
// (another hook may put a span of its own in the context between them).
type stmtKey struct{}

// stmtState is a statement's span and what BeforeQuery read from its text.
type stmtState struct {
	span      trace.Span
	op, table string
}

// parentFor returns the context to start a span for work of the observed
// transaction tx under: ctx, or ctx with the transaction's span when ctx
// holds no span started inside the transaction.
func parentFor(ctx context.Context, tx *engine.TxEvent) context.Context {
	if tx == nil || tx.Context == nil {
		return ctx
	}
	ts, _ := tx.Context.Value(scopeKey{}).(*scope)
	if ts == nil {
		return ctx
	}
	cur := trace.SpanContextFromContext(ctx)
	if cur.IsValid() && cur.SpanID() != ts.span.SpanContext().SpanID() && !slices.Contains(ts.enclosing, cur.SpanID()) {
		return ctx // a span started inside the transaction: keep it
	}
	return trace.ContextWithSpan(ctx, ts.span)
}

// startScope starts a span of the hook's own (flush, transaction,
// attempt) under parent and returns the context that holds it and its
// scope.
func (h *Hook) startScope(parent context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	var enclosing []trace.SpanID
	if p := trace.SpanContextFromContext(parent); p.IsValid() {
		if ps, _ := parent.Value(scopeKey{}).(*scope); ps != nil && ps.span.SpanContext().SpanID() == p.SpanID() {
			enclosing = append(slices.Clip(ps.enclosing), p.SpanID())
		} else {
			enclosing = []trace.SpanID{p.SpanID()}
		}
	}
	ctx, span := h.tracer.Start(parent, name, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return context.WithValue(ctx, scopeKey{}, &scope{span: span, enclosing: enclosing}), span
}

// scopeSpan returns the span startScope put in ctx.
func scopeSpan(ctx context.Context) trace.Span {
	if s, _ := ctx.Value(scopeKey{}).(*scope); s != nil {
		return s.span
	}
	return trace.SpanFromContext(ctx)
}

// BeforeQuery starts a statement's span. It implements orm.QueryHook.
func (h *Hook) BeforeQuery(ctx context.Context, e *orm.QueryEvent) context.Context {
	op := engine.OperationOf(e.Query)
	table := engine.TableOf(e.Query)
	name := op
	switch {
	case op == "":
		name = string(h.system)
	case table != "":
		name = op + " " + table
	}
	attrs := make([]attribute.KeyValue, 0, 6+len(h.base))
	attrs = append(attrs, h.systemKV)
	attrs = append(attrs, h.base...)
	if op != "" {
		attrs = append(attrs, semconv.DBOperationName(op))
	}
	if table != "" {
		attrs = append(attrs, semconv.DBCollectionName(table))
	}
	if h.queryText && e.Query != "" {
		attrs = append(attrs, semconv.DBQueryText(e.Query))
	}
	attrs = append(attrs, NodeKey.String(e.Node))
	ctx, span := h.tracer.Start(parentFor(ctx, e.Tx), name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attrs...), trace.WithTimestamp(e.Start))
	return context.WithValue(ctx, stmtKey{}, &stmtState{span: span, op: op, table: table})
}

// AfterQuery ends a statement's span and records its duration. It
// implements orm.QueryHook.
func (h *Hook) AfterQuery(ctx context.Context, e *orm.QueryEvent) {
	st, _ := ctx.Value(stmtKey{}).(*stmtState)
	if st == nil {
		// No state from BeforeQuery in ctx: no span to end, and the
		// text is read again for the metric.
		st = &stmtState{op: engine.OperationOf(e.Query), table: engine.TableOf(e.Query)}
	}
	span := st.span
	end := e.Start.Add(e.Duration)
	code, errType := "", ""
	if e.Err != nil {
		code, errType = statusCode(e.Err), errorType(e.Err)
	}
	if span != nil && span.IsRecording() {
		if e.Rows >= 0 {
			span.SetAttributes(RowsKey.Int64(e.Rows))
		}
		if e.Err != nil {
			fail(span, e.Err, code, errType)
		}
		span.End(trace.WithTimestamp(end))
	} else if span != nil {
		span.End()
	}
	if !h.duration.Enabled(ctx) {
		return
	}
	if e.Err == nil {
		set := h.metricSet(st.op, st.table, e.Node)
		h.duration.Inst().Record(ctx, e.Duration.Seconds(), metric.WithAttributeSet(set))
		return
	}
	attrs := make([]attribute.KeyValue, 0, 7+len(h.base))
	attrs = append(attrs, h.systemKV)
	attrs = append(attrs, h.base...)
	if st.op != "" {
		attrs = append(attrs, semconv.DBOperationName(st.op))
	}
	if st.table != "" {
		attrs = append(attrs, semconv.DBCollectionName(st.table))
	}
	attrs = append(attrs, NodeKey.String(e.Node), semconv.ErrorTypeKey.String(errType))
	if code != "" {
		attrs = append(attrs, semconv.DBResponseStatusCode(code))
	}
	h.duration.Inst().Record(ctx, e.Duration.Seconds(), metric.WithAttributes(attrs...))
}

// metricKey identifies the attributes of a successful statement's
// measurement.
type metricKey struct{ op, table, node string }

// maxMetricSets bounds the cache of metricSet.
const maxMetricSets = 1024

// metricSet returns the attribute set of a successful statement's
// measurement, built once per operation, table and node (up to
// maxMetricSets of them) instead of sorted again at every statement.
func (h *Hook) metricSet(op, table, node string) attribute.Set {
	k := metricKey{op, table, node}
	if v, ok := h.sets.Load(k); ok {
		return v.(attribute.Set)
	}
	attrs := make([]attribute.KeyValue, 0, 4+len(h.base))
	attrs = append(attrs, h.systemKV)
	attrs = append(attrs, h.base...)
	if op != "" {
		attrs = append(attrs, semconv.DBOperationName(op))
	}
	if table != "" {
		attrs = append(attrs, semconv.DBCollectionName(table))
	}
	set := attribute.NewSet(append(attrs, NodeKey.String(node))...)
	if h.nsets.Add(1) <= maxMetricSets {
		h.sets.Store(k, set)
	}
	return set
}

// fail marks span as failed with err's value-free description.
func fail(span trace.Span, err error, code, errType string) {
	if code != "" {
		span.SetAttributes(semconv.DBResponseStatusCode(code))
	}
	span.SetAttributes(semconv.ErrorTypeKey.String(errType))
	span.SetStatus(codes.Error, summary(err, code))
}

// BeforeFlush starts a flush's span. It implements orm.FlushObserver.
func (h *Hook) BeforeFlush(ctx context.Context, e *orm.FlushEvent) context.Context {
	ctx, _ = h.startScope(parentFor(ctx, e.Tx), FlushSpanName, h.systemKV)
	return ctx
}

// AfterFlush ends a flush's span with its counts. It implements
// orm.FlushObserver.
func (h *Hook) AfterFlush(ctx context.Context, e *orm.FlushEvent) {
	span := scopeSpan(ctx)
	if span.IsRecording() {
		tables := make([]string, len(e.Tables))
		stmts := make([]int64, len(e.Tables))
		rows := make([]int64, len(e.Tables))
		for i, t := range e.Tables {
			tables[i], stmts[i], rows[i] = t.Table, int64(t.Statements), t.Rows
		}
		span.SetAttributes(FlushStatementsKey.Int(e.Statements), FlushRowsKey.Int64(e.Rows),
			FlushTablesKey.StringSlice(tables), FlushTableStatementsKey.Int64Slice(stmts), FlushTableRowsKey.Int64Slice(rows))
		if len(tables) == 1 {
			span.SetAttributes(semconv.DBCollectionName(tables[0]))
		}
		if e.Statements >= 2 {
			span.SetAttributes(semconv.DBOperationBatchSize(e.Statements))
		}
		if e.Err != nil {
			code := statusCode(e.Err)
			fail(span, e.Err, code, errorType(e.Err))
		}
	}
	span.End()
}

// BeforeTx starts a transaction's span. It implements orm.TxObserver.
func (h *Hook) BeforeTx(ctx context.Context, e *orm.TxEvent) context.Context {
	attrs := []attribute.KeyValue{h.systemKV}
	attrs = append(attrs, h.base...)
	if e.Isolation != sql.LevelDefault {
		attrs = append(attrs, TxIsolationKey.String(e.Isolation.String()))
	}
	if e.ReadOnly {
		attrs = append(attrs, TxReadOnlyKey.Bool(true))
	}
	ctx, _ = h.startScope(ctx, TxSpanName, attrs...)
	return ctx
}

// AfterTx ends a transaction's span. It implements orm.TxObserver.
func (h *Hook) AfterTx(ctx context.Context, e *orm.TxEvent) {
	span := scopeSpan(ctx)
	if span.IsRecording() {
		span.SetAttributes(TxEndKey.String(e.End))
		if e.Err != nil {
			code := statusCode(e.Err)
			fail(span, e.Err, code, errorType(e.Err))
		}
	}
	span.End()
}

// BeforeAttempt starts a RunInTx attempt's span. It implements
// orm.AttemptObserver.
func (h *Hook) BeforeAttempt(ctx context.Context, e *orm.AttemptEvent) context.Context {
	attrs := []attribute.KeyValue{AttemptKey.Int(e.Attempt)}
	if e.Retry != nil {
		attrs = append(attrs, RetryReasonKey.String(retryReason(e.Retry)))
	}
	ctx, _ = h.startScope(ctx, AttemptSpanName, attrs...)
	return ctx
}

// AfterAttempt ends a RunInTx attempt's span. It implements
// orm.AttemptObserver.
func (h *Hook) AfterAttempt(ctx context.Context, e *orm.AttemptEvent) {
	span := scopeSpan(ctx)
	if span.IsRecording() {
		span.SetAttributes(CommittedKey.Bool(e.Committed), WillRetryKey.Bool(e.WillRetry))
		if e.Err != nil {
			code := statusCode(e.Err)
			fail(span, e.Err, code, errorType(e.Err))
		}
	}
	span.End()
}

// retryReason names the failure that made RunInTx run another attempt.
func retryReason(err error) string {
	switch {
	case errors.Is(err, orm.ErrSerialization):
		return "serialization_failure"
	case errors.Is(err, orm.ErrDeadlock):
		return "deadlock"
	case errors.Is(err, orm.ErrLockTimeout):
		return "lock_timeout"
	case errors.Is(err, orm.ErrConnectionLost):
		return "connection_lost"
	}
	return "other"
}
