package session

import (
	"context"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// flusher builds and executes one plan and remembers how to undo its changes to the
// objects if the flush fails.
type flusher struct {
	s *Session
	d dialect.Dialect
	// pre holds copies of objects the flush changes, taken before it
	// changes them; the first one is in preE/preP, so that a flush of one
	// object makes no map.
	pre  map[*entry]unsafe.Pointer
	preE *entry
	preP unsafe.Pointer
	// firstPre and preSlabs hold the pre copies, per model.
	firstPre *snapSlab
	preSlabs map[*schema.Model]*snapSlab
	// runner sends the statements, on the flush's transaction (or the pool
	// for a single statement: see singleStatement).
	runner
	// pl is the plan being built; the cascade and syncRelations add to it.
	// It points to own, made with the flusher.
	pl  *plan
	own plan
	// cascaded are the states the delete cascade changed, undone on failure.
	cascaded []cascaded
}

// touch records an object's pre-flush values before the flush writes into it.
func (f *flusher) touch(r *row) { f.touchEntry(r.e, r.p) }

// preSlab returns the slab of pre copies of m, made for at least n of them.
func (f *flusher) preSlab(m *schema.Model, n int) *snapSlab {
	if f.firstPre != nil && f.firstPre.m == m {
		return f.firstPre // most flushes touch one model: no map
	}
	if f.firstPre == nil {
		f.firstPre = newSnapSlab(m, n)
		return f.firstPre
	}
	a := f.preSlabs[m]
	if a == nil {
		if f.preSlabs == nil {
			f.preSlabs = map[*schema.Model]*snapSlab{}
		}
		a = newSnapSlab(m, n)
		f.preSlabs[m] = a
	}
	return a
}

// touchEntry is touch for an object that is not (yet) a row of the plan.
func (f *flusher) touchEntry(e *entry, p unsafe.Pointer) {
	switch {
	case f.preE == nil:
		f.preE, f.preP = e, f.preSlab(e.model, 1).take(p)
		return
	case f.preE == e:
		return
	case f.pre == nil:
		// Sized for the plan's inserts and updates, which are all touched.
		f.pre = make(map[*entry]unsafe.Pointer, f.pl.writes())
	}
	if _, ok := f.pre[e]; !ok {
		f.pre[e] = f.preSlab(e.model, 1).take(p)
	}
}

// preOf returns the pre-flush copy of e (nil if the flush did not touch it).
func (f *flusher) preOf(e *entry) unsafe.Pointer {
	if e == f.preE {
		return f.preP
	}
	return f.pre[e]
}

// undo restores every object the flush changed. It runs once: later calls
// do nothing.
func (f *flusher) undo() {
	if f.preE != nil {
		restorePre(f.preE, f.preP)
	}
	for e, pre := range f.pre {
		restorePre(e, pre)
	}
	f.pre, f.preE, f.preP = nil, nil, nil
}

// restorePre copies a pre-flush copy back into e's object.
func restorePre(e *entry, pre unsafe.Pointer) {
	if p := e.ptr(); p != nil {
		for _, fl := range e.model.Fields {
			fl.Copy(p, pre)
		}
	}
}

func keyString(m *schema.Model, p unsafe.Pointer) string {
	id, ok, _ := keyOf(m, p)
	if !ok {
		return ""
	}
	return id.String()
}

// beforeHooks runs the Before model hooks of the planned rows (after
// recording their values, so that a failed flush undoes what the hooks
// changed) and recomputes the columns of updates, which hooks may change.
func (f *flusher) beforeHooks(ctx context.Context, pl *plan) error {
	for _, t := range pl.tables {
		m := t.model
		if m.Hooks&(schema.HookBeforeInsert|schema.HookBeforeUpdate|schema.HookBeforeDelete) == 0 {
			continue
		}
		for _, layer := range t.inserts {
			for _, r := range layer {
				f.touch(r)
				if err := f.s.hook(ctx, m, r.p, schema.HookBeforeInsert); err != nil {
					return err
				}
			}
		}
		kept := t.updates[:0]
		for _, r := range t.updates {
			f.touch(r)
			if err := f.s.hook(ctx, m, r.p, schema.HookBeforeUpdate); err != nil {
				return err
			}
			if m.Hooks.Has(schema.HookBeforeUpdate) {
				r.changed = changedFields(r.e, r.p)
			}
			if len(r.changed) > 0 {
				kept = append(kept, r)
			}
		}
		t.updates = kept
		for _, layer := range t.deletes {
			for _, r := range layer {
				if err := f.s.hook(ctx, m, r.p, schema.HookBeforeDelete); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// afterHooks runs one After model hook on rows just written.
func (f *flusher) afterHooks(ctx context.Context, m *schema.Model, rows []*row, h schema.Hook) error {
	if !m.Hooks.Has(h) {
		return nil
	}
	// The hooks run once the rows are written.
	if err := f.sync(ctx); err != nil {
		return err
	}
	for _, r := range rows {
		if err := f.s.hook(ctx, m, r.p, h); err != nil {
			return err
		}
	}
	return nil
}

// run sends the plan's statements in the order of its steps. In a
// pipeline (PostgreSQL through pgx, see pipeline.go) the statements whose
// results are only checked wait in a queue, sent as one batch before the
// next statement that returns rows (an INSERT that reads keys back), before
// After hooks, and at the end: a round trip per dependency layer rather
// than per statement.
func (f *flusher) run(ctx context.Context, pl *plan) error {
	if err := f.runSteps(ctx, pl); err != nil {
		return err
	}
	return f.sync(ctx)
}

// runSteps runs the steps of the plan: inserts and updates per table,
// post-updates, link rows, the cascade's NULLs, link rows of deleted ends,
// unlinks, deletes children first.
func (f *flusher) runSteps(ctx context.Context, pl *plan) error {
	for _, t := range pl.tables {
		for _, layer := range t.inserts {
			if err := f.insert(ctx, t.model, layer); err != nil {
				return err
			}
			if err := f.afterHooks(ctx, t.model, layer, schema.HookAfterInsert); err != nil {
				return err
			}
		}
		if err := f.updates(ctx, t.model, t.updates); err != nil {
			return err
		}
	}
	for _, pu := range pl.post {
		if err := f.postUpdate(ctx, pu); err != nil {
			return err
		}
	}
	if err := f.writeLinks(ctx, pl.links); err != nil {
		return err
	}
	if err := f.runNullify(ctx); err != nil {
		return err
	}
	if err := f.deleteEndLinks(ctx, pl); err != nil {
		return err
	}
	for _, pu := range pl.unlink {
		if err := f.unlink(ctx, pu); err != nil {
			return err
		}
	}
	for i := len(pl.tables) - 1; i >= 0; i-- {
		t := pl.tables[i]
		for _, layer := range t.deletes {
			if err := f.delete(ctx, t.model, layer); err != nil {
				return err
			}
			if err := f.afterHooks(ctx, t.model, layer, schema.HookAfterDelete); err != nil {
				return err
			}
		}
	}
	return nil
}

// singleStatement reports whether the plan is one statement that needs no
// transaction around it: the rows of one table inserted by one multi-row
// INSERT (keys read back by RETURNING or LastInsertId, no read-back of
// defaults, no sequence to move), or one row's UPDATE, with no After hooks
// whose failure would have to undo it.
func (f *flusher) singleStatement(pl *plan) bool {
	if len(pl.tables) != 1 || len(pl.post) > 0 || len(pl.unlink) > 0 || len(pl.links) > 0 || len(pl.nullify) > 0 || len(f.cascaded) > 0 {
		return false
	}
	t := pl.tables[0]
	m := t.model
	if len(t.deletes) > 0 || m.Hooks&(schema.HookAfterInsert|schema.HookAfterUpdate) != 0 {
		return false
	}
	switch {
	case len(t.inserts) == 1 && len(t.updates) == 0:
		rows := t.inserts[0]
		var first uint64
		for i, r := range rows {
			if len(r.nullFKs) > 0 {
				return false
			}
			for _, pr := range r.parents {
				parent := pr.e
				if parent.state != StatePersistent {
					return false // inserted in this flush: another statement
				}
			}
			mask, ok := m.InsertMask(r.p)
			if !ok {
				return false
			}
			if i == 0 {
				first = mask
			} else if mask != first {
				return false
			}
		}
		write, gen := insertColumns(m, rows[0].p, first, true)
		if len(rows) > rowsPerStatement(f.d, len(write), DefaultBulkBatchSize) {
			return false
		}
		if m.AutoIncrement != nil && indexOf(write, m.AutoIncrement) >= 0 && resetsSequence(f.d, m) {
			return false // the sequence is moved by a second statement
		}
		if !f.d.Features().Has(dialect.InsertReturning) {
			for _, g := range gen {
				if g != m.AutoIncrement {
					return false // defaults are read back by a SELECT
				}
			}
		}
		return true
	case len(t.inserts) == 0 && len(t.updates) == 1:
		// One row only: a batched UPDATE of several rows that matches
		// some of them but not all must be rolled back, so it needs a
		// transaction.
		return len(t.updates[0].nullFKs) == 0
	}
	return false
}

// finalize moves objects to their new states once the flush succeeded. It
// returns the objects deleted.
func (s *Session) finalize(pl *plan, f *flusher) []*entry {
	tx := s.tx
	for _, t := range pl.tables {
		n := 0
		for _, layer := range t.inserts {
			n += len(layer)
		}
		s.im.reserveKeys(t.model, n)
	}
	for _, t := range pl.tables {
		rows := len(t.updates)
		for _, layer := range t.inserts {
			rows += len(layer)
		}
		snaps := newSnapSlab(t.model, rows)
		for _, layer := range t.inserts {
			for _, r := range layer {
				e := r.e
				if tx != nil {
					tx.record(e).inserted(r.generated, f.preOf(e))
				}
				if id, ok, err := keyOf(e.model, r.p); err == nil && ok {
					s.im.setID(e, id)
				}
				e.state = StatePersistent
				e.snapshot = snaps.take(r.p)
				s.im.settle(e, true)
			}
		}
		for _, r := range t.updates {
			e := r.e
			if tx != nil {
				tx.record(e)
			}
			e.snapshot = snaps.take(r.p)
			if id, ok, err := keyOf(e.model, r.p); err == nil && ok && id != e.id {
				s.im.setID(e, id)
			}
			s.im.settle(e, true)
		}
	}
	for _, pu := range pl.post {
		e := pu.r.e
		if tx != nil && e.state == StatePersistent {
			tx.record(e)
		}
		e.snapshot = takeSnapshot(e.model, pu.r.p)
	}
	var deleted []*entry
	for _, t := range pl.tables {
		for _, layer := range t.deletes {
			for _, r := range layer {
				e := r.e
				if tx != nil {
					tx.record(e).deleted()
				}
				s.im.drop(e)
				e.state = StateDetached
				s.rememberGone(r.p, "deleted")
				deleted = append(deleted, e)
			}
		}
	}
	return deleted
}
