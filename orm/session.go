package orm

import (
	"context"

	"github.com/sqlmodel-go/sqlmodel/orm/session"
)

// Session is a unit of work with an identity map; see session.Session.
// It is for one goroutine: overlapping calls from two goroutines are
// refused with ErrConcurrentUse.
type Session = session.Session

// SessionConfig configures a Session; see session.Config. A literal sets
// every field, so start from DefaultSessionConfig.
type SessionConfig = session.Config

// ObjectState is the state of an object in a session.
type ObjectState = session.ObjectState

// Object states.
const (
	StateDetached   = session.StateDetached
	StateNew        = session.StateNew
	StatePersistent = session.StatePersistent
	StateDeleted    = session.StateDeleted
	StateExpired    = session.StateExpired
)

// GetOptions modify GetWithOptions (row locking).
type GetOptions = session.GetOptions

// FlushError is a failed flush statement; see session.FlushError.
type FlushError = session.FlushError

// NewSession returns a session on db with DefaultSessionConfig.
func NewSession(db *DB) *Session { return session.NewSession(db) }

// NewSessionWithConfig returns a session on db with cfg.
func NewSessionWithConfig(db *DB, cfg SessionConfig) *Session {
	return session.NewSessionWithConfig(db, cfg)
}

// DefaultSessionConfig returns AutoBegin, AutoFlush, ExpireOnCommit and
// ReadYourWrites on, WeakIdentityMap off (as in SQLAlchemy, reads flush
// pending changes first; set AutoFlush false, or use Session.NoAutoFlush,
// to read what the database has).
func DefaultSessionConfig() SessionConfig { return session.DefaultConfig() }

// Get returns the object of type T with primary key pk, from the identity
// map without SQL when tracked; see session.Get.
func Get[T any](ctx context.Context, s *Session, pk any) (*T, error) {
	return session.Get[T](ctx, s, pk)
}

// GetByPK is Get for composite primary keys, one value per key column.
func GetByPK[T any](ctx context.Context, s *Session, pk ...any) (*T, error) {
	return session.GetByPK[T](ctx, s, pk...)
}

// GetWithOptions is GetByPK with options such as FOR UPDATE.
func GetWithOptions[T any](ctx context.Context, s *Session, opts GetOptions, pk ...any) (*T, error) {
	return session.GetWithOptions[T](ctx, s, opts, pk...)
}

// Savepoint is a nested transaction; see Session.BeginNested.
type Savepoint = session.Savepoint
