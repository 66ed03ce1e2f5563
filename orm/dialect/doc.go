// Package dialect holds what differs between the databases the ORM runs on:
// PostgreSQL (drivers "postgres" for lib/pq and "pgx"), MySQL and MariaDB
// ("mysql") and SQLite ("sqlite3"). Each is a stateless Dialect value, safe
// for concurrent use, chosen once by ForDriver from the database/sql driver
// name (MariaDB is told from MySQL by the server's version when a DB opens).
//
// A Dialect must provide the core every statement needs: its name and
// flavor, identifier quoting (every identifier that reaches SQL goes through
// Quote), bind placeholders and the bind-parameter limit, the SQL type of
// each column, CREATE/DROP TABLE and foreign-key DDL, row-locking clauses,
// and the classification of driver errors. What a database can or cannot do
// is stated as Feature flags (InsertReturning, LastInsertID, RowLocking,
// SkipLocked, NoWait, Savepoints, AlterForeignKeys, TransactionalDDL, ILike)
// that the session tests with Features().Has instead of comparing names.
// OnConflict renders the upsert clause of each database.
//
// Driver errors are classified always, not behind a flag: Classify maps
// them to the sentinels of this package (ErrUniqueViolation,
// ErrForeignKeyViolation, ErrNotNullViolation, ErrCheckViolation,
// ErrSerialization, ErrDeadlock, ErrLockTimeout), wrapped in a
// *ConstraintError that names the constraint, table and column, or a
// *RetryableError; the driver's own error stays reachable with errors.As.
// The code that reads each driver's error type lives in a file of its own
// (classify_pq.go, classify_pgx.go, classify_mysql.go, classify_sqlite.go).
//
// The package imports only orm/schema; it knows nothing of sessions. Users
// rarely import it: the orm package re-exports its errors.
package dialect
