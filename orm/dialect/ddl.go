package dialect

import (
	"fmt"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ddlStyle holds what differs between dialects when writing CREATE TABLE.
type ddlStyle struct {
	// autoIncrement renders the whole definition of the generated-key
	// column, PRIMARY KEY included.
	autoIncrement func(d Dialect, f *schema.Field) (string, error)
	// inlineIndexes puts indexes inside CREATE TABLE (MySQL, which has no
	// CREATE INDEX IF NOT EXISTS) instead of separate statements.
	inlineIndexes bool
	// tableSuffix follows the closing parenthesis (engine, charset).
	tableSuffix string
	// maxName is the longest table or column name in bytes that the
	// database keeps whole (PostgreSQL silently truncates longer ones);
	// 0 when the database refuses long names itself or has no limit.
	maxName int
}

func createTable(d Dialect, st ddlStyle, m *schema.Model, omit func(*schema.ForeignKey) bool) ([]string, error) {
	if st.maxName > 0 {
		for _, name := range append([]string{m.Table}, m.Columns()...) {
			if len(name) > st.maxName {
				return nil, fmt.Errorf("%w: %s: name %q of table %s is %d bytes long; %s would truncate it to %d",
					ErrUnsupported, d.Name(), name, m.Table, len(name), d.Name(), st.maxName)
			}
		}
	}
	var defs []string
	for _, f := range m.Fields {
		if f == m.AutoIncrement {
			def, err := st.autoIncrement(d, f)
			if err != nil {
				return nil, err
			}
			defs = append(defs, def)
			continue
		}
		typ, err := d.ColumnType(f)
		if err != nil {
			return nil, err
		}
		def := d.Quote(f.Column) + " " + typ
		if !f.Nullable {
			def += " NOT NULL"
		}
		if f.HasDefault {
			def += " DEFAULT " + f.Default
		}
		if f.Unique && !(len(m.PrimaryKey) == 1 && f.PrimaryKey) {
			def += " UNIQUE"
		}
		defs = append(defs, def)
	}
	if m.AutoIncrement == nil {
		pk := make([]string, len(m.PrimaryKey))
		for i, f := range m.PrimaryKey {
			pk[i] = f.Column
		}
		defs = append(defs, "PRIMARY KEY ("+quoteList(d, pk)+")")
	}
	for _, fk := range m.ForeignKeys {
		if omit != nil && omit(fk) {
			continue
		}
		defs = append(defs, foreignKeyClause(d, fk))
	}
	if st.inlineIndexes {
		for _, ix := range m.Indexes {
			kw := "INDEX "
			if ix.Unique {
				kw = "UNIQUE INDEX "
			}
			defs = append(defs, kw+d.Quote(ix.Name)+" ("+quoteList(d, ix.Columns)+")")
		}
	}
	stmt := "CREATE TABLE IF NOT EXISTS " + d.Quote(m.Table) + " (\n  " + strings.Join(defs, ",\n  ") + "\n)" + st.tableSuffix
	out := []string{stmt}
	if !st.inlineIndexes {
		for _, ix := range m.Indexes {
			kw := "CREATE INDEX IF NOT EXISTS "
			if ix.Unique {
				kw = "CREATE UNIQUE INDEX IF NOT EXISTS "
			}
			out = append(out, kw+d.Quote(ix.Name)+" ON "+d.Quote(m.Table)+" ("+quoteList(d, ix.Columns)+")")
		}
	}
	return out, nil
}

func foreignKeyClause(d Dialect, fk *schema.ForeignKey) string {
	s := "CONSTRAINT " + d.Quote(fk.Name) + " FOREIGN KEY (" + quoteList(d, fk.Columns) + ") REFERENCES " +
		d.Quote(fk.RefTable) + " (" + quoteList(d, fk.RefColumns) + ")"
	if fk.OnDelete != "" {
		s += " ON DELETE " + fk.OnDelete
	}
	if fk.OnUpdate != "" {
		s += " ON UPDATE " + fk.OnUpdate
	}
	return s
}

// sizedOr returns NAME(size) when the field has a size, else def.
func sizedOr(f *schema.Field, name, def string) string {
	if f.Size > 0 {
		return fmt.Sprintf("%s(%d)", name, f.Size)
	}
	return def
}

func unsupportedType(d Dialect, f *schema.Field) error {
	return fmt.Errorf("orm/dialect: %s has no type for %s.%s (kind %s): add type=SQLTYPE", d.Name(), f.Model.Name, f.Path, f.Kind)
}
