// Package smallmap provides a map that keeps its first few entries inline,
// without allocating, and moves to a Go map when it grows past them.
//
// A session that tracks one or two objects (the common case of a request
// that inserts or updates a row) indexes them in two maps; as Go maps, those
// cost four allocations per session before the first lookup. A Map holds
// up to Inline entries in arrays that live inside the struct that embeds it.
package smallmap

import "iter"

// Inline is the number of entries a Map holds before it makes a Go map.
const Inline = 8

// Map is a map from K to V. Its zero value is an empty map ready to use.
// It must not be copied after first use (the inline entries would be
// copied with it). It is not safe for concurrent use.
type Map[K comparable, V any] struct {
	n    int // inline entries in use, while m is nil
	keys [Inline]K
	vals [Inline]V
	m    map[K]V // every entry, once there were more than Inline
}

// Len returns the number of entries.
func (s *Map[K, V]) Len() int {
	if s.m != nil {
		return len(s.m)
	}
	return s.n
}

// Get returns the value of k, or V's zero value when k is absent.
func (s *Map[K, V]) Get(k K) V {
	v, _ := s.Lookup(k)
	return v
}

// Lookup returns the value of k and whether k is present.
func (s *Map[K, V]) Lookup(k K) (V, bool) {
	if s.m != nil {
		v, ok := s.m[k]
		return v, ok
	}
	for i := range s.n {
		if s.keys[i] == k {
			return s.vals[i], true
		}
	}
	var zero V
	return zero, false
}

// Set sets the value of k.
func (s *Map[K, V]) Set(k K, v V) {
	if s.m != nil {
		s.m[k] = v
		return
	}
	for i := range s.n {
		if s.keys[i] == k {
			s.vals[i] = v
			return
		}
	}
	if s.n < Inline {
		s.keys[s.n], s.vals[s.n] = k, v
		s.n++
		return
	}
	s.spill(2 * Inline)
	s.m[k] = v
}

// Delete removes k (nothing happens when it is absent).
func (s *Map[K, V]) Delete(k K) {
	if s.m != nil {
		delete(s.m, k)
		return
	}
	for i := range s.n {
		if s.keys[i] == k {
			last := s.n - 1
			s.keys[i], s.vals[i] = s.keys[last], s.vals[last]
			var zk K
			var zv V
			s.keys[last], s.vals[last] = zk, zv // release what they point to
			s.n = last
			return
		}
	}
}

// Reserve makes room for n more entries at once: past Inline entries it
// makes (or regrows) the Go map with that capacity, rather than growing it
// step by step.
func (s *Map[K, V]) Reserve(n int) {
	total := s.Len() + n
	switch {
	case total <= Inline:
	case s.m == nil:
		s.spill(total)
	case n >= 64 && n >= len(s.m):
		grown := make(map[K]V, total)
		for k, v := range s.m {
			grown[k] = v
		}
		s.m = grown
	}
}

// spill moves the inline entries into a Go map of the given capacity.
func (s *Map[K, V]) spill(capacity int) {
	s.m = make(map[K]V, capacity)
	for i := range s.n {
		s.m[s.keys[i]] = s.vals[i]
	}
	clear(s.keys[:s.n])
	clear(s.vals[:s.n])
	s.n = 0
}

// All yields every entry, in no particular order. Like a range over a Go
// map, the loop body may delete entries (an entry deleted before it is
// reached is not yielded) and set them (a new entry may or may not be
// yielded).
func (s *Map[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		if s.m != nil {
			for k, v := range s.m {
				if !yield(k, v) {
					return
				}
			}
			return
		}
		// Iterate over a copy of the inline keys, so that deletions in
		// the loop (which move entries) neither skip nor repeat one;
		// each is checked to be still present and yielded with its
		// current value.
		keys, n := s.keys, s.n
		for i := range n {
			v, ok := s.Lookup(keys[i])
			if !ok {
				continue
			}
			if !yield(keys[i], v) {
				return
			}
		}
	}
}
