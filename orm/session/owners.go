package session

import (
	"sync"
	"sync/atomic"
	"weak"
)

// Which session tracks an object is kept in a process-wide table, so that
// a session can refuse an object another session tracks (Add, Delete and
// MarkDirty return ErrTrackedElsewhere) instead of inserting or deleting
// its row a second time. Sessions with a weak identity map do not take part:
// their clean objects may be collected, and their addresses reused, while
// the session lives.
//
// Releasing all the claims of a map (Close, ExpungeAll) costs one store: the
// map's tag is marked released, and a claim whose tag is released, or whose
// session was collected, counts as absent. Such stale claims are deleted
// when a lookup meets them, or by a sweep of their shard once it has grown
// to twice its size after the last sweep.

// ownerTag stands for one identity map in the table.
type ownerTag struct {
	// session is cleared by the collector once the session is gone, so
	// that an address reused by a new object after that is not taken for
	// one of its objects.
	session weak.Pointer[Session]
	// released is set when the map lets go of every object; a new map
	// makes a new tag.
	released atomic.Bool
}

// live reports whether t's claims hold.
func (t *ownerTag) live() bool {
	return t != nil && !t.released.Load() && t.session.Value() != nil
}

const ownerShardCount = 64

type ownerShard struct {
	mu sync.Mutex
	m  map[uintptr]*ownerTag
	// sweepAt is the size of m at which stale claims are swept.
	sweepAt int
}

var owners [ownerShardCount]ownerShard

func ownerShardOf(p uintptr) *ownerShard {
	return &owners[ownerShardIndex(p)]
}

func ownerShardIndex(p uintptr) uintptr { return (p>>4 ^ p>>12) % ownerShardCount }

// newOwnerTag makes the tag of s's identity map; its claims lapse when s
// is collected without being closed.
func newOwnerTag(s *Session) *ownerTag {
	return &ownerTag{session: weak.Make(s)}
}

// put records the claims of t on ps, all in sh, which the caller locked.
func (sh *ownerShard) put(t *ownerTag, ps []uintptr) {
	if sh.m == nil {
		sh.m = make(map[uintptr]*ownerTag, len(ps))
	}
	for _, p := range ps {
		sh.m[p] = t
	}
	if len(sh.m) < sh.sweepAt {
		return
	}
	for p, o := range sh.m {
		if !o.live() {
			delete(sh.m, p)
		}
	}
	sh.sweepAt = max(256, 2*len(sh.m))
}

// claim records that t's map tracks the object at p.
func (t *ownerTag) claim(p uintptr) {
	sh := ownerShardOf(p)
	sh.mu.Lock()
	sh.put(t, []uintptr{p})
	sh.mu.Unlock()
}

// claimAll records that t's map tracks the objects at ps, taking each
// shard's lock once for all of its addresses.
func (t *ownerTag) claimAll(ps []uintptr) {
	byShard(ps, func(sh *ownerShard, run []uintptr) {
		sh.mu.Lock()
		sh.put(t, run)
		sh.mu.Unlock()
	})
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

// releaseAll forgets every claim of t; t claims nothing after.
func (t *ownerTag) releaseAll() {
	t.released.Store(true)
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
	buf := getAddrs(len(ps))
	defer putAddrs(buf)
	sorted := (*buf)[:len(ps)]
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

// addrPool holds scratch slices of addresses for batch claims.
var addrPool sync.Pool

// getAddrs returns an empty scratch slice with room for n addresses.
func getAddrs(n int) *[]uintptr {
	if b, _ := addrPool.Get().(*[]uintptr); b != nil && cap(*b) >= n {
		*b = (*b)[:0]
		return b
	}
	b := make([]uintptr, 0, n)
	return &b
}

// putAddrs gives a scratch slice back.
func putAddrs(b *[]uintptr) { addrPool.Put(b) }

// trackedElsewhere reports whether a live session other than the one of
// mine tracks the object at p.
func trackedElsewhere(p uintptr, mine *ownerTag) bool {
	sh := ownerShardOf(p)
	sh.mu.Lock()
	t := sh.m[p]
	if t != nil && !t.live() {
		delete(sh.m, p) // released, or its session is gone
		t = nil
	}
	sh.mu.Unlock()
	return t != nil && t != mine
}
