package session

import (
	"github.com/sqlmodel-go/sqlmodel/internal/smallmap"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// idIndex maps identities to entries. Integer keys, the common case, live
// in one map of int64 per model, which hashes and compares fastest and
// takes a third of the memory of one map keyed by identity, which holds
// every other key. The first model's map and that other map keep their
// first entries inline (a session of a few objects makes no map); the map
// of the model used last among the others is kept at hand, as rows of one
// model come in runs.
type idIndex struct {
	firstM *schema.Model
	first  smallmap.Map[int64, *entry]
	more   map[*schema.Model]map[int64]*entry // the other models'
	other  smallmap.Map[identity, *entry]
	lastM  *schema.Model
	last   map[int64]*entry // more[lastM], when not nil
}

// isFirst reports whether m's integer keys live in first, claiming first
// for m when no model has it yet.
func (x *idIndex) isFirst(m *schema.Model) bool {
	if x.firstM == nil {
		x.firstM = m
	}
	return m == x.firstM
}

// moreOf returns the integer-key map of m, not the first model; nil when
// it has none.
func (x *idIndex) moreOf(m *schema.Model) map[int64]*entry {
	if m == x.lastM && x.last != nil {
		return x.last
	}
	im := x.more[m]
	if im != nil {
		x.lastM, x.last = m, im
	}
	return im
}

// moreFor is moreOf, making the map (with room for n keys) when m has none.
func (x *idIndex) moreFor(m *schema.Model, n int) map[int64]*entry {
	if im := x.moreOf(m); im != nil {
		return im
	}
	if x.more == nil {
		x.more = map[*schema.Model]map[int64]*entry{}
	}
	im := make(map[int64]*entry, n)
	x.more[m], x.lastM, x.last = im, m, im
	return im
}

// get returns the entry of id, or nil.
func (x *idIndex) get(id identity) *entry {
	switch {
	case id.key.kind != 1:
		return x.other.Get(id)
	case id.model == x.firstM:
		return x.first.Get(id.key.n)
	}
	return x.moreOf(id.model)[id.key.n]
}

// set maps id to e.
func (x *idIndex) set(id identity, e *entry) {
	switch {
	case id.key.kind != 1:
		x.other.Set(id, e)
	case x.isFirst(id.model):
		x.first.Set(id.key.n, e)
	default:
		x.moreFor(id.model, 0)[id.key.n] = e
	}
}

// add maps an integer identity to e and reports whether it was new; when
// it was not, the entry it mapped to is lost, and the caller restores it.
func (x *idIndex) add(id identity, e *entry) bool {
	if x.isFirst(id.model) {
		n := x.first.Len()
		x.first.Set(id.key.n, e)
		return x.first.Len() > n
	}
	im := x.moreFor(id.model, 0)
	n := len(im)
	im[id.key.n] = e
	return len(im) > n
}

// none reports whether no key of m is indexed, nor any key that is not an
// integer.
func (x *idIndex) none(m *schema.Model) bool {
	if x.other.Len() > 0 {
		return false
	}
	if m == x.firstM {
		return x.first.Len() == 0
	}
	return len(x.moreOf(m)) == 0
}

// remove forgets id when it maps to e.
func (x *idIndex) remove(id identity, e *entry) {
	switch {
	case id.key.kind != 1:
		if x.other.Get(id) == e {
			x.other.Delete(id)
		}
	case id.model == x.firstM:
		if x.first.Get(id.key.n) == e {
			x.first.Delete(id.key.n)
		}
	default:
		if im := x.moreOf(id.model); im[id.key.n] == e {
			delete(im, id.key.n)
		}
	}
}

// reserve makes room for n more integer keys of m at once, rather than
// growing the map step by step while a large load or flush keys its rows.
func (x *idIndex) reserve(m *schema.Model, n int) {
	if n < 64 {
		return
	}
	if x.isFirst(m) {
		x.first.Reserve(n)
		return
	}
	im := x.moreOf(m)
	if im == nil {
		x.moreFor(m, n)
		return
	}
	if n < len(im) {
		return
	}
	grown := make(map[int64]*entry, len(im)+n)
	for k, e := range im {
		grown[k] = e
	}
	x.more[m], x.lastM, x.last = grown, m, grown
}
