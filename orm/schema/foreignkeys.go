package schema

import "strings"

// buildForeignKeys turns the fk= references of m's fields into constraints,
// joining columns that together reference a composite key.
func (b *builder) buildForeignKeys(m *Model) {
	type group struct {
		ref    *Model
		fields []*Field
	}
	var groups []*group
	byRef := map[string]*group{}
	for _, f := range m.Fields {
		if f.ForeignKey == nil {
			continue
		}
		ref := b.byTable(f.ForeignKey.Table)
		if ref == nil {
			b.fail(m, f.Path, f.Tag, "fk to unknown table %q (register its model together with %s)", f.ForeignKey.Table, m.Name)
			continue
		}
		rf, ok := ref.FieldByColumn(f.ForeignKey.Column)
		if !ok {
			b.fail(m, f.Path, f.Tag, "fk to unknown column %q of table %q", f.ForeignKey.Column, ref.Table)
			continue
		}
		if !compatible(f, rf) {
			b.fail(m, f.Path, f.Tag, "foreign key type %s does not match %s.%s of type %s", f.Type, ref.Name, rf.Path, rf.Type)
			continue
		}
		g := byRef[ref.Table]
		if g == nil {
			g = &group{ref: ref}
			byRef[ref.Table] = g
			groups = append(groups, g)
		}
		g.fields = append(g.fields, f)
	}
	for _, g := range groups {
		var sets [][]*Field
		if comp := mergeComposite(singles(g.fields), g.ref); len(comp) == 1 && len(comp[0]) > 1 {
			sets = comp
		} else {
			sets = singles(g.fields)
		}
		for _, fs := range sets {
			fk := &ForeignKey{RefTable: g.ref.Table, RefModel: g.ref, Fields: fs, OnDelete: fs[0].OnDelete, OnUpdate: fs[0].OnUpdate}
			for _, f := range fs {
				fk.Columns = append(fk.Columns, f.Column)
				fk.RefColumns = append(fk.RefColumns, f.ForeignKey.Column)
				if f.OnDelete != fk.OnDelete || f.OnUpdate != fk.OnUpdate {
					b.fail(m, f.Path, f.Tag, "columns of one composite foreign key disagree on ondelete/onupdate")
				}
			}
			if !uniqueColumns(g.ref, fk.RefColumns) {
				b.fail(m, fs[0].Path, fs[0].Tag, "fk references %s(%s), which is neither the primary key nor unique",
					g.ref.Table, strings.Join(fk.RefColumns, ", "))
				continue
			}
			fk.Name = limitName("fk_" + m.Table + "_" + strings.Join(fk.Columns, "_"))
			m.ForeignKeys = append(m.ForeignKeys, fk)
		}
	}
}

func singles(fs []*Field) [][]*Field {
	out := make([][]*Field, len(fs))
	for i, f := range fs {
		out[i] = []*Field{f}
	}
	return out
}

// uniqueColumns reports whether cols are the primary key, a unique column or
// a unique index of m, so a foreign key may reference them.
func uniqueColumns(m *Model, cols []string) bool {
	same := func(fs []string) bool {
		if len(fs) != len(cols) {
			return false
		}
		set := map[string]bool{}
		for _, c := range fs {
			set[c] = true
		}
		for _, c := range cols {
			if !set[c] {
				return false
			}
		}
		return true
	}
	var pk []string
	for _, f := range m.PrimaryKey {
		pk = append(pk, f.Column)
	}
	if same(pk) {
		return true
	}
	if len(cols) == 1 {
		if f, ok := m.FieldByColumn(cols[0]); ok && f.Unique {
			return true
		}
	}
	for _, ix := range m.Indexes {
		if ix.Unique && same(ix.Columns) {
			return true
		}
	}
	return false
}
