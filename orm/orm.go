package orm

import (
	"database/sql"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/engine"
	"github.com/sqlmodel-go/sqlmodel/orm/relations"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/session"
)

// DB is a database handle; see session.DB.
type DB = session.DB

// Option configures a DB at Open; see WithRegistry, WithLogger, WithQueryHook.
type Option = session.Option

// QueryHook observes statements; see session.QueryHook.
type QueryHook = session.QueryHook

// QueryEvent describes one statement; see session.QueryEvent.
type QueryEvent = session.QueryEvent

// AfterQueryFunc adapts a function to a QueryHook.
type AfterQueryFunc = session.AfterQueryFunc

// FlushObserver is implemented by a QueryHook that also observes flushes;
// see engine.FlushObserver.
type FlushObserver = engine.FlushObserver

// FlushEvent describes one flush that writes something; see
// engine.FlushEvent.
type FlushEvent = engine.FlushEvent

// FlushTable is the work of one flush on one table; see engine.FlushTable.
type FlushTable = engine.FlushTable

// TxObserver is implemented by a QueryHook that also observes
// transactions; see engine.TxObserver.
type TxObserver = engine.TxObserver

// TxEvent describes one transaction, BEGIN to COMMIT or ROLLBACK; see
// engine.TxEvent.
type TxEvent = engine.TxEvent

// AttemptObserver is implemented by a QueryHook that also observes the
// attempts of RunInTx; see engine.AttemptObserver.
type AttemptObserver = engine.AttemptObserver

// AttemptEvent describes one attempt of RunInTx; see engine.AttemptEvent.
type AttemptEvent = engine.AttemptEvent

// Registry holds model metadata; see schema.Registry.
type Registry = schema.Registry

// Lazy is a to-one relation field; see relations.Lazy.
type Lazy[T any] = relations.Lazy[T]

// RelatedMany is a to-many relation field; see relations.RelatedMany.
type RelatedMany[T any] = relations.RelatedMany[T]

// Open opens a database by driver name ("postgres", "pgx", "mysql",
// "sqlite3") and DSN; see session.Open.
func Open(driver, dsn string, opts ...Option) (*DB, error) { return session.Open(driver, dsn, opts...) }

// OpenDB wraps an existing pool with a dialect name ("postgres", "mysql",
// "mariadb", "sqlite"); see session.OpenDB.
func OpenDB(db *sql.DB, dialectName string, opts ...Option) (*DB, error) {
	return session.OpenDB(db, dialectName, opts...)
}

// WithRegistry shares a model registry between DBs.
func WithRegistry(r *Registry) Option { return session.WithRegistry(r) }

// WithLogger logs statements through a *slog.Logger.
var WithLogger = session.WithLogger

// WithQueryHook adds a statement hook.
func WithQueryHook(h QueryHook) Option { return session.WithQueryHook(h) }

// NewRegistry returns an empty model registry.
func NewRegistry() *Registry { return schema.NewRegistry() }

// IsRetryable reports whether err is a serialization failure, a deadlock or
// a lock timeout, after which the whole transaction may be run again.
func IsRetryable(err error) bool { return dialect.IsRetryable(err) }
