package session

import (
	"reflect"
	"sort"
	"sync"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// takeSnapshot deep-copies the columns of the struct at p into a new
// struct of the same type. Relation fields are not copied.
func takeSnapshot(m *schema.Model, p unsafe.Pointer) unsafe.Pointer {
	v := reflect.New(m.Type)
	s := v.UnsafePointer()
	if layoutOf(m).shallow {
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

// layout describes where a model's columns lie in memory, for comparing
// an object with its snapshot byte-wise before falling back to the typed
// comparators: equal bytes always mean equal values.
type layout struct {
	spans    []span // runs of adjacent directly reachable columns
	indirect bool   // some column sits behind an embedded pointer
	direct   []bool // per field: reachable without a pointer
	off, sz  []uintptr
	index    map[*schema.Field]int // position of each column in Model.Fields
	// shallow: every column is directly reachable and holds no memory it
	// shares with copies (no pointers, byte slices, JSON or custom
	// Valuers), so a struct copy snapshots it.
	shallow bool
}

type span struct{ off, size uintptr }

// layouts caches immutable per-model layouts (derived data, like
// encoding/json's type cache).
var layouts sync.Map // *schema.Model -> *layout

func layoutOf(m *schema.Model) *layout {
	if v, ok := layouts.Load(m); ok {
		return v.(*layout)
	}
	l := &layout{direct: make([]bool, len(m.Fields)), off: make([]uintptr, len(m.Fields)), sz: make([]uintptr, len(m.Fields)),
		index: make(map[*schema.Field]int, len(m.Fields)), shallow: true}
	for i, f := range m.Fields {
		l.index[f] = i
		switch {
		case f.Pointer, f.JSON, f.Kind == schema.KindBytes, f.Kind == schema.KindCustom:
			l.shallow = false
		case f.Valuer && f.Type.PkgPath() != "database/sql":
			l.shallow = false // a custom Valuer may hold slices or maps
		}
		off, size, direct := f.Layout()
		l.direct[i], l.off[i], l.sz[i] = direct, off, size
		if !direct {
			l.indirect, l.shallow = true, false
			continue
		}
		if n := len(l.spans); n > 0 && l.spans[n-1].off+l.spans[n-1].size == off {
			l.spans[n-1].size += size
			continue
		}
		l.spans = append(l.spans, span{off, size})
	}
	v, _ := layouts.LoadOrStore(m, l)
	return v.(*layout)
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
	if !l.indirect && l.clean(p, e.snapshot) {
		return nil
	}
	var out []*schema.Field
	for i, f := range m.Fields {
		if l.direct[i] && sameBytes(unsafe.Add(p, l.off[i]), unsafe.Add(e.snapshot, l.off[i]), l.sz[i]) {
			continue
		}
		if !f.Equal(p, e.snapshot) {
			out = append(out, f)
		}
	}
	return out
}

// clean reports whether every directly reachable column is byte-for-byte
// equal in a and b.
func (l *layout) clean(a, b unsafe.Pointer) bool {
	for _, sp := range l.spans {
		if !sameBytes(unsafe.Add(a, sp.off), unsafe.Add(b, sp.off), sp.size) {
			return false
		}
	}
	return true
}

// isDirty reports whether a persistent object has a column that differs
// from its snapshot, without allocating.
func isDirty(e *entry, p unsafe.Pointer) bool {
	if e.snapshot == nil {
		return true
	}
	m := e.model
	l := e.lay
	if !l.indirect && l.clean(p, e.snapshot) {
		return false
	}
	for i, f := range m.Fields {
		if l.direct[i] && sameBytes(unsafe.Add(p, l.off[i]), unsafe.Add(e.snapshot, l.off[i]), l.sz[i]) {
			continue
		}
		if !f.Equal(p, e.snapshot) {
			return true
		}
	}
	return false
}

func sortEntries(es []*entry) {
	sort.Slice(es, func(i, j int) bool { return es[i].seq < es[j].seq })
}
