package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Engine is a database handle without a unit of work: a connection pool,
// its dialect, the model registry, the query hooks and logger, and the read
// replicas. It is safe for concurrent use by many goroutines.
type Engine struct {
	x        *sqlx.DB
	dialect  dialect.Dialect
	registry *schema.Registry
	hooks    []QueryHook
	obs      *observers // hooks that also observe flushes, transactions, attempts
	logger   *slog.Logger
	owned    bool // Close closes the pool
	// loggerSet reports a logger given with WithLogger (else logger discards).
	loggerSet bool
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

// Option configures an Engine at Open.
type Option func(*Engine)

// WithRegistry makes the engine use r for model metadata, so that several
// engines (for example one per database of a multi-database app) share one
// registry.
func WithRegistry(r *schema.Registry) Option { return func(e *Engine) { e.registry = r } }

// WithLogger logs statements through l: failures at warn level, every
// statement with its arguments at debug level.
func WithLogger(l *slog.Logger) Option {
	return func(e *Engine) {
		e.logger = l
		e.loggerSet = l != nil
		if l != nil {
			e.hooks = append(e.hooks, slogHook{l})
		}
	}
}

// WithQueryHook adds a hook that observes every statement.
func WithQueryHook(h QueryHook) Option { return func(e *Engine) { e.hooks = append(e.hooks, h) } }

// Open opens a database with a database/sql driver name ("postgres", "pgx",
// "mysql", "sqlite3") and a DSN, adjusting the DSN where the ORM depends on
// a setting; see orm.Open for the adjustments and for SQLite in-memory
// databases. For MySQL, Open connects once to tell MySQL from MariaDB.
func Open(driver, dsn string, opts ...Option) (*Engine, error) {
	drv, err := dialect.LookupDriver(driver)
	if err != nil {
		return nil, err
	}
	secrets := dsnSecrets(dsn)
	dsn, memory, err := drv.Adjust(dsn)
	if err != nil {
		return nil, redactErr(err, secrets)
	}
	// The pool's driver name and dialect may differ from the driver's:
	// mattn's SQLite opens a driver whose connections have the ORM's SQL
	// functions (a Unicode-aware lower-case for ILike).
	d := drv.OpenDialect()
	sqlDB, err := openPool(drv.OpenName(), dsn)
	if err != nil {
		return nil, fmt.Errorf("orm: open %s: %w", driver, err)
	}
	anchor, err := setUpMemory(sqlDB, memory)
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("orm: open %s: %w", driver, err)
	}
	if d, err = detectFlavor(d, sqlDB); err != nil {
		sqlDB.Close()
		return nil, err
	}
	e := newEngine(sqlDB, d.DriverName(), d, opts)
	e.owned = true
	e.singleConn = memory == memPrivate
	e.anchor = anchor
	if err := e.openReplicas(drv); err != nil {
		if anchor != nil {
			anchor.Close()
		}
		sqlDB.Close()
		return nil, err
	}
	return e, nil
}

// setUpMemory sizes the pool of an SQLite in-memory database: one
// connection for a private one, and for a shared one a connection held
// open (returned) so that the database lives until Close.
func setUpMemory(sqlDB *sql.DB, memory dialect.InMemory) (*sql.Conn, error) {
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
		defer cancel()
		return sqlDB.Conn(ctx)
	}
	return nil, nil
}

// OpenDB wraps an existing pool. dialectName is "postgres", "mysql",
// "mariadb" or "sqlite" (driver names are accepted too). The caller keeps
// ownership of the pool: Close does not close it. See orm.OpenDB.
func OpenDB(sqlDB *sql.DB, dialectName string, opts ...Option) (*Engine, error) {
	if sqlDB == nil {
		return nil, invalid("OpenDB: nil *sql.DB")
	}
	d, err := dialect.ForDriver(dialectName)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", dialect.ErrInvalidArgument, err)
	}
	driverName := d.DriverName()
	// A pool whose driver a registered driver owns gets its dialect (the
	// SQLite driver with the ORM's SQL functions), and replicas opened by
	// DSN use the same driver.
	drv := dialect.DriverOfPool(sqlDB.Driver())
	if drv != nil && drv.Dialect.Name() == d.Name() {
		if drv.PoolDialect != nil {
			d = drv.PoolDialect
		}
	} else {
		drv = nil
	}
	e := newEngine(sqlDB, driverName, d, opts)
	if e.repCfg != nil && len(e.repCfg.dsns) > 0 && drv == nil {
		var err error
		if drv, err = dialect.LookupDriver(driverName); err != nil {
			return nil, fmt.Errorf("orm: WithReplicas: %w", err)
		}
	}
	if err := e.openReplicas(drv); err != nil {
		return nil, err
	}
	return e, nil
}

func newEngine(sqlDB *sql.DB, driver string, d dialect.Dialect, opts []Option) *Engine {
	e := &Engine{x: sqlx.NewDb(sqlDB, driver), dialect: d, textTimes: d.Features().Has(dialect.TextTimes)}
	for _, o := range opts {
		o(e)
	}
	e.obs = newObservers(e.hooks)
	if e.registry == nil {
		e.registry = schema.NewRegistry()
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	return e
}

// invalid returns an error matching dialect.ErrInvalidArgument.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{dialect.ErrInvalidArgument}, args...)...)
}

// detectFlavor asks the server which flavor of d it runs (MySQL or
// MariaDB; the other dialects answer without a query).
func detectFlavor(d dialect.Dialect, db *sql.DB) (dialect.Dialect, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return d.DetectFlavor(ctx, db)
}

// Close closes the pool if Open created it; a pool given to OpenDB stays
// open. Replica pools opened from DSNs (WithReplicas) are closed too; those
// given as pools (WithReplicaDBs) are left open.
func (e *Engine) Close() error {
	err := e.replicas.close(e)
	if e.owned {
		if e.anchor != nil {
			err = errors.Join(err, e.anchor.Close())
		}
		return errors.Join(e.x.Close(), err)
	}
	return err
}

// SQLX returns the primary pool.
func (e *Engine) SQLX() *sqlx.DB { return e.x }

// Dialect returns the dialect of the database.
func (e *Engine) Dialect() dialect.Dialect { return e.dialect }

// Registry returns the model registry.
func (e *Engine) Registry() *schema.Registry { return e.registry }

// Logger returns the engine's logger (a discarding one when none was set).
func (e *Engine) Logger() *slog.Logger { return e.logger }

// HasLogger reports whether a logger was given with WithLogger.
func (e *Engine) HasLogger() bool { return e.loggerSet }

// SingleConn reports a pool of one connection (a private SQLite in-memory
// database): a caller must not hold it while running other statements.
func (e *Engine) SingleConn() bool { return e.singleConn }

// WithQueryHook returns a copy of e that also runs h; e itself is not
// changed. Both share the pools, the registry and the replicas; closing the
// copy closes nothing.
func (e *Engine) WithQueryHook(h QueryHook) *Engine {
	c := *e
	c.hooks = append(append([]QueryHook(nil), e.hooks...), h)
	c.obs = newObservers(c.hooks)
	c.owned = false
	c.anchor = nil
	c.repCfg = nil
	return &c
}

// Ping verifies a connection to the database.
func (e *Engine) Ping(ctx context.Context) error {
	return e.dialect.ClassifyError(e.x.PingContext(ctx))
}
