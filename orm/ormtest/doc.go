// Package ormtest gives each test a fresh, isolated database on every
// configured server (PostgreSQL, MySQL/MariaDB, SQLite), removed when the test
// ends, for testing your own models the way sqlmodel tests itself. It plays
// the part net/http/httptest plays for HTTP handlers: a normal package, meant
// to be imported from _test.go files.
//
//	func TestHero(t *testing.T) {
//		ormtest.Each(t, func(t *testing.T, db *orm.DB) { // subtests postgres, mysql, sqlite
//			ctx := context.Background()
//			if err := db.CreateAll(ctx, &Hero{}); err != nil {
//				t.Fatal(err)
//			}
//			// ... the database is empty and yours alone
//		})
//	}
//
// # Isolation and cleanup
//
// PostgreSQL tests get a schema of their own (named sqlm_<random>) in the
// database of SQLMODEL_POSTGRES_DSN, selected through the search_path
// connection parameter; MySQL/MariaDB tests a database of their own on the
// server of SQLMODEL_MYSQL_DSN (utf8mb4, binary collation); SQLite tests a
// file in a temporary directory. Unqualified table names therefore land in the
// test's own schema, and tests may run in parallel. At cleanup the schema is
// dropped with CASCADE, the database dropped, the directory removed; a failed
// drop fails the test.
//
// # Environment
//
//   - SQLMODEL_POSTGRES_DSN: the PostgreSQL server (default
//     postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); URL or
//     key=value form. The role must be allowed to create schemas.
//
//   - SQLMODEL_POSTGRES_DRIVER: "pgx" (the default, pgx's database/sql
//     driver) or "postgres" (lib/pq).
//
//   - SQLMODEL_MYSQL_DSN: the MySQL or MariaDB server (default
//     root@tcp(127.0.0.1:3306)/); the user must be allowed to create
//     databases. A database name in the DSN is ignored.
//
//   - SQLMODEL_REQUIRE_DIALECTS: a comma-separated list such as
//     "postgres,mysql,sqlite". A server that cannot be reached skips its
//     subtest, saying why and which variable to set, unless this list names
//     its dialect: then the test fails. CI should set it, so that a missing
//     server cannot pass for a green run.
//
//   - SQLMODEL_SQLITE_DRIVER: "sqlite3" (mattn/go-sqlite3, the default in
//     builds with cgo) or "sqlite" (modernc.org/sqlite, pure Go, the
//     default with CGO_ENABLED=0).
//
// SQLite needs nothing else.
//
// # Pieces
//
// Each and Open give an *orm.DB directly. EachTarget, Must and NewTarget give
// a Target (driver name and DSN of the isolated database) for tests that open
// their own pools, other drivers or other libraries; Unavailable turns
// NewTarget's error into the skip or the failure. Provision does the same
// without a testing.TB, for TestMain or programs, and returns the drop
// function to call. Record attaches a Recorder, a query hook that keeps every
// statement, for asserting the SQL an operation sends. Main, called from
// TestMain, ends a test binary with one line naming the databases whose
// tests were skipped (through Each, EachTarget or Must) and why, also on the
// terminal when go test ./... hides the passing package's output;
// SkipSummary returns that line.
//
// The package imports every driver package of the ORM (orm/driver/...):
// "pgx" (jackc/pgx stdlib), "postgres" (lib/pq), "mysql"
// (go-sql-driver/mysql), "sqlite3" (mattn/go-sqlite3) and "sqlite"
// (modernc.org/sqlite).
package ormtest
