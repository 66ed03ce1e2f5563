package dialect

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

type mysqlDialect struct{ mariadb bool }

var _ Dialect = mysqlDialect{}

// MySQL returns the dialect of MySQL servers (driver "mysql").
func MySQL() Dialect { return mysqlDialect{} }

// MariaDB returns the dialect of MariaDB servers (driver "mysql"). It differs
// from MySQL in reading generated keys with INSERT ... RETURNING.
func MariaDB() Dialect { return mysqlDialect{mariadb: true} }

var mysqlStyle = ddlStyle{
	autoIncrement: func(d Dialect, f *schema.Field) (string, error) {
		typ, err := d.ColumnType(f)
		if err != nil {
			return "", err
		}
		return d.Quote(f.Column) + " " + typ + " NOT NULL AUTO_INCREMENT PRIMARY KEY", nil
	},
	inlineIndexes: true,
	tableSuffix:   " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
}

func (mysqlDialect) Name() string { return "mysql" }
func (d mysqlDialect) Flavor() string {
	if d.mariadb {
		return "mariadb"
	}
	return "mysql"
}
func (d mysqlDialect) Features() Feature {
	f := LastInsertID | RowLocking | SkipLocked | NoWait | Savepoints | AlterForeignKeys
	if d.mariadb {
		f |= InsertReturning
	}
	return f
}
func (mysqlDialect) Quote(ident string) string { return quoteWith(ident, '`') }
func (mysqlDialect) Placeholder(int) string    { return "?" }
func (mysqlDialect) MaxBindParams() int        { return 65535 }

// indexed reports whether a column takes part in a key, which in MySQL
// needs a bounded type (VARCHAR, VARBINARY) instead of TEXT or BLOB.
func indexed(f *schema.Field) bool {
	if f.PrimaryKey || f.Unique || f.ForeignKey != nil || f.HasDefault {
		return true
	}
	for _, ix := range f.Model.Indexes {
		for _, c := range ix.Columns {
			if c == f.Column {
				return true
			}
		}
	}
	return false
}

func (d mysqlDialect) ColumnType(f *schema.Field) (string, error) {
	if f.SQLType != "" {
		return f.SQLType, nil
	}
	unsigned := ""
	if f.Kind == schema.KindUint {
		unsigned = " UNSIGNED"
	}
	switch f.Kind {
	case schema.KindInt, schema.KindUint:
		switch f.ColumnBits() {
		case 8:
			return "TINYINT" + unsigned, nil
		case 16:
			return "SMALLINT" + unsigned, nil
		case 32:
			return "INT" + unsigned, nil
		}
		return "BIGINT" + unsigned, nil
	case schema.KindFloat:
		if f.ColumnBits() == 32 {
			return "FLOAT", nil
		}
		return "DOUBLE", nil
	case schema.KindBool:
		return "BOOLEAN", nil
	case schema.KindString:
		if f.Size > 0 || indexed(f) {
			return fmt.Sprintf("VARCHAR(%d)", max(f.Size, 0)+255*b2i(f.Size == 0)), nil
		}
		return "TEXT", nil
	case schema.KindBytes:
		if f.Size > 0 || indexed(f) {
			return fmt.Sprintf("VARBINARY(%d)", max(f.Size, 0)+255*b2i(f.Size == 0)), nil
		}
		return "LONGBLOB", nil
	case schema.KindTime:
		return "DATETIME(6)", nil
	case schema.KindJSON:
		return "JSON", nil
	}
	return "", unsupportedType(d, f)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (d mysqlDialect) CreateTable(m *schema.Model, omit func(*schema.ForeignKey) bool) ([]string, error) {
	// InnoDB has no SET DEFAULT action: MySQL rejects the table, MariaDB
	// silently creates the key without it (as RESTRICT). Refuse it here, for
	// omitted keys too, since AddForeignKey cannot report an error.
	for _, fk := range m.ForeignKeys {
		if fk.OnDelete == "SET DEFAULT" || fk.OnUpdate == "SET DEFAULT" {
			return nil, fmt.Errorf("%w: %s: foreign key %s of table %s: InnoDB has no ON DELETE/ON UPDATE SET DEFAULT; use cascade, set null, restrict or no action",
				ErrUnsupported, d.Flavor(), fk.Name, m.Table)
		}
	}
	return createTable(d, mysqlStyle, m, omit)
}

func (d mysqlDialect) AddForeignKey(m *schema.Model, fk *schema.ForeignKey) string {
	return "ALTER TABLE " + d.Quote(m.Table) + " ADD " + foreignKeyClause(d, fk)
}

func (d mysqlDialect) DropForeignKey(m *schema.Model, fk *schema.ForeignKey) string {
	return "ALTER TABLE " + d.Quote(m.Table) + " DROP FOREIGN KEY " + d.Quote(fk.Name)
}

func (mysqlDialect) ForeignKeyExists(m *schema.Model, fk *schema.ForeignKey) (string, []any) {
	return "SELECT 1 FROM information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY' AND table_schema = DATABASE() AND table_name = ? AND constraint_name = ?",
		[]any{m.Table, fk.Name}
}

func (d mysqlDialect) DropTable(m *schema.Model) string {
	return "DROP TABLE IF EXISTS " + d.Quote(m.Table)
}

func (mysqlDialect) LockClause(skipLocked, noWait bool) (string, error) {
	return lockClause(skipLocked, noWait), nil
}

func (mysqlDialect) ClassifyError(err error) error { return Classify(err) }

func (mysqlDialect) LimitOffset(limit, offset int64) string {
	return limitOffset(limit, offset, "18446744073709551615")
}
func (mysqlDialect) LikeEscape() string       { return "CHAR(92)" }
func (mysqlDialect) CaseFoldFunc() string     { return "LOWER" }
func (mysqlDialect) DeferForeignKeys() string { return "" }

func (mysqlDialect) SequenceReset(*schema.Model) (string, []any) { return "", nil }

func (mysqlDialect) DriverName() string { return "mysql" }

func (mysqlDialect) DetectFlavor(ctx context.Context, db *sql.DB) (Dialect, error) {
	return detectMySQLFlavor(ctx, db)
}
