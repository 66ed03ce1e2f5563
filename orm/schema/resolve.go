package schema

import (
	"fmt"
	"strings"
)

// splitList splits a ';'-separated option value ("A;B").
func splitList(v string) []string {
	parts := strings.Split(v, ";")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// fieldsNamed resolves Go field names or column names in m; nil when any is missing.
func fieldsNamed(m *Model, names []string) []*Field {
	out := make([]*Field, 0, len(names))
	for _, n := range names {
		f, ok := m.FieldByName(n)
		if !ok {
			return nil
		}
		out = append(out, f)
	}
	return out
}

func names(fs []*Field) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.Path
	}
	return strings.Join(s, ";")
}

func (b *builder) newRelation(rr *rawRelation, kind RelKind) *Relation {
	r := &Relation{
		Name: rr.field.Name, Index: rr.index, Kind: kind, Model: rr.model, Target: b.modelOf(rr.target),
		BackPopulates: rr.opts["back_populates"].value, Tag: rr.tag,
	}
	_, r.CascadeDelete = rr.opts["cascade_delete"]
	_, r.PassiveDeletes = rr.opts["passive_deletes"]
	_, r.DeleteOrphan = rr.opts["delete_orphan"]
	return r
}

// resolveManyToOne resolves a Lazy field whose foreign key lives in its own
// model. It reports false when the relation is of another kind.
func (b *builder) resolveManyToOne(rr *rawRelation) bool {
	if rr.shape != ToOne {
		return false
	}
	m, target := rr.model, b.modelOf(rr.target)
	var local []*Field
	if o, ok := rr.opts["fk"]; ok {
		local = fieldsNamed(m, splitList(o.value))
	} else {
		local = fieldsNamed(m, []string{rr.field.Name + "ID"})
	}
	if local == nil {
		return false
	}
	r := b.newRelation(rr, ManyToOne)
	rr.rel = r
	r.LocalFields = local
	remote, ok := b.referenced(rr, local, target)
	if !ok {
		rr.rel = nil
		return true
	}
	r.RemoteFields = remote
	b.relationOptions(rr)
	return true
}

// referenced returns the fields of target that the foreign-key fields fks
// reference. Fields without fk= get one pointing at target's primary key.
func (b *builder) referenced(rr *rawRelation, fks []*Field, target *Model) ([]*Field, bool) {
	var remote []*Field
	untagged := 0
	for _, f := range fks {
		if f.ForeignKey == nil {
			untagged++
			continue
		}
		if f.ForeignKey.Table != target.Table {
			b.fail(rr.model, rr.field.Name, rr.tag, "foreign key %s.%s references table %q, but the relation targets %s (table %q)",
				f.Model.Name, f.Path, f.ForeignKey.Table, target.Name, target.Table)
			return nil, false
		}
		rf, ok := target.FieldByColumn(f.ForeignKey.Column)
		if !ok {
			b.fail(f.Model, f.Path, f.Tag, "fk to unknown column %q of table %q", f.ForeignKey.Column, target.Table)
			return nil, false
		}
		remote = append(remote, rf)
	}
	if untagged > 0 {
		if untagged != len(fks) {
			b.fail(rr.model, rr.field.Name, rr.tag, "either all or none of the foreign-key fields %s need fk=", names(fks))
			return nil, false
		}
		if len(target.PrimaryKey) != len(fks) {
			b.fail(rr.model, rr.field.Name, rr.tag, "%d foreign-key field(s) %s cannot reference the %d-column primary key of %s",
				len(fks), names(fks), len(target.PrimaryKey), target.Name)
			return nil, false
		}
		if !b.building(fks[0].Model) {
			// A published model is immutable: its fields cannot become
			// foreign keys now.
			b.fail(rr.model, rr.field.Name, rr.tag, "foreign-key field(s) %s of the already registered model %s need fk=%s.<column>, or register both models together",
				names(fks), fks[0].Model.Name, target.Table)
			return nil, false
		}
		for i, f := range fks {
			pk := target.PrimaryKey[i]
			f.ForeignKey = &ColumnRef{Table: target.Table, Column: pk.Column}
			remote = append(remote, pk)
		}
	}
	for i, f := range fks {
		if !compatible(f, remote[i]) {
			b.fail(f.Model, f.Path, f.Tag, "foreign key type %s does not match %s.%s of type %s",
				f.Type, remote[i].Model.Name, remote[i].Path, remote[i].Type)
			return nil, false
		}
	}
	return remote, true
}

// building reports whether m is being built by this registration, so it may
// still change; published models may not.
func (b *builder) building(m *Model) bool {
	return m.Type != nil && b.pending[m.Type] == m
}

// compatible reports whether a foreign-key column can reference col: the same
// storage kind, and for integers the same size and signedness.
func compatible(fk, col *Field) bool {
	if fk.Kind != col.Kind {
		return false
	}
	if fk.Kind == KindInt || fk.Kind == KindUint {
		return fk.ColumnBits() == col.ColumnBits()
	}
	return true
}

// resolveOther resolves one-to-one (reverse), one-to-many and many-to-many
// relations.
func (b *builder) resolveOther(rr *rawRelation) {
	m, target := rr.model, b.modelOf(rr.target)
	if target == nil {
		b.fail(m, rr.field.Name, rr.tag, "relation target %s could not be registered", rr.target)
		return
	}
	_, hasLink := rr.opts["link"]
	_, hasLinkModel := rr.opts["link_model"]
	if rr.shape == ToOne && (hasLink || hasLinkModel) {
		b.fail(m, rr.field.Name, rr.tag, "link and link_model are only valid on RelatedMany fields")
		return
	}
	if hasLink && hasLinkModel {
		b.fail(m, rr.field.Name, rr.tag, "link and link_model exclude each other")
		return
	}
	switch {
	case hasLink || hasLinkModel:
		if _, ok := rr.opts["fk"]; ok {
			b.fail(m, rr.field.Name, rr.tag, "fk is not valid on a many-to-many relation; name link columns in link=TABLE(local,remote)")
			return
		}
		b.resolveManyToMany(rr, target)
	default:
		kind := OneToMany
		if rr.shape == ToOne {
			kind = OneToOne
		}
		var remote []*Field
		if o, ok := rr.opts["fk"]; ok {
			remote = fieldsNamed(target, splitList(o.value))
			if remote == nil {
				b.fail(m, rr.field.Name, rr.tag, "fk=%s names no field of %s (nor of %s)", o.value, target.Name, m.Name)
				return
			}
		} else {
			var found [][]*Field
			for _, f := range target.Fields {
				if f.ForeignKey != nil && f.ForeignKey.Table == m.Table {
					found = append(found, []*Field{f})
				}
			}
			found = mergeComposite(found, m)
			switch len(found) {
			case 0:
				hint := "add fk=" + m.Table + ".<column> to a field of " + target.Name
				if rr.shape == ToOne {
					hint = "no field " + rr.field.Name + "ID in " + m.Name + " and no foreign key in " + target.Name + " references table " + m.Table
				} else {
					hint += ", or use link=TABLE for many-to-many"
				}
				b.fail(m, rr.field.Name, rr.tag, "cannot resolve the foreign key of this relation: %s", hint)
				return
			case 1:
				remote = found[0]
			default:
				var opts []string
				for _, fs := range found {
					opts = append(opts, names(fs))
				}
				b.fail(m, rr.field.Name, rr.tag, "ambiguous foreign key: %s has several that reference %s (%s); choose one with fk=FIELD",
					target.Name, m.Table, strings.Join(opts, ", "))
				return
			}
		}
		r := b.newRelation(rr, kind)
		rr.rel = r
		r.RemoteFields = remote
		local, ok := b.referenced(rr, remote, m)
		if !ok {
			rr.rel = nil
			return
		}
		r.LocalFields = local
	}
	if rr.rel != nil {
		b.relationOptions(rr)
	}
}

// mergeComposite joins single-column references to a composite primary key
// of m into one multi-column reference.
func mergeComposite(found [][]*Field, m *Model) [][]*Field {
	if len(m.PrimaryKey) < 2 || len(found) < len(m.PrimaryKey) {
		return found
	}
	byCol := map[string][]*Field{}
	for _, fs := range found {
		byCol[fs[0].ForeignKey.Column] = append(byCol[fs[0].ForeignKey.Column], fs[0])
	}
	var comp []*Field
	for _, pk := range m.PrimaryKey {
		if len(byCol[pk.Column]) != 1 {
			return found
		}
		comp = append(comp, byCol[pk.Column][0])
	}
	if len(comp) == len(found) {
		return [][]*Field{comp}
	}
	return found
}

// relationOptions applies and checks the options every relation kind shares.
func (b *builder) relationOptions(rr *rawRelation) {
	r := rr.rel
	fail := func(format string, args ...any) {
		b.fail(rr.model, rr.field.Name, rr.tag, format, args...)
		rr.rel = nil
	}
	if o, ok := rr.opts["lazy"]; ok {
		switch o.value {
		case "raise":
			r.Raise = true
		case "select":
		default:
			fail("lazy=%s: want raise or select", o.value)
			return
		}
	}
	if r.CascadeDelete && r.Kind != OneToMany && r.Kind != OneToOne {
		fail("cascade_delete is only valid on one-to-many and one-to-one relations, not %s", r.Kind)
		return
	}
	if r.DeleteOrphan && r.Kind != OneToMany && r.Kind != OneToOne {
		fail("delete_orphan is only valid on one-to-many and one-to-one relations, not %s", r.Kind)
		return
	}
	if r.PassiveDeletes && !r.CascadeDelete {
		fail("passive_deletes needs cascade_delete")
		return
	}
	if o, ok := rr.opts["order_by"]; ok {
		if rr.shape != ToMany {
			fail("order_by is only valid on RelatedMany fields")
			return
		}
		for _, term := range splitList(o.value) {
			desc := false
			if strings.HasPrefix(term, "-") {
				desc, term = true, term[1:]
			} else if name, dir, ok := strings.Cut(term, " "); ok {
				switch strings.ToLower(strings.TrimSpace(dir)) {
				case "asc":
				case "desc":
					desc = true
				default:
					fail("order_by=%s: want COLUMN, -COLUMN, COLUMN asc or COLUMN desc", o.value)
					return
				}
				term = name
			}
			f, ok := r.Target.FieldByName(term)
			if !ok {
				fail("order_by: %s has no field or column %q", r.Target.Name, term)
				return
			}
			r.OrderBy = append(r.OrderBy, OrderTerm{Field: f, Desc: desc})
		}
	}
}

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
	pick := func(explicit []string, ref *Model, side string) []*Field {
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
	if cols[0] == nil && m == target {
		fail("a self-referencing many-to-many needs link_model=%s(local_field,remote_field)", typeName)
		return nil
	}
	lf := pick(cols[0], m, "local")
	if lf == nil {
		return nil
	}
	rf := pick(cols[1], target, "remote")
	if rf == nil {
		return nil
	}
	return &LinkTable{Model: lm, LocalColumns: lf, RemoteColumns: rf, Declared: true}
}

func allUntagged(fs []*Field) bool {
	for _, f := range fs {
		if f.ForeignKey != nil {
			return false
		}
	}
	return true
}

// resolveBack checks back_populates and links both sides.
func (b *builder) resolveBack(rr *rawRelation) {
	r := rr.rel
	if r.BackPopulates == "" {
		return
	}
	fail := func(format string, args ...any) { b.fail(rr.model, rr.field.Name, rr.tag, format, args...) }
	var other *Relation
	for _, x := range b.rels {
		if x.rel != nil && x.model == r.Target && x.rel.Name == r.BackPopulates {
			other = x.rel
		}
	}
	if other == nil {
		if pub, ok := r.Target.Relation(r.BackPopulates); ok {
			other = pub
		}
	}
	if other == nil {
		fail("back_populates=%s: %s has no relation field %s", r.BackPopulates, r.Target.Name, r.BackPopulates)
		return
	}
	if other.Target != r.Model {
		fail("back_populates=%s: %s.%s targets %s, not %s", r.BackPopulates, r.Target.Name, other.Name, other.Target.Name, r.Model.Name)
		return
	}
	if other.BackPopulates != r.Name {
		fail("back_populates=%s does not point back: %s.%s must declare back_populates=%s", r.BackPopulates, r.Target.Name, other.Name, r.Name)
		return
	}
	ok := false
	switch r.Kind {
	case ManyToOne:
		ok = (other.Kind == OneToMany || other.Kind == OneToOne) && sameFields(r.LocalFields, other.RemoteFields)
	case OneToMany, OneToOne:
		ok = other.Kind == ManyToOne && sameFields(r.RemoteFields, other.LocalFields)
	case ManyToMany:
		ok = other.Kind == ManyToMany && other.Link.Model == r.Link.Model &&
			sameFields(r.Link.LocalColumns, other.Link.RemoteColumns) && sameFields(r.Link.RemoteColumns, other.Link.LocalColumns)
	}
	if !ok {
		fail("back_populates=%s: %s.%s (%s) is not the other side of this %s relation (different foreign key or link table)",
			r.BackPopulates, r.Target.Name, other.Name, other.Kind, r.Kind)
		return
	}
	r.Back = other
}

func sameFields(a, b []*Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

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
