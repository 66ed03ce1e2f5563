package session

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Add schedules obj (a pointer to a model) for INSERT, together with the
// untracked objects its loaded relations hold (save cascade). Adding an
// object that is already tracked does nothing, except that a StateDeleted object
// becomes StatePersistent again. Adding a new instance whose primary key the
// session already tracks with another instance is an error matching
// ErrIdentityConflict. Add is all or nothing: when it fails, neither obj
// nor any object reached by the cascade has changed state.
func (s *Session) Add(obj any) error {
	if err := s.enter("Add"); err != nil {
		return err
	}
	defer s.exit()
	return s.addObj(obj)
}

// addObj is Add without the guard.
func (s *Session) addObj(obj any) error {
	m, p, err := s.resolve(obj)
	if err != nil {
		return err
	}
	if len(m.Relations) == 0 {
		// Nothing to cascade to: one step, nothing to undo after it.
		if _, _, err := s.addOne(m, p, true); err != nil {
			return err
		}
		s.unforget(p)
		return nil
	}
	sc := s.takeAddScratch()
	defer s.putAddScratch(sc)
	if err := s.add(m, p, sc.seen, &sc.undo, true); err != nil {
		sc.undo.revert(&s.im)
		return err
	}
	s.unforget(p)
	return nil
}

// addScratch is the seen set and the undo list of one Add, which the
// session keeps for the next Add instead of allocating them per call.
type addScratch struct {
	seen map[unsafe.Pointer]bool
	undo addUndo
}

// maxAddScratch is the size past which an Add's scratch is not kept: a
// cleared map costs its capacity on every clear.
const maxAddScratch = 256

// takeAddScratch hands out the session's scratch (a new one if an Add is
// already using it, say from a hook).
func (s *Session) takeAddScratch() *addScratch {
	sc := s.addScr
	s.addScr = nil
	if sc == nil {
		sc = &addScratch{seen: map[unsafe.Pointer]bool{}}
	}
	return sc
}

// putAddScratch empties sc and keeps it for the next Add, unless it grew
// large.
func (s *Session) putAddScratch(sc *addScratch) {
	if len(sc.seen) > maxAddScratch || cap(sc.undo) > maxAddScratch {
		return
	}
	clear(sc.seen)
	clear(sc.undo)
	sc.undo = sc.undo[:0]
	s.addScr = sc
}

// addUndo records what an Add changed in the identity map, so that a
// failing Add (or AddAll) leaves the session as it was.
type addUndo []addStep

type addStep struct {
	e       *entry
	created bool // tracked by this Add: forget it
	state   ObjectState
	strong  unsafe.Pointer
}

func (u *addUndo) revert(im *identityMap) {
	for i := len(*u) - 1; i >= 0; i-- {
		st := (*u)[i]
		if st.created {
			im.drop(st.e)
			st.e.state = StateDetached
			continue
		}
		st.e.state, st.e.strong = st.state, st.strong
	}
	*u = nil
}

func (s *Session) add(m *schema.Model, p unsafe.Pointer, seen map[unsafe.Pointer]bool, undo *addUndo, root bool) error {
	if seen[p] {
		return nil
	}
	seen[p] = true
	step, changed, err := s.addOne(m, p, root)
	if err != nil {
		return err
	}
	if changed {
		*undo = append(*undo, step)
	}
	return s.cascadeAdd(m, p, seen, undo)
}

// addOne tracks the object at p as new, or makes a tracked one strong again
// (an explicit Add of a deleted one revives it; one reached through a
// relation stays deleted). It returns how to undo what it changed.
func (s *Session) addOne(m *schema.Model, p unsafe.Pointer, root bool) (addStep, bool, error) {
	if e := s.im.lookupPtr(p); e != nil {
		if e.state == StateDeleted && !root {
			return addStep{}, false, nil
		}
		step := addStep{e: e, state: e.state, strong: e.strong}
		if e.state == StateDeleted {
			e.state = StatePersistent
		}
		e.strong = p
		return step, true, nil
	}
	id, keyed, err := keyOf(m, p)
	if err != nil {
		return addStep{}, false, invalid("%v", err)
	}
	if keyed {
		if other := s.im.lookupID(id); other != nil {
			return addStep{}, false, fmt.Errorf("%w: %s key %v", ErrIdentityConflict, m.Name, id)
		}
	}
	if err := s.trackedElsewhere(m, p); err != nil {
		return addStep{}, false, err
	}
	e := s.im.track(m, p, StateNew)
	if keyed {
		s.im.setID(e, id)
	}
	return addStep{e: e, created: true}, true, nil
}

// cascadeAdd adds the untracked objects held by the loaded relations of
// the object at p.
func (s *Session) cascadeAdd(m *schema.Model, p unsafe.Pointer, seen map[unsafe.Pointer]bool, undo *addUndo) error {
	for _, r := range m.Relations {
		objs, _ := r.Objects(p)
		for i, o := range objs {
			op := reflect.ValueOf(o).UnsafePointer()
			if op == nil {
				return invalid("%s.%s holds a nil %s at index %d", m.Name, r.Name, r.Target.Name, i)
			}
			if seen[op] {
				continue // added by this Add already (or being added)
			}
			if s.im.lookupPtr(op) == nil {
				if err := s.refuseReached(r, m, r.Target, op, false); err != nil {
					return err
				}
			}
			if err := s.add(r.Target, op, seen, undo, false); err != nil {
				return fmt.Errorf("%s.%s: %w", m.Name, r.Name, err)
			}
		}
	}
	return nil
}

// AddAll adds each object as Add does, all or nothing: at the first error
// (which names the object's position) the objects added before it are
// removed again.
func (s *Session) AddAll(objs ...any) error {
	if err := s.enter("AddAll"); err != nil {
		return err
	}
	defer s.exit()
	var undo addUndo
	seen := map[unsafe.Pointer]bool{}
	for i, o := range objs {
		m, p, err := s.resolve(o)
		if err == nil {
			err = s.add(m, p, seen, &undo, true)
		}
		if err != nil {
			undo.revert(&s.im)
			return fmt.Errorf("AddAll: object %d: %w", i, err)
		}
	}
	for _, o := range objs {
		s.unforget(reflect.ValueOf(o).UnsafePointer())
	}
	return nil
}

// Delete schedules obj for DELETE. A StateNew object is simply forgotten. An
// untracked object with a primary key is attached and scheduled, unless
// another instance with its key is tracked (ErrIdentityConflict).
func (s *Session) Delete(obj any) error {
	if err := s.enter("Delete"); err != nil {
		return err
	}
	defer s.exit()
	m, p, err := s.resolve(obj)
	if err != nil {
		return err
	}
	if e := s.im.lookupPtr(p); e != nil {
		switch e.state {
		case StateNew:
			s.im.drop(e)
			s.rememberGone(p, "deleted before it was inserted")
		case StatePersistent:
			e.state = StateDeleted
			e.strong = p
		}
		return nil
	}
	id, err := s.detachedKey(m, p, "cannot delete a %s without a primary key")
	if err != nil {
		return err
	}
	if other := s.im.lookupID(id); other != nil {
		return fmt.Errorf("%w: %s key %v (delete the tracked instance)", ErrIdentityConflict, m.Name, id)
	}
	e, err := s.attach(m, p, id, StateDeleted)
	if err == nil {
		e.snapshot = takeSnapshot(m, p)
	}
	return err
}

// detachedKey is the key of an untracked object that Delete or MarkDirty
// attaches; noKey is the message (with the model's name) for an object
// without one.
func (s *Session) detachedKey(m *schema.Model, p unsafe.Pointer, noKey string) (identity, error) {
	id, keyed, err := keyOf(m, p)
	if err != nil {
		return identity{}, invalid("%v", err)
	}
	if !keyed {
		return identity{}, invalid(noKey, m.Name)
	}
	return id, nil
}

// attach tracks an untracked object under its key in state, unless another
// session tracks it.
func (s *Session) attach(m *schema.Model, p unsafe.Pointer, id identity, state ObjectState) (*entry, error) {
	if err := s.trackedElsewhere(m, p); err != nil {
		return nil, err
	}
	e := s.im.track(m, p, state)
	s.im.setID(e, id)
	return e, nil
}

// MarkDirty schedules obj for UPDATE. If obj is tracked, its changes are
// found by comparison at flush as always. If it is an untracked copy whose
// key the session tracks, its column values are copied into the tracked
// instance. If its key is not tracked, obj is attached as StatePersistent
// without a snapshot, so that the flush writes all its columns.
func (s *Session) MarkDirty(obj any) error {
	if err := s.enter("MarkDirty"); err != nil {
		return err
	}
	defer s.exit()
	m, p, err := s.resolve(obj)
	if err != nil {
		return err
	}
	if e := s.im.lookupPtr(p); e != nil {
		if e.state == StateDeleted {
			return invalid("%s is deleted", m.Name)
		}
		e.strong = p
		return nil
	}
	id, err := s.detachedKey(m, p, "MarkDirty of a %s without a primary key; use Add")
	if err != nil {
		return err
	}
	if e := s.im.lookupID(id); e != nil {
		if e.state == StateDeleted {
			return invalid("%s key %v is deleted", m.Name, id)
		}
		tp := e.ptr()
		for _, f := range m.Fields {
			f.Copy(tp, p)
		}
		e.strong = tp
		return nil
	}
	_, err = s.attach(m, p, id, StatePersistent)
	return err
}

// Expunge stops tracking obj; pending work for it is forgotten.
func (s *Session) Expunge(obj any) error {
	if err := s.enter("Expunge"); err != nil {
		return err
	}
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return err
	}
	if e := s.im.lookupPtr(p); e != nil {
		s.im.drop(e)
		if s.tx != nil {
			s.tx.forget(e)
		}
		s.rememberGone(p, "expunged")
	}
	return nil
}

// ExpungeAll stops tracking every object.
func (s *Session) ExpungeAll() {
	s.mustEnter("ExpungeAll")
	defer s.exit()
	s.expungeAll()
}

func (s *Session) expungeAll() {
	s.im.reset()
	s.im = newIdentityMap(s.cfg.WeakIdentityMap)
	s.im.session = s
	if s.tx != nil {
		s.tx.reset()
	}
}
