package session

import (
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

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
	sy := relSync{f: f, assigned: map[*entry]bool{}, moved: map[*entry]bool{}}
	s.im.live(func(e *entry, _ unsafe.Pointer) {
		// Only persistent owners: new objects take their keys from the plan.
		if len(e.model.Relations) > 0 && e.state == StatePersistent {
			sy.owners = append(sy.owners, e)
		}
	})
	for _, e := range sy.owners {
		for i, r := range e.model.Relations {
			if r.Kind == schema.ManyToOne {
				if err := sy.manyToOne(e, i, r); err != nil {
					return err
				}
			}
		}
	}
	// One-to-many collections: additions first, so that a child moved from
	// one loaded collection to another is not set NULL by the removal.
	for _, e := range sy.owners {
		for i, r := range e.model.Relations {
			if r.Kind == schema.OneToMany || r.Kind == schema.OneToOne {
				if err := sy.collectionAdds(e, i, r); err != nil {
					return err
				}
			}
		}
	}
	for _, rm := range sy.removals {
		if err := sy.collectionRemoval(rm); err != nil {
			return err
		}
	}
	return nil
}

// relSync is one run of syncRelations.
type relSync struct {
	f      *flusher
	owners []*entry // persistent objects with relations
	// assigned: children whose many-to-one field decided their parent.
	assigned map[*entry]bool
	// moved: children added to a loaded collection.
	moved    map[*entry]bool
	removals []relRemoval
}

// relRemoval is a child no longer in a loaded collection of its parent.
type relRemoval struct {
	parent *entry
	rel    *schema.Relation
	child  unsafe.Pointer
}

// manyToOne handles a loaded many-to-one field of e (relation i, r) whose
// target is not the one it was loaded with: the foreign key follows it.
func (sy *relSync) manyToOne(e *entry, i int, r *schema.Relation) error {
	f, s, p := sy.f, sy.f.s, e.ptr()
	items, loaded := relItems(r, p)
	if !loaded {
		return nil
	}
	var cur unsafe.Pointer
	if len(items) > 0 {
		cur = items[0]
	}
	b := e.base(i)
	changed := cur != b.first()
	if !b.loaded {
		refers, ok := fkRefers(r, p, cur)
		changed = ok && !refers
	}
	if !changed {
		return nil
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
		sy.assign(e, r, from, nil)
		return nil
	}
	te := s.im.lookupPtr(cur)
	if te == nil {
		return nil
	}
	switch te.state {
	case StateDeleted:
		return fmt.Errorf("%w: %s.%s holds a %s that is deleted in this session", ErrDetachedObject, e.model.Name, r.Name, r.Target.Name)
	case StateNew:
		// The flush copies the key it generates (linkParents). Until then
		// the key fields must not name another row (a key set by hand to a
		// parent deleted in this flush would make the delete's ON DELETE
		// rules take this object along).
		if refers, _ := fkRefers(r, p, nil); !refers {
			f.touchEntry(e, p)
			for _, fk := range r.LocalFields {
				fk.SetZero(p)
			}
		}
		sy.assign(e, r, from, cur)
		return nil
	}
	if refers, ok := fkRefers(r, p, cur); ok && !refers {
		f.touchEntry(e, p)
		if err := copyFields(r.LocalFields, p, r.RemoteFields, cur); err != nil {
			return fmt.Errorf("%s.%s: %w", e.model.Name, r.Name, err)
		}
	}
	sy.assign(e, r, from, cur)
	return nil
}

// assign records that e's many-to-one relation r decided its parent.
func (sy *relSync) assign(e *entry, r *schema.Relation, from, to unsafe.Pointer) {
	sy.assigned[e] = true
	sy.f.pl.moves = append(sy.f.pl.moves, relMove{child: e, rel: r, from: from, to: to})
}

// collectionAdds gives the children added to e's loaded one-to-many
// collection (relation i, r) the parent's key, unless their own many-to-one
// field decided otherwise, and records the children no longer in it.
func (sy *relSync) collectionAdds(e *entry, i int, r *schema.Relation) error {
	f, s, p := sy.f, sy.f.s, e.ptr()
	items, loaded := relItems(r, p)
	if !loaded {
		return nil
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
		sy.moved[ce] = true
		if sy.assigned[ce] || childRefers(r, p, c) {
			continue // the child's own many-to-one field decides, or already refers
		}
		var from unsafe.Pointer
		if back := r.Back; back != nil {
			from = s.dbParent(back, ce)
		}
		f.touchEntry(ce, c)
		if err := copyFields(r.RemoteFields, c, r.LocalFields, p); err != nil {
			return fmt.Errorf("%s.%s: %w", e.model.Name, r.Name, err)
		}
		if back := r.Back; back != nil {
			f.pl.moves = append(f.pl.moves, relMove{child: ce, rel: back, from: from, to: p})
		}
	}
	if b.loaded {
		for _, c := range b.items {
			if !slices.Contains(items, c) {
				sy.removals = append(sy.removals, relRemoval{e, r, c})
			}
		}
	}
	return nil
}

// collectionRemoval sets NULL the foreign key of a child removed from a
// loaded collection and not moved elsewhere: delete_orphan deletes it
// instead, and a NOT NULL key is ErrOrphan.
func (sy *relSync) collectionRemoval(rm relRemoval) error {
	f := sy.f
	r, pp, c := rm.rel, rm.parent.ptr(), rm.child
	ce := f.s.im.lookupPtr(c)
	if ce == nil || ce.state != StatePersistent || sy.moved[ce] || sy.assigned[ce] {
		return nil
	}
	if !childRefers(r, pp, c) || r.DeleteOrphan {
		// Its foreign key already names another parent, or the orphan
		// cascade deletes it.
		return nil
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
		f.pl.moves = append(f.pl.moves, relMove{child: ce, rel: back, from: pp})
	}
	return nil
}

// afterFlushRelations brings the object graph in memory in line with what
// the flush wrote: deleted objects leave every loaded relation of tracked
// objects; back_populates sides of the relations the flush changed are
// kept in step; a loaded many-to-one field whose foreign key now names
// another row is unloaded; and every relation's base becomes what it holds.
func (s *Session) afterFlushRelations(pl *plan, deleted []*entry) {
	if s.im.withRel == 0 && len(deleted) == 0 {
		return
	}
	for _, mv := range pl.moves {
		cp := mv.child.ptr()
		if cp == nil || !mv.child.tracked {
			continue
		}
		back := mv.rel.Back
		if mv.rel.Kind == schema.ManyToOne && mv.rel.Loaded(cp) {
			// The many-to-one side already holds the new parent (it was
			// set, or this keeps it in step with a collection move).
			if cur, _ := relItems(mv.rel, cp); len(cur) == 0 || cur[0] != mv.to {
				var objs []any
				if mv.to != nil {
					objs = []any{reflect.NewAt(mv.rel.Target.Type, mv.to).Interface()}
				}
				mv.rel.SetObjects(cp, objs)
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
			if r.Kind == schema.ManyToOne && r.Loaded(p) {
				items, _ := relItems(r, p)
				var cur unsafe.Pointer
				if len(items) > 0 {
					cur = items[0]
				}
				if refers, ok := fkRefers(r, p, cur); ok && !refers {
					// The foreign key was changed and the field was not:
					// the field no longer says what the row holds.
					if fv, err := r.FieldValue(p); err == nil {
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
						if fv, err := r.FieldValue(p); err == nil {
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
