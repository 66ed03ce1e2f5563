package session

import (
	"context"
	"reflect"
	"slices"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// The rows of a batch load, in a session whose identity map holds its
// objects strongly, are scanned into objects allocated a slab at a time,
// and the snapshots of a slab are one copy of it: one allocation, and one
// copy, for many rows rather than one per row. A slab stays allocated
// while any of its objects is in use (as the snapshot slabs of
// identityMap.snapshot do).

// objSlab hands out zeroed objects of one model from slabs of 8, 16, …
// 256 objects, and remembers them in order.
type objSlab struct {
	m      *schema.Model
	size   uintptr
	slabs  []reflect.Value // each a [n]T, in order
	counts []int           // objects handed out of each slab
	base   unsafe.Pointer  // first object of the last slab
	next   int             // objects handed out of the last slab
	cap    int             // its length
}

func newObjSlab(m *schema.Model) *objSlab {
	return &objSlab{m: m, size: m.Type.Size()}
}

// alloc returns the next zeroed object.
func (a *objSlab) alloc() unsafe.Pointer {
	if a.next == a.cap {
		// Powers of two: reflect keeps every array type it makes.
		a.cap = min(256, max(8, 2*a.cap))
		v := reflect.New(reflect.ArrayOf(a.cap, a.m.Type)).Elem()
		a.slabs = append(a.slabs, v)
		a.counts = append(a.counts, 0)
		a.base, a.next = v.Addr().UnsafePointer(), 0
	}
	p := unsafe.Add(a.base, uintptr(a.next)*a.size)
	a.next++
	a.counts[len(a.counts)-1] = a.next
	return p
}

// len returns the number of objects handed out.
func (a *objSlab) len() int {
	n := 0
	for _, c := range a.counts {
		n += c
	}
	return n
}

// objects returns the objects handed out, in order.
func (a *objSlab) objects() []unsafe.Pointer {
	if len(a.slabs) == 0 {
		return nil
	}
	out := make([]unsafe.Pointer, 0, a.len())
	for i, v := range a.slabs {
		base := v.Addr().UnsafePointer()
		for j := range a.counts[i] {
			out = append(out, unsafe.Add(base, uintptr(j)*a.size))
		}
	}
	return out
}

// snapshots returns the snapshot of each object handed out, in order: the
// slabs copied, for a model whose plain struct copy is a snapshot; nil
// otherwise.
func (a *objSlab) snapshots() []unsafe.Pointer {
	if !a.m.MemoryLayout().Shallow {
		return nil
	}
	out := make([]unsafe.Pointer, 0, a.len())
	for i, v := range a.slabs {
		n := a.counts[i]
		dst := reflect.New(v.Type()).Elem()
		reflect.Copy(dst.Slice(0, n), v.Slice(0, n))
		base := dst.Addr().UnsafePointer()
		for j := range n {
			out = append(out, unsafe.Add(base, uintptr(j)*a.size))
		}
	}
	return out
}

// resolveRows resolves the rows of a load, in order, through the identity
// map (see resolveLoaded); snaps, when not nil, holds a snapshot of each
// row, taken as it was read. distinct tells that the rows are distinct rows
// of one table (a single-table SELECT): their keys differ.
func (s *Session) resolveRows(ctx context.Context, m *schema.Model, rows, snaps []unsafe.Pointer, distinct bool) error {
	s.im.reserveRows(m, len(rows))
	// fresh: no key of m is tracked, and the keys of the rows differ, so
	// that an integer key needs no lookup (a duplicate, which a table
	// without a primary-key constraint can hold, is caught as it is keyed).
	fresh := false
	if !m.Hooks.Has(schema.HookAfterLoad) {
		// No user code runs while the rows are resolved: their ownership
		// claims are made together, after.
		s.im.deferClaims = true
		s.im.pending = slices.Grow(s.im.pending, len(rows))
		defer s.im.claimPending()
		fresh = distinct && s.im.byID.none(m)
	}
	var err error
	for i, p := range rows {
		if snaps == nil || zeroGeneratedKey(m, p) {
			if rows[i], err = s.resolveLoaded(ctx, m, p); err != nil {
				return err
			}
			continue
		}
		id, keyed, err := rowKeyOf(m, p)
		if err != nil {
			return err
		}
		freshKey := keyed && fresh && id.key.kind == 1
		if keyed && !freshKey {
			if e := s.im.lookupID(id); e != nil {
				if e.expired {
					s.apply(e, p)
					if err := s.hook(ctx, m, e.ptr(), schema.HookAfterLoad); err != nil {
						return err
					}
				}
				rows[i] = e.ptr()
				continue
			}
		}
		e := s.im.track(m, p, StatePersistent)
		switch {
		case freshKey:
			if first := s.im.keyNew(e, id); first != nil {
				rows[i] = first.ptr()
				continue
			}
		case keyed:
			s.im.setID(e, id)
		}
		e.snapshot = snaps[i]
		s.im.settle(e, true)
		if err := s.hook(ctx, m, p, schema.HookAfterLoad); err != nil {
			return err
		}
	}
	return nil
}

// allTracked is all in a session whose identity map holds its objects
// strongly: the rows are read first, into object slabs, then resolved
// together (see loadRows); the query may join, so their keys may repeat.
func (q *Query[T]) allTracked(ctx context.Context, sqlText string, args []any) ([]*T, error) {
	c, inTx, err := q.prepareRead(ctx)
	if err != nil {
		return nil, err
	}
	rows, _, err := q.s.loadRowsOn(ctx, c, inTx, q.sel.Model, sqlText, args, nil, false)
	if err != nil {
		return nil, err
	}
	out := make([]*T, len(rows))
	for i, p := range rows {
		out[i] = (*T)(p)
	}
	return out, nil
}
