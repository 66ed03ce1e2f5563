package schema

import (
	"reflect"

	"unsafe"
)

// needsDeepCopy reports whether values of t share memory with their
// copies (slices, maps, pointers, interfaces, at any depth), so that a
// snapshot must copy them deeply to notice later in-place changes.
// time.Time counts as a plain value (its location is immutable).
func needsDeepCopy(t reflect.Type) bool {
	return needsDeep(t, map[reflect.Type]bool{})
}

func needsDeep(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == typeTime {
		return false
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		return true
	case reflect.Array:
		return needsDeep(t.Elem(), seen)
	case reflect.Struct:
		if seen[t] {
			return false
		}
		seen[t] = true
		for i := range t.NumField() {
			if needsDeep(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// maxCopyDepth bounds deepCopy on self-referencing values: deeper than
// this, values are shared rather than copied.
const maxCopyDepth = 64

// deepCopy returns a copy of v (of v's type) that shares no slice, map or
// pointer target with it, unexported struct fields included. Channels and
// functions are shared.
func deepCopy(v reflect.Value, depth int) reflect.Value {
	t := v.Type()
	if depth > maxCopyDepth || t == typeTime {
		return v
	}
	switch t.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		n := reflect.MakeSlice(t, v.Len(), v.Len())
		if !needsDeepCopy(t.Elem()) {
			reflect.Copy(n, v)
			return n
		}
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(v.Index(i), depth+1))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		n := reflect.MakeMapWithSize(t, v.Len())
		it := v.MapRange()
		for it.Next() {
			n.SetMapIndex(deepCopy(it.Key(), depth+1), deepCopy(it.Value(), depth+1))
		}
		return n
	case reflect.Pointer:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		n := reflect.New(t.Elem())
		n.Elem().Set(deepCopy(readable(v.Elem()), depth+1))
		return n
	case reflect.Interface:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		n := reflect.New(t).Elem()
		n.Set(deepCopy(v.Elem(), depth+1))
		return n
	case reflect.Array:
		if !needsDeepCopy(t.Elem()) {
			return v
		}
		n := reflect.New(t).Elem()
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(readable(v.Index(i)), depth+1))
		}
		return n
	case reflect.Struct:
		if !needsDeepCopy(t) {
			return v
		}
		src := reflect.New(t).Elem()
		src.Set(v)
		n := reflect.New(t).Elem()
		n.Set(v)
		for i := range t.NumField() {
			ft := t.Field(i).Type
			if !needsDeepCopy(ft) {
				continue
			}
			from := reflect.NewAt(ft, unsafe.Pointer(src.Field(i).UnsafeAddr())).Elem()
			to := reflect.NewAt(ft, unsafe.Pointer(n.Field(i).UnsafeAddr())).Elem()
			to.Set(deepCopy(from, depth+1))
		}
		return n
	}
	return v
}

// readable returns v, or an addressable copy that allows reading its
// unexported fields through their addresses.
func readable(v reflect.Value) reflect.Value {
	if v.CanAddr() {
		return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	return c
}
