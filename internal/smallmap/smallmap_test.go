package smallmap

import (
	"math/rand/v2"
	"testing"
)

// TestAgainstGoMap runs random operations on a Map and on a Go map and
// compares them after each one, across the move from inline to map.
func TestAgainstGoMap(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 7))
		var s Map[int, int]
		want := map[int]int{}
		keys := 4 + r.IntN(40) // some runs stay inline, some spill
		for step := range 300 {
			k := r.IntN(keys)
			switch op := r.IntN(10); {
			case op < 5:
				s.Set(k, step)
				want[k] = step
			case op < 8:
				s.Delete(k)
				delete(want, k)
			case op < 9:
				n := r.IntN(100)
				s.Reserve(n)
			default:
				// Delete every other entry while iterating.
				drop := true
				for k := range s.All() {
					if drop {
						s.Delete(k)
						delete(want, k)
					}
					drop = !drop
				}
			}
			check(t, seed, step, &s, want)
		}
	}
}

func check(t *testing.T, seed uint64, step int, s *Map[int, int], want map[int]int) {
	t.Helper()
	if s.Len() != len(want) {
		t.Fatalf("seed %d step %d: Len %d, want %d", seed, step, s.Len(), len(want))
	}
	for k, v := range want {
		if got, ok := s.Lookup(k); !ok || got != v {
			t.Fatalf("seed %d step %d: Lookup(%d) = %d, %v; want %d", seed, step, k, got, ok, v)
		}
	}
	seen := map[int]bool{}
	for k, v := range s.All() {
		if seen[k] {
			t.Fatalf("seed %d step %d: key %d yielded twice", seed, step, k)
		}
		seen[k] = true
		if want[k] != v {
			t.Fatalf("seed %d step %d: All yields %d=%d, want %d", seed, step, k, v, want[k])
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("seed %d step %d: All yields %d entries, want %d", seed, step, len(seen), len(want))
	}
	if got := s.Get(-1); got != 0 {
		t.Fatalf("Get of an absent key = %d", got)
	}
}

// TestDeleteAheadNotYielded checks the Go map rule the session relies on: an
// entry deleted during iteration before it is reached is not yielded.
func TestDeleteAheadNotYielded(t *testing.T) {
	for _, n := range []int{3, Inline, 3 * Inline} {
		var s Map[int, string]
		for i := range n {
			s.Set(i, "v")
		}
		deleted := map[int]bool{}
		for k := range s.All() {
			if deleted[k] {
				t.Fatalf("n=%d: key %d yielded after its deletion", n, k)
			}
			for j := range n { // delete every other key but this one
				if j != k && !deleted[j] {
					s.Delete(j)
					deleted[j] = true
				}
			}
		}
		if s.Len() != 1 {
			t.Fatalf("n=%d: %d entries left, want 1", n, s.Len())
		}
	}
}

// TestInlineDoesNotAllocate checks that a few entries cost no allocation.
func TestInlineDoesNotAllocate(t *testing.T) {
	var s Map[uintptr, *int]
	x := new(int)
	allocs := testing.AllocsPerRun(100, func() {
		for i := range uintptr(Inline) {
			s.Set(i, x)
		}
		for i := range uintptr(Inline) {
			if s.Get(i) != x {
				t.Fatal("lost an entry")
			}
		}
		for i := range uintptr(Inline) {
			s.Delete(i)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run, want 0", allocs)
	}
}
