package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// DB is a database handle: a connection pool, its dialect, the model
// registry and the query hooks. It is safe for concurrent use by many
// goroutines and many sessions.
type DB struct {
	x        *sqlx.DB
	dialect  dialect.Dialect
	registry *schema.Registry
	hooks    []QueryHook
	logger   *slog.Logger
	owned    bool // Close closes the pool
	// loggerSet reports a logger given with WithLogger (else logger discards).
	loggerSet bool
	sql       *sqlCache
	bindings  sync.Map     // sqlKey -> *binding of Raw result columns
	scanners  sync.Map     // *schema.Model -> *sync.Pool of *rowScanner
	incStep   atomic.Int64 // MySQL auto_increment_increment, 0 until read
	// replicas serve reads outside transactions (nil without replicas);
	// repCfg holds the replica options until Open or OpenDB applies them.
	replicas *replicaSet
	repCfg   *replicaConfig
	// textTimes: the database stores times as text; bind them in UTC.
	textTimes bool
	// singleConn: the pool has one connection (a private SQLite in-memory
	// database), which Iter must not hold while its loop runs.
	singleConn bool
	// anchor keeps a shared in-memory SQLite database alive until Close.
	anchor *sql.Conn
}

// Option configures a DB at Open.
type Option func(*DB)

// WithRegistry makes the DB use r for model metadata, so that several DBs
// (for example one per database of a multi-database app) share one registry.
func WithRegistry(r *schema.Registry) Option { return func(db *DB) { db.registry = r } }

// WithLogger logs statements through l: failures at warn level, every
// statement with its arguments at debug level.
func WithLogger(l *slog.Logger) Option {
	return func(db *DB) {
		db.logger = l
		db.loggerSet = l != nil
		if l != nil {
			db.hooks = append(db.hooks, slogHook{l})
		}
	}
}

// WithQueryHook adds a hook that observes every statement.
func WithQueryHook(h QueryHook) Option { return func(db *DB) { db.hooks = append(db.hooks, h) } }

// Open opens a database with a database/sql driver name ("postgres", "pgx",
// "mysql", "sqlite3") and a DSN. It adjusts DSNs where the ORM depends on a
// setting: MySQL gets parseTime=true; SQLite gets foreign keys on, a busy
// timeout of 5 s and immediate write transactions. A private in-memory
// database (":memory:") is limited to one connection, since each connection
// would see a database of its own; Iter then reads its result before
// yielding, so that statements in the loop have the connection. A shared
// one ("file:name?mode=memory&cache=shared") gets a real pool, with one
// connection held open until Close so that the database lives as long as
// the DB.
// For MySQL, Open connects once to tell MySQL from MariaDB.
func Open(driver, dsn string, opts ...Option) (*DB, error) {
	d, err := dialect.ForDriver(driver)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	secrets := dsnSecrets(dsn)
	dsn, memory, err := adjustDSN(d, dsn)
	if err != nil {
		return nil, redactErr(err, secrets)
	}
	// SQLite: the same driver, with the ORM's SQL functions on each
	// connection (a Unicode-aware lower-case for ILike).
	poolDriver, d := d.OpenDriver(driver)
	sqlDB, err := openPool(poolDriver, dsn)
	if err != nil {
		return nil, fmt.Errorf("orm: open %s: %w", driver, err)
	}
	var anchor *sql.Conn
	switch memory {
	case memPrivate:
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetConnMaxIdleTime(0)
		sqlDB.SetConnMaxLifetime(0)
	case memShared:
		sqlDB.SetConnMaxIdleTime(0)
		sqlDB.SetConnMaxLifetime(0)
		// The database disappears with its last connection: hold one.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		anchor, err = sqlDB.Conn(ctx)
		cancel()
		if err != nil {
			sqlDB.Close()
			return nil, fmt.Errorf("orm: open %s: %w", driver, err)
		}
	}
	if d, err = detectFlavor(d, sqlDB); err != nil {
		sqlDB.Close()
		return nil, err
	}
	db := newDB(sqlDB, driver, d, opts)
	db.owned = true
	db.singleConn = memory == memPrivate
	db.anchor = anchor
	if err := db.openReplicas(poolDriver); err != nil {
		if anchor != nil {
			anchor.Close()
		}
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// Kinds of SQLite in-memory databases (adjustDSN).
const (
	memNone    = dialect.NotInMemory
	memPrivate = dialect.PrivateMemory // one database per connection: one connection
	memShared  = dialect.SharedMemory  // cache=shared: one database for the pool
)

// adjustDSN adds the settings the ORM depends on to a DSN; it reports the
// kind of an SQLite in-memory database.
func adjustDSN(d dialect.Dialect, dsn string) (string, dialect.InMemory, error) {
	return d.AdjustDSN(dsn)
}

// OpenDB wraps an existing pool. dialectName is "postgres", "mysql",
// "mariadb" or "sqlite" (driver names are accepted too). The caller keeps
// ownership of the pool: Close does not close it. For SQLite, enable foreign
// keys on the pool's connections yourself (DSN option _foreign_keys=1), and
// open the pool with dialect.SQLiteDriverName rather than "sqlite3" for a
// Unicode-aware ILike (with "sqlite3", ILike folds ASCII letters only).
func OpenDB(sqlDB *sql.DB, dialectName string, opts ...Option) (*DB, error) {
	if sqlDB == nil {
		return nil, invalid("OpenDB: nil *sql.DB")
	}
	d, err := dialect.ForDriver(dialectName)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	driverName := d.DriverName()
	// A pool of dialect.SQLiteDriverName: its connections have the
	// ORM's SQL functions, and replicas opened by DSN get them too.
	d, replicaDriver := d.ForPool(sqlDB.Driver())
	db := newDB(sqlDB, driverName, d, opts)
	if err := db.openReplicas(replicaDriver); err != nil {
		return nil, err
	}
	return db, nil
}

func newDB(sqlDB *sql.DB, driver string, d dialect.Dialect, opts []Option) *DB {
	db := &DB{x: sqlx.NewDb(sqlDB, driver), dialect: d, sql: &sqlCache{}, textTimes: d.Features().Has(dialect.TextTimes)}
	for _, o := range opts {
		o(db)
	}
	if db.registry == nil {
		db.registry = schema.NewRegistry()
	}
	if db.logger == nil {
		db.logger = slog.New(discardHandler{})
	}
	return db
}

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (h discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h discardHandler) WithGroup(string) slog.Handler           { return h }

// detectFlavor asks the server which flavor of d it runs (MySQL or
// MariaDB; the other dialects answer without a query).
func detectFlavor(d dialect.Dialect, db *sql.DB) (dialect.Dialect, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return d.DetectFlavor(ctx, db)
}

// Close closes the pool if Open created it. A DB made by OpenDB leaves the
// caller's pool open. Replica pools opened from DSNs (WithReplicas) are
// closed too; those given as pools (WithReplicaDBs) are left open.
func (db *DB) Close() error {
	err := db.replicas.close(db)
	if db.owned {
		if db.anchor != nil {
			err = errors.Join(err, db.anchor.Close())
		}
		return errors.Join(db.x.Close(), err)
	}
	return err
}

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
	c := DB{x: db.x, dialect: db.dialect, registry: db.registry, logger: db.logger, loggerSet: db.loggerSet, sql: db.sql, replicas: db.replicas}
	c.hooks = append(append([]QueryHook(nil), db.hooks...), h)
	c.owned = false
	return &c
}

// Register registers models (struct values, pointers or reflect.Types) and
// every model their relations reach. See schema.Registry.Register.
func (db *DB) Register(models ...any) error {
	_, err := db.registry.Register(models...)
	return err
}

// Ping verifies a connection to the database.
func (db *DB) Ping(ctx context.Context) error { return db.dialect.ClassifyError(db.x.PingContext(ctx)) }

// autoIncrementStep returns MySQL's auto_increment_increment, read once.
func (db *DB) autoIncrementStep(ctx context.Context, c conn) (int64, error) {
	if v := db.incStep.Load(); v > 0 {
		return v, nil
	}
	var step int64 = 1
	_, err := db.query(ctx, c, true, "SELECT @@auto_increment_increment", nil, func(rs *sql.Rows) error { return rs.Scan(&step) })
	if err != nil {
		return 0, err
	}
	db.incStep.Store(step)
	return step, nil
}
