package session

import (
	"fmt"
	"maps"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// apply changes the session: new and attached objects are tracked, values
// laid over tracked instances, then relation fields set (collections
// first, then to-one relations, so that a to-one change can keep the
// other side's collection in step where no input set it).
func (g *merger) apply() error {
	s := g.s
	for _, it := range g.items {
		switch it.kind {
		case mergeNew:
			e := s.im.track(it.m, it.target, StateNew)
			if it.keyed {
				s.im.setID(e, it.id)
			}
		case mergeAttach:
			e := s.im.track(it.m, it.target, StatePersistent)
			s.im.setID(e, it.id)
		case mergeOnto:
			g.touch(it.m, it.target)
			overlay(it.m, it.target, it.vals)
		}
	}
	// Attached objects are taken to match their rows as given: what the
	// relations change below is a change.
	for _, it := range g.items {
		if it.kind == mergeAttach {
			if e := s.im.lookupPtr(it.target); e != nil && e.snapshot == nil {
				e.snapshot = takeSnapshot(it.m, it.target)
			}
		}
	}
	for _, toOne := range []bool{false, true} {
		for _, it := range g.items {
			if it.kind == mergeSelf {
				continue
			}
			for _, r := range it.m.Relations {
				if (r.Kind == schema.ManyToOne) != toOne {
					continue
				}
				objs, loaded := r.Objects(it.src)
				if !loaded {
					continue
				}
				merged := make([]unsafe.Pointer, 0, len(objs))
				seen := map[unsafe.Pointer]bool{}
				for _, o := range objs {
					t := g.memo[reflect.ValueOf(o).UnsafePointer()].target
					if !seen[t] {
						seen[t] = true
						merged = append(merged, t)
					}
				}
				if err := g.setRelation(it, r, merged); err != nil {
					return fmt.Errorf("Merge: %s.%s: %w", it.m.Name, r.Name, err)
				}
			}
		}
	}
	return nil
}

// setRelation sets the relation r of it's target to the merged objects,
// and, when the merge derives writes from relations (load, or a new
// target), what follows from it.
func (g *merger) setRelation(it *mergeItem, r *schema.Relation, merged []unsafe.Pointer) error {
	target := it.target
	derive := g.load || it.kind == mergeNew
	// What the target's relation held before: nothing for a new object,
	// unknown when the target is the input itself (attached).
	var prev []unsafe.Pointer
	prevLoaded := it.kind == mergeNew
	if it.kind == mergeOnto {
		var objs []any
		objs, prevLoaded = r.Objects(target)
		for _, o := range objs {
			prev = append(prev, reflect.ValueOf(o).UnsafePointer())
		}
	}
	g.touch(it.m, target)
	switch r.Kind {
	case schema.ManyToOne:
		return g.setToOne(it, r, merged, derive)
	case schema.OneToOne, schema.OneToMany:
		r.SetObjects(target, anys(r.Target, merged))
		if !derive {
			return nil
		}
		return g.syncChildren(r, target, merged, prev, prevLoaded)
	case schema.ManyToMany:
		if derive {
			if err := g.syncLinks(r, target, merged, prev); err != nil {
				return err
			}
		}
		r.SetObjects(target, anys(r.Target, merged))
	}
	return nil
}

// setToOne sets a many-to-one relation; with derive its foreign key
// follows the parent (the parent's key, or NULL for none). The loaded
// collections of the back_populates side are kept in step where no input
// set them.
func (g *merger) setToOne(it *mergeItem, r *schema.Relation, merged []unsafe.Pointer, derive bool) error {
	target := it.target
	var parent unsafe.Pointer
	if len(merged) > 0 {
		parent = merged[0]
	}
	old := g.parentBefore(r, target)
	if old != nil && g.s.im.lookupPtr(old) == nil {
		old = nil // an object given, not in the session: left alone
	}
	if derive {
		if parent != nil {
			if _, keyed, _ := keyOf(r.Target, parent); keyed {
				for i, fk := range r.LocalFields {
					v, err := r.RemoteFields[i].Value(parent)
					if err != nil {
						return err
					}
					if err := fk.Set(target, v); err != nil {
						return err
					}
				}
			}
			// A new parent's key is copied by the flush, which finds the
			// parent through the relation.
		} else {
			for _, fk := range r.LocalFields {
				if !fk.Nullable {
					return invalid("it holds no %s, but %s.%s is NOT NULL", r.Target.Name, it.m.Name, fk.Path)
				}
			}
			for _, fk := range r.LocalFields {
				fk.SetZero(target)
			}
		}
	}
	if parent == nil {
		r.SetObjects(target, nil)
	} else {
		r.SetObjects(target, anys(r.Target, merged[:1]))
	}
	if r.Back == nil {
		return nil
	}
	if old != nil && old != parent && !g.set[relSlot{old, r.Back}] {
		g.touch(r.Target, old)
		removeFromCollection(r.Back, old, target)
	}
	if parent != nil && !g.set[relSlot{parent, r.Back}] {
		g.touch(r.Target, parent)
		appendToCollection(r.Back, parent, target)
	}
	return nil
}

// parentBefore is the object a many-to-one relation of the object at p
// referenced before the merge: its loaded value, else the tracked object
// its foreign key (as before the merge) references.
func (g *merger) parentBefore(r *schema.Relation, p unsafe.Pointer) unsafe.Pointer {
	before := p
	if sv, ok := g.objs[p]; ok {
		before = sv.copy.UnsafePointer()
	}
	if objs, loaded := r.Objects(before); loaded {
		if len(objs) == 0 {
			return nil
		}
		return reflect.ValueOf(objs[0]).UnsafePointer()
	}
	if !schema.SameFields(r.RemoteFields, r.Target.PrimaryKey) {
		return nil
	}
	k, ok := keyOnly(r.LocalFields, before)
	if !ok {
		return nil
	}
	if e := g.s.im.lookupID(identity{r.Target, k}); e != nil {
		return e.ptr()
	}
	return nil
}

// syncChildren makes the children of a one-to-many (or one-to-one)
// collection follow its owner: their foreign keys take the owner's key
// (a new owner's key is copied by the flush), their loaded to-one relation
// the owner; children the collection held before and no longer holds let
// go of the owner (NULL), unless delete_orphan deletes them at the flush.
func (g *merger) syncChildren(r *schema.Relation, owner unsafe.Pointer, merged, prev []unsafe.Pointer, prevLoaded bool) error {
	ownerKey, ownerKeyed := keyOnly(r.LocalFields, owner)
	in := map[unsafe.Pointer]bool{}
	for _, c := range merged {
		in[c] = true
		if ownerKeyed {
			if ck, ok := keyOnly(r.RemoteFields, c); !ok || ck != ownerKey {
				g.touch(r.Target, c)
				for i, fk := range r.RemoteFields {
					v, err := r.LocalFields[i].Value(owner)
					if err != nil {
						return err
					}
					if err := fk.Set(c, v); err != nil {
						return err
					}
				}
			}
		}
		if r.Back != nil && !g.set[relSlot{c, r.Back}] {
			if old := g.parentBefore(r.Back, c); old != owner {
				if old != nil && g.s.im.lookupPtr(old) != nil && !g.set[relSlot{old, r}] {
					g.touch(r.Model, old)
					removeFromCollection(r, old, c)
				}
				if r.Back.Loaded(c) {
					g.touch(r.Target, c)
					r.Back.SetObjects(c, anys(r.Model, []unsafe.Pointer{owner}))
				}
			}
		}
	}
	if !prevLoaded || !ownerKeyed {
		return nil
	}
	for _, c := range prev {
		if in[c] {
			continue
		}
		if ck, ok := keyOnly(r.RemoteFields, c); !ok || ck != ownerKey {
			continue // already moved to another parent, or NULL
		}
		if r.DeleteOrphan {
			continue // the flush deletes the orphan
		}
		for _, fk := range r.RemoteFields {
			if !fk.Nullable {
				return invalid("the merged collection leaves out a %s whose %s is NOT NULL (delete it, or declare the relation delete_orphan)", r.Target.Name, fk.Path)
			}
		}
		g.touch(r.Target, c)
		for _, fk := range r.RemoteFields {
			fk.SetZero(c)
		}
		if r.Back != nil && !g.set[relSlot{c, r.Back}] && r.Back.Loaded(c) {
			r.Back.SetObjects(c, nil)
		}
	}
	return nil
}

// syncLinks records the link operations that make a many-to-many
// collection hold merged instead of prev (Link and Unlink, as
// RelateManyToMany does), and keeps the other side's loaded collections
// in step where no input set them.
func (g *merger) syncLinks(r *schema.Relation, owner unsafe.Pointer, merged, prev []unsafe.Pointer) error {
	fv, err := r.FieldValue(owner)
	if err != nil {
		return err
	}
	link, unlink := fv.MethodByName("Link"), fv.MethodByName("Unlink")
	if !link.IsValid() || !unlink.IsValid() {
		return fmt.Errorf("orm: %s.%s cannot record links", r.Model.Name, r.Name)
	}
	had := map[unsafe.Pointer]bool{}
	for _, p := range prev {
		had[p] = true
	}
	has := map[unsafe.Pointer]bool{}
	for _, p := range merged {
		has[p] = true
	}
	for _, p := range merged {
		if had[p] {
			continue
		}
		link.Call([]reflect.Value{reflect.NewAt(r.Target.Type, p)})
		if r.Back != nil && !g.set[relSlot{p, r.Back}] {
			g.touch(r.Target, p)
			appendToCollection(r.Back, p, owner)
		}
	}
	for _, p := range prev {
		if has[p] {
			continue
		}
		unlink.Call([]reflect.Value{reflect.NewAt(r.Target.Type, p)})
		if r.Back != nil && !g.set[relSlot{p, r.Back}] {
			g.touch(r.Target, p)
			removeFromCollection(r.Back, p, owner)
		}
	}
	return nil
}

// anys turns object addresses into *T values of model m.
func anys(m *schema.Model, ps []unsafe.Pointer) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = reflect.NewAt(m.Type, p).Interface()
	}
	return out
}

// touch saves the object at p (and its entry, when the session tracked it
// before the merge) the first time the merge changes it, and holds a
// tracked object strongly: it may now have changes to write.
func (g *merger) touch(m *schema.Model, p unsafe.Pointer) {
	if _, ok := g.objs[p]; !ok {
		c := reflect.New(m.Type)
		c.Elem().Set(reflect.NewAt(m.Type, p).Elem())
		g.objs[p] = savedObj{t: m.Type, copy: c}
		g.objOrder = append(g.objOrder, p)
	}
	e := g.s.im.lookupPtr(p)
	if e == nil {
		return
	}
	if _, ok := g.entries[e]; !ok && e.seq <= g.startSeq {
		sv := savedEntry{tracked: e.tracked, state: e.state, strong: e.strong, weakHeld: e.strong == nil,
			snapshot: e.snapshot, expired: e.expired, expiredCols: maps.Clone(e.expiredCols)}
		if e.snapshot != nil {
			sv.snapV = takeSnapshot(e.model, e.snapshot)
		}
		g.entries[e] = sv
	}
	e.strong = p
}

// undo puts the session and the objects given back as they were before
// the merge: objects tracked by it are forgotten, objects it changed get
// their values back, and so do the entries of the session.
func (g *merger) undo() {
	s := g.s
	for i := len(g.objOrder) - 1; i >= 0; i-- {
		p := g.objOrder[i]
		sv := g.objs[p]
		reflect.NewAt(sv.t, p).Elem().Set(sv.copy.Elem())
	}
	for _, e := range s.im.entries() {
		if e.seq > g.startSeq {
			s.im.drop(e)
			e.state = StateDetached
		}
	}
	for e, sv := range g.entries {
		if sv.tracked && !e.tracked {
			s.im.retrack(e) // a reload found its row gone
		}
		e.state, e.expired, e.expiredCols = sv.state, sv.expired, sv.expiredCols
		e.snapshot = sv.snapshot
		if sv.snapV != nil {
			overlay(e.model, e.snapshot, sv.snapV)
		}
		e.strong = sv.strong
		if sv.weakHeld {
			e.strong = nil
		}
	}
	if g.collsSaved {
		s.colls = g.colls
	}
}
