package schema

import (
	"reflect"
	"strconv"
	"strings"
)

var referentialActions = map[string]string{
	"cascade": "CASCADE", "set null": "SET NULL", "restrict": "RESTRICT", "no action": "NO ACTION", "set default": "SET DEFAULT",
}

// columnOpts are the validated options of one column tag.
type columnOpts map[string]tagOption

func (o columnOpts) has(k string) bool { _, ok := o[k]; return ok }

// columnStep applies one group of options to a new column; it reports a
// mistake through the builder and returns false to drop the column.
type columnStep func(b *builder, f *Field, opts columnOpts) bool

// columnSteps are applied in order; the first that fails ends the column.
var columnSteps = []columnStep{
	columnNameAndType,
	columnNullability,
	columnAutoIncrement,
	columnSizeAndDefault,
	columnVersion,
	columnForeignKey,
	columnReferentialActions,
}

// parseColumn turns one struct field into a column of m: it validates the
// tag, applies its options step by step and adds the column with its indexes.
func (b *builder) parseColumn(m *Model, sf reflect.StructField, idx []int, path, tag string, direct bool, offset uintptr) {
	opts, ok := b.parseOptions(m, path, tag, columnOptions, relationOptions, "a column (only on Lazy/RelatedMany fields)")
	if !ok {
		return
	}
	f := &Field{
		Model: m, GoName: sf.Name, Path: path, Index: idx, Type: sf.Type, Column: SnakeCase(sf.Name),
		Tag: tag, direct: direct, offset: offset,
	}
	for _, step := range columnSteps {
		if !step(b, f, opts) {
			return
		}
	}
	b.addColumn(f, opts)
}

// failField reports a mistake in the tag of f.
func (b *builder) failField(f *Field, format string, args ...any) {
	b.fail(f.Model, f.Path, f.Tag, format, args...)
}

// columnNameAndType applies column=, renamed_from=, type=, json and
// noautoincrement, and classifies the Go type; then it records pk, unique and version.
func columnNameAndType(b *builder, f *Field, opts columnOpts) bool {
	if o, ok := opts["column"]; ok {
		f.Column = o.value
		if strings.ContainsRune(f.Column, 0) {
			b.failField(f, "column name %q contains a NUL byte, which no database accepts in a name", f.Column)
			return false
		}
	}
	if o, ok := opts["renamed_from"]; ok {
		f.RenamedFrom = o.value
		if f.RenamedFrom == f.Column || strings.ContainsRune(f.RenamedFrom, 0) {
			b.failField(f, "renamed_from=%q is not a former name of column %q", f.RenamedFrom, f.Column)
			return false
		}
	}
	if o, ok := opts["type"]; ok {
		f.SQLType = o.value
	}
	f.JSON = opts.has("json")
	f.noAuto = opts.has("noautoincrement")
	if msg := classify(f); msg != "" {
		b.failField(f, "%s", msg)
		return false
	}
	f.PrimaryKey = opts.has("pk")
	f.Unique = opts.has("unique")
	f.Version = opts.has("version")
	return true
}

// columnNullability applies nullable and notnull over the type's default; a
// primary key is never nullable.
func columnNullability(b *builder, f *Field, opts columnOpts) bool {
	if opts.has("nullable") && opts.has("notnull") {
		b.failField(f, "nullable and notnull contradict each other")
		return false
	}
	if opts.has("nullable") {
		f.Nullable = true
	}
	if opts.has("notnull") {
		f.Nullable = false
	}
	if f.PrimaryKey && opts.has("nullable") {
		b.failField(f, "a primary key column cannot be nullable")
		return false
	}
	if f.PrimaryKey {
		f.Nullable = false
	}
	return true
}

// columnAutoIncrement applies autoincrement, which needs an integer primary key.
func columnAutoIncrement(b *builder, f *Field, opts columnOpts) bool {
	if opts.has("autoincrement") && opts.has("noautoincrement") {
		b.failField(f, "autoincrement and noautoincrement contradict each other")
		return false
	}
	if !opts.has("autoincrement") {
		return true
	}
	if f.Kind != KindInt && f.Kind != KindUint {
		b.failField(f, "autoincrement needs an integer column, not %s", f.Type)
		return false
	}
	if !f.PrimaryKey {
		b.failField(f, "autoincrement is only valid on the primary key")
		return false
	}
	f.AutoIncrement = true
	return true
}

// columnSizeAndDefault applies size= (string and []byte columns) and default=.
func columnSizeAndDefault(b *builder, f *Field, opts columnOpts) bool {
	if o, ok := opts["size"]; ok {
		n, err := strconv.Atoi(o.value)
		if err != nil || n <= 0 {
			b.failField(f, "size=%s is not a positive integer", o.value)
			return false
		}
		if f.Kind != KindString && f.Kind != KindBytes {
			b.failField(f, "size is only valid on string and []byte columns")
			return false
		}
		f.Size = n
	}
	if o, ok := opts["default"]; ok {
		f.Default, f.HasDefault = o.value, true
	}
	return true
}

// columnVersion makes a version column the model's optimistic-lock column.
func columnVersion(b *builder, f *Field, _ columnOpts) bool {
	if !f.Version {
		return true
	}
	m := f.Model
	if (f.Kind != KindInt && f.Kind != KindUint) || f.Pointer || f.Valuer {
		b.failField(f, "version needs a non-pointer integer field, not %s", f.Type)
		return false
	}
	if f.PrimaryKey {
		b.failField(f, "a primary key cannot be the version column")
		return false
	}
	if m.Version != nil {
		b.failField(f, "a second version column (the first is %s)", m.Version.Path)
		return false
	}
	m.Version = f
	return true
}

// columnForeignKey applies fk=TABLE.COLUMN.
func columnForeignKey(b *builder, f *Field, opts columnOpts) bool {
	o, ok := opts["fk"]
	if !ok {
		return true
	}
	i := strings.LastIndexByte(o.value, '.')
	if i <= 0 || i == len(o.value)-1 {
		b.failField(f, "fk=%s must name TABLE.COLUMN", o.value)
		return false
	}
	f.ForeignKey = &ColumnRef{Table: o.value[:i], Column: o.value[i+1:]}
	return true
}

// columnReferentialActions applies ondelete= and onupdate=, which need fk=.
func columnReferentialActions(b *builder, f *Field, opts columnOpts) bool {
	for _, k := range []string{"ondelete", "onupdate"} {
		o, ok := opts[k]
		if !ok {
			continue
		}
		act, valid := referentialActions[strings.ToLower(strings.Join(strings.Fields(o.value), " "))]
		if !valid {
			b.failField(f, "%s=%s: want cascade, set null, restrict, no action or set default", k, o.value)
			return false
		}
		if f.ForeignKey == nil {
			b.failField(f, "%s needs fk=TABLE.COLUMN on the same field", k)
			return false
		}
		if act == "SET NULL" && !f.Nullable {
			b.failField(f, "%s=set null on a NOT NULL column (make the field a pointer or add nullable)", k)
			return false
		}
		if k == "ondelete" {
			f.OnDelete = act
		} else {
			f.OnUpdate = act
		}
	}
	return true
}

// addColumn binds the accessors of a finished column, adds it to its model
// (rejecting a second column of the same name) and collects its indexes.
func (b *builder) addColumn(f *Field, opts columnOpts) {
	m := f.Model
	if prev, dup := m.byColumn[f.Column]; dup {
		b.failField(f, "duplicate column %q (also %s)", f.Column, prev.Path)
		return
	}
	bindAccessors(f)
	m.Fields = append(m.Fields, f)
	m.byColumn[f.Column] = f
	m.byGoName[f.Path] = f
	if _, taken := m.byGoName[f.GoName]; !taken {
		m.byGoName[f.GoName] = f
	}
	b.collectIndexes(m, f, opts)
}

func (b *builder) collectIndexes(m *Model, f *Field, opts columnOpts) {
	add := func(name string, unique bool) {
		for _, ix := range m.Indexes {
			if ix.Name == name {
				if ix.Unique != unique {
					b.failField(f, "index %q is declared both unique and not unique", name)
					return
				}
				ix.Columns = append(ix.Columns, f.Column)
				return
			}
		}
		m.Indexes = append(m.Indexes, &Index{Name: name, Columns: []string{f.Column}, Unique: unique})
	}
	if o, ok := opts["index"]; ok {
		name := o.value
		if name == "" {
			name = limitName("idx_" + m.Table + "_" + f.Column)
		}
		add(name, false)
	}
	if o, ok := opts["unique_index"]; ok {
		name := o.value
		if name == "" {
			name = limitName("uix_" + m.Table + "_" + f.Column)
		}
		add(name, true)
	}
}
