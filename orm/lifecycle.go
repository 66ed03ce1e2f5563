package orm

import (
	"context"
	"database/sql"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/session"
)

// EventFunc is a session event handler.
type EventFunc = session.EventFunc

// TxOption configures RunInTx.
type TxOption = session.TxOption

// Refresh reloads obj from its row now, in place; see session.Refresh.
func Refresh[T any](ctx context.Context, s *Session, obj *T) error {
	return session.Refresh(ctx, s, obj)
}

// Merge brings obj's state into the session, together with that of the
// objects its loaded relations hold (merge cascade), and returns the
// tracked instance; all or nothing. See session.Merge.
func Merge[T any](ctx context.Context, s *Session, obj *T, load bool) (*T, error) {
	return session.Merge(ctx, s, obj, load)
}

// MergeWithoutLoad is Merge without SQL.
func MergeWithoutLoad[T any](ctx context.Context, s *Session, obj *T) (*T, error) {
	return session.MergeWithoutLoad(ctx, s, obj)
}

// RunInTx runs fn in a fresh session inside a transaction, retrying
// serialization failures, deadlocks and lock timeouts, and connections lost
// before COMMIT was sent (a lost COMMIT is ErrCommitInDoubt, never
// retried); see session.RunInTx. It does not by itself make a
// read-modify-write safe at the default isolation level: see
// docs/transactions.md.
func RunInTx(ctx context.Context, db *DB, fn func(s *Session) error, opts ...TxOption) error {
	return session.RunInTx(ctx, db, fn, opts...)
}

// WithIsolation sets RunInTx's isolation level.
func WithIsolation(level sql.IsolationLevel) TxOption { return session.WithIsolation(level) }

// WithReadOnly makes RunInTx's transaction read-only.
func WithReadOnly() TxOption { return session.WithReadOnly() }

// WithMaxRetries sets RunInTx's retry limit (default 10).
func WithMaxRetries(n int) TxOption { return session.WithMaxRetries(n) }

// WithBackoff sets RunInTx's first delay and its cap.
func WithBackoff(base, maxDelay time.Duration) TxOption { return session.WithBackoff(base, maxDelay) }

// WithReconnectBackoff sets RunInTx's first delay after a lost connection
// and its cap (defaults 100 ms and 2 s); see session.WithReconnectBackoff.
func WithReconnectBackoff(base, maxDelay time.Duration) TxOption {
	return session.WithReconnectBackoff(base, maxDelay)
}

// WithSessionConfig sets the configuration of RunInTx's sessions.
func WithSessionConfig(cfg SessionConfig) TxOption { return session.WithSessionConfig(cfg) }

// OnRetry observes RunInTx's retries.
func OnRetry(fn func(attempt int, err error)) TxOption { return session.OnRetry(fn) }
