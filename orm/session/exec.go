package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// conn is what statements run on: the pool, a transaction or a connection.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// before runs the hooks' BeforeQuery; it returns nil when there are no hooks,
// so that statements cost nothing extra without them.
func (db *DB) before(ctx context.Context, op, query string, args []any, inTx bool, node string) (context.Context, *QueryEvent) {
	if len(db.hooks) == 0 {
		return ctx, nil
	}
	e := &QueryEvent{Op: op, Query: query, Args: args, InTx: inTx, Node: node, Start: time.Now(), Rows: -1}
	for _, h := range db.hooks {
		ctx = h.BeforeQuery(ctx, e)
	}
	return ctx, e
}

func (db *DB) after(ctx context.Context, e *QueryEvent, rows int64, err error) {
	if e == nil {
		return
	}
	e.Duration, e.Rows, e.Err = time.Since(e.Start), rows, err
	for i := len(db.hooks) - 1; i >= 0; i-- {
		db.hooks[i].AfterQuery(ctx, e)
	}
}

// exec runs a statement without a result set through the hooks and
// classifies its error.
func (db *DB) exec(ctx context.Context, c conn, inTx bool, query string, args ...any) (sql.Result, error) {
	args = db.bindTimes(args)
	hctx, e := db.before(ctx, "exec", query, args, inTx, nodeOf(c))
	res, err := c.ExecContext(hctx, query, args...)
	err = withCtxErr(hctx, db.dialect.ClassifyError(err))
	var n int64 = -1
	if err == nil && e != nil {
		if k, rerr := res.RowsAffected(); rerr == nil {
			n = k
		}
	}
	db.after(hctx, e, n, err)
	return res, err
}

// query runs a statement with a result set and calls each for every row
// until it returns an error. The hooks see the whole run, rows included.
// On a replica, a failure before the first row that the replica's health
// check confirms moves the statement to another node (see queryReplica).
func (db *DB) query(ctx context.Context, c conn, inTx bool, query string, args []any, each func(*sql.Rows) error) (int64, error) {
	if r, ok := c.(*replica); ok {
		return db.queryReplica(ctx, r, query, args, each)
	}
	return db.queryOn(ctx, c, inTx, query, args, each)
}

// queryOn runs query on c, on that connection only.
func (db *DB) queryOn(ctx context.Context, c conn, inTx bool, query string, args []any, each func(*sql.Rows) error) (int64, error) {
	args = db.bindTimes(args)
	hctx, e := db.before(ctx, "query", query, args, inTx, nodeOf(c))
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
	err = withCtxErr(hctx, db.dialect.ClassifyError(err))
	if errors.Is(err, errStop) {
		// The consumer of Iter stopped early: not a failed statement.
		db.after(hctx, e, n, nil)
		return n, err
	}
	db.after(hctx, e, n, err)
	return n, err
}

// bindTimes returns args with every time in UTC on a database that stores
// times as text (SQLite), so that stored times, and the times they are
// compared with, are in one zone and compare and sort as instants. args is
// copied only when it holds a time in another zone.
func (db *DB) bindTimes(args []any) []any {
	if !db.textTimes {
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
	if err == nil || cerr == nil || errors.Is(err, cerr) || errors.Is(err, errStop) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, cerr)
}

// control runs a transaction-control step (begin, commit, rollback,
// savepoint) and records it in the hooks with Op set to op.
func (db *DB) control(ctx context.Context, op, query string, fn func(context.Context) error) error {
	hctx, e := db.before(ctx, op, query, nil, true, NodePrimary)
	err := db.dialect.ClassifyError(fn(hctx))
	db.after(hctx, e, -1, err)
	return err
}

// ExecContext runs a statement on the pool through the DB's hooks, with
// driver errors classified (see dialect.Classify). Placeholders are the
// dialect's own.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.exec(ctx, db.x, false, query, args...)
}
