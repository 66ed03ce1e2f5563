package dialect

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

type sqlite struct {
	// funcs: connections have the ORM's SQL functions (sqlite_funcs.go).
	funcs bool
}

var _ Dialect = sqlite{}

// SQLite returns the SQLite dialect (driver "sqlite3", mattn/go-sqlite3).
func SQLite() Dialect { return sqlite{} }

var sqliteStyle = ddlStyle{
	autoIncrement: func(d Dialect, f *schema.Field) (string, error) {
		// INTEGER PRIMARY KEY makes the column the rowid alias, which the
		// database fills when no value is given and honours when one is.
		return d.Quote(f.Column) + " INTEGER PRIMARY KEY", nil
	},
}

func (sqlite) Name() string   { return "sqlite" }
func (sqlite) Flavor() string { return "sqlite" }
func (sqlite) Features() Feature {
	return InsertReturning | Savepoints | TransactionalDDL | TextTimes | InterleavedResults | UpdateFromValues
}
func (sqlite) Quote(ident string) string { return quoteWith(ident, '"') }
func (sqlite) Placeholder(int) string    { return "?" }
func (sqlite) MaxBindParams() int        { return 32766 }

func (d sqlite) ColumnType(f *schema.Field) (string, error) {
	if f.SQLType != "" {
		return f.SQLType, nil
	}
	switch f.Kind {
	case schema.KindInt, schema.KindUint:
		return "INTEGER", nil
	case schema.KindFloat:
		return "REAL", nil
	case schema.KindBool:
		return "BOOLEAN", nil
	case schema.KindString:
		return sizedOr(f, "VARCHAR", "TEXT"), nil
	case schema.KindBytes:
		return "BLOB", nil
	case schema.KindTime:
		return "DATETIME", nil
	case schema.KindJSON:
		return "TEXT", nil
	}
	return "", unsupportedType(d, f)
}

func (d sqlite) CreateTable(m *schema.Model, omit func(*schema.ForeignKey) bool) ([]string, error) {
	// SQLite cannot add constraints later, and does not check that a
	// referenced table exists when a table is created: keep every key inline.
	return createTable(d, sqliteStyle, m, nil)
}

func (sqlite) AddForeignKey(*schema.Model, *schema.ForeignKey) string  { return "" }
func (sqlite) DropForeignKey(*schema.Model, *schema.ForeignKey) string { return "" }

func (sqlite) ForeignKeyExists(m *schema.Model, fk *schema.ForeignKey) (string, []any) {
	return "SELECT 1 FROM pragma_foreign_key_list(?) LIMIT 1", []any{m.Table}
}

func (d sqlite) DropTable(m *schema.Model) string { return "DROP TABLE IF EXISTS " + d.Quote(m.Table) }

func (sqlite) LockClause(bool, bool) (string, error) {
	return "", fmt.Errorf("%w: SQLite has no row locks (SELECT ... FOR UPDATE); use a transaction, which locks the database", ErrUnsupported)
}

func (sqlite) ClassifyError(err error) error { return Classify(err) }

func (sqlite) LimitOffset(limit, offset int64) string { return limitOffset(limit, offset, "-1") }
func (sqlite) LikeEscape() string                     { return `'\'` }
func (sqlite) DeferForeignKeys() string               { return "PRAGMA defer_foreign_keys = ON" }

func (sqlite) SequenceReset(*schema.Model) (string, []any) { return "", nil }

func (sqlite) DriverName() string { return "sqlite3" }

func (d sqlite) DetectFlavor(context.Context, *sql.DB) (Dialect, error) { return d, nil }

// SQLiteWithFunctions returns the SQLite dialect for connections that have
// the ORM's SQL functions (sqlm_lower; the packages orm/driver/sqlite3 and
// orm/driver/sqlite register them): ILike then folds case with
// sqlm_lower, for all of Unicode, instead of LOWER.
func SQLiteWithFunctions() Dialect { return sqlite{funcs: true} }

// CaseFoldFunc is the SQL function that case-insensitive comparisons
// (ILike) lower-case both sides with.
func (d sqlite) CaseFoldFunc() string {
	if d.funcs {
		return "sqlm_lower"
	}
	return "LOWER"
}
