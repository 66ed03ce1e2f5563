package otel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	otelapi "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/dbconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// ScopeName is the instrumentation scope of the tracer and meter the hook
// takes from its providers.
const ScopeName = "github.com/sqlmodel-go/sqlmodel/orm/otel"

// DurationBuckets are the bucket boundaries, in seconds, of the
// db.client.operation.duration histogram: those the semantic conventions
// recommend for it.
var DurationBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}

// Hook is a query hook that traces and measures a DB's work: a span per
// statement (kind client), per flush, per transaction and per RunInTx
// attempt, and the db.client.operation.duration histogram. Give it to
// orm.WithQueryHook at Open, or use Instrument. It is safe for concurrent
// use.
//
// Spans nest as the work does: a statement's span is a child of its
// flush's span, a flush's span a child of its transaction's span, a
// transaction's span a child of its RunInTx attempt's span. A statement
// or flush run inside a transaction with a context from outside it (such
// as the context of the function given to RunInTx, which receives only the
// session) becomes a child of the transaction's span too, unless that
// context holds a span started since, which is then kept as the parent.
//
// Attributes follow the stable database semantic conventions; bound
// parameter values never appear in them, nor in span status messages: a
// failure is described by its classification (kind, SQLSTATE or error
// number, constraint and table names), never by the driver's message,
// which may quote values.
type Hook struct {
	tracer    trace.Tracer
	duration  dbconv.ClientOperationDuration
	system    dbconv.SystemNameAttr
	systemKV  attribute.KeyValue
	base      []attribute.KeyValue // namespace and server, for spans and the metric
	queryText bool
	// sets caches the metric's attribute sets (see metricSet); nsets
	// counts them.
	sets  sync.Map
	nsets atomic.Int32
}

// Option configures a Hook.
type Option func(*config)

type config struct {
	tp          trace.TracerProvider
	mp          metric.MeterProvider
	system      string
	namespace   string
	address     string
	port        int
	noQueryText bool
}

// WithTracerProvider sets the tracer provider (default: the global one,
// otel.GetTracerProvider, at NewHook).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets the meter provider (default: the global one,
// otel.GetMeterProvider, at NewHook).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithServerAddress sets server.address and server.port (port 0 leaves
// the port out). Instrument asks the database for them when not given;
// use this for the name clients connect to, which the server cannot know.
func WithServerAddress(host string, port int) Option {
	return func(c *config) { c.address, c.port = host, port }
}

// WithDatabase sets db.system.name and db.namespace. system is the ORM's
// dialect name ("postgres", "mysql", "mariadb", "sqlite", as
// DB.Dialect().Name() says) or a semantic-conventions value
// ("postgresql"); namespace is the database name (PostgreSQL: database and
// schema, "app.public"). Instrument finds both itself; NewHook needs them
// from this option, else db.system.name is "other_sql".
func WithDatabase(system, namespace string) Option {
	return func(c *config) { c.system, c.namespace = system, namespace }
}

// WithoutQueryText leaves db.query.text out of the spans. The ORM binds
// every value it sends, so its statements hold no values; SQL you write
// yourself (Raw, Exec) holds those you write into its text.
func WithoutQueryText() Option { return func(c *config) { c.noQueryText = true } }

// NewHook returns a hook for orm.WithQueryHook:
//
//	db, err := orm.Open("pgx", dsn, orm.WithQueryHook(otel.NewHook(
//		otel.WithDatabase("postgres", "app.public"),
//		otel.WithServerAddress("db.internal", 5432))))
//
// Instrument does the same for an open DB and finds the database's
// details itself. A meter provider that refuses the histogram leaves the
// hook without it; the error goes to OpenTelemetry's error handler
// (otel.Handle), as OpenTelemetry's own instrumentations do.
func NewHook(opts ...Option) *Hook {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return newHook(c)
}

func newHook(c config) *Hook {
	if c.tp == nil {
		c.tp = otelapi.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otelapi.GetMeterProvider()
	}
	meter := c.mp.Meter(ScopeName)
	dur, err := dbconv.NewClientOperationDuration(meter, metric.WithExplicitBucketBoundaries(DurationBuckets...))
	if err != nil {
		otelapi.Handle(fmt.Errorf("orm/otel: histogram %s: %w", dur.Name(), err))
	}
	h := &Hook{tracer: c.tp.Tracer(ScopeName), duration: dur, queryText: !c.noQueryText}
	h.system = systemName(c.system)
	h.systemKV = semconv.DBSystemNameKey.String(string(h.system))
	if c.namespace != "" {
		h.base = append(h.base, semconv.DBNamespace(c.namespace))
	}
	if c.address != "" {
		h.base = append(h.base, semconv.ServerAddress(c.address))
		if c.port > 0 {
			h.base = append(h.base, semconv.ServerPort(c.port))
		}
	}
	return h
}

// systemName maps a dialect name to its db.system.name value.
func systemName(s string) dbconv.SystemNameAttr {
	switch s {
	case "postgres", "postgresql", "pgx":
		return dbconv.SystemNamePostgreSQL
	case "mysql":
		return dbconv.SystemNameMySQL
	case "mariadb":
		return dbconv.SystemNameMariaDB
	case "sqlite", "sqlite3":
		return dbconv.SystemNameSQLite
	case "":
		return dbconv.SystemNameOtherSQL
	}
	return dbconv.SystemNameAttr(s)
}

// Instrument returns a copy of db whose work is traced and measured (db
// itself is unchanged; both share the pool). It reads db.system.name from
// the dialect and asks the database once for db.namespace and, when
// WithServerAddress is not given, server.address and server.port
// (PostgreSQL: the address the connection arrived on; MySQL/MariaDB: the
// server's host name and port; SQLite has none). Options given win over
// what it finds.
func Instrument(ctx context.Context, db *orm.DB, opts ...Option) (*orm.DB, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: otel.Instrument: nil DB", orm.ErrInvalidArgument)
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.system == "" {
		c.system = db.Dialect().Name()
	}
	if c.namespace == "" || c.address == "" {
		ns, addr, port, err := describe(ctx, db.SQL(), systemName(c.system))
		if err != nil {
			return nil, fmt.Errorf("orm/otel: Instrument: %w", err)
		}
		if c.namespace == "" {
			c.namespace = ns
		}
		if c.address == "" {
			c.address, c.port = addr, port
		}
	}
	return db.WithQueryHook(newHook(c)), nil
}

// describe asks the database for its namespace and, where it knows it,
// its address.
func describe(ctx context.Context, db *sql.DB, system dbconv.SystemNameAttr) (ns, addr string, port int, err error) {
	switch system {
	case dbconv.SystemNamePostgreSQL:
		var dbName, schema sql.NullString
		err = db.QueryRowContext(ctx, `SELECT current_database(), current_schema(),
			COALESCE(host(inet_server_addr()), ''), COALESCE(inet_server_port(), 0)`).Scan(&dbName, &schema, &addr, &port)
		ns = dbName.String
		if schema.Valid && schema.String != "" {
			ns += "." + schema.String
		}
	case dbconv.SystemNameMySQL, dbconv.SystemNameMariaDB:
		var dbName sql.NullString
		err = db.QueryRowContext(ctx, "SELECT DATABASE(), @@hostname, @@port").Scan(&dbName, &addr, &port)
		ns = dbName.String
	case dbconv.SystemNameSQLite:
		ns = "main"
	}
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return ns, addr, port, err
}

// Compile-time checks: the hook observes statements, flushes,
// transactions and attempts.
var (
	_ orm.QueryHook       = (*Hook)(nil)
	_ orm.FlushObserver   = (*Hook)(nil)
	_ orm.TxObserver      = (*Hook)(nil)
	_ orm.AttemptObserver = (*Hook)(nil)
)
