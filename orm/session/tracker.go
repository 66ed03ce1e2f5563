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
	s := reflect.New(m.Type).UnsafePointer()
	copyColumns(m, s, p)
	return s
}

// copyColumns deep-copies the columns of the struct at p into the struct
// at dst, of the same type.
func copyColumns(m *schema.Model, dst, p unsafe.Pointer) {
	if m.MemoryLayout().Shallow {
		// Every column is a value without shared mutable memory: one typed
		// copy of the struct is a deep copy of its columns.
		reflect.NewAt(m.Type, dst).Elem().Set(reflect.NewAt(m.Type, p).Elem())
		return
	}
	for _, f := range m.Fields {
		f.Copy(dst, p)
	}
}

// snapSlab hands out snapshot copies of objects of one model from slabs:
// one allocation for many snapshots (a slab stays allocated while any of
// its snapshots is in use). A slab holds the number of snapshots asked
// for; when it is used up the next one is twice as large, up to 256.
type snapSlab struct {
	m    *schema.Model
	want int           // size of the first slab
	slab reflect.Value // a []T of the model's type, made at the first take
	next int
}

func newSnapSlab(m *schema.Model, n int) *snapSlab { return &snapSlab{m: m, want: max(1, n)} }

func (a *snapSlab) grow(n int) {
	// Powers of two: reflect keeps every array type it makes.
	size := 1
	for size < n {
		size *= 2
	}
	a.slab, a.next = reflect.New(reflect.ArrayOf(size, a.m.Type)).Elem(), 0
}

// take copies the columns of the object at p into the next free snapshot.
func (a *snapSlab) take(p unsafe.Pointer) unsafe.Pointer {
	switch {
	case !a.slab.IsValid():
		a.grow(a.want)
	case a.next == a.slab.Len():
		a.grow(min(256, 2*a.slab.Len()))
	}
	dst := a.slab.Index(a.next).Addr().UnsafePointer()
	a.next++
	copyColumns(a.m, dst, p)
	return dst
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
	l := m.MemoryLayout()
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
	l := m.MemoryLayout()
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
