package session

import "github.com/sqlmodel-go/sqlmodel/orm/schema"

// idIndex maps identities to entries. Integer keys, the common case, live
// in a map of their own whose key is two words (model and number): it
// hashes and compares faster, and takes half the memory, of the general
// map, which holds every other key.
type idIndex struct {
	ints  map[intID]*entry
	other map[identity]*entry
}

// intID is the identity of an integer key (idKey kind 1).
type intID struct {
	model *schema.Model
	n     int64
}

// makeIDIndex makes an index with room for n integer keys.
func makeIDIndex(n int) idIndex {
	return idIndex{ints: make(map[intID]*entry, n)}
}

// get returns the entry of id, or nil.
func (x *idIndex) get(id identity) *entry {
	if id.key.kind == 1 {
		return x.ints[intID{id.model, id.key.n}]
	}
	return x.other[id]
}

// set maps id to e.
func (x *idIndex) set(id identity, e *entry) {
	if id.key.kind == 1 {
		x.ints[intID{id.model, id.key.n}] = e
		return
	}
	if x.other == nil {
		x.other = map[identity]*entry{}
	}
	x.other[id] = e
}

// remove forgets id when it maps to e.
func (x *idIndex) remove(id identity, e *entry) {
	if id.key.kind == 1 {
		k := intID{id.model, id.key.n}
		if x.ints[k] == e {
			delete(x.ints, k)
		}
		return
	}
	if x.other[id] == e {
		delete(x.other, id)
	}
}

// len returns the number of keys.
func (x *idIndex) len() int { return len(x.ints) + len(x.other) }

// reserve makes room for n more integer keys at once, rather than growing
// the map step by step while a large load or flush keys its rows.
func (x *idIndex) reserve(n int) {
	if n < 64 || n < len(x.ints) {
		return
	}
	grown := make(map[intID]*entry, len(x.ints)+n)
	for k, e := range x.ints {
		grown[k] = e
	}
	x.ints = grown
}
