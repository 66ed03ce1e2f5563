package schema

import "unsafe"

// generated reports whether the database generates column f of a row to
// insert from the struct p points to: a zero auto-increment key, or a nil
// pointer with a server default.
func (m *Model) generated(f *Field, p unsafe.Pointer) bool {
	switch {
	case f == m.AutoIncrement && f.IsZero(p):
		return true
	case f.HasDefault && f.Pointer && f.IsZero(p):
		return true
	}
	return false
}

// InsertColumns splits the columns of a row to insert, the struct p points
// to, into those the INSERT writes and those the database generates (a
// zero auto-increment key, a nil pointer with a server default), each in
// field order.
func (m *Model) InsertColumns(p unsafe.Pointer) (write, generate []*Field) {
	write = make([]*Field, 0, len(m.Fields))
	for _, f := range m.Fields {
		if m.generated(f, p) {
			generate = append(generate, f)
		} else {
			write = append(write, f)
		}
	}
	return write, generate
}

// InsertMask is the set of columns InsertColumns writes for the struct p
// points to, as a bit mask over m.Fields (bit i for Fields[i]); ok is
// false for models of more than 64 columns.
func (m *Model) InsertMask(p unsafe.Pointer) (mask uint64, ok bool) {
	if len(m.Fields) > 64 {
		return 0, false
	}
	for i, f := range m.Fields {
		if !m.generated(f, p) {
			mask |= 1 << i
		}
	}
	return mask, true
}
