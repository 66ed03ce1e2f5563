// Package bench measures github.com/sqlmodel-go/sqlmodel against hand-written
// database/sql code on PostgreSQL, MySQL/MariaDB and SQLite.
//
// It is a separate Go module (its go.mod replaces the ORM with the
// repository's working tree) so that the peers it is compared with stay out
// of the main go.mod.
//
// The cross-ORM comparison of issue 7 (raw database/sql, sqlx, GORM, Bun,
// and this ORM through a Session and through *DB, on PostgreSQL with pgx
// and with lib/pq, MariaDB and SQLite) is run by the report command, which
// also rewrites ../docs/performance.md:
//
//	go run ./cmd/report
//
// The benchmarks it runs:
//
//   - BenchmarkCRUD (crud_test.go): Insert, InsertMulti, Update, Read and
//     ReadSlice on the 8-column models table.
//   - BenchmarkUoW (uow_test.go): load 100 parents with 10 children each,
//     change one child in ten, save; and 1,000 new related objects written
//     in one commit.
//   - BenchmarkBulkInsert (bulk_test.go): 100,000 rows through orm.BulkInsert
//     (COPY and multi-row) against pgx CopyFrom, lib/pq CopyIn and
//     hand-written multi-row INSERTs.
//
// Any of them runs on its own too, from this directory:
//
//	go test -run '^$' -bench 'CRUD/pgx/Read' -benchmem
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
// BenchmarkPreload and BenchmarkPreloadPeers (issue 6) load 1,000 parents
// with 10 children each through Preload, sqlx by hand, GORM and Bun.
//
// The results, the machine and the commands are in ../docs/performance.md.
package bench
