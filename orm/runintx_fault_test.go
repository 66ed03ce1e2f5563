package orm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"

	"github.com/sqlmodel-go/sqlmodel/internal/faultdriver"
	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// RunInTx through lost connections (issue 22): the reference unit of work
// (fault_helpers_test.go) runs in RunInTx, with its tag changes in a nested
// savepoint, and the connection is lost before each statement of the
// attempt in turn (BEGIN, the reads in fn, the savepoint statements, each
// flush statement): RunInTx retries on a new connection and the database
// ends up with exactly the expected rows. A connection lost at COMMIT is
// ErrCommitInDoubt, never retried.

// ftFind loads one object by a unique column, returning the error.
func ftFind[T any](ctx context.Context, s *orm.Session, col, val string, dst **T) error {
	o, err := orm.Select[T](s).Filter(orm.Col(col).Eq(val)).One(ctx)
	*dst = o
	return err
}

// ftStageTx makes the changes of ftStage inside RunInTx's fn, returning
// errors instead of failing the test; the new tag and the tag rename are
// flushed in a nested savepoint (BeginNested, Savepoint.Commit).
func ftStageTx(ctx context.Context, s *orm.Session) error {
	var ann *ftAuthor
	var b1, b2, b3 *ftBook
	var goTag *ftTag
	sqlTag := &ftTag{Name: "sql"}
	cid, b4, b5 := &ftAuthor{Name: "cid"}, &ftBook{Title: "b4"}, &ftBook{Title: "b5"}
	steps := []func() error{
		func() error { return ftFind(ctx, s, "name", "ann", &ann) },
		func() error { return ftFind(ctx, s, "title", "b1", &b1) },
		func() error { return ftFind(ctx, s, "title", "b2", &b2) },
		func() error { return ftFind(ctx, s, "title", "b3", &b3) },
		func() error { return ftFind(ctx, s, "name", "go", &goTag) },
		func() error {
			sp, err := s.BeginNested(ctx)
			if err != nil {
				return err
			}
			goTag.Name = "golang"
			if err := s.Add(sqlTag); err != nil {
				return err
			}
			return sp.Commit(ctx)
		},
		func() error { return s.AddAll(cid, b4, b5) },
		func() error { return orm.RelateToOne(s, b4, ftAuthorOf, cid) },
		func() error { return orm.RelateToOne(s, b5, ftAuthorOf, ann) },
		func() error { ann.Name, b3.Title = "ann2", "b3x"; return s.Delete(b2) },
		func() error { return orm.RelateManyToMany(s, b4, ftTagsOf, sqlTag) },
		func() error { return orm.RelateManyToMany(s, b5, ftTagsOf, goTag) },
		func() error { return orm.RelateManyToMany(s, b1, ftTagsOf, sqlTag) },
		func() error { return orm.UnrelateManyToMany(s, b3, ftTagsOf, goTag) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// ftTxRun is the outcome of one RunInTx of the reference unit of work.
type ftTxRun struct {
	err     error
	calls   int     // runs of fn
	retried []error // the errors OnRetry saw
}

// ftRunTx seeds the data, arms f (unless it is the zero Fault) and runs the
// reference unit of work in RunInTx on the faulty pool, with a short
// reconnect backoff. It fails the test when an armed fault did not fire.
func ftRunTx(t *testing.T, env *ftEnv, f faultdriver.Fault) ftTxRun {
	t.Helper()
	ctx := ftCtx(t)
	ftSeed(t, env.plain)
	env.ctl.Reset()
	if f.Action != 0 {
		env.ctl.Arm(f)
	}
	var r ftTxRun
	r.err = orm.RunInTx(ctx, env.faulty, func(s *orm.Session) error {
		r.calls++
		return ftStageTx(ctx, s)
	}, orm.WithReconnectBackoff(time.Millisecond, 2*time.Millisecond),
		orm.OnRetry(func(_ int, err error) { r.retried = append(r.retried, err) }))
	if f.Action != 0 && len(env.ctl.Fired()) != 1 {
		env.ctl.Disarm()
		t.Fatalf("fault %v did not fire (RunInTx = %v); calls:\n%v", f, r.err, env.ctl.Events())
	}
	return r
}

// ftLearnTx runs the unit of work in RunInTx without faults, twice (the
// first run warms per-DB caches), and returns the statements of one attempt.
func ftLearnTx(t *testing.T, env *ftEnv) []faultdriver.Event {
	t.Helper()
	var stmts []faultdriver.Event
	for range 2 {
		r := ftRunTx(t, env, faultdriver.Fault{})
		if r.err != nil || r.calls != 1 {
			t.Fatalf("reference RunInTx: %v after %d calls", r.err, r.calls)
		}
		ftEqual(t, "reference result", ftLogical(t, env.plain), ftWant)
		stmts = stmts[:0]
		for _, e := range env.ctl.Events() {
			if e.Op == "exec" || e.Op == "query" {
				stmts = append(stmts, e)
			}
		}
	}
	return stmts
}

// ftOwnLostErr is the form a broken connection takes in tg's driver, other
// than driver.ErrBadConn (SQLite has no server: an unexpected EOF stands
// in).
func ftOwnLostErr(tg testkit.Target) error {
	switch {
	case tg.Dialect == "mysql":
		return mysql.ErrInvalidConn
	case tg.Dialect == "postgres" && tg.Driver == "postgres":
		return &pq.Error{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}
	case tg.Dialect == "postgres":
		return &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}
	}
	return io.ErrUnexpectedEOF
}

// ftPoolClean checks that the faulty pool holds no connection in use and
// no dead one (every open connection is live in the inner driver), and
// that it serves a query.
func ftPoolClean(t *testing.T, env *ftEnv) {
	t.Helper()
	ftCheckPool(t, env, 0)
	if st := env.pool.Stats(); st.OpenConnections != env.ctl.Live() {
		t.Fatalf("pool %+v holds %d connection(s), %d live: a dead one was kept", st, st.OpenConnections, env.ctl.Live())
	}
}

// ftLostFaults are the two forms of a lost connection injected at a point:
// driver.ErrBadConn and the driver's own error.
func ftLostFaults(tg testkit.Target, f faultdriver.Fault) map[string]faultdriver.Fault {
	own := f
	own.Err = ftOwnLostErr(tg)
	return map[string]faultdriver.Fault{"badconn": f, "driver-error": own}
}

func TestFaultRunInTxLostBeforeCommit(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		stmts := ftLearnTx(t, env)
		t.Logf("%s: one RunInTx attempt of the reference unit of work takes %d statements", tg.Dialect, len(stmts))
		points := []faultdriver.Fault{{Action: faultdriver.BadConn, Begin: true}}
		for i := range stmts {
			points = append(points, faultdriver.Fault{Action: faultdriver.BadConn, At: i + 1})
		}
		for _, p := range points {
			for kind, f := range ftLostFaults(tg, p) {
				where := "begin"
				if !p.Begin {
					where = fmt.Sprintf("%02d %s", p.At, flKind(stmts[p.At-1].Query))
				}
				t.Run(kind+"/"+where, func(t *testing.T) {
					r := ftRunTx(t, env, f)
					if r.err != nil {
						t.Fatalf("RunInTx = %v after %d calls", r.err, r.calls)
					}
					// database/sql itself begins again after ErrBadConn at
					// BEGIN; every other loss is RunInTx's to retry.
					// A failed BEGIN never reached fn.
					want, calls := 1, 2
					if p.Begin {
						want, calls = 1, 1
						if f.Err == nil {
							want = 0
						}
					}
					if len(r.retried) != want || r.calls != calls {
						t.Fatalf("%d retries (%v), %d calls: want %d retries, %d calls", len(r.retried), r.retried, r.calls, want, calls)
					}
					for _, err := range r.retried {
						if !errors.Is(err, orm.ErrConnectionLost) || errors.Is(err, orm.ErrCommitInDoubt) {
							t.Fatalf("retried on %v: want ErrConnectionLost, not in doubt", err)
						}
					}
					ftEqual(t, "database after RunInTx", ftLogical(t, env.plain), ftWant)
					ftPoolClean(t, env)
				})
			}
		}
	})
}

// ftWantInDoubt checks an in-doubt outcome: the error matches both
// ErrCommitInDoubt and ErrConnectionLost, and wraps the injected error.
func ftWantInDoubt(t *testing.T, err error, f faultdriver.Fault) {
	t.Helper()
	if !errors.Is(err, orm.ErrCommitInDoubt) || !errors.Is(err, orm.ErrConnectionLost) {
		t.Fatalf("error %v: want ErrCommitInDoubt and ErrConnectionLost", err)
	}
	if f.Err != nil && !errors.Is(err, f.Err) {
		t.Fatalf("error %v does not wrap the driver's error %v", err, f.Err)
	}
}

// A connection lost at COMMIT, before the COMMIT ran (nothing applied) or
// after (applied, the answer lost): both are ErrCommitInDoubt, which
// RunInTx returns after one attempt, and Session.Commit returns too.
func TestFaultRunInTxCommitInDoubt(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		ftLearnTx(t, env)
		ftSeed(t, env.plain)
		seeded := ftLogical(t, env.plain)
		for _, after := range []bool{false, true} {
			for kind, f := range ftLostFaults(tg, faultdriver.Fault{Action: faultdriver.BadConn, Commit: true, After: after}) {
				t.Run(fmt.Sprintf("%s/after=%v", kind, after), func(t *testing.T) {
					r := ftRunTx(t, env, f)
					ftWantInDoubt(t, r.err, f)
					if r.calls != 1 || len(r.retried) != 0 {
						t.Fatalf("in doubt after %d calls, %d retries: want no retry", r.calls, len(r.retried))
					}
					want := seeded
					if after {
						want = ftWant
					}
					ftEqual(t, "database after the lost COMMIT", ftLogical(t, env.plain), want)
					ftPoolClean(t, env)
				})
				t.Run(fmt.Sprintf("session-commit/%s/after=%v", kind, after), func(t *testing.T) {
					ctx := ftCtx(t)
					ftSeed(t, env.plain)
					s := orm.NewSession(env.faulty)
					defer s.Close()
					ftOK(t, s.Begin(ctx), "Begin")
					ftStage(t, ctx, s)
					env.ctl.Reset()
					env.ctl.Arm(f)
					ftWantInDoubt(t, s.Commit(ctx), f)
					if s.InTransaction() {
						t.Fatal("still in a transaction after the lost COMMIT")
					}
					ftOK(t, s.Rollback(ctx), "Rollback")
					ftPoolClean(t, env)
				})
			}
		}
	})
}
