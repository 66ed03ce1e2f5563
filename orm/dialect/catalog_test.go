package dialect_test

import (
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// The model's type (as ColumnType writes it) and the catalog's spelling
// normalise to one string.
func TestMigratorNormalizeType(t *testing.T) {
	for _, c := range []struct {
		d           dialect.Dialect
		model, live string
	}{
		{dialect.Postgres(), "VARCHAR(100)", "character varying(100)"},
		{dialect.Postgres(), "TIMESTAMPTZ", "timestamp with time zone"},
		{dialect.Postgres(), "DOUBLE PRECISION", "double precision"},
		{dialect.Postgres(), "NUMERIC(10, 2)", "numeric(10,2)"},
		{dialect.Postgres(), "INT", "integer"},
		{dialect.Postgres(), "BOOL", "boolean"},
		{dialect.MySQL(), "BIGINT", "bigint(20)"},
		{dialect.MySQL(), "INT UNSIGNED", "int(10) unsigned"},
		{dialect.MySQL(), "BOOLEAN", "tinyint(1)"},
		{dialect.MySQL(), "TINYINT", "tinyint(4)"},
		{dialect.MySQL(), "NUMERIC(10,2)", "decimal(10,2)"},
		{dialect.MySQL(), "DATETIME(6)", "datetime(6)"},
		{dialect.MySQL(), "JSON", "json"},
		{dialect.MariaDB(), "JSON", "longtext"},
		{dialect.SQLite(), "varchar(40)", "VARCHAR(40)"},
		{dialect.SQLite(), "INTEGER", "integer"},
	} {
		m := c.d.Migrator()
		if a, b := m.NormalizeType(c.model), m.NormalizeType(c.live); a != b {
			t.Errorf("%s: %q -> %q but %q -> %q", c.d.Flavor(), c.model, a, c.live, b)
		}
	}
	if a, b := dialect.MySQL().Migrator().NormalizeType("JSON"), dialect.MySQL().Migrator().NormalizeType("longtext"); a == b {
		t.Error("MySQL has a JSON type of its own; it is not LONGTEXT")
	}
}

func TestMigratorNormalizeDefault(t *testing.T) {
	for _, c := range []struct {
		d           dialect.Dialect
		model, live string
	}{
		{dialect.Postgres(), "'member'", "'member'::character varying"},
		{dialect.Postgres(), "-1", "'-1'::integer"},
		{dialect.Postgres(), "0.5", "0.5"},
		{dialect.Postgres(), "TRUE", "true"},
		{dialect.Postgres(), "'it''s'", "'it''s'::text"},
		{dialect.Postgres(), "now()", "now()"},
		{dialect.MySQL(), "true", "1"},
		{dialect.MySQL(), "false", "0"},
		{dialect.MySQL(), "CURRENT_TIMESTAMP", "current_timestamp()"},
		{dialect.SQLite(), "'x'", "'x'"},
		{dialect.SQLite(), "(1)", "1"},
	} {
		m := c.d.Migrator()
		if a, b := m.NormalizeDefault(c.model), m.NormalizeDefault(c.live); a != b {
			t.Errorf("%s: %q -> %q but %q -> %q", c.d.Flavor(), c.model, a, c.live, b)
		}
	}
	if got := dialect.Postgres().Migrator().NormalizeDefault("'Member'::text"); got != "'Member'" {
		t.Errorf("a string's case must stay: %q", got)
	}
}

func TestMigratorStatementsWhereTablesAreRebuilt(t *testing.T) {
	m := dialect.SQLite().Migrator()
	if !m.RebuildsTables() || m.DropColumn("t", "c") != "" || m.AddUnique("t", []string{"c"}) != "" || m.DropForeignKey("t", "fk") != "" {
		t.Error("SQLite alters what its ALTER TABLE cannot")
	}
	for _, d := range []dialect.Dialect{dialect.Postgres(), dialect.MySQL(), dialect.MariaDB()} {
		m := d.Migrator()
		if m.RebuildsTables() || m.DropColumn("t", "c") == "" || m.AddUnique("t", []string{"c"}) == "" || m.DropForeignKey("t", "fk") == "" {
			t.Errorf("%s: missing ALTER statements", d.Flavor())
		}
	}
	if dialect.MySQL().Migrator().Begin() != "" || dialect.Postgres().Migrator().Begin() == "" || dialect.SQLite().Migrator().Begin() != "BEGIN IMMEDIATE" {
		t.Error("Begin does not follow TransactionalDDL")
	}
}
