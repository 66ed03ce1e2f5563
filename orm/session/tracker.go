package session

import (
	"reflect"
	"sort"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// takeSnapshot deep-copies the columns of the struct at p into a new
// struct of the same type. Relation fields are not copied.
func takeSnapshot(m *schema.Model, p unsafe.Pointer) unsafe.Pointer {
	v := reflect.New(m.Type)
	s := v.UnsafePointer()
	if m.MemoryLayout().Shallow {
		// Every column is a value without shared mutable memory: one typed
		// copy of the struct is a deep copy of its columns.
		v.Elem().Set(reflect.NewAt(m.Type, p).Elem())
		return s
	}
	for _, f := range m.Fields {
		f.Copy(s, p)
	}
	return s
}

// sameBytes compares size bytes at a and b.
func sameBytes(a, b unsafe.Pointer, size uintptr) bool {
	return unsafe.String((*byte)(a), size) == unsafe.String((*byte)(b), size)
}

// changedFields lists the columns whose values differ between the object at
// p and its snapshot; with no snapshot every non-key column counts.
func changedFields(e *entry, p unsafe.Pointer) []*schema.Field {
	m := e.model
	if e.snapshot == nil {
		var out []*schema.Field
		for _, f := range m.Fields {
			if !f.PrimaryKey {
				out = append(out, f)
			}
		}
		return out
	}
	l := e.lay
	if !l.Indirect && l.SameBytes(p, e.snapshot) {
		return nil
	}
	var out []*schema.Field
	for i, f := range m.Fields {
		if columnChanged(l, i, f, p, e.snapshot) {
			out = append(out, f)
		}
	}
	return out
}

// columnChanged reports whether field f, the i-th column of its model,
// holds different values at a and b: equal bytes first, then the field's
// typed comparison.
func columnChanged(l *schema.MemoryLayout, i int, f *schema.Field, a, b unsafe.Pointer) bool {
	if c := l.Columns[i]; c.Direct && sameBytes(unsafe.Add(a, c.Offset), unsafe.Add(b, c.Offset), c.Size) {
		return false
	}
	return !f.Equal(a, b)
}

// isDirty reports whether a persistent object has a column that differs
// from its snapshot, without allocating.
func isDirty(e *entry, p unsafe.Pointer) bool {
	if e.snapshot == nil {
		return true
	}
	m := e.model
	l := e.lay
	if !l.Indirect && l.SameBytes(p, e.snapshot) {
		return false
	}
	for i, f := range m.Fields {
		if columnChanged(l, i, f, p, e.snapshot) {
			return true
		}
	}
	return false
}

func sortEntries(es []*entry) {
	sort.Slice(es, func(i, j int) bool { return es[i].seq < es[j].seq })
}
