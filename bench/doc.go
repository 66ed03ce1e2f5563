// Package bench measures github.com/sqlmodel-go/sqlmodel against hand-written
// database/sql code on PostgreSQL, MySQL/MariaDB and SQLite.
//
// It is a separate Go module (its go.mod replaces the ORM with the
// repository's working tree) so that the peers it is compared with stay out
// of the main go.mod.
//
// Run everything from this directory:
//
//	go test -run '^$' -bench . -benchtime 1s
//
// Databases come from SQLMODEL_POSTGRES_DSN, SQLMODEL_POSTGRES_DRIVER and
// SQLMODEL_MYSQL_DSN (see internal/benchdb); each benchmark works in a fresh
// schema or database of its own and drops it at the end. A server that
// cannot be reached skips its sub-benchmarks with the reason.
//
// Session benchmarks (session_test.go, the aims of issue 3):
//
//   - BenchmarkGetIdentityHit: orm.Get of an object the session already
//     tracks (no SQL).
//   - BenchmarkFlushCleanScan: Flush of a session holding 100,000 clean
//     loaded objects (no SQL), reported per object as ns/object.
//   - BenchmarkFlushDirty1000: 1,000 loaded objects, one column changed on
//     each, Flush + Commit; against BenchmarkRawUpdate1000, the same 1,000
//     UPDATEs written by hand in one transaction, and
//     BenchmarkRawUpdate1000Prepared, the same with one prepared statement.
//
// The results, the machine and the command are in ../docs/performance.md.
package bench
