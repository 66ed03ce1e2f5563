// Package topo orders the nodes of a directed graph so that every node comes
// after the nodes it depends on, and reports a cycle by naming its members.
//
// It knows nothing of databases; the schema package uses it to order tables
// by foreign key and the session package to order rows.
package topo

import (
	"fmt"
	"strings"
)

// CycleError reports that the graph has a cycle. Cycle lists the nodes of one
// cycle in dependency order, with the first node repeated at the end.
type CycleError struct {
	Cycle []string
}

func (e *CycleError) Error() string {
	return "cycle: " + strings.Join(e.Cycle, " -> ")
}

// Sort returns the nodes 0..n-1 in an order where every node comes after all
// nodes it depends on. deps[i] lists the nodes node i depends on; a node that
// depends on itself is allowed (self-reference) and ignored here. Among nodes
// that are ready at the same time the lower index comes first, so the order is
// deterministic and keeps the input order where it can. names gives the node
// names used in a *CycleError.
func Sort(n int, deps [][]int, names func(int) string) ([]int, error) {
	indeg := make([]int, n)
	users := make([][]int, n)
	for i := 0; i < n; i++ {
		seen := map[int]bool{}
		for _, d := range deps[i] {
			if d == i || seen[d] {
				continue
			}
			if d < 0 || d >= n {
				return nil, fmt.Errorf("topo: node %d depends on unknown node %d", i, d)
			}
			seen[d] = true
			indeg[i]++
			users[d] = append(users[d], i)
		}
	}
	order := make([]int, 0, n)
	done := make([]bool, n)
	// O(n^2) in the worst case, but n is the number of tables or rows of one
	// cycle-free component; a min-heap is not worth it for schema sizes, and
	// the row-level caller sorts small self-referencing groups only.
	for len(order) < n {
		progressed := false
		for i := 0; i < n; i++ {
			if done[i] || indeg[i] != 0 {
				continue
			}
			done[i] = true
			order = append(order, i)
			for _, u := range users[i] {
				indeg[u]--
			}
			progressed = true
			break
		}
		if !progressed {
			return nil, &CycleError{Cycle: findCycle(n, deps, done, names)}
		}
	}
	return order, nil
}

// findCycle walks dependencies from an unfinished node until it meets a node
// it has already visited on this walk.
func findCycle(n int, deps [][]int, done []bool, names func(int) string) []string {
	start := -1
	for i := 0; i < n; i++ {
		if !done[i] {
			start = i
			break
		}
	}
	pos := map[int]int{}
	var path []int
	cur := start
	for {
		if p, ok := pos[cur]; ok {
			cyc := path[p:]
			out := make([]string, 0, len(cyc)+1)
			// path runs from dependant to dependency; report it the same way.
			for _, c := range cyc {
				out = append(out, names(c))
			}
			return append(out, names(cyc[0]))
		}
		pos[cur] = len(path)
		path = append(path, cur)
		next := -1
		for _, d := range deps[cur] {
			if d != cur && !done[d] {
				next = d
				break
			}
		}
		if next < 0 { // cannot happen: an unfinished node has an unfinished dependency
			return []string{names(cur)}
		}
		cur = next
	}
}
