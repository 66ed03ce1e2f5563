package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fuzz targets of the tag parser and of registration (issue 8, item 5).
// Seeds live in testdata/fuzz/<target>; run one with
//
//	go test -run '^$' -fuzz '^FuzzParseTag$' -fuzztime 30s ./orm/schema

// FuzzParseTag: parseTag never panics, and what it accepts is a list of
// named options whose text, put back together, is the tag (modulo spaces
// around options, names and values, and the case of names).
func FuzzParseTag(f *testing.F) {
	for _, s := range []string{
		"", "pk", "pk,autoincrement", "column=name", "fk=team.id,ondelete=cascade",
		"default=coalesce(a, 'x,y')", "link=t(a;b,c;d)", "index=ix_a,unique_index", "  PK , Column = x ",
		",", "pk,,x", "=x", "a=(", ")", "'", `"a,b"`, "type=numeric(10,2)", "x=y=z", "\x00", "é=ü",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		opts, err := parseTag(tag)
		if err != nil {
			if opts != nil {
				t.Fatalf("parseTag(%q) returned options %v with error %v", tag, opts, err)
			}
			if err.Error() == "" {
				t.Fatalf("parseTag(%q): empty error message", tag)
			}
			return
		}
		if strings.TrimSpace(tag) == "" {
			if len(opts) != 0 {
				t.Fatalf("parseTag(%q) = %v for a blank tag", tag, opts)
			}
			return
		}
		if len(opts) == 0 {
			t.Fatalf("parseTag(%q) accepted a non-blank tag with no options", tag)
		}
		parts := make([]string, len(opts))
		for i, o := range opts {
			if o.key == "" || o.key != strings.ToLower(o.key) || o.key != strings.TrimSpace(o.key) {
				t.Fatalf("parseTag(%q): option %d has key %q", tag, i, o.key)
			}
			if strings.Contains(o.key, "=") {
				t.Fatalf("parseTag(%q): key %q contains '='", tag, o.key)
			}
			if !o.hasValue && o.value != "" {
				t.Fatalf("parseTag(%q): option %q has a value %q but hasValue is false", tag, o.key, o.value)
			}
			if o.value != strings.TrimSpace(o.value) {
				t.Fatalf("parseTag(%q): value %q is not trimmed", tag, o.value)
			}
			parts[i] = o.key
			if o.hasValue {
				parts[i] += "=" + o.value
			}
		}
		// Same options, modulo spaces and case: the parser neither drops nor
		// invents text.
		squash := func(s string) string {
			return strings.ToLower(strings.Map(func(r rune) rune {
				if strings.ContainsRune(" \t\n\r\v\f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000", r) {
					return -1
				}
				return r
			}, s))
		}
		if got, want := squash(strings.Join(parts, ",")), squash(tag); got != want {
			t.Fatalf("parseTag(%q) = %v, which joins to %q", tag, opts, strings.Join(parts, ","))
		}
		// Parsing the joined options again gives the same options.
		again, err := parseTag(strings.Join(parts, ","))
		if err != nil || !reflect.DeepEqual(again, opts) {
			t.Fatalf("parseTag(%q) = %v; re-parsing %q gives %v, %v", tag, opts, strings.Join(parts, ","), again, err)
		}
	})
}

// FuzzBase is embedded first in the struct types built by FuzzRegisterTag;
// reflect.StructOf promotes its TableName method, which gives the
// generated type a table name.
type FuzzBase struct {
	ID int64 `sqlmodel:"pk"`
}

// TableName names the generated fuzz models' table.
func (FuzzBase) TableName() string { return "fuzz_model" }

// fuzzParent is a table that fk= options in fuzzed tags may reference.
type fuzzParent struct {
	ID   int64  `sqlmodel:"pk"`
	Code string `sqlmodel:"unique"`
}

func (fuzzParent) TableName() string { return "fuzz_parent" }

// fuzzFieldTypes are the Go types the fuzzed fields may have.
var fuzzFieldTypes = []reflect.Type{
	reflect.TypeFor[int64](), reflect.TypeFor[string](), reflect.TypeFor[*string](), reflect.TypeFor[float64](),
	reflect.TypeFor[bool](), reflect.TypeFor[time.Time](), reflect.TypeFor[[]byte](), reflect.TypeFor[int32](),
	reflect.TypeFor[uint64](), reflect.TypeFor[*int64](), reflect.TypeFor[map[string]any](), reflect.TypeFor[json.RawMessage](),
	reflect.TypeFor[[]string](), reflect.TypeFor[chan int](), reflect.TypeFor[int](), reflect.TypeFor[uint8](),
}

// FuzzRegisterTag registers a struct type built at run time with
// reflect.StructOf whose two fields carry fuzzed tags and fuzzed Go types.
// Registration never panics; it either fails with an error matching
// ErrInvalidTag (and publishes nothing) or publishes metadata that is
// consistent.
func FuzzRegisterTag(f *testing.F) {
	for _, c := range []struct {
		a, b   string
		ka, kb uint8
	}{
		{"", "", 0, 1},
		{"column=name,unique", "index", 1, 0},
		{"fk=fuzz_parent.id,ondelete=cascade", "version", 9, 0},
		{"fk=fuzz_parent.code", "size=20,index=ix_x", 1, 1},
		{"json", "default=42", 10, 0},
		{"pk", "pk", 0, 1},
		{"column=id", "", 0, 0},
		{"type=numeric(10,2)", "nullable", 3, 2},
		{"fk=nowhere.id", "unique_index=u1", 0, 1},
		{"version", "version", 0, 14},
		{"column=a b,index=a b", "column=\"x\"", 1, 1},
	} {
		f.Add(c.a, c.b, c.ka, c.kb)
	}
	f.Fuzz(func(t *testing.T, tagA, tagB string, kindA, kindB uint8) {
		typ := reflect.StructOf([]reflect.StructField{
			{Name: "FuzzBase", Type: reflect.TypeFor[FuzzBase](), Anonymous: true},
			{Name: "A", Type: fuzzFieldTypes[int(kindA)%len(fuzzFieldTypes)], Tag: reflect.StructTag("sqlmodel:" + strconv.Quote(tagA))},
			{Name: "B", Type: fuzzFieldTypes[int(kindB)%len(fuzzFieldTypes)], Tag: reflect.StructTag("sqlmodel:" + strconv.Quote(tagB))},
		})
		if got, _ := typ.Field(1).Tag.Lookup("sqlmodel"); got != tagA {
			t.Skip("tag does not survive reflect.StructTag") // cannot happen with strconv.Quote
		}
		r := NewRegistry()
		if _, err := r.Register(&fuzzParent{}); err != nil {
			t.Fatal(err)
		}
		var (
			ms  []*Model
			err error
		)
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("Register panicked on tags %q, %q (%v, %v): %v", tagA, tagB, typ.Field(1).Type, typ.Field(2).Type, p)
				}
			}()
			ms, err = r.Register(typ)
		}()
		if err != nil {
			if !errors.Is(err, ErrInvalidTag) && !errors.Is(err, ErrCircularDependency) {
				t.Fatalf("Register(tags %q, %q) = %v: matches neither ErrInvalidTag nor ErrCircularDependency", tagA, tagB, err)
			}
			if _, ok := r.Lookup(typ); ok {
				t.Fatalf("a failed Register published the model: %v", err)
			}
			if _, ok := r.Table("fuzz_model"); ok {
				t.Fatalf("a failed Register published the table: %v", err)
			}
			return
		}
		if len(ms) != 1 {
			t.Fatalf("Register returned %d models", len(ms))
		}
		if err := fuzzCheckModel(r, ms[0]); err != nil {
			t.Fatalf("tags %q, %q (%v, %v): %v", tagA, tagB, typ.Field(1).Type, typ.Field(2).Type, err)
		}
		if again, err := r.Register(typ); err != nil || again[0] != ms[0] {
			t.Fatalf("second Register = %v, %v; want the cached model", again, err)
		}
	})
}

// fuzzCheckModel checks the invariants of published metadata.
func fuzzCheckModel(r *Registry, m *Model) error {
	if m.Table != "fuzz_model" {
		return fmt.Errorf("table %q", m.Table)
	}
	if got, ok := r.Table(m.Table); !ok || got != m {
		return fmt.Errorf("table %q is not published", m.Table)
	}
	if len(m.Fields) == 0 || len(m.PrimaryKey) == 0 {
		return fmt.Errorf("%d fields, %d key columns", len(m.Fields), len(m.PrimaryKey))
	}
	in := map[*Field]bool{}
	cols := map[string]bool{}
	for _, fl := range m.Fields {
		if fl.Column == "" || strings.ContainsRune(fl.Column, 0) {
			return fmt.Errorf("field %s has the column name %q", fl.Path, fl.Column)
		}
		if cols[fl.Column] {
			return fmt.Errorf("column %q appears twice", fl.Column)
		}
		cols[fl.Column] = true
		in[fl] = true
		if got, ok := m.FieldByColumn(fl.Column); !ok || got != fl {
			return fmt.Errorf("FieldByColumn(%q) does not find field %s", fl.Column, fl.Path)
		}
		if got, ok := m.FieldByName(fl.Path); !ok || got != fl {
			return fmt.Errorf("FieldByName(%q) does not find it", fl.Path)
		}
		if fl.Model != m {
			return fmt.Errorf("field %s belongs to another model", fl.Path)
		}
		if fk := fl.ForeignKey; fk != nil {
			ref, ok := r.Table(fk.Table)
			if !ok {
				return fmt.Errorf("field %s references unknown table %q", fl.Path, fk.Table)
			}
			if _, ok := ref.FieldByColumn(fk.Column); !ok {
				return fmt.Errorf("field %s references unknown column %s", fl.Path, fk)
			}
		}
	}
	for _, pk := range m.PrimaryKey {
		if !in[pk] {
			return fmt.Errorf("key column %q is not a field", pk.Column)
		}
	}
	if a := m.AutoIncrement; a != nil && (len(m.PrimaryKey) != 1 || m.PrimaryKey[0] != a) {
		return fmt.Errorf("autoincrement column %q is not the single key", a.Column)
	}
	if v := m.Version; v != nil && !in[v] {
		return fmt.Errorf("version column %q is not a field", v.Column)
	}
	for _, fk := range m.ForeignKeys {
		if len(fk.Columns) == 0 || len(fk.Columns) != len(fk.RefColumns) || fk.RefModel == nil {
			return fmt.Errorf("foreign key %+v", fk)
		}
		for i, c := range fk.Columns {
			if !cols[c] {
				return fmt.Errorf("foreign key %s names unknown column %q", fk.Name, c)
			}
			if _, ok := fk.RefModel.FieldByColumn(fk.RefColumns[i]); !ok {
				return fmt.Errorf("foreign key %s references unknown column %q", fk.Name, fk.RefColumns[i])
			}
		}
	}
	for _, ix := range m.Indexes {
		if ix.Name == "" || len(ix.Columns) == 0 {
			return fmt.Errorf("index %+v", ix)
		}
		for _, c := range ix.Columns {
			if !cols[c] {
				return fmt.Errorf("index %s names unknown column %q", ix.Name, c)
			}
		}
	}
	return nil
}

// TestRegisterStructOf: a type made by reflect.StructOf registers, with
// the table name promoted from its first embedded field, so the fuzz
// target above reaches valid metadata and not only errors.
func TestRegisterStructOf(t *testing.T) {
	typ := reflect.StructOf([]reflect.StructField{
		{Name: "FuzzBase", Type: reflect.TypeFor[FuzzBase](), Anonymous: true},
		{Name: "A", Type: reflect.TypeFor[string](), Tag: `sqlmodel:"column=a b,index"`},
		{Name: "B", Type: reflect.TypeFor[*int64](), Tag: `sqlmodel:"fk=fuzz_parent.id"`},
	})
	r := NewRegistry()
	if _, err := r.Register(&fuzzParent{}); err != nil {
		t.Fatal(err)
	}
	ms, err := r.Register(typ)
	if err != nil {
		t.Fatal(err)
	}
	if err := fuzzCheckModel(r, ms[0]); err != nil {
		t.Fatal(err)
	}
	if got := ms[0].Columns(); !reflect.DeepEqual(got, []string{"id", "a b", "b"}) {
		t.Fatalf("columns %q", got)
	}
}

type fuzzNULTable struct {
	ID int64 `sqlmodel:"pk"`
}

func (fuzzNULTable) TableName() string { return "a\x00b" }

// TestRegisterRejectsNUL: no database takes a NUL byte in a name (SQLite
// and MySQL end the statement there, PostgreSQL refuses the message), so
// registration refuses one in a table or column name with a clear error.
func TestRegisterRejectsNUL(t *testing.T) {
	col := reflect.StructOf([]reflect.StructField{
		{Name: "FuzzBase", Type: reflect.TypeFor[FuzzBase](), Anonymous: true},
		{Name: "A", Type: reflect.TypeFor[string](), Tag: reflect.StructTag("sqlmodel:" + strconv.Quote("column=x\x00y"))},
	})
	for _, c := range []struct {
		model any
		msg   string
	}{
		{&fuzzNULTable{}, `table name "a\x00b" contains a NUL byte`},
		{col, `column name "x\x00y" contains a NUL byte`},
	} {
		_, err := NewRegistry().Register(c.model)
		var te *TagError
		if !errors.Is(err, ErrInvalidTag) || !errors.As(err, &te) || !strings.Contains(err.Error(), c.msg) {
			t.Fatalf("Register(%T) = %v, want a TagError saying %s", c.model, err, c.msg)
		}
	}
}
