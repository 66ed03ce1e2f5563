package session

import (
	"runtime"
	"sync"
	"weak"
)

// Which session tracks an object is kept in a process-wide table, so that
// a session can refuse an object another session tracks (Add, Delete and
// MarkDirty return ErrTrackedElsewhere) instead of inserting or deleting
// its row a second time. Sessions with a weak identity map do not take part:
// their clean objects may be collected, and their addresses reused, while
// the session lives.

// ownerTag stands for one identity map in the table.
type ownerTag struct {
	// session is cleared by the collector once the session is gone, so
	// that an address reused by a new object after that is not taken for
	// one of its objects.
	session weak.Pointer[Session]
	// keys lists the addresses the map claimed (some since released),
	// released together when the map is reset or its session collected.
	keys []uintptr
	// first holds the first claims, so that a session tracking a few
	// objects makes no slice for them.
	first [4]uintptr
}

const ownerShardCount = 64

type ownerShard struct {
	mu sync.Mutex
	m  map[uintptr]*ownerTag
}

var owners [ownerShardCount]ownerShard

func ownerShardOf(p uintptr) *ownerShard {
	return &owners[ownerShardIndex(p)]
}

func ownerShardIndex(p uintptr) uintptr { return (p>>4 ^ p>>12) % ownerShardCount }

// newOwnerTag makes the tag of s's identity map; its claims are released
// when s is collected without being closed.
func newOwnerTag(s *Session) *ownerTag {
	t := &ownerTag{session: weak.Make(s)}
	t.keys = t.first[:0]
	runtime.AddCleanup(s, func(t *ownerTag) { t.releaseAll() }, t)
	return t
}

// claim records that t's map tracks the object at p.
func (t *ownerTag) claim(p uintptr) {
	sh := ownerShardOf(p)
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = map[uintptr]*ownerTag{}
	}
	sh.m[p] = t
	sh.mu.Unlock()
	t.keys = append(t.keys, p)
}

// release forgets t's claim on the object at p.
func (t *ownerTag) release(p uintptr) {
	sh := ownerShardOf(p)
	sh.mu.Lock()
	if sh.m[p] == t {
		delete(sh.m, p)
	}
	sh.mu.Unlock()
}

// claimKeys records that t's map tracks the objects at t.keys[from:],
// appended by the caller, taking each shard's lock once for all of its
// addresses.
func (t *ownerTag) claimKeys(from int) {
	byShard(t.keys[from:], func(sh *ownerShard, run []uintptr) {
		sh.mu.Lock()
		if sh.m == nil {
			sh.m = make(map[uintptr]*ownerTag, len(run))
		}
		for _, p := range run {
			sh.m[p] = t
		}
		sh.mu.Unlock()
	})
}

// releaseAll forgets every claim of t, taking each shard's lock once.
func (t *ownerTag) releaseAll() {
	byShard(t.keys, func(sh *ownerShard, run []uintptr) {
		sh.mu.Lock()
		for _, p := range run {
			if sh.m[p] == t {
				delete(sh.m, p)
			}
		}
		sh.mu.Unlock()
	})
	t.keys = t.first[:0]
}

// byShard calls fn once per shard with the addresses of ps in it: one call
// per address for a few, grouped by one counting pass for many.
func byShard(ps []uintptr, fn func(sh *ownerShard, run []uintptr)) {
	if len(ps) < 2*ownerShardCount {
		for i := range ps {
			fn(ownerShardOf(ps[i]), ps[i:i+1])
		}
		return
	}
	var ends [ownerShardCount]int
	for _, p := range ps {
		ends[ownerShardIndex(p)]++
	}
	off := 0
	for i, c := range ends {
		off += c
		ends[i] = off
	}
	sorted := make([]uintptr, len(ps))
	next := ends
	for i := len(ps) - 1; i >= 0; i-- {
		k := ownerShardIndex(ps[i])
		next[k]--
		sorted[next[k]] = ps[i]
	}
	start := 0
	for i, end := range ends {
		if end > start {
			fn(&owners[i], sorted[start:end])
		}
		start = end
	}
}

// trackedElsewhere reports whether a live session other than the one of
// mine tracks the object at p.
func trackedElsewhere(p uintptr, mine *ownerTag) bool {
	sh := ownerShardOf(p)
	sh.mu.Lock()
	t := sh.m[p]
	if t != nil && t != mine && t.session.Value() == nil {
		delete(sh.m, p) // its session is gone
		t = nil
	}
	sh.mu.Unlock()
	return t != nil && t != mine
}
