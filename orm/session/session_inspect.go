package session

import (
	"fmt"
	"strings"
	"unsafe"
)

// Contains reports whether obj is tracked (StateNew, StatePersistent, StateDeleted or StateExpired).
func (s *Session) Contains(obj any) bool {
	s.mustEnter("Contains")
	defer s.exit()
	_, p, err := s.resolve(obj)
	return err == nil && s.im.lookupPtr(p) != nil
}

// ObjectState returns the state of obj, and false (with StateDetached) when the
// session does not track it.
func (s *Session) ObjectState(obj any) (ObjectState, bool) {
	s.mustEnter("ObjectState")
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return StateDetached, false
	}
	e := s.im.lookupPtr(p)
	if e == nil {
		return StateDetached, false
	}
	return e.publicState(), true
}

func (e *entry) publicState() ObjectState {
	if e.state == StatePersistent && e.expired {
		return StateExpired
	}
	return e.state
}

// IsModified reports whether obj has changes that a flush would write: a
// StateNew object always, a StatePersistent one when a column differs from its
// snapshot.
func (s *Session) IsModified(obj any) bool {
	s.mustEnter("IsModified")
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return false
	}
	e := s.im.lookupPtr(p)
	if e == nil {
		return false
	}
	switch e.state {
	case StateNew:
		return true
	case StatePersistent:
		return isDirty(e, p)
	}
	return false
}

// ModifiedAttributes returns the column names whose values differ from the
// snapshot (every column for a StateNew object), in field order.
func (s *Session) ModifiedAttributes(obj any) []string {
	s.mustEnter("ModifiedAttributes")
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return nil
	}
	e := s.im.lookupPtr(p)
	if e == nil || e.state == StateDeleted {
		return nil
	}
	if e.state == StateNew {
		return e.model.Columns()
	}
	var out []string
	for _, f := range changedFields(e, p) {
		out = append(out, f.Column)
	}
	return out
}

// PendingNewCount returns the number of objects waiting for INSERT.
func (s *Session) PendingNewCount() int {
	s.mustEnter("PendingNewCount")
	defer s.exit()
	return s.count(func(e *entry, _ unsafe.Pointer) bool { return e.state == StateNew })
}

// PendingDeleteCount returns the number of objects waiting for DELETE.
func (s *Session) PendingDeleteCount() int {
	s.mustEnter("PendingDeleteCount")
	defer s.exit()
	return s.count(func(e *entry, _ unsafe.Pointer) bool { return e.state == StateDeleted })
}

// PendingDirtyCount returns the number of persistent objects with changes
// to write.
func (s *Session) PendingDirtyCount() int {
	s.mustEnter("PendingDirtyCount")
	defer s.exit()
	return s.count(func(e *entry, p unsafe.Pointer) bool { return e.state == StatePersistent && isDirty(e, p) })
}

// TrackedCount returns the number of tracked objects.
func (s *Session) TrackedCount() int {
	s.mustEnter("TrackedCount")
	defer s.exit()
	return s.count(func(*entry, unsafe.Pointer) bool { return true })
}

func (s *Session) count(pred func(*entry, unsafe.Pointer) bool) int {
	n := 0
	s.im.live(func(e *entry, p unsafe.Pointer) {
		if pred(e, p) {
			n++
		}
	})
	return n
}

// DebugState describes the tracked objects, one per line in add order, for
// logs and test failures.
func (s *Session) DebugState() string {
	s.mustEnter("DebugState")
	defer s.exit()
	var b strings.Builder
	fmt.Fprintf(&b, "session: %d tracked, tx=%v\n", s.count(func(*entry, unsafe.Pointer) bool { return true }), s.tx != nil)
	for _, e := range s.im.entries() {
		key := "(no key)"
		if e.keyed {
			key = e.id.String()
		}
		fmt.Fprintf(&b, "  %s %s %s", e.model.Name, key, e.publicState())
		if e.state == StatePersistent {
			if cols := changedFields(e, e.ptr()); len(cols) > 0 {
				names := make([]string, len(cols))
				for i, f := range cols {
					names[i] = f.Column
				}
				fmt.Fprintf(&b, " dirty=%s", strings.Join(names, ","))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Expire marks obj's values (all, or only the named columns or fields) to be
// reloaded on its next access through Get, a query or Refresh. Unflushed
// changes are kept and stay dirty. Expiring an object that is not
// persistent does nothing.
func (s *Session) Expire(obj any, attrs ...string) {
	s.mustEnter("Expire")
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return
	}
	e := s.im.lookupPtr(p)
	if e == nil || e.state != StatePersistent {
		return
	}
	s.expire(e, attrs)
}

func (s *Session) expire(e *entry, attrs []string) {
	if len(attrs) == 0 {
		s.expireEntry(e)
		return
	}
	// Relation fields named unload (the next loader reads them again).
	var rels map[string]bool
	for _, a := range attrs {
		if r, ok := e.model.Relation(a); ok {
			if rels == nil {
				rels = map[string]bool{}
			}
			rels[r.Name] = true
		}
	}
	if rels != nil {
		s.unloadRelations(e, rels)
	}
	if e.expired && e.expiredCols == nil {
		return
	}
	if e.expiredCols == nil {
		e.expiredCols = map[string]bool{}
	}
	for _, a := range attrs {
		if f, ok := e.model.FieldByName(a); ok {
			e.expiredCols[f.Column] = true
		}
	}
	if len(e.expiredCols) == 0 { // only unknown names: nothing expires
		e.expiredCols = nil
		return
	}
	e.expired = true
}

// ExpireAll expires every persistent object.
func (s *Session) ExpireAll() {
	s.mustEnter("ExpireAll")
	defer s.exit()
	s.expireAll()
}

func (s *Session) expireAll() {
	for _, e := range s.im.byPtr.All() {
		if e.state == StatePersistent {
			s.expireEntry(e)
		}
	}
}
