package session

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/engine"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// DB is a database handle: a connection pool, its dialect, the model
// registry and the query hooks. It is safe for concurrent use by many
// goroutines and many sessions.
type DB struct {
	// eng runs the statements: pool, hooks, replicas, DDL (orm/engine).
	eng *engine.Engine
	// The engine's settings, which do not change after Open, under the
	// names the unit of work uses (see engine.go).
	x          *sqlx.DB
	dialect    dialect.Dialect
	registry   *schema.Registry
	logger     *slog.Logger
	loggerSet  bool // logger was given with WithLogger
	singleConn bool // see engine.Engine.SingleConn
	// bulk is the COPY and pipeline path of the pool's driver, nil when it
	// has none (see bulkDriver).
	bulk dialect.BulkDriver
	// The unit of work's caches.
	sql      *sqlCache
	bindings sync.Map     // sqlKey -> *binding of Raw result columns
	scanners sync.Map     // *schema.Model -> *sync.Pool of *rowScanner
	incStep  atomic.Int64 // MySQL auto_increment_increment, 0 until read
}

// newDB wraps an engine, with empty caches.
func newDB(e *engine.Engine) *DB {
	db := &DB{eng: e, x: e.SQLX(), dialect: e.Dialect(), registry: e.Registry(), logger: e.Logger(),
		loggerSet: e.HasLogger(), singleConn: e.SingleConn(), sql: &sqlCache{}}
	if db.dialect.Features().Has(dialect.CopyFrom) {
		if d := dialect.DriverOfPool(db.x.DB.Driver()); d != nil {
			db.bulk = d.Bulk
		}
	}
	return db
}

// Option configures a DB at Open.
type Option = engine.Option

// WithRegistry makes the DB use r for model metadata, so that several DBs
// (for example one per database of a multi-database app) share one registry.
func WithRegistry(r *schema.Registry) Option { return engine.WithRegistry(r) }

// WithLogger logs statements through l: failures at warn level, every
// statement with its arguments at debug level.
func WithLogger(l *slog.Logger) Option { return engine.WithLogger(l) }

// WithQueryHook adds a hook that observes every statement.
func WithQueryHook(h QueryHook) Option { return engine.WithQueryHook(h) }

// Open opens a database with the name of a driver registered with the ORM
// ("pgx", "postgres", "mysql", "sqlite3", "sqlite") and a DSN. The driver
// is registered by importing its package under orm/driver, for example
// import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"; an unknown
// name is an error matching ErrInvalidArgument that lists the registered
// names and the package to import. Open adjusts DSNs where the ORM depends
// on a setting: MySQL gets parseTime=true and clientFoundRows=true; SQLite
// gets foreign keys on, a busy timeout of 5 s and immediate write
// transactions. A private in-memory
// database (":memory:") is limited to one connection, since each connection
// would see a database of its own; Iter then reads its result before
// yielding, so that statements in the loop have the connection. A shared
// one ("file:name?mode=memory&cache=shared") gets a real pool, with one
// connection held open until Close so that the database lives as long as
// the DB.
// For MySQL, Open connects once to tell MySQL from MariaDB.
func Open(driver, dsn string, opts ...Option) (*DB, error) {
	e, err := engine.Open(driver, dsn, opts...)
	if err != nil {
		return nil, err
	}
	return newDB(e), nil
}

// OpenDB wraps an existing pool. dialectName is "postgres", "mysql",
// "mariadb" or "sqlite" (driver names are accepted too). The caller keeps
// ownership of the pool: Close does not close it. For SQLite, enable foreign
// keys on the pool's connections yourself (DSN option _foreign_keys=1); for
// a Unicode-aware ILike open the pool with sqlite3.DriverName (package
// orm/driver/sqlite3) rather than "sqlite3", or with modernc's "sqlite" with
// orm/driver/sqlite imported (with plain "sqlite3", ILike folds ASCII
// letters only). Pools of a driver the ORM has registered get its COPY
// and pipelined flushes (PostgreSQL through pgx).
func OpenDB(sqlDB *sql.DB, dialectName string, opts ...Option) (*DB, error) {
	e, err := engine.OpenDB(sqlDB, dialectName, opts...)
	if err != nil {
		return nil, err
	}
	return newDB(e), nil
}

// Close closes the pool if Open created it. A DB made by OpenDB leaves the
// caller's pool open. Replica pools opened from DSNs (WithReplicas) are
// closed too; those given as pools (WithReplicaDBs) are left open.
func (db *DB) Close() error { return db.eng.Close() }

// SQL returns the underlying pool.
func (db *DB) SQL() *sql.DB { return db.x.DB }

// X returns the underlying pool as an *sqlx.DB.
func (db *DB) X() *sqlx.DB { return db.x }

// Dialect returns the dialect of the database.
func (db *DB) Dialect() dialect.Dialect { return db.dialect }

// Registry returns the model registry.
func (db *DB) Registry() *schema.Registry { return db.registry }

// Logger returns the DB's logger (a discarding one when none was set).
func (db *DB) Logger() *slog.Logger { return db.logger }

// WithQueryHook returns a copy of db that also runs h; db itself is not
// changed. Both share the pool and the registry.
func (db *DB) WithQueryHook(h QueryHook) *DB {
	c := newDB(db.eng.WithQueryHook(h))
	c.sql = db.sql
	return c
}

// Register registers models (struct values, pointers or reflect.Types) and
// every model their relations reach. See schema.Registry.Register.
func (db *DB) Register(models ...any) error {
	_, err := db.registry.Register(models...)
	return err
}

// Ping verifies a connection to the database.
func (db *DB) Ping(ctx context.Context) error { return db.eng.Ping(ctx) }

// ExecContext runs a statement on the pool through the DB's hooks, with
// driver errors classified (see dialect.Classify). Placeholders are the
// dialect's own.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.eng.Exec(ctx, db.x, false, query, args...)
}

// CreateAll creates the tables of the given models (struct values or
// pointers), of every model they reference by foreign key, and the link
// tables of their many-to-many relations, with their indexes, in foreign-key
// order, skipping what already exists: running it twice is harmless. Where
// foreign keys form a cycle through nullable columns, the cycle-closing
// constraints are added once every table exists; a cycle of NOT NULL foreign
// keys is an error matching schema.ErrCircularDependency, reported before any
// SQL runs. On PostgreSQL and SQLite everything happens in one transaction.
func (db *DB) CreateAll(ctx context.Context, models ...any) error {
	return db.eng.CreateAll(ctx, models...)
}

// DropAll drops the tables of the given models and the link tables of their
// many-to-many relations, if they exist, dependants first. Tables of other
// models that still reference them make it fail with the database's error.
func (db *DB) DropAll(ctx context.Context, models ...any) error {
	return db.eng.DropAll(ctx, models...)
}

// QueryEvent describes one statement sent to the database. Hooks receive the
// same *QueryEvent before and after the statement runs.
type QueryEvent = engine.QueryEvent

// QueryHook observes statements. BeforeQuery may return a derived context
// (for tracing spans); AfterQuery runs with that context once the statement
// has finished, including reading all rows of a query. Hooks run in the
// order they were added before a statement and in reverse order after it.
// A hook must be safe for concurrent use when its DB is shared.
type QueryHook = engine.QueryHook

// AfterQueryFunc adapts a function to a QueryHook that only observes
// finished statements.
type AfterQueryFunc = engine.AfterQueryFunc

// NodePrimary is QueryEvent.Node for statements served by the primary
// database (every statement of a DB without replicas).
const NodePrimary = engine.NodePrimary

// ReplicaStatus describes one replica's health as the router sees it.
type ReplicaStatus = engine.ReplicaStatus

// WithReplicas adds read replicas by DSN, opened with the primary's driver
// and DSN adjustments. Reads outside transactions are spread over them
// round-robin; see the package documentation on replica routing. Close
// closes them. Their labels in QueryEvent.Node are "replica:0",
// "replica:1", ... in the order given (DSNs before WithReplicaDBs pools).
func WithReplicas(dsns ...string) Option { return engine.WithReplicas(dsns...) }

// WithReplicaDBs adds read replicas as pools the caller opened (and
// closes: Close leaves them open). See WithReplicas.
func WithReplicaDBs(dbs ...*sql.DB) Option { return engine.WithReplicaDBs(dbs...) }

// WithReplicaBackoff sets how long a replica that failed its health check
// is skipped: base after the first failure, doubling with each further
// failed check up to maxDelay (defaults 1 s and 30 s).
func WithReplicaBackoff(base, maxDelay time.Duration) Option {
	return engine.WithReplicaBackoff(base, maxDelay)
}

// Replicas reports the replicas' health, in label order; nil without
// replicas.
func (db *DB) Replicas() []ReplicaStatus { return db.eng.Replicas() }

// ReadFromPrimary returns a context whose reads run on the primary even
// where a replica could serve them (for a read that must see the latest
// committed data of other sessions).
func ReadFromPrimary(ctx context.Context) context.Context { return engine.ReadFromPrimary(ctx) }

// ReadFromReplica returns a context in which Raw, which otherwise always
// runs on the primary, may run on a replica when outside a transaction.
// The SQL must only read. Exec always runs on the primary.
func ReadFromReplica(ctx context.Context) context.Context { return engine.ReadFromReplica(ctx) }
