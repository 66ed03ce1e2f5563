package session

import (
	"fmt"
	"slices"
	"unsafe"
	"weak"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Relation history: the session records, per tracked object and relation
// field, what the field held when the session last knew it to agree with
// the database (a load, or the end of a flush). At flush the difference
// between that base and what the field holds now becomes writes: a
// many-to-one field's new target is copied into the foreign-key columns,
// children added to or removed from a one-to-many collection get the
// parent's key or NULL, and a many-to-many collection's added and removed
// targets become link rows. See docs/relationships.md.

// relBase is what one relation field held at the last synchronisation.
type relBase struct {
	loaded bool
	items  []unsafe.Pointer
}

func (b relBase) first() unsafe.Pointer {
	if len(b.items) == 0 {
		return nil
	}
	return b.items[0]
}

func (b relBase) has(p unsafe.Pointer) bool { return slices.Contains(b.items, p) }

// relItems returns the objects the relation field r of the object at p
// holds, as pointers, and whether it is loaded.
func relItems(r *schema.Relation, p unsafe.Pointer) ([]unsafe.Pointer, bool) {
	items, loaded := r.AppendPointers(p, nil)
	if len(items) == 0 {
		return nil, loaded
	}
	return items, loaded
}

// base returns the recorded base of relation i of e ("not loaded" when
// nothing was recorded).
func (e *entry) base(i int) relBase {
	if e.rels == nil {
		return relBase{}
	}
	return e.rels[i]
}

// sameBase reports whether two bases hold the same objects: the order of a
// collection is not something a flush writes.
func sameBase(a, b relBase) bool {
	if a.loaded != b.loaded || len(a.items) != len(b.items) {
		return false
	}
	if slices.Equal(a.items, b.items) {
		return true
	}
	if len(a.items) <= 16 {
		for _, it := range a.items {
			if !slices.Contains(b.items, it) {
				return false
			}
		}
		return true
	}
	in := make(map[unsafe.Pointer]int, len(b.items))
	for _, it := range b.items {
		in[it]++
	}
	for _, it := range a.items {
		if in[it] == 0 {
			return false
		}
		in[it]--
	}
	return true
}

// setBase records b as the base of relation i of e; the previous bases are
// journalled first when a transaction is open, so that a rollback puts
// them back.
func (s *Session) setBase(e *entry, i int, b relBase) {
	if sameBase(e.base(i), b) {
		return
	}
	if s.tx != nil {
		s.tx.recordRels(e)
	}
	if e.rels == nil {
		e.rels = make([]relBase, len(e.model.Relations))
	}
	e.rels[i] = b
}

// syncBase records what relation i of the object at p holds now as its base.
func (s *Session) syncBase(e *entry, i int, p unsafe.Pointer) {
	items, loaded := relItems(e.model.Relations[i], p)
	s.setBase(e, i, relBase{loaded: loaded, items: items})
}

// syncAllBases records every relation of e as it stands now.
func (s *Session) syncAllBases(e *entry) {
	p := e.ptr()
	if p == nil {
		return
	}
	for i := range e.model.Relations {
		s.syncBase(e, i, p)
	}
}

// relIndex is the position of r among its model's relations.
func relIndex(r *schema.Relation) int {
	for i, x := range r.Model.Relations {
		if x == r {
			return i
		}
	}
	return -1
}

// loadedRelation records the base of a relation just loaded from the
// database on the tracked object at p.
func (s *Session) loadedRelation(rel *schema.Relation, p unsafe.Pointer) {
	e := s.im.lookupPtr(p)
	if e == nil || e.state == StateDeleted {
		return
	}
	if i := relIndex(rel); i >= 0 {
		s.syncBase(e, i, p)
	}
}

// loadedRelationBase is loadedRelation when the caller knows what the
// relation holds: b, which becomes the base as it is.
func (s *Session) loadedRelationBase(rel *schema.Relation, p unsafe.Pointer, b relBase) {
	e := s.im.lookupPtr(p)
	if e == nil || e.state == StateDeleted {
		return
	}
	if i := relIndex(rel); i >= 0 {
		s.setBase(e, i, b)
	}
}

// clean reports whether relation i of the object at p still holds its base.
func (e *entry) relClean(i int, p unsafe.Pointer) bool {
	items, loaded := relItems(e.model.Relations[i], p)
	return sameBase(e.base(i), relBase{loaded: loaded, items: items})
}

// unloadRelations marks the relation fields of e "not loaded" (all of them,
// or those named), except those holding changes not yet flushed: expiry
// must not lose what the user set.
func (s *Session) unloadRelations(e *entry, names map[string]bool) {
	p := e.ptr()
	if p == nil || len(e.model.Relations) == 0 {
		return
	}
	for i, r := range e.model.Relations {
		if names != nil && !names[r.Name] {
			continue
		}
		if !r.Loaded(p) || !e.relClean(i, p) {
			continue
		}
		if fv, err := r.FieldValue(p); err == nil {
			fv.Interface().(schema.RelationEditor).Unload()
		}
		s.setBase(e, i, relBase{})
	}
}

// expireEntry marks a persistent object's columns to reload and unloads its
// relations.
func (s *Session) expireEntry(e *entry) {
	e.expired, e.expiredCols = true, nil
	s.unloadRelations(e, nil)
}

// fkRefers reports whether the foreign-key fields of the child at cp hold
// the key of target (all NULL when target is nil). ok is false when target
// has no key yet.
func fkRefers(r *schema.Relation, cp, target unsafe.Pointer) (refers, ok bool) {
	cur, curOK := keyOnly(r.LocalFields, cp)
	if target == nil {
		return !curOK, true
	}
	tk, tOK := keyOnly(r.RemoteFields, target)
	if !tOK {
		return false, false
	}
	return curOK && cur == tk, true
}

// childRefers reports whether the child at cp of the one-to-many relation
// r references the parent at pp.
func childRefers(r *schema.Relation, pp, cp unsafe.Pointer) bool {
	pk, ok := keyOnly(r.LocalFields, pp)
	if !ok {
		return false
	}
	ck, ok := keyOnly(r.RemoteFields, cp)
	return ok && ck == pk
}

// copyFields sets the fields dst of the object at dp to the values of the
// fields src of the object at sp.
func copyFields(dst []*schema.Field, dp unsafe.Pointer, src []*schema.Field, sp unsafe.Pointer) error {
	for i, f := range dst {
		v, err := src[i].Value(sp)
		if err != nil {
			return err
		}
		if err := f.Set(dp, v); err != nil {
			return err
		}
	}
	return nil
}

// goneRec remembers an object that left the session in a way that makes
// inserting it again through a relation a mistake: deleted (flushed, or
// forgotten before its insert) or expunged.
type goneRec struct {
	w   weak.Pointer[byte]
	why string
}

// forgetGone records that the object of e left the session (why says how).
func (s *Session) rememberGone(p unsafe.Pointer, why string) {
	if p == nil {
		return
	}
	if s.gone == nil {
		s.gone = map[uintptr]goneRec{}
	}
	s.gone[uintptr(p)] = goneRec{w: weak.Make((*byte)(p)), why: why}
	if len(s.gone) > 4096 {
		for a, g := range s.gone {
			if g.w.Value() == nil {
				delete(s.gone, a)
			}
		}
	}
}

// goneReason reports why the object at p left the session, if it did.
func (s *Session) goneReason(p unsafe.Pointer) (string, bool) {
	g, ok := s.gone[uintptr(p)]
	if !ok {
		return "", false
	}
	if unsafe.Pointer(g.w.Value()) != p {
		delete(s.gone, uintptr(p))
		return "", false
	}
	return g.why, true
}

// unforget clears the record of an object the user adds again explicitly.
func (s *Session) unforget(p unsafe.Pointer) {
	if s.gone != nil {
		delete(s.gone, uintptr(p))
	}
}

// refuseReached checks an untracked object reached through the relation r
// before the save cascade adds it as new: an object this session deleted
// or expunged is never inserted again through a relation. At flush
// (attached is set: the object was put into a relation of an object the
// session already tracked), neither is one whose generated key is set: it
// came from the database through another session or a copy, and belongs
// in the session through Merge or Get. A graph given to Add may carry
// explicit keys (copying rows between databases, say): Add inserts them.
func (s *Session) refuseReached(r *schema.Relation, owner *schema.Model, m *schema.Model, p unsafe.Pointer, attached bool) error {
	if why, ok := s.goneReason(p); ok {
		return fmt.Errorf("%w: %s.%s holds a %s that was %s; remove it from the relation, or Add it again to insert it", ErrDetachedObject, owner.Name, r.Name, m.Name, why)
	}
	if ai := m.AutoIncrement; attached && ai != nil && !ai.IsZero(p) {
		key := "?"
		if id, ok, err := keyOf(m, p); err == nil && ok {
			if s.im.lookupID(id) != nil {
				return nil // another instance has the key: Add says so
			}
			key = id.String()
		}
		return fmt.Errorf("%w: %s.%s holds a %s with key %s that this session does not track; bring it in with Merge (or Get it) instead of inserting it again", ErrDetachedObject, owner.Name, r.Name, m.Name, key)
	}
	return nil
}

// dbParent is the tracked object that the many-to-one relation r of the
// child e references in the database (through the foreign key of its
// snapshot), or nil.
func (s *Session) dbParent(r *schema.Relation, e *entry) unsafe.Pointer {
	if !schema.SameFields(r.RemoteFields, r.Target.PrimaryKey) {
		return nil
	}
	src := e.snapshot
	if src == nil {
		src = e.ptr()
	}
	k, ok := keyOnly(r.LocalFields, src)
	if !ok {
		return nil
	}
	if pe := s.im.lookupID(identity{r.Target, k}); pe != nil {
		return pe.ptr()
	}
	return nil
}

// unwrittenRelations finds, before a rollback, the relation fields that
// hold no change of their own: loaded while their base is not, with
// contents the next flush would write nothing for. Those are a Lazy set to
// the target its foreign key names (or to nil with a NULL key), a
// one-to-many collection set to children that all reference the owner
// already, and a many-to-many collection set while not loaded (link rows
// are written from the differences with a loaded base, or from Link and
// Unlink). They show what the database held when they were set, which the
// rollback may change; restoreRelations and dropStaleRelations put them
// right afterwards. Fields holding a new or untracked object are changes
// (the flush inserts or links it) and are not listed.
func (s *Session) unwrittenRelations() map[*entry][]bool {
	var out map[*entry][]bool
	s.im.live(func(e *entry, p unsafe.Pointer) {
		if len(e.model.Relations) == 0 || e.state != StatePersistent {
			return
		}
		for i, r := range e.model.Relations {
			if e.base(i).loaded || !s.relUnwritten(r, p) {
				continue
			}
			if out == nil {
				out = map[*entry][]bool{}
			}
			if out[e] == nil {
				out[e] = make([]bool, len(e.model.Relations))
			}
			out[e][i] = true
		}
	})
	return out
}

// relUnwritten reports whether relation r of the persistent object at p is
// loaded with contents a flush compares with the rows only (its base not
// loaded) and finds nothing to write for.
func (s *Session) relUnwritten(r *schema.Relation, p unsafe.Pointer) bool {
	items, loaded := relItems(r, p)
	if !loaded {
		return false
	}
	for _, it := range items {
		if te := s.im.lookupPtr(it); te == nil || te.state != StatePersistent {
			return false
		}
	}
	switch r.Kind {
	case schema.ManyToOne:
		var cur unsafe.Pointer
		if len(items) > 0 {
			cur = items[0]
		}
		refers, ok := fkRefers(r, p, cur)
		return ok && refers
	case schema.OneToMany, schema.OneToOne:
		for _, c := range items {
			if !childRefers(r, p, c) {
				return false
			}
		}
		return true
	}
	return true
}

// dropStaleRelations runs after a rollback: each field unwrittenRelations
// listed that is still loaded while its base is not (restoreRelations did
// not put its base back) is unloaded, so that it is read again from the
// rows the rollback restored: a Lazy only when its foreign key no longer
// names its target, a collection always (which children reference the
// owner, or which link rows exist, may have changed under it).
func (s *Session) dropStaleRelations(unwritten map[*entry][]bool) {
	for e, rels := range unwritten {
		p := e.ptr()
		if p == nil || !e.tracked || e.state != StatePersistent {
			continue
		}
		for i, r := range e.model.Relations {
			if !rels[i] || e.base(i).loaded {
				continue
			}
			items, loaded := relItems(r, p)
			if !loaded {
				continue
			}
			if r.Kind == schema.ManyToOne {
				var cur unsafe.Pointer
				if len(items) > 0 {
					cur = items[0]
				}
				if refers, ok := fkRefers(r, p, cur); ok && refers {
					continue
				}
			}
			if fv, err := r.FieldValue(p); err == nil {
				fv.Interface().(schema.RelationEditor).Unload()
			}
		}
	}
}
