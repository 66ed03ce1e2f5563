// Package benchdb gives each benchmark a fresh, isolated database on
// PostgreSQL, MySQL/MariaDB or SQLite, removed when the benchmark ends.
//
// The databases come from the main module's public test support,
// orm/ormtest, with the same environment:
//
//   - SQLMODEL_POSTGRES_DSN (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable):
//     a schema named sqlmb_<random> is created and used through search_path,
//     then dropped with CASCADE.
//   - SQLMODEL_POSTGRES_DRIVER: "pgx" (default, pgx's database/sql driver) or
//     "postgres" (lib/pq), for Each and Must; EachTarget runs PostgreSQL
//     through both drivers, as two targets.
//   - SQLMODEL_MYSQL_DSN (default root@tcp(127.0.0.1:3306)/): a database
//     named sqlmb_<random> is created, then dropped.
//   - SQLite: a file in b.TempDir(), through the build's default driver
//     (SQLMODEL_SQLITE_DRIVER, else mattn/go-sqlite3 with cgo) or, for the
//     Matrix entry "sqlite-go", the pure-Go modernc.org/sqlite.
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
// Every entrant of one comparison uses the same driver and the same
// connection settings; Target.OpenORM returns an *orm.DB whose SQL() pool is
// what the raw database/sql entrants use. A peer whose own documentation
// asks for a driver setting of its own gets a pool of its own with that
// setting and nothing else changed (OpenSimpleProtocol, for Bun on pgx).
package benchdb

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// Default DSNs of the local servers.
const (
	DefaultPostgresDSN = ormtest.DefaultPostgresDSN
	DefaultMySQLDSN    = ormtest.DefaultMySQLDSN
)

// Dialects are the databases the benchmarks run on, in this order.
var Dialects = ormtest.Dialects()

// Matrix names the database/driver pairs of the cross-ORM comparison, in
// order: PostgreSQL through pgx's database/sql driver, PostgreSQL through
// lib/pq, MySQL/MariaDB, SQLite through the default driver of the build
// (mattn/go-sqlite3 with cgo; SQLMODEL_SQLITE_DRIVER chooses another) and
// SQLite through the pure-Go modernc.org/sqlite ("sqlite-go"). Every
// entrant of one pair runs on the same pool, hence the same driver.
var Matrix = []string{"pgx", "pq", "mysql", "sqlite", "sqlite-go"}

// Target is one isolated database: an ormtest.Target (Dialect, Driver, DSN,
// Schema; Open and OpenORM, which closes the DB at cleanup and fails if a
// connection is still in use) with the name of its Matrix entry.
type Target struct {
	Name string // entry of Matrix, or the dialect for Each
	ormtest.Target
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
	switch name {
	case "pgx":
		return newTarget(tb, name, "postgres", ormtest.WithDriver("pgx"))
	case "pq":
		return newTarget(tb, name, "postgres", ormtest.WithDriver("postgres"))
	case "mysql", "sqlite":
		return New(tb, name)
	case "sqlite-go":
		return newTarget(tb, name, "sqlite", ormtest.WithDriver("sqlite"))
	}
	return Target{}, fmt.Errorf("benchdb: unknown target %q", name)
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
	return newTarget(tb, dialect, dialect)
}

// newTarget makes a target named name with the benchmarks' settings.
func newTarget(tb testing.TB, name, dialect string, opts ...ormtest.TargetOption) (Target, error) {
	opts = append(opts, ormtest.WithPrefix("sqlmb_"))
	switch dialect {
	case "postgres":
		opts = append(opts, ormtest.WithParam("synchronous_commit", "off"))
	case "sqlite":
		opts = append(opts, ormtest.WithParam("_journal_mode", "WAL"), ormtest.WithParam("_synchronous", "NORMAL"))
	}
	tg, err := ormtest.NewTarget(tb, dialect, opts...)
	if err != nil {
		return Target{}, err
	}
	return Target{Name: name, Target: tg}, nil
}

// OpenSimpleProtocol opens a pool of its own on a pgx target whose
// connections use pgx's simple protocol (pgx.ConnConfig.DefaultQueryExecMode
// = pgx.QueryExecModeSimpleProtocol), with the target's DSN otherwise
// unchanged: search_path, synchronous_commit and database/sql's default pool
// settings, as the ORM's pool. This is how Bun's PostgreSQL guide (section
// "pgx" of bun.uptrace.dev/postgres) says to use pgx: Bun formats values into
// the SQL text, so pgx's default statement cache would prepare every
// distinct text. The pool is closed at cleanup, before the schema is
// dropped.
func (tg Target) OpenSimpleProtocol(tb testing.TB) (*sql.DB, error) {
	tb.Helper()
	if tg.Driver != "pgx" {
		return nil, fmt.Errorf("benchdb: OpenSimpleProtocol needs a pgx target, not %s", tg.Driver)
	}
	cfg, err := pgx.ParseConfig(tg.DSN)
	if err != nil {
		return nil, err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	db := stdlib.OpenDB(*cfg)
	tb.Cleanup(func() { _ = db.Close() })
	return db, nil
}
