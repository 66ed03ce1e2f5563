package orm_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/faultdriver"
	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Fault injection at every statement of a flush (issue 8, item 1; DESIGN
// §5.7): the reference flush of ftStage is run once per statement with that
// statement failing (an error, or driver.ErrBadConn), and with its COMMIT
// failing. After each failure the database holds exactly what it held
// before (full dumps), the session is exactly as before (states, values,
// keys, relation fields, pending link operations, modified columns, pending
// counts), the pool is healthy, and a plain retry of Commit writes exactly
// the expected rows.

// ftLearn runs the reference flush without faults, twice (the first run
// warms per-DB caches such as MySQL's auto_increment_increment), checks its
// result and returns the statements of the second run.
func ftLearn(t *testing.T, env *ftEnv) []faultdriver.Event {
	t.Helper()
	var events []faultdriver.Event
	for range 2 {
		ctx := ftCtx(t)
		ftSeed(t, env.plain)
		s := orm.NewSession(env.faulty)
		sc := ftStage(t, ctx, s)
		env.ctl.Reset()
		ftOK(t, s.Commit(ctx), "reference Commit")
		sc.checkDone(t, s)
		ftEqual(t, "reference result", ftLogical(t, env.plain), ftWant)
		ftOK(t, s.Close(), "Close")
		events = env.ctl.Events()
	}
	var stmts []faultdriver.Event
	for _, e := range events {
		if e.Op == "exec" || e.Op == "query" {
			stmts = append(stmts, e)
		}
	}
	if len(stmts) < 10 {
		t.Fatalf("the reference flush took %d statements; expected inserts, updates, deletes and links in several tables:\n%v", len(stmts), events)
	}
	return stmts
}

// ftAttempt seeds the data, stages the reference flush in a session with
// cfg, arms f and commits; check judges the error. It then verifies the
// database and the session are as before, the pool is healthy (and, for
// Block faults, no goroutine leaked), and that a retry of Commit lands the
// expected rows.
func ftAttempt(t *testing.T, env *ftEnv, cfg orm.SessionConfig, f faultdriver.Fault, check func(t *testing.T, err error)) {
	t.Helper()
	ctx := ftCtx(t)
	ftSeed(t, env.plain)
	s := orm.NewSessionWithConfig(env.faulty, cfg)
	defer s.Close()
	sc := ftStage(t, ctx, s)
	dbBefore := ftDump(t, env.plain)
	before := sc.capture(s)
	base := ftGoroutines(env)

	env.ctl.Reset()
	env.ctl.Arm(f)
	fctx := ctx
	if f.Action == faultdriver.Block {
		var cancel context.CancelFunc
		fctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-env.ctl.Blocked():
				cancel()
			case <-fctx.Done():
			}
		}()
	}
	err := s.Commit(fctx)
	if fired := env.ctl.Fired(); len(fired) != 1 {
		env.ctl.Disarm()
		t.Fatalf("fault %v did not fire (Commit = %v); statements:\n%v", f, err, env.ctl.Events())
	}
	check(t, err)
	if s.InTransaction() {
		t.Fatal("the session is still in a transaction after the failed Commit")
	}
	ftEqual(t, "database after the failed Commit", ftDump(t, env.plain), dbBefore)
	ftSameSession(t, fmt.Sprintf("after %v (%v)", f, err), sc.capture(s), before)
	ftCheckPool(t, env, base)

	ftOK(t, s.Commit(ctx), "retry Commit")
	sc.checkDone(t, s)
	ftEqual(t, "database after the retry", ftLogical(t, env.plain), ftWant)
}

func ftIsInjected(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, faultdriver.ErrInjected) {
		t.Fatalf("Commit = %v, want the injected error", err)
	}
}

func ftIsBadConn(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, driver.ErrBadConn) {
		t.Fatalf("Commit = %v, want driver.ErrBadConn", err)
	}
}

// ftFlushErrorAt checks that err is a *FlushError naming the table of the
// failed statement (SELECTs of the flush read back generated values).
func ftFlushErrorAt(t *testing.T, err error, stmt faultdriver.Event) {
	t.Helper()
	var fe *orm.FlushError
	if !errors.As(err, &fe) {
		t.Fatalf("Commit = %v (%T), want a *orm.FlushError", err, err)
	}
	if k := flKind(stmt.Query); !strings.HasPrefix(k, "SELECT") && !strings.HasSuffix(k, " "+fe.Table) {
		t.Fatalf("FlushError names %s %s; the failed statement was %s", fe.Op, fe.Table, stmt.Query)
	}
}

func TestFaultInjectionEveryStatement(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		stmts := ftLearn(t, env)
		t.Logf("%s: the reference flush takes %d statements", tg.Dialect, len(stmts))
		for i, st := range stmts {
			t.Run(fmt.Sprintf("fail/%02d", i+1), func(t *testing.T) {
				ftAttempt(t, env, orm.DefaultSessionConfig(), faultdriver.Fault{Action: faultdriver.Fail, At: i + 1}, func(t *testing.T, err error) {
					ftIsInjected(t, err)
					ftFlushErrorAt(t, err, st)
				})
			})
		}
		// The statement runs, then the reply is an error: the database
		// executed it, the rollback must take it back.
		for i, st := range stmts {
			t.Run(fmt.Sprintf("fail-after/%02d", i+1), func(t *testing.T) {
				ftAttempt(t, env, orm.DefaultSessionConfig(), faultdriver.Fault{Action: faultdriver.Fail, At: i + 1, After: true}, func(t *testing.T, err error) {
					ftIsInjected(t, err)
					ftFlushErrorAt(t, err, st)
				})
			})
		}
	})
}

// driver.ErrBadConn at each statement: the connection dies (the server
// rolls the transaction back), ROLLBACK cannot be sent and fails too; the
// error matches driver.ErrBadConn, and the retry runs on a new connection.
func TestFaultInjectionBadConnEveryStatement(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		stmts := ftLearn(t, env)
		for i, st := range stmts {
			t.Run(fmt.Sprintf("badconn/%02d", i+1), func(t *testing.T) {
				ftAttempt(t, env, orm.DefaultSessionConfig(), faultdriver.Fault{Action: faultdriver.BadConn, At: i + 1}, func(t *testing.T, err error) {
					ftIsBadConn(t, err)
					ftFlushErrorAt(t, err, st)
				})
				if open, live := env.pool.Stats().OpenConnections, env.ctl.Live(); open != live {
					t.Fatalf("the pool holds %d connections, %d are alive: it kept the dead one", open, live)
				}
			})
		}
	})
}

// A failing COMMIT when Commit found no transaction open — the flush's
// transaction is the whole transaction, whether AutoBegin is on (the
// default) or off: the same guarantees as a failing statement, the error a
// *FlushError with Op "commit".
func TestFaultInjectionCommit(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		ftLearn(t, env)
		for _, autoBegin := range []bool{true, false} {
			cfg := orm.DefaultSessionConfig()
			cfg.AutoBegin = autoBegin
			name := fmt.Sprintf("autobegin=%v", autoBegin)
			t.Run(name+"/fail", func(t *testing.T) {
				ftAttempt(t, env, cfg, faultdriver.Fault{Action: faultdriver.Fail, Commit: true}, func(t *testing.T, err error) {
					ftIsInjected(t, err)
					var fe *orm.FlushError
					if !errors.As(err, &fe) || fe.Op != "commit" {
						t.Fatalf("Commit = %v, want a *FlushError with Op commit", err)
					}
				})
			})
			t.Run(name+"/badconn", func(t *testing.T) {
				ftAttempt(t, env, cfg, faultdriver.Fault{Action: faultdriver.BadConn, Commit: true}, ftIsBadConn)
			})
		}
	})
}

// A failing COMMIT of a transaction the session held before Commit (Begin,
// or earlier flushes): the database holds nothing of the transaction, and
// the session is as after Rollback (DESIGN §5.8): the objects inserted in it are
// transient again with their keys reset, the deleted one is tracked again,
// the updated ones have their committed values back and are expired; the
// pending link operations were written and are gone. The unit of work must
// be done again, as RunInTx does; doing it again lands the expected rows.
func TestFaultInjectionCommitSessionTransaction(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		ftLearn(t, env)
		for _, action := range []faultdriver.Action{faultdriver.Fail, faultdriver.BadConn} {
			t.Run(action.String(), func(t *testing.T) {
				ctx := ftCtx(t)
				ftSeed(t, env.plain)
				dbBefore := ftDump(t, env.plain)
				s := orm.NewSession(env.faulty)
				defer s.Close()
				ftOK(t, s.Begin(ctx), "Begin")
				sc := ftStage(t, ctx, s)
				env.ctl.Reset()
				env.ctl.Arm(faultdriver.Fault{Action: action, Commit: true})
				err := s.Commit(ctx)
				if action == faultdriver.Fail {
					ftIsInjected(t, err)
				} else {
					ftIsBadConn(t, err)
				}
				if s.InTransaction() {
					t.Fatal("still in a transaction")
				}
				ftEqual(t, "database after the failed COMMIT", ftDump(t, env.plain), dbBefore)
				for _, o := range []any{sc.cid, sc.b4, sc.b5, sc.sqlTag} {
					flState(t, s, o, orm.StateDetached, false, fmt.Sprintf("%+v", o))
				}
				if sc.cid.ID != 0 || sc.b4.ID != 0 || sc.b5.ID != 0 || sc.sqlTag.ID != 0 {
					t.Fatalf("inserted objects kept keys: %d %d %d %d", sc.cid.ID, sc.b4.ID, sc.b5.ID, sc.sqlTag.ID)
				}
				flState(t, s, sc.b2, orm.StateExpired, true, "b2 (deleted in the lost transaction)")
				for _, o := range []any{sc.ann, sc.b3, sc.goTag} {
					flState(t, s, o, orm.StateExpired, true, fmt.Sprintf("%+v", o))
					if s.IsModified(o) {
						t.Fatalf("%+v looks modified: its flushed change is gone with the transaction", o)
					}
				}
				if sc.ann.Name != "ann" || sc.b3.Title != "b3" || sc.b3.Version != 1 || sc.goTag.Name != "go" {
					t.Fatalf("values after the lost transaction: %s %s v%d %s", sc.ann.Name, sc.b3.Title, sc.b3.Version, sc.goTag.Name)
				}
				if n := s.PendingNewCount() + s.PendingDirtyCount() + s.PendingDeleteCount(); n != 0 {
					t.Fatalf("%d pending changes:\n%s", n, s.DebugState())
				}
				ftCheckPool(t, env, 0)
				// The session is usable: a reload sees the old rows.
				b3, err := orm.Get[ftBook](ctx, s, sc.b3.ID)
				ftOK(t, err, "Get b3")
				if b3 != sc.b3 || b3.Title != "b3" {
					t.Fatalf("Get b3 = %p %+v", b3, b3)
				}
				// Doing the unit of work again lands it.
				s2 := orm.NewSession(env.faulty)
				defer s2.Close()
				sc2 := ftStage(t, ctx, s2)
				ftOK(t, s2.Commit(ctx), "Commit again")
				sc2.checkDone(t, s2)
				ftEqual(t, "database after doing it again", ftLogical(t, env.plain), ftWant)
			})
		}
	})
}

// A Commit whose flush is one statement sends it alone, without BEGIN and
// COMMIT: a fault at that statement (an error, ErrBadConn, a cancel) leaves
// the database and the session as before, and a retry lands it.
func TestFaultInjectionSingleStatementFlush(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		faults := []faultdriver.Fault{
			{Action: faultdriver.Fail, At: 1},
			{Action: faultdriver.BadConn, At: 1},
			{Action: faultdriver.Block, At: 1},
		}
		for _, f := range faults {
			for _, op := range []string{"insert", "update"} {
				t.Run(f.Action.String()+"/"+op, func(t *testing.T) {
					ctx := ftCtx(t)
					ftSeed(t, env.plain)
					s := orm.NewSession(env.faulty)
					defer s.Close()
					b1 := ftGet[ftBook](t, ctx, s, "title", "b1")
					sc := &ftScenario{b1: b1}
					var added *ftAuthor
					if op == "insert" {
						added = &ftAuthor{Name: "dan"}
						ftOK(t, s.Add(added), "Add")
						sc.objs = []any{b1, added}
					} else {
						b1.Title = "b1y"
						sc.objs = []any{b1}
					}
					dbBefore := ftDump(t, env.plain)
					before := sc.capture(s)
					env.ctl.Reset()
					env.ctl.Arm(f)
					fctx, cancel := context.WithCancel(ctx)
					defer cancel()
					if f.Action == faultdriver.Block {
						go func() {
							select {
							case <-env.ctl.Blocked():
								cancel()
							case <-fctx.Done():
							}
						}()
					}
					err := s.Commit(fctx)
					if len(env.ctl.Fired()) != 1 {
						env.ctl.Disarm()
						t.Fatalf("fault not fired; Commit = %v; %v", err, env.ctl.Events())
					}
					stmts := 1
					if f.Action == faultdriver.BadConn {
						stmts = 2 // refused, then sent again by database/sql
					}
					if c := env.ctl.Counts(); c.Begin != 0 || c.Statements() != stmts {
						t.Fatalf("the flush was not a single statement: %+v %v", c, env.ctl.Events())
					}
					switch f.Action {
					case faultdriver.Fail:
						ftIsInjected(t, err)
					case faultdriver.BadConn:
						// database/sql retries a statement refused with
						// ErrBadConn outside a transaction on another
						// connection: the retry succeeds.
						if err != nil {
							t.Fatalf("Commit = %v; database/sql should have retried on a new connection", err)
						}
						ftCheckPool(t, env, 0)
						want := []string{"author: ann", "author: bob", "author: dan", "book: b1|ann|1"}
						if op == "update" {
							want = []string{"author: ann", "author: bob", "book: b1y|ann|2"}
						}
						ftEqual(t, "authors and b1", ftLogical(t, env.plain)[:len(want)], want)
						if s.PendingNewCount()+s.PendingDirtyCount() != 0 {
							t.Fatalf("pending after the Commit:\n%s", s.DebugState())
						}
						return
					case faultdriver.Block:
						if !errors.Is(err, context.Canceled) {
							t.Fatalf("Commit = %v, want context.Canceled", err)
						}
					}
					ftEqual(t, "database after the failed Commit", ftDump(t, env.plain), dbBefore)
					ftSameSession(t, "after the failed Commit", sc.capture(s), before)
					ftCheckPool(t, env, 0)
					ftOK(t, s.Commit(ctx), "retry")
					if op == "insert" && added.ID == 0 {
						t.Fatal("no key after the retry")
					}
					if s.PendingNewCount()+s.PendingDirtyCount() != 0 {
						t.Fatalf("pending after the retry:\n%s", s.DebugState())
					}
				})
			}
		}
	})
}
