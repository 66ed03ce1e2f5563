package schema

import (
	"sync"
	"unsafe"
)

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

// insertSets caches the column sets of InsertColumnsOf per mask.
type insertSets struct {
	mu   sync.RWMutex
	sets map[uint64]*[2][]*Field
}

// InsertColumnsOf is InsertColumns for the objects whose InsertMask is
// mask: the written columns are the mask's, the generated ones the rest.
// The slices are computed once per mask and shared: do not modify them.
func (m *Model) InsertColumnsOf(mask uint64) (write, generate []*Field) {
	c := &m.insertSets
	c.mu.RLock()
	set := c.sets[mask]
	c.mu.RUnlock()
	if set != nil {
		return set[0], set[1]
	}
	set = new([2][]*Field)
	for i, f := range m.Fields {
		if mask&(1<<i) != 0 {
			set[0] = append(set[0], f)
		} else {
			set[1] = append(set[1], f)
		}
	}
	c.mu.Lock()
	if c.sets == nil {
		c.sets = map[uint64]*[2][]*Field{}
	}
	c.sets[mask] = set
	c.mu.Unlock()
	return set[0], set[1]
}
