package migrate

import (
	"slices"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// renames finds the columns a renamed_from= option renames: the table has
// the former name, not the new one, and no field of the model maps the
// former name. Each becomes a RenameColumn change (ALTER TABLE ... RENAME
// COLUMN, which all three databases have), and the catalog is updated as if
// it had run, so that the rest of the diff compares the renamed column
// (and the keys and indexes that use it) with its field.
func (p *planner) renames(models []*schema.Model) {
	for _, m := range models {
		t := p.cat.Table(m.Table)
		if t == nil {
			continue
		}
		for _, f := range m.Fields {
			if f.RenamedFrom == "" {
				continue
			}
			_, hasNew := t.Column(f.Column)
			_, hasOld := t.Column(f.RenamedFrom)
			_, oldMapped := m.FieldByColumn(f.RenamedFrom)
			if hasNew || !hasOld || oldMapped {
				continue
			}
			p.add(Change{Kind: RenameColumn, Table: t.Name, Name: f.Column, Detail: "from " + f.RenamedFrom, phase: phaseRenames, from: f.RenamedFrom,
				stmts: []string{"ALTER TABLE " + p.d.Quote(t.Name) + " RENAME COLUMN " + p.d.Quote(f.RenamedFrom) + " TO " + p.d.Quote(f.Column)}})
			renameInCatalog(p.cat, t.Name, f.RenamedFrom, f.Column)
		}
	}
}

// renameInCatalog renames a column of table everywhere the catalog names
// it: the column, the primary key, indexes, the table's foreign keys and
// the foreign keys of other tables that reference it.
func renameInCatalog(cat *dialect.Catalog, table, from, to string) {
	swap := func(cols []string) {
		for i, c := range cols {
			if c == from {
				cols[i] = to
			}
		}
	}
	for _, t := range cat.Tables {
		if t.Name == table {
			for i := range t.Columns {
				if t.Columns[i].Name == from {
					t.Columns[i].Name = to
				}
			}
			swap(t.PrimaryKey)
			for i := range t.Indexes {
				if slices.Contains(t.Indexes[i].Columns, from) {
					t.Indexes[i].SQL = "" // a rebuild recreates it from its columns
				}
				swap(t.Indexes[i].Columns)
			}
			for _, fk := range t.ForeignKeys {
				swap(fk.Columns)
			}
		}
		for _, fk := range t.ForeignKeys {
			if fk.RefTable == table {
				swap(fk.RefColumns)
			}
		}
	}
}
