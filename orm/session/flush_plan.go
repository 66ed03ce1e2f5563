package session

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// plan is what one flush will do, computed before any SQL runs.
type plan struct {
	tables []*tablePlan // in foreign-key order, parents first
	// post are foreign keys written by UPDATE after the inserts, to break
	// cycles between rows.
	post []postUpdate
	// unlink are foreign keys set to NULL by UPDATE before the deletes, to
	// break cycles between rows deleted together.
	unlink []postUpdate
	// links are pending Link/Unlink operations of many-to-many collections.
	links []linkOp
	// nullify reports bulk NULLs of children's foreign keys (the flusher
	// holds them).
	nullify bool
}

// tablePlan holds the work on one table.
type tablePlan struct {
	model   *schema.Model
	inserts [][]*row // layers: each layer depends only on earlier ones
	updates []*row
	deletes [][]*row // layers, children first
}

// row is one object's part in the flush.
type row struct {
	e       *entry
	p       unsafe.Pointer
	changed []*schema.Field // updates: the columns to set
	// parents are the rows (or tracked objects) whose keys this row's
	// foreign keys take, by foreign key.
	parents parentRefs
	// nullFKs are foreign keys inserted as NULL (updates: left as they
	// are) and set by a post-update; for deletes, keys set to NULL first.
	nullFKs map[*schema.ForeignKey]bool
}

type postUpdate struct {
	r  *row
	fk *schema.ForeignKey
}

func (p *plan) String() string {
	var b strings.Builder
	for _, t := range p.tables {
		n := 0
		for _, l := range t.inserts {
			n += len(l)
		}
		d := 0
		for _, l := range t.deletes {
			d += len(l)
		}
		fmt.Fprintf(&b, "%s: insert %d (%d layers), update %d, delete %d\n", t.model.Table, n, len(t.inserts), len(t.updates), d)
	}
	for _, pu := range p.post {
		fmt.Fprintf(&b, "post-update %s.%s\n", pu.r.e.model.Table, strings.Join(pu.fk.Columns, ","))
	}
	return b.String()
}

func (p *plan) empty() bool { return len(p.tables) == 0 && len(p.links) == 0 && !p.nullify }

// buildPlan collects the pending work of the session and orders it.
func (s *Session) buildPlan() (*plan, error) {
	byModel := map[*schema.Model]*tablePlan{}
	var models []*schema.Model
	get := func(m *schema.Model) *tablePlan {
		t := byModel[m]
		if t == nil {
			t = &tablePlan{model: m}
			byModel[m] = t
			models = append(models, m)
		}
		return t
	}
	var inserts, deletes, updates []*row
	var unloadedErr error
	// One sequential pass over the tracked entries; only the rows with
	// work are sorted into add order below.
	s.im.live(func(e *entry, p unsafe.Pointer) {
		switch e.state {
		case StateNew:
			inserts = append(inserts, &row{e: e, p: p})
		case StateDeleted:
			deletes = append(deletes, &row{e: e, p: p})
		case StatePersistent:
			if ch := changedFields(e, p); len(ch) > 0 {
				if err := checkUnloaded(e, ch); err != nil && unloadedErr == nil {
					unloadedErr = err
				}
				updates = append(updates, &row{e: e, p: p, changed: ch})
			}
		}
	})
	if unloadedErr != nil {
		return nil, unloadedErr
	}
	if len(inserts) == 0 && len(deletes) == 0 && len(updates) == 0 {
		return &plan{}, nil
	}
	bySeq := func(rs []*row) {
		sort.Slice(rs, func(i, j int) bool { return rs[i].e.seq < rs[j].e.seq })
	}
	bySeq(inserts)
	bySeq(deletes)
	bySeq(updates)
	var entries []*entry
	if len(inserts) > 0 {
		entries = s.im.entries()
	}
	// Persistent objects related to new ones take their generated keys:
	// they are updated even when nothing else changed.
	if relinked := s.linkParents(inserts, entries); len(relinked) > 0 {
		byEntry := make(map[*entry]*row, len(updates))
		for _, r := range updates {
			byEntry[r.e] = r
		}
		for _, r := range relinked {
			if u := byEntry[r.e]; u != nil {
				u.parents = r.parents
				continue
			}
			updates = append(updates, r)
		}
		sort.SliceStable(updates, func(i, j int) bool { return updates[i].e.seq < updates[j].e.seq })
	}
	for _, r := range updates {
		t := get(r.e.model)
		t.updates = append(t.updates, r)
	}
	for _, r := range inserts {
		get(r.e.model)
	}
	for _, r := range deletes {
		get(r.e.model)
	}
	ordered, deferred, err := schema.DependencyOrder(models)
	if err != nil {
		return nil, err
	}
	isDeferred := map[*schema.ForeignKey]bool{}
	for _, fk := range deferred {
		isDeferred[fk] = true
	}
	pl := &plan{}
	// Updates write the keys of new parents: in the same statement when the
	// parent's table comes first, else by a post-update.
	for _, r := range updates {
		for _, pr := range r.parents {
			fk, parent := pr.fk, pr.e
			if isDeferred[fk] && parent.model != r.e.model {
				if r.nullFKs == nil {
					r.nullFKs = map[*schema.ForeignKey]bool{}
				}
				r.nullFKs[fk] = true
				pl.post = append(pl.post, postUpdate{r, fk})
				continue
			}
			for _, f := range fk.Fields {
				if !slices.Contains(r.changed, f) {
					r.changed = append(r.changed, f)
				}
			}
		}
	}
	// Inserts: per table, layers of rows ordered parent-first.
	insertsBy := map[*schema.Model][]*row{}
	for _, r := range inserts {
		insertsBy[r.e.model] = append(insertsBy[r.e.model], r)
	}
	for _, m := range ordered {
		t := byModel[m]
		pl.tables = append(pl.tables, t)
		rows := insertsBy[m]
		if len(rows) == 0 {
			continue
		}
		// Rows whose parent is inserted later (a deferred foreign key) go
		// in with NULL and get the key by a post-update.
		for _, r := range rows {
			for _, pr := range r.parents {
				fk, parent := pr.fk, pr.e
				if parent.state == StateNew && isDeferred[fk] && parent.model != m {
					if r.nullFKs == nil {
						r.nullFKs = map[*schema.ForeignKey]bool{}
					}
					r.nullFKs[fk] = true
					pl.post = append(pl.post, postUpdate{r, fk})
				}
			}
		}
		layers, post, err := layerRows(m, rows)
		if err != nil {
			return nil, err
		}
		t.inserts = layers
		pl.post = append(pl.post, post...)
	}
	deletesBy := map[*schema.Model][]*row{}
	for _, r := range deletes {
		deletesBy[r.e.model] = append(deletesBy[r.e.model], r)
	}
	for _, t := range pl.tables {
		rows := deletesBy[t.model]
		if len(rows) == 0 {
			continue
		}
		// A row referencing, through a key that may be NULL, a row of a
		// table deleted earlier (a cycle between tables) drops that
		// reference first.
		for _, fk := range t.model.ForeignKeys {
			if !isDeferred[fk] || fk.RefModel == t.model {
				continue
			}
			for _, r := range rows {
				if id, ok := refIdentity(fk, r.dbValues()); ok {
					if pe := s.im.lookupID(id); pe != nil && pe.state == StateDeleted {
						pl.unlink = append(pl.unlink, postUpdate{r, fk})
					}
				}
			}
		}
		s.deleteParents(t.model, rows)
		layers, unlink, err := layerRows(t.model, rows)
		if err != nil {
			return nil, err
		}
		pl.unlink = append(pl.unlink, unlink...)
		// Children first: reverse the parent-first layers.
		for i, j := 0, len(layers)-1; i < j; i, j = i+1, j-1 {
			layers[i], layers[j] = layers[j], layers[i]
		}
		t.deletes = layers
	}
	// Drop tables without work (present only through DependencyOrder).
	out := pl.tables[:0]
	for _, t := range pl.tables {
		if len(t.inserts)+len(t.updates)+len(t.deletes) > 0 {
			out = append(out, t)
		}
	}
	pl.tables = out
	return pl, nil
}

// plan runs the delete cascade and builds the plan with the pending link
// operations; it reports the collections whose operations it took.
func (f *flusher) plan(ctx context.Context) (*plan, []schema.LinkOps, error) {
	s := f.s
	if err := f.cascade(ctx); err != nil {
		return nil, nil, fmt.Errorf("orm: flush: %w", err)
	}
	pl, err := s.buildPlan()
	if err != nil {
		return nil, nil, fmt.Errorf("orm: flush: %w", err)
	}
	var colls []schema.LinkOps
	pl.links, colls = s.pendingLinks()
	pl.nullify = len(f.nullify) > 0
	return pl, colls, nil
}
