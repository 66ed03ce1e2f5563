package schema

import (
	"reflect"
	"unsafe"
)

// Model is the metadata of one table: a registered Go struct, or a link table
// of a many-to-many relationship that has no Go type of its own. A published
// Model is immutable and safe to share between goroutines.
type Model struct {
	// Type is the struct type; nil for a link table made from a link= option.
	Type reflect.Type
	// Name is the Go type name ("main.Hero"), or the table name for a link table.
	Name  string
	Table string
	// Fields are the columns in declaration order (embedded structs
	// flattened where they appear).
	Fields     []*Field
	PrimaryKey []*Field
	// AutoIncrement is the single generated-key column, nil when none.
	AutoIncrement *Field
	// Version is the optimistic-lock column, nil when none.
	Version     *Field
	ForeignKeys []*ForeignKey
	Indexes     []*Index
	Relations   []*Relation
	// Link reports a table that exists only to link two models
	// (link=TABLE), with no Go type of its own.
	Link bool
	// Hooks lists the model hook interfaces the type implements.
	Hooks Hook

	byColumn   map[string]*Field
	byGoName   map[string]*Field
	byRelation map[string]*Relation
	layout     MemoryLayout // computed at registration
	insertSets insertSets   // InsertColumnsOf's cache
}

// FieldByColumn returns the field of a column name.
func (m *Model) FieldByColumn(column string) (*Field, bool) {
	f, ok := m.byColumn[column]
	return f, ok
}

// FieldByName returns the field of a Go field name or dotted path
// ("TeamID", "Base.ID"); as a convenience it also accepts a column name.
func (m *Model) FieldByName(name string) (*Field, bool) {
	if f, ok := m.byGoName[name]; ok {
		return f, true
	}
	f, ok := m.byColumn[name]
	return f, ok
}

// Relation returns the relationship declared by the Go field name.
func (m *Model) Relation(name string) (*Relation, bool) {
	r, ok := m.byRelation[name]
	return r, ok
}

// FieldIndex returns the position of f in m.Fields, recorded at
// registration; -1 when f is not a field of m.
func (m *Model) FieldIndex(f *Field) int {
	if f == nil || f.Model != m {
		return -1
	}
	return f.pos
}

// ForeignKeyOf returns the foreign key of m made of exactly the fields fs,
// in order; nil when none is.
func (m *Model) ForeignKeyOf(fs []*Field) *ForeignKey {
	for _, fk := range m.ForeignKeys {
		if SameFields(fk.Fields, fs) {
			return fk
		}
	}
	return nil
}

// SameFields reports whether a and b hold the same fields in the same order.
func SameFields(a, b []*Field) bool {
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

// Columns returns the column names in field order.
func (m *Model) Columns() []string {
	out := make([]string, len(m.Fields))
	for i, f := range m.Fields {
		out[i] = f.Column
	}
	return out
}

// PointerOf returns the struct address held by obj, which must be a non-nil
// *T of this model's type; ok is false otherwise.
func (m *Model) PointerOf(obj any) (p unsafe.Pointer, ok bool) {
	v := reflect.ValueOf(obj)
	if m.Type == nil || v.Kind() != reflect.Pointer || v.Type().Elem() != m.Type || v.IsNil() {
		return nil, false
	}
	return v.UnsafePointer(), true
}

// New allocates a zero instance and returns it as a *T in an interface and
// as its address.
func (m *Model) New() (any, unsafe.Pointer) {
	v := reflect.New(m.Type)
	return v.Interface(), v.UnsafePointer()
}

// ForeignKey is a foreign-key constraint: Columns of this table reference
// RefColumns of RefTable.
type ForeignKey struct {
	Name       string // constraint name, fk_<table>_<columns>
	Fields     []*Field
	Columns    []string
	RefTable   string
	RefModel   *Model
	RefColumns []string
	OnDelete   string // "CASCADE", "SET NULL", "RESTRICT", "NO ACTION", "SET DEFAULT" or ""
	OnUpdate   string
}

// Nullable reports whether every column of the key may be NULL, so that a
// row can be inserted before the row it references exists.
func (fk *ForeignKey) Nullable() bool {
	for _, f := range fk.Fields {
		if !f.Nullable {
			return false
		}
	}
	return true
}

// Index is a named index over one or more columns.
type Index struct {
	Name    string
	Columns []string
	Unique  bool
}
