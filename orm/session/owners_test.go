package session

import (
	"runtime"
	"testing"
)

// ownerClaims counts the claims held in the table on addresses of [lo, hi).
func ownerClaims(lo, hi uintptr) (n int) {
	for i := range owners {
		sh := &owners[i]
		sh.mu.Lock()
		for p := range sh.m {
			if p >= lo && p < hi {
				n++
			}
		}
		sh.mu.Unlock()
	}
	return n
}

// Claims made one by one and in batches hold until released one by one or
// all at once; released claims count as absent at once, and are deleted
// by later claims' sweeps, so that the table does not grow with sessions
// that come and go.
func TestOwnerClaimsReleaseAndSweep(t *testing.T) {
	// Addresses no Go object has, so that other tests cannot meet them.
	const base, n = uintptr(1) << 60, 20000
	addr := func(i int) uintptr { return base + uintptr(i)*16 }
	a, b := &Session{}, &Session{}
	ta, tb := newOwnerTag(a), newOwnerTag(b)
	batch := make([]uintptr, n)
	for i := range batch {
		batch[i] = addr(i)
	}
	ta.claimAll(batch)
	ta.claim(addr(n))
	for _, i := range []int{0, 1, n / 2, n - 1, n} {
		if !trackedElsewhere(addr(i), tb) || trackedElsewhere(addr(i), ta) {
			t.Fatalf("address %d: not claimed by a alone", i)
		}
	}
	ta.release(addr(7))
	if trackedElsewhere(addr(7), tb) {
		t.Fatal("a released claim still holds")
	}
	ta.releaseAll()
	for _, i := range []int{0, n / 2, n} {
		if trackedElsewhere(addr(i), tb) {
			t.Fatalf("address %d: claimed after releaseAll", i)
		}
	}
	// Sessions claiming and releasing in turn: the stale claims are swept.
	for round := range 10 {
		s := &Session{}
		tag := newOwnerTag(s)
		for i := range batch {
			batch[i] = addr(n*(round+2) + i)
		}
		tag.claimAll(batch)
		if !trackedElsewhere(batch[n/3], tb) {
			t.Fatalf("round %d: a live claim is missing", round)
		}
		tag.releaseAll()
		runtime.KeepAlive(s)
	}
	if got := ownerClaims(base, addr(n*20)); got > 3*n {
		t.Fatalf("%d claims left in the table after 10 released sessions of %d objects", got, n)
	}
	tb.claim(addr(1))
	if !trackedElsewhere(addr(1), ta) {
		t.Fatal("a claim on an address released by another tag does not hold")
	}
	tb.releaseAll()
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}
