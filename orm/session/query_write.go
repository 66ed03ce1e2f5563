package session

import (
	"context"
	"database/sql"
)

// Update runs UPDATE ... SET (columns by column or Go field name) WHERE the
// query's conditions, and returns the number of rows matched. Without any
// condition it fails with ErrMissingWhere unless AllRows was called. In a session
// the updated columns of tracked objects of T are expired, so that the
// session never shows stale values.
func (q *Query[T]) Update(ctx context.Context, set map[string]any) (int64, error) {
	if err := q.enter("Query.Update"); err != nil {
		return 0, err
	}
	defer q.exit()
	if q.err != nil {
		return 0, q.err
	}
	s, args, fields, err := q.sel.BuildUpdate(q.db.dialect, set)
	if err != nil {
		return 0, err
	}
	c, inTx, err := q.prepareWrite(ctx)
	if err != nil {
		return 0, err
	}
	res, err := q.db.exec(ctx, c, inTx, s, args...)
	if err != nil {
		return 0, err
	}
	if q.s != nil {
		cols := make([]string, len(fields))
		for i, f := range fields {
			cols[i] = f.Column
		}
		for _, e := range q.s.im.byPtr.All() {
			if e.model == q.sel.Model && e.state == StatePersistent {
				if q.s.tx != nil && e.snapshot != nil {
					// Journal it, so that a rollback of a savepoint
					// the UPDATE ran in expires it again; the entry
					// gets its own copy of the journaled snapshot,
					// which reloads change in place.
					q.s.tx.record(e)
					e.snapshot = takeSnapshot(e.model, e.snapshot)
				}
				q.s.expire(e, cols)
			}
		}
	}
	return res.RowsAffected()
}

// prepareWrite is prepare for set-based writes: in a session they run in
// its transaction, opened if needed (AutoBegin).
func (q *Query[T]) prepareWrite(ctx context.Context) (conn, bool, error) {
	c, inTx, err := q.prepare(ctx)
	if q.s != nil {
		q.s.wrote = true
	}
	if err != nil || q.s == nil || inTx {
		return c, inTx, err
	}
	if err := q.s.begin(context.WithoutCancel(ctx), q.s.cfg.TxOptions); err != nil {
		return nil, false, err
	}
	c, inTx = q.s.conn()
	return c, inTx, nil
}

// Delete runs DELETE FROM ... WHERE the query's conditions and returns the
// number of rows deleted. Without any condition it fails with
// ErrMissingWhere unless AllRows was called. In a session, tracked objects of T whose rows it
// deletes are detached (their keys are fetched first).
func (q *Query[T]) Delete(ctx context.Context) (int64, error) {
	if err := q.enter("Query.Delete"); err != nil {
		return 0, err
	}
	defer q.exit()
	if q.err != nil {
		return 0, q.err
	}
	s, args, err := q.sel.BuildDelete(q.db.dialect)
	if err != nil {
		return 0, err
	}
	c, inTx, err := q.prepareWrite(ctx)
	if err != nil {
		return 0, err
	}
	m := q.sel.Model
	var victims []*entry
	if q.s != nil && q.s.tracks(m) {
		keys := make([]string, len(m.PrimaryKey))
		for i, f := range m.PrimaryKey {
			keys[i] = f.Column
		}
		ks, kargs, err := q.sel.BuildColumns(q.db.dialect, keys)
		if err != nil {
			return 0, err
		}
		_, p := m.New()
		dest := make([]any, len(keys))
		for i, f := range m.PrimaryKey {
			sc := f.Scanner()
			sc.Bind(p)
			dest[i] = sc
		}
		_, err = q.db.query(ctx, c, inTx, ks, kargs, func(rows *sql.Rows) error {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if id, ok, _ := keyOf(m, p); ok {
				if e := q.s.im.lookupID(id); e != nil {
					victims = append(victims, e)
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	res, err := q.db.exec(ctx, c, inTx, s, args...)
	if err != nil {
		return 0, err
	}
	for _, e := range victims {
		if q.s.tx != nil {
			q.s.tx.record(e).deleted()
		}
		q.s.im.drop(e)
		e.state = StateDetached
	}
	return res.RowsAffected()
}
