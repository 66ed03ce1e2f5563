package session

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/statement"
)

// linkOp is one pending Link or Unlink of a many-to-many collection.
type linkOp struct {
	rel    *schema.Relation
	owner  *entry
	target unsafe.Pointer
	unlink bool
	coll   schema.LinkOps // the collection that recorded it
	// seq orders the Link and Unlink calls of all collections (0: an
	// operation implied by what a collection holds).
	seq uint64
}

// linkCaller is implemented by collections that number their Link and
// Unlink calls (relations.RelatedMany), so that calls on the two sides of
// a pair can be put in order.
type linkCaller interface {
	LinkCalls() (objs []any, unlink []bool, seq []uint64)
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
			fv, err := rel.FieldValue(p)
			if err != nil {
				continue
			}
			lo, ok := fv.Interface().(schema.LinkOps)
			if !ok {
				continue
			}
			if lc, ok := lo.(linkCaller); ok {
				objs, unlink, seq := lc.LinkCalls()
				if len(objs) == 0 {
					continue
				}
				colls = append(colls, lo)
				for i, o := range objs {
					ops = append(ops, linkOp{rel: rel, owner: e, target: reflect.ValueOf(o).UnsafePointer(), unlink: unlink[i], coll: lo, seq: seq[i]})
				}
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

// cancelLinkOps reduces the operations on each pair, from one side or
// both (hero.Powers.Link(p), p.Heroes.Unlink(h)), to what they amount to
// taken in the order they were made: a link and an unlink cancel (the pair
// stays as the database has it), so that a flush with only such operations
// sends no SQL, and after a cancelled pair the next operation counts again
// (unlinked from one side, linked again from the other: linked). A
// collection left without operations is cleared.
func cancelLinkOps(ops []linkOp, colls []schema.LinkOps) ([]linkOp, []schema.LinkOps) {
	if len(ops) < 2 {
		return ops, colls
	}
	byPair := map[pairKey][]int{}
	for i, op := range ops {
		k := pairOf(op)
		byPair[k] = append(byPair[k], i)
	}
	keep := make([]bool, len(ops))
	for _, idx := range byPair {
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ops[a].seq, ops[b].seq) })
		// Repeated calls in one direction (both sides unlinking) count
		// once; each change of direction undoes the one before. An odd
		// number of changes leaves the last direction.
		runs, unlink := 0, false
		for n, i := range idx {
			if n == 0 || ops[i].unlink != unlink {
				runs++
				unlink = ops[i].unlink
			}
		}
		for _, i := range idx {
			keep[i] = runs%2 == 1 && ops[i].unlink == unlink
		}
	}
	kept := ops[:0:0]
	live := map[schema.LinkOps]bool{}
	for i, op := range ops {
		if keep[i] {
			kept = append(kept, op)
			live[op.coll] = true
		}
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
		write, _ := link.Model.InsertColumns(tmp)
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
	// Link rows carry the keys of both ends, some generated in this flush.
	if err := f.needKeys(ctx); err != nil {
		return err
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

// insertLinks inserts link rows; a pair already linked in the database is
// not an error.
func (f *flusher) insertLinks(ctx context.Context, m *schema.Model, rows []linkRow) error {
	if len(rows) == 0 {
		return nil
	}
	cols := rows[0].insCols
	return f.linkStatements(ctx, "insert", m, len(rows), len(cols), func(n int) string {
		return statement.InsertIgnoringDuplicates(f.d, m.Table, cols, n)
	}, func(i int) []any { return rows[i].insVals })
}

// deleteLinks deletes link rows by their key columns.
func (f *flusher) deleteLinks(ctx context.Context, m *schema.Model, rows []linkRow) error {
	if len(rows) == 0 {
		return nil
	}
	cols := rows[0].cols
	return f.linkStatements(ctx, "delete", m, len(rows), len(cols), func(n int) string {
		return statement.Delete(f.d, m.Table, cols, n)
	}, func(i int) []any { return rows[i].vals })
}

// linkStatements sends n link rows of k values each in chunks under the
// bind limit: text(rows) is the statement of a chunk, vals(i) the values of
// row i.
func (f *flusher) linkStatements(ctx context.Context, op string, m *schema.Model, n, k int, text func(rows int) string, vals func(i int) []any) error {
	for _, ch := range f.s.chunks(n, k) {
		args := make([]any, 0, (ch[1]-ch[0])*k)
		for i := ch[0]; i < ch[1]; i++ {
			args = append(args, vals(i)...)
		}
		if err := f.execCheck(ctx, text(ch[1]-ch[0]), args, failAs(op, m.Table, "")); err != nil {
			return err
		}
	}
	return nil
}

// historyLinks returns the link operations that the loaded many-to-many
// collections of the tracked object e imply: targets added since the base
// are linked, targets removed are unlinked.
func historyLinks(e *entry, p unsafe.Pointer) []linkOp {
	if e.rels == nil {
		return nil
	}
	var ops []linkOp
	for i, r := range e.model.Relations {
		if r.Kind != schema.ManyToMany {
			continue
		}
		b := e.base(i)
		if !b.loaded {
			continue
		}
		items, loaded := relItems(r, p)
		if !loaded {
			continue
		}
		for _, t := range items {
			if !b.has(t) {
				ops = append(ops, linkOp{rel: r, owner: e, target: t})
			}
		}
		for _, t := range b.items {
			if !slices.Contains(items, t) {
				ops = append(ops, linkOp{rel: r, owner: e, target: t, unlink: true})
			}
		}
	}
	return ops
}
