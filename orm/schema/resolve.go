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
		fieldType: rr.field.Type, offset: rr.offset, direct: rr.direct,
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
	if hasLink || hasLinkModel {
		if _, ok := rr.opts["fk"]; ok {
			b.fail(m, rr.field.Name, rr.tag, "fk is not valid on a many-to-many relation; name link columns in link=TABLE(local,remote)")
			return
		}
		b.resolveManyToMany(rr, target)
	} else {
		b.resolveReverse(rr, target)
	}
	if rr.rel != nil {
		b.relationOptions(rr)
	}
}

// resolveReverse resolves a one-to-many or one-to-one relation, whose
// foreign key lives in target.
func (b *builder) resolveReverse(rr *rawRelation, target *Model) {
	kind := OneToMany
	if rr.shape == ToOne {
		kind = OneToOne
	}
	remote := b.reverseKey(rr, target)
	if remote == nil {
		return
	}
	r := b.newRelation(rr, kind)
	rr.rel = r
	r.RemoteFields = remote
	local, ok := b.referenced(rr, remote, rr.model)
	if !ok {
		rr.rel = nil
		return
	}
	r.LocalFields = local
}

// reverseKey returns the foreign-key fields of target that reference the
// declaring model: those named by fk=, or the only foreign key of target
// to the model's table. It reports a failure and returns nil otherwise.
func (b *builder) reverseKey(rr *rawRelation, target *Model) []*Field {
	m := rr.model
	if o, ok := rr.opts["fk"]; ok {
		remote := fieldsNamed(target, splitList(o.value))
		if remote == nil {
			b.fail(m, rr.field.Name, rr.tag, "fk=%s names no field of %s (nor of %s)", o.value, target.Name, m.Name)
		}
		return remote
	}
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
		return nil
	case 1:
		return found[0]
	default:
		var opts []string
		for _, fs := range found {
			opts = append(opts, names(fs))
		}
		b.fail(m, rr.field.Name, rr.tag, "ambiguous foreign key: %s has several that reference %s (%s); choose one with fk=FIELD",
			target.Name, m.Table, strings.Join(opts, ", "))
		return nil
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
		terms, msg := orderBy(r.Target, o.value)
		if msg != "" {
			fail("%s", msg)
			return
		}
		r.OrderBy = terms
	}
}

// orderBy parses an order_by option over the fields of target: terms
// COLUMN, -COLUMN, COLUMN asc or COLUMN desc separated by ';'. It returns
// an error message (not an error) for a malformed term or unknown field.
func orderBy(target *Model, value string) ([]OrderTerm, string) {
	var terms []OrderTerm
	for _, term := range splitList(value) {
		desc := false
		if strings.HasPrefix(term, "-") {
			desc, term = true, term[1:]
		} else if name, dir, ok := strings.Cut(term, " "); ok {
			switch strings.ToLower(strings.TrimSpace(dir)) {
			case "asc":
			case "desc":
				desc = true
			default:
				return nil, "order_by=" + value + ": want COLUMN, -COLUMN, COLUMN asc or COLUMN desc"
			}
			term = name
		}
		f, ok := target.FieldByName(term)
		if !ok {
			return nil, fmt.Sprintf("order_by: %s has no field or column %q", target.Name, term)
		}
		terms = append(terms, OrderTerm{Field: f, Desc: desc})
	}
	return terms, ""
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
		ok = (other.Kind == OneToMany || other.Kind == OneToOne) && SameFields(r.LocalFields, other.RemoteFields)
	case OneToMany, OneToOne:
		ok = other.Kind == ManyToOne && SameFields(r.RemoteFields, other.LocalFields)
	case ManyToMany:
		ok = other.Kind == ManyToMany && other.Link.Model == r.Link.Model &&
			SameFields(r.Link.LocalColumns, other.Link.RemoteColumns) && SameFields(r.Link.RemoteColumns, other.Link.LocalColumns)
	}
	if !ok {
		fail("back_populates=%s: %s.%s (%s) is not the other side of this %s relation (different foreign key or link table)",
			r.BackPopulates, r.Target.Name, other.Name, other.Kind, r.Kind)
		return
	}
	r.Back = other
}
