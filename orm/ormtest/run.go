package ormtest

import (
	"database/sql"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Each runs fn once per dialect of Dialects, as a subtest named after the
// dialect ("postgres", "mysql", "sqlite"), each with an *orm.DB opened on a
// fresh isolated database that is dropped at cleanup (see Target.OpenORM for
// the checks made then). A server that cannot be reached skips its subtest
// with the reason, or fails it if SQLMODEL_REQUIRE_DIALECTS names it.
//
// To give the DB options (a registry, a query hook), use EachTarget and
// Target.OpenORM.
func Each(t *testing.T, fn func(t *testing.T, db *orm.DB)) {
	t.Helper()
	EachTarget(t, func(t *testing.T, tg Target) {
		fn(t, tg.OpenORM(t))
	})
}

// EachTarget runs fn once per dialect of Dialects, as a subtest named after
// the dialect, each with a fresh isolated database that is dropped at
// cleanup. Unreachable servers are handled as by Each.
func EachTarget(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			fn(t, Must(t, d))
		})
	}
}

// Must returns a fresh target of the dialect (see NewTarget), or ends tb
// through Unavailable: skipped, or failed if the dialect is required.
func Must(tb testing.TB, dialect string, opts ...TargetOption) Target {
	tb.Helper()
	tg, err := NewTarget(tb, dialect, opts...)
	if err != nil {
		recordUnavailable(dialect, err)
		Unavailable(tb, dialect, err)
	}
	return tg
}

// Open returns an *orm.DB on a fresh isolated database of the dialect
// ("postgres", "mysql" or "sqlite"), opened with opts and closed and dropped
// at cleanup; an unreachable server skips or fails tb as in Each.
func Open(tb testing.TB, dialect string, opts ...orm.Option) *orm.DB {
	tb.Helper()
	return Must(tb, dialect).OpenORM(tb, opts...)
}

// Open opens a database/sql pool on the target with its driver, and closes
// it at cleanup (before the database is dropped); closing it earlier is
// fine.
func (tg Target) Open(tb testing.TB) *sql.DB {
	tb.Helper()
	return tg.OpenWithDriver(tb, tg.Driver)
}

// OpenWithDriver is Open with another driver of the same database (for
// PostgreSQL: "pgx" or "postgres").
func (tg Target) OpenWithDriver(tb testing.TB, driver string) *sql.DB {
	tb.Helper()
	db, err := sql.Open(driver, tg.DSN)
	if err != nil {
		tb.Fatalf("ormtest: open %s with %s: %v", tg.Dialect, driver, err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// OpenORM opens the target through orm.Open with opts. At cleanup (before the
// database is dropped) it fails tb if connections are still in use, which
// means a leaked *sql.Rows, Iter or transaction, then closes the DB.
func (tg Target) OpenORM(tb testing.TB, opts ...orm.Option) *orm.DB {
	tb.Helper()
	db, err := orm.Open(tg.Driver, tg.DSN, opts...)
	if err != nil {
		tb.Fatalf("ormtest: orm.Open %s: %v", tg.Dialect, err)
	}
	tb.Cleanup(func() {
		// database/sql returns the connection of a transaction whose
		// context was cancelled from a goroutine of its own: give it a
		// moment before calling a connection leaked.
		n := db.SQL().Stats().InUse
		for deadline := time.Now().Add(2 * time.Second); n != 0 && time.Now().Before(deadline); n = db.SQL().Stats().InUse {
			time.Sleep(10 * time.Millisecond)
		}
		if n != 0 {
			tb.Errorf("ormtest: %d connection(s) still in use at the end of the test (leaked rows, iterator or transaction)", n)
		}
		if err := db.Close(); err != nil {
			tb.Errorf("ormtest: close: %v", err)
		}
	})
	return db
}
