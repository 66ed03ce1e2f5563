package orm_test

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

type RTColor string // named string (an enum)

const (
	RTRed  RTColor = "red"
	RTBlue RTColor = "blue"
)

type RTLevel int // named int

// RTPoint is a custom Scanner/Valuer stored as the text "x,y".
type RTPoint struct{ X, Y int }

func (p RTPoint) Value() (driver.Value, error) { return fmt.Sprintf("%d,%d", p.X, p.Y), nil }

func (p *RTPoint) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("RTPoint: cannot scan %T", src)
	}
	_, err := fmt.Sscanf(s, "%d,%d", &p.X, &p.Y)
	return err
}

type RTInfo struct {
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Count int      `json:"count"`
}

// RTValue has a column of every supported Go type.
type RTValue struct {
	ID int64 `sqlmodel:"pk,noautoincrement"`

	Int     int
	Int8    int8
	Int16   int16
	Int32   int32
	Int64   int64
	Uint    uint
	Uint8   uint8
	Uint16  uint16
	Uint32  uint32
	Uint64  uint64
	Float32 float32
	Float64 float64
	Bool    bool
	String  string
	Bytes   []byte
	Time    time.Time

	PInt     *int
	PInt8    *int8
	PInt16   *int16
	PInt32   *int32
	PInt64   *int64
	PUint    *uint
	PUint8   *uint8
	PUint16  *uint16
	PUint32  *uint32
	PUint64  *uint64
	PFloat32 *float32
	PFloat64 *float64
	PBool    *bool
	PString  *string
	PBytes   *[]byte
	PTime    *time.Time

	NullString  sql.NullString
	NullInt64   sql.NullInt64
	NullInt32   sql.NullInt32
	NullInt16   sql.NullInt16
	NullByte    sql.NullByte
	NullFloat64 sql.NullFloat64
	NullBool    sql.NullBool
	NullTime    sql.NullTime
	NullGeneric sql.Null[int64]

	Color RTColor
	Level RTLevel
	Point RTPoint `sqlmodel:"type=TEXT"`

	Info RTInfo          `sqlmodel:"json"`
	Meta map[string]any  `sqlmodel:"json"`
	Raw  json.RawMessage // JSON by its type

	// Server defaults that a zero value must not trigger.
	DefInt  int    `sqlmodel:"default=7"`
	DefBool bool   `sqlmodel:"default=true"`
	DefStr  string `sqlmodel:"default='dflt'"`
}

func ptr[T any](v T) *T { return &v }

// rtTime has microsecond precision (what every database keeps) and a
// location that is not UTC.
var rtTime = time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.FixedZone("UTC+05:30", 5*3600+30*60))

func rtRows() map[string]*RTValue {
	west := time.FixedZone("UTC-07:00", -7*3600)
	return map[string]*RTValue{
		"full": {
			ID:  1,
			Int: 42, Int8: 8, Int16: 1616, Int32: 323232, Int64: 6464646464,
			Uint: 42, Uint8: 200, Uint16: 60000, Uint32: 4000000000, Uint64: 1 << 40,
			Float32: 1.1, Float64: math.Pi, Bool: true, String: "héros größe 日本語 🦸‍♀️", Bytes: []byte{0, 1, 2, 0xfe, 0xff},
			Time: rtTime,

			PInt: ptr(-1), PInt8: ptr[int8](-8), PInt16: ptr[int16](-16), PInt32: ptr[int32](-32), PInt64: ptr[int64](-64),
			PUint: ptr[uint](1), PUint8: ptr[uint8](8), PUint16: ptr[uint16](16), PUint32: ptr[uint32](32), PUint64: ptr[uint64](64),
			PFloat32: ptr[float32](-2.5), PFloat64: ptr(-1e-7), PBool: ptr(true), PString: ptr("pointer"),
			PBytes: ptr([]byte("bytes")), PTime: ptr(rtTime.Add(-time.Hour).In(west)),

			NullString: sql.NullString{String: "ns", Valid: true}, NullInt64: sql.NullInt64{Int64: -64, Valid: true},
			NullInt32: sql.NullInt32{Int32: -32, Valid: true}, NullInt16: sql.NullInt16{Int16: -16, Valid: true},
			NullByte: sql.NullByte{Byte: 250, Valid: true}, NullFloat64: sql.NullFloat64{Float64: 0.25, Valid: true},
			NullBool: sql.NullBool{Bool: true, Valid: true}, NullTime: sql.NullTime{Time: rtTime.In(west), Valid: true},
			NullGeneric: sql.Null[int64]{V: 77, Valid: true},

			Color: RTBlue, Level: 3, Point: RTPoint{X: -3, Y: 4},
			Info: RTInfo{Name: "info", Tags: []string{"a", "b"}, Count: 2},
			Meta: map[string]any{"n": 1.5, "s": "ü", "l": []any{true, nil, "x"}, "o": map[string]any{"k": "v"}},
			Raw:  json.RawMessage(`{"raw": [1, 2, 3]}`),

			DefInt: 1, DefBool: true, DefStr: "set",
		},
		// Zero values are stored as given (0, false, "" and the zero time,
		// not NULL nor the server default); nil pointers, invalid sql.Null*,
		// nil []byte and a nil map are NULL.
		"zero": {ID: 2},
		// Limits, edge strings, non-nil empty bytes/slices/maps, false and
		// zero behind pointers (not NULL).
		"edge": {
			ID:  3,
			Int: math.MinInt64, Int8: math.MinInt8, Int16: math.MinInt16, Int32: math.MinInt32, Int64: math.MaxInt64,
			Uint: math.MaxInt64, Uint8: math.MaxUint8, Uint16: math.MaxUint16, Uint32: math.MaxUint32, Uint64: math.MaxInt64,
			Float32: -1.5e30, Float64: -2.5e300, Bool: false,
			String: "quotes ' \" ` \\ ; -- /* newline\n tab\t" + strings.Repeat("x", 5000),
			Bytes:  []byte{},
			Time:   time.Date(1969, 7, 20, 20, 17, 40, 1000, time.FixedZone("UTC-05:00", -5*3600)),

			PInt: ptr(0), PInt8: ptr[int8](math.MaxInt8), PInt16: ptr[int16](math.MaxInt16), PInt32: ptr[int32](math.MaxInt32),
			PInt64: ptr[int64](math.MinInt64), PUint: ptr[uint](0), PUint8: ptr[uint8](0), PUint16: ptr[uint16](math.MaxUint16),
			PUint32: ptr[uint32](math.MaxUint32), PUint64: ptr[uint64](math.MaxInt64), PFloat32: ptr[float32](0),
			PFloat64: ptr(0.0), PBool: ptr(false), PString: ptr(""), PBytes: ptr([]byte{}),
			PTime: ptr(time.Date(2038, 1, 19, 3, 14, 8, 999999000, time.UTC)),

			NullString: sql.NullString{Valid: true}, NullInt64: sql.NullInt64{Valid: true}, NullInt32: sql.NullInt32{Valid: true},
			NullInt16: sql.NullInt16{Valid: true}, NullByte: sql.NullByte{Valid: true}, NullFloat64: sql.NullFloat64{Valid: true},
			NullBool: sql.NullBool{Valid: true}, NullGeneric: sql.Null[int64]{Valid: true},
			NullTime: sql.NullTime{Time: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Valid: true},

			Color: RTColor(""), Level: -1, Point: RTPoint{},
			Info: RTInfo{Tags: []string{}},
			Meta: map[string]any{},
			Raw:  json.RawMessage(`[]`),
		},
	}
}

// rtEqual compares two values deeply; times compare with Equal and
// json.RawMessage by its JSON value (PostgreSQL's JSONB normalises the text).
func rtEqual(path string, a, b reflect.Value) []string {
	switch {
	case a.Type() == reflect.TypeFor[time.Time]():
		if !a.Interface().(time.Time).Equal(b.Interface().(time.Time)) {
			return []string{fmt.Sprintf("%s: %v != %v", path, a.Interface(), b.Interface())}
		}
		return nil
	case a.Type() == reflect.TypeFor[json.RawMessage]():
		x, y := a.Interface().(json.RawMessage), b.Interface().(json.RawMessage)
		if (x == nil) != (y == nil) {
			return []string{fmt.Sprintf("%s: %q != %q", path, x, y)}
		}
		var vx, vy any
		if x != nil && (json.Unmarshal(x, &vx) != nil || json.Unmarshal(y, &vy) != nil || !reflect.DeepEqual(vx, vy)) {
			return []string{fmt.Sprintf("%s: %s != %s", path, x, y)}
		}
		return nil
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return []string{fmt.Sprintf("%s: nil %v != nil %v", path, a.IsNil(), b.IsNil())}
			}
			return nil
		}
		return rtEqual("*"+path, a.Elem(), b.Elem())
	case reflect.Struct:
		var out []string
		for i := 0; i < a.NumField(); i++ {
			if a.Type().Field(i).IsExported() {
				out = append(out, rtEqual(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))...)
			}
		}
		return out
	case reflect.Slice:
		if a.Type().Elem().Kind() == reflect.Uint8 {
			x, y := a.Bytes(), b.Bytes()
			if (x == nil) != (y == nil) || !bytes.Equal(x, y) {
				return []string{fmt.Sprintf("%s: %#v != %#v", path, x, y)}
			}
			return nil
		}
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return []string{fmt.Sprintf("%s: %#v != %#v", path, a.Interface(), b.Interface())}
	}
	return nil
}

// TestRoundTripTypes writes every supported Go type with the dialect's
// INSERT and reads it back with a SELECT: the values are equal afterwards on
// every database.
func TestRoundTripTypes(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, &RTValue{}); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		rows := rtRows()
		for _, name := range []string{"full", "zero", "edge"} {
			t.Run(name, func(t *testing.T) {
				in := rows[name]
				if err := insertModel(ctx, db, in); err != nil {
					t.Fatalf("insert: %v", err)
				}
				out, err := loadModel(ctx, db, &RTValue{ID: in.ID})
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				for _, diff := range rtEqual("RTValue", reflect.ValueOf(in).Elem(), reflect.ValueOf(out).Elem()) {
					t.Error(diff)
				}
			})
		}
		// What the database holds: NULL exactly where the Go value is nil /
		// invalid, the given zero values (not the server defaults) elsewhere.
		d := db.Dialect()
		nulls := map[string]bool{}
		m, _ := db.Registry().ModelOf(&RTValue{})
		var exprs []string
		for _, f := range m.Fields {
			exprs = append(exprs, "CASE WHEN "+d.Quote(f.Column)+" IS NULL THEN 1 ELSE 0 END")
		}
		dest := make([]any, len(exprs))
		flags := make([]int, len(exprs))
		for i := range dest {
			dest[i] = &flags[i]
		}
		q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + d.Quote(m.Table) + " WHERE " + d.Quote("id") + " = " + d.Placeholder(1)
		if err := db.SQL().QueryRowContext(ctx, q, 2).Scan(dest...); err != nil {
			t.Fatal(err)
		}
		for i, f := range m.Fields {
			if flags[i] == 1 {
				nulls[f.Column] = true
			}
		}
		for _, f := range m.Fields {
			wantNull := f.Nullable && f.Column != "info" // the zero RTInfo struct is JSON, not NULL
			if nulls[f.Column] != wantNull {
				t.Errorf("zero row: %s IS NULL = %v, want %v", f.Column, nulls[f.Column], wantNull)
			}
		}
		var defInt int64
		var defBool bool
		var defStr string
		q = "SELECT " + d.Quote("def_int") + ", " + d.Quote("def_bool") + ", " + d.Quote("def_str") + " FROM " + d.Quote(m.Table) +
			" WHERE " + d.Quote("id") + " = " + d.Placeholder(1)
		if err := db.SQL().QueryRowContext(ctx, q, 2).Scan(&defInt, &defBool, &defStr); err != nil {
			t.Fatal(err)
		}
		if defInt != 0 || defBool || defStr != "" {
			t.Errorf("zero values became the server defaults: %d %v %q", defInt, defBool, defStr)
		}
		// Non-nil empty bytes are not NULL on any of the databases.
		var emptyNull int
		q = "SELECT CASE WHEN " + d.Quote("bytes") + " IS NULL THEN 1 ELSE 0 END FROM " + d.Quote(m.Table) + " WHERE " + d.Quote("id") + " = " + d.Placeholder(1)
		if err := db.SQL().QueryRowContext(ctx, q, 3).Scan(&emptyNull); err != nil || emptyNull != 0 {
			t.Errorf("[]byte{} stored as NULL (%d, %v)", emptyNull, err)
		}
	})
}

type RTUnsigned struct {
	ID  int64 `sqlmodel:"pk,noautoincrement"`
	Big uint64
}

// TestRoundTripUint64AboveInt64: MySQL stores uint64 as BIGINT UNSIGNED,
// so values above MaxInt64 round-trip there. PostgreSQL and SQLite have only
// signed 64-bit integers: such a value is an error, never a silent wrap.
func TestRoundTripUint64AboveInt64(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, &RTUnsigned{}); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		in := &RTUnsigned{ID: 1, Big: math.MaxUint64}
		err := insertModel(ctx, db, in)
		if db.Dialect().Name() != "mysql" {
			if err == nil {
				out, lerr := loadModel(ctx, db, &RTUnsigned{ID: 1})
				if lerr != nil || out.Big != in.Big {
					t.Errorf("uint64 %d was accepted and read back as %v, %v", in.Big, out, lerr)
				}
			}
			return
		}
		if err != nil {
			t.Fatalf("insert: %v", err)
		}
		out, err := loadModel(ctx, db, &RTUnsigned{ID: 1})
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if out.Big != in.Big {
			t.Errorf("uint64 read back as %d, want %d", out.Big, in.Big)
		}
	})
}
