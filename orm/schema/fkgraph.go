package schema

import (
	"errors"
	"slices"

	"github.com/sqlmodel-go/sqlmodel/internal/topo"
)

// Closure returns models together with every model they reach through
// foreign keys and the link tables of their many-to-many relations, without
// duplicates, in first-seen order.
func Closure(models []*Model) []*Model {
	var out []*Model
	seen := map[*Model]bool{}
	var visit func(m *Model)
	visit = func(m *Model) {
		if m == nil || seen[m] {
			return
		}
		seen[m] = true
		out = append(out, m)
		for _, fk := range m.ForeignKeys {
			visit(fk.RefModel)
		}
		for _, r := range m.Relations {
			if r.Kind == ManyToMany {
				visit(r.Target)
				visit(r.Link.Model)
			}
		}
	}
	for _, m := range models {
		visit(m)
	}
	return out
}

// DependencyOrder orders models so that every table comes after the tables
// its foreign keys reference (self-references aside). Where foreign keys form
// a cycle, it breaks the cycle at a foreign key whose columns are all
// nullable and returns that key in deferred: such a key must be created (or
// its value written) after both tables exist. A cycle made only of NOT NULL
// foreign keys is a *CycleError (ErrCircularDependency). Among independent
// tables the input order is kept. For a single model, ordered is models
// itself (capacity 1, so an append to it copies).
func DependencyOrder(models []*Model) (ordered []*Model, deferred []*ForeignKey, err error) {
	if len(models) == 1 {
		// One table: its self-references are ignored, so nothing to sort
		// and no cycle to break (most flushes touch one table).
		return models[:1:1], nil, nil
	}
	index := make(map[*Model]int, len(models))
	for i, m := range models {
		index[m] = i
	}
	skip := map[*ForeignKey]bool{}
	for {
		deps := make([][]int, len(models))
		for i, m := range models {
			for _, fk := range m.ForeignKeys {
				if j, ok := index[fk.RefModel]; ok && !skip[fk] {
					deps[i] = append(deps[i], j)
				}
			}
		}
		order, err := topo.Sort(len(models), deps, func(i int) string { return models[i].Table })
		if err == nil {
			ordered = make([]*Model, len(order))
			for k, i := range order {
				ordered[k] = models[i]
			}
			for _, m := range models {
				for _, fk := range m.ForeignKeys {
					if skip[fk] {
						deferred = append(deferred, fk)
					}
				}
			}
			return ordered, deferred, nil
		}
		var ce *topo.CycleError
		if !errors.As(err, &ce) {
			return nil, nil, err
		}
		broken := false
		// Cycle lists dependant -> dependency pairs; break the first edge
		// made only of nullable foreign keys.
		for k := 0; k+1 < len(ce.Cycle) && !broken; k++ {
			from, to := tableIn(models, ce.Cycle[k]), tableIn(models, ce.Cycle[k+1])
			var fks []*ForeignKey
			nullable := true
			for _, fk := range from.ForeignKeys {
				if fk.RefModel == to && !skip[fk] {
					fks = append(fks, fk)
					nullable = nullable && fk.Nullable()
				}
			}
			if len(fks) > 0 && nullable {
				for _, fk := range fks {
					skip[fk] = true
				}
				broken = true
			}
		}
		if !broken {
			return nil, nil, &CycleError{Tables: slices.Clone(ce.Cycle)}
		}
	}
}

func tableIn(models []*Model, table string) *Model {
	for _, m := range models {
		if m.Table == table {
			return m
		}
	}
	return nil
}
