package schema

import "unsafe"

// MemoryLayout describes where a model's columns lie in the memory of its
// struct, so that an object can be compared with a snapshot of it byte by
// byte before falling back to the typed comparisons of Field.Equal: equal
// bytes always mean equal values. It is computed at registration; its
// slices are shared and must not be modified.
type MemoryLayout struct {
	// Columns holds, for each field of Model.Fields in order, its offset
	// and size in the struct and whether it is reachable without following
	// an embedded pointer (the offset is meaningful only then).
	Columns []ColumnLayout
	// Spans are the runs of adjacent directly reachable columns, merged.
	Spans []Span
	// Indirect reports that some column sits behind an embedded pointer,
	// so Spans do not cover every column.
	Indirect bool
	// Shallow reports that every column is directly reachable and holds no
	// memory it shares with copies (no pointers, byte slices, JSON or
	// custom Valuers): a plain struct copy is then a snapshot.
	Shallow bool
}

// ColumnLayout is where one column lies in its struct.
type ColumnLayout struct {
	Offset, Size uintptr
	Direct       bool
}

// Span is a run of bytes of a struct, from Offset on.
type Span struct {
	Offset, Size uintptr
}

// MemoryLayout returns the memory layout of m's columns, computed at
// registration. A link table without a Go type has one too, describing the
// fields it would have.
func (m *Model) MemoryLayout() *MemoryLayout { return &m.layout }

// SameBytes reports whether every span of directly reachable columns holds
// the same bytes in the structs a and b point to.
func (l *MemoryLayout) SameBytes(a, b unsafe.Pointer) bool {
	for _, sp := range l.Spans {
		if !sameBytes(unsafe.Add(a, sp.Offset), unsafe.Add(b, sp.Offset), sp.Size) {
			return false
		}
	}
	return true
}

// sameBytes compares size bytes at a and b.
func sameBytes(a, b unsafe.Pointer, size uintptr) bool {
	return unsafe.String((*byte)(a), size) == unsafe.String((*byte)(b), size)
}

// layoutOf computes the memory layout of m's columns.
func layoutOf(m *Model) MemoryLayout {
	l := MemoryLayout{Columns: make([]ColumnLayout, len(m.Fields)), Shallow: true}
	for i, f := range m.Fields {
		if !shallowColumn(f) {
			l.Shallow = false
		}
		off, size, direct := f.Layout()
		l.Columns[i] = ColumnLayout{Offset: off, Size: size, Direct: direct}
		if !direct {
			l.Indirect, l.Shallow = true, false
			continue
		}
		if n := len(l.Spans); n > 0 && l.Spans[n-1].Offset+l.Spans[n-1].Size == off {
			l.Spans[n-1].Size += size
			continue
		}
		l.Spans = append(l.Spans, Span{off, size})
	}
	return l
}

// shallowColumn reports whether a column's value shares no memory with a
// plain copy of it.
func shallowColumn(f *Field) bool {
	switch {
	case f.Pointer, f.JSON, f.Kind == KindBytes, f.Kind == KindCustom:
		return false
	case f.Valuer && f.Type.PkgPath() != "database/sql":
		return false // a custom Valuer may hold slices or maps
	}
	return true
}
