package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// TxOption configures RunInTx.
type TxOption func(*txRunConfig)

type txRunConfig struct {
	opts       sql.TxOptions
	maxRetries int
	base, cap  time.Duration
	session    Config
	onRetry    func(attempt int, err error)
}

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

// WithSessionConfig sets the configuration of the sessions RunInTx creates.
func WithSessionConfig(cfg Config) TxOption { return func(c *txRunConfig) { c.session = cfg } }

// OnRetry registers fn to be called before each retry with the attempt
// number (1 for the first retry) and the error that caused it.
func OnRetry(fn func(attempt int, err error)) TxOption {
	return func(c *txRunConfig) { c.onRetry = fn }
}

// RunInTx runs fn with a fresh session inside a transaction and commits it.
// When fn or the commit fails with a retryable error (IsRetryable:
// serialization failure, deadlock, lock timeout, SQLite busy) it rolls back
// and runs fn again in a new session, after a jittered exponential backoff,
// up to the retry limit. Any other error rolls back and is returned; a panic
// in fn rolls back and is re-panicked. An error after a COMMIT went through
// (an after-commit handler's, or fn's after committing itself) is returned
// without retry. fn must be safe to run more than once and must not keep
// the session or its objects.
func RunInTx(ctx context.Context, db *DB, fn func(s *Session) error, opts ...TxOption) error {
	if db == nil || fn == nil {
		return invalid("RunInTx needs a DB and a function")
	}
	c := txRunConfig{maxRetries: 10, base: 5 * time.Millisecond, cap: time.Second, session: DefaultConfig()}
	for _, o := range opts {
		o(&c)
	}
	delay := c.base
	for attempt := 0; ; attempt++ {
		committed, err := runOnce(ctx, db, fn, &c)
		if err == nil {
			return nil
		}
		// An error after a COMMIT went through (an after-commit handler's,
		// or fn's after committing itself) is never retried: that would
		// apply the committed work twice.
		if committed || !dialect.IsRetryable(err) || attempt >= c.maxRetries {
			if attempt > 0 {
				return fmt.Errorf("orm: RunInTx: after %d attempt(s): %w", attempt+1, err)
			}
			return err
		}
		if c.onRetry != nil {
			c.onRetry(attempt+1, err)
		}
		sleep := time.Duration(rand.Int64N(int64(delay) + 1))
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(sleep):
		}
		delay = min(delay*2, c.cap)
	}
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
