package schema

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Kind is the logical storage type of a column, from which a dialect picks
// the SQL type.
type Kind uint8

// Kinds of columns.
const (
	KindInvalid Kind = iota
	KindInt          // signed integer; Field.Bits gives its size
	KindUint         // unsigned integer; Field.Bits gives its size
	KindFloat        // float32 or float64; Field.Bits gives its size
	KindBool
	KindString
	KindBytes
	KindTime
	KindJSON   // any Go value stored as JSON text (the json option)
	KindCustom // a Scanner/Valuer type with an explicit type= option
)

var kindNames = [...]string{"invalid", "int", "uint", "float", "bool", "string", "bytes", "time", "json", "custom"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Field is one column of a model.
type Field struct {
	Model  *Model
	GoName string       // Go field name
	Path   string       // dotted Go path through embedded structs, e.g. "Base.ID"
	Index  []int        // reflect field index path
	Type   reflect.Type // Go type of the field as declared
	Column string       // column name

	Kind     Kind   // logical storage type
	Bits     int    // size of ints, uints and floats
	SQLType  string // explicit type= option, verbatim; empty means the dialect decides
	Size     int    // size= option, 0 when absent
	Nullable bool
	// Pointer reports a pointer field (*T); NULL is a nil pointer.
	Pointer bool
	// Valuer reports a field type implementing driver.Valuer (sql.Null*,
	// custom types); its bound value is the field itself.
	Valuer bool

	PrimaryKey    bool
	AutoIncrement bool
	Unique        bool
	Version       bool
	JSON          bool
	Default       string // server default SQL, verbatim
	HasDefault    bool
	// ForeignKey is the reference this column makes, nil when none.
	ForeignKey *ColumnRef
	OnDelete   string // referential action, upper case: "CASCADE", "SET NULL", ...
	OnUpdate   string
	// RenamedFrom is the column's former name (renamed_from=), for schema
	// migrations to rename the column instead of dropping and adding it.
	RenamedFrom string
	// Tag is the raw sqlmodel tag text.
	Tag string

	offset uintptr // byte offset from the struct start; valid when direct
	direct bool    // reachable without following a pointer
	noAuto bool    // the noautoincrement option
	pos    int     // position in Model.Fields, set at registration

	// Accessors chosen at registration; each takes the field's address.
	get   func(p unsafe.Pointer) any          // value to bind
	eq    func(a, b unsafe.Pointer) bool      // equality of the field in two structs
	clone func(dst, src unsafe.Pointer)       // deep copy of the field
	set   func(p unsafe.Pointer, v any) error // assignment from a driver value
}

// ColumnRef names a column of a table, as written in fk=TABLE.COLUMN.
type ColumnRef struct {
	Table  string
	Column string
}

func (r ColumnRef) String() string { return r.Table + "." + r.Column }

// FieldPtr returns the address of the field inside the struct that p points to.
// It follows embedded struct pointers, allocating them when alloc is true; it
// returns nil when an embedded pointer is nil and alloc is false.
func (f *Field) FieldPtr(p unsafe.Pointer, alloc bool) unsafe.Pointer {
	if f.direct {
		return unsafe.Add(p, f.offset)
	}
	v := reflect.NewAt(f.Model.Type, p).Elem()
	for i, x := range f.Index {
		if i > 0 {
			if v.Kind() == reflect.Pointer {
				if v.IsNil() {
					if !alloc {
						return nil
					}
					// Set through the address: v may be reached via an
					// unexported embedded field, which reflect will not set.
					reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem().Set(reflect.New(v.Type().Elem()))
				}
				v = v.Elem()
			}
		}
		v = v.Field(x)
	}
	return v.Addr().UnsafePointer()
}

// Value returns the value to bind for this column of the struct p points to:
// nil for NULL, the base value for basic kinds, JSON text for json columns.
func (f *Field) Value(p unsafe.Pointer) (any, error) {
	fp := f.FieldPtr(p, false)
	if fp == nil {
		return nil, nil
	}
	if f.JSON {
		return jsonValue(f.Type, fp)
	}
	return f.get(fp), nil
}

// Set assigns v, a value as a driver returns it (int64, float64, bool,
// []byte, string, time.Time or nil), to this column of the struct p points
// to, converting where the conversion loses nothing. NULL into a column whose
// Go type cannot hold it is an error.
func (f *Field) Set(p unsafe.Pointer, v any) error {
	if err := f.set(f.FieldPtr(p, true), v); err != nil {
		return fmt.Errorf("orm/schema: %s.%s: %w", f.Model.Name, f.Path, err)
	}
	return nil
}

// Scanner returns a reusable sql.Scanner for this column. Bind it to a
// struct before each Scan; one Scanner per column of a result set lets a
// query scan every row without allocating destinations.
func (f *Field) Scanner() *ColumnScanner { return &ColumnScanner{f: f} }

// ColumnScanner is a Scan destination that writes one column into the struct
// it is bound to. It is not safe for concurrent use.
type ColumnScanner struct {
	f *Field
	p unsafe.Pointer
}

// Bind directs the next Scan into the struct p points to.
func (c *ColumnScanner) Bind(p unsafe.Pointer) { c.p = p }

// Scan implements sql.Scanner.
func (c *ColumnScanner) Scan(src any) error { return c.f.Set(c.p, src) }

// Equal reports whether this column holds equal values in the structs a and
// b, comparing pointees of pointers, bytes by content, times with Equal, JSON
// by its encoding and Valuers by their Value.
func (f *Field) Equal(a, b unsafe.Pointer) bool {
	fa, fb := f.FieldPtr(a, false), f.FieldPtr(b, false)
	if fa == nil || fb == nil {
		return fa == fb
	}
	return f.eq(fa, fb)
}

// Copy copies this column from src to dst deeply, so that later changes
// through pointers, byte slices or maps in src do not show in dst.
func (f *Field) Copy(dst, src unsafe.Pointer) {
	fs := f.FieldPtr(src, false)
	if fs == nil {
		if fd := f.FieldPtr(dst, false); fd != nil {
			typedZero(f.Type, fd)
		}
		return
	}
	f.clone(f.FieldPtr(dst, true), fs)
}

// IsZero reports whether the column holds its Go zero value (nil pointer,
// 0, "" ...) in the struct p points to.
func (f *Field) IsZero(p unsafe.Pointer) bool {
	fp := f.FieldPtr(p, false)
	if fp == nil {
		return true
	}
	return reflect.NewAt(f.Type, fp).Elem().IsZero()
}

// SetZero resets the column to its Go zero value in the struct p points to.
func (f *Field) SetZero(p unsafe.Pointer) {
	if fp := f.FieldPtr(p, false); fp != nil {
		typedZero(f.Type, fp)
	}
}

func typedZero(t reflect.Type, p unsafe.Pointer) {
	reflect.NewAt(t, p).Elem().SetZero()
}

var (
	typeTime    = reflect.TypeFor[time.Time]()
	typeBytes   = reflect.TypeFor[[]byte]()
	typeRawJSON = reflect.TypeFor[json.RawMessage]()
	typeValuer  = reflect.TypeFor[driver.Valuer]()
	typeScanner = reflect.TypeFor[sql.Scanner]()
)

// nullTypes maps the sql.Null* types to the kind and bits of their value.
var nullTypes = map[reflect.Type]struct {
	kind Kind
	bits int
}{
	reflect.TypeFor[sql.NullString]():  {KindString, 0},
	reflect.TypeFor[sql.NullInt64]():   {KindInt, 64},
	reflect.TypeFor[sql.NullInt32]():   {KindInt, 32},
	reflect.TypeFor[sql.NullInt16]():   {KindInt, 16},
	reflect.TypeFor[sql.NullByte]():    {KindUint, 8},
	reflect.TypeFor[sql.NullFloat64](): {KindFloat, 64},
	reflect.TypeFor[sql.NullBool]():    {KindBool, 0},
	reflect.TypeFor[sql.NullTime]():    {KindTime, 0},
}

// classify decides the storage kind of a field type. It returns an error
// message (not an error) for unsupported types.
func classify(f *Field) string {
	base := f.Type
	if base.Kind() == reflect.Pointer {
		f.Pointer = true
		f.Nullable = true
		base = base.Elem()
	}
	if msg, done := classifyWrapped(f, base); done {
		return msg
	}
	if msg, done := classifyValuer(f, base); done {
		return msg
	}
	return classifyBasic(f, base)
}

// classifyWrapped classifies the types whose kind is not that of their Go
// kind: json columns, json.RawMessage, sql.Null*, sql.Null[T] and
// time.Time. done is false for any other type.
func classifyWrapped(f *Field, base reflect.Type) (msg string, done bool) {
	t := f.Type
	if f.JSON {
		f.Kind = KindJSON
		switch t.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			f.Nullable = true
		}
		return "", true
	}
	if base == typeRawJSON {
		f.Kind = KindJSON
		f.JSON = true
		f.Nullable = true
		return "", true
	}
	if nt, ok := nullTypes[base]; ok {
		f.Kind, f.Bits, f.Nullable, f.Valuer = nt.kind, nt.bits, true, true
		return "", true
	}
	if base.PkgPath() == "database/sql" && strings.HasPrefix(base.Name(), "Null[") {
		// sql.Null[T]: its V field gives the kind.
		vf, _ := base.FieldByName("V")
		inner := &Field{Type: vf.Type}
		if msg := classify(inner); msg != "" || inner.Pointer {
			return "unsupported type " + t.String(), true
		}
		f.Kind, f.Bits, f.Nullable, f.Valuer = inner.Kind, inner.Bits, true, true
		return "", true
	}
	if base == typeTime {
		f.Kind = KindTime
		return "", true
	}
	return "", false
}

// classifyValuer marks a custom sql.Scanner and driver.Valuer type; with
// type= it is a KindCustom column, otherwise its Go kind decides (done is
// false). A struct implementing only one of the two is an error.
func classifyValuer(f *Field, base reflect.Type) (msg string, done bool) {
	isValuer := base.Implements(typeValuer) || reflect.PointerTo(base).Implements(typeValuer)
	isScanner := reflect.PointerTo(base).Implements(typeScanner)
	if isValuer != isScanner && base.Kind() == reflect.Struct {
		return fmt.Sprintf("type %s implements only one of sql.Scanner and driver.Valuer; it needs both", f.Type), true
	}
	if isValuer && isScanner {
		f.Valuer = true
		if zeroValueIsNull(base) {
			f.Nullable = true
		}
		if f.SQLType != "" {
			f.Kind = KindCustom
			return "", true
		}
	}
	return "", false
}

// classifyBasic gives the kind of a field from the Go kind of its base type.
func classifyBasic(f *Field, base reflect.Type) string {
	t := f.Type
	switch base.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.Kind, f.Bits = KindInt, int(base.Size())*8
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f.Kind, f.Bits = KindUint, int(base.Size())*8
	case reflect.Float32, reflect.Float64:
		f.Kind, f.Bits = KindFloat, int(base.Size())*8
	case reflect.Bool:
		f.Kind = KindBool
	case reflect.String:
		f.Kind = KindString
	case reflect.Slice:
		if base.Elem().Kind() == reflect.Uint8 {
			f.Kind = KindBytes
			f.Nullable = true
			break
		}
		return "unsupported type " + t.String() + ": add the json option to store it as JSON, or - to skip it"
	default:
		if f.Valuer {
			return "type " + t.String() + " is a Scanner/Valuer whose storage type cannot be inferred: add type=SQLTYPE"
		}
		return "unsupported type " + t.String() + ": add the json option to store it as JSON, or - to skip it"
	}
	return ""
}

// zeroValueIsNull reports whether the zero value of a Valuer type t
// produces NULL, which makes its columns nullable by default.
func zeroValueIsNull(t reflect.Type) (null bool) {
	defer func() {
		if recover() != nil {
			null = false
		}
	}()
	var v driver.Valuer
	if t.Implements(typeValuer) {
		v = reflect.Zero(t).Interface().(driver.Valuer)
	} else {
		v = reflect.New(t).Interface().(driver.Valuer)
	}
	val, err := v.Value()
	return err == nil && val == nil
}

// Layout reports the field's byte offset and size inside its struct, and
// whether it is reachable without following a pointer (an embedded *T);
// offset is meaningful only when direct is true.
func (f *Field) Layout() (offset, size uintptr, direct bool) {
	return f.offset, f.Type.Size(), f.direct
}

// ColumnBits is the size an integer or float column is declared with: Bits,
// except that Go's int and uint count as 64 bits on every platform, so that
// the schema CreateAll makes does not depend on the machine it runs on (on
// 32-bit platforms a value that does not fit the field is an error when it
// is read).
func (f *Field) ColumnBits() int {
	t := f.Type
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && ((f.Kind == KindInt && t.Kind() == reflect.Int) || (f.Kind == KindUint && t.Kind() == reflect.Uint)) {
		return 64
	}
	return f.Bits
}

// Int64 reads a plain (non-pointer, non-Valuer) integer column of the
// struct at p without boxing it; ok is false for other columns, for a
// column behind an embedded pointer, and for unsigned values above
// math.MaxInt64.
func (f *Field) Int64(p unsafe.Pointer) (n int64, ok bool) {
	if !f.direct || f.Pointer || f.Valuer || f.JSON {
		return 0, false
	}
	fp := unsafe.Add(p, f.offset)
	switch f.Kind {
	case KindInt:
		switch f.Bits {
		case 8:
			return int64(*(*int8)(fp)), true
		case 16:
			return int64(*(*int16)(fp)), true
		case 32:
			return int64(*(*int32)(fp)), true
		case 64:
			return *(*int64)(fp), true
		}
	case KindUint:
		switch f.Bits {
		case 8:
			return int64(*(*uint8)(fp)), true
		case 16:
			return int64(*(*uint16)(fp)), true
		case 32:
			return int64(*(*uint32)(fp)), true
		case 64:
			u := *(*uint64)(fp)
			return int64(u), u <= 1<<63-1
		}
	}
	return 0, false
}
