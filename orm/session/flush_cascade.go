package session

import (
	"context"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// cascadeTracked adds the untracked objects that the loaded relations of
// tracked objects hold (the save cascade, applied again at flush so that a
// Lazy set after Add is not lost).
func (s *Session) cascadeTracked() error {
	if s.im.withRel == 0 {
		return nil
	}
	var withRel []*entry
	s.im.live(func(e *entry, _ unsafe.Pointer) {
		if e.state != StateDeleted && len(e.model.Relations) > 0 {
			withRel = append(withRel, e)
		}
	})
	seen := map[unsafe.Pointer]bool{}
	var undo addUndo
	var buf []unsafe.Pointer // the related objects of one relation, reused
	for _, e := range withRel {
		p := e.ptr()
		if p == nil {
			continue
		}
		for _, r := range e.model.Relations {
			buf = relatedAndLinked(r, p, buf[:0])
			for _, op := range buf {
				// Only untracked objects: a tracked one (say, a child
				// deleted while its parent still holds it) keeps its state.
				if s.im.lookupPtr(op) != nil {
					continue
				}
				if !seen[op] {
					if err := s.refuseReached(r, e.model, r.Target, op, true); err != nil {
						undo.revert(&s.im)
						return err
					}
				}
				if err := s.add(r.Target, op, seen, &undo, false); err != nil {
					undo.revert(&s.im)
					return fmt.Errorf("%s.%s: %w", e.model.Name, r.Name, err)
				}
			}
		}
	}
	return nil
}

// relatedAndLinked appends to dst the objects the relation field r of the
// object at p holds (nil ones left out) and, for a many-to-many relation,
// the objects its pending Link calls name.
func relatedAndLinked(r *schema.Relation, p unsafe.Pointer, dst []unsafe.Pointer) []unsafe.Pointer {
	dst, _ = r.AppendPointers(p, dst)
	if r.Kind != schema.ManyToMany {
		return dst
	}
	if fv, err := r.FieldValue(p); err == nil {
		if lo, ok := fv.Interface().(schema.LinkOps); ok {
			linked, _ := lo.PendingLinks()
			for _, o := range linked {
				if op := reflect.ValueOf(o).UnsafePointer(); op != nil {
					dst = append(dst, op)
				}
			}
		}
	}
	return dst
}

// nullifyOp sets a nullable foreign key to NULL in every row that still
// references parents about to be deleted (children without cascade).
type nullifyOp struct {
	rel  *schema.Relation // one-to-many or one-to-one, declared on the parent
	keys [][]any          // the parents' referenced values
}

// collKey names one loaded collection, for delete_orphan bookkeeping.
type collKey struct {
	owner *entry
	rel   *schema.Relation
}

// recordCollection remembers the items of a delete_orphan collection as
// loaded, so that items later removed from it can be deleted.
func (s *Session) recordCollection(e *entry, rel *schema.Relation, p unsafe.Pointer) {
	if !rel.DeleteOrphan || e == nil {
		return
	}
	objs, loaded := rel.Objects(p)
	if !loaded {
		return
	}
	if s.colls == nil {
		s.colls = map[collKey][]unsafe.Pointer{}
	}
	items := make([]unsafe.Pointer, len(objs))
	for i, o := range objs {
		items[i] = reflect.ValueOf(o).UnsafePointer()
	}
	s.colls[collKey{e, rel}] = items
}

// cascade applies delete cascades before planning: orphans removed from
// delete_orphan collections are deleted; children of deleted parents are
// deleted (cascade_delete, loading unloaded ones), left to the database
// (passive_deletes, or an ON DELETE rule) or have their nullable foreign
// key set to NULL. Everything it changes is undone if the flush fails.
func (f *flusher) cascade(ctx context.Context) error {
	s := f.s
	if s.im.withRel == 0 {
		return nil // no tracked model has relations: nothing cascades
	}
	mark := func(e *entry) {
		if e.state == StatePersistent {
			f.cascaded = append(f.cascaded, cascaded{e: e, state: e.state, strong: e.strong})
			e.state = StateDeleted
			e.strong = e.ptr()
		}
	}
	for k, items := range s.colls {
		if !k.owner.tracked || k.owner.state == StateDeleted {
			continue
		}
		if !k.rel.Loaded(k.owner.ptr()) {
			// Unloaded since (expired): nothing was taken out of it.
			delete(s.colls, k)
			continue
		}
		cur := map[unsafe.Pointer]bool{}
		objs, _ := k.rel.Objects(k.owner.ptr())
		for _, o := range objs {
			cur[reflect.ValueOf(o).UnsafePointer()] = true
		}
		for _, it := range items {
			if !cur[it] && !reparented(k.rel, k.owner.ptr(), it) {
				if e := s.im.lookupPtr(it); e != nil {
					mark(e)
				}
			}
		}
	}
	var queue []*entry
	s.im.live(func(e *entry, _ unsafe.Pointer) {
		if e.state == StateDeleted {
			queue = append(queue, e)
		}
	})
	done := map[*entry]bool{}
	idx := childIndex{}
	// Level by level: the unloaded cascading collections of a level are
	// loaded with one query per relation (not one per parent), then the
	// level's children are marked and form the next level.
	for len(queue) > 0 {
		var level []*entry
		for _, e := range queue {
			if !done[e] {
				done[e] = true
				level = append(level, e)
			}
		}
		queue = nil
		var rels []*schema.Relation
		need := map[*schema.Relation][]unsafe.Pointer{}
		for _, e := range level {
			p := e.ptr()
			for _, rel := range e.model.Relations {
				if loadsToCascade(rel) && !rel.Loaded(p) {
					if need[rel] == nil {
						rels = append(rels, rel)
					}
					need[rel] = append(need[rel], p)
				}
			}
		}
		for _, rel := range rels {
			if _, err := s.loadRelation(ctx, rel, need[rel]); err != nil {
				return err
			}
		}
		for _, e := range level {
			queue = f.cascadeOne(e, mark, queue, idx)
		}
	}
	return nil
}

// onDeleteOf is the ON DELETE rule of the children's foreign key of a
// one-to-many or one-to-one relation ("" when none).
func onDeleteOf(rel *schema.Relation) string {
	if fk := rel.Target.ForeignKeyOf(rel.RemoteFields); fk != nil {
		return fk.OnDelete
	}
	return ""
}

// loadsToCascade reports whether deleting a parent deletes the children of
// rel through the session, which must load them first.
func loadsToCascade(rel *schema.Relation) bool {
	if rel.Kind != schema.OneToMany && rel.Kind != schema.OneToOne {
		return false
	}
	return rel.CascadeDelete && !rel.PassiveDeletes && onDeleteOf(rel) != "CASCADE"
}

// cascadeOne applies the delete rules of the relations of one deleted
// object, whose cascading collections are loaded; it returns queue with
// the children it deleted.
func (f *flusher) cascadeOne(e *entry, mark func(*entry), queue []*entry, idx childIndex) []*entry {
	s := f.s
	p := e.ptr()
	src := e.snapshot
	if src == nil {
		src = p
	}
	for _, rel := range e.model.Relations {
		if rel.Kind != schema.OneToMany && rel.Kind != schema.OneToOne {
			continue
		}
		onDelete := onDeleteOf(rel)
		dbHandles := onDelete == "CASCADE" || onDelete == "SET NULL" || onDelete == "SET DEFAULT"
		// The tracked children that still reference the parent (loaded
		// through its collection or otherwise); a child whose key was
		// changed to point at another parent keeps it.
		parentKey, keyed := keyOnly(rel.LocalFields, src)
		var children []*entry
		if keyed && (!rel.CascadeDelete || rel.PassiveDeletes || onDelete == "CASCADE") {
			children = idx.of(s, rel, parentKey)
		}
		switch {
		case rel.CascadeDelete && (rel.PassiveDeletes || onDelete == "CASCADE"):
			// The database deletes the rows; the tracked children leave
			// the session after the flush.
			f.pl.detach = append(f.pl.detach, children...)
		case rel.CascadeDelete:
			objs, _ := rel.Objects(p)
			for _, o := range objs {
				if ce := s.im.lookupPtr(reflect.ValueOf(o).UnsafePointer()); ce != nil {
					mark(ce)
					queue = append(queue, ce)
				}
			}
		case dbHandles:
			for _, ce := range children {
				if onDelete == "CASCADE" {
					f.pl.detach = append(f.pl.detach, ce)
					continue
				}
				// The database changes the key: the child is reloaded,
				// and its Lazy to the deleted parent is not loaded any
				// more.
				f.pl.expire = append(f.pl.expire, ce)
				f.letGo(ce.model, ce.ptr(), rel.RemoteFields, false)
			}
		default:
			nullable := true
			for _, rf := range rel.RemoteFields {
				nullable = nullable && rf.Nullable
			}
			if !nullable || onDelete != "" {
				continue // NOT NULL or RESTRICT/NO ACTION: the DELETE fails, atomically
			}
			// Tracked children let go of the parent in memory (an
			// UPDATE each); rows not tracked are set NULL in bulk.
			for _, ce := range children {
				op := ce.ptr()
				f.touch(&row{e: ce, p: op})
				for _, rf := range rel.RemoteFields {
					rf.SetZero(op)
				}
				f.letGo(ce.model, op, rel.RemoteFields, true)
			}
			vals := make([]any, len(rel.LocalFields))
			for i, lf := range rel.LocalFields {
				vals[i], _ = lf.Value(src)
			}
			f.addNullify(rel, vals)
		}
	}
	return queue
}

// childIndex maps, per relation, the current foreign-key values of the
// tracked objects of its target to those objects: built with one pass over
// the identity map the first time a relation needs it in a cascade.
type childIndex map[*schema.Relation]map[idKey][]*entry

// of returns the persistent tracked objects whose foreign key of rel
// currently references the parent key k.
func (idx childIndex) of(s *Session, rel *schema.Relation, k idKey) []*entry {
	m, ok := idx[rel]
	if !ok {
		m = map[idKey][]*entry{}
		s.im.live(func(e *entry, p unsafe.Pointer) {
			if e.model != rel.Target {
				return
			}
			if ck, ok := keyOnly(rel.RemoteFields, p); ok {
				m[ck] = append(m[ck], e)
			}
		})
		idx[rel] = m
	}
	var out []*entry
	for _, e := range m[k] {
		if e.tracked && e.state == StatePersistent {
			if ck, ok := keyOnly(rel.RemoteFields, e.ptr()); ok && ck == k {
				out = append(out, e)
			}
		}
	}
	return out
}

// reparented reports whether a child that left owner's collection rel was
// given another parent (through its back_populates Lazy, or its foreign
// key set to another parent's key): it is moved, not orphaned.
func reparented(rel *schema.Relation, owner, child unsafe.Pointer) bool {
	if rel.Back != nil {
		if objs, loaded := rel.Back.Objects(child); loaded && len(objs) > 0 {
			if reflect.ValueOf(objs[0]).UnsafePointer() != owner {
				return true
			}
		}
	}
	ck, ok := keyOnly(rel.RemoteFields, child)
	if !ok {
		return false // NULL: orphaned
	}
	ownerKey, keyed := keyOnly(rel.LocalFields, owner)
	return keyed && ck != ownerKey
}

// cascaded records a state the cascade changed, to undo it (or, with
// restore, a relation field it changed).
type cascaded struct {
	e       *entry
	state   ObjectState
	strong  unsafe.Pointer
	restore func()
}

// letGo updates the loaded to-one relations of the child at cp that go
// through the foreign-key fields fks, whose parent is being deleted: to
// "loaded, nil" when the cascade sets the key NULL in memory, to "not
// loaded" when the database changes the key (ON DELETE SET NULL / SET
// DEFAULT). A failed flush puts them back.
func (f *flusher) letGo(m *schema.Model, cp unsafe.Pointer, fks []*schema.Field, loadedNil bool) {
	for _, r := range m.Relations {
		if r.Kind != schema.ManyToOne || !schema.SameFields(r.LocalFields, fks) {
			continue
		}
		objs, loaded := r.Objects(cp)
		if !loaded {
			continue
		}
		f.cascaded = append(f.cascaded, cascaded{restore: func() { r.SetObjects(cp, objs) }})
		if loadedNil {
			r.SetObjects(cp, nil)
		} else if fv, err := r.FieldValue(cp); err == nil {
			if rs, ok := fv.Interface().(interface{ Reset() }); ok {
				rs.Reset()
			}
		}
	}
}

func (f *flusher) addNullify(rel *schema.Relation, keys []any) {
	for i := range f.pl.nullify {
		if f.pl.nullify[i].rel == rel {
			f.pl.nullify[i].keys = append(f.pl.nullify[i].keys, keys)
			return
		}
	}
	f.pl.nullify = append(f.pl.nullify, nullifyOp{rel: rel, keys: [][]any{keys}})
}

// undoCascade puts back the states the cascade changed.
func (f *flusher) undoCascade() {
	for i := len(f.cascaded) - 1; i >= 0; i-- {
		c := f.cascaded[i]
		if c.restore != nil {
			c.restore()
			continue
		}
		c.e.state, c.e.strong = c.state, c.strong
	}
	f.cascaded = nil
}
