package session

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// plan is everything one flush will do, computed before any SQL runs and
// not changed while it runs: the rows to insert, update and delete per
// table, the foreign keys written in a second step, the link-table rows,
// the delete cascade's bulk NULLs, and what happens in memory afterwards.
type plan struct {
	tables []*tablePlan // in foreign-key order, parents first
	// post are foreign keys written by UPDATE after the inserts, to break
	// cycles between rows.
	post []postUpdate
	// unlink are foreign keys set to NULL by UPDATE before the deletes, to
	// break cycles between rows deleted together.
	unlink []postUpdate
	// links are pending Link/Unlink operations of many-to-many
	// collections; colls are the collections that recorded them, cleared
	// once the flush succeeded.
	links []linkOp
	colls []schema.LinkOps
	// endLinks remove the link rows of objects deleted (run after the
	// cascade's NULLs, before the deletes).
	endLinks []endLinkDelete
	// The delete cascade's work (see flush_cascade.go): bulk NULLs of the
	// children's foreign keys, children the database deletes (detach) or
	// changes (expire) by its ON DELETE rules.
	nullify []nullifyOp
	detach  []*entry
	expire  []*entry
	// moves are relation changes turned into foreign keys (see
	// flush_relations.go), applied to the other sides in memory after the
	// flush.
	moves []relMove
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
	// generated lists, for an insert, the columns the flush filled in (the
	// database's generated values, an initial version), for the journal.
	generated []*schema.Field
}

// addGenerated records columns the flush fills in. The slice may be shared
// between rows: it is never written through.
func (r *row) addGenerated(fs []*schema.Field) {
	if len(r.generated) == 0 {
		r.generated = fs
		return
	}
	r.generated = append(r.generated[:len(r.generated):len(r.generated)], fs...)
}

// rowSlab allocates rows in slabs (one allocation for many rows).
type rowSlab struct{ buf []row }

func (sl *rowSlab) new(e *entry, p unsafe.Pointer, changed []*schema.Field) *row {
	if len(sl.buf) == cap(sl.buf) {
		sl.buf = make([]row, 0, max(4, 2*cap(sl.buf)))
	}
	sl.buf = append(sl.buf, row{e: e, p: p, changed: changed})
	return &sl.buf[len(sl.buf)-1]
}

// postUpdate is one foreign key of a row written apart from the row's own
// statement.
type postUpdate struct {
	r  *row
	fk *schema.ForeignKey
}

// endLinkDelete removes the rows of one link table that reference objects
// deleted by the flush, except the link_model objects the flush deletes
// itself (their own DELETE checks its row count).
type endLinkDelete struct {
	link       *schema.Model
	cols       []*schema.Field // link columns referencing the deleted ends
	keys       [][]any         // the deleted ends' keys
	exceptCols []*schema.Field
	except     [][]any
	// detach are tracked link_model objects that reference a deleted end:
	// their rows go, they leave the session after the flush.
	detach []*entry
}

// String prints the plan in the order it runs, one line per step, with
// the keys of the rows: the same plan prints the same text.
func (p *plan) String() string {
	var b strings.Builder
	for _, t := range p.tables {
		for i, layer := range t.inserts {
			fmt.Fprintf(&b, "insert %s layer %d: %s\n", t.model.Table, i, rowKeys(layer))
		}
		if len(t.updates) > 0 {
			fmt.Fprintf(&b, "update %s: %s\n", t.model.Table, rowKeys(t.updates))
		}
	}
	for _, pu := range p.post {
		fmt.Fprintf(&b, "post-update %s.%s of %s\n", pu.r.e.model.Table, strings.Join(pu.fk.Columns, ","), rowKeys([]*row{pu.r}))
	}
	for _, op := range p.links {
		verb := "link"
		if op.unlink {
			verb = "unlink"
		}
		fmt.Fprintf(&b, "%s %s %s -> %s\n", verb, op.rel.Link.Table(), keyOrNew(op.owner.model, op.owner.ptr()), keyOrNew(op.rel.Target, op.target))
	}
	for _, n := range p.nullify {
		fmt.Fprintf(&b, "set null %s.%s of %d parent(s)\n", n.rel.Target.Table, fieldColumns(n.rel.RemoteFields), len(n.keys))
	}
	for _, el := range p.endLinks {
		fmt.Fprintf(&b, "delete links %s.%s of %d deleted row(s)\n", el.link.Table, fieldColumns(el.cols), len(el.keys))
	}
	for _, pu := range p.unlink {
		fmt.Fprintf(&b, "unlink %s.%s of %s\n", pu.r.e.model.Table, strings.Join(pu.fk.Columns, ","), rowKeys([]*row{pu.r}))
	}
	for i := len(p.tables) - 1; i >= 0; i-- {
		t := p.tables[i]
		for j, layer := range t.deletes {
			fmt.Fprintf(&b, "delete %s layer %d: %s\n", t.model.Table, j, rowKeys(layer))
		}
	}
	return b.String()
}

// rowKeys lists the keys of rows ("new" for a key the database generates).
func rowKeys(rows []*row) string {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = keyOrNew(r.e.model, r.dbValues())
	}
	return strings.Join(keys, " ")
}

// keyOrNew is the key of the object at p, or "new" while it has none.
func keyOrNew(m *schema.Model, p unsafe.Pointer) string {
	if k := keyString(m, p); k != "" {
		return k
	}
	return "new"
}

func fieldColumns(fs []*schema.Field) string {
	cols := make([]string, len(fs))
	for i, f := range fs {
		cols[i] = f.Column
	}
	return strings.Join(cols, ",")
}

func (p *plan) empty() bool {
	return len(p.tables) == 0 && len(p.links) == 0 && len(p.nullify) == 0
}

// plan runs the delete cascade and completes f.pl, which holds the
// relation moves syncRelations found: the rows of every table in order,
// the pending link operations and the link rows of deleted objects.
func (f *flusher) plan(ctx context.Context) (*plan, error) {
	pl := f.pl
	if err := f.cascade(ctx); err != nil {
		return nil, errwrap.Wrapf(err, "flush")
	}
	if err := f.s.planRows(pl); err != nil {
		return nil, errwrap.Wrapf(err, "flush")
	}
	pl.links, pl.colls = f.s.pendingLinks()
	if err := f.s.planEndLinks(pl); err != nil {
		return nil, err
	}
	return pl, nil
}

// planRows fills the plan's tables, post-updates and unlinks from the
// states of the tracked objects.
func (s *Session) planRows(pl *plan) error {
	pl.tables, pl.post, pl.unlink = nil, nil, nil
	inserts, updates, deletes, err := s.pendingRows()
	if err != nil || len(inserts)+len(updates)+len(deletes) == 0 {
		return err
	}
	var entries []*entry
	if len(inserts) > 0 && s.im.withRel > 0 {
		// Only relations relate new objects to other tracked ones.
		entries = s.im.entries()
	}
	updates = mergeRelinked(updates, s.linkParents(inserts, entries))
	tables := groupByModel(inserts, updates, deletes)
	ordered, deferred, err := schema.DependencyOrder(tables.models)
	if err != nil {
		return err
	}
	var isDeferred map[*schema.ForeignKey]bool // read only: nil when empty
	if len(deferred) > 0 {
		isDeferred = make(map[*schema.ForeignKey]bool, len(deferred))
		for _, fk := range deferred {
			isDeferred[fk] = true
		}
	}
	pl.post = parentKeysOfUpdates(updates, isDeferred)
	pl.tables = make([]*tablePlan, 0, len(ordered))
	for _, m := range ordered {
		pl.tables = append(pl.tables, tables.of(m))
	}
	if err := pl.layerInserts(inserts, isDeferred); err != nil {
		return err
	}
	if err := s.layerDeletes(pl, deletes, isDeferred); err != nil {
		return err
	}
	pl.dropIdleTables()
	return nil
}

// pendingRows sorts the tracked objects with work into rows to insert,
// update and delete, each in add order.
func (s *Session) pendingRows() (inserts, updates, deletes []*row, err error) {
	// One sequential pass over the tracked entries; only the rows with
	// work are sorted into add order below.
	var slab rowSlab
	s.im.live(func(e *entry, p unsafe.Pointer) {
		switch e.state {
		case StateNew:
			inserts = append(inserts, slab.new(e, p, nil))
		case StateDeleted:
			deletes = append(deletes, slab.new(e, p, nil))
		case StatePersistent:
			if ch := changedFields(e, p); len(ch) > 0 {
				if uerr := checkUnloaded(e, ch); uerr != nil && err == nil {
					err = uerr
				}
				updates = append(updates, slab.new(e, p, ch))
			}
		}
	})
	if err != nil {
		return nil, nil, nil, err
	}
	bySeq(inserts)
	bySeq(deletes)
	bySeq(updates)
	return inserts, updates, deletes, nil
}

func bySeq(rs []*row) {
	if len(rs) < 2 {
		return
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].e.seq < rs[j].e.seq })
}

// mergeRelinked adds to updates the persistent objects related to new ones
// (linkParents): they take the generated keys even when nothing else
// changed.
func mergeRelinked(updates, relinked []*row) []*row {
	if len(relinked) == 0 {
		return updates
	}
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
	bySeq(updates)
	return updates
}

// tableGroups are the tablePlans of a flush in first-seen order of their
// models. Most flushes touch a few tables, which are found by a linear
// scan; a map is made only past smallGroups of them.
type tableGroups struct {
	models  []*schema.Model
	plans   []tablePlan
	byModel map[*schema.Model]int
}

const smallGroups = 8

// index returns the position of m's tablePlan, making it if needed.
func (g *tableGroups) index(m *schema.Model) int {
	if g.byModel != nil {
		if i, ok := g.byModel[m]; ok {
			return i
		}
	} else {
		for i, have := range g.models {
			if have == m {
				return i
			}
		}
	}
	g.models = append(g.models, m)
	g.plans = append(g.plans, tablePlan{model: m})
	i := len(g.models) - 1
	switch {
	case g.byModel != nil:
		g.byModel[m] = i
	case len(g.models) > smallGroups:
		g.byModel = make(map[*schema.Model]int, 2*len(g.models))
		for k, have := range g.models {
			g.byModel[have] = k
		}
	}
	return i
}

// of returns m's tablePlan (m must have one). The plans' slice no longer
// grows once grouping is done, so the pointer stays valid.
func (g *tableGroups) of(m *schema.Model) *tablePlan {
	return &g.plans[g.index(m)]
}

// groupByModel makes a tablePlan, with its updates, for every model that
// has rows, listing the models in first-seen order.
func groupByModel(inserts, updates, deletes []*row) tableGroups {
	var g tableGroups
	for _, r := range updates {
		i := g.index(r.e.model)
		g.plans[i].updates = append(g.plans[i].updates, r)
	}
	for _, r := range inserts {
		g.index(r.e.model)
	}
	for _, r := range deletes {
		g.index(r.e.model)
	}
	return g
}

// parentKeysOfUpdates makes updated rows write the keys of their new
// parents: in the same statement when the parent's table comes first, by a
// post-update (returned) when the foreign key closes a cycle of tables.
func parentKeysOfUpdates(updates []*row, isDeferred map[*schema.ForeignKey]bool) []postUpdate {
	var post []postUpdate
	for _, r := range updates {
		for _, pr := range r.parents {
			fk, parent := pr.fk, pr.e
			if isDeferred[fk] && parent.model != r.e.model {
				r.nullFK(fk)
				post = append(post, postUpdate{r, fk})
				continue
			}
			for _, f := range fk.Fields {
				if !slices.Contains(r.changed, f) {
					r.changed = append(r.changed, f)
				}
			}
		}
	}
	return post
}

// nullFK marks a foreign key of r as written by a second statement.
func (r *row) nullFK(fk *schema.ForeignKey) {
	if r.nullFKs == nil {
		r.nullFKs = map[*schema.ForeignKey]bool{}
	}
	r.nullFKs[fk] = true
}

// layerInserts orders the rows to insert of each table in layers, parents
// first. Rows whose parent is inserted later (a foreign key that closes a
// cycle of tables) go in with NULL and get the key by a post-update.
func (pl *plan) layerInserts(inserts []*row, isDeferred map[*schema.ForeignKey]bool) error {
	by := map[*schema.Model][]*row{}
	for _, r := range inserts {
		by[r.e.model] = append(by[r.e.model], r)
	}
	for _, t := range pl.tables {
		m := t.model
		rows := by[m]
		if len(rows) == 0 {
			continue
		}
		for _, r := range rows {
			for _, pr := range r.parents {
				if pr.e.state == StateNew && isDeferred[pr.fk] && pr.e.model != m {
					r.nullFK(pr.fk)
					pl.post = append(pl.post, postUpdate{r, pr.fk})
				}
			}
		}
		layers, post, err := layerRows(m, rows)
		if err != nil {
			return err
		}
		t.inserts = layers
		pl.post = append(pl.post, post...)
	}
	return nil
}

// layerDeletes orders the rows to delete of each table in layers, children
// first. A row referencing, through a key that may be NULL, a row of a
// table deleted earlier (a cycle between tables) drops that reference
// first, by an unlink.
func (s *Session) layerDeletes(pl *plan, deletes []*row, isDeferred map[*schema.ForeignKey]bool) error {
	by := map[*schema.Model][]*row{}
	for _, r := range deletes {
		by[r.e.model] = append(by[r.e.model], r)
	}
	for _, t := range pl.tables {
		rows := by[t.model]
		if len(rows) == 0 {
			continue
		}
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
			return err
		}
		pl.unlink = append(pl.unlink, unlink...)
		slices.Reverse(layers)
		t.deletes = layers
	}
	return nil
}

// dropIdleTables removes the tables without rows (present only through
// the dependency order).
func (pl *plan) dropIdleTables() {
	out := pl.tables[:0]
	for _, t := range pl.tables {
		if len(t.inserts)+len(t.updates)+len(t.deletes) > 0 {
			out = append(out, t)
		}
	}
	pl.tables = out
}
