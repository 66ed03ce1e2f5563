package session

import (
	"slices"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Stitching the rows of a batch load to their parents. The parents' keys
// are numbered once (slots); each related row, as it is resolved through
// the identity map, is recorded as a (slot, object) pair; one counting
// pass then groups the pairs per slot in row order, and one pass over the
// parents sets their relations through schema.RelationPointers, without
// boxing an object or building a map per row.

// keyIndex numbers distinct normalised keys: the i-th key added has slot
// i. Single integer keys, the common case, live in a map of int64.
type keyIndex struct {
	ints  map[int64]int32
	other map[idKey]int32
	n     int32
}

func newKeyIndex(hint int) keyIndex {
	return keyIndex{ints: make(map[int64]int32, hint)}
}

// slot returns the slot of k.
func (ix *keyIndex) slot(k idKey) (int32, bool) {
	if k.kind == 1 {
		s, ok := ix.ints[k.n]
		return s, ok
	}
	s, ok := ix.other[k]
	return s, ok
}

// add returns the slot of k, numbering it when it is new.
func (ix *keyIndex) add(k idKey) (slot int32, added bool) {
	if s, ok := ix.slot(k); ok {
		return s, false
	}
	s := ix.n
	ix.n++
	if k.kind == 1 {
		ix.ints[k.n] = s
	} else {
		if ix.other == nil {
			ix.other = map[idKey]int32{}
		}
		ix.other[k] = s
	}
	return s, true
}

// parentKeys are the distinct keys of some columns over a batch of parents.
type parentKeys struct {
	ix    keyIndex
	slots []int32 // per parent: the slot of its key, -1 when it is NULL
	keys  []idKey // per slot
	width int     // columns per key
	// args holds the keys' values as query arguments, width per slot, in
	// slot order.
	args []any
}

// keysOf numbers the distinct non-NULL values of fs over the objects.
func keysOf(fs []*schema.Field, objs []unsafe.Pointer) *parentKeys {
	pk := &parentKeys{ix: newKeyIndex(len(objs)), slots: make([]int32, len(objs)), width: len(fs)}
	pk.args = make([]any, 0, len(objs)*len(fs))
	for i, p := range objs {
		k, args, ok := appendKey(fs, p, pk.args)
		if !ok {
			pk.slots[i] = -1
			continue
		}
		s, added := pk.ix.add(k)
		pk.slots[i] = s
		if added {
			pk.keys = append(pk.keys, k)
			pk.args = args
		}
	}
	return pk
}

// keyArgs returns the query arguments of slot s.
func (pk *parentKeys) keyArgs(s int32) []any {
	return pk.args[int(s)*pk.width : int(s+1)*pk.width]
}

// appendKey reads the values of fs in the object at p: their normalised
// key, and args with the values appended (as tupleKey returns them); ok is
// false, and args unchanged, when one of them is NULL.
func appendKey(fs []*schema.Field, p unsafe.Pointer, args []any) (idKey, []any, bool) {
	if len(fs) == 1 {
		if n, ok := fs[0].Int64(p); ok {
			return idKey{kind: 1, n: n}, append(args, n), true
		}
	}
	base := len(args)
	for _, f := range fs {
		v, err := f.Value(p)
		if err != nil || v == nil {
			return idKey{}, args[:base], false
		}
		args = append(args, v)
	}
	k, err := keyOfValues(args[base:])
	if err != nil {
		return idKey{}, args[:base], false
	}
	return k, args, true
}

// hit is one related row of a batch load: the slot of the parent key it
// belongs to, and the (tracked) object.
type hit struct {
	slot int32
	p    unsafe.Pointer
}

// groupHits groups hits per slot (n slots), keeping their order, in one
// shared backing array: the groups are the loader's scratch, copied by
// setLoaded.
func groupHits(hits []hit, n int32) [][]unsafe.Pointer {
	groups := make([][]unsafe.Pointer, n)
	if len(hits) == 0 {
		return groups
	}
	ends := make([]int32, n)
	for _, h := range hits {
		ends[h.slot]++
	}
	var off int32
	for s, c := range ends {
		off += c
		ends[s] = off
	}
	backing := make([]unsafe.Pointer, len(hits))
	var start int32
	for s, end := range ends {
		groups[s] = backing[start:start:end]
		start = end
	}
	for _, h := range hits {
		groups[h.slot] = append(groups[h.slot], h.p)
	}
	return groups
}

// setLoaded fills the relation rel of the object at p with items, as
// loaded from the database, and records them as its base when the session
// tracks p. The relation gets its own copy of items, and the base another
// (in the same allocation): either can change without the other.
func (s *Session) setLoaded(rel *schema.Relation, p unsafe.Pointer, items []unsafe.Pointer) {
	var mine, base []unsafe.Pointer
	if n := len(items); n > 0 {
		buf := make([]unsafe.Pointer, 2*n)
		copy(buf, items)
		copy(buf[n:], items)
		mine, base = buf[:n:n], buf[n:]
	}
	fv, err := rel.FieldValue(p)
	if err == nil {
		v := fv.Interface()
		rp, fast := v.(schema.RelationPointers)
		if po, ok := v.(interface{ HasPendingOps() bool }); ok && po.HasPendingOps() {
			// What the relation ends up holding is not items: read it back.
			fast = false
		}
		if fast {
			rp.SetRelatedPointers(mine)
			s.loadedRelationBase(rel, p, relBase{loaded: true, items: base})
			return
		}
	}
	rel.SetPointers(p, mine)
	s.loadedRelation(rel, p)
}

// overlayPendingParents moves, in the groups of a one-to-many load (children
// by the slot of their parent's key), the tracked children whose parent in
// the session differs from their row's: their foreign key was changed, or
// their many-to-one field was set, and not flushed yet. New children
// related to a loaded parent join its group.
func (s *Session) overlayPendingParents(rel *schema.Relation, ix *keyIndex, groups [][]unsafe.Pointer) {
	back := rel.Back
	var backIdx int
	if back != nil {
		backIdx = relIndex(back)
	}
	var scratch []unsafe.Pointer
	s.im.live(func(e *entry, cp unsafe.Pointer) {
		if e.model != rel.Target || e.state == StateDeleted {
			return
		}
		now, nowOK := keyOnly(rel.RemoteFields, cp)
		fkNow := now
		if back != nil && backIdx >= 0 && back.Loaded(cp) && !e.relClean(backIdx, cp) {
			scratch, _ = back.AppendPointers(cp, scratch[:0])
			nowOK = false
			if len(scratch) > 0 {
				if k, ok := keyOnly(rel.LocalFields, scratch[0]); ok {
					now, nowOK = k, true
				}
			}
		}
		var was idKey
		wasOK := false
		if e.state == StatePersistent && e.snapshot != nil {
			was, wasOK = keyOnly(rel.RemoteFields, e.snapshot)
		}
		if nowOK == wasOK && (!nowOK || now == was) {
			return
		}
		// The row may have been grouped by its row's key or by the
		// object's: take it out of every group but the session's.
		for _, k := range [2]idKey{was, fkNow} {
			if sl, ok := ix.slot(k); ok && (!nowOK || k != now) {
				groups[sl] = slices.DeleteFunc(groups[sl], func(x unsafe.Pointer) bool { return x == cp })
			}
		}
		if !nowOK {
			return
		}
		if sl, ok := ix.slot(now); ok && !slices.Contains(groups[sl], cp) {
			groups[sl] = append(groups[sl], cp)
		}
	})
}
