package relations

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// RelatedMany holds the related objects of a to-many relation once they are
// loaded. The zero value is "not loaded".
type RelatedMany[T any] struct {
	items  []*T
	loaded bool
	// ops are Link/Unlink calls not yet written by a flush.
	ops []linkOp[T]
}

type linkOp[T any] struct {
	obj    *T
	unlink bool
	seq    uint64 // from linkSeq
}

// linkSeq numbers the Link and Unlink calls of every collection, so that a
// flush can put the calls made on the two sides of a pair in order.
var linkSeq atomic.Uint64

// Get returns the related objects and whether the relation is loaded. A
// loaded relation without related rows returns an empty, non-nil slice.
func (r *RelatedMany[T]) Get() ([]*T, bool) { return r.items, r.loaded }

// Items returns the loaded objects, or nil when the relation is not loaded.
func (r *RelatedMany[T]) Items() []*T { return r.items }

// Len returns the number of loaded objects.
func (r *RelatedMany[T]) Len() int { return len(r.items) }

// IsLoaded reports whether the relation has been loaded or set.
func (r *RelatedMany[T]) IsLoaded() bool { return r.loaded }

// Set replaces the loaded objects and marks the relation loaded. On an
// object a session tracks, the next flush writes the difference from what
// the collection held when it was loaded: added children take the owner's
// key, removed ones get NULL (or are deleted under delete_orphan), and a
// many-to-many collection's link rows are inserted and deleted to match.
func (r *RelatedMany[T]) Set(items []*T) {
	if items == nil {
		items = []*T{}
	}
	r.items, r.loaded = items, true
}

// Reset forgets the loaded objects; the relation is "not loaded" again.
func (r *RelatedMany[T]) Reset() { r.items, r.loaded = nil, false }

// RelationShape implements schema.RelationField.
func (*RelatedMany[T]) RelationShape() schema.Shape { return schema.ToMany }

// RelationTarget implements schema.RelationField.
func (*RelatedMany[T]) RelationTarget() reflect.Type { return reflect.TypeFor[T]() }

// RelatedObjects implements schema.RelationValue.
func (r *RelatedMany[T]) RelatedObjects() ([]any, bool) {
	out := make([]any, len(r.items))
	for i, it := range r.items {
		out[i] = it
	}
	return out, r.loaded
}

// SetRelated implements schema.RelationSetter. Link and Unlink calls not
// yet flushed stay visible: unlinked objects are left out of the loaded
// items and linked ones added.
func (r *RelatedMany[T]) SetRelated(objs []any) {
	items := make([]*T, 0, len(objs))
	link, unlink := r.PendingLinks()
	for _, o := range objs {
		t := o.(*T)
		if !containsAny(unlink, t) {
			items = append(items, t)
		}
	}
	for _, o := range link {
		if t := o.(*T); !contains(items, t) {
			items = append(items, t)
		}
	}
	r.items, r.loaded = items, true
}

// AppendRelatedPointers implements schema.RelationPointers: the addresses
// of the loaded items, appended to dst.
func (r *RelatedMany[T]) AppendRelatedPointers(dst []unsafe.Pointer) ([]unsafe.Pointer, bool) {
	dst = slices.Grow(dst, len(r.items)) // one allocation, not one per doubling
	for _, it := range r.items {
		if it != nil {
			dst = append(dst, unsafe.Pointer(it))
		}
	}
	return dst, r.loaded
}

// SetRelatedPointers implements schema.RelationPointers: SetRelated for
// addresses of T values. Without pending Link or Unlink calls the
// collection keeps ptrs as its items, without a copy.
func (r *RelatedMany[T]) SetRelatedPointers(ptrs []unsafe.Pointer) {
	if len(r.ops) > 0 {
		objs := make([]any, len(ptrs))
		for i, p := range ptrs {
			objs[i] = (*T)(p)
		}
		r.SetRelated(objs)
		return
	}
	if len(ptrs) == 0 {
		r.items, r.loaded = []*T{}, true
		return
	}
	// *T and unsafe.Pointer have the same representation.
	r.items, r.loaded = unsafe.Slice((**T)(unsafe.Pointer(unsafe.SliceData(ptrs))), len(ptrs)), true
}

func containsAny[T any](objs []any, obj *T) bool {
	for _, o := range objs {
		if o.(*T) == obj {
			return true
		}
	}
	return false
}

// Link relates obj to the owner of this many-to-many collection: it is
// appended to the loaded items (if loaded) and its link row is written by
// the next flush, after both ends exist. Linking an object already linked
// (or pending) does nothing.
func (r *RelatedMany[T]) Link(obj *T) {
	if obj == nil {
		return
	}
	if r.loaded && !contains(r.items, obj) {
		r.items = append(r.items, obj)
	}
	r.ops = append(r.ops, linkOp[T]{obj: obj, seq: linkSeq.Add(1)})
}

// Unlink removes obj from the collection: it leaves the loaded items and
// its link row is deleted by the next flush. A Link and an Unlink of the
// same object before a flush cancel out.
func (r *RelatedMany[T]) Unlink(obj *T) {
	if obj == nil {
		return
	}
	if r.loaded {
		for i, it := range r.items {
			if it == obj {
				r.items = append(r.items[:i:i], r.items[i+1:]...)
				break
			}
		}
	}
	r.ops = append(r.ops, linkOp[T]{obj: obj, unlink: true, seq: linkSeq.Add(1)})
}

// HasPendingOps reports whether Link or Unlink calls wait for a flush.
func (r *RelatedMany[T]) HasPendingOps() bool { return len(r.ops) > 0 }

// PendingLinks implements schema.LinkOps: the net operations, where a link
// followed by an unlink of the same object (or the reverse) cancel out.
func (r *RelatedMany[T]) PendingLinks() (link, unlink []any) {
	net := map[*T]int{}
	var order []*T
	for _, op := range r.ops {
		if _, seen := net[op.obj]; !seen {
			order = append(order, op.obj)
		}
		if op.unlink {
			net[op.obj]--
		} else {
			net[op.obj]++
		}
	}
	for _, o := range order {
		switch {
		case net[o] > 0:
			link = append(link, o)
		case net[o] < 0:
			unlink = append(unlink, o)
		}
	}
	return link, unlink
}

// LinkCalls returns the Link and Unlink calls not yet flushed, in the order
// they were made: the object of each, whether it was an Unlink, and its
// sequence number, which orders the calls of all collections (a flush
// merges the calls made on the two sides of a pair by it).
func (r *RelatedMany[T]) LinkCalls() (objs []any, unlink []bool, seq []uint64) {
	for _, op := range r.ops {
		objs = append(objs, op.obj)
		unlink = append(unlink, op.unlink)
		seq = append(seq, op.seq)
	}
	return objs, unlink, seq
}

// ClearPending implements schema.LinkOps.
func (r *RelatedMany[T]) ClearPending() { r.ops = nil }

func contains[T any](items []*T, obj *T) bool {
	for _, it := range items {
		if it == obj {
			return true
		}
	}
	return false
}

// Unload implements schema.RelationEditor. Pending Link/Unlink calls stay.
func (r *RelatedMany[T]) Unload() { r.items, r.loaded = nil, false }

// Remove implements schema.RelationEditor: obj leaves the loaded items and
// its pending Link calls are dropped (the other side unlinked the pair).
func (r *RelatedMany[T]) Remove(obj any) bool {
	t, ok := obj.(*T)
	if !ok {
		return false
	}
	for i, it := range r.items {
		if it == t {
			r.items = append(r.items[:i:i], r.items[i+1:]...)
			break
		}
	}
	ops := r.ops[:0:0]
	dropped := false
	for _, op := range r.ops {
		if op.obj == t && !op.unlink {
			dropped = true
			continue
		}
		ops = append(ops, op)
	}
	r.ops = ops
	return dropped
}

// Relink undoes pending Unlink calls of obj, because the other side of the
// pair linked it again: they are dropped, and obj is in the loaded items
// (when loaded). It reports whether it dropped any.
func (r *RelatedMany[T]) Relink(obj any) bool {
	t, ok := obj.(*T)
	if !ok {
		return false
	}
	ops := r.ops[:0:0]
	dropped := false
	for _, op := range r.ops {
		if op.obj == t && op.unlink {
			dropped = true
			continue
		}
		ops = append(ops, op)
	}
	r.ops = ops
	if r.loaded && !contains(r.items, t) {
		r.items = append(r.items, t)
	}
	return dropped
}

// IsZero reports whether the relation is not loaded, so that a field
// tagged `json:",omitzero"` leaves an unloaded relation out.
func (r RelatedMany[T]) IsZero() bool { return !r.loaded }

// MarshalJSON encodes the loaded objects as an array, or null when the
// relation is not loaded. Pending Link and Unlink calls are not encoded.
func (r RelatedMany[T]) MarshalJSON() ([]byte, error) {
	if !r.loaded {
		return []byte("null"), nil
	}
	if r.items == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(r.items)
}

// UnmarshalJSON decodes an array into a loaded collection ([] is loaded
// and empty). null (like a missing key) leaves it not loaded, so that
// decoding a partial document and merging it never empties a collection
// the document does not carry.
func (r *RelatedMany[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		r.Unload()
		return nil
	}
	var items []*T
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	for i, it := range items {
		if it == nil {
			return fmt.Errorf("relations: null at index %d of a collection of %s", i, reflect.TypeFor[T]())
		}
	}
	r.Set(items)
	return nil
}
