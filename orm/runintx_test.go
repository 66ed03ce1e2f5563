package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// orm.RunInTx: retries of serialization failures and deadlocks, rollback
// on errors and panics (issue 4, item 7).

type lcCounter struct {
	ID int64 `sqlmodel:"pk"`
	N  int
}

func (lcCounter) TableName() string { return "lc_counter" }

// lcCounterSetup creates lc_counter with one row holding n and returns its key.
func lcCounterSetup(t *testing.T, db *orm.DB, n int) int64 {
	t.Helper()
	flCreate(t, db, &lcCounter{})
	s := orm.NewSession(db)
	defer s.Close()
	c := &lcCounter{N: n}
	flOK(t, s.Add(c), "setup Add")
	flOK(t, s.Commit(flCtx(t)), "setup Commit")
	return c.ID
}

func lcCounterValue(t *testing.T, db *orm.DB, id int64) int {
	t.Helper()
	var n int
	err := db.SQL().QueryRowContext(flCtx(t), flQ(db, "SELECT n FROM lc_counter WHERE id = ?"), id).Scan(&n)
	flOK(t, err, "read counter")
	return n
}

// Concurrent read-modify-write increments of one row, each in its own
// RunInTx: the final value is exact, because conflicting transactions fail
// (serialization failure on PostgreSQL, deadlock on MySQL/MariaDB, whose
// SERIALIZABLE reads take shared locks) and are retried, or wait
// (SQLite's immediate transactions).
func TestLcRunInTxConcurrentIncrements(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx, cancel := context.WithTimeout(flCtx(t), 60*time.Second)
		defer cancel()
		id := lcCounterSetup(t, db, 0)
		workers, per := 8, 50
		opts := []orm.TxOption{orm.WithMaxRetries(1000), orm.WithBackoff(time.Millisecond, 20*time.Millisecond)}
		name := db.Dialect().Name()
		switch name {
		case "postgres", "mysql":
			opts = append(opts, orm.WithIsolation(sql.LevelSerializable))
		case "sqlite":
			workers, per = 4, 25
		}
		var retries, attempts atomic.Int64
		var kindsMu sync.Mutex
		kinds := map[string]int{}
		opts = append(opts, orm.OnRetry(func(attempt int, err error) {
			retries.Add(1)
			k := "other"
			switch {
			case errors.Is(err, orm.ErrSerialization):
				k = "serialization"
			case errors.Is(err, orm.ErrDeadlock):
				k = "deadlock"
			case errors.Is(err, orm.ErrLockTimeout):
				k = "lock timeout"
			}
			kindsMu.Lock()
			kinds[k]++
			kindsMu.Unlock()
		}))
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < per; i++ {
					err := orm.RunInTx(ctx, db, func(s *orm.Session) error {
						attempts.Add(1)
						c, err := orm.Get[lcCounter](ctx, s, id)
						if err != nil {
							return err
						}
						c.N++
						return nil
					}, opts...)
					if err != nil {
						errs <- fmt.Errorf("increment %d: %w", i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("RunInTx: %v", err)
		}
		elapsed := time.Since(start)
		total := workers * per
		if got := lcCounterValue(t, db, id); got != total {
			t.Fatalf("counter = %d, want exactly %d (lost updates)", got, total)
		}
		if int(attempts.Load()) != total+int(retries.Load()) {
			t.Fatalf("%d attempts for %d increments and %d retries", attempts.Load(), total, retries.Load())
		}
		t.Logf("%s: %d increments by %d goroutines in %v (%.0f/s), %d retries %v", name, total, workers,
			elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), retries.Load(), kinds)
		switch name {
		case "postgres":
			if retries.Load() == 0 || kinds["serialization"] == 0 {
				t.Fatalf("no serialization failures retried under SERIALIZABLE (retries %v)", kinds)
			}
		case "mysql":
			if retries.Load() == 0 {
				// Allowed by the brief, but worth knowing.
				t.Logf("mysql: no retryable errors at all")
			} else if kinds["other"] != 0 {
				t.Fatalf("retried errors that are not deadlocks or lock timeouts: %v", kinds)
			}
		}
	})
}

// A real serialization failure on PostgreSQL: another transaction updates
// the row after fn read it. With WithMaxRetries(0) the failure is returned
// (and nothing written); by default fn runs again and commits.
func TestLcRunInTxSerializationFailure(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		if db.Dialect().Name() != "postgres" {
			t.Skip("a deterministic serialization failure needs PostgreSQL's SERIALIZABLE snapshots")
		}
		ctx := flCtx(t)
		id := lcCounterSetup(t, db, 0)
		for _, maxRetries := range []int{0, 10} {
			flExec(t, db, "UPDATE lc_counter SET n = 0 WHERE id = ?", id)
			calls := 0
			var retried []int
			err := orm.RunInTx(ctx, db, func(s *orm.Session) error {
				calls++
				c, err := orm.Get[lcCounter](ctx, s, id)
				if err != nil {
					return err
				}
				if calls == 1 {
					flExec(t, db, "UPDATE lc_counter SET n = n + 100 WHERE id = ?", id)
				}
				c.N++
				return nil
			}, orm.WithIsolation(sql.LevelSerializable), orm.WithMaxRetries(maxRetries),
				orm.OnRetry(func(attempt int, err error) {
					if !errors.Is(err, orm.ErrSerialization) {
						t.Errorf("retry %d after %v, want a serialization failure", attempt, err)
					}
					retried = append(retried, attempt)
				}))
			got := lcCounterValue(t, db, id)
			if maxRetries == 0 {
				if !errors.Is(err, orm.ErrSerialization) || !orm.IsRetryable(err) {
					t.Fatalf("WithMaxRetries(0): %v, want the serialization failure", err)
				}
				if calls != 1 || len(retried) != 0 || got != 100 {
					t.Fatalf("WithMaxRetries(0): %d calls, retries %v, counter %d; want 1 call, no retry, 100", calls, retried, got)
				}
				continue
			}
			flOK(t, err, "RunInTx with retries")
			if calls != 2 || fmt.Sprint(retried) != "[1]" || got != 101 {
				t.Fatalf("with retries: %d calls, retries %v, counter %d; want 2 calls, retry [1], 101", calls, retried, got)
			}
		}
	})
}

// Retryable errors returned by fn are retried with the work of the failed
// attempts rolled back; the retry limit bounds it and the last error is
// returned.
func TestLcRunInTxRetryLimit(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		id := lcCounterSetup(t, db, 0)
		rdb, rec := testkit.Record(db)
		fast := orm.WithBackoff(time.Millisecond, 2*time.Millisecond)

		// Fails twice, then succeeds: only the last attempt's write stays.
		calls := 0
		var retried []string
		err := orm.RunInTx(ctx, rdb, func(s *orm.Session) error {
			calls++
			c, err := orm.Get[lcCounter](ctx, s, id)
			if err != nil {
				return err
			}
			c.N++
			if err := s.Flush(ctx); err != nil {
				return err
			}
			if calls <= 2 {
				return fmt.Errorf("attempt %d: %w", calls, orm.ErrDeadlock)
			}
			return nil
		}, fast, orm.OnRetry(func(attempt int, err error) { retried = append(retried, fmt.Sprintf("%d:%v", attempt, err)) }))
		flOK(t, err, "RunInTx")
		if calls != 3 || len(retried) != 2 || !strings.HasPrefix(retried[0], "1:attempt 1") || !strings.HasPrefix(retried[1], "2:attempt 2") {
			t.Fatalf("%d calls, retries %q", calls, retried)
		}
		if got := lcCounterValue(t, db, id); got != 1 {
			t.Fatalf("counter = %d, want 1 (failed attempts rolled back)", got)
		}
		var ops []string
		for _, o := range lcOps(rec) {
			if o == "begin" || o == "commit" || o == "rollback" {
				ops = append(ops, o)
			}
		}
		flEqual(t, "transactions", ops, []string{"begin", "rollback", "begin", "rollback", "begin", "commit"})

		// WithMaxRetries(0): the first retryable error is returned as is.
		calls, retried = 0, nil
		err = orm.RunInTx(ctx, db, func(s *orm.Session) error {
			calls++
			return fmt.Errorf("busy: %w", orm.ErrSerialization)
		}, fast, orm.WithMaxRetries(0), orm.OnRetry(func(attempt int, err error) { retried = append(retried, fmt.Sprint(attempt)) }))
		if !errors.Is(err, orm.ErrSerialization) || err.Error() != "busy: "+orm.ErrSerialization.Error() || calls != 1 || len(retried) != 0 {
			t.Fatalf("WithMaxRetries(0): %v after %d calls, retries %q", err, calls, retried)
		}

		// WithMaxRetries(2), always failing: 3 attempts, then the last error.
		calls = 0
		err = orm.RunInTx(ctx, db, func(s *orm.Session) error {
			calls++
			return fmt.Errorf("attempt %d: %w", calls, orm.ErrLockTimeout)
		}, fast, orm.WithMaxRetries(2))
		if !errors.Is(err, orm.ErrLockTimeout) || calls != 3 || !strings.Contains(err.Error(), "attempt 3") {
			t.Fatalf("WithMaxRetries(2): %v after %d calls", err, calls)
		}

		// A context cancelled during the backoff stops the retries.
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		calls = 0
		start := time.Now()
		err = orm.RunInTx(cctx, db, func(s *orm.Session) error {
			calls++
			cancel()
			return orm.ErrDeadlock
		}, orm.WithBackoff(10*time.Second, 10*time.Second))
		if !errors.Is(err, context.Canceled) || !errors.Is(err, orm.ErrDeadlock) || calls != 1 || time.Since(start) > 5*time.Second {
			t.Fatalf("cancelled during backoff: %v after %v, %d calls", err, time.Since(start), calls)
		}
	})
}

// A non-retryable error is returned at once, without retry, and the
// transaction is rolled back; a panic in fn is re-panicked after the
// rollback.
func TestLcRunInTxErrorAndPanic(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		id := lcCounterSetup(t, db, 7)
		rdb, rec := testkit.Record(db)
		errNope := errors.New("nope")
		calls, retries := 0, 0
		err := orm.RunInTx(ctx, rdb, func(s *orm.Session) error {
			calls++
			c, err := orm.Get[lcCounter](ctx, s, id)
			if err != nil {
				return err
			}
			c.N = 999
			if err := s.Flush(ctx); err != nil {
				return err
			}
			return errNope
		}, orm.OnRetry(func(int, error) { retries++ }))
		if err != errNope && !errors.Is(err, errNope) {
			t.Fatalf("RunInTx = %v, want the function's error", err)
		}
		if calls != 1 || retries != 0 {
			t.Fatalf("%d calls, %d retries; want 1 and 0", calls, retries)
		}
		if got := lcCounterValue(t, db, id); got != 7 {
			t.Fatalf("counter = %d after the failed transaction, want 7", got)
		}
		ops := lcOps(rec)
		if len(ops) == 0 || ops[0] != "begin" || ops[len(ops)-1] != "rollback" {
			t.Fatalf("statements %q, want a rolled back transaction", ops)
		}

		rec.Reset()
		calls = 0
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = orm.RunInTx(ctx, rdb, func(s *orm.Session) error {
				calls++
				c, err := orm.Get[lcCounter](ctx, s, id)
				if err != nil {
					return err
				}
				c.N = 555
				if err := s.Flush(ctx); err != nil {
					return err
				}
				panic("kaboom")
			}, orm.OnRetry(func(int, error) { retries++ }))
		}()
		if recovered != "kaboom" {
			t.Fatalf("recovered %v, want the function's panic", recovered)
		}
		if calls != 1 || retries != 0 {
			t.Fatalf("panic: %d calls, %d retries", calls, retries)
		}
		if got := lcCounterValue(t, db, id); got != 7 {
			t.Fatalf("counter = %d after the panic, want 7", got)
		}
		ops = lcOps(rec)
		if len(ops) == 0 || ops[len(ops)-1] != "rollback" {
			t.Fatalf("statements %q, want a rollback after the panic", ops)
		}
		if n := db.SQL().Stats().InUse; n != 0 {
			t.Fatalf("%d connections in use after the panic", n)
		}

		// Success commits; the session is fresh for each call.
		err = orm.RunInTx(ctx, db, func(s *orm.Session) error {
			if s.TrackedCount() != 0 || !s.InTransaction() {
				t.Errorf("fn got a session tracking %d objects, in transaction %v", s.TrackedCount(), s.InTransaction())
			}
			c, err := orm.Get[lcCounter](ctx, s, id)
			if err != nil {
				return err
			}
			c.N += 10
			return nil
		})
		flOK(t, err, "RunInTx")
		if got := lcCounterValue(t, db, id); got != 17 {
			t.Fatalf("counter = %d, want 17", got)
		}
	})
}

// An error after the COMMIT went through (here from an after-commit
// handler that fn registered, looking retryable) is returned but never
// retried: running fn again would apply it twice. The same holds when fn
// commits itself and then fails.
func TestLcRunInTxNoRetryAfterCommit(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		id := lcCounterSetup(t, db, 0)
		fast := orm.WithBackoff(time.Millisecond, 2*time.Millisecond)
		calls, retries := 0, 0
		err := orm.RunInTx(ctx, db, func(s *orm.Session) error {
			calls++
			s.OnAfterCommit(func(context.Context) error { return fmt.Errorf("notify: %w", orm.ErrDeadlock) })
			c, err := orm.Get[lcCounter](ctx, s, id)
			if err != nil {
				return err
			}
			c.N++
			return nil
		}, fast, orm.OnRetry(func(int, error) { retries++ }))
		if !errors.Is(err, orm.ErrDeadlock) {
			t.Fatalf("RunInTx = %v, want the after-commit handler's error", err)
		}
		if calls != 1 || retries != 0 {
			t.Fatalf("%d calls, %d retries after a successful commit; want 1 and 0", calls, retries)
		}
		if got := lcCounterValue(t, db, id); got != 1 {
			t.Fatalf("counter = %d, want 1 (applied once)", got)
		}

		calls, retries = 0, 0
		err = orm.RunInTx(ctx, db, func(s *orm.Session) error {
			calls++
			c, err := orm.Get[lcCounter](ctx, s, id)
			if err != nil {
				return err
			}
			c.N++
			if err := s.Commit(ctx); err != nil {
				return err
			}
			return fmt.Errorf("after my own commit: %w", orm.ErrSerialization)
		}, fast, orm.OnRetry(func(int, error) { retries++ }))
		if !errors.Is(err, orm.ErrSerialization) || calls != 1 || retries != 0 {
			t.Fatalf("fn committed then failed: %v, %d calls, %d retries; want the error, 1 call, no retry", err, calls, retries)
		}
		if got := lcCounterValue(t, db, id); got != 2 {
			t.Fatalf("counter = %d, want 2", got)
		}
	})
}
