package orm_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/faultdriver"
	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Dropped connections (issue 8, item 3): the server ends the session's
// connection in the middle of its transaction (pg_terminate_backend on
// PostgreSQL, KILL on MariaDB/MySQL). SQLite has no server to drop a
// connection; there the fault driver's driver.ErrBadConn stands in for it
// (the connection is closed under the transaction, as a crash would).

// ftPid receives the server's id of the session's connection through
// orm.Raw, which runs in the session's transaction. It has no table.
type ftPid struct {
	ID int64 `sqlmodel:"pk"`
}

func (ftPid) TableName() string { return "ft_pid" }

// ftConnLost reports whether err says that the connection was lost: every
// form the drivers use (driver.ErrBadConn, mysql.ErrInvalidConn, PostgreSQL
// class 08 and 57P01-57P03 from pgx or lib/pq, pgx's "conn closed", an
// unexpected EOF, a network error) must match orm.ErrConnectionLost.
func ftConnLost(err error) bool {
	return errors.Is(err, orm.ErrConnectionLost)
}

// ftBackendID returns the server's id of the only connection of the faulty
// pool (its MaxOpenConns is 1).
func ftBackendID(t *testing.T, env *ftEnv) int64 {
	t.Helper()
	q := "SELECT pg_backend_pid()"
	if env.tg.Dialect == "mysql" {
		q = "SELECT CONNECTION_ID()"
	}
	var id int64
	ftOK(t, env.pool.QueryRowContext(ftCtx(t), q).Scan(&id), "backend id")
	return id
}

// ftKill ends the server connection id from the plain pool and waits until
// the server no longer lists it.
func ftKill(ctx context.Context, env *ftEnv, id int64) error {
	db := env.plain.SQL()
	var gone string
	switch env.tg.Dialect {
	case "postgres":
		var ok bool
		if err := db.QueryRowContext(ctx, "SELECT pg_terminate_backend($1, 5000)", id).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("pg_terminate_backend(%d) = false", id)
		}
		gone = "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1"
	case "mysql":
		if _, err := db.ExecContext(ctx, fmt.Sprintf("KILL %d", id)); err != nil {
			return err
		}
		gone = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?"
	default:
		return fmt.Errorf("no server to kill a connection on %s", env.tg.Dialect)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		var n int
		if err := db.QueryRowContext(ctx, gone, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("connection %d still listed 5 s after the kill", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ftKillHook kills the session's connection just before the at-th data
// statement after arming.
type ftKillHook struct {
	mu     sync.Mutex
	n, at  int
	kill   func() error
	fired  bool
	err    error
	failed []string
}

func (h *ftKillHook) arm(at int, kill func() error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n, h.at, h.kill, h.fired, h.err, h.failed = 0, at, kill, false, nil, nil
}

func (h *ftKillHook) BeforeQuery(ctx context.Context, e *orm.QueryEvent) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.kill == nil || (e.Op != "exec" && e.Op != "query") {
		return ctx
	}
	h.n++
	if h.n == h.at {
		h.err, h.fired, h.kill = h.kill(), true, nil
	}
	return ctx
}

func (h *ftKillHook) AfterQuery(_ context.Context, e *orm.QueryEvent) {
	if e.Err != nil {
		h.mu.Lock()
		h.failed = append(h.failed, e.Op+" "+e.Query+": "+e.Err.Error())
		h.mu.Unlock()
	}
}

// The server drops the connection before each statement of the reference
// flush in turn: the error says the connection was lost, the database holds
// nothing of the flush, the session is as before it, the pool replaces the
// connection and a retry of Commit lands everything.
func TestDropConnEveryStatementOfFlush(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		stmts := ftLearn(t, env)
		env.pool.SetMaxOpenConns(1) // the connection whose id we read is the session's
		hook := &ftKillHook{}
		db := env.faulty.WithQueryHook(hook)
		for i := range stmts {
			t.Run(fmt.Sprintf("drop/%02d", i+1), func(t *testing.T) {
				ctx := ftCtx(t)
				ftSeed(t, env.plain)
				s := orm.NewSession(db)
				defer s.Close()
				sc := ftStage(t, ctx, s)
				dbBefore := ftDump(t, env.plain)
				before := sc.capture(s)
				if tg.Dialect == "sqlite" {
					env.ctl.Arm(faultdriver.Fault{Action: faultdriver.BadConn, At: i + 1})
				} else {
					id := ftBackendID(t, env)
					hook.arm(i+1, func() error { return ftKill(ctx, env, id) })
				}
				err := s.Commit(ctx)
				env.ctl.Disarm()
				if tg.Dialect != "sqlite" && (!hook.fired || hook.err != nil) {
					t.Fatalf("the connection was not dropped: fired %v, %v", hook.fired, hook.err)
				}
				if err == nil {
					t.Fatal("Commit succeeded on a dropped connection")
				}
				if !ftConnLost(err) {
					t.Fatalf("Commit = %v: not recognisable as a lost connection", err)
				}
				var fe *orm.FlushError
				if !errors.As(err, &fe) {
					t.Fatalf("Commit = %v, want a *orm.FlushError", err)
				}
				if i == 0 {
					t.Logf("%s: %v", tg.Dialect, err)
				}
				if s.InTransaction() {
					t.Fatal("the session is still in the lost transaction")
				}
				ftEqual(t, "database after the dropped connection", ftDump(t, env.plain), dbBefore)
				ftSameSession(t, "after the dropped connection", sc.capture(s), before)
				ftCheckPool(t, env, 0)
				ftOK(t, s.Commit(ctx), "retry Commit")
				sc.checkDone(t, s)
				ftEqual(t, "database after the retry", ftLogical(t, env.plain), ftWant)
			})
		}
	})
}

// The connection of a session's open transaction is dropped between two
// flushes. The next flush fails with a lost-connection error and leaves
// the session in its (dead) transaction, as before the flush; Rollback
// ends it (it may report the dead connection) and leaves the session as
// after any rollback: nothing of the transaction in the database, the
// object inserted by the first flush transient again. The session then
// does the whole unit of work again on a new connection.
func TestDropConnMidTransaction(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		ftOK(t, env.faulty.Register(&ftPid{}), "Register ftPid")
		ctx := ftCtx(t)
		ftSeed(t, env.plain)
		dbBefore := ftDump(t, env.plain)
		s := orm.NewSession(env.faulty)
		defer s.Close()
		ftOK(t, s.Begin(ctx), "Begin")
		early := &ftAuthor{Name: "early"}
		ftOK(t, s.Add(early), "Add")
		ftOK(t, s.Flush(ctx), "first Flush")
		if early.ID == 0 {
			t.Fatal("no key after the first flush")
		}
		// The reference changes, loaded in the transaction, not flushed.
		sc := ftStage(t, ctx, s)
		switch tg.Dialect {
		case "sqlite":
			env.ctl.Arm(faultdriver.Fault{Action: faultdriver.BadConn, At: 1})
		default:
			q := "SELECT pg_backend_pid() AS id"
			if tg.Dialect == "mysql" {
				q = "SELECT CONNECTION_ID() AS id"
			}
			// Without flushing the staged changes: they stay pending.
			var pid []*ftPid
			var err error
			s.NoAutoFlush(func() { pid, err = orm.Raw[ftPid](ctx, s, q) })
			ftOK(t, err, "backend id in the session's transaction")
			ftOK(t, s.Expunge(pid[0]), "Expunge")
			ftOK(t, ftKill(ctx, env, pid[0].ID), "kill")
		}
		err := s.Commit(ctx)
		env.ctl.Disarm()
		if err == nil || !ftConnLost(err) {
			t.Fatalf("Commit on the dropped connection = %v, want a lost-connection error", err)
		}
		t.Logf("%s: %v", tg.Dialect, err)
		// The transaction died with its connection: the session ends it
		// at once, as after Rollback, and a Rollback that follows is a
		// quiet no-op.
		if s.InTransaction() {
			t.Fatal("the session is still in the lost transaction")
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatalf("Rollback after the lost transaction: %v", err)
		}
		ftEqual(t, "database after the dropped connection", ftDump(t, env.plain), dbBefore)
		flState(t, s, early, orm.StateDetached, false, "early (inserted in the lost transaction)")
		if early.ID != 0 {
			t.Fatalf("early kept key %d", early.ID)
		}
		ftCheckPool(t, env, 0)

		// The same session goes on: the changes staged in the lost
		// transaction are still pending (they were never flushed), the
		// objects loaded in it are expired and reload.
		ftOK(t, s.Add(early), "Add early again")
		ftOK(t, s.Commit(ctx), "Commit on a new connection")
		sc.checkDone(t, s)
		ftEqual(t, "database", ftLogical(t, env.plain), append([]string{"author: ann2", "author: bob", "author: cid", "author: early"}, ftWant[3:]...))
	})
}
