package schema

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// builder builds one registration: a set of models that reference each other.
type builder struct {
	reg     *Registry
	pending map[reflect.Type]*Model
	// embedding holds the struct types walk is inside of, to reject a
	// struct that embeds a pointer to itself (directly or through others).
	embedding []reflect.Type
	queue     []reflect.Type
	order     []*Model // models and link tables in build order
	rels      []*rawRelation
	errs      []error
}

// rawRelation is a relation field seen while parsing, resolved once every
// model of the registration is known.
type rawRelation struct {
	model  *Model
	field  reflect.StructField
	index  []int
	offset uintptr // byte offset from the struct start; valid when direct
	direct bool    // reachable without following a pointer
	shape  Shape
	target reflect.Type
	opts   map[string]tagOption
	tag    string
	rel    *Relation
}

func (b *builder) fail(m *Model, field, tag, format string, args ...any) {
	name := ""
	if m != nil {
		name = m.Name
	}
	b.errs = append(b.errs, &TagError{Type: name, Field: field, Tag: tag, Reason: fmt.Sprintf(format, args...)})
}

func (b *builder) enqueue(t reflect.Type) {
	if _, ok := b.reg.Lookup(t); ok {
		return
	}
	if _, ok := b.pending[t]; ok {
		return
	}
	b.pending[t] = nil
	b.queue = append(b.queue, t)
}

func (b *builder) run() {
	for len(b.queue) > 0 {
		t := b.queue[0]
		b.queue = b.queue[1:]
		m := b.parseModel(t)
		b.pending[t] = m
		b.order = append(b.order, m)
	}
	b.checkTables()
	if len(b.errs) > 0 {
		return
	}
	// Many-to-one relations first: they may declare the foreign keys that
	// one-to-many and one-to-one relations on the other side look for.
	var rest []*rawRelation
	for _, rr := range b.rels {
		if !b.resolveManyToOne(rr) {
			rest = append(rest, rr)
		}
	}
	for _, rr := range rest {
		b.resolveOther(rr)
	}
	if len(b.errs) > 0 {
		return
	}
	for _, m := range b.order {
		b.buildForeignKeys(m)
	}
	for _, rr := range b.rels {
		if rr.rel != nil {
			b.resolveBack(rr)
		}
	}
	b.attachRelations()
	for _, m := range b.order {
		derive(m)
	}
}

// attachRelations adds the resolved relations to their models.
func (b *builder) attachRelations() {
	for _, rr := range b.rels {
		if rr.rel != nil {
			if _, dup := rr.model.byRelation[rr.rel.Name]; dup {
				b.fail(rr.model, rr.field.Name, rr.tag, "duplicate relation name %s (an embedded struct declares it too)", rr.rel.Name)
				continue
			}
			rr.model.Relations = append(rr.model.Relations, rr.rel)
			rr.model.byRelation[rr.rel.Name] = rr.rel
		}
	}
}

// byTable finds a model of this registration or a published one.
func (b *builder) byTable(table string) *Model {
	for _, m := range b.order {
		if m.Table == table {
			return m
		}
	}
	if m, ok := b.reg.Table(table); ok {
		return m
	}
	return nil
}

func (b *builder) modelOf(t reflect.Type) *Model {
	if m := b.pending[t]; m != nil {
		return m
	}
	m, _ := b.reg.Lookup(t)
	return m
}

func (b *builder) checkTables() {
	seen := map[string]*Model{}
	for _, m := range b.order {
		if other, ok := seen[m.Table]; ok {
			b.fail(m, "", "", "table %q is also the table of %s", m.Table, other.Name)
			continue
		}
		if pub, ok := b.reg.Table(m.Table); ok {
			b.fail(m, "", "", "table %q is already the table of registered model %s", m.Table, pub.Name)
			continue
		}
		seen[m.Table] = m
	}
	// Index names share one namespace per schema on PostgreSQL and SQLite.
	owner := map[string]*Model{}
	for _, m := range b.reg.Models() {
		for _, ix := range m.Indexes {
			owner[ix.Name] = m
		}
	}
	for _, m := range b.order {
		for _, ix := range m.Indexes {
			if other, ok := owner[ix.Name]; ok && other != m {
				b.fail(m, "", "", "index name %q is also used by table %q; index names must be unique across tables", ix.Name, other.Table)
				continue
			}
			owner[ix.Name] = m
		}
	}
}

type tableNamer interface{ TableName() string }

func (b *builder) parseModel(t reflect.Type) *Model {
	m := &Model{
		Type:       t,
		Name:       t.String(),
		byColumn:   map[string]*Field{},
		byGoName:   map[string]*Field{},
		byRelation: map[string]*Relation{},
	}
	tn, ok := reflect.New(t).Interface().(tableNamer)
	if !ok {
		// A struct type made by reflect.StructOf has the methods promoted
		// from its first embedded field, but its pointer type has none.
		tn, ok = reflect.Zero(t).Interface().(tableNamer)
	}
	if ok {
		m.Table = callTableName(tn)
		if m.Table == "" {
			b.fail(m, "", "", "TableName() returned an empty name")
		}
	} else {
		m.Table = SnakeCase(t.Name())
		if m.Table == "" {
			b.fail(m, "", "", "anonymous struct types need a TableName method")
		}
	}
	if strings.ContainsRune(m.Table, 0) {
		b.fail(m, "", "", "table name %q contains a NUL byte, which no database accepts in a name", m.Table)
	}
	m.Hooks = hooksOf(t)
	b.walk(m, t, nil, "", true, 0)
	if len(m.Fields) == 0 {
		b.fail(m, "", "", "no columns")
	}
	b.finishModel(m)
	return m
}

func callTableName(tn tableNamer) (name string) {
	defer func() {
		if recover() != nil {
			name = ""
		}
	}()
	return tn.TableName()
}

// walk collects the columns and relation fields of struct type t, flattening
// embedded structs.
func (b *builder) walk(m *Model, t reflect.Type, index []int, path string, direct bool, offset uintptr) {
	b.embedding = append(b.embedding, t)
	defer func() { b.embedding = b.embedding[:len(b.embedding)-1] }()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("sqlmodel")
		tag = strings.TrimSpace(tag)
		if tag == "-" {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		fpath := sf.Name
		if path != "" {
			fpath = path + "." + sf.Name
		}
		ft := sf.Type
		if sf.Anonymous {
			et := ft
			isPtr := et.Kind() == reflect.Pointer
			if isPtr {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct && et != typeTime && !reflect.PointerTo(et).Implements(typeScanner) {
				if hasTag && tag != "" {
					b.fail(m, fpath, tag, "an embedded struct takes no options")
					continue
				}
				if slices.Contains(b.embedding, et) {
					b.fail(m, fpath, tag, "embedded %s embeds itself recursively", ft)
					continue
				}
				if isPtr {
					b.walk(m, et, idx, fpath, false, 0)
				} else {
					b.walk(m, et, idx, fpath, direct, offset+sf.Offset)
				}
				continue
			}
		}
		if !sf.IsExported() {
			if hasTag {
				b.fail(m, fpath, tag, "unexported fields cannot be columns")
			}
			continue
		}
		if reflect.PointerTo(ft).Implements(typeRelationField) {
			b.parseRelation(m, sf, idx, fpath, tag, direct, offset+sf.Offset)
			continue
		}
		b.parseColumn(m, sf, idx, fpath, tag, direct, offset+sf.Offset)
	}
}

var columnOptions = map[string]bool{
	"pk": false, "autoincrement": false, "noautoincrement": false, "column": true, "fk": true,
	"ondelete": true, "onupdate": true, "unique": false, "index": false, "unique_index": false,
	"nullable": false, "notnull": false, "default": true, "type": true, "size": true, "version": false, "json": false,
	"renamed_from": true,
}

var relationOptions = map[string]bool{
	"fk": true, "link": true, "link_model": true, "back_populates": true, "cascade_delete": false,
	"passive_deletes": false, "delete_orphan": false, "order_by": true, "lazy": true,
}

// optionalValue lists options whose value may be left out.
var optionalValue = map[string]bool{"index": true, "unique_index": true}

// parseOptions validates the options of a tag against the allowed set: known
// names, no duplicates, a value exactly where one is required.
func (b *builder) parseOptions(m *Model, field, tag string, allowed map[string]bool, other map[string]bool, what string) (map[string]tagOption, bool) {
	opts, err := parseTag(tag)
	if err != nil {
		b.fail(m, field, tag, "malformed tag: %v", err)
		return nil, false
	}
	out := make(map[string]tagOption, len(opts))
	ok := true
	for _, o := range opts {
		needsValue, known := allowed[o.key]
		_, isOther := other[o.key]
		switch {
		case !known && isOther:
			b.fail(m, field, tag, "option %q is not valid on %s", o.key, what)
			ok = false
		case !known:
			b.fail(m, field, tag, "unknown option %q", o.key)
			ok = false
		case out[o.key].key != "":
			b.fail(m, field, tag, "option %q given twice", o.key)
			ok = false
		case needsValue && (!o.hasValue || o.value == ""):
			b.fail(m, field, tag, "option %q needs a value (%s=...)", o.key, o.key)
			ok = false
		case !needsValue && o.hasValue && !optionalValue[o.key]:
			b.fail(m, field, tag, "option %q takes no value", o.key)
			ok = false
		case optionalValue[o.key] && o.hasValue && o.value == "":
			b.fail(m, field, tag, "option %q has an empty name", o.key)
			ok = false
		}
		out[o.key] = o
	}
	return out, ok
}

// finishModel settles the primary key and the generated-key column.
func (b *builder) finishModel(m *Model) {
	for _, f := range m.Fields {
		if f.PrimaryKey {
			m.PrimaryKey = append(m.PrimaryKey, f)
		}
	}
	if len(m.PrimaryKey) == 0 {
		b.fail(m, "", "", "no primary key: mark a field with `sqlmodel:\"pk\"`")
		return
	}
	if len(m.PrimaryKey) > 1 {
		for _, f := range m.PrimaryKey {
			if f.AutoIncrement {
				b.fail(m, f.Path, f.Tag, "autoincrement is not possible in a composite primary key")
			}
		}
		return
	}
	pk := m.PrimaryKey[0]
	if !pk.AutoIncrement && !pk.noAuto && (pk.Kind == KindInt || pk.Kind == KindUint) && !pk.Valuer && pk.SQLType == "" && pk.ForeignKey == nil {
		pk.AutoIncrement = true
	}
	if pk.AutoIncrement {
		m.AutoIncrement = pk
	}
}

func (b *builder) parseRelation(m *Model, sf reflect.StructField, idx []int, path, tag string, direct bool, offset uintptr) {
	opts, ok := b.parseOptions(m, path, tag, relationOptions, columnOptions, "a relation field (only on columns)")
	if !ok {
		return
	}
	rf := reflect.New(sf.Type).Interface().(RelationField)
	target := rf.RelationTarget()
	if target.Kind() != reflect.Struct {
		b.fail(m, path, tag, "relation target %s is not a struct", target)
		return
	}
	_, hasLink := opts["link"]
	_, hasLinkModel := opts["link_model"]
	if rf.RelationShape() == ToOne && (hasLink || hasLinkModel) {
		b.fail(m, path, tag, "link and link_model are only valid on RelatedMany fields")
		return
	}
	b.enqueue(target)
	b.rels = append(b.rels, &rawRelation{
		model: m, field: sf, index: idx, offset: offset, direct: direct,
		shape: rf.RelationShape(), target: target, opts: opts, tag: tag,
	})
}

// limitName keeps generated identifiers within the 63/64-character limits of
// PostgreSQL and MySQL, replacing the tail with a hash when needed.
func limitName(s string) string {
	const max = 63
	if len(s) <= max {
		return s
	}
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return s[:max-9] + "_" + fmt.Sprintf("%08x", h)
}
