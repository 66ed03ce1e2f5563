package session

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// TxOption configures RunInTx.
type TxOption func(*txRunConfig)

type txRunConfig struct {
	opts       sql.TxOptions
	maxRetries int
	base, cap  time.Duration
	// lostBase and lostCap are the backoff after a lost connection.
	lostBase, lostCap time.Duration
	session           Config
	onRetry           func(attempt int, err error)
}

// Default backoffs of RunInTx: after a retryable failure (a conflict with
// another transaction, which is over in milliseconds) and after a lost
// connection (a server restart or failover, which takes seconds).
const (
	defaultBase     = 5 * time.Millisecond
	defaultCap      = time.Second
	defaultLostBase = 100 * time.Millisecond
	defaultLostCap  = 2 * time.Second
)

// WithIsolation sets the transaction's isolation level.
func WithIsolation(level sql.IsolationLevel) TxOption {
	return func(c *txRunConfig) { c.opts.Isolation = level }
}

// WithReadOnly makes the transaction read-only.
func WithReadOnly() TxOption { return func(c *txRunConfig) { c.opts.ReadOnly = true } }

// WithMaxRetries sets how many times a retryable failure is retried
// (default 10; 0 runs fn once).
func WithMaxRetries(n int) TxOption { return func(c *txRunConfig) { c.maxRetries = max(0, n) } }

// WithBackoff sets the first delay between attempts and its upper bound
// (defaults 5 ms and 1 s). Each delay doubles, with full jitter.
func WithBackoff(base, maxDelay time.Duration) TxOption {
	return func(c *txRunConfig) { c.base, c.cap = base, maxDelay }
}

// WithReconnectBackoff sets the first delay after a lost connection and its
// upper bound (defaults 100 ms and 2 s). Each delay doubles; the wait is
// between half the delay and the delay (equal jitter), never near zero as
// after a serialization failure: a lost connection usually means the
// server is restarting or failing over, and attempts in quick succession
// would only spend the retry budget on refused connections. With the
// defaults, 10 retries wait at least 6.5 s in all (at most 13 s), which
// outlasts a fast restart; WithMaxRetries and ctx bound the wait.
func WithReconnectBackoff(base, maxDelay time.Duration) TxOption {
	return func(c *txRunConfig) { c.lostBase, c.lostCap = base, maxDelay }
}

// WithSessionConfig sets the configuration of the sessions RunInTx creates.
func WithSessionConfig(cfg Config) TxOption { return func(c *txRunConfig) { c.session = cfg } }

// OnRetry registers fn to be called before each retry with the attempt
// number (1 for the first retry) and the error that caused it.
func OnRetry(fn func(attempt int, err error)) TxOption {
	return func(c *txRunConfig) { c.onRetry = fn }
}

// RunInTx runs fn with a fresh session inside a transaction and commits it.
//
// It runs fn again, in a new session and transaction, when an attempt fails
// in a way that leaves nothing applied:
//   - a retryable error (IsRetryable: serialization failure, deadlock, lock
//     timeout, SQLite busy) from fn or the commit, after a jittered
//     exponential backoff (WithBackoff: full jitter, 5 ms doubling to 1 s);
//   - a lost connection (ErrConnectionLost) anywhere before COMMIT was sent:
//     at BEGIN (also a connection that cannot be opened while the server
//     restarts), in fn's statements, in the flush or a savepoint. The
//     connection is discarded, never handed out again, and the next attempt
//     waits longer (WithReconnectBackoff: 100 ms doubling to 2 s, at least
//     half of each delay), so that it waits for a restarting server instead
//     of spending its retries on refused connections.
//
// Both count against WithMaxRetries (default 10) and stop when ctx is done.
// A connection lost after COMMIT was sent is ErrCommitInDoubt (it also
// matches ErrConnectionLost): the transaction may have been applied, and it
// is returned without retry. So is an error after a COMMIT went through (an
// after-commit handler's, or fn's after committing itself). Any other
// error rolls back and is returned; a panic in fn rolls back and is
// re-panicked. fn must return (or wrap with %w) the session's errors for
// them to be recognised, must be safe to run more than once, and must not
// keep the session or its objects.
//
// RunInTx does not make a read-modify-write safe by itself: at the default
// isolation (READ COMMITTED on PostgreSQL, REPEATABLE READ on MySQL and
// MariaDB) two attempts can read the same value and one update is lost.
// Use WithIsolation(sql.LevelSerializable), a version column, or read
// with FOR UPDATE; see docs/transactions.md.
func RunInTx(ctx context.Context, db *DB, fn func(s *Session) error, opts ...TxOption) error {
	if db == nil || fn == nil {
		return invalid("RunInTx needs a DB and a function")
	}
	c := txRunConfig{maxRetries: 10, base: defaultBase, cap: defaultCap,
		lostBase: defaultLostBase, lostCap: defaultLostCap, session: DefaultConfig()}
	for _, o := range opts {
		o(&c)
	}
	delay, lostDelay := c.base, c.lostBase
	var prev error // the error that caused the attempt, for the observers
	for attempt := 0; ; attempt++ {
		actx, obs := db.eng.BeforeAttempt(ctx, attempt+1, prev)
		committed, err := runOnce(actx, db, fn, &c)
		retry, lost := retryable(committed, err)
		db.eng.AfterAttempt(actx, obs, committed, err != nil && retry && attempt < c.maxRetries && ctx.Err() == nil, err)
		if err == nil {
			return nil
		}
		prev = err
		if !retry || attempt >= c.maxRetries {
			if attempt > 0 {
				return errwrap.Wrapf(err, "RunInTx: after %d attempt(s)", attempt+1)
			}
			return err
		}
		if ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		if c.onRetry != nil {
			c.onRetry(attempt+1, err)
		}
		var sleep time.Duration
		if lost {
			// Equal jitter: at least half the delay.
			sleep = lostDelay/2 + time.Duration(rand.Int64N(int64(lostDelay/2)+1))
			lostDelay = min(lostDelay*2, c.lostCap)
		} else {
			sleep = time.Duration(rand.Int64N(int64(delay) + 1))
			delay = min(delay*2, c.cap)
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// retryable reports whether an attempt that failed with err may run again,
// and whether it failed because its connection was lost. Nothing is
// retried once a COMMIT went through (committed) or may have
// (ErrCommitInDoubt): that could apply the work twice.
func retryable(committed bool, err error) (retry, lost bool) {
	switch {
	case committed || errors.Is(err, ErrCommitInDoubt):
		return false, false
	case dialect.IsRetryable(err):
		return true, false
	case errors.Is(err, dialect.ErrConnectionLost):
		return true, true
	}
	return false, false
}

// runOnce runs one attempt; committed reports that a COMMIT of the
// session succeeded (even if an after-commit handler then failed, or fn
// committed itself and failed afterwards).
func runOnce(ctx context.Context, db *DB, fn func(s *Session) error, c *txRunConfig) (committed bool, err error) {
	s := NewSessionWithConfig(db, c.session)
	// Registered first, so it runs before fn's own after-commit handlers.
	s.OnAfterCommit(func(context.Context) error { committed = true; return nil })
	defer func() {
		if r := recover(); r != nil {
			_ = s.Close()
			panic(r)
		}
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	opts := c.opts
	if err := s.BeginTx(ctx, &opts); err != nil {
		return false, err
	}
	if err := fn(s); err != nil {
		// committed: fn committed work itself before failing.
		return committed, err
	}
	err = s.Commit(ctx)
	return committed, err
}
