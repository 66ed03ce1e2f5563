// Package benchdb gives each benchmark a fresh, isolated database on
// PostgreSQL, MySQL/MariaDB or SQLite, removed when the benchmark ends.
//
// It is a small copy of what the main module's internal/testkit does (an
// internal package of another module cannot be imported):
//
//   - SQLMODEL_POSTGRES_DSN (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable):
//     a schema named sqlmb_<random> is created and used through search_path,
//     then dropped with CASCADE.
//   - SQLMODEL_POSTGRES_DRIVER: "pgx" (default, pgx's database/sql driver) or
//     "postgres" (lib/pq), for Each and Must; EachTarget runs PostgreSQL
//     through both drivers, as two targets.
//   - SQLMODEL_MYSQL_DSN (default root@tcp(127.0.0.1:3306)/): a database
//     named sqlmb_<random> is created, then dropped.
//   - SQLite: a file in b.TempDir().
//
// The benchmarks measure the clients, not the disk: PostgreSQL connections
// run with synchronous_commit=off and SQLite in WAL mode with
// synchronous=NORMAL, so that a commit does not wait for an fsync (whose
// latency on a shared VM swamps everything else). MariaDB's equivalent,
// innodb_flush_log_at_trx_commit, is a server-wide setting and is left as
// the server has it.
//
// A server that cannot be reached skips the (sub)benchmark with the reason.
//
// Every entrant of one comparison must use the same driver and the same
// connection settings; Target.OpenORM returns an *orm.DB whose SQL() pool is
// what the raw database/sql entrants use.
package benchdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "github.com/lib/pq"              // registers "postgres"
	_ "github.com/mattn/go-sqlite3"    // registers "sqlite3"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Default DSNs of the local servers.
const (
	DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultMySQLDSN    = "root@tcp(127.0.0.1:3306)/"
)

// Dialects are the databases the benchmarks run on, in this order.
var Dialects = []string{"postgres", "mysql", "sqlite"}

// Matrix names the database/driver pairs of the cross-ORM comparison, in
// order: PostgreSQL through pgx's database/sql driver, PostgreSQL through
// lib/pq, MySQL/MariaDB and SQLite. Every entrant of one pair runs on the
// same pool, hence the same driver.
var Matrix = []string{"pgx", "pq", "mysql", "sqlite"}

// Target is one isolated database.
type Target struct {
	Name    string // entry of Matrix, or the dialect for Each
	Dialect string // "postgres", "mysql" or "sqlite"
	Driver  string // database/sql driver: "pgx", "postgres", "mysql" or "sqlite3"
	DSN     string // DSN of the isolated schema or database
	Schema  string // PostgreSQL schema, MySQL database or SQLite file
}

// Each runs fn as a sub-benchmark per dialect, each with its own fresh
// database; an unreachable server skips its sub-benchmark.
func Each(b *testing.B, fn func(b *testing.B, tg Target)) {
	b.Helper()
	for _, d := range Dialects {
		b.Run(d, func(b *testing.B) {
			tg := Must(b, d)
			fn(b, tg)
		})
	}
}

// EachTarget runs fn as a sub-benchmark per entry of Matrix, each with its
// own fresh database; an unreachable server skips its sub-benchmark.
func EachTarget(b *testing.B, fn func(b *testing.B, tg Target)) {
	b.Helper()
	for _, name := range Matrix {
		b.Run(name, func(b *testing.B) {
			tg, err := NewTarget(b, name)
			if err != nil {
				b.Skipf("benchdb: %s unavailable: %v", name, err)
			}
			fn(b, tg)
		})
	}
}

// NewTarget creates the isolated database of a Matrix entry and registers
// its removal with tb.Cleanup.
func NewTarget(tb testing.TB, name string) (Target, error) {
	var tg Target
	var err error
	switch name {
	case "pgx", "pq":
		driver := "pgx"
		if name == "pq" {
			driver = "postgres"
		}
		tg, err = newPostgres(tb, driver)
	case "mysql", "sqlite":
		tg, err = New(tb, name)
	default:
		return Target{}, fmt.Errorf("benchdb: unknown target %q", name)
	}
	tg.Name = name
	return tg, err
}

// Must returns a fresh target of the dialect, or skips b with the reason
// the server is unavailable.
func Must(b *testing.B, dialect string) Target {
	b.Helper()
	tg, err := New(b, dialect)
	if err != nil {
		b.Skipf("benchdb: %s unavailable: %v", dialect, err)
	}
	return tg
}

// New creates an isolated database of the dialect and registers its removal
// with tb.Cleanup.
func New(tb testing.TB, dialect string) (Target, error) {
	switch dialect {
	case "postgres":
		return newPostgres(tb, env("SQLMODEL_POSTGRES_DRIVER", "pgx"))
	case "mysql":
		return newMySQL(tb)
	case "sqlite":
		path := filepath.Join(tb.TempDir(), "bench.db")
		return Target{Name: "sqlite", Dialect: "sqlite", Driver: "sqlite3", DSN: "file:" + path + "?_journal_mode=WAL&_synchronous=NORMAL", Schema: path}, nil
	}
	return Target{}, fmt.Errorf("benchdb: unknown dialect %q", dialect)
}

// OpenORM opens the target through orm.Open (which adjusts the DSN the way
// the ORM needs: MySQL parseTime and clientFoundRows; SQLite foreign keys,
// busy timeout, immediate transactions) and closes it at cleanup, failing
// if a connection is still in use (a leaked transaction or *sql.Rows).
func (tg Target) OpenORM(tb testing.TB, opts ...orm.Option) *orm.DB {
	tb.Helper()
	db, err := orm.Open(tg.Driver, tg.DSN, opts...)
	if err != nil {
		tb.Fatalf("benchdb: orm.Open %s: %v", tg.Dialect, err)
	}
	tb.Cleanup(func() {
		if n := db.SQL().Stats().InUse; n != 0 {
			tb.Errorf("benchdb: %d connection(s) still in use at the end", n)
		}
		if err := db.Close(); err != nil {
			tb.Errorf("benchdb: close: %v", err)
		}
	})
	return db
}

func uniqueName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "sqlmb_" + hex.EncodeToString(b[:])
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func withTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

func newPostgres(tb testing.TB, driver string) (Target, error) {
	dsn := env("SQLMODEL_POSTGRES_DSN", DefaultPostgresDSN)
	admin, err := sql.Open(driver, dsn)
	if err != nil {
		return Target{}, err
	}
	defer admin.Close()
	ctx, cancel := withTimeout()
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		return Target{}, err
	}
	schema := uniqueName()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		return Target{}, err
	}
	tb.Cleanup(func() {
		db, err := sql.Open(driver, dsn)
		if err != nil {
			tb.Errorf("benchdb: drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		ctx, cancel := withTimeout()
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("benchdb: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" { // key=value form
		return Target{Name: "postgres", Dialect: "postgres", Driver: driver, DSN: dsn + " search_path=" + schema + " synchronous_commit=off", Schema: schema}, nil
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return Target{Name: "postgres", Dialect: "postgres", Driver: driver, DSN: u.String(), Schema: schema}, nil
}

func newMySQL(tb testing.TB) (Target, error) {
	cfg, err := mysql.ParseDSN(env("SQLMODEL_MYSQL_DSN", DefaultMySQLDSN))
	if err != nil {
		return Target{}, err
	}
	cfg.DBName = ""
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return Target{}, err
	}
	defer admin.Close()
	ctx, cancel := withTimeout()
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		return Target{}, err
	}
	name := uniqueName()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		return Target{}, err
	}
	adminDSN := cfg.FormatDSN()
	tb.Cleanup(func() {
		db, err := sql.Open("mysql", adminDSN)
		if err != nil {
			tb.Errorf("benchdb: drop database %s: %v", name, err)
			return
		}
		defer db.Close()
		ctx, cancel := withTimeout()
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			tb.Errorf("benchdb: drop database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return Target{Name: "mysql", Dialect: "mysql", Driver: "mysql", DSN: cfg.FormatDSN(), Schema: name}, nil
}
