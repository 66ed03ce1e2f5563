package migrate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// wantIndex is an index or UNIQUE constraint a model declares.
type wantIndex struct {
	name       string
	columns    []string
	unique     bool
	constraint bool // the unique option of a field
}

func wantIndexes(m *schema.Model) []wantIndex {
	var out []wantIndex
	for _, ix := range m.Indexes {
		out = append(out, wantIndex{name: ix.Name, columns: ix.Columns, unique: ix.Unique})
	}
	for _, f := range m.Fields {
		if f.Unique && !(len(m.PrimaryKey) == 1 && f.PrimaryKey) {
			out = append(out, wantIndex{columns: []string{f.Column}, unique: true, constraint: true})
		}
	}
	return out
}

// diffIndexes compares indexes and UNIQUE constraints by content (columns
// in order and uniqueness), never by name: an equal index is left alone
// whatever it is called. An index of the database that no model declares is
// dropped only when the ORM made it (see owned); others are kept.
func (p *planner) diffIndexes(td *tableDiff) {
	t := td.t
	used := make([]bool, len(t.Indexes))
	find := func(w wantIndex, sameKind bool) int {
		for i, ix := range t.Indexes {
			if !used[i] && ix.Unique == w.unique && slices.Equal(ix.Columns, w.columns) && (!sameKind || ix.Constraint == w.constraint) {
				return i
			}
		}
		return -1
	}
	want := wantIndexes(td.m)
	var missing []wantIndex
	names := map[string]bool{}
	for _, w := range want {
		names[w.name] = w.name != ""
		i := find(w, true)
		if i < 0 {
			i = find(w, false)
		}
		if i < 0 {
			missing = append(missing, w)
			continue
		}
		used[i] = true
	}
	for i, ix := range t.Indexes {
		switch {
		case used[i]:
		case !p.owned(t, ix, names):
			td.kept = append(td.kept, ix)
		case ix.Constraint:
			td.add(Change{Kind: DropUnique, Table: t.Name, Name: ix.Name, Detail: "(" + join(ix.Columns) + ")",
				phase: phaseDropConstraints}, p.mig.DropUnique(t.Name, ix.Name))
		default:
			kind := DropIndex
			if ix.Unique {
				kind = DropUnique
			}
			td.add(Change{Kind: kind, Table: t.Name, Name: ix.Name, Detail: "(" + join(ix.Columns) + ")",
				phase: phaseDropConstraints}, p.mig.DropIndex(t.Name, ix.Name))
		}
	}
	for _, w := range missing {
		if w.constraint {
			td.add(Change{Kind: AddUnique, Table: t.Name, Name: w.columns[0], Detail: "(" + join(w.columns) + ")",
				phase: phaseConstraints}, p.mig.AddUnique(t.Name, w.columns))
			continue
		}
		td.add(Change{Kind: CreateIndex, Table: t.Name, Name: w.name, Detail: "(" + join(w.columns) + ")", phase: phaseConstraints},
			createIndex(p.d, t.Name, w.name, w.columns, w.unique))
	}
}

// owned reports whether an index no model declares is the ORM's to drop: a
// UNIQUE constraint, an index named as the ORM names them (idx_TABLE_...,
// uix_TABLE_...), one whose name a declared index takes, or (MySQL names a
// UNIQUE column's index after the column) a unique index named as a column.
// Any other is hand-made and stays.
func (p *planner) owned(t *dialect.CatalogTable, ix dialect.CatalogIndex, names map[string]bool) bool {
	if ix.Constraint || names[ix.Name] ||
		strings.HasPrefix(ix.Name, "idx_"+t.Name+"_") || strings.HasPrefix(ix.Name, "uix_"+t.Name+"_") {
		return true
	}
	_, isColumn := t.Column(ix.Name)
	return ix.Unique && isColumn
}

func (p *planner) diffForeignKeys(td *tableDiff) {
	t := td.t
	used := make([]bool, len(t.ForeignKeys))
	def := p.mig.DefaultAction()
	action := func(a string) string {
		if a == "" {
			return def
		}
		return strings.ToUpper(a)
	}
	var missing []*schema.ForeignKey
	for _, fk := range td.m.ForeignKeys {
		found := false
		for i, x := range t.ForeignKeys {
			if !used[i] && x.RefTable == fk.RefTable && slices.Equal(x.Columns, fk.Columns) && slices.Equal(x.RefColumns, fk.RefColumns) &&
				action(x.OnDelete) == action(fk.OnDelete) && action(x.OnUpdate) == action(fk.OnUpdate) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, fk)
		}
	}
	for i, x := range t.ForeignKeys {
		if !used[i] {
			td.add(Change{Kind: DropForeignKey, Table: t.Name, Name: x.Name, Detail: fkDetail(x.Columns, x.RefTable, x.RefColumns),
				phase: phaseDropConstraints}, p.mig.DropForeignKey(t.Name, x.Name))
		}
	}
	for _, fk := range missing {
		detail := fkDetail(fk.Columns, fk.RefTable, fk.RefColumns) + fmt.Sprintf(" on delete %s on update %s", action(fk.OnDelete), action(fk.OnUpdate))
		td.add(Change{Kind: AddForeignKey, Table: t.Name, Name: fk.Name, Detail: detail, phase: phaseConstraints},
			p.d.AddForeignKey(td.m, fk))
	}
}

func createIndex(d dialect.Dialect, table, name string, cols []string, unique bool) string {
	kw := "CREATE INDEX "
	if unique {
		kw = "CREATE UNIQUE INDEX "
	}
	return kw + d.Quote(name) + " ON " + d.Quote(table) + " (" + quoteAll(d, cols) + ")"
}

func quoteAll(d dialect.Dialect, cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = d.Quote(c)
	}
	return strings.Join(q, ", ")
}

// rebuild returns SQLite's procedure for a change ALTER TABLE cannot make:
// create the table's new shape under another name, copy the rows, drop the
// old table, rename the new one, recreate the indexes (the models' and the
// hand-made ones). It runs inside the migration's transaction with foreign
// keys off; CheckForeignKeys verifies them before COMMIT.
func (p *planner) rebuild(td *tableDiff) ([]string, error) {
	m, t := td.m, td.t
	create, err := p.d.CreateTable(m, nil)
	if err != nil {
		return nil, err
	}
	tmp := p.d.Quote("sqlm_new_" + m.Table)
	prefix := "CREATE TABLE IF NOT EXISTS " + p.d.Quote(m.Table)
	if !strings.HasPrefix(create[0], prefix) {
		return nil, fmt.Errorf("orm/migrate: rebuild of %s: unexpected CREATE TABLE %q", m.Table, create[0])
	}
	var cols, exprs []string
	for _, f := range m.Fields {
		expr := ""
		if _, ok := t.Column(f.Column); ok {
			expr = p.d.Quote(f.Column)
			if fill, ok := td.fill[f.Column]; ok {
				expr = "COALESCE(" + expr + ", " + fill + ")"
			}
		} else if !f.Nullable && !f.HasDefault && f != m.AutoIncrement {
			expr = zeroValue(f)
		}
		if expr != "" {
			cols = append(cols, p.d.Quote(f.Column))
			exprs = append(exprs, expr)
		}
	}
	out := []string{
		"CREATE TABLE " + tmp + create[0][len(prefix):],
		"INSERT INTO " + tmp + " (" + strings.Join(cols, ", ") + ") SELECT " + strings.Join(exprs, ", ") + " FROM " + p.d.Quote(t.Name),
		"DROP TABLE " + p.d.Quote(t.Name),
		"ALTER TABLE " + tmp + " RENAME TO " + p.d.Quote(m.Table),
	}
	out = append(out, create[1:]...)
	for _, ix := range td.kept {
		switch {
		case !hasColumns(m, ix.Columns):
		case ix.SQL != "":
			out = append(out, ix.SQL)
		default:
			out = append(out, createIndex(p.d, t.Name, ix.Name, ix.Columns, ix.Unique))
		}
	}
	return out, nil
}

// hasColumns reports whether m still has every column of a kept index.
func hasColumns(m *schema.Model, cols []string) bool {
	for _, c := range cols {
		if _, ok := m.FieldByColumn(c); !ok {
			return false
		}
	}
	return true
}
