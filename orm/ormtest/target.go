package ormtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Environment variables the package reads (see the package documentation).
const (
	EnvPostgresDSN    = "SQLMODEL_POSTGRES_DSN"
	EnvPostgresDriver = "SQLMODEL_POSTGRES_DRIVER"
	EnvMySQLDSN       = "SQLMODEL_MYSQL_DSN"
	EnvSQLiteDriver   = "SQLMODEL_SQLITE_DRIVER"
	EnvRequire        = "SQLMODEL_REQUIRE_DIALECTS"
)

// Default DSNs of the local servers, used when the environment sets none.
const (
	DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultMySQLDSN    = "root@tcp(127.0.0.1:3306)/"
)

// DefaultPrefix starts the name of every schema and database the package
// creates; WithPrefix chooses another.
const DefaultPrefix = "sqlm_"

// Timeouts of the administrative statements: reaching the server and
// creating the schema, then dropping it.
const (
	connectTimeout = 10 * time.Second
	dropTimeout    = 30 * time.Second
)

// Dialects returns the dialects Each and EachTarget run, in their order:
// "postgres", "mysql" (MySQL or MariaDB), "sqlite".
func Dialects() []string { return []string{"postgres", "mysql", "sqlite"} }

// ErrUnavailable is wrapped by the error NewTarget and Provision return when
// the server cannot be reached (or, for SQLite, the driver cannot work).
var ErrUnavailable = errors.New("unavailable")

var errUnknownDialect = errors.New("unknown dialect")

// Target is one isolated database: what a test needs to open it.
type Target struct {
	Dialect string // "postgres", "mysql" or "sqlite"
	Driver  string // database/sql driver name: "pgx", "postgres", "mysql", "sqlite3" or "sqlite"
	DSN     string // DSN of the isolated schema/database
	// Schema is the PostgreSQL schema, MySQL database or SQLite file the
	// target lives in.
	Schema string
}

// A TargetOption adjusts how NewTarget and Provision create a target.
type TargetOption func(*config)

type config struct {
	driver string
	prefix string
	params [][2]string
}

// WithDriver sets the database/sql driver of the target, for PostgreSQL
// "pgx" or "postgres" (lib/pq); it takes precedence over
// SQLMODEL_POSTGRES_DRIVER. Any registered driver of the dialect works.
func WithDriver(name string) TargetOption { return func(c *config) { c.driver = name } }

// WithParam adds a connection parameter to the target's DSN: a run-time
// parameter on PostgreSQL (WithParam("synchronous_commit", "off")), a DSN
// parameter of go-sql-driver/mysql (system variables included), a URI
// parameter of go-sqlite3 (WithParam("_journal_mode", "WAL")).
func WithParam(key, value string) TargetOption {
	return func(c *config) { c.params = append(c.params, [2]string{key, value}) }
}

// WithPrefix sets how the names of the created schemas and databases start
// (DefaultPrefix otherwise), e.g. to tell one suite's leftovers from
// another's. The rest of the name is random.
func WithPrefix(prefix string) TargetOption { return func(c *config) { c.prefix = prefix } }

// Required reports whether SQLMODEL_REQUIRE_DIALECTS names the dialect.
// Any name may be listed, so that tests of other services (a replica, a
// cluster) can use the same switch.
func Required(dialect string) bool {
	for _, d := range strings.Split(os.Getenv(EnvRequire), ",") {
		if strings.TrimSpace(d) == dialect {
			return true
		}
	}
	return false
}

// Unavailable handles the error of NewTarget for a dialect: it fails tb if
// SQLMODEL_REQUIRE_DIALECTS names the dialect (or the dialect is unknown to
// NewTarget), and skips it with the reason otherwise. Tests that reach other
// services can call it with their own names and errors.
func Unavailable(tb testing.TB, dialect string, err error) {
	tb.Helper()
	switch {
	case errors.Is(err, errUnknownDialect):
		tb.Fatal(err)
	case Required(dialect):
		tb.Fatalf("%v; failing: %s names %s", err, EnvRequire, dialect)
	default:
		tb.Skipf("%v; skipped (list %s in %s to make this a failure)", err, dialect, EnvRequire)
	}
}

// NewTarget creates an isolated schema or database of the dialect and
// registers its removal with tb.Cleanup; a failed removal fails tb. It
// returns an error, wrapping ErrUnavailable when the server cannot be
// reached; Unavailable turns it into a skip or a failure.
func NewTarget(tb testing.TB, dialect string, opts ...TargetOption) (Target, error) {
	tb.Helper()
	tempDir := func() (string, func() error, error) { return tb.TempDir(), nil, nil }
	tg, drop, err := provision(tb.Context(), dialect, opts, tempDir)
	if err != nil {
		return Target{}, err
	}
	if drop != nil {
		tb.Cleanup(func() {
			if err := drop(); err != nil {
				tb.Errorf("ormtest: drop %s %s: %v", tg.Dialect, tg.Schema, err)
			}
		})
	}
	return tg, nil
}

// Provision is NewTarget without a testing.TB, for TestMain or a program:
// it creates the isolated schema or database and returns drop, which removes
// it (the SQLite directory included) and must be called when done.
func Provision(ctx context.Context, dialect string, opts ...TargetOption) (tg Target, drop func() error, err error) {
	tempDir := func() (string, func() error, error) {
		dir, err := os.MkdirTemp("", "ormtest-")
		return dir, func() error { return os.RemoveAll(dir) }, err
	}
	return provision(ctx, dialect, opts, tempDir)
}

// provision creates a target; tempDir gives the directory of a SQLite file
// and its removal (nil when someone else removes it).
func provision(ctx context.Context, dialect string, opts []TargetOption, tempDir func() (string, func() error, error)) (Target, func() error, error) {
	c := config{prefix: DefaultPrefix}
	for _, o := range opts {
		o(&c)
	}
	switch dialect {
	case "postgres":
		return newPostgres(ctx, c)
	case "mysql":
		return newMySQL(ctx, c)
	case "sqlite":
		return newSQLite(ctx, c, tempDir)
	}
	return Target{}, nil, fmt.Errorf("ormtest: %w %q (want one of %s)", errUnknownDialect, dialect, strings.Join(Dialects(), ", "))
}

func uniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// envDSN returns the DSN in the environment variable, or def, and a hint for
// the case the server cannot be reached.
func envDSN(name, def string) (dsn, hint string) {
	if v := os.Getenv(name); v != "" {
		return v, "check the server named by " + name
	}
	return def, name + " is not set and the default server (" + def + ") did not answer: set " + name + " to a reachable server"
}

// server is a database server to make an isolated namespace on: an admin
// connection and the statements creating and dropping the namespace.
type server struct {
	dialect, driver, adminDSN, hint string
	create, drop                    string
}

// provision creates the namespace and returns the function dropping it.
func (s server) provision(ctx context.Context) (func() error, error) {
	admin, err := sql.Open(s.driver, s.adminDSN)
	if err != nil {
		return nil, fmt.Errorf("ormtest: open %s (%s): %w", s.dialect, s.hint, err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("ormtest: %s %w: server unreachable: %w (%s)", s.dialect, ErrUnavailable, err, s.hint)
	}
	if _, err := admin.ExecContext(ctx, s.create); err != nil {
		return nil, fmt.Errorf("ormtest: %s: %s: %w", s.dialect, s.create, err)
	}
	return func() error {
		db, err := sql.Open(s.driver, s.adminDSN)
		if err != nil {
			return err
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
		defer cancel()
		_, err = db.ExecContext(ctx, s.drop)
		return err
	}, nil
}

func newPostgres(ctx context.Context, c config) (Target, func() error, error) {
	dsn, hint := envDSN(EnvPostgresDSN, DefaultPostgresDSN)
	driver := cmp.Or(c.driver, os.Getenv(EnvPostgresDriver), "pgx")
	schema := uniqueName(c.prefix)
	s := server{dialect: "postgres", driver: driver, adminDSN: dsn, hint: hint,
		create: `CREATE SCHEMA ` + schema, drop: `DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`}
	drop, err := s.provision(ctx)
	if err != nil {
		return Target{}, nil, err
	}
	params := append([][2]string{{"search_path", schema}}, c.params...)
	return Target{Dialect: "postgres", Driver: driver, DSN: postgresDSN(dsn, params), Schema: schema}, drop, nil
}

// postgresDSN adds run-time parameters to a DSN in URL or key=value form.
func postgresDSN(dsn string, params [][2]string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" { // key=value form
		var b strings.Builder
		b.WriteString(dsn)
		for _, p := range params {
			v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(p[1])
			fmt.Fprintf(&b, " %s='%s'", p[0], v)
		}
		return b.String()
	}
	q := u.Query()
	for _, p := range params {
		q.Set(p[0], p[1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func newMySQL(ctx context.Context, c config) (Target, func() error, error) {
	dsn, hint := envDSN(EnvMySQLDSN, DefaultMySQLDSN)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return Target{}, nil, fmt.Errorf("ormtest: %s: %w", EnvMySQLDSN, err)
	}
	cfg.DBName = ""
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	name := uniqueName(c.prefix)
	s := server{dialect: "mysql", driver: cmp.Or(c.driver, "mysql"), adminDSN: cfg.FormatDSN(), hint: hint,
		create: "CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
		drop:   "DROP DATABASE IF EXISTS `" + name + "`"}
	drop, err := s.provision(ctx)
	if err != nil {
		return Target{}, nil, err
	}
	cfg.DBName = name
	for _, p := range c.params {
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params[p[0]] = p[1]
	}
	return Target{Dialect: "mysql", Driver: s.driver, DSN: cfg.FormatDSN(), Schema: name}, drop, nil
}

// sqliteEscape escapes what a SQLite URI filename would otherwise take for
// the query or the fragment (a subtest's temporary directory may contain #).
var sqliteEscape = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

func newSQLite(ctx context.Context, c config, tempDir func() (string, func() error, error)) (Target, func() error, error) {
	dir, remove, err := tempDir()
	if err != nil {
		return Target{}, nil, fmt.Errorf("ormtest: sqlite: %w", err)
	}
	path := filepath.Join(dir, "test.db")
	dsn := "file:" + sqliteEscape.Replace(filepath.ToSlash(path))
	for i, p := range c.params {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		dsn += sep + url.QueryEscape(p[0]) + "=" + url.QueryEscape(p[1])
	}
	tg := Target{Dialect: "sqlite", Driver: cmp.Or(c.driver, SQLiteDriver()), DSN: dsn, Schema: path}
	if err := pingSQLite(ctx, tg); err != nil {
		if remove != nil {
			_ = remove()
		}
		return Target{}, nil, err
	}
	return tg, remove, nil
}

// pingSQLite opens the file, which tells a driver built without cgo.
func pingSQLite(ctx context.Context, tg Target) error {
	db, err := sql.Open(tg.Driver, tg.DSN)
	if err == nil {
		err = db.PingContext(ctx)
		db.Close()
	}
	if err != nil {
		return fmt.Errorf("ormtest: sqlite %w: %w (driver %s)", ErrUnavailable, err, tg.Driver)
	}
	return nil
}
