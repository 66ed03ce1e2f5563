package schema

import (
	"fmt"
	"strings"
)

// resolveManyToMany resolves link=TABLE[(local,remote)] and
// link_model=TYPE[(local,remote)].
func (b *builder) resolveManyToMany(rr *rawRelation, target *Model) {
	m := rr.model
	fail := func(format string, args ...any) { b.fail(m, rr.field.Name, rr.tag, format, args...) }
	opt, declared := rr.opts["link_model"]
	if !declared {
		opt = rr.opts["link"]
	}
	name, cols, err := parseLink(opt.value)
	if err != nil {
		fail("%s=%s: %v", opt.key, opt.value, err)
		return
	}
	r := b.newRelation(rr, ManyToMany)
	r.LocalFields, r.RemoteFields = m.PrimaryKey, target.PrimaryKey
	var link *LinkTable
	if declared {
		link = b.declaredLink(rr, name, cols, m, target)
	} else {
		link = b.synthesizedLink(rr, name, cols, m, target)
	}
	if link == nil {
		return
	}
	r.Link = link
	rr.rel = r
}

// parseLink splits "name" or "name(a;b,c;d)".
func parseLink(v string) (name string, cols [2][]string, err error) {
	open := strings.IndexByte(v, '(')
	if open < 0 {
		return strings.TrimSpace(v), cols, nil
	}
	if !strings.HasSuffix(v, ")") {
		return "", cols, fmt.Errorf("want NAME or NAME(local,remote)")
	}
	name = strings.TrimSpace(v[:open])
	inner := v[open+1 : len(v)-1]
	l, r, ok := strings.Cut(inner, ",")
	if !ok || strings.TrimSpace(l) == "" || strings.TrimSpace(r) == "" || name == "" {
		return "", cols, fmt.Errorf("want NAME(local,remote)")
	}
	return name, [2][]string{splitList(l), splitList(r)}, nil
}

// synthesizedLink resolves link=TABLE[(local,remote)]: a link table with
// no Go type, made here with one column per primary-key column of m and
// target (named TABLE_COLUMN unless given), or the same link table another
// relation already made.
func (b *builder) synthesizedLink(rr *rawRelation, table string, cols [2][]string, m, target *Model) *LinkTable {
	fail := func(format string, args ...any) { b.fail(m, rr.field.Name, rr.tag, format, args...) }
	local, remote := cols[0], cols[1]
	if local == nil {
		if m == target {
			fail("a self-referencing many-to-many needs link=%s(local_column,remote_column)", table)
			return nil
		}
		for _, pk := range m.PrimaryKey {
			local = append(local, m.Table+"_"+pk.Column)
		}
		for _, pk := range target.PrimaryKey {
			remote = append(remote, target.Table+"_"+pk.Column)
		}
	}
	if len(local) != len(m.PrimaryKey) || len(remote) != len(target.PrimaryKey) {
		fail("link columns (%s),(%s) do not match the primary keys of %s (%d) and %s (%d)",
			strings.Join(local, ";"), strings.Join(remote, ";"), m.Name, len(m.PrimaryKey), target.Name, len(target.PrimaryKey))
		return nil
	}
	if existing := b.byTable(table); existing != nil {
		if !existing.Link {
			fail("link table %q is the table of model %s; use link_model=%s", table, existing.Name, existing.Type.Name())
			return nil
		}
		lf := fieldsNamed(existing, local)
		rf := fieldsNamed(existing, remote)
		if lf == nil || rf == nil || !references(lf, m) || !references(rf, target) {
			fail("link table %q is already declared with other columns (%s)", table, strings.Join(existing.Columns(), ", "))
			return nil
		}
		return &LinkTable{Model: existing, LocalColumns: lf, RemoteColumns: rf}
	}
	lm := &Model{Name: table, Table: table, Link: true, byColumn: map[string]*Field{}, byGoName: map[string]*Field{}, byRelation: map[string]*Relation{}}
	mk := func(col string, pk *Field, ref *Model) *Field {
		f := &Field{
			Model: lm, GoName: col, Path: col, Column: col, Type: pk.Type, Kind: pk.Kind, Bits: pk.Bits, SQLType: pk.SQLType,
			Size: pk.Size, PrimaryKey: true, Valuer: pk.Valuer, Pointer: pk.Pointer,
			ForeignKey: &ColumnRef{Table: ref.Table, Column: pk.Column}, OnDelete: "CASCADE",
		}
		bindAccessors(f)
		return f
	}
	var lf, rf []*Field
	for i, pk := range m.PrimaryKey {
		lf = append(lf, mk(local[i], pk, m))
	}
	for i, pk := range target.PrimaryKey {
		rf = append(rf, mk(remote[i], pk, target))
	}
	for _, f := range append(append([]*Field(nil), lf...), rf...) {
		if _, dup := lm.byColumn[f.Column]; dup {
			fail("link table %q would have column %q twice; name the columns with link=%s(local,remote)", table, f.Column, table)
			return nil
		}
		lm.Fields = append(lm.Fields, f)
		lm.byColumn[f.Column] = f
		lm.byGoName[f.Column] = f
	}
	lm.PrimaryKey = lm.Fields
	b.order = append(b.order, lm)
	return &LinkTable{Model: lm, LocalColumns: lf, RemoteColumns: rf}
}

// references reports whether the link fields fs reference the primary key of m.
func references(fs []*Field, m *Model) bool {
	if len(fs) != len(m.PrimaryKey) {
		return false
	}
	for i, f := range fs {
		if f.ForeignKey == nil || f.ForeignKey.Table != m.Table || f.ForeignKey.Column != m.PrimaryKey[i].Column {
			return false
		}
	}
	return true
}

// declaredLink resolves link_model=TYPE[(local,remote)]: the registered
// model TYPE whose fields reference the primary keys of m and target.
func (b *builder) declaredLink(rr *rawRelation, typeName string, cols [2][]string, m, target *Model) *LinkTable {
	fail := func(format string, args ...any) { b.fail(m, rr.field.Name, rr.tag, format, args...) }
	var cands []*Model
	seen := map[*Model]bool{}
	for _, c := range append(append([]*Model(nil), b.order...), b.reg.Models()...) {
		if c.Type != nil && !seen[c] && (c.Type.Name() == typeName || c.Type.String() == typeName) {
			seen[c] = true
			cands = append(cands, c)
		}
	}
	switch len(cands) {
	case 0:
		fail("link_model %s is not a registered model; register it together with %s", typeName, m.Name)
		return nil
	case 1:
	default:
		fail("link_model %s is ambiguous (%s and %s); qualify it with its package", typeName, cands[0].Name, cands[1].Name)
		return nil
	}
	lm := cands[0]
	if cols[0] == nil && m == target {
		fail("a self-referencing many-to-many needs link_model=%s(local_field,remote_field)", typeName)
		return nil
	}
	lf := b.linkFields(rr, lm, typeName, cols[0], m)
	if lf == nil {
		return nil
	}
	rf := b.linkFields(rr, lm, typeName, cols[1], target)
	if rf == nil {
		return nil
	}
	return &LinkTable{Model: lm, LocalColumns: lf, RemoteColumns: rf, Declared: true}
}

// linkFields returns the fields of the link model lm that reference the
// primary key of ref: those named in explicit (given fk= now when they
// have none and lm is being built), or else the only ones whose fk= does.
func (b *builder) linkFields(rr *rawRelation, lm *Model, typeName string, explicit []string, ref *Model) []*Field {
	fail := func(format string, args ...any) { b.fail(rr.model, rr.field.Name, rr.tag, format, args...) }
	if explicit != nil {
		fs := fieldsNamed(lm, explicit)
		if fs == nil {
			fail("link_model %s has no field %s", lm.Name, strings.Join(explicit, ";"))
			return nil
		}
		if !references(fs, ref) {
			if !allUntagged(fs) || len(fs) != len(ref.PrimaryKey) {
				fail("link_model %s: %s must reference the primary key of %s", lm.Name, names(fs), ref.Name)
				return nil
			}
			if !b.building(lm) {
				fail("link_model %s is already registered and %s have no fk=; add fk=%s.<column> to them", lm.Name, names(fs), ref.Table)
				return nil
			}
			for i, f := range fs {
				f.ForeignKey = &ColumnRef{Table: ref.Table, Column: ref.PrimaryKey[i].Column}
			}
		}
		return fs
	}
	var fs []*Field
	for _, pk := range ref.PrimaryKey {
		var hits []*Field
		for _, f := range lm.Fields {
			if f.ForeignKey != nil && f.ForeignKey.Table == ref.Table && f.ForeignKey.Column == pk.Column {
				hits = append(hits, f)
			}
		}
		if len(hits) != 1 {
			fail("link_model %s: cannot tell which field references %s.%s (%d candidates); name them with link_model=%s(local,remote)",
				lm.Name, ref.Table, pk.Column, len(hits), typeName)
			return nil
		}
		fs = append(fs, hits[0])
	}
	return fs
}

func allUntagged(fs []*Field) bool {
	for _, f := range fs {
		if f.ForeignKey != nil {
			return false
		}
	}
	return true
}
