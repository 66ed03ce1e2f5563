package topo

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func name(i int) string { return fmt.Sprintf("n%d", i) }

func TestSort(t *testing.T) {
	tests := []struct {
		name string
		deps [][]int
		want []int
	}{
		{"no edges keeps input order", [][]int{nil, nil, nil}, []int{0, 1, 2}},
		{"child before parent in input", [][]int{{1}, nil}, []int{1, 0}},
		{"chain", [][]int{{1}, {2}, nil}, []int{2, 1, 0}},
		{"self reference ignored", [][]int{{0}, {0}}, []int{0, 1}},
		{"diamond", [][]int{{1, 2}, {3}, {3}, nil}, []int{3, 1, 2, 0}},
		{"duplicate edges", [][]int{{1, 1}, nil}, []int{1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sort(len(tc.deps), tc.deps, name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSortCycle(t *testing.T) {
	_, err := Sort(4, [][]int{nil, {2}, {3}, {1}}, name)
	var ce *CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("want *CycleError, got %v", err)
	}
	if got := ce.Error(); got != "cycle: n1 -> n2 -> n3 -> n1" {
		t.Fatalf("got %q", got)
	}
}

func TestSortUnknownNode(t *testing.T) {
	if _, err := Sort(1, [][]int{{5}}, name); err == nil {
		t.Fatal("want error for unknown node")
	}
}
