package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Catalog is the shape of the tables of the current schema (PostgreSQL), the
// current database (MySQL/MariaDB) or the main database (SQLite), as the
// database's own catalog reports it; Migrator.Inspect reads it.
type Catalog struct {
	// Tables are sorted by name.
	Tables []*CatalogTable
}

// Table returns the table of that name, nil when there is none.
func (c *Catalog) Table(name string) *CatalogTable {
	for _, t := range c.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// CatalogTable is one table of a Catalog.
type CatalogTable struct {
	Name    string
	Columns []CatalogColumn
	// PrimaryKey lists the key's columns in key order; PrimaryKeyName is
	// the constraint's name where the database names it (PostgreSQL).
	PrimaryKey     []string
	PrimaryKeyName string
	ForeignKeys    []CatalogForeignKey
	// Indexes are the table's indexes and UNIQUE constraints, the primary
	// key's excepted (and on MySQL the indexes InnoDB made for a foreign
	// key), in name order.
	Indexes []CatalogIndex
}

// Column returns the column of that name.
func (t *CatalogTable) Column(name string) (CatalogColumn, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return CatalogColumn{}, false
}

// CatalogColumn is a column of a CatalogTable.
type CatalogColumn struct {
	Name string
	// Type is the column's type normalised by Migrator.NormalizeType, so
	// that it compares equal to the normalised type of the model's column.
	Type     string
	Nullable bool
	// Default is the server default normalised by NormalizeDefault; it is
	// meaningful when HasDefault.
	Default    string
	HasDefault bool
	// Identity reports a generated key (PostgreSQL identity, MySQL
	// AUTO_INCREMENT, SQLite INTEGER PRIMARY KEY).
	Identity bool
}

// CatalogIndex is an index or a UNIQUE constraint.
type CatalogIndex struct {
	Name    string
	Columns []string
	Unique  bool
	// Constraint reports a UNIQUE constraint rather than an index
	// (PostgreSQL and SQLite tell them apart; on MySQL every unique key is
	// an index).
	Constraint bool
	// SQL is the statement that created the index, where the database
	// keeps it (SQLite), so that a table rebuild can recreate it.
	SQL string
}

// CatalogForeignKey is a foreign-key constraint. Name is empty on SQLite,
// which does not keep constraint names. The actions are upper case
// ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION").
type CatalogForeignKey struct {
	Name       string
	Columns    []string
	RefTable   string
	RefColumns []string
	OnDelete   string
	OnUpdate   string
}

// Querier runs statements: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Migrator is what schema migrations (package orm/migrate) need from one
// database: reading its catalog, normalising what it reports so that it
// compares with the models, the ALTER statements of the database, and a
// migration lock that dies with the connection holding it.
type Migrator interface {
	// Inspect reads the tables of the current schema or database.
	Inspect(ctx context.Context, q Querier) (*Catalog, error)
	// NormalizeType returns the canonical spelling of a column type, the
	// same for a type as the model renders it (ColumnType) and as the
	// catalog reports it: lower case, aliases resolved, MySQL display
	// widths dropped.
	NormalizeType(sqlType string) string
	// NormalizeDefault returns the canonical spelling of a default
	// expression: casts and enclosing parentheses dropped, keywords in
	// lower case, quoted numbers unquoted.
	NormalizeDefault(expr string) string
	// DefaultAction is the referential action of a foreign key that names
	// none: "NO ACTION", or "RESTRICT" on MySQL (where they are the same).
	DefaultAction() string
	// ColumnDefinition renders a column as ADD COLUMN takes it: name, type,
	// NOT NULL, DEFAULT (and AUTO_INCREMENT on MySQL); no key clauses.
	ColumnDefinition(f *schema.Field) (string, error)
	// AlterColumn returns the statements giving the existing column of f
	// the model's type, nullability and default; nil where the database
	// cannot alter columns (RebuildsTables).
	AlterColumn(f *schema.Field) ([]string, error)
	// DropColumn, AddUnique, DropUnique, DropForeignKey and SetPrimaryKey
	// return "" where the database rebuilds the table instead.
	DropColumn(table, column string) string
	AddUnique(table string, columns []string) string
	DropUnique(table, name string) string
	DropForeignKey(table, name string) string
	SetPrimaryKey(t *CatalogTable, columns []string) string
	// DropIndex drops an index that backs no constraint.
	DropIndex(table, name string) string
	// RebuildsTables reports a database whose ALTER TABLE only adds and
	// renames (SQLite): other changes rebuild the table (create the new
	// shape, copy the rows, drop the old table, rename, recreate indexes).
	RebuildsTables() bool
	// Lock takes the migration lock of the current schema on conn and
	// returns its release: a session-level lock the server drops when the
	// connection ends (PostgreSQL pg_advisory_lock, MySQL GET_LOCK), never
	// a row. On SQLite it turns foreign-key enforcement off for the
	// rebuild procedure (restored by the release); the lock is the BEGIN
	// IMMEDIATE of Begin.
	Lock(ctx context.Context, conn *sql.Conn) (release func(context.Context) error, err error)
	// Begin is the statement opening the migration's transaction, "" where
	// DDL is not transactional (MySQL).
	Begin() string
	// CheckForeignKeys reports rows violating a foreign key after a table
	// rebuild (SQLite PRAGMA foreign_key_check); nil elsewhere.
	CheckForeignKeys(ctx context.Context, q Querier) error
}

// eachRow runs q and calls scan for each row.
func eachRow(ctx context.Context, q Querier, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("orm/dialect: catalog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("orm/dialect: catalog: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("orm/dialect: catalog: %w", err)
	}
	return nil
}

// catalogBuilder collects a Catalog from rows that come one per column.
type catalogBuilder struct {
	byName map[string]*CatalogTable
	order  []string
}

func newCatalogBuilder() *catalogBuilder {
	return &catalogBuilder{byName: map[string]*CatalogTable{}}
}

func (b *catalogBuilder) table(name string) *CatalogTable {
	t := b.byName[name]
	if t == nil {
		t = &CatalogTable{Name: name}
		b.byName[name] = t
		b.order = append(b.order, name)
	}
	return t
}

// fk appends a column pair to the foreign key key of table, creating it.
func (b *catalogBuilder) fk(table, key string, fk CatalogForeignKey, col, refCol string) {
	t := b.table(table)
	for i := range t.ForeignKeys {
		if t.ForeignKeys[i].Name == key {
			t.ForeignKeys[i].Columns = append(t.ForeignKeys[i].Columns, col)
			t.ForeignKeys[i].RefColumns = append(t.ForeignKeys[i].RefColumns, refCol)
			return
		}
	}
	fk.Name = key
	fk.Columns = []string{col}
	fk.RefColumns = []string{refCol}
	t.ForeignKeys = append(t.ForeignKeys, fk)
}

// index appends a column to the index ix.Name of table, creating it.
func (b *catalogBuilder) index(table string, ix CatalogIndex, col string) {
	t := b.table(table)
	for i := range t.Indexes {
		if t.Indexes[i].Name == ix.Name {
			t.Indexes[i].Columns = append(t.Indexes[i].Columns, col)
			return
		}
	}
	ix.Columns = []string{col}
	t.Indexes = append(t.Indexes, ix)
}

func (b *catalogBuilder) catalog() *Catalog {
	c := &Catalog{}
	names := append([]string(nil), b.order...)
	sort.Strings(names)
	for _, n := range names {
		c.Tables = append(c.Tables, b.byName[n])
	}
	return c
}

var (
	spaces    = regexp.MustCompile(`\s+`)
	castTail  = regexp.MustCompile(`^::[a-z_][a-z0-9_ ]*(\([0-9, ]*\))?(\[\])?$`)
	quotedNum = regexp.MustCompile(`^'(-?[0-9]+(\.[0-9]+)?)'$`)
)

// normalizeTypeText lower-cases a type, collapses blanks and drops those
// inside parentheses ("NUMERIC(10, 2)" -> "numeric(10,2)").
func normalizeTypeText(s string) string {
	s = strings.ToLower(strings.TrimSpace(spaces.ReplaceAllString(s, " ")))
	s = strings.ReplaceAll(s, " (", "(")
	s = strings.ReplaceAll(s, ", ", ",")
	return s
}

// splitType splits "varchar(20) unsigned" into "varchar", "(20)", " unsigned".
func splitType(s string) (base, params, rest string) {
	i := strings.IndexAny(s, "( ")
	if i < 0 {
		return s, "", ""
	}
	base = s[:i]
	if s[i] == '(' {
		if j := strings.IndexByte(s[i:], ')'); j >= 0 {
			return base, s[i : i+j+1], s[i+j+1:]
		}
	}
	return base, "", s[i:]
}

// normalizeDefault is the shared part of NormalizeDefault; boolInts turns
// true/false into 1/0 (MySQL stores booleans as TINYINT).
func normalizeDefault(s string, boolInts bool) string {
	s = strings.TrimSpace(s)
	for {
		prev := s
		if i := lastCast(s); i >= 0 && castTail.MatchString(strings.ToLower(s[i:])) {
			s = strings.TrimSpace(s[:i])
		}
		if len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' && balanced(s[1:len(s)-1]) {
			s = strings.TrimSpace(s[1 : len(s)-1])
		}
		if s == prev {
			break
		}
	}
	if m := quotedNum.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	if !strings.HasPrefix(s, "'") {
		s = strings.TrimSuffix(strings.ToLower(s), "()")
		if boolInts {
			switch s {
			case "true":
				s = "1"
			case "false":
				s = "0"
			}
		}
	}
	return s
}

// lastCast returns the offset of the last "::" of s outside quotes, or -1.
func lastCast(s string) int {
	last := -1
	quoted := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			quoted = !quoted
		case !quoted && s[i] == ':' && i+1 < len(s) && s[i+1] == ':':
			last = i
			i++
		}
	}
	return last
}

// balanced reports whether the parentheses of s pair up outside quotes.
func balanced(s string) bool {
	depth := 0
	quoted := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			quoted = !quoted
		case quoted:
		case s[i] == '(':
			depth++
		case s[i] == ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0 && !quoted
}

// columnDefinition renders name, type, NOT NULL and DEFAULT of f.
func columnDefinition(d Dialect, f *schema.Field) (string, error) {
	typ, err := d.ColumnType(f)
	if err != nil {
		return "", err
	}
	def := d.Quote(f.Column) + " " + typ
	if !f.Nullable || f.PrimaryKey {
		def += " NOT NULL"
	}
	if f.HasDefault {
		def += " DEFAULT " + f.Default
	}
	return def, nil
}

// normalizeAction spells a referential action upper case, "" as def.
func normalizeAction(a, def string) string {
	a = strings.ToUpper(strings.TrimSpace(a))
	if a == "" {
		return def
	}
	return a
}
