package session

import (
	"context"
	"database/sql"
	"log/slog"

	"github.com/sqlmodel-go/sqlmodel/orm/engine"
)

// The unit of work runs its statements through the DB's engine
// (orm/engine). This file adapts the engine's API to the names the session
// code uses; it holds no logic of its own beyond the session's part of
// replica routing (readerFor, readConn).

// conn is what statements run on: the pool, a transaction or a connection
// (or a replica from readerFor).
type conn = engine.Conn

// errStop ends a query early when the consumer of Iter stops; the hooks
// do not see it as a failure.
var errStop = engine.ErrStop

// exec runs a statement without a result set through the hooks and
// classifies its error.
func (db *DB) exec(ctx context.Context, c conn, inTx bool, query string, args ...any) (sql.Result, error) {
	return db.eng.Exec(ctx, c, inTx, query, args...)
}

// query runs a statement with a result set and calls each for every row
// until it returns an error. The hooks see the whole run, rows included.
// On a replica, a failure before the first row that the replica's health
// check confirms moves the statement to another node.
func (db *DB) query(ctx context.Context, c conn, inTx bool, query string, args []any, each func(*sql.Rows) error) (int64, error) {
	return db.eng.QueryEach(ctx, c, inTx, query, args, each)
}

// control runs a transaction-control step (begin, commit, rollback,
// savepoint) and records it in the hooks with Op set to op.
func (db *DB) control(ctx context.Context, op, query string, fn func(context.Context) error) error {
	return db.eng.Control(ctx, op, query, fn)
}

// before and after record in the hooks a statement the session runs itself
// (COPY); see engine.Engine.Before.
func (db *DB) before(ctx context.Context, op, query string, args []any, inTx bool, node string) (context.Context, *QueryEvent) {
	return db.eng.Before(ctx, op, query, args, inTx, node)
}

func (db *DB) after(ctx context.Context, e *QueryEvent, rows int64, err error) {
	db.eng.After(ctx, e, rows, err)
}

// readerFor returns where a read outside a transaction runs: a healthy
// replica, or primary (the connection the caller would use otherwise) when
// there is none, when ctx asks for the primary, or when s has written and
// reads its writes.
func (db *DB) readerFor(ctx context.Context, s *Session, primary conn) conn {
	if !db.eng.HasReplicas() {
		return primary
	}
	if s != nil && (s.forWrite > 0 || s.wrote && s.cfg.ReadYourWrites) {
		// A write depends on this read (flush cascade, refresh of a
		// changed object, merge), or the session has written.
		return primary
	}
	return db.eng.Reader(ctx, primary)
}

// rawOnReplica reports whether hand-written SQL (Raw) may run on a
// replica: the DB has replicas and ctx came from ReadFromReplica.
func (db *DB) rawOnReplica(ctx context.Context) bool {
	return db.eng.HasReplicas() && engine.ReplicaAllowed(ctx)
}

// readConn is conn for reads: the session's transaction when one is open,
// else a replica or the primary pool (readerFor).
func (s *Session) readConn(ctx context.Context) (conn, bool) {
	if s.tx != nil {
		return s.conn()
	}
	return s.db.readerFor(ctx, s, s.db.x), false
}

// autoIncrementStep returns MySQL's auto_increment_increment, read once.
func (db *DB) autoIncrementStep(ctx context.Context, c conn) (int64, error) {
	if v := db.incStep.Load(); v > 0 {
		return v, nil
	}
	var step int64 = 1
	_, err := db.query(ctx, c, true, "SELECT @@auto_increment_increment", nil, func(rs *sql.Rows) error { return rs.Scan(&step) })
	if err != nil {
		return 0, err
	}
	db.incStep.Store(step)
	return step, nil
}

// discardHandler drops every record: the logger of a session without a DB.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (h discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h discardHandler) WithGroup(string) slog.Handler           { return h }
