package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// QueryEvent describes one statement sent to the database. Hooks receive the
// same *QueryEvent before and after the statement runs.
type QueryEvent struct {
	// Op is "exec" for statements without a result set, "query" otherwise,
	// and "begin", "commit", "rollback" or "savepoint" for transaction control.
	Op    string
	Query string
	Args  []any
	// InTx reports that the statement ran inside a transaction.
	InTx bool
	// Node names the database that served the statement: NodePrimary
	// ("primary") or a replica ("replica:0", "replica:1", ... in the order
	// given to WithReplicas or WithReplicaDBs).
	Node string
	// Tx is the observed transaction the statement runs in (see
	// TxObserver); nil outside one, when no hook observes transactions,
	// and for the prepared or pipelined statements of a flush (whose
	// FlushEvent.Tx has it).
	Tx    *TxEvent
	Start time.Time
	// Duration, Rows and Err are set after the statement ran. Rows is the
	// number of rows affected (exec) or read (query), -1 when unknown.
	Duration time.Duration
	Rows     int64
	Err      error
}

// QueryHook observes statements. BeforeQuery may return a derived context
// (for tracing spans); AfterQuery runs with that context once the statement
// has finished, including reading all rows of a query. Hooks run in the
// order they were added before a statement and in reverse order after it.
// A hook must be safe for concurrent use when its DB is shared.
type QueryHook interface {
	BeforeQuery(ctx context.Context, e *QueryEvent) context.Context
	AfterQuery(ctx context.Context, e *QueryEvent)
}

// AfterQueryFunc adapts a function to a QueryHook that only observes
// finished statements.
type AfterQueryFunc func(ctx context.Context, e *QueryEvent)

// BeforeQuery implements QueryHook; it returns ctx unchanged.
func (f AfterQueryFunc) BeforeQuery(ctx context.Context, _ *QueryEvent) context.Context { return ctx }

// AfterQuery implements QueryHook.
func (f AfterQueryFunc) AfterQuery(ctx context.Context, e *QueryEvent) { f(ctx, e) }

// slogHook logs each finished statement at debug level (with its arguments)
// and failed statements at warn level (without them). Bound values reach
// the log only at debug level: a driver's error message may quote them
// (MySQL's "Duplicate entry 'v'", PostgreSQL's "invalid input syntax for
// type integer: "v""), so below debug level a failure is logged with a
// value-free summary of its error instead of the message.
type slogHook struct{ l *slog.Logger }

func (h slogHook) BeforeQuery(ctx context.Context, _ *QueryEvent) context.Context { return ctx }

func (h slogHook) AfterQuery(ctx context.Context, e *QueryEvent) {
	debug := h.l.Enabled(ctx, slog.LevelDebug)
	if e.Err != nil {
		msg := errorSummary(e.Err)
		if debug {
			msg = e.Err.Error()
		}
		h.l.LogAttrs(ctx, slog.LevelWarn, "orm: statement failed", slog.String("op", e.Op), slog.String("query", e.Query),
			slog.Duration("duration", e.Duration), slog.String("error", msg))
		return
	}
	if !debug {
		return
	}
	h.l.LogAttrs(ctx, slog.LevelDebug, "orm: statement", slog.String("op", e.Op), slog.String("query", e.Query),
		slog.Any("args", e.Args), slog.Duration("duration", e.Duration), slog.Int64("rows", e.Rows), slog.Bool("tx", e.InTx))
}

// errorSummary describes err without its message: the classified kind and
// names (constraint, table, column) or the SQLSTATE, else the error's type.
func errorSummary(err error) string {
	var ce *dialect.ConstraintError
	if errors.As(err, &ce) {
		return fmt.Sprintf("%v (code %s, constraint %q, table %q, column %q)", ce.Kind, ce.Code, ce.Constraint, ce.Table, ce.Column)
	}
	var re *dialect.RetryableError
	if errors.As(err, &re) {
		return fmt.Sprintf("%v (code %s)", re.Kind, re.Code)
	}
	for _, known := range []error{context.Canceled, context.DeadlineExceeded, dialect.ErrDBClosed, sql.ErrTxDone, sql.ErrConnDone, driver.ErrBadConn} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	var coded interface{ SQLState() string } // pgconn.PgError, pq.Error
	if errors.As(err, &coded) {
		return fmt.Sprintf("SQLSTATE %s (message logged at debug level)", coded.SQLState())
	}
	inner := err
	for u := errors.Unwrap(inner); u != nil; u = errors.Unwrap(inner) {
		inner = u
	}
	return fmt.Sprintf("%T (message logged at debug level)", inner)
}
