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
	for _, f := range m.Fields {
		f.Copy(s, p)
	}
	return s
}

// changedFields lists the columns whose values differ between the object at
// p and its snapshot; with no snapshot every non-key column counts.
func changedFields(e *entry, p unsafe.Pointer) []*schema.Field {
	var out []*schema.Field
	for _, f := range e.model.Fields {
		if e.snapshot == nil {
			if !f.PrimaryKey {
				out = append(out, f)
			}
			continue
		}
		if !f.Equal(p, e.snapshot) {
			out = append(out, f)
		}
	}
	return out
}

// isDirty reports whether a persistent object has a column that differs
// from its snapshot, without allocating.
func isDirty(e *entry, p unsafe.Pointer) bool {
	if e.snapshot == nil {
		return true
	}
	for _, f := range e.model.Fields {
		if !f.Equal(p, e.snapshot) {
			return true
		}
	}
	return false
}

func sortEntries(es []*entry) {
	sort.Slice(es, func(i, j int) bool { return es[i].seq < es[j].seq })
}
