// Package testkit runs a test body once per database (PostgreSQL, MySQL or
// MariaDB, SQLite), each time against a fresh, isolated schema or database that
// is removed when the test ends.
//
// It is the module's own name for the public package orm/ormtest, which does
// the work: the types are aliases and the functions one-line wrappers, kept so
// that the module's tests read as they always have. The environment is
// ormtest's: SQLMODEL_POSTGRES_DSN and SQLMODEL_MYSQL_DSN (defaults: the local
// servers on 127.0.0.1:5432 and 127.0.0.1:3306), SQLMODEL_POSTGRES_DRIVER
// ("pgx", the default, or "postgres" for lib/pq) and SQLMODEL_REQUIRE_DIALECTS
// (a comma-separated list such as "postgres,mysql,sqlite": a named database
// that cannot be reached fails the test instead of skipping it).
//
// Only tests import this package.
package testkit

import (
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// Default DSNs of the local servers.
const (
	DefaultPostgresDSN = ormtest.DefaultPostgresDSN
	DefaultMySQLDSN    = ormtest.DefaultMySQLDSN
)

// Dialects names the databases of the matrix, in the order tests run.
var Dialects = ormtest.Dialects()

// Target is one isolated database for one test (ormtest.Target).
type Target = ormtest.Target

// Recorder is a query hook that records every statement (ormtest.Recorder).
type Recorder = ormtest.Recorder

// Required reports whether SQLMODEL_REQUIRE_DIALECTS names the dialect.
func Required(dialect string) bool { return ormtest.Required(dialect) }

// EachTarget runs fn once per dialect as a subtest named after the dialect,
// each with a fresh isolated database that is dropped at cleanup.
func EachTarget(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Helper()
	ormtest.EachTarget(t, fn)
}

// NewTarget creates an isolated database of the given dialect and registers
// its removal with t.Cleanup. It returns an error when the server cannot be
// reached.
func NewTarget(t testing.TB, dialect string) (Target, error) {
	t.Helper()
	return ormtest.NewTarget(t, dialect)
}

// EachDialect runs fn once per database with an *orm.DB opened on a fresh
// isolated database. At cleanup it fails the test if connections are still
// in use (a leaked *sql.Rows or transaction), then closes the DB.
func EachDialect(t *testing.T, fn func(t *testing.T, db *orm.DB)) {
	t.Helper()
	ormtest.Each(t, fn)
}

// OpenORM opens tg through orm.Open and registers the leak check and Close
// with t.Cleanup.
func OpenORM(t testing.TB, tg Target, opts ...orm.Option) *orm.DB {
	t.Helper()
	return tg.OpenORM(t, opts...)
}

// Record returns a copy of db that records its statements, and the recorder.
func Record(db *orm.DB) (*orm.DB, *Recorder) { return ormtest.Record(db) }
