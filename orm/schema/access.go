package schema

import (
	"bytes"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"
	"unsafe"
)

// accessors holds the per-kind functions over a field's address.
type accessors struct {
	get   func(p unsafe.Pointer) any
	eq    func(a, b unsafe.Pointer) bool
	clone func(dst, src unsafe.Pointer)
	set   func(p unsafe.Pointer, v any) error
}

// bindAccessors chooses the accessors of f once, at registration, from its
// kind and size, so that no per-call type switch on the Go type is needed.
func bindAccessors(f *Field) {
	base := f.Type
	if f.Pointer {
		base = f.Type.Elem()
	}
	var a accessors
	switch {
	case f.JSON:
		a = jsonAccessors(f.Type)
		f.get, f.eq, f.clone, f.set = a.get, a.eq, a.clone, a.set
		return
	case f.Valuer || f.Kind == KindCustom:
		a = valuerAccessors(base)
	default:
		a = basicAccessors(f.Kind, f.Bits, base)
	}
	if f.Pointer {
		a = pointerAccessors(base, a)
	}
	f.get, f.eq, f.clone, f.set = a.get, a.eq, a.clone, a.set
}

// typed builds accessors for a base type whose memory layout equals T
// (named types included), converting with conv on assignment.
func typed[T comparable](get func(T) any, conv func(any) (T, error)) accessors {
	return accessors{
		get:   func(p unsafe.Pointer) any { return get(*(*T)(p)) },
		eq:    func(a, b unsafe.Pointer) bool { return *(*T)(a) == *(*T)(b) },
		clone: func(dst, src unsafe.Pointer) { *(*T)(dst) = *(*T)(src) },
		set: func(p unsafe.Pointer, v any) error {
			if v == nil {
				return errNull
			}
			x, err := conv(v)
			if err != nil {
				return err
			}
			*(*T)(p) = x
			return nil
		},
	}
}

var errNull = errors.New("cannot store NULL in a non-nullable Go type (use a pointer or sql.Null*)")

// basicAccessors serve the plain Go kinds (integers, floats, bool, string,
// time.Time, []byte) by reading and writing their memory directly.
func basicAccessors(k Kind, bits int, base reflect.Type) accessors {
	switch k {
	case KindInt:
		return intAccessors(bits)
	case KindUint:
		return uintAccessors(bits)
	case KindFloat:
		return floatAccessors(bits)
	case KindBool:
		return typed(func(x bool) any { return x }, toBool)
	case KindString:
		return typed(func(x string) any { return x }, toString)
	case KindTime:
		return timeAccessors()
	case KindBytes:
		return bytesAccessors(base)
	}
	panic("orm/schema: no accessors for kind " + k.String()) // classify guarantees a basic kind here
}

// intAccessors serve signed integers of the given size; values bind as int64.
func intAccessors(bits int) accessors {
	switch bits {
	case 8:
		return typed(func(x int8) any { return int64(x) }, intConv[int8](8))
	case 16:
		return typed(func(x int16) any { return int64(x) }, intConv[int16](16))
	case 32:
		return typed(func(x int32) any { return int64(x) }, intConv[int32](32))
	default:
		return typed(func(x int64) any { return x }, intConv[int64](64))
	}
}

// uintAccessors serve unsigned integers of the given size; values bind as
// int64, except uint64 values above math.MaxInt64, which bind as uint64.
func uintAccessors(bits int) accessors {
	switch bits {
	case 8:
		return typed(func(x uint8) any { return int64(x) }, uintConv[uint8](8))
	case 16:
		return typed(func(x uint16) any { return int64(x) }, uintConv[uint16](16))
	case 32:
		return typed(func(x uint32) any { return int64(x) }, uintConv[uint32](32))
	default:
		return typed(func(x uint64) any {
			if x > math.MaxInt64 {
				return x
			}
			return int64(x)
		}, uintConv[uint64](64))
	}
}

// floatAccessors serve float32 and float64; values bind as float64 and NaN
// equals NaN, so that a NaN column is not always dirty.
func floatAccessors(bits int) accessors {
	if bits == 32 {
		a := typed(func(x float32) any { return float64(x) }, func(v any) (float32, error) {
			f, err := toFloat(v)
			return float32(f), err
		})
		a.eq = func(x, y unsafe.Pointer) bool {
			fa, fb := *(*float32)(x), *(*float32)(y)
			return fa == fb || (fa != fa && fb != fb)
		}
		return a
	}
	a := typed(func(x float64) any { return x }, toFloat)
	a.eq = func(x, y unsafe.Pointer) bool {
		fa, fb := *(*float64)(x), *(*float64)(y)
		return fa == fb || (fa != fa && fb != fb)
	}
	return a
}

// timeAccessors serve time.Time, compared with Equal.
func timeAccessors() accessors {
	return accessors{
		get:   func(p unsafe.Pointer) any { return *(*time.Time)(p) },
		eq:    func(a, b unsafe.Pointer) bool { return (*time.Time)(a).Equal(*(*time.Time)(b)) },
		clone: func(dst, src unsafe.Pointer) { *(*time.Time)(dst) = *(*time.Time)(src) },
		set: func(p unsafe.Pointer, v any) error {
			if v == nil {
				return errNull
			}
			t, err := toTime(v)
			if err != nil {
				return err
			}
			*(*time.Time)(p) = t
			return nil
		},
	}
}

// bytesAccessors serve []byte: a nil slice is NULL, assignment copies the
// driver's buffer.
func bytesAccessors(base reflect.Type) accessors {
	return accessors{
		get: func(p unsafe.Pointer) any {
			b := *(*[]byte)(p)
			if b == nil {
				return nil
			}
			return b
		},
		eq: func(a, b unsafe.Pointer) bool {
			x, y := *(*[]byte)(a), *(*[]byte)(b)
			return (x == nil) == (y == nil) && bytes.Equal(x, y)
		},
		clone: func(dst, src unsafe.Pointer) { *(*[]byte)(dst) = bytes.Clone(*(*[]byte)(src)) },
		set: func(p unsafe.Pointer, v any) error {
			switch x := v.(type) {
			case nil:
				*(*[]byte)(p) = nil
			case []byte:
				// Drivers may reuse the buffer after Next: copy it. Only a
				// nil value is NULL: a nil []byte is an empty value
				// (modernc.org/sqlite gives an empty BLOB as one).
				if x == nil {
					x = []byte{}
				}
				*(*[]byte)(p) = bytes.Clone(x)
			case string:
				*(*[]byte)(p) = []byte(x)
			default:
				return fmt.Errorf("cannot store %T in %s", v, base)
			}
			return nil
		},
	}
}

// pointerAccessors wraps the accessors of T into those of *T: nil is NULL.
func pointerAccessors(base reflect.Type, a accessors) accessors {
	return accessors{
		get: func(p unsafe.Pointer) any {
			e := *(*unsafe.Pointer)(p)
			if e == nil {
				return nil
			}
			return a.get(e)
		},
		eq: func(x, y unsafe.Pointer) bool {
			ex, ey := *(*unsafe.Pointer)(x), *(*unsafe.Pointer)(y)
			if ex == nil || ey == nil {
				return ex == ey
			}
			return ex == ey || a.eq(ex, ey)
		},
		clone: func(dst, src unsafe.Pointer) {
			e := *(*unsafe.Pointer)(src)
			if e == nil {
				*(*unsafe.Pointer)(dst) = nil
				return
			}
			n := reflect.New(base).UnsafePointer()
			a.clone(n, e)
			*(*unsafe.Pointer)(dst) = n
		},
		set: func(p unsafe.Pointer, v any) error {
			if v == nil {
				*(*unsafe.Pointer)(p) = nil
				return nil
			}
			n := reflect.New(base).UnsafePointer()
			if err := a.set(n, v); err != nil {
				return err
			}
			*(*unsafe.Pointer)(p) = n
			return nil
		},
	}
}

// valuerAccessors serve sql.Null*, sql.Null[T] and custom Scanner/Valuer
// types: the bound value is the Valuer itself, equality compares Value
// outputs, assignment goes through Scan.
func valuerAccessors(base reflect.Type) accessors {
	ptrValuer := !base.Implements(typeValuer)
	deep := needsDeepCopy(base)
	valuer := func(p unsafe.Pointer) driver.Valuer {
		if ptrValuer {
			return reflect.NewAt(base, p).Interface().(driver.Valuer)
		}
		return reflect.NewAt(base, p).Elem().Interface().(driver.Valuer)
	}
	return accessors{
		get: func(p unsafe.Pointer) any {
			// Evaluate now: the driver must see the value as it is at bind time.
			v, err := callValue(valuer(p))
			if err != nil {
				return valuerError{err}
			}
			return v
		},
		eq: func(a, b unsafe.Pointer) bool {
			va, erra := callValue(valuer(a))
			vb, errb := callValue(valuer(b))
			if erra != nil || errb != nil {
				return false
			}
			return driverValueEqual(va, vb)
		},
		clone: func(dst, src unsafe.Pointer) {
			sv := reflect.NewAt(base, src).Elem()
			if deep {
				// A Valuer holding a slice or map (type Tags []string): a
				// shallow copy would share it with the snapshot, and an
				// in-place change would never be noticed.
				sv = deepCopy(sv, 0)
			}
			reflect.NewAt(base, dst).Elem().Set(sv)
		},
		set: func(p unsafe.Pointer, v any) error {
			return reflect.NewAt(base, p).Interface().(sql.Scanner).Scan(v)
		},
	}
}

// valuerError carries a Value() failure to the driver, which reports it
// when the statement binds its arguments.
type valuerError struct{ err error }

func (e valuerError) Value() (driver.Value, error) { return nil, e.err }

func callValue(v driver.Valuer) (val driver.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Value() panicked: %v", r)
		}
	}()
	return v.Value()
}

func driverValueEqual(a, b driver.Value) bool {
	switch x := a.(type) {
	case []byte:
		y, ok := b.([]byte)
		return ok && (x == nil) == (y == nil) && bytes.Equal(x, y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	defer func() { _ = recover() }() // uncomparable custom values are unequal
	return a == b
}

// jsonAccessors store any Go value as JSON text; nil pointers, maps, slices
// and interfaces are NULL.
func jsonAccessors(t reflect.Type) accessors {
	raw := t == typeRawJSON
	return accessors{
		get: func(p unsafe.Pointer) any {
			v, err := jsonValue(t, p)
			if err != nil {
				return valuerError{err}
			}
			return v
		},
		eq: func(a, b unsafe.Pointer) bool {
			ja, erra := jsonValue(t, a)
			jb, errb := jsonValue(t, b)
			if erra != nil || errb != nil {
				return false
			}
			if ja == jb {
				return true
			}
			// Raw JSON text compares after the normalisation the database
			// applies to it (JSONB, MySQL's JSON): insignificant spaces do
			// not make a column dirty.
			sa, oka := ja.(string)
			sb, okb := jb.(string)
			return oka && okb && raw && compactJSON(sa) == compactJSON(sb)
		},
		clone: func(dst, src unsafe.Pointer) {
			d := reflect.NewAt(t, dst).Elem()
			s := reflect.NewAt(t, src).Elem()
			if isNilJSON(s) {
				d.SetZero()
				return
			}
			if raw {
				// Raw text is kept as it is (re-encoding would compact it).
				d.Set(deepCopy(s, 0))
				return
			}
			raw, err := json.Marshal(s.Interface())
			if err != nil {
				d.Set(s)
				return
			}
			n := reflect.New(t)
			if json.Unmarshal(raw, n.Interface()) != nil {
				d.Set(s)
				return
			}
			d.Set(n.Elem())
		},
		set: func(p unsafe.Pointer, v any) error {
			d := reflect.NewAt(t, p)
			var raw []byte
			switch x := v.(type) {
			case nil:
				d.Elem().SetZero()
				return nil
			case []byte:
				raw = x
			case string:
				raw = []byte(x)
			default: // a driver that decodes JSON itself
				var err error
				if raw, err = json.Marshal(x); err != nil {
					return err
				}
			}
			// Decode into a fresh value: no merging into the old one, and
			// the field is left alone when the text is not valid JSON.
			n := reflect.New(t)
			if err := json.Unmarshal(raw, n.Interface()); err != nil {
				return err
			}
			d.Elem().Set(n.Elem())
			return nil
		},
	}
}

// compactJSON returns s without insignificant white space, or s itself
// when it is not valid JSON.
func compactJSON(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

func isNilJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// jsonValue encodes the JSON column at p; nil values are NULL.
func jsonValue(t reflect.Type, p unsafe.Pointer) (any, error) {
	v := reflect.NewAt(t, p).Elem()
	if isNilJSON(v) {
		return nil, nil
	}
	if raw, ok := v.Interface().(json.RawMessage); ok {
		return string(raw), nil
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return nil, err
	}
	return string(b), nil
}
