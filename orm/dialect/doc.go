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
// and the classification of driver errors.
//
// Every other difference between databases is a capability, never a name:
// code outside this package does not compare Name or Flavor (a test in
// internal/layering enforces it). A yes-or-no difference is a Feature flag
// (InsertReturning, LastInsertID, RowLocking, SkipLocked, NoWait,
// Savepoints, AlterForeignKeys, TransactionalDDL, ILike, TextTimes,
// Cursors, InterleavedResults, TypedCaseParams, CopyFrom,
// UpdateFromValues), tested with
// Features().Has. A difference in SQL text or settings is a method that
// returns the database's variant, "" where it needs none: LimitOffset,
// LikeEscape, CaseFoldFunc, SequenceReset, DeferForeignKeys, and for
// opening a database AdjustDSN, OpenDriver, ForPool, DriverName and
// DetectFlavor. OnConflict renders the upsert clause of each database, also
// the one of link rows that ignores a pair already linked (Conflict.Keep).
// Migrator holds what schema migrations (orm/migrate) need from a database:
// reading its catalog into a Catalog, normalising types and defaults, its
// ALTER statements, and a migration lock that dies with its connection.
// To add a difference: add a Feature constant (and its name in
// featureNames) or a method on Dialect, implement it in postgres.go,
// mysql.go (both flavors) and sqlite.go, with code they share in caps.go,
// pin its values in caps_test.go, and call it where the difference is.
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
