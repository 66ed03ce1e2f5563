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
				objs, loaded := r.Objects(it.src)
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
			if fv, err := r.FieldValue(it.vals); err == nil {
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
			if r.Kind == schema.ManyToOne || r.Loaded(it.target) {
				continue
			}
			if _, loaded := r.Objects(it.src); !loaded {
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
