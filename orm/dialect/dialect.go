package dialect

import (
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
}

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
	// ILike: the ILIKE operator.
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
)

var featureNames = []string{"InsertReturning", "LastInsertID", "RowLocking", "SkipLocked", "NoWait", "Savepoints", "AlterForeignKeys", "TransactionalDDL", "ILike", "TextTimes", "Cursors", "InterleavedResults"}

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
