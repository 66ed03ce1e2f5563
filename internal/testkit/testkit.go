// Package testkit runs a test body once per database (PostgreSQL, MySQL or
// MariaDB, SQLite), each time against a fresh, isolated schema or database that
// is removed when the test ends.
//
// DSNs come from SQLMODEL_POSTGRES_DSN and SQLMODEL_MYSQL_DSN (defaults: the
// local servers on 127.0.0.1:5432 and 127.0.0.1:3306); SQLite needs nothing.
// A database that cannot be reached is skipped with its reason, unless
// SQLMODEL_REQUIRE_DIALECTS (a comma-separated list such as
// "postgres,mysql,sqlite") names it, in which case the test fails.
//
// SQLMODEL_POSTGRES_DRIVER chooses the PostgreSQL driver ("pgx", the default,
// or "postgres" for lib/pq).
//
// Only tests import this package.
package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "github.com/lib/pq"              // registers "postgres"
	_ "github.com/mattn/go-sqlite3"    // registers "sqlite3"
)

// Default DSNs of the local servers.
const (
	DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultMySQLDSN    = "root@tcp(127.0.0.1:3306)/"
)

// Dialect names used by the matrix, in the order tests run.
var Dialects = []string{"postgres", "mysql", "sqlite"}

// Target is one isolated database for one test.
type Target struct {
	Dialect string // "postgres", "mysql" or "sqlite"
	Driver  string // database/sql driver name: "pgx", "postgres", "mysql" or "sqlite3"
	DSN     string // DSN of the isolated schema/database
	// Schema is the PostgreSQL schema, MySQL database or SQLite file the
	// target lives in.
	Schema string
}

// Open opens the target with its driver. The caller closes the pool.
func (tg Target) Open(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open(tg.Driver, tg.DSN)
	if err != nil {
		t.Fatalf("testkit: open %s: %v", tg.Dialect, err)
	}
	return db
}

// OpenWithDriver opens the target with another driver of the same database
// (for PostgreSQL: "pgx" or "postgres").
func (tg Target) OpenWithDriver(t testing.TB, driver string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, tg.DSN)
	if err != nil {
		t.Fatalf("testkit: open %s with %s: %v", tg.Dialect, driver, err)
	}
	return db
}

// Required reports whether SQLMODEL_REQUIRE_DIALECTS names the dialect.
func Required(dialect string) bool {
	for _, d := range strings.Split(os.Getenv("SQLMODEL_REQUIRE_DIALECTS"), ",") {
		if strings.TrimSpace(d) == dialect {
			return true
		}
	}
	return false
}

// EachTarget runs fn once per dialect as a subtest named after the dialect,
// each with a fresh isolated database that is dropped at cleanup.
func EachTarget(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			tg, err := NewTarget(t, d)
			if err != nil {
				if Required(d) {
					t.Fatalf("testkit: %s is required (SQLMODEL_REQUIRE_DIALECTS) but unavailable: %v", d, err)
				}
				t.Skipf("testkit: %s unavailable: %v", d, err)
			}
			fn(t, tg)
		})
	}
}

// NewTarget creates an isolated database of the given dialect and registers
// its removal with t.Cleanup. It returns an error when the server cannot be
// reached.
func NewTarget(t testing.TB, dialect string) (Target, error) {
	switch dialect {
	case "postgres":
		return newPostgres(t)
	case "mysql":
		return newMySQL(t)
	case "sqlite":
		dir := t.TempDir()
		path := filepath.Join(dir, "test.db")
		return Target{Dialect: "sqlite", Driver: "sqlite3", DSN: "file:" + path, Schema: path}, nil
	}
	return Target{}, fmt.Errorf("testkit: unknown dialect %q", dialect)
}

func uniqueName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "sqlm_" + hex.EncodeToString(b[:])
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

func newPostgres(t testing.TB) (Target, error) {
	dsn := env("SQLMODEL_POSTGRES_DSN", DefaultPostgresDSN)
	driver := env("SQLMODEL_POSTGRES_DRIVER", "pgx")
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
	t.Cleanup(func() {
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Errorf("testkit: drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		ctx, cancel := withTimeout()
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("testkit: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		// key=value form
		return Target{Dialect: "postgres", Driver: driver, DSN: dsn + " search_path=" + schema, Schema: schema}, nil
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return Target{Dialect: "postgres", Driver: driver, DSN: u.String(), Schema: schema}, nil
}

func newMySQL(t testing.TB) (Target, error) {
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
	t.Cleanup(func() {
		db, err := sql.Open("mysql", adminDSN)
		if err != nil {
			t.Errorf("testkit: drop database %s: %v", name, err)
			return
		}
		defer db.Close()
		ctx, cancel := withTimeout()
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("testkit: drop database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return Target{Dialect: "mysql", Driver: "mysql", DSN: cfg.FormatDSN(), Schema: name}, nil
}
