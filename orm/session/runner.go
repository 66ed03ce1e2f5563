package session

import (
	"context"
	"database/sql"
)

// runner sends the statements of one flush or bulk call on one connection.
// A text run a second time is prepared on the connection and reused for
// the rest of the call: one parse for a thousand UPDATEs or INSERT chunks,
// where drivers would otherwise prepare every time.
type runner struct {
	db   *DB
	c    conn
	inTx bool // c is a transaction (else the pool: one statement, no BEGIN)
	// first is the first text run; the maps are made at the second one, so
	// that a call of one statement allocates nothing for them.
	first string
	uses  map[string]int
	stmts map[string]*sql.Stmt
	// pipe, when set, queues the statements given to execCheck and sends
	// them as one batch (pgx): see pipeline.go. Prepared statements are
	// not used then; pgx's statement cache serves repeated texts.
	pipe *pipeline
}

// stmtConn runs a prepared statement through the conn interface, so that
// it still passes through the query hooks and error classification.
type stmtConn struct{ st *sql.Stmt }

func (c stmtConn) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return c.st.ExecContext(ctx, args...)
}

func (c stmtConn) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return c.st.QueryContext(ctx, args...)
}

// exec runs a statement, prepared once its text repeats.
func (r *runner) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if r.pipe != nil {
		return r.db.exec(ctx, r.c, r.inTx, q, args...)
	}
	if st := r.prepared(ctx, q); st != nil {
		return r.db.exec(ctx, stmtConn{st}, r.inTx, q, args...)
	}
	return r.db.exec(ctx, r.c, r.inTx, q, args...)
}

// query runs a statement that returns rows, calling each per row.
func (r *runner) query(ctx context.Context, q string, args []any, each func(*sql.Rows) error) (int64, error) {
	return r.db.query(ctx, r.c, r.inTx, q, args, each)
}

// prepared returns the statement prepared for q, preparing it on its
// second use; nil to run q unprepared.
func (r *runner) prepared(ctx context.Context, q string) *sql.Stmt {
	if r.uses == nil {
		if r.first == "" {
			r.first = q
			return nil
		}
		r.uses, r.stmts = map[string]int{r.first: 1}, map[string]*sql.Stmt{}
	}
	r.uses[q]++
	st := r.stmts[q]
	if st != nil || r.uses[q] != 2 {
		return st
	}
	p, ok := r.c.(interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	})
	if !ok {
		return nil
	}
	if st, err := p.PrepareContext(ctx, q); err == nil {
		r.stmts[q] = st
		return st
	}
	return nil
}

// close releases the prepared statements.
func (r *runner) close() {
	for _, st := range r.stmts {
		_ = st.Close()
	}
	r.stmts, r.uses, r.first = nil, nil, ""
}
