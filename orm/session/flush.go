package session

import (
	"context"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Flush writes every pending INSERT, UPDATE and DELETE in one atomic step:
// tables in foreign-key order (parents first for inserts and updates,
// children first for deletes), inserts of one table batched into multi-row
// statements with generated keys read back, deletes batched with IN, all
// under the dialect's bind-parameter limit. With nothing to do it sends no
// SQL.
//
// If any statement fails, or ctx is cancelled, the database is rolled back
// to where the flush began (to a savepoint when the transaction held earlier
// work) and the session is as it was before: pending objects stay pending,
// keys the flush wrote into structs are cleared, snapshots are unchanged.
// The error says which statement, table and key failed; fix the object and
// flush again.
func (s *Session) Flush(ctx context.Context) error {
	if err := s.enter("Flush"); err != nil {
		return err
	}
	defer s.exit()
	return s.flush(ctx)
}

func (s *Session) flush(ctx context.Context) error {
	if s.closed {
		return ErrSessionClosed
	}
	if err := s.checkAborted(); err != nil {
		return err
	}
	// What the flush reads (the delete cascade's children) decides what it
	// writes: read it on the primary. Those reads do not flush again.
	s.forWrite++
	s.noAutoFlush++
	defer func() { s.forWrite--; s.noAutoFlush-- }()
	if err := s.cascadeTracked(); err != nil {
		return fmt.Errorf("orm: flush: %w", err)
	}
	f := &flusher{s: s, d: s.db.dialect, pre: map[*entry]unsafe.Pointer{}, generated: map[*entry][]*schema.Field{}}
	undo := func() {
		f.undo()
		f.undoCascade()
	}
	if err := f.syncRelations(); err != nil {
		undo()
		return fmt.Errorf("orm: flush: %w", err)
	}
	pl, colls, err := f.plan(ctx)
	if err != nil {
		undo()
		return err
	}
	if pl.empty() {
		s.afterFlushRelations(f, nil)
		return nil
	}
	if len(s.ev.beforeFlush) > 0 {
		if err := fireBefore(ctx, "before-flush", s.ev.beforeFlush); err != nil {
			undo()
			return err
		}
		// The handlers may have added, changed or deleted objects.
		if err := s.cascadeTracked(); err != nil {
			undo()
			return fmt.Errorf("orm: flush: %w", err)
		}
		f.moves = f.moves[:0]
		if err := f.syncRelations(); err != nil {
			undo()
			return fmt.Errorf("orm: flush: %w", err)
		}
		if pl, colls, err = f.plan(ctx); err != nil {
			undo()
			return err
		}
		if pl.empty() {
			s.afterFlushRelations(f, nil)
			return nil
		}
	}
	if err := f.beforeHooks(ctx, pl); err != nil {
		undo()
		return err
	}
	s.wrote = true
	if s.tx == nil && (s.committing || !s.cfg.AutoBegin) && len(s.ev.afterFlush) == 0 && f.singleStatement(pl) {
		// One statement that commits right away is atomic by itself:
		// no BEGIN and COMMIT round trips around it.
		f.auto, f.c = true, s.db.x
		if err = ctx.Err(); err == nil {
			err = f.run(ctx, pl)
		}
		f.close()
	} else {
		err = s.inFlushTx(ctx, func(c conn) error {
			f.c = c
			defer f.close()
			return f.run(ctx, pl)
		}, undo)
	}
	if err != nil {
		undo()
		return err
	}
	deleted := s.finalize(pl, f)
	for _, c := range colls {
		c.ClearPending()
	}
	// Children the database deleted or changed by its ON DELETE rules.
	for _, e := range f.detach {
		s.im.drop(e)
		e.state = StateDetached
		s.rememberGone(e.ptr(), "deleted")
		deleted = append(deleted, e)
	}
	s.afterFlushRelations(f, deleted)
	for _, e := range f.expire {
		if e.tracked && e.state == StatePersistent {
			s.expireEntry(e)
		}
	}
	// delete_orphan collections start again from what they hold now.
	for k := range s.colls {
		if k.owner.tracked && k.owner.state == StatePersistent {
			s.recordCollection(k.owner, k.rel, k.owner.ptr())
		} else {
			delete(s.colls, k)
		}
	}
	return fireAfter(ctx, "after-flush", s.ev.afterFlush)
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

// cascadeTracked adds the untracked objects that the loaded relations of
// tracked objects hold (the save cascade, applied again at flush so that a
// Lazy set after Add is not lost).
func (s *Session) cascadeTracked() error {
	if s.im.withRel == 0 {
		return nil
	}
	var withRel []*entry
	s.im.live(func(e *entry, _ unsafe.Pointer) {
		if e.state != StateDeleted && len(e.model.Relations) > 0 {
			withRel = append(withRel, e)
		}
	})
	seen := map[unsafe.Pointer]bool{}
	var undo addUndo
	for _, e := range withRel {
		p := e.ptr()
		if p == nil {
			continue
		}
		for _, r := range e.model.Relations {
			objs, _ := relationObjects(r, p)
			if r.Kind == schema.ManyToMany {
				if fv, err := relField(r, p); err == nil {
					if lo, ok := fv.Interface().(schema.LinkOps); ok {
						linked, _ := lo.PendingLinks()
						objs = append(objs, linked...)
					}
				}
			}
			for _, o := range objs {
				op := reflect.ValueOf(o).UnsafePointer()
				// Only untracked objects: a tracked one (say, a child
				// deleted while its parent still holds it) keeps its state.
				if op == nil || s.im.lookupPtr(op) != nil {
					continue
				}
				if !seen[op] {
					if err := s.refuseReached(r, e.model, r.Target, op, true); err != nil {
						undo.revert(&s.im)
						return err
					}
				}
				if err := s.add(r.Target, op, seen, &undo, false); err != nil {
					undo.revert(&s.im)
					return fmt.Errorf("%s.%s: %w", e.model.Name, r.Name, err)
				}
			}
		}
	}
	return nil
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
	for _, r := range rows {
		if err := f.s.hook(ctx, m, r.p, h); err != nil {
			return err
		}
	}
	return nil
}

func (f *flusher) run(ctx context.Context, pl *plan) error {
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

// finalize moves objects to their new states once the flush succeeded. It
// returns the objects deleted.
func (s *Session) finalize(pl *plan, f *flusher) []*entry {
	tx := s.tx
	n := 0
	for _, t := range pl.tables {
		for _, layer := range t.inserts {
			n += len(layer)
		}
	}
	s.im.reserveKeys(n)
	for _, t := range pl.tables {
		for _, layer := range t.inserts {
			for _, r := range layer {
				e := r.e
				if tx != nil {
					tx.record(e).inserted(f.generated[e], f.pre[e])
				}
				if id, ok, err := keyOf(e.model, r.p); err == nil && ok {
					s.im.setID(e, id)
				}
				e.state = StatePersistent
				e.snapshot = takeSnapshot(e.model, r.p)
				s.im.settle(e, true)
			}
		}
		for _, r := range t.updates {
			e := r.e
			if tx != nil {
				tx.record(e)
			}
			e.snapshot = takeSnapshot(e.model, r.p)
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

// singleStatement reports whether the plan is one statement that needs no
// transaction around it: the rows of one table inserted by one multi-row
// INSERT (keys read back by RETURNING or LastInsertId, no read-back of
// defaults, no sequence to move), or one row's UPDATE, with no After hooks
// whose failure would have to undo it.
func (f *flusher) singleStatement(pl *plan) bool {
	if len(pl.tables) != 1 || len(pl.post) > 0 || len(pl.unlink) > 0 || len(pl.links) > 0 || pl.nullify || len(f.nullify) > 0 || len(f.cascaded) > 0 {
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
			mask, ok := insertMask(m, r.p)
			if !ok {
				return false
			}
			if i == 0 {
				first = mask
			} else if mask != first {
				return false
			}
		}
		write, gen := insertColumns(m, rows[0].p)
		if len(rows) > max(1, min(1000, f.d.MaxBindParams()/max(1, len(write)))) {
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
