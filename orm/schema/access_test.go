package schema_test

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// BadValuer fails in Value.
type BadValuer struct{ N int }

func (b *BadValuer) Scan(any) error { return nil }

func (b BadValuer) Value() (driver.Value, error) {
	if b.N < 0 {
		return nil, errors.New("negative")
	}
	return int64(b.N), nil
}

type Access struct {
	ID     int64 `sqlmodel:"pk"`
	I      int
	I8     int8
	I16    int16
	I32    int32
	I64    int64
	U      uint
	U8     uint8
	U16    uint16
	U32    uint32
	U64    uint64
	F32    float32
	F64    float64
	B      bool
	S      string
	Bytes  []byte
	T      time.Time
	PI     *int64
	PS     *string
	PT     *time.Time
	PB     *bool
	Color  Color
	Level  Level
	NS     sql.NullString
	NT     sql.NullTime
	NG     sql.Null[int64]
	Money  Money     `sqlmodel:"type=NUMERIC"`
	PMoney *Money    `sqlmodel:"type=NUMERIC"`
	Bad    BadValuer `sqlmodel:"type=INT"`
	Upper  Upper
	Meta   map[string]any `sqlmodel:"json"`
	Addr   Address        `sqlmodel:"json"`
	PAddr  *Address       `sqlmodel:"json"`
	List   []string       `sqlmodel:"json"`
	Raw    json.RawMessage
}

type AccessEmb struct {
	Note  string
	Count int
	When  *time.Time
}

type AccessPtrEmb struct {
	ID int64 `sqlmodel:"pk"`
	*AccessEmb
}

var (
	accessOnce  sync.Once
	accessModel *schema.Model
	accessEmb   *schema.Model
	accessUnexp *schema.Model
)

func accessModels(t testing.TB) (*schema.Model, *schema.Model, *schema.Model) {
	t.Helper()
	accessOnce.Do(func() {
		r := schema.NewRegistry()
		ms, err := r.Register(&Access{}, &AccessPtrEmb{}, &WithEmbeddedPtrUnexported{})
		if err != nil {
			panic(err)
		}
		accessModel, accessEmb, accessUnexp = ms[0], ms[1], ms[2]
	})
	return accessModel, accessEmb, accessUnexp
}

func ap(a *Access) unsafe.Pointer { return unsafe.Pointer(a) }

var (
	t0     = time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	tokyo  = time.FixedZone("JST", 9*3600)
	tLocal = t0.In(tokyo)
)

func TestFieldValue(t *testing.T) {
	m, _, _ := accessModels(t)
	cases := []struct {
		name  string
		field string
		set   func(a *Access)
		want  any
	}{
		{"int", "I", func(a *Access) { a.I = 5 }, int64(5)},
		{"int8", "I8", func(a *Access) { a.I8 = -3 }, int64(-3)},
		{"int16", "I16", func(a *Access) { a.I16 = math.MaxInt16 }, int64(math.MaxInt16)},
		{"int32", "I32", func(a *Access) { a.I32 = math.MinInt32 }, int64(math.MinInt32)},
		{"int64", "I64", func(a *Access) { a.I64 = math.MaxInt64 }, int64(math.MaxInt64)},
		{"uint", "U", func(a *Access) { a.U = 7 }, int64(7)},
		{"uint8", "U8", func(a *Access) { a.U8 = 255 }, int64(255)},
		{"uint16", "U16", func(a *Access) { a.U16 = 65535 }, int64(65535)},
		{"uint32", "U32", func(a *Access) { a.U32 = math.MaxUint32 }, int64(math.MaxUint32)},
		{"uint64 small", "U64", func(a *Access) { a.U64 = 9 }, int64(9)},
		{"uint64 above MaxInt64", "U64", func(a *Access) { a.U64 = math.MaxUint64 }, uint64(math.MaxUint64)},
		{"float32", "F32", func(a *Access) { a.F32 = 1.5 }, float64(1.5)},
		{"float64", "F64", func(a *Access) { a.F64 = -2.25 }, float64(-2.25)},
		{"bool", "B", func(a *Access) { a.B = true }, true},
		{"bool false is written", "B", func(a *Access) {}, false},
		{"int zero is written", "I", func(a *Access) {}, int64(0)},
		{"string", "S", func(a *Access) { a.S = "x" }, "x"},
		{"empty string is written", "S", func(a *Access) {}, ""},
		{"nil bytes are NULL", "Bytes", func(a *Access) {}, nil},
		{"empty bytes are not NULL", "Bytes", func(a *Access) { a.Bytes = []byte{} }, []byte{}},
		{"bytes", "Bytes", func(a *Access) { a.Bytes = []byte("ab") }, []byte("ab")},
		{"time", "T", func(a *Access) { a.T = t0 }, t0},
		{"nil pointer", "PI", func(a *Access) {}, nil},
		{"pointer", "PI", func(a *Access) { a.PI = ptr(int64(7)) }, int64(7)},
		{"pointer to zero", "PI", func(a *Access) { a.PI = ptr(int64(0)) }, int64(0)},
		{"pointer to string", "PS", func(a *Access) { a.PS = ptr("s") }, "s"},
		{"nil pointer to time", "PT", func(a *Access) {}, nil},
		{"pointer to time", "PT", func(a *Access) { a.PT = &t0 }, t0},
		{"pointer to bool", "PB", func(a *Access) { a.PB = ptr(false) }, false},
		{"named string", "Color", func(a *Access) { a.Color = "red" }, "red"},
		{"named int", "Level", func(a *Access) { a.Level = 3 }, int64(3)},
		{"NullString invalid", "NS", func(a *Access) { a.NS = sql.NullString{String: "ignored"} }, nil},
		{"NullString valid", "NS", func(a *Access) { a.NS = sql.NullString{String: "x", Valid: true} }, "x"},
		{"NullTime valid", "NT", func(a *Access) { a.NT = sql.NullTime{Time: t0, Valid: true} }, t0},
		{"Null[int64] valid", "NG", func(a *Access) { a.NG = sql.Null[int64]{V: 4, Valid: true} }, int64(4)},
		{"Null[int64] invalid", "NG", func(a *Access) { a.NG = sql.Null[int64]{V: 4} }, nil},
		{"custom Valuer", "Money", func(a *Access) { a.Money = Money{Cents: 1250} }, int64(1250)},
		{"nil pointer to custom Valuer", "PMoney", func(a *Access) {}, nil},
		{"pointer to custom Valuer", "PMoney", func(a *Access) { a.PMoney = &Money{Cents: 3} }, int64(3)},
		{"named string Valuer", "Upper", func(a *Access) { a.Upper = "ABC" }, "abc"},
		{"json nil map is NULL", "Meta", func(a *Access) {}, nil},
		{"json empty map", "Meta", func(a *Access) { a.Meta = map[string]any{} }, "{}"},
		{"json map", "Meta", func(a *Access) { a.Meta = map[string]any{"b": 2, "a": "x"} }, `{"a":"x","b":2}`},
		{"json struct", "Addr", func(a *Access) { a.Addr = Address{Street: "Main"} }, `{"Street":"Main"}`},
		{"json zero struct", "Addr", func(a *Access) {}, `{"Street":""}`},
		{"json nil pointer", "PAddr", func(a *Access) {}, nil},
		{"json pointer", "PAddr", func(a *Access) { a.PAddr = &Address{Street: "x"} }, `{"Street":"x"}`},
		{"json nil slice", "List", func(a *Access) {}, nil},
		{"json slice", "List", func(a *Access) { a.List = []string{"a"} }, `["a"]`},
		{"RawMessage nil", "Raw", func(a *Access) {}, nil},
		{"RawMessage verbatim", "Raw", func(a *Access) { a.Raw = json.RawMessage(`{ "k" : 1 }`) }, `{ "k" : 1 }`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := field(t, m, tc.field)
			var a Access
			tc.set(&a)
			got, err := f.Value(ap(&a))
			if err != nil {
				t.Fatalf("Value: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Value = %#v (%T), want %#v (%T)", got, got, tc.want, tc.want)
			}
			if (got == nil) != (tc.want == nil) {
				t.Errorf("NULL-ness: got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestFieldValueErrors(t *testing.T) {
	m, _, _ := accessModels(t)
	t.Run("json that cannot be encoded", func(t *testing.T) {
		a := Access{Meta: map[string]any{"c": make(chan int)}}
		if _, err := field(t, m, "Meta").Value(ap(&a)); err == nil {
			t.Error("Value of an unencodable json column did not fail")
		}
	})
	t.Run("Valuer whose Value fails is deferred to the driver", func(t *testing.T) {
		a := Access{Bad: BadValuer{N: -1}}
		v, err := field(t, m, "Bad").Value(ap(&a))
		if err != nil {
			t.Fatalf("Value: %v", err)
		}
		dv, ok := v.(driver.Valuer)
		if !ok {
			t.Fatalf("Value = %#v, want a driver.Valuer carrying the error", v)
		}
		if _, err := dv.Value(); err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("carried error = %v", err)
		}
	})
	t.Run("Valuer value is taken at bind time", func(t *testing.T) {
		a := Access{Money: Money{Cents: 1}}
		v, _ := field(t, m, "Money").Value(ap(&a))
		a.Money.Cents = 2
		if v != int64(1) {
			t.Errorf("Value = %#v, want the value at call time", v)
		}
	})
}

// fieldOf reads a field of a by Go name.
func fieldOf(a *Access, name string) any {
	return reflect.ValueOf(a).Elem().FieldByName(name).Interface()
}

func TestFieldSet(t *testing.T) {
	m, _, _ := accessModels(t)
	cases := []struct {
		name  string
		field string
		in    any
		want  any    // the Go field value afterwards
		err   string // part of the error; empty for success
	}{
		{"int64 into int", "I", int64(42), 42, ""},
		{"[]byte into int", "I", []byte("42"), 42, ""},
		{"string into int", "I", "-17", -17, ""},
		{"integral float into int", "I", float64(3), 3, ""},
		{"fractional float into int", "I", float64(3.5), nil, "not an integer"},
		{"bool into int", "I", true, 1, ""},
		{"garbage text into int", "I", []byte("4x"), nil, "invalid syntax"},
		{"time into int", "I", t0, nil, "cannot store time.Time in int" + strconv.Itoa(strconv.IntSize)},
		{"NULL into int", "I", nil, nil, "NULL"},
		{"int64 into int8", "I8", int64(-128), int8(-128), ""},
		{"int64 overflowing int8", "I8", int64(300), nil, "overflows int8"},
		{"int64 underflowing int8", "I8", int64(-129), nil, "overflows int8"},
		{"[]byte overflowing int8", "I8", []byte("128"), nil, "out of range"},
		{"int64 overflowing int16", "I16", int64(40000), nil, "overflows int16"},
		{"int64 overflowing int32", "I32", int64(math.MaxInt32 + 1), nil, "overflows int32"},
		{"uint64 overflowing int64", "I64", uint64(math.MaxUint64), nil, "overflows int64"},
		{"int64 into int64", "I64", int64(math.MinInt64), int64(math.MinInt64), ""},
		{"int64 into uint8", "U8", int64(255), uint8(255), ""},
		{"int64 overflowing uint8", "U8", int64(256), nil, "overflows uint8"},
		{"negative into uint", "U", int64(-1), nil, "overflows uint" + strconv.Itoa(strconv.IntSize)},
		{"negative into uint16", "U16", int64(-1), nil, "overflows uint16"},
		{"uint64 into uint64", "U64", uint64(math.MaxUint64), uint64(math.MaxUint64), ""},
		{"[]byte into uint32", "U32", []byte("4294967295"), uint32(math.MaxUint32), ""},
		{"float into float32", "F32", float64(1.25), float32(1.25), ""},
		{"int64 into float64", "F64", int64(2), float64(2), ""},
		{"[]byte into float64", "F64", []byte("1.5"), float64(1.5), ""},
		{"bool into float64", "F64", true, nil, "cannot store bool in a float"},
		{"int64 1 into bool", "B", int64(1), true, ""},
		{"int64 0 into bool", "B", int64(0), false, ""},
		{"[]byte into bool", "B", []byte("1"), true, ""},
		{"string into bool", "B", "true", true, ""},
		{"bad string into bool", "B", "maybe", nil, "invalid syntax"},
		{"NULL into bool", "B", nil, nil, "NULL"},
		{"[]byte into string", "S", []byte("abc"), "abc", ""},
		{"int64 into string", "S", int64(5), "5", ""},
		{"float into string", "S", 1.5, "1.5", ""},
		{"bool into string", "S", true, "true", ""},
		{"time into string", "S", t0, t0.Format(time.RFC3339Nano), ""},
		{"NULL into string", "S", nil, nil, "NULL"},
		{"string into []byte", "Bytes", "str", []byte("str"), ""},
		{"[]byte into []byte", "Bytes", []byte("raw"), []byte("raw"), ""},
		{"NULL into []byte", "Bytes", nil, []byte(nil), ""},
		{"int64 into []byte", "Bytes", int64(1), nil, "cannot store int64"},
		{"time into time", "T", tLocal, tLocal, ""},
		{"space layout", "T", "2024-01-02 03:04:05", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), ""},
		{"space layout with fraction and zone", "T", "2024-01-02 03:04:05.123456789+00:00", t0, ""},
		{"RFC 3339", "T", "2024-01-02T03:04:05Z", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), ""},
		{"RFC 3339 with offset", "T", []byte("2024-01-02T12:04:05.123456789+09:00"), tLocal, ""},
		{"T without zone", "T", "2024-01-02T03:04:05", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), ""},
		{"minutes only", "T", "2024-01-02 03:04", time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC), ""},
		{"date only", "T", []byte("2024-01-02"), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), ""},
		{"unix seconds", "T", int64(1704164645), time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), ""},
		{"unparsable time", "T", "yesterday", nil, `cannot parse "yesterday"`},
		{"bool into time", "T", true, nil, "cannot store bool in time.Time"},
		{"NULL into time", "T", nil, nil, "NULL"},
		{"NULL into pointer", "PI", nil, (*int64)(nil), ""},
		{"int64 into pointer", "PI", int64(5), ptr(int64(5)), ""},
		{"[]byte into pointer", "PI", []byte("6"), ptr(int64(6)), ""},
		{"bad value into pointer", "PI", "x", nil, "invalid syntax"},
		{"string into *string", "PS", "s", ptr("s"), ""},
		{"time into *time", "PT", t0, &t0, ""},
		{"int64 into *bool", "PB", int64(0), ptr(false), ""},
		{"string into named string", "Color", "red", Color("red"), ""},
		{"int64 into named int", "Level", int64(3), Level(3), ""},
		{"overflow of named int16", "Level", int64(1 << 20), nil, "overflows int16"},
		{"NULL into NullString", "NS", nil, sql.NullString{}, ""},
		{"string into NullString", "NS", "x", sql.NullString{String: "x", Valid: true}, ""},
		{"[]byte into NullString", "NS", []byte("y"), sql.NullString{String: "y", Valid: true}, ""},
		{"time into NullTime", "NT", t0, sql.NullTime{Time: t0, Valid: true}, ""},
		{"int64 into Null[int64]", "NG", int64(9), sql.Null[int64]{V: 9, Valid: true}, ""},
		{"NULL into Null[int64]", "NG", nil, sql.Null[int64]{}, ""},
		{"Scanner", "Money", int64(99), Money{Cents: 99}, ""},
		{"Scanner error", "Money", "x", nil, "Money: cannot scan string"},
		{"NULL into pointer to Scanner", "PMoney", nil, (*Money)(nil), ""},
		{"value into pointer to Scanner", "PMoney", int64(4), &Money{Cents: 4}, ""},
		{"named string Scanner", "Upper", "abc", Upper("ABC"), ""},
		{"json text into map", "Meta", []byte(`{"a":1}`), map[string]any{"a": float64(1)}, ""},
		{"json string into map", "Meta", `{"b":"c"}`, map[string]any{"b": "c"}, ""},
		{"NULL into json map", "Meta", nil, map[string]any(nil), ""},
		{"decoded value into json map", "Meta", map[string]any{"d": true}, map[string]any{"d": true}, ""},
		{"bad json", "Meta", "not json", nil, "invalid character"},
		{"json struct", "Addr", `{"Street":"Main"}`, Address{Street: "Main"}, ""},
		{"json pointer", "PAddr", `{"Street":"P"}`, &Address{Street: "P"}, ""},
		{"NULL into json pointer", "PAddr", nil, (*Address)(nil), ""},
		{"json slice", "List", []byte(`["a","b"]`), []string{"a", "b"}, ""},
		{"RawMessage", "Raw", []byte(`{"x":1}`), json.RawMessage(`{"x":1}`), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := field(t, m, tc.field)
			// Start from a non-zero value so that a failed Set is seen
			// to leave the field alone and NULL is seen to clear it.
			var a Access
			seed(&a)
			before := fieldOf(&a, tc.field)
			err := f.Set(ap(&a), tc.in)
			got := fieldOf(&a, tc.field)
			if tc.err != "" {
				if err == nil {
					t.Fatalf("Set(%#v) succeeded with %#v, want an error containing %q", tc.in, got, tc.err)
				}
				mustContain(t, err.Error(), tc.err, "schema_test.Access."+tc.field)
				if !reflect.DeepEqual(got, before) {
					t.Errorf("a failed Set changed the field from %#v to %#v", before, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Set(%#v): %v", tc.in, err)
			}
			if want, ok := tc.want.(time.Time); ok {
				gt := got.(time.Time)
				if !gt.Equal(want) {
					t.Errorf("got %v, want %v", gt, want)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("field = %#v, want %#v", got, tc.want)
			}
		})
	}
}

// isNil reports a nil pointer, slice or map.
func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		return rv.IsNil()
	}
	return false
}

// seed fills every field of a with a non-zero value.
func seed(a *Access) {
	*a = Access{
		ID: 1, I: 11, I8: 8, I16: 16, I32: 32, I64: 64, U: 1, U8: 8, U16: 16, U32: 32, U64: 64, F32: 3.5, F64: 6.5,
		B: true, S: "seed", Bytes: []byte("seed"), T: t0, PI: ptr(int64(1)), PS: ptr("p"), PT: ptr(t0), PB: ptr(true),
		Color: "blue", Level: 2, NS: sql.NullString{String: "n", Valid: true}, NT: sql.NullTime{Time: t0, Valid: true},
		NG: sql.Null[int64]{V: 1, Valid: true}, Money: Money{Cents: 5}, PMoney: &Money{Cents: 6}, Bad: BadValuer{N: 1},
		Upper: "UP", Meta: map[string]any{"seed": true}, Addr: Address{Street: "s"}, PAddr: &Address{Street: "p"},
		List: []string{"s"}, Raw: json.RawMessage(`1`),
	}
}

func TestFieldSetBytesCopiesDriverBuffer(t *testing.T) {
	m, _, _ := accessModels(t)
	buf := []byte("abc")
	var a Access
	if err := field(t, m, "Bytes").Set(ap(&a), buf); err != nil {
		t.Fatal(err)
	}
	buf[0] = 'z'
	if string(a.Bytes) != "abc" {
		t.Errorf("Bytes = %q: Set kept the driver's buffer", a.Bytes)
	}
	buf = []byte(`{"a":"b"}`)
	if err := field(t, m, "Meta").Set(ap(&a), buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, `{"a":"X"}`)
	if a.Meta["a"] != "b" {
		t.Errorf("Meta = %v: Set kept the driver's buffer", a.Meta)
	}
}

// A nil []byte from a driver is an empty value, not NULL: modernc.org/sqlite
// gives an empty BLOB as one (NULL is a nil value).
func TestFieldSetNilBytesIsEmpty(t *testing.T) {
	m, _, _ := accessModels(t)
	a := Access{Bytes: []byte("old")}
	if err := field(t, m, "Bytes").Set(ap(&a), []byte(nil)); err != nil {
		t.Fatal(err)
	}
	if a.Bytes == nil || len(a.Bytes) != 0 {
		t.Errorf("Bytes = %#v, want []byte{}", a.Bytes)
	}
	if err := field(t, m, "Bytes").Set(ap(&a), nil); err != nil || a.Bytes != nil {
		t.Errorf("Set(nil): Bytes = %#v, %v; want nil (NULL)", a.Bytes, err)
	}
}

func TestFieldEqual(t *testing.T) {
	m, _, _ := accessModels(t)
	nan := math.NaN()
	now := time.Now() // carries a monotonic reading; Round(0) strips it
	cases := []struct {
		name  string
		field string
		a, b  func(*Access)
		want  bool
	}{
		{"int equal", "I", func(a *Access) { a.I = 1 }, func(b *Access) { b.I = 1 }, true},
		{"int different", "I", func(a *Access) { a.I = 1 }, func(b *Access) { b.I = 2 }, false},
		{"int8 different", "I8", func(a *Access) { a.I8 = 1 }, func(b *Access) { b.I8 = -1 }, false},
		{"uint64 different", "U64", func(a *Access) { a.U64 = math.MaxUint64 }, func(b *Access) { b.U64 = 0 }, false},
		{"float64 NaN equals NaN", "F64", func(a *Access) { a.F64 = nan }, func(b *Access) { b.F64 = nan }, true},
		{"float32 NaN equals NaN", "F32", func(a *Access) { a.F32 = float32(nan) }, func(b *Access) { b.F32 = float32(nan) }, true},
		{"float NaN differs from 0", "F64", func(a *Access) { a.F64 = nan }, func(b *Access) {}, false},
		{"float different", "F64", func(a *Access) { a.F64 = 1 }, func(b *Access) { b.F64 = 1.0000001 }, false},
		{"bool different", "B", func(a *Access) { a.B = true }, func(b *Access) {}, false},
		{"string equal", "S", func(a *Access) { a.S = "x" }, func(b *Access) { b.S = "x" }, true},
		{"string different", "S", func(a *Access) { a.S = "x" }, func(b *Access) { b.S = "X" }, false},
		{"bytes nil and nil", "Bytes", func(a *Access) {}, func(b *Access) {}, true},
		{"bytes nil and empty", "Bytes", func(a *Access) {}, func(b *Access) { b.Bytes = []byte{} }, false},
		{"bytes equal content", "Bytes", func(a *Access) { a.Bytes = []byte("ab") }, func(b *Access) { b.Bytes = []byte("ab") }, true},
		{"bytes different content", "Bytes", func(a *Access) { a.Bytes = []byte("ab") }, func(b *Access) { b.Bytes = []byte("ac") }, false},
		{"time same instant in two zones", "T", func(a *Access) { a.T = t0 }, func(b *Access) { b.T = tLocal }, true},
		{"time different instant", "T", func(a *Access) { a.T = t0 }, func(b *Access) { b.T = t0.Add(time.Nanosecond) }, false},
		{"time monotonic reading ignored", "T", func(a *Access) { a.T = now }, func(b *Access) { b.T = now.Round(0) }, true},
		{"pointer nil and nil", "PI", func(a *Access) {}, func(b *Access) {}, true},
		{"pointer nil and zero", "PI", func(a *Access) {}, func(b *Access) { b.PI = ptr(int64(0)) }, false},
		{"pointer zero and nil", "PI", func(a *Access) { a.PI = ptr(int64(0)) }, func(b *Access) {}, false},
		{"pointers to equal values", "PI", func(a *Access) { a.PI = ptr(int64(5)) }, func(b *Access) { b.PI = ptr(int64(5)) }, true},
		{"pointers to different values", "PI", func(a *Access) { a.PI = ptr(int64(5)) }, func(b *Access) { b.PI = ptr(int64(6)) }, false},
		{"pointers to times in two zones", "PT", func(a *Access) { a.PT = ptr(t0) }, func(b *Access) { b.PT = ptr(tLocal) }, true},
		{"named string", "Color", func(a *Access) { a.Color = "red" }, func(b *Access) { b.Color = "blue" }, false},
		{"NullString both NULL, different payload", "NS", func(a *Access) { a.NS.String = "x" }, func(b *Access) { b.NS.String = "y" }, true},
		{"NullString NULL and empty", "NS", func(a *Access) {}, func(b *Access) { b.NS.Valid = true }, false},
		{"NullString equal", "NS", func(a *Access) { a.NS = sql.NullString{String: "x", Valid: true} }, func(b *Access) { b.NS = sql.NullString{String: "x", Valid: true} }, true},
		{"NullTime two zones", "NT", func(a *Access) { a.NT = sql.NullTime{Time: t0, Valid: true} }, func(b *Access) { b.NT = sql.NullTime{Time: tLocal, Valid: true} }, true},
		{"custom Valuer equal", "Money", func(a *Access) { a.Money.Cents = 1 }, func(b *Access) { b.Money.Cents = 1 }, true},
		{"custom Valuer different", "Money", func(a *Access) { a.Money.Cents = 1 }, func(b *Access) { b.Money.Cents = 2 }, false},
		{"Valuer compared by Value", "Upper", func(a *Access) { a.Upper = "ABC" }, func(b *Access) { b.Upper = "abc" }, true},
		{"failing Valuer is never equal", "Bad", func(a *Access) { a.Bad.N = -1 }, func(b *Access) { b.Bad.N = -1 }, false},
		{"pointer Valuer nil and set", "PMoney", func(a *Access) {}, func(b *Access) { b.PMoney = &Money{} }, false},
		{"json maps equal", "Meta", func(a *Access) { a.Meta = map[string]any{"a": 1, "b": 2} }, func(b *Access) { b.Meta = map[string]any{"b": 2, "a": 1} }, true},
		{"json maps different", "Meta", func(a *Access) { a.Meta = map[string]any{"a": 1} }, func(b *Access) { b.Meta = map[string]any{"a": 2} }, false},
		{"json nil map and empty map", "Meta", func(a *Access) {}, func(b *Access) { b.Meta = map[string]any{} }, false},
		{"json structs", "Addr", func(a *Access) { a.Addr.Street = "x" }, func(b *Access) { b.Addr.Street = "x" }, true},
		{"json pointer nil and set", "PAddr", func(a *Access) {}, func(b *Access) { b.PAddr = &Address{} }, false},
		{"json unencodable never equal", "Meta", func(a *Access) { a.Meta = map[string]any{"c": make(chan int)} }, func(b *Access) { b.Meta = map[string]any{"c": make(chan int)} }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := field(t, m, tc.field)
			var a, b Access
			tc.a(&a)
			tc.b(&b)
			if got := f.Equal(ap(&a), ap(&b)); got != tc.want {
				t.Errorf("Equal(a, b) = %v, want %v", got, tc.want)
			}
			if got := f.Equal(ap(&b), ap(&a)); got != tc.want {
				t.Errorf("Equal(b, a) = %v, want %v (not symmetric)", got, tc.want)
			}
		})
	}
}

func TestFieldCopy(t *testing.T) {
	m, _, _ := accessModels(t)
	cases := []struct {
		name   string
		field  string
		src    func(*Access)
		mutate func(*Access) // changes src after the copy, in place
	}{
		{"int", "I", func(a *Access) { a.I = 3 }, func(a *Access) { a.I = 4 }},
		{"string", "S", func(a *Access) { a.S = "x" }, func(a *Access) { a.S = "y" }},
		{"time", "T", func(a *Access) { a.T = t0 }, func(a *Access) { a.T = a.T.Add(time.Hour) }},
		{"pointer", "PI", func(a *Access) { a.PI = ptr(int64(5)) }, func(a *Access) { *a.PI = 6 }},
		{"nil pointer", "PI", func(a *Access) {}, func(a *Access) { a.PI = ptr(int64(1)) }},
		{"pointer to string", "PS", func(a *Access) { a.PS = ptr("a") }, func(a *Access) { *a.PS = "b" }},
		{"pointer to time", "PT", func(a *Access) { a.PT = ptr(t0) }, func(a *Access) { *a.PT = a.PT.Add(time.Second) }},
		{"bytes", "Bytes", func(a *Access) { a.Bytes = []byte("abc") }, func(a *Access) { a.Bytes[0] = 'z' }},
		{"bytes appended", "Bytes", func(a *Access) { a.Bytes = make([]byte, 1, 10) }, func(a *Access) { a.Bytes = append(a.Bytes, 'x') }},
		{"nil bytes", "Bytes", func(a *Access) {}, func(a *Access) { a.Bytes = []byte{} }},
		{"empty bytes", "Bytes", func(a *Access) { a.Bytes = []byte{} }, func(a *Access) { a.Bytes = nil }},
		{"NullString", "NS", func(a *Access) { a.NS = sql.NullString{String: "x", Valid: true} }, func(a *Access) { a.NS.String = "y" }},
		{"custom Valuer", "Money", func(a *Access) { a.Money.Cents = 7 }, func(a *Access) { a.Money.Cents = 8 }},
		{"pointer to custom Valuer", "PMoney", func(a *Access) { a.PMoney = &Money{Cents: 7} }, func(a *Access) { a.PMoney.Cents = 8 }},
		{"json map", "Meta", func(a *Access) { a.Meta = map[string]any{"a": "b"} }, func(a *Access) { a.Meta["a"] = "c" }},
		{"json map added key", "Meta", func(a *Access) { a.Meta = map[string]any{"a": "b"} }, func(a *Access) { a.Meta["z"] = 1 }},
		{"json nil map", "Meta", func(a *Access) {}, func(a *Access) { a.Meta = map[string]any{} }},
		{"json pointer", "PAddr", func(a *Access) { a.PAddr = &Address{Street: "x"} }, func(a *Access) { a.PAddr.Street = "y" }},
		{"json slice", "List", func(a *Access) { a.List = []string{"a"} }, func(a *Access) { a.List[0] = "b" }},
		{"RawMessage", "Raw", func(a *Access) { a.Raw = json.RawMessage(`[1]`) }, func(a *Access) { a.Raw[1] = '2' }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := field(t, m, tc.field)
			var src, dst Access
			seed(&dst) // Copy overwrites whatever dst held
			tc.src(&src)
			f.Copy(ap(&dst), ap(&src))
			if !f.Equal(ap(&dst), ap(&src)) {
				t.Fatalf("after Copy, dst %#v != src %#v", fieldOf(&dst, tc.field), fieldOf(&src, tc.field))
			}
			want, _ := f.Value(ap(&src))
			if got, _ := f.Value(ap(&dst)); !reflect.DeepEqual(got, want) {
				t.Errorf("after Copy, Value(dst) = %#v, want %#v", got, want)
			}
			if isNil(fieldOf(&dst, tc.field)) != isNil(fieldOf(&src, tc.field)) {
				t.Errorf("Copy changed nil-ness: src %#v, dst %#v", fieldOf(&src, tc.field), fieldOf(&dst, tc.field))
			}
			snapValue, _ := f.Value(ap(&dst))
			tc.mutate(&src)
			if f.Equal(ap(&dst), ap(&src)) {
				t.Errorf("changing src after Copy is not seen as a difference")
			}
			if got, _ := f.Value(ap(&dst)); !reflect.DeepEqual(got, snapValue) {
				t.Errorf("changing src after Copy changed dst: %#v, was %#v", got, snapValue)
			}
		})
	}
	t.Run("pointer copy does not alias", func(t *testing.T) {
		f := field(t, m, "PI")
		src := Access{PI: ptr(int64(1))}
		var dst Access
		f.Copy(ap(&dst), ap(&src))
		if dst.PI == src.PI {
			t.Error("Copy shared the pointer")
		}
	})
}

func TestFieldIsZeroAndSetZero(t *testing.T) {
	m, _, _ := accessModels(t)
	var zero Access
	for _, f := range m.Fields {
		t.Run(f.Path, func(t *testing.T) {
			if !f.IsZero(ap(&zero)) {
				t.Errorf("IsZero on a zero struct = false")
			}
			var a Access
			seed(&a)
			if f.IsZero(ap(&a)) {
				t.Fatalf("IsZero on a seeded value = true (%#v)", fieldOf(&a, f.Path))
			}
			f.SetZero(ap(&a))
			if !f.IsZero(ap(&a)) {
				t.Errorf("IsZero after SetZero = false (%#v)", fieldOf(&a, f.Path))
			}
			if !f.Equal(ap(&a), ap(&zero)) {
				t.Errorf("after SetZero the field differs from the zero struct's")
			}
			if f.Path != "I" && a.I != 11 {
				t.Errorf("SetZero of %s changed I", f.Path)
			}
		})
	}
	t.Run("pointer to zero is not zero", func(t *testing.T) {
		a := Access{PI: ptr(int64(0))}
		if field(t, m, "PI").IsZero(ap(&a)) {
			t.Error("a non-nil pointer to 0 reports IsZero")
		}
	})
	t.Run("empty bytes are not zero", func(t *testing.T) {
		a := Access{Bytes: []byte{}}
		if field(t, m, "Bytes").IsZero(ap(&a)) {
			t.Error("empty non-nil []byte reports IsZero")
		}
	})
}

func TestFieldEmbeddedPointer(t *testing.T) {
	_, m, unexp := accessModels(t)
	note := field(t, m, "Note")
	when := field(t, m, "When")
	id := field(t, m, "ID")
	eq(t, "Note.Path", note.Path, "AccessEmb.Note")
	t.Run("nil embedded pointer reads as NULL", func(t *testing.T) {
		var a AccessPtrEmb
		for _, f := range []*schema.Field{note, when, field(t, m, "Count")} {
			v, err := f.Value(unsafe.Pointer(&a))
			if err != nil || v != nil {
				t.Errorf("%s.Value = %#v, %v; want nil", f.Path, v, err)
			}
			if !f.IsZero(unsafe.Pointer(&a)) {
				t.Errorf("%s.IsZero = false", f.Path)
			}
			if p := f.FieldPtr(unsafe.Pointer(&a), false); p != nil {
				t.Errorf("%s.FieldPtr(alloc=false) = %v", f.Path, p)
			}
		}
		if a.AccessEmb != nil {
			t.Error("reading allocated the embedded struct")
		}
		v, _ := id.Value(unsafe.Pointer(&a))
		eq(t, "ID value", v, any(int64(0)))
	})
	t.Run("Set allocates", func(t *testing.T) {
		var a AccessPtrEmb
		if err := note.Set(unsafe.Pointer(&a), "hi"); err != nil {
			t.Fatal(err)
		}
		if a.AccessEmb == nil || a.Note != "hi" {
			t.Fatalf("after Set: %+v", a.AccessEmb)
		}
		v, _ := note.Value(unsafe.Pointer(&a))
		eq(t, "Value", v, any("hi"))
	})
	t.Run("SetZero leaves a nil embedded pointer nil", func(t *testing.T) {
		var a AccessPtrEmb
		note.SetZero(unsafe.Pointer(&a))
		if a.AccessEmb != nil {
			t.Error("SetZero allocated")
		}
	})
	t.Run("Equal", func(t *testing.T) {
		var x, y AccessPtrEmb
		if !note.Equal(unsafe.Pointer(&x), unsafe.Pointer(&y)) {
			t.Error("two nil embedded pointers differ")
		}
		y.AccessEmb = &AccessEmb{}
		if note.Equal(unsafe.Pointer(&x), unsafe.Pointer(&y)) {
			t.Error("nil embedded pointer equals an allocated one")
		}
		x.AccessEmb = &AccessEmb{Note: "a"}
		y.Note = "a"
		if !note.Equal(unsafe.Pointer(&x), unsafe.Pointer(&y)) {
			t.Error("equal values through embedded pointers differ")
		}
	})
	t.Run("Copy", func(t *testing.T) {
		src := AccessPtrEmb{AccessEmb: &AccessEmb{Note: "n", When: ptr(t0)}}
		var dst AccessPtrEmb
		note.Copy(unsafe.Pointer(&dst), unsafe.Pointer(&src))
		when.Copy(unsafe.Pointer(&dst), unsafe.Pointer(&src))
		if dst.AccessEmb == nil || dst.AccessEmb == src.AccessEmb || dst.Note != "n" || dst.When == src.When || !dst.When.Equal(t0) {
			t.Fatalf("Copy into a nil embedded pointer: %+v", dst.AccessEmb)
		}
		var nilSrc AccessPtrEmb
		note.Copy(unsafe.Pointer(&dst), unsafe.Pointer(&nilSrc))
		if dst.Note != "" {
			t.Errorf("Copy from a nil embedded pointer left %q", dst.Note)
		}
	})
	t.Run("unexported embedded pointer", func(t *testing.T) {
		f := field(t, unexp, "UpdatedBy")
		var w WithEmbeddedPtrUnexported
		v, err := f.Value(unsafe.Pointer(&w))
		if err != nil || v != nil {
			t.Errorf("Value through nil unexported embedded pointer = %#v, %v", v, err)
		}
		if err := f.Set(unsafe.Pointer(&w), "bob"); err != nil {
			t.Fatal(err)
		}
		if w.auditInfo == nil || w.UpdatedBy != "bob" {
			t.Fatalf("Set did not allocate the unexported embedded struct: %+v", w.auditInfo)
		}
		v, _ = f.Value(unsafe.Pointer(&w))
		eq(t, "Value", v, any("bob"))
		var dst WithEmbeddedPtrUnexported
		f.Copy(unsafe.Pointer(&dst), unsafe.Pointer(&w))
		if dst.auditInfo == nil || dst.UpdatedBy != "bob" {
			t.Error("Copy did not allocate the unexported embedded struct")
		}
	})
}

func TestColumnScanner(t *testing.T) {
	m, _, _ := accessModels(t)
	cols := []string{"i64", "s", "pi", "bytes"}
	scanners := make([]*schema.ColumnScanner, len(cols))
	dest := make([]any, len(cols))
	for i, c := range cols {
		f, ok := m.FieldByColumn(c)
		if !ok {
			t.Fatalf("no column %s", c)
		}
		scanners[i] = f.Scanner()
		dest[i] = scanners[i]
		var _ sql.Scanner = scanners[i]
	}
	rows := [][]any{
		{int64(1), []byte("one"), nil, []byte{1}},
		{int64(2), "two", int64(22), nil},
	}
	out := make([]Access, len(rows))
	for r, row := range rows {
		for _, s := range scanners {
			s.Bind(ap(&out[r]))
		}
		for i, v := range row {
			if err := dest[i].(sql.Scanner).Scan(v); err != nil {
				t.Fatalf("row %d col %s: %v", r, cols[i], err)
			}
		}
	}
	eq(t, "row 0", []any{out[0].I64, out[0].S, out[0].PI, out[0].Bytes}, []any{int64(1), "one", (*int64)(nil), []byte{1}})
	eq(t, "row 1", []any{out[1].I64, out[1].S, out[1].PI, out[1].Bytes}, []any{int64(2), "two", ptr(int64(22)), []byte(nil)})
	t.Run("error", func(t *testing.T) {
		f, _ := m.FieldByColumn("i8")
		s := f.Scanner()
		var a Access
		s.Bind(ap(&a))
		err := s.Scan(int64(1000))
		if err == nil {
			t.Fatal("Scan of an overflowing value succeeded")
		}
		mustContain(t, err.Error(), "overflows int8", "Access.I8")
	})
}

func BenchmarkFieldValueInt64(b *testing.B) {
	m, _, _ := accessModels(b)
	f := field(b, m, "I64")
	a := Access{I64: 1 << 40}
	p := ap(&a)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.Value(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFieldEqualString(b *testing.B) {
	m, _, _ := accessModels(b)
	f := field(b, m, "S")
	x := Access{S: strings.Repeat("a", 64)}
	y := Access{S: strings.Repeat("a", 64)}
	px, py := ap(&x), ap(&y)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if !f.Equal(px, py) {
			b.Fatal("not equal")
		}
	}
}

func BenchmarkFieldSetInt64(b *testing.B) {
	m, _, _ := accessModels(b)
	f := field(b, m, "I64")
	var a Access
	p := ap(&a)
	var v any = int64(1 << 40)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := f.Set(p, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFieldAccessEmbedded(b *testing.B) {
	_, m, _ := accessModels(b)
	f := field(b, m, "Note")
	a := AccessPtrEmb{AccessEmb: &AccessEmb{Note: "n"}}
	p := unsafe.Pointer(&a)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if f.FieldPtr(p, false) == nil {
			b.Fatal("nil")
		}
	}
}
