package session

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Streaming and writing in one transaction. A result set keeps its
// connection busy until it is read to the end, and inside a transaction
// every statement of the session needs that connection. Iter therefore
// reads a session's rows in a way that leaves the connection usable by the
// loop body:
//
//   - PostgreSQL, in a transaction: a server-side cursor (DECLARE ... CURSOR,
//     then FETCH in batches of iterBatch rows), so memory stays bounded and
//     the connection is free between batches;
//   - SQLite, in a transaction: the connection runs statements while a
//     result is open (InterleavedResults), so rows stream as they are;
//   - MySQL/MariaDB, in a transaction: rows stream until the session needs
//     the connection for another statement; then the rest of the result is
//     read into memory first (drainIters), and the loop goes on from there;
//   - outside a transaction the loop body's statements take other
//     connections of the pool, except on a pool of one connection (a
//     private SQLite in-memory database), where Iter reads its whole result
//     before the loop.

// iterBatch is the number of rows a cursor FETCH reads at a time.
const iterBatch = 256

// iterDrain is an open result set of Iter that the session reads to the
// end (into memory) before it runs another statement on its connection.
type iterDrain struct {
	drain func() error
	err   error
	done  bool
}

// drainIters reads the rest of every open Iter result set on the
// session's transaction into memory, so that the connection can run
// another statement.
func (s *Session) drainIters() {
	for _, it := range s.iters {
		if !it.done {
			it.done = true
			it.err = it.drain()
		}
	}
}

// iterate runs the query for Iter: each is called with every row's object,
// resolved through the identity map when the row's turn comes.
func (q *Query[T]) iterate(ctx context.Context, sqlText string, args []any, each func(*T) error) error {
	s := q.s
	if s == nil {
		return q.run(ctx, sqlText, args, each)
	}
	c, inTx, err := q.prepareRead(ctx)
	if err != nil {
		return err
	}
	f := q.db.dialect.Features()
	switch {
	case inTx && f.Has(dialect.Cursors):
		return q.iterCursor(ctx, c, sqlText, args, each)
	case inTx && !f.Has(dialect.InterleavedResults):
		return q.iterDrainable(ctx, c, sqlText, args, each)
	case !inTx && q.db.singleConn:
		return q.iterBuffered(ctx, c, sqlText, args, each)
	}
	return q.runOn(ctx, c, inTx, sqlText, args, each)
}

// yieldRows resolves buffered rows and passes them on, in order.
func (q *Query[T]) yieldRows(ctx context.Context, m *schema.Model, rows []unsafe.Pointer, each func(*T) error) error {
	for _, p := range rows {
		out, err := q.resolve(ctx, m, p)
		if err != nil {
			return err
		}
		if err := each((*T)(out)); err != nil {
			return err
		}
	}
	return nil
}

// iterCursor reads the result through a server-side cursor in batches.
func (q *Query[T]) iterCursor(ctx context.Context, c conn, sqlText string, args []any, each func(*T) error) error {
	s, m := q.s, q.sel.Model
	s.iterSeq++
	name := q.db.dialect.Quote("sqlm_iter_" + strconv.Itoa(s.iterSeq))
	if _, err := q.db.exec(ctx, c, true, "DECLARE "+name+" NO SCROLL CURSOR FOR "+sqlText, args...); err != nil {
		return err
	}
	tx := s.tx
	defer func() {
		// Closed while its transaction lives (a commit in the loop body
		// closed it already).
		if s.tx == tx && tx != nil {
			_, _ = q.db.exec(context.WithoutCancel(ctx), tx.tx, true, "CLOSE "+name)
		}
	}()
	sc := q.db.getScanner(m)
	defer q.db.putScanner(sc)
	fetch := "FETCH FORWARD " + strconv.Itoa(iterBatch) + " FROM " + name
	batch := make([]unsafe.Pointer, 0, iterBatch)
	for {
		if s.tx != tx {
			return errors.New("orm: Iter: the transaction ended inside the loop")
		}
		batch = batch[:0]
		_, err := q.db.query(ctx, tx.tx, true, fetch, nil, func(rows *sql.Rows) error {
			p, err := sc.scan(rows)
			if err == nil {
				batch = append(batch, p)
			}
			return err
		})
		if err != nil {
			return err
		}
		if err := q.yieldRows(ctx, m, batch, each); err != nil {
			return err
		}
		if len(batch) < iterBatch {
			return nil
		}
	}
}

// iterDrainable streams the result, reading the rest of it into memory when
// the session needs the connection for another statement.
func (q *Query[T]) iterDrainable(ctx context.Context, c conn, sqlText string, args []any, each func(*T) error) error {
	s, m := q.s, q.sel.Model
	sc := q.db.getScanner(m)
	defer q.db.putScanner(sc)
	var rest []unsafe.Pointer
	it := &iterDrain{}
	s.iters = append(s.iters, it)
	defer func() {
		for i, x := range s.iters {
			if x == it {
				s.iters = append(s.iters[:i], s.iters[i+1:]...)
				break
			}
		}
	}()
	_, err := q.db.query(ctx, c, true, sqlText, args, func(rows *sql.Rows) error {
		if it.drain == nil {
			it.drain = func() error {
				for rows.Next() {
					p, err := sc.scan(rows)
					if err != nil {
						return err
					}
					rest = append(rest, p)
				}
				return rows.Err()
			}
		}
		return q.scanRow(ctx, m, sc, rows, each)
	})
	if err != nil {
		return err
	}
	it.done = true // nothing left to drain: the result was read to the end
	if it.err != nil {
		return it.err
	}
	return q.yieldRows(ctx, m, rest, each)
}

// iterBuffered reads the whole result before the loop: the pool's only
// connection must be free for the loop body's statements.
func (q *Query[T]) iterBuffered(ctx context.Context, c conn, sqlText string, args []any, each func(*T) error) error {
	m := q.sel.Model
	sc := q.db.getScanner(m)
	defer q.db.putScanner(sc)
	var rows []unsafe.Pointer
	_, err := q.db.query(ctx, c, false, sqlText, args, func(r *sql.Rows) error {
		p, err := sc.scan(r)
		if err == nil {
			rows = append(rows, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	return q.yieldRows(ctx, m, rows, each)
}
