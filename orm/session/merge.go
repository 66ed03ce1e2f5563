package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Merge brings the state of obj into the session and returns the tracked
// instance for its key:
//   - key already tracked: obj's column values are copied onto the tracked
//     instance, which is returned (no SQL);
//   - not tracked and load: the row is loaded, obj's values are laid over
//     it, and the loaded instance is returned (dirty in the columns that
//     differ);
//   - no key, or load and no row: obj is added as New and returned.
//
// Without load (see MergeWithoutLoad) an untracked obj with a key is
// attached as Persistent and clean, taken to match its row. An obj that
// another session tracks is never attached itself: a copy of its column
// values takes its place in all of the above. An obj that this session
// tracks is returned as it is.
//
// Merge cascades along the loaded relations of obj (SQLAlchemy's default
// "merge" cascade): every object they hold is merged by the same rules,
// and the relation fields of the returned instances hold the merged,
// tracked instances, never the objects given. A relation that is not
// loaded on the object given leaves the tracked instance's relation as it
// is. A graph with cycles (back_populates both ways) is merged once per
// object, so a whole graph (from another session, or decoded from JSON)
// is merged in one call. With load, a loaded relation of the input is the
// whole relation, as in SQLAlchemy: the tracked instance's collection is
// loaded first (one query per relation and level) and then replaced, the
// merged children's foreign keys follow their parent, children left out
// of a one-to-many collection have their foreign key set to NULL (or are
// deleted by delete_orphan; a NOT NULL key is an error), and many-to-many
// link rows are added and removed to match. Without load nothing is
// derived from relations (SQLAlchemy's load=False keeps no history): the
// tracked instances' relation fields are set and nothing else, except that
// a new object's many-to-many items are linked.
//
// With load and AutoFlush, pending changes are flushed before the first
// statement Merge sends (none when every key is already tracked); that
// flush stays when the merge then fails. Merge is otherwise all or
// nothing: when any object of the graph fails (a key deleted in this
// session is ErrNotPersistent), the session and the objects given are left
// as they were.
func Merge[T any](ctx context.Context, s *Session, obj *T, load bool) (*T, error) {
	if err := s.enter("Merge"); err != nil {
		return nil, err
	}
	defer s.exit()
	return mergeObj(ctx, s, obj, load)
}

// mergeObj is Merge without the guard.
func mergeObj[T any](ctx context.Context, s *Session, obj *T, load bool) (*T, error) {
	m, p, err := s.resolve(obj)
	if err != nil {
		return nil, err
	}
	out, err := s.merge(ctx, m, p, load)
	if err != nil {
		return nil, err
	}
	return (*T)(out), nil
}

// MergeWithoutLoad is Merge with load false: no SQL is sent.
func MergeWithoutLoad[T any](ctx context.Context, s *Session, obj *T) (*T, error) {
	if err := s.enter("MergeWithoutLoad"); err != nil {
		return nil, err
	}
	defer s.exit()
	return mergeObj(ctx, s, obj, false)
}

// overlay copies every column of src onto dst.
func overlay(m *schema.Model, dst, src unsafe.Pointer) {
	for _, f := range m.Fields {
		f.Copy(dst, src)
	}
}

// mergeKind is what Merge does with one object of the graph.
type mergeKind uint8

const (
	mergeSelf   mergeKind = iota // tracked by this session: returned as is
	mergeOnto                    // its values laid over the tracked instance of its key
	mergeAttach                  // without load: attached, Persistent and clean
	mergeNew                     // added as New
)

// mergeItem is one object of the graph being merged.
type mergeItem struct {
	m *schema.Model
	// src is the object given: its relations are read from it. vals is
	// where its column values are read: src, or a copy of it when another
	// session tracks it.
	src, vals unsafe.Pointer
	// target is the tracked instance that stands for it.
	target unsafe.Pointer
	kind   mergeKind
	id     identity
	keyed  bool
}

// relSlot is one relation field of one object.
type relSlot struct {
	p   unsafe.Pointer
	rel *schema.Relation
}

// merger runs one Merge: resolve finds (or loads) the target of every
// object of the graph without changing anything but the loads, apply then
// changes the session, and undo puts back everything when a step fails.
type merger struct {
	s    *Session
	ctx  context.Context
	load bool
	// auto: flush before the first statement (AutoFlush was on).
	auto, flushed bool
	memo          map[unsafe.Pointer]*mergeItem // by object given
	byKey         map[identity]*mergeItem
	items         []*mergeItem
	// set are the relation fields set from an input: a change on the
	// other side of a back_populates pair does not touch them.
	set map[relSlot]bool

	// Undo: entries tracked since startSeq are dropped; saved objects and
	// entries are put back; colls is the delete_orphan bookkeeping.
	startSeq   uint64
	objs       map[unsafe.Pointer]savedObj
	objOrder   []unsafe.Pointer
	entries    map[*entry]savedEntry
	colls      map[collKey][]unsafe.Pointer
	collsSaved bool
}

type savedObj struct {
	t    reflect.Type
	copy reflect.Value // a *T holding the values before the merge
}

type savedEntry struct {
	tracked         bool
	state           ObjectState
	strong          unsafe.Pointer
	weakHeld        bool
	snapshot, snapV unsafe.Pointer // the snapshot and a copy of its values
	expired         bool
	expiredCols     map[string]bool
}

func (s *Session) merge(ctx context.Context, m *schema.Model, p unsafe.Pointer, load bool) (unsafe.Pointer, error) {
	if s.im.lookupPtr(p) != nil {
		return p, nil
	}
	g := &merger{
		s: s, ctx: ctx, load: load, auto: s.autoFlushing(),
		memo: map[unsafe.Pointer]*mergeItem{}, byKey: map[identity]*mergeItem{},
		set: map[relSlot]bool{}, startSeq: s.im.seq,
		objs: map[unsafe.Pointer]savedObj{}, entries: map[*entry]savedEntry{},
	}
	// The loads of the merge do not flush (the one flush it needs runs
	// before its first statement, see beforeSQL), and they read on the
	// primary: the merged values will be written over those rows.
	s.noAutoFlush++
	s.forWrite++
	defer func() { s.noAutoFlush--; s.forWrite-- }()
	root, err := g.resolveGraph(m, p)
	if err == nil {
		err = g.apply()
	}
	if err != nil {
		g.undo()
		return nil, err
	}
	return root.target, nil
}

// beforeSQL flushes pending changes once, before the merge's first
// statement, when AutoFlush was on. Nothing has been changed by the merge
// at that point, so the flush writes only what was pending before it.
func (g *merger) beforeSQL() error {
	if !g.auto || g.flushed {
		return nil
	}
	g.flushed = true
	if err := g.s.flush(g.ctx); err != nil {
		return err
	}
	g.startSeq = g.s.im.seq
	return nil
}

// resolveGraph resolves the object at p and, level by level, every object
// its loaded relations reach. With load, the to-many relations of
// persistent targets are loaded (one query per relation and level) before
// their children are resolved, which then are found in the identity map.
func (g *merger) resolveGraph(m *schema.Model, p unsafe.Pointer) (*mergeItem, error) {
	root, err := g.resolve(m, p)
	if err != nil {
		return nil, err
	}
	level := []*mergeItem{root}
	for len(level) > 0 {
		if g.load {
			if err := g.loadCollections(level); err != nil {
				return nil, err
			}
		}
		var next []*mergeItem
		for _, it := range level {
			if it.kind == mergeSelf {
				continue
			}
			for _, r := range it.m.Relations {
				objs, loaded := relationObjects(r, it.src)
				if !loaded {
					continue
				}
				g.set[relSlot{it.target, r}] = true
				for i, o := range objs {
					op := reflect.ValueOf(o).UnsafePointer()
					if op == nil {
						return nil, invalid("Merge: %s.%s holds a nil %s at index %d", it.m.Name, r.Name, r.Target.Name, i)
					}
					if g.memo[op] != nil {
						continue
					}
					c, err := g.resolve(r.Target, op)
					if err != nil {
						return nil, fmt.Errorf("%s.%s: %w", it.m.Name, r.Name, err)
					}
					next = append(next, c)
				}
			}
		}
		level = next
	}
	return root, nil
}

// resolve finds the target of one object: the object itself when this
// session tracks it, the tracked instance of its key (reloaded first when
// expired), the row loaded (load), or the object (a copy of it when
// another session tracks it) to attach or add. Only loads change the
// session here.
func (g *merger) resolve(m *schema.Model, src unsafe.Pointer) (*mergeItem, error) {
	s := g.s
	it := &mergeItem{m: m, src: src, vals: src}
	g.memo[src] = it
	if s.im.lookupPtr(src) != nil {
		it.kind, it.target = mergeSelf, src
		return it, nil
	}
	if trackedElsewhere(uintptr(src), s.im.tag) {
		// Another session tracks it: this one works on a copy of its
		// column values, so that no object is tracked twice. The copy's
		// relations start not loaded; they are set from src's.
		it.vals = takeSnapshot(m, src)
		for _, r := range m.Relations {
			if fv, err := relField(r, it.vals); err == nil {
				fv.Elem().SetZero()
			}
		}
	}
	id, keyed, err := keyOf(m, it.vals)
	if err != nil {
		return nil, invalid("%v", err)
	}
	it.id, it.keyed = id, keyed
	g.items = append(g.items, it)
	if !keyed {
		it.kind, it.target = mergeNew, it.vals
		return it, nil
	}
	if first := g.byKey[id]; first != nil {
		// Another object of the graph with the same key: both merge
		// into one instance, in graph order.
		it.kind, it.target = mergeOnto, first.target
		return it, nil
	}
	g.byKey[id] = it
	if e := s.im.lookupID(id); e != nil {
		if e.state == StateDeleted {
			return nil, fmt.Errorf("%w: Merge of %s %v, which is deleted in this session", ErrNotPersistent, m.Name, id)
		}
		if e.expired {
			if err := g.beforeSQL(); err != nil {
				return nil, err
			}
			g.touch(m, e.ptr())
			if err := s.reloadExpired(g.ctx, e); err != nil {
				return nil, err
			}
		}
		it.kind, it.target = mergeOnto, e.ptr()
		return it, nil
	}
	if !g.load {
		it.kind, it.target = mergeAttach, it.vals
		return it, nil
	}
	if err := g.beforeSQL(); err != nil {
		return nil, err
	}
	pks := make([]any, len(m.PrimaryKey))
	for i, f := range m.PrimaryKey {
		pks[i], _ = f.Value(it.vals)
	}
	tp, err := s.get(g.ctx, m, GetOptions{}, pks)
	switch {
	case errors.Is(err, ErrNotFound):
		it.kind, it.target = mergeNew, it.vals
	case err != nil:
		return nil, err
	default:
		it.kind, it.target = mergeOnto, tp
	}
	return it, nil
}

// loadCollections loads, for the persistent targets of a level, the
// to-many (and one-to-one) relations that their inputs hold loaded, so
// that the merge knows what the database relates to them before it
// replaces the collections.
func (g *merger) loadCollections(level []*mergeItem) error {
	var rels []*schema.Relation
	need := map[*schema.Relation][]unsafe.Pointer{}
	for _, it := range level {
		if it.kind != mergeOnto {
			continue
		}
		e := g.s.im.lookupPtr(it.target)
		if e == nil || e.state != StatePersistent {
			continue
		}
		for _, r := range it.m.Relations {
			if r.Kind == schema.ManyToOne || isLoaded(r, it.target) {
				continue
			}
			if _, loaded := relationObjects(r, it.src); !loaded {
				continue
			}
			if need[r] == nil {
				rels = append(rels, r)
			}
			need[r] = append(need[r], it.target)
		}
	}
	if len(rels) == 0 {
		return nil
	}
	if err := g.beforeSQL(); err != nil {
		return err
	}
	if !g.collsSaved {
		g.colls, g.collsSaved = maps.Clone(g.s.colls), true
	}
	for _, r := range rels {
		for _, p := range need[r] {
			g.touch(r.Model, p)
		}
		if _, err := g.s.loadRelation(g.ctx, r, need[r]); err != nil {
			return err
		}
	}
	return nil
}

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
				objs, loaded := relationObjects(r, it.src)
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
		objs, prevLoaded = relationObjects(r, target)
		for _, o := range objs {
			prev = append(prev, reflect.ValueOf(o).UnsafePointer())
		}
	}
	g.touch(it.m, target)
	switch r.Kind {
	case schema.ManyToOne:
		return g.setToOne(it, r, merged, derive)
	case schema.OneToOne, schema.OneToMany:
		setRelated(r, target, anys(r.Target, merged))
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
		setRelated(r, target, anys(r.Target, merged))
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
		setRelated(r, target, nil)
	} else {
		setRelated(r, target, anys(r.Target, merged[:1]))
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
	if objs, loaded := relationObjects(r, before); loaded {
		if len(objs) == 0 {
			return nil
		}
		return reflect.ValueOf(objs[0]).UnsafePointer()
	}
	if !sameFieldList(r.RemoteFields, r.Target.PrimaryKey) {
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
				if isLoaded(r.Back, c) {
					g.touch(r.Target, c)
					setRelated(r.Back, c, anys(r.Model, []unsafe.Pointer{owner}))
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
		if r.Back != nil && !g.set[relSlot{c, r.Back}] && isLoaded(r.Back, c) {
			setRelated(r.Back, c, nil)
		}
	}
	return nil
}

// syncLinks records the link operations that make a many-to-many
// collection hold merged instead of prev (Link and Unlink, as
// RelateManyToMany does), and keeps the other side's loaded collections
// in step where no input set them.
func (g *merger) syncLinks(r *schema.Relation, owner unsafe.Pointer, merged, prev []unsafe.Pointer) error {
	fv, err := relField(r, owner)
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
