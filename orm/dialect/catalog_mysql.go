package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

type myMigrator struct{ d mysqlDialect }

func (d mysqlDialect) Migrator() Migrator { return myMigrator{d} }

func (m myMigrator) Inspect(ctx context.Context, q Querier) (*Catalog, error) {
	b := newCatalogBuilder()
	err := eachRow(ctx, q, `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'YES', COLUMN_DEFAULT, EXTRA, DATA_TYPE
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN
		(SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE')
		ORDER BY TABLE_NAME, ORDINAL_POSITION`, nil, func(r *sql.Rows) error {
		var table, typ, extra, dataType string
		var def sql.NullString
		var col CatalogColumn
		if err := r.Scan(&table, &col.Name, &typ, &col.Nullable, &def, &extra, &dataType); err != nil {
			return err
		}
		col.Type = m.NormalizeType(typ)
		col.Identity = strings.Contains(strings.ToLower(extra), "auto_increment")
		col.Default, col.HasDefault = m.columnDefault(def, extra, dataType)
		t := b.table(table)
		t.Columns = append(t.Columns, col)
		return nil
	})
	fkNames := map[string]bool{}
	if err == nil {
		err = eachRow(ctx, q, `SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, rc.DELETE_RULE, rc.UPDATE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME
			FROM information_schema.KEY_COLUMN_USAGE k
			JOIN information_schema.REFERENTIAL_CONSTRAINTS rc ON rc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA
				AND rc.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND rc.TABLE_NAME = k.TABLE_NAME
			WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
			ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`, nil, func(r *sql.Rows) error {
			var table, name, ref, del, upd, col, refCol string
			if err := r.Scan(&table, &name, &ref, &del, &upd, &col, &refCol); err != nil {
				return err
			}
			fkNames[table+"\x00"+name] = true
			b.fk(table, name, CatalogForeignKey{RefTable: ref, OnDelete: m.action(del), OnUpdate: m.action(upd)}, col, refCol)
			return nil
		})
	}
	if err == nil {
		err = eachRow(ctx, q, `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE = 0, COALESCE(COLUMN_NAME, '') FROM information_schema.STATISTICS
			WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, nil, func(r *sql.Rows) error {
			var table, name, col string
			var unique bool
			if err := r.Scan(&table, &name, &unique, &col); err != nil {
				return err
			}
			switch {
			case name == "PRIMARY":
				t := b.table(table)
				t.PrimaryKey = append(t.PrimaryKey, col)
			case !fkNames[table+"\x00"+name]: // not the index InnoDB made for a foreign key
				b.index(table, CatalogIndex{Name: name, Unique: unique}, col)
			}
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	return b.catalog(), nil
}

// columnDefault reads COLUMN_DEFAULT: MariaDB writes literals as SQL (quoted
// strings, NULL for none), MySQL writes a string's value bare.
func (m myMigrator) columnDefault(def sql.NullString, extra, dataType string) (string, bool) {
	if !def.Valid || (m.d.mariadb && def.String == "NULL") {
		return "", false
	}
	s := def.String
	if !m.d.mariadb && !strings.Contains(strings.ToUpper(extra), "DEFAULT_GENERATED") && isMySQLText(dataType) {
		s = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return m.NormalizeDefault(s), true
}

func isMySQLText(dataType string) bool {
	switch strings.ToLower(dataType) {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "binary", "varbinary",
		"date", "datetime", "timestamp", "time", "year":
		return true
	}
	return false
}

func (m myMigrator) action(a string) string { return normalizeAction(a, m.DefaultAction()) }

var myIntWidth = regexp.MustCompile(`^(tinyint|smallint|mediumint|int|bigint)\([0-9]+\)`)

func (m myMigrator) NormalizeType(sqlType string) string {
	s := normalizeTypeText(sqlType)
	if strings.HasPrefix(s, "tinyint(1)") || s == "bool" || s == "boolean" {
		return "boolean"
	}
	s = myIntWidth.ReplaceAllString(s, "$1")
	base, params, rest := splitType(s)
	switch base {
	case "integer":
		base = "int"
	case "numeric", "dec", "fixed":
		base = "decimal"
	case "real", "double precision":
		base = "double"
	case "character":
		if strings.HasPrefix(rest, " varying") {
			base, rest = "varchar", strings.TrimPrefix(rest, " varying")
		}
	case "json":
		if m.d.mariadb { // an alias of LONGTEXT with a JSON_VALID check
			base = "longtext"
		}
	}
	return base + params + rest
}

func (myMigrator) NormalizeDefault(expr string) string { return normalizeDefault(expr, true) }
func (myMigrator) DefaultAction() string               { return "RESTRICT" }

func (m myMigrator) ColumnDefinition(f *schema.Field) (string, error) {
	def, err := columnDefinition(m.d, f)
	if err == nil && f == f.Model.AutoIncrement {
		def += " AUTO_INCREMENT"
	}
	return def, err
}

func (m myMigrator) AlterColumn(f *schema.Field) ([]string, error) {
	def, err := m.ColumnDefinition(f)
	if err != nil {
		return nil, err
	}
	return []string{"ALTER TABLE " + m.d.Quote(f.Model.Table) + " MODIFY COLUMN " + def}, nil
}

func (m myMigrator) DropColumn(table, column string) string {
	return "ALTER TABLE " + m.d.Quote(table) + " DROP COLUMN " + m.d.Quote(column)
}

func (m myMigrator) AddUnique(table string, columns []string) string {
	return "ALTER TABLE " + m.d.Quote(table) + " ADD UNIQUE (" + quoteList(m.d, columns) + ")"
}

func (m myMigrator) DropUnique(table, name string) string { return m.DropIndex(table, name) }

func (m myMigrator) DropForeignKey(table, name string) string {
	return "ALTER TABLE " + m.d.Quote(table) + " DROP FOREIGN KEY " + m.d.Quote(name)
}

func (m myMigrator) SetPrimaryKey(t *CatalogTable, columns []string) string {
	s := "ALTER TABLE " + m.d.Quote(t.Name) + " "
	if len(t.PrimaryKey) > 0 {
		s += "DROP PRIMARY KEY, "
	}
	return s + "ADD PRIMARY KEY (" + quoteList(m.d, columns) + ")"
}

func (m myMigrator) DropIndex(table, name string) string {
	return "DROP INDEX " + m.d.Quote(name) + " ON " + m.d.Quote(table)
}

func (myMigrator) RebuildsTables() bool                            { return false }
func (myMigrator) Begin() string                                   { return "" }
func (myMigrator) CheckForeignKeys(context.Context, Querier) error { return nil }

// myLockName is the GET_LOCK name of the current database's migrations
// (at most 64 characters, as MySQL requires).
const myLockName = `CONCAT('sqlmodel_migrate_', SHA1(DATABASE()))`

func (myMigrator) Lock(ctx context.Context, conn *sql.Conn) (func(context.Context) error, error) {
	for {
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+myLockName+", 1)").Scan(&got); err != nil {
			return nil, fmt.Errorf("orm/dialect: migration lock: %w", err)
		}
		if got.Valid && got.Int64 == 1 {
			break
		}
		if err := sleepCtx(ctx, time.Millisecond); err != nil {
			return nil, fmt.Errorf("orm/dialect: migration lock: %w", err)
		}
	}
	return func(ctx context.Context) error {
		_, err := conn.ExecContext(ctx, "SELECT RELEASE_LOCK("+myLockName+")")
		return err
	}, nil
}
