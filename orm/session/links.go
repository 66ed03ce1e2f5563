package session

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// linkOp is one pending Link or Unlink of a many-to-many collection.
type linkOp struct {
	rel    *schema.Relation
	owner  *entry
	target unsafe.Pointer
	unlink bool
	coll   schema.LinkOps // the collection that recorded it
}

// pendingLinks collects the Link/Unlink operations of every tracked
// collection, and the collections that hold them.
func (s *Session) pendingLinks() ([]linkOp, []schema.LinkOps) {
	var ops []linkOp
	var colls []schema.LinkOps
	if s.im.withRel == 0 {
		return nil, nil
	}
	s.im.live(func(e *entry, p unsafe.Pointer) {
		if e.state == StatePersistent {
			// Targets added to or removed from loaded collections since
			// they were loaded or last flushed.
			ops = append(ops, historyLinks(e, p)...)
		}
		for _, rel := range e.model.Relations {
			if rel.Kind != schema.ManyToMany {
				continue
			}
			if e.state == StateNew {
				// A new object has no link rows: what its collection
				// holds is linked.
				if items, loaded := relItems(rel, p); loaded {
					for _, t := range items {
						ops = append(ops, linkOp{rel: rel, owner: e, target: t})
					}
				}
			}
			fv, err := relField(rel, p)
			if err != nil {
				continue
			}
			lo, ok := fv.Interface().(schema.LinkOps)
			if !ok {
				continue
			}
			link, unlink := lo.PendingLinks()
			if len(link)+len(unlink) == 0 {
				// Links and unlinks that cancelled out: nothing waits.
				lo.ClearPending()
				continue
			}
			colls = append(colls, lo)
			for _, o := range link {
				ops = append(ops, linkOp{rel: rel, owner: e, target: reflect.ValueOf(o).UnsafePointer(), coll: lo})
			}
			for _, o := range unlink {
				ops = append(ops, linkOp{rel: rel, owner: e, target: reflect.ValueOf(o).UnsafePointer(), unlink: true, coll: lo})
			}
		}
	})
	ops, colls = cancelLinkOps(ops, colls)
	sortLinkOps(ops)
	return ops, colls
}

// pairKey names one pair of a link table by its two ends, oriented by the
// link table's columns, so that both sides of a relation give the same key.
type pairKey struct {
	link *schema.Model
	a, b unsafe.Pointer
}

func pairOf(op linkOp) pairKey {
	link := op.rel.Link
	owner, target := op.owner.ptr(), op.target
	if len(link.Model.Fields) > 0 && slices.Contains(link.RemoteColumns, link.Model.Fields[0]) {
		owner, target = target, owner
	}
	return pairKey{link.Model, owner, target}
}

// cancelLinkOps drops a link and an unlink of the same pair recorded on
// the two sides of a relation (hero.Powers.Link(p), p.Heroes.Unlink(h)):
// they cancel, so that a flush with only such operations sends no SQL. A
// collection left without operations is cleared.
func cancelLinkOps(ops []linkOp, colls []schema.LinkOps) ([]linkOp, []schema.LinkOps) {
	if len(ops) < 2 {
		return ops, colls
	}
	type net struct{ linked, unlinked bool }
	pairs := map[pairKey]*net{}
	for _, op := range ops {
		k := pairOf(op)
		n := pairs[k]
		if n == nil {
			n = &net{}
			pairs[k] = n
		}
		if op.unlink {
			n.unlinked = true
		} else {
			n.linked = true
		}
	}
	kept := ops[:0:0]
	live := map[schema.LinkOps]bool{}
	for _, op := range ops {
		if n := pairs[pairOf(op)]; n.linked && n.unlinked {
			continue
		}
		kept = append(kept, op)
		live[op.coll] = true
	}
	if len(kept) == len(ops) {
		return ops, colls
	}
	keptColls := colls[:0:0]
	for _, c := range colls {
		if live[c] {
			keptColls = append(keptColls, c)
		} else {
			c.ClearPending()
		}
	}
	return kept, keptColls
}

func sortLinkOps(ops []linkOp) {
	// Stable by owner add order, keeping each collection's own order.
	for i := 1; i < len(ops); i++ {
		for j := i; j > 0 && ops[j].owner.seq < ops[j-1].owner.seq; j-- {
			ops[j], ops[j-1] = ops[j-1], ops[j]
		}
	}
}

// linkRow is one row of a link table: values in the order of the link
// model's key columns.
type linkRow struct {
	model *schema.Model
	cols  []*schema.Field
	vals  []any
	key   string
	// insCols and insVals are what an INSERT writes: the key columns, and
	// for a link_model struct also its other columns, as a new zero value
	// of the struct with these keys would be inserted (a NOT NULL extra
	// column would otherwise fail the INSERT).
	insCols []*schema.Field
	insVals []any
}

// rowOf maps an operation to its link row, oriented by the link table's
// columns so that both sides of a relation give the same row.
func rowOf(op linkOp, targetEntry *entry) (linkRow, error) {
	link := op.rel.Link
	ownerP := op.owner.ptr()
	row := linkRow{model: link.Model}
	vals := map[*schema.Field]any{}
	for i, f := range link.LocalColumns {
		v, err := op.rel.LocalFields[i].Value(ownerP)
		if err != nil || v == nil {
			return row, fmt.Errorf("%s.%s: the owner has no key", op.rel.Model.Name, op.rel.Name)
		}
		vals[f] = v
	}
	for i, f := range link.RemoteColumns {
		v, err := op.rel.RemoteFields[i].Value(op.target)
		if err != nil || v == nil {
			return row, fmt.Errorf("%s.%s: the linked %s has no key (add it to the session)", op.rel.Model.Name, op.rel.Name, op.rel.Target.Name)
		}
		vals[f] = v
	}
	var key strings.Builder
	key.WriteString(link.Model.Table)
	for _, f := range link.Model.Fields {
		v, ok := vals[f]
		if !ok {
			continue
		}
		k, err := normKey(v)
		if err != nil {
			return row, err
		}
		row.cols = append(row.cols, f)
		row.vals = append(row.vals, v)
		fmt.Fprintf(&key, "|%d:%s", k.kind, k.String())
	}
	row.key = key.String()
	row.insCols, row.insVals = row.cols, row.vals
	if link.Declared && link.Model.Type != nil && len(link.Model.Fields) > len(row.cols) {
		tmp := reflect.New(link.Model.Type).UnsafePointer()
		for i, f := range row.cols {
			if err := f.Set(tmp, row.vals[i]); err != nil {
				return row, err
			}
		}
		write, _ := insertColumns(link.Model, tmp)
		row.insCols, row.insVals = write, make([]any, len(write))
		for i, f := range write {
			v, err := f.Value(tmp)
			if err != nil {
				return row, err
			}
			row.insVals[i] = v
		}
	}
	return row, nil
}

// writeLinks inserts and deletes link rows: duplicates (both sides related)
// collapse into one row, and an insert and a delete of the same row cancel.
func (f *flusher) writeLinks(ctx context.Context, ops []linkOp) error {
	if len(ops) == 0 {
		return nil
	}
	type pending struct {
		row              linkRow
		linked, unlinked bool
	}
	rows := map[string]*pending{}
	var order []string
	for _, op := range ops {
		if te := f.s.im.lookupPtr(op.target); (te == nil || te.state == StateDeleted) && !op.unlink {
			return &FlushError{Op: "insert", Table: op.rel.Link.Table(), Err: fmt.Errorf("%s.%s links a %s that the session does not track (Add it)", op.rel.Model.Name, op.rel.Name, op.rel.Target.Name)}
		}
		row, err := rowOf(op, nil)
		if err != nil {
			return &FlushError{Op: "insert", Table: op.rel.Link.Table(), Err: err}
		}
		p := rows[row.key]
		if p == nil {
			p = &pending{row: row}
			rows[row.key] = p
			order = append(order, row.key)
		}
		// Both sides linking the same pair make one row; a link and an
		// unlink of the same pair cancel.
		if op.unlink {
			p.unlinked = true
		} else {
			p.linked = true
		}
	}
	inserts := map[*schema.Model][]linkRow{}
	deletes := map[*schema.Model][]linkRow{}
	var models []*schema.Model
	seen := map[*schema.Model]bool{}
	for _, k := range order {
		p := rows[k]
		m := p.row.model
		if !seen[m] {
			seen[m] = true
			models = append(models, m)
		}
		switch {
		case p.linked && !p.unlinked:
			inserts[m] = append(inserts[m], p.row)
		case p.unlinked && !p.linked:
			deletes[m] = append(deletes[m], p.row)
		}
	}
	for _, m := range models {
		if err := f.insertLinks(ctx, m, inserts[m]); err != nil {
			return err
		}
	}
	for _, m := range models {
		if err := f.deleteLinks(ctx, m, deletes[m]); err != nil {
			return err
		}
	}
	return nil
}

func (f *flusher) insertLinks(ctx context.Context, m *schema.Model, rows []linkRow) error {
	if len(rows) == 0 {
		return nil
	}
	cols := rows[0].insCols
	for _, ch := range f.s.chunks(len(rows), len(cols)) {
		part := rows[ch[0]:ch[1]]
		w := &sqlWriter{d: f.d}
		w.raw("INSERT INTO ")
		w.ident(m.Table)
		w.raw(" (")
		w.idents(cols)
		w.raw(") VALUES ")
		var args []any
		for i, r := range part {
			if i > 0 {
				w.raw(", ")
			}
			w.tuple(len(cols))
			args = append(args, r.insVals...)
		}
		// A pair already linked in the database is not an error.
		clause, err := dialect.OnConflict(f.d, m.Table, dialect.Conflict{DoNothing: true, Keep: cols[0].Column})
		if err != nil {
			return &FlushError{Op: "insert", Table: m.Table, Err: err}
		}
		w.raw(clause)
		if _, err := f.exec(ctx, w.b.String(), args...); err != nil {
			return &FlushError{Op: "insert", Table: m.Table, Err: err}
		}
	}
	return nil
}

func (f *flusher) deleteLinks(ctx context.Context, m *schema.Model, rows []linkRow) error {
	if len(rows) == 0 {
		return nil
	}
	cols := rows[0].cols
	for _, ch := range f.s.chunks(len(rows), len(cols)) {
		part := rows[ch[0]:ch[1]]
		w := &sqlWriter{d: f.d}
		w.raw("DELETE FROM ")
		w.ident(m.Table)
		w.raw(" WHERE ")
		w.keyMatch(cols, len(part))
		var args []any
		for _, r := range part {
			args = append(args, r.vals...)
		}
		if _, err := f.exec(ctx, w.b.String(), args...); err != nil {
			return &FlushError{Op: "delete", Table: m.Table, Err: err}
		}
	}
	return nil
}

// deleteEndLinks removes the link rows of objects about to be deleted, for
// every many-to-many relation that has them at either end. Rows of a
// link_model that this flush deletes as objects are left to their own
// DELETE (whose row count is checked); its other tracked rows that
// reference a deleted end leave the session with the end.
func (f *flusher) deleteEndLinks(ctx context.Context, pl *plan) error {
	for _, t := range pl.tables {
		if len(t.deletes) == 0 {
			continue
		}
		for _, lr := range linkRelations(f.s.db.registry, t.model) {
			var keys [][]any
			ends := map[idKey]bool{}
			for _, layer := range t.deletes {
				for _, r := range layer {
					src := r.e.snapshot
					if src == nil {
						src = r.p
					}
					vals := make([]any, len(lr.keyFields))
					for i, kf := range lr.keyFields {
						vals[i], _ = kf.Value(src)
					}
					keys = append(keys, vals)
					if k, err := keyOfValues(vals); err == nil {
						ends[k] = true
					}
				}
			}
			var pk []*schema.Field
			var excl [][]any
			if lr.link.Type != nil {
				pk, excl = f.linkObjectsOfEnds(pl, lr, ends)
			}
			per := (f.d.MaxBindParams() - len(excl)*len(pk)) / max(1, len(lr.cols))
			if per < 1 {
				return &FlushError{Op: "delete", Table: lr.link.Table, Err: fmt.Errorf("too many %s rows deleted together with their ends for one statement; flush them first", lr.link.Name)}
			}
			for start := 0; start < len(keys); start += per {
				part := keys[start:min(len(keys), start+per)]
				w := &sqlWriter{d: f.d}
				w.raw("DELETE FROM ")
				w.ident(lr.link.Table)
				w.raw(" WHERE ")
				w.keyMatch(lr.cols, len(part))
				var args []any
				for _, v := range part {
					args = append(args, v...)
				}
				if len(excl) > 0 {
					w.raw(" AND NOT (")
					w.keyMatch(pk, len(excl))
					w.raw(")")
					for _, v := range excl {
						args = append(args, v...)
					}
				}
				if _, err := f.exec(ctx, w.b.String(), args...); err != nil {
					return &FlushError{Op: "delete", Table: lr.link.Table, Err: err}
				}
			}
		}
	}
	return nil
}

// linkObjectsOfEnds looks at the tracked objects of a link_model whose
// columns lr.cols reference one of the deleted ends: the primary keys of
// those this flush deletes itself are returned (to leave out of the end's
// statement), the persistent ones are detached after the flush.
func (f *flusher) linkObjectsOfEnds(pl *plan, lr endLink, ends map[idKey]bool) (pk []*schema.Field, excl [][]any) {
	m := lr.link
	refs := func(p unsafe.Pointer) bool {
		k, _, ok := tupleKey(lr.cols, p)
		return ok && ends[k]
	}
	for _, t := range pl.tables {
		if t.model != m {
			continue
		}
		for _, layer := range t.deletes {
			for _, r := range layer {
				src := r.dbValues()
				if !refs(src) {
					continue
				}
				vals := make([]any, len(m.PrimaryKey))
				for i, f := range m.PrimaryKey {
					vals[i], _ = f.Value(src)
				}
				excl = append(excl, vals)
			}
		}
	}
	f.s.im.live(func(e *entry, p unsafe.Pointer) {
		if e.model != m || e.state != StatePersistent {
			return
		}
		src := p
		if e.snapshot != nil {
			src = e.snapshot
		}
		if refs(src) {
			f.detach = append(f.detach, e)
		}
	})
	return m.PrimaryKey, excl
}

// endLink is one link table with the columns referencing a model.
type endLink struct {
	link      *schema.Model
	cols      []*schema.Field // link columns referencing the model
	keyFields []*schema.Field // the model's key fields they reference
}

// linkRelations lists the link tables that reference m through a
// many-to-many relation declared on m or on another model, once each.
func linkRelations(reg *schema.Registry, m *schema.Model) []endLink {
	var out []endLink
	seen := map[string]bool{}
	add := func(link *schema.Model, cols, keys []*schema.Field) {
		k := link.Table + ":" + cols[0].Column
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, endLink{link, cols, keys})
	}
	for _, r := range m.Relations {
		if r.Kind == schema.ManyToMany {
			add(r.Link.Model, r.Link.LocalColumns, r.LocalFields)
		}
	}
	for _, other := range reg.Models() {
		for _, r := range other.Relations {
			if r.Kind == schema.ManyToMany && r.Target == m {
				add(r.Link.Model, r.Link.RemoteColumns, r.RemoteFields)
			}
		}
	}
	return out
}
