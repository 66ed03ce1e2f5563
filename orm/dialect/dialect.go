package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Dialect is what the ORM needs to know about one database: how to write
// identifiers, placeholders, types and DDL, which features it has, and how
// to read its errors. Implementations are stateless values, safe for
// concurrent use.
type Dialect interface {
	// Name is "postgres", "mysql" or "sqlite".
	Name() string
	// Flavor distinguishes servers that share a dialect: "mariadb" or
	// "mysql" for the mysql dialect; equal to Name otherwise.
	Flavor() string
	// Features lists what the database supports.
	Features() Feature
	// Quote quotes an identifier, doubling quote characters inside it.
	Quote(ident string) string
	// Placeholder returns the bind placeholder of the n-th (1-based) argument.
	Placeholder(n int) string
	// MaxBindParams is the number of bind parameters one statement may carry.
	MaxBindParams() int
	// ColumnType is the SQL type of a column: its type= option verbatim, or
	// the dialect's mapping of its Go type.
	ColumnType(f *schema.Field) (string, error)
	// CreateTable returns the statements that create the table of m and its
	// indexes if they do not exist. Foreign keys for which omit returns true
	// are left out (CreateAll adds them later with AddForeignKey).
	CreateTable(m *schema.Model, omit func(*schema.ForeignKey) bool) ([]string, error)
	// AddForeignKey returns the ALTER TABLE statement adding fk to m, or ""
	// when the database cannot add constraints to an existing table
	// (see Features AlterForeignKeys).
	AddForeignKey(m *schema.Model, fk *schema.ForeignKey) string
	// DropForeignKey returns the ALTER TABLE statement removing fk from m, or "".
	DropForeignKey(m *schema.Model, fk *schema.ForeignKey) string
	// ForeignKeyExists returns a query with one row when m's table has a
	// constraint of fk's name in the current schema.
	ForeignKeyExists(m *schema.Model, fk *schema.ForeignKey) (query string, args []any)
	// DropTable returns the statement dropping the table of m if it exists.
	DropTable(m *schema.Model) string
	// LockClause returns the row-locking clause of a SELECT ("FOR UPDATE",
	// "FOR UPDATE SKIP LOCKED", ...); SkipLocked wins over NoWait. It returns
	// an error matching ErrUnsupported where the database has no row locks.
	LockClause(skipLocked, noWait bool) (string, error)
	// ClassifyError maps a driver error to the sentinels of this package;
	// see Classify.
	ClassifyError(err error) error

	// The methods below hold the differences between databases that are
	// more than a yes or no (those are Features): each returns the SQL
	// text or setting of its database, and "" (or its input unchanged)
	// where the database needs nothing. Code outside this package asks
	// them instead of comparing Name or Flavor.

	// LimitOffset returns the LIMIT/OFFSET clause of a SELECT, starting
	// with a space, or "" when there is neither. A negative limit is no
	// limit; an offset of 0 or less is no offset. MySQL and SQLite need a
	// LIMIT before an OFFSET: an offset without a limit gets the largest
	// one (MySQL 18446744073709551615, SQLite -1); PostgreSQL writes the
	// OFFSET alone.
	LimitOffset(limit, offset int64) string
	// LikeEscape is the backslash as a string literal of the database,
	// for LIKE ... ESCAPE, whatever the session's settings: MySQL
	// CHAR(92) (its '\\' depends on NO_BACKSLASH_ESCAPES), PostgreSQL
	// E'\\' (independent of standard_conforming_strings), SQLite '\'.
	LikeEscape() string
	// CaseFoldFunc is the SQL function a case-insensitive comparison
	// lower-cases both sides with where the database has no ILIKE (see
	// Features ILike): LOWER, or sqlm_lower on SQLite connections that
	// have the ORM's functions (SQLiteWithFunctions).
	CaseFoldFunc() string
	// SequenceReset returns the statement that moves the counter of m's
	// autoincrement column past the largest key in the table, after rows
	// were inserted with explicit keys, with its arguments; "" where the
	// database moves its counter itself (MySQL, SQLite) or m has no
	// autoincrement column. PostgreSQL's moves the identity sequence with
	// setval, only ever forward: sequences are not transactional, and
	// moving one back would hand out again keys other transactions hold.
	SequenceReset(m *schema.Model) (query string, args []any)
	// DeferForeignKeys returns the statement that postpones the checks of
	// foreign keys to the COMMIT of the current transaction, for DropAll
	// to drop the tables of a cycle whose keys it cannot drop first
	// (SQLite: PRAGMA defer_foreign_keys); "" where the database drops
	// the keys instead (see Features AlterForeignKeys).
	DeferForeignKeys() string
	// DriverName is the database/sql driver name that stands for the
	// dialect when only the dialect is known (it selects sqlx's bind
	// style): "postgres", "mysql" or "sqlite3".
	DriverName() string
	// DetectFlavor returns the dialect of the server behind db: MySQL asks
	// the server's version to tell MariaDB apart; the others return d
	// without a query.
	DetectFlavor(ctx context.Context, db *sql.DB) (Dialect, error)
	// Migrator returns what schema migrations (orm/migrate) need from the
	// database: its catalog, its ALTER statements and its migration lock.
	Migrator() Migrator
}

// InMemory tells whether a DSN names an in-memory database
// (Driver.AdjustDSN).
type InMemory uint8

// Kinds of in-memory databases.
const (
	// NotInMemory: a database on disk or a server.
	NotInMemory InMemory = iota
	// PrivateMemory: one database per connection (SQLite ":memory:"), so
	// a pool must hold one connection.
	PrivateMemory
	// SharedMemory: one database for every connection of the process
	// (SQLite "mode=memory&cache=shared"), which lives as long as one of
	// them is open.
	SharedMemory
)

// Feature is a set of capabilities of a database.
type Feature uint32

// Capabilities a Dialect may have.
const (
	// InsertReturning: INSERT ... RETURNING reads generated keys and
	// defaults back, also for multi-row INSERTs.
	InsertReturning Feature = 1 << iota
	// LastInsertID: generated keys come from Result.LastInsertId; a
	// multi-row INSERT returns the first key, the others follow it.
	LastInsertID
	// RowLocking: SELECT ... FOR UPDATE.
	RowLocking
	// SkipLocked: FOR UPDATE SKIP LOCKED.
	SkipLocked
	// NoWait: FOR UPDATE NOWAIT.
	NoWait
	// Savepoints: SAVEPOINT / ROLLBACK TO SAVEPOINT / RELEASE SAVEPOINT.
	Savepoints
	// AlterForeignKeys: ALTER TABLE ADD/DROP CONSTRAINT for foreign keys.
	AlterForeignKeys
	// TransactionalDDL: CREATE and DROP take part in transactions.
	TransactionalDDL
	// ILike: the ILIKE operator. Without it a case-insensitive LIKE
	// compares both sides through CaseFoldFunc.
	ILike
	// TextTimes: times are stored as text, so that they compare and sort
	// as instants only when written in one zone: the session binds every
	// time.Time in UTC.
	TextTimes
	// Cursors: DECLARE ... CURSOR / FETCH inside a transaction, so that a
	// long result is read in batches while the connection stays free for
	// other statements between them.
	Cursors
	// InterleavedResults: a connection runs other statements while a
	// result set is open on it.
	InterleavedResults
	// TypedCaseParams: a bind parameter in a CASE branch has no type the
	// database can infer, so batched UPDATEs write CAST(param AS type)
	// with the column's ColumnType, and update columns whose type cannot
	// be named one row at a time.
	TypedCaseParams
	// CopyFrom: COPY ... FROM STDIN loads rows in bulk (BulkCopy), with a
	// driver that speaks it (pgx or lib/pq).
	CopyFrom
	// UpdateFromValues: batched UPDATEs join the rows' keys and new values
	// as a VALUES list (UPDATE t SET c = v.column2 FROM (VALUES …) AS v
	// WHERE t.k = v.column1) instead of a CASE per column: on SQLite
	// (3.33 and later; RETURNING already needs 3.35) it costs a third of
	// the CASE form to prepare and run.
	UpdateFromValues
)

var featureNames = []string{"InsertReturning", "LastInsertID", "RowLocking", "SkipLocked", "NoWait", "Savepoints", "AlterForeignKeys", "TransactionalDDL", "ILike", "TextTimes", "Cursors", "InterleavedResults", "TypedCaseParams", "CopyFrom", "UpdateFromValues"}

// Has reports whether every feature of x is in f.
func (f Feature) Has(x Feature) bool { return f&x == x }

func (f Feature) String() string {
	var parts []string
	for i, n := range featureNames {
		if f.Has(1 << i) {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "|")
}

// ForDriver returns the dialect of a database/sql driver name: "postgres",
// "pgx" and "pgx/v5" are PostgreSQL, "mysql" is MySQL (see MariaDB for
// MariaDB servers), "sqlite3" and "sqlite" are SQLite.
func ForDriver(driver string) (Dialect, error) {
	switch driver {
	case "postgres", "pgx", "pgx/v5", "postgresql":
		return Postgres(), nil
	case "mysql":
		return MySQL(), nil
	case "mariadb":
		return MariaDB(), nil
	case "sqlite3", "sqlite":
		return SQLite(), nil
	}
	return nil, fmt.Errorf("orm/dialect: unknown driver %q (want postgres, pgx, mysql or sqlite3)", driver)
}

// quoteWith quotes ident with q, doubling q inside it.
func quoteWith(ident string, q byte) string {
	var b strings.Builder
	b.Grow(len(ident) + 2)
	b.WriteByte(q)
	for i := 0; i < len(ident); i++ {
		if ident[i] == q {
			b.WriteByte(q)
		}
		b.WriteByte(ident[i])
	}
	b.WriteByte(q)
	return b.String()
}

// quoteList quotes and joins identifiers.
func quoteList(d Dialect, idents []string) string {
	q := make([]string, len(idents))
	for i, s := range idents {
		q[i] = d.Quote(s)
	}
	return strings.Join(q, ", ")
}
