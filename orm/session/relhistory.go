package session

import (
	"fmt"
	"reflect"
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
	objs, loaded := relationObjects(r, p)
	if len(objs) == 0 {
		return nil, loaded
	}
	out := make([]unsafe.Pointer, 0, len(objs))
	for _, o := range objs {
		if op := reflect.ValueOf(o).UnsafePointer(); op != nil {
			out = append(out, op)
		}
	}
	return out, loaded
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
		if !isLoaded(r, p) || !e.relClean(i, p) {
			continue
		}
		if fv, err := relField(r, p); err == nil {
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

// relMove is a relation change the flush writes, kept to update the other
// side (back_populates) in memory once the flush succeeded.
type relMove struct {
	child    *entry
	rel      *schema.Relation // the many-to-one relation of the child
	from, to unsafe.Pointer   // old and new parent (nil: none)
}

// syncRelations turns the relation changes of tracked objects into column
// changes before the plan is built: a many-to-one field whose target
// changed sets the foreign key (the relation wins over a foreign-key field
// changed at the same time); children added to a loaded one-to-many
// collection take the parent's key, and children removed from one (not
// moved elsewhere) get NULL, or are deleted by delete_orphan, or fail the
// flush when the key is NOT NULL. Every column it changes is recorded for
// undo. It runs after the save cascade, so every object reached is tracked.
func (f *flusher) syncRelations() error {
	s := f.s
	if s.im.withRel == 0 {
		return nil
	}
	var owners []*entry
	s.im.live(func(e *entry, _ unsafe.Pointer) {
		if len(e.model.Relations) > 0 && e.state != StateDeleted {
			owners = append(owners, e)
		}
	})
	// assigned: children whose many-to-one field decided their parent.
	assigned := map[*entry]bool{}
	for _, e := range owners {
		if e.state != StatePersistent {
			continue
		}
		p := e.ptr()
		for i, r := range e.model.Relations {
			if r.Kind != schema.ManyToOne {
				continue
			}
			items, loaded := relItems(r, p)
			if !loaded {
				continue
			}
			var cur unsafe.Pointer
			if len(items) > 0 {
				cur = items[0]
			}
			b := e.base(i)
			var changed bool
			if b.loaded {
				changed = cur != b.first()
			} else {
				refers, ok := fkRefers(r, p, cur)
				changed = ok && !refers
			}
			if !changed {
				continue
			}
			from := s.dbParent(r, e)
			if b.loaded {
				from = b.first()
			}
			if cur == nil {
				if refers, _ := fkRefers(r, p, nil); !refers {
					for _, fk := range r.LocalFields {
						if !fk.Nullable {
							return fmt.Errorf("%w: %s.%s was set to nil but %s.%s is NOT NULL: relate it to another %s or delete the %s", ErrOrphan, e.model.Name, r.Name, e.model.Name, fk.Path, r.Target.Name, e.model.Name)
						}
					}
					f.touchEntry(e, p)
					for _, fk := range r.LocalFields {
						fk.SetZero(p)
					}
				}
				assigned[e] = true
				f.moves = append(f.moves, relMove{child: e, rel: r, from: from})
				continue
			}
			te := s.im.lookupPtr(cur)
			if te == nil {
				continue
			}
			switch te.state {
			case StateDeleted:
				return fmt.Errorf("%w: %s.%s holds a %s that is deleted in this session", ErrDetachedObject, e.model.Name, r.Name, r.Target.Name)
			case StateNew:
				// The flush copies the key it generates (linkParents). Until
				// then the key fields must not name another row (a key set by
				// hand to a parent deleted in this flush would make the
				// delete's ON DELETE rules take this object along).
				if refers, _ := fkRefers(r, p, nil); !refers {
					f.touchEntry(e, p)
					for _, fk := range r.LocalFields {
						fk.SetZero(p)
					}
				}
				assigned[e] = true
				f.moves = append(f.moves, relMove{child: e, rel: r, from: from, to: cur})
				continue
			}
			if refers, ok := fkRefers(r, p, cur); ok && !refers {
				f.touchEntry(e, p)
				if err := copyFields(r.LocalFields, p, r.RemoteFields, cur); err != nil {
					return fmt.Errorf("%s.%s: %w", e.model.Name, r.Name, err)
				}
			}
			assigned[e] = true
			f.moves = append(f.moves, relMove{child: e, rel: r, from: from, to: cur})
		}
	}
	// One-to-many collections: additions first, so that a child moved from
	// one loaded collection to another is not set NULL by the removal.
	type removal struct {
		parent *entry
		rel    *schema.Relation
		child  unsafe.Pointer
	}
	var removals []removal
	moved := map[*entry]bool{}
	for _, e := range owners {
		if e.state != StatePersistent {
			continue
		}
		p := e.ptr()
		for i, r := range e.model.Relations {
			if r.Kind != schema.OneToMany && r.Kind != schema.OneToOne {
				continue
			}
			items, loaded := relItems(r, p)
			if !loaded {
				continue
			}
			b := e.base(i)
			for _, c := range items {
				if b.loaded && b.has(c) {
					continue
				}
				ce := s.im.lookupPtr(c)
				if ce == nil || ce.state != StatePersistent {
					continue // new children take the key from the plan
				}
				moved[ce] = true
				if assigned[ce] {
					continue // the child's own many-to-one field decides
				}
				if !childRefers(r, p, c) {
					var from unsafe.Pointer
					if back := r.Back; back != nil {
						from = s.dbParent(back, ce)
					}
					f.touchEntry(ce, c)
					if err := copyFields(r.RemoteFields, c, r.LocalFields, p); err != nil {
						return fmt.Errorf("%s.%s: %w", e.model.Name, r.Name, err)
					}
					if back := r.Back; back != nil {
						f.moves = append(f.moves, relMove{child: ce, rel: back, from: from, to: p})
					}
				}
			}
			if !b.loaded {
				continue
			}
			for _, c := range b.items {
				if !slices.Contains(items, c) {
					removals = append(removals, removal{e, r, c})
				}
			}
		}
	}
	for _, rm := range removals {
		r, pp, c := rm.rel, rm.parent.ptr(), rm.child
		ce := s.im.lookupPtr(c)
		if ce == nil || ce.state != StatePersistent || moved[ce] || assigned[ce] {
			continue
		}
		if !childRefers(r, pp, c) {
			continue // its foreign key already names another parent
		}
		if r.DeleteOrphan {
			continue // deleted by the orphan cascade
		}
		for _, fk := range r.RemoteFields {
			if !fk.Nullable {
				return fmt.Errorf("%w: a %s was removed from %s.%s but %s.%s is NOT NULL: add it to another %s, delete it, or declare the relation delete_orphan", ErrOrphan, r.Target.Name, rm.parent.model.Name, r.Name, r.Target.Name, fk.Path, rm.parent.model.Name)
			}
		}
		f.touchEntry(ce, c)
		for _, fk := range r.RemoteFields {
			fk.SetZero(c)
		}
		if back := r.Back; back != nil {
			f.moves = append(f.moves, relMove{child: ce, rel: back, from: pp})
		}
	}
	return nil
}

// historyLinks returns the link operations that the loaded many-to-many
// collections of the tracked object e imply: targets added since the base
// are linked, targets removed are unlinked.
func historyLinks(e *entry, p unsafe.Pointer) []linkOp {
	if e.rels == nil {
		return nil
	}
	var ops []linkOp
	for i, r := range e.model.Relations {
		if r.Kind != schema.ManyToMany {
			continue
		}
		b := e.base(i)
		if !b.loaded {
			continue
		}
		items, loaded := relItems(r, p)
		if !loaded {
			continue
		}
		for _, t := range items {
			if !b.has(t) {
				ops = append(ops, linkOp{rel: r, owner: e, target: t})
			}
		}
		for _, t := range b.items {
			if !slices.Contains(items, t) {
				ops = append(ops, linkOp{rel: r, owner: e, target: t, unlink: true})
			}
		}
	}
	return ops
}

// afterFlushRelations brings the object graph in memory in line with what
// the flush wrote: deleted objects leave every loaded relation of tracked
// objects; back_populates sides of the relations the flush changed are
// kept in step; a loaded many-to-one field whose foreign key now names
// another row is unloaded; and every relation's base becomes what it holds.
func (s *Session) afterFlushRelations(f *flusher, deleted []*entry) {
	if s.im.withRel == 0 && len(deleted) == 0 {
		return
	}
	for _, mv := range f.moves {
		cp := mv.child.ptr()
		if cp == nil || !mv.child.tracked {
			continue
		}
		back := mv.rel.Back
		if mv.rel.Kind == schema.ManyToOne && isLoaded(mv.rel, cp) {
			// The many-to-one side already holds the new parent (it was
			// set, or this keeps it in step with a collection move).
			if cur, _ := relItems(mv.rel, cp); len(cur) == 0 || cur[0] != mv.to {
				var objs []any
				if mv.to != nil {
					objs = []any{reflect.NewAt(mv.rel.Target.Type, mv.to).Interface()}
				}
				setRelated(mv.rel, cp, objs)
			}
		}
		if back == nil {
			continue
		}
		if mv.from != nil && mv.from != mv.to {
			removeFromCollection(back, mv.from, cp)
		}
		if mv.to != nil {
			appendToCollection(back, mv.to, cp)
		}
	}
	if len(deleted) > 0 {
		s.dropFromRelations(deleted, true)
	}
	s.im.live(func(e *entry, p unsafe.Pointer) {
		if len(e.model.Relations) == 0 || e.state == StateDeleted {
			return
		}
		for i, r := range e.model.Relations {
			if r.Kind == schema.ManyToOne && isLoaded(r, p) {
				items, _ := relItems(r, p)
				var cur unsafe.Pointer
				if len(items) > 0 {
					cur = items[0]
				}
				if refers, ok := fkRefers(r, p, cur); ok && !refers {
					// The foreign key was changed and the field was not:
					// the field no longer says what the row holds.
					if fv, err := relField(r, p); err == nil {
						fv.Interface().(schema.RelationEditor).Unload()
					}
				}
			}
			s.syncBase(e, i, p)
		}
	})
}

// dropFromRelations takes the given objects (deleted, or made transient by a
// rollback) out of every loaded relation field of the tracked objects, and
// out of the relation bases.
func (s *Session) dropFromRelations(gone []*entry, journal bool) {
	byModel := map[*schema.Model]map[unsafe.Pointer]bool{}
	for _, e := range gone {
		p := e.ptr()
		if p == nil {
			continue
		}
		if byModel[e.model] == nil {
			byModel[e.model] = map[unsafe.Pointer]bool{}
		}
		byModel[e.model][p] = true
	}
	if len(byModel) == 0 {
		return
	}
	s.im.live(func(e *entry, p unsafe.Pointer) {
		for i, r := range e.model.Relations {
			ps := byModel[r.Target]
			if ps == nil {
				continue
			}
			items, loaded := relItems(r, p)
			if journal && s.tx != nil && (loaded && slices.ContainsFunc(items, func(it unsafe.Pointer) bool { return ps[it] }) ||
				slices.ContainsFunc(e.base(i).items, func(it unsafe.Pointer) bool { return ps[it] })) {
				// A rollback puts the object back where it was.
				s.tx.recordRels(e)
			}
			if loaded {
				for _, it := range items {
					if ps[it] {
						if fv, err := relField(r, p); err == nil {
							fv.Interface().(schema.RelationEditor).Remove(reflect.NewAt(r.Target.Type, it).Interface())
						}
					}
				}
			}
			if b := e.base(i); b.loaded {
				kept := b.items[:0:0]
				for _, it := range b.items {
					if !ps[it] {
						kept = append(kept, it)
					}
				}
				if len(kept) != len(b.items) {
					e.rels[i] = relBase{loaded: true, items: kept}
				}
			}
		}
	})
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
	if !sameFieldList(r.RemoteFields, r.Target.PrimaryKey) {
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
