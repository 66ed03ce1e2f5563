package session

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/topo"
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

// linkParents finds, for each row to insert, the tracked objects its
// foreign keys must reference: through its loaded Lazy relations, through
// the loaded RelatedMany of tracked parents, or through a foreign-key value
// equal to the key of a tracked object. It returns rows for the persistent
// objects that the loaded relations relate to new objects, whose foreign
// keys must take the keys generated for those.
func (s *Session) linkParents(inserts []*row, entries []*entry) []*row {
	if len(inserts) == 0 {
		return nil
	}
	// Children held in the one-to-many relations of tracked objects.
	type owner struct {
		parent *entry
		fk     *schema.ForeignKey
	}
	children := make(map[unsafe.Pointer]owner, len(inserts))
	for _, e := range entries {
		if e.state == StateDeleted {
			continue
		}
		for _, r := range e.model.Relations {
			if r.Kind != schema.OneToMany && r.Kind != schema.OneToOne {
				continue
			}
			objs, _ := relationObjects(r, e.ptr())
			fk := foreignKeyOf(r.Target, r.RemoteFields)
			if fk == nil {
				continue
			}
			for _, o := range objs {
				children[reflect.ValueOf(o).UnsafePointer()] = owner{e, fk}
			}
		}
	}
	for _, r := range inserts {
		m := r.e.model
		set := func(fk *schema.ForeignKey, parent *entry) {
			if parent == nil || parent == r.e {
				return
			}
			r.parents.set(fk, parent)
		}
		if o, ok := children[r.p]; ok {
			set(o.fk, o.parent)
		}
		for _, rel := range m.Relations {
			if rel.Kind != schema.ManyToOne {
				continue
			}
			objs, loaded := relationObjects(rel, r.p)
			if !loaded || len(objs) == 0 {
				continue
			}
			fk := foreignKeyOf(m, rel.LocalFields)
			if fk == nil {
				continue
			}
			set(fk, s.im.lookupPtr(reflect.ValueOf(objs[0]).UnsafePointer()))
		}
		for _, fk := range m.ForeignKeys {
			if _, ok := r.parents.get(fk); ok {
				continue
			}
			if id, ok := refIdentity(fk, r.p); ok {
				if pe := s.im.lookupID(id); pe != nil && pe.state == StateNew {
					set(fk, pe)
				}
			}
		}
	}
	// Persistent objects whose loaded relations hold new objects.
	newModels := map[*schema.Model]bool{}
	for _, r := range inserts {
		newModels[r.e.model] = true
	}
	var relinked []*row
	for _, e := range entries {
		if e.state != StatePersistent {
			continue
		}
		p := e.ptr()
		var r *row
		set := func(fk *schema.ForeignKey, parent *entry) {
			if parent == nil || parent == e || parent.state != StateNew {
				return
			}
			if r == nil {
				r = &row{e: e, p: p}
				relinked = append(relinked, r)
			}
			r.parents.set(fk, parent)
		}
		if o, ok := children[p]; ok {
			set(o.fk, o.parent)
		}
		for _, rel := range e.model.Relations {
			if rel.Kind != schema.ManyToOne || !newModels[rel.Target] {
				continue
			}
			objs, loaded := relationObjects(rel, p)
			if !loaded || len(objs) == 0 {
				continue
			}
			if fk := foreignKeyOf(e.model, rel.LocalFields); fk != nil {
				set(fk, s.im.lookupPtr(reflect.ValueOf(objs[0]).UnsafePointer()))
			}
		}
	}
	return relinked
}

// dbValues is the struct holding the row's values as the database has
// them: its snapshot, or the object itself when it has none.
func (r *row) dbValues() unsafe.Pointer {
	if r.e.snapshot != nil {
		return r.e.snapshot
	}
	return r.p
}

// deleteParents links rows to delete of a self-referencing table to the
// deleted rows they reference in the database (their snapshots), so that
// children are deleted first.
func (s *Session) deleteParents(m *schema.Model, rows []*row) {
	for _, r := range rows {
		for _, fk := range m.ForeignKeys {
			if fk.RefModel != m {
				continue
			}
			if id, ok := refIdentity(fk, r.dbValues()); ok {
				if pe := s.im.lookupID(id); pe != nil && pe.state == StateDeleted && pe != r.e {
					r.parents.set(fk, pe)
				}
			}
		}
	}
}

// refIdentity is the identity of the row the foreign key of the struct at
// p references, when the key references the primary key and is not NULL.
func refIdentity(fk *schema.ForeignKey, p unsafe.Pointer) (identity, bool) {
	ref := fk.RefModel
	if ref.Type == nil || len(ref.PrimaryKey) != len(fk.Fields) {
		return identity{}, false
	}
	tmp := reflect.New(ref.Type).UnsafePointer()
	for i, f := range fk.Fields {
		if ref.PrimaryKey[i].Column != fk.RefColumns[i] {
			return identity{}, false
		}
		v, err := f.Value(p)
		if err != nil || v == nil {
			return identity{}, false
		}
		if err := ref.PrimaryKey[i].Set(tmp, v); err != nil {
			return identity{}, false
		}
	}
	id, ok, err := keyOf(ref, tmp)
	return id, ok && err == nil
}

// foreignKeyOf returns the foreign key of m made of exactly the fields fs.
func foreignKeyOf(m *schema.Model, fs []*schema.Field) *schema.ForeignKey {
	for _, fk := range m.ForeignKeys {
		if len(fk.Fields) != len(fs) {
			continue
		}
		same := true
		for i := range fs {
			if fk.Fields[i] != fs[i] {
				same = false
			}
		}
		if same {
			return fk
		}
	}
	return nil
}

// layerRows orders the rows of one table so that a row comes after the rows
// of the same table it references. Rows are grouped in layers (a layer
// references only earlier layers), keeping add order inside a layer. A
// cycle among rows is broken at a nullable foreign key, returned as a
// post-update: for inserts the key is inserted as NULL and set afterwards,
// for deletes it is set to NULL before the deletes. A cycle of NOT NULL keys
// is ErrCircularDependency.
func layerRows(m *schema.Model, rows []*row) ([][]*row, []postUpdate, error) {
	self := false
	for _, r := range rows {
		for _, pr := range r.parents {
			parent := pr.e
			if parent.model == m {
				self = true
			}
		}
	}
	if !self {
		return [][]*row{rows}, nil, nil
	}
	index := map[*entry]int{}
	for i, r := range rows {
		index[r.e] = i
	}
	var post []postUpdate
	for {
		deps := make([][]int, len(rows))
		for i, r := range rows {
			for _, pr := range r.parents {
				fk, parent := pr.fk, pr.e
				if j, ok := index[parent]; ok && !r.nullFKs[fk] {
					deps[i] = append(deps[i], j)
				}
			}
		}
		order, err := topo.Sort(len(rows), deps, func(i int) string { return fmt.Sprintf("%s#%d", m.Table, i) })
		if err == nil {
			// Layer = 1 + deepest dependency layer.
			level := make([]int, len(rows))
			maxLevel := 0
			for _, i := range order {
				for _, d := range deps[i] {
					if d != i && level[d]+1 > level[i] {
						level[i] = level[d] + 1
					}
				}
				maxLevel = max(maxLevel, level[i])
			}
			layers := make([][]*row, maxLevel+1)
			for i, r := range rows {
				layers[level[i]] = append(layers[level[i]], r)
			}
			return layers, post, nil
		}
		var ce *topo.CycleError
		if !errors.As(err, &ce) {
			return nil, nil, fmt.Errorf("%w: rows of %s reference each other in a cycle", ErrCircularDependency, m.Table)
		}
		// Break the cycle at its first row whose key in the cycle is nullable.
		broken := false
		for _, name := range ce.Cycle {
			var i int
			fmt.Sscanf(name[strings.LastIndexByte(name, '#')+1:], "%d", &i)
			r := rows[i]
			for _, pr := range r.parents {
				fk, parent := pr.fk, pr.e
				if _, in := index[parent]; in && fk.Nullable() && !r.nullFKs[fk] {
					if r.nullFKs == nil {
						r.nullFKs = map[*schema.ForeignKey]bool{}
					}
					r.nullFKs[fk] = true
					post = append(post, postUpdate{r, fk})
					broken = true
					break
				}
			}
			if broken {
				break
			}
		}
		if !broken {
			return nil, nil, fmt.Errorf("%w: rows of %s reference each other through NOT NULL foreign keys", ErrCircularDependency, m.Table)
		}
	}
}

// parentRef is one foreign key of a row and the entry whose key it takes.
type parentRef struct {
	fk *schema.ForeignKey
	e  *entry
}

// parentRefs holds a row's parents: a short list (rows have a few foreign
// keys), cheaper than a map per row.
type parentRefs []parentRef

func (l parentRefs) get(fk *schema.ForeignKey) (*entry, bool) {
	for _, r := range l {
		if r.fk == fk {
			return r.e, true
		}
	}
	return nil, false
}

func (l *parentRefs) set(fk *schema.ForeignKey, e *entry) {
	for i := range *l {
		if (*l)[i].fk == fk {
			(*l)[i].e = e
			return
		}
	}
	*l = append(*l, parentRef{fk, e})
}
