package session

import "github.com/sqlmodel-go/sqlmodel/orm/schema"

// idIndex maps identities to entries. Integer keys, the common case, live
// in one map of int64 per model, which hashes and compares fastest and
// takes a third of the memory of the general map, which holds every other
// key. The first model's map is held inline (a session of one model makes
// one map), and the map of the model used last is kept at hand, as rows of
// one model come in runs.
type idIndex struct {
	firstM *schema.Model
	first  map[int64]*entry
	more   map[*schema.Model]map[int64]*entry // the other models'
	other  map[identity]*entry
	lastM  *schema.Model
	last   map[int64]*entry // more[lastM], when not nil
}

// intsOf returns the integer-key map of m; nil when it has none.
func (x *idIndex) intsOf(m *schema.Model) map[int64]*entry {
	switch {
	case m == x.firstM:
		return x.first
	case m == x.lastM && x.last != nil:
		return x.last
	}
	im := x.more[m]
	if im != nil {
		x.lastM, x.last = m, im
	}
	return im
}

// setInts makes im the integer-key map of m.
func (x *idIndex) setInts(m *schema.Model, im map[int64]*entry) {
	if x.first == nil || m == x.firstM {
		x.firstM, x.first = m, im
		return
	}
	if x.more == nil {
		x.more = map[*schema.Model]map[int64]*entry{}
	}
	x.more[m] = im
	x.lastM, x.last = m, im
}

// intsFor returns the integer-key map of m, made with room for n keys
// when m has none yet.
func (x *idIndex) intsFor(m *schema.Model, n int) map[int64]*entry {
	if im := x.intsOf(m); im != nil {
		return im
	}
	im := make(map[int64]*entry, n)
	x.setInts(m, im)
	return im
}

// get returns the entry of id, or nil.
func (x *idIndex) get(id identity) *entry {
	if id.key.kind == 1 {
		return x.intsOf(id.model)[id.key.n]
	}
	return x.other[id]
}

// set maps id to e.
func (x *idIndex) set(id identity, e *entry) {
	if id.key.kind == 1 {
		x.intsFor(id.model, 0)[id.key.n] = e
		return
	}
	if x.other == nil {
		x.other = map[identity]*entry{}
	}
	x.other[id] = e
}

// add maps an integer identity to e and reports whether it was new; when
// it was not, the entry it mapped to is lost, and the caller restores it.
func (x *idIndex) add(id identity, e *entry) bool {
	im := x.intsFor(id.model, 0)
	n := len(im)
	im[id.key.n] = e
	return len(im) > n
}

// none reports whether no key of m is indexed, nor any key that is not an
// integer.
func (x *idIndex) none(m *schema.Model) bool {
	return len(x.intsOf(m)) == 0 && len(x.other) == 0
}

// remove forgets id when it maps to e.
func (x *idIndex) remove(id identity, e *entry) {
	if id.key.kind == 1 {
		im := x.intsOf(id.model)
		if im[id.key.n] == e {
			delete(im, id.key.n)
		}
		return
	}
	if x.other[id] == e {
		delete(x.other, id)
	}
}

// reserve makes room for n more integer keys of m at once, rather than
// growing the map step by step while a large load or flush keys its rows.
func (x *idIndex) reserve(m *schema.Model, n int) {
	im := x.intsOf(m)
	if n < 64 || n < len(im) {
		return
	}
	grown := make(map[int64]*entry, len(im)+n)
	for k, e := range im {
		grown[k] = e
	}
	x.setInts(m, grown)
}
