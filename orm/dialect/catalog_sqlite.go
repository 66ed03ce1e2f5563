package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

type liteMigrator struct{ d Dialect }

func (d sqlite) Migrator() Migrator { return liteMigrator{d} }

func (m liteMigrator) Inspect(ctx context.Context, q Querier) (*Catalog, error) {
	b := newCatalogBuilder()
	var tables []string
	err := eachRow(ctx, q, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`, nil,
		func(r *sql.Rows) error {
			var s string
			err := r.Scan(&s)
			tables = append(tables, s)
			return err
		})
	for _, name := range tables {
		if err != nil {
			break
		}
		b.table(name)
		err = m.columns(ctx, q, b, name)
		if err == nil {
			err = m.indexes(ctx, q, b, name)
		}
		if err == nil {
			err = eachRow(ctx, q, `SELECT id, "table", "from", COALESCE("to", ''), on_delete, on_update FROM pragma_foreign_key_list(?) ORDER BY id, seq`,
				[]any{name}, func(r *sql.Rows) error {
					var id int
					var ref, col, refCol, del, upd string
					if err := r.Scan(&id, &ref, &col, &refCol, &del, &upd); err != nil {
						return err
					}
					b.fk(name, fmt.Sprint(id), CatalogForeignKey{RefTable: ref, OnDelete: m.action(del), OnUpdate: m.action(upd)}, col, refCol)
					return nil
				})
		}
	}
	if err != nil {
		return nil, err
	}
	c := b.catalog()
	for _, t := range c.Tables {
		for i := range t.ForeignKeys {
			t.ForeignKeys[i].Name = ""
		}
	}
	return c, nil
}

func (m liteMigrator) columns(ctx context.Context, q Querier, b *catalogBuilder, table string) error {
	t := b.table(table)
	type pkCol struct {
		name string
		pos  int
	}
	var pks []pkCol
	err := eachRow(ctx, q, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid`, []any{table},
		func(r *sql.Rows) error {
			var c CatalogColumn
			var typ string
			var notNull bool
			var def sql.NullString
			var pk int
			if err := r.Scan(&c.Name, &typ, &notNull, &def, &pk); err != nil {
				return err
			}
			c.Type, c.Nullable = m.NormalizeType(typ), !notNull
			if def.Valid {
				c.Default, c.HasDefault = m.NormalizeDefault(def.String), true
			}
			if pk > 0 {
				pks = append(pks, pkCol{c.Name, pk})
				c.Nullable = false
			}
			t.Columns = append(t.Columns, c)
			return nil
		})
	sort.Slice(pks, func(i, j int) bool { return pks[i].pos < pks[j].pos })
	for _, p := range pks {
		t.PrimaryKey = append(t.PrimaryKey, p.name)
	}
	if len(pks) == 1 {
		for i := range t.Columns {
			if t.Columns[i].Name == pks[0].name && t.Columns[i].Type == "INTEGER" {
				t.Columns[i].Identity = true // the rowid
			}
		}
	}
	return err
}

func (liteMigrator) indexes(ctx context.Context, q Querier, b *catalogBuilder, table string) error {
	var list []CatalogIndex
	err := eachRow(ctx, q, `SELECT l.name, l."unique", l.origin, COALESCE(s.sql, '') FROM pragma_index_list(?) l
		LEFT JOIN sqlite_master s ON s.type = 'index' AND s.name = l.name ORDER BY l.name`, []any{table},
		func(r *sql.Rows) error {
			var ix CatalogIndex
			var origin string
			if err := r.Scan(&ix.Name, &ix.Unique, &origin, &ix.SQL); err != nil {
				return err
			}
			if origin != "pk" {
				ix.Constraint = origin == "u"
				list = append(list, ix)
			}
			return nil
		})
	for _, ix := range list {
		if err != nil {
			break
		}
		err = eachRow(ctx, q, `SELECT COALESCE(name, '') FROM pragma_index_info(?) ORDER BY seqno`, []any{ix.Name},
			func(r *sql.Rows) error {
				var col string
				if err := r.Scan(&col); err != nil {
					return err
				}
				b.index(table, ix, col)
				return nil
			})
	}
	return err
}

func (m liteMigrator) action(a string) string { return normalizeAction(a, m.DefaultAction()) }

func (liteMigrator) NormalizeType(sqlType string) string {
	return strings.ToUpper(normalizeTypeText(sqlType))
}

func (liteMigrator) NormalizeDefault(expr string) string { return normalizeDefault(expr, false) }
func (liteMigrator) DefaultAction() string               { return "NO ACTION" }

func (m liteMigrator) ColumnDefinition(f *schema.Field) (string, error) {
	return columnDefinition(m.d, f)
}

func (liteMigrator) AlterColumn(*schema.Field) ([]string, error)  { return nil, nil }
func (liteMigrator) DropColumn(string, string) string             { return "" }
func (liteMigrator) AddUnique(string, []string) string            { return "" }
func (liteMigrator) DropUnique(string, string) string             { return "" }
func (liteMigrator) DropForeignKey(string, string) string         { return "" }
func (liteMigrator) SetPrimaryKey(*CatalogTable, []string) string { return "" }
func (m liteMigrator) DropIndex(_, name string) string            { return "DROP INDEX " + m.d.Quote(name) }
func (liteMigrator) RebuildsTables() bool                         { return true }
func (liteMigrator) Begin() string                                { return "BEGIN IMMEDIATE" }

// Lock turns foreign-key enforcement off, which SQLite allows only outside
// a transaction, so that the rebuild procedure's DROP TABLE neither
// cascades nor fails; CheckForeignKeys verifies the keys before COMMIT.
func (liteMigrator) Lock(ctx context.Context, conn *sql.Conn) (func(context.Context) error, error) {
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return nil, fmt.Errorf("orm/dialect: migration: %w", err)
	}
	return func(ctx context.Context) error {
		_, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = ON")
		return err
	}, nil
}

func (liteMigrator) CheckForeignKeys(ctx context.Context, q Querier) error {
	var bad []string
	err := eachRow(ctx, q, "PRAGMA foreign_key_check", nil, func(r *sql.Rows) error {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := r.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		bad = append(bad, fmt.Sprintf("%s row %d references a missing %s", table, rowid.Int64, parent))
		return nil
	})
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: foreign keys violated after the migration: %s", ErrForeignKeyViolation, strings.Join(bad, "; "))
	}
	return nil
}
