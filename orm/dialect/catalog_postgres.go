package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

type pgMigrator struct{ d Dialect }

func (d postgres) Migrator() Migrator { return pgMigrator{d} }

// pgInSchema keeps the tables (relation alias c) of the current schema.
const pgInSchema = ` JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() AND c.relkind IN ('r', 'p')`

var pgActionNames = map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

func (m pgMigrator) Inspect(ctx context.Context, q Querier) (*Catalog, error) {
	b := newCatalogBuilder()
	err := eachRow(ctx, q, `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
		COALESCE(pg_get_expr(ad.adbin, ad.adrelid), ''), ad.adbin IS NOT NULL, a.attidentity <> ''
		FROM pg_class c`+pgInSchema+`
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
		ORDER BY c.relname, a.attnum`, nil, func(r *sql.Rows) error {
		var table, typ string
		var col CatalogColumn
		if err := r.Scan(&table, &col.Name, &typ, &col.Nullable, &col.Default, &col.HasDefault, &col.Identity); err != nil {
			return err
		}
		col.Type = m.NormalizeType(typ)
		col.Default = m.NormalizeDefault(col.Default)
		t := b.table(table)
		t.Columns = append(t.Columns, col)
		return nil
	})
	if err == nil {
		err = m.indexes(ctx, q, b)
	}
	if err == nil {
		err = eachRow(ctx, q, `SELECT c.relname, con.conname, rc.relname, con.confdeltype::text, con.confupdtype::text, a.attname, ra.attname
			FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid`+pgInSchema+`
			JOIN pg_class rc ON rc.oid = con.confrelid
			CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, refnum, ord)
			JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
			JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.refnum
			WHERE con.contype = 'f' ORDER BY c.relname, con.conname, k.ord`, nil, func(r *sql.Rows) error {
			var table, name, ref, del, upd, col, refCol string
			if err := r.Scan(&table, &name, &ref, &del, &upd, &col, &refCol); err != nil {
				return err
			}
			b.fk(table, name, CatalogForeignKey{RefTable: ref, OnDelete: pgActionNames[del], OnUpdate: pgActionNames[upd]}, col, refCol)
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	return b.catalog(), nil
}

// indexes reads primary keys, UNIQUE constraints and indexes; a column of
// an expression is reported as its expression.
func (pgMigrator) indexes(ctx context.Context, q Querier, b *catalogBuilder) error {
	return eachRow(ctx, q, `SELECT c.relname, ic.relname, i.indisprimary, i.indisunique, con.oid IS NOT NULL,
		COALESCE(a.attname, pg_get_indexdef(i.indexrelid, k.ord::int, true))
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid`+pgInSchema+`
		JOIN pg_class ic ON ic.oid = i.indexrelid
		LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u')
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
		ORDER BY c.relname, ic.relname, k.ord`, nil, func(r *sql.Rows) error {
		var table, name, col string
		var primary, unique, constraint bool
		if err := r.Scan(&table, &name, &primary, &unique, &constraint, &col); err != nil {
			return err
		}
		if primary {
			t := b.table(table)
			t.PrimaryKey = append(t.PrimaryKey, col)
			t.PrimaryKeyName = name
			return nil
		}
		b.index(table, CatalogIndex{Name: name, Unique: unique, Constraint: constraint}, col)
		return nil
	})
}

var pgTypeAliases = map[string]string{
	"varchar": "character varying", "char": "character", "bpchar": "character",
	"timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone",
	"timetz": "time with time zone", "time": "time without time zone",
	"int": "integer", "int4": "integer", "int2": "smallint", "int8": "bigint",
	"float8": "double precision", "float4": "real", "bool": "boolean", "decimal": "numeric",
	"serial": "integer", "bigserial": "bigint", "smallserial": "smallint",
}

func (pgMigrator) NormalizeType(sqlType string) string {
	s := normalizeTypeText(sqlType)
	for _, long := range []string{"character varying", "double precision", "timestamp with time zone",
		"timestamp without time zone", "time with time zone", "time without time zone"} {
		if strings.HasPrefix(s, long) {
			return s
		}
	}
	if strings.HasPrefix(s, "float(") {
		return "double precision"
	}
	base, params, rest := splitType(s)
	if alias, ok := pgTypeAliases[base]; ok {
		base = alias
	}
	if base == "timestamp with time zone" || base == "timestamp without time zone" {
		return base // a precision of 6 is the default; others are rare
	}
	return base + params + rest
}

func (pgMigrator) NormalizeDefault(expr string) string { return normalizeDefault(expr, false) }
func (pgMigrator) DefaultAction() string               { return "NO ACTION" }

func (m pgMigrator) ColumnDefinition(f *schema.Field) (string, error) {
	return columnDefinition(m.d, f)
}

func (m pgMigrator) AlterColumn(f *schema.Field) ([]string, error) {
	typ, err := m.d.ColumnType(f)
	if err != nil {
		return nil, err
	}
	col := m.d.Quote(f.Column)
	parts := []string{"ALTER COLUMN " + col + " TYPE " + typ + " USING " + col + "::" + typ}
	if f.Nullable && !f.PrimaryKey {
		parts = append(parts, "ALTER COLUMN "+col+" DROP NOT NULL")
	} else {
		parts = append(parts, "ALTER COLUMN "+col+" SET NOT NULL")
	}
	if f.HasDefault {
		parts = append(parts, "ALTER COLUMN "+col+" SET DEFAULT "+f.Default)
	} else if f != f.Model.AutoIncrement {
		parts = append(parts, "ALTER COLUMN "+col+" DROP DEFAULT")
	}
	return []string{"ALTER TABLE " + m.d.Quote(f.Model.Table) + " " + strings.Join(parts, ", ")}, nil
}

func (m pgMigrator) DropColumn(table, column string) string {
	return "ALTER TABLE " + m.d.Quote(table) + " DROP COLUMN " + m.d.Quote(column)
}

func (m pgMigrator) AddUnique(table string, columns []string) string {
	return "ALTER TABLE " + m.d.Quote(table) + " ADD UNIQUE (" + quoteList(m.d, columns) + ")"
}

func (m pgMigrator) DropUnique(table, name string) string {
	return "ALTER TABLE " + m.d.Quote(table) + " DROP CONSTRAINT " + m.d.Quote(name)
}

func (m pgMigrator) DropForeignKey(table, name string) string {
	return "ALTER TABLE " + m.d.Quote(table) + " DROP CONSTRAINT " + m.d.Quote(name)
}

func (m pgMigrator) SetPrimaryKey(t *CatalogTable, columns []string) string {
	s := "ALTER TABLE " + m.d.Quote(t.Name) + " "
	if t.PrimaryKeyName != "" {
		s += "DROP CONSTRAINT " + m.d.Quote(t.PrimaryKeyName) + ", "
	}
	return s + "ADD PRIMARY KEY (" + quoteList(m.d, columns) + ")"
}

func (m pgMigrator) DropIndex(_, name string) string { return "DROP INDEX " + m.d.Quote(name) }
func (pgMigrator) RebuildsTables() bool              { return false }
func (pgMigrator) Begin() string                     { return "BEGIN" }

func (pgMigrator) CheckForeignKeys(context.Context, Querier) error { return nil }

// pgLockKey is the advisory lock of the current schema's migrations.
const pgLockKey = `hashtext('sqlmodel/migrate:' || current_schema())`

// pgCheckInterval is the client_connection_check_interval (PostgreSQL 14
// and later) of the connection holding the lock: a server busy with a
// statement notices within it that the client died, ends the statement and
// the session, and with them the lock; without it the lock would outlive a
// killed holder until its statement ended (a pg_sleep, a long CREATE INDEX).
const pgCheckInterval = "1000"

// pgCheckSetting reads the session's client_connection_check_interval,
// NULL on servers that have none.
const pgCheckSetting = `SELECT current_setting('client_connection_check_interval', true)`

func (pgMigrator) Lock(ctx context.Context, conn *sql.Conn) (func(context.Context) error, error) {
	var prev sql.NullString
	if err := conn.QueryRowContext(ctx, pgCheckSetting).Scan(&prev); err != nil {
		return nil, fmt.Errorf("orm/dialect: migration lock: %w", err)
	}
	setCheck := func(ctx context.Context, v string) error {
		if !prev.Valid {
			return nil
		}
		_, err := conn.ExecContext(ctx, "SELECT set_config('client_connection_check_interval', $1, false)", v)
		return err
	}
	if err := setCheck(ctx, pgCheckInterval); err != nil {
		return nil, fmt.Errorf("orm/dialect: migration lock: %w", err)
	}
	for {
		var ok bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock("+pgLockKey+")").Scan(&ok); err != nil {
			return nil, fmt.Errorf("orm/dialect: migration lock: %w", err)
		}
		if ok {
			break
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return nil, fmt.Errorf("orm/dialect: migration lock: %w", err)
		}
	}
	return func(ctx context.Context) error {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock("+pgLockKey+")"); err != nil {
			return err
		}
		return setCheck(ctx, prev.String)
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
