package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Conn is what statements run on: the pool (*sqlx.DB, *sql.DB), a
// transaction (*sqlx.Tx, *sql.Tx), a connection (*sql.Conn), or a replica
// returned by Reader.
type Conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ErrStop, returned by the each function of QueryEach, ends the read
// early without counting as a failed statement: the hooks see no error,
// and QueryEach returns ErrStop for the caller to recognise.
var ErrStop = errors.New("orm: iteration stopped")

// Before starts the hooks' record of a statement that the caller runs
// itself (such as a COPY): it runs every hook's BeforeQuery and returns the
// context to run the statement with and the event to give to After. It
// returns a nil event, at no cost, when there are no hooks. node is
// NodePrimary or a replica's label.
func (e *Engine) Before(ctx context.Context, op, query string, args []any, inTx bool, node string) (context.Context, *QueryEvent) {
	return e.before(ctx, op, query, args, inTx, node, nil)
}

// before is Before for a statement of the observed transaction tx (nil
// when there is none).
func (e *Engine) before(ctx context.Context, op, query string, args []any, inTx bool, node string, tx *TxEvent) (context.Context, *QueryEvent) {
	if len(e.hooks) == 0 {
		return ctx, nil
	}
	ev := &QueryEvent{Op: op, Query: query, Args: args, InTx: inTx, Node: node, Tx: tx, Start: time.Now(), Rows: -1}
	for _, h := range e.hooks {
		ctx = h.BeforeQuery(ctx, ev)
	}
	return ctx, ev
}

// After ends the hooks' record of a statement begun with Before: it sets
// the event's duration, rows (-1 when unknown) and error, and runs every
// hook's AfterQuery, in reverse order. A nil event does nothing.
func (e *Engine) After(ctx context.Context, ev *QueryEvent, rows int64, err error) {
	if ev == nil {
		return
	}
	ev.Duration, ev.Rows, ev.Err = time.Since(ev.Start), rows, err
	e.countInFlush(ctx, ev)
	for i := len(e.hooks) - 1; i >= 0; i-- {
		e.hooks[i].AfterQuery(ctx, ev)
	}
}

// Exec runs a statement without a result set on c through the hooks and
// classifies its error (dialect.Classify). inTx tells the hooks that c is
// a transaction.
func (e *Engine) Exec(ctx context.Context, c Conn, inTx bool, query string, args ...any) (sql.Result, error) {
	args = e.bindTimes(args)
	hctx, ev := e.before(ctx, "exec", query, args, inTx, nodeOf(c), e.txOf(c))
	res, err := c.ExecContext(hctx, query, args...)
	err = withCtxErr(hctx, e.dialect.ClassifyError(err))
	var n int64 = -1
	if err == nil && ev != nil {
		if k, rerr := res.RowsAffected(); rerr == nil {
			n = k
		}
	}
	e.After(hctx, ev, n, err)
	return res, err
}

// Classify is the error a statement's failure becomes, as Exec returns it:
// classified by the dialect (ErrUniqueViolation, ErrConnectionLost, ...)
// and matching ctx.Err() when ctx ended. For statements the caller sends
// itself (a pipeline), between Before and After.
func (e *Engine) Classify(ctx context.Context, err error) error {
	return withCtxErr(ctx, e.dialect.ClassifyError(err))
}

// QueryEach runs a statement with a result set on c and calls each for
// every row until it returns an error; it returns the number of rows read.
// The hooks see the whole run, rows included. On a replica (see Reader), a
// failure before the first row that the replica's health check confirms
// moves the statement to another replica, and at last to the primary.
func (e *Engine) QueryEach(ctx context.Context, c Conn, inTx bool, query string, args []any, each func(*sql.Rows) error) (int64, error) {
	if r, ok := c.(*replica); ok {
		return e.queryReplica(ctx, r, query, args, each)
	}
	return e.queryOn(ctx, c, inTx, query, args, each)
}

// queryOn runs query on c, on that connection only.
func (e *Engine) queryOn(ctx context.Context, c Conn, inTx bool, query string, args []any, each func(*sql.Rows) error) (int64, error) {
	args = e.bindTimes(args)
	hctx, ev := e.before(ctx, "query", query, args, inTx, nodeOf(c), e.txOf(c))
	var n int64
	err := func() error {
		rows, err := c.QueryContext(hctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			n++
			if err := each(rows); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return rows.Close()
	}()
	err = withCtxErr(hctx, e.dialect.ClassifyError(err))
	if errors.Is(err, ErrStop) {
		// The consumer stopped early: not a failed statement.
		e.After(hctx, ev, n, nil)
		return n, err
	}
	e.After(hctx, ev, n, err)
	return n, err
}

// bindTimes returns args with every time in UTC on a database that stores
// times as text (SQLite), so that stored times, and the times they are
// compared with, are in one zone and compare and sort as instants. args is
// copied only when it holds a time in another zone.
func (e *Engine) bindTimes(args []any) []any {
	if !e.textTimes {
		return args
	}
	var out []any
	for i, a := range args {
		var t time.Time
		switch x := a.(type) {
		case time.Time:
			t = x
		case *time.Time:
			if x == nil {
				continue
			}
			t = *x
		case sql.NullTime:
			if !x.Valid {
				continue
			}
			t = x.Time
		default:
			continue
		}
		if t.Location() == time.UTC {
			if _, isTime := a.(time.Time); isTime {
				continue
			}
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = t.UTC()
	}
	if out == nil {
		return args
	}
	return out
}

// withCtxErr makes a statement's error match ctx.Err() when ctx ended:
// lib/pq reports a statement it cancelled as SQLSTATE 57014 only, and
// callers test cancellation with errors.Is(err, context.Canceled).
func withCtxErr(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if err == nil || cerr == nil || errors.Is(err, cerr) || errors.Is(err, ErrStop) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, cerr)
}

// Control runs a transaction-control step (begin, commit, rollback,
// savepoint) on the primary: fn does it, and the hooks record it with Op
// set to op and Query to query. Its error is classified.
func (e *Engine) Control(ctx context.Context, op, query string, fn func(context.Context) error) error {
	return e.ControlTx(ctx, nil, op, query, fn)
}

// ControlTx is Control for a step of the observed transaction tx (nil
// when it is not observed): the hooks see tx in QueryEvent.Tx.
func (e *Engine) ControlTx(ctx context.Context, tx *TxEvent, op, query string, fn func(context.Context) error) error {
	hctx, ev := e.before(ctx, op, query, nil, true, NodePrimary, tx)
	err := e.dialect.ClassifyError(fn(hctx))
	e.After(hctx, ev, -1, err)
	return err
}
