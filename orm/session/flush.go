package session

import (
	"context"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/engine"
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
	if len(s.im.list) == 0 {
		return nil // nothing tracked: nothing to write
	}
	// What the flush reads (the delete cascade's children) decides what it
	// writes: read it on the primary. Those reads do not flush again.
	s.forWrite++
	s.noAutoFlush++
	defer func() { s.forWrite--; s.noAutoFlush-- }()
	f := &flusher{s: s, d: s.db.dialect}
	f.pl = &f.own
	pl, err := f.prepare(ctx)
	if err != nil {
		f.undoAll()
		return err
	}
	if pl.empty() {
		s.afterFlushRelations(pl, nil)
		return nil
	}
	s.wrote = true
	var inTx *engine.TxEvent
	if s.tx != nil {
		inTx = s.tx.obs
	}
	fctx, obs := s.db.eng.BeforeFlush(ctx, inTx)
	err = f.execute(fctx, pl)
	s.db.eng.AfterFlush(fctx, obs, err)
	if err != nil {
		f.undoAll()
		return err
	}
	s.afterFlush(pl, f)
	return fireAfter(ctx, "after-flush", s.ev.afterFlush)
}

// prepare computes the plan: the save cascade, relation changes turned into
// foreign keys, the delete cascade and the ordered rows. Before-flush
// handlers, which may add, change or delete objects, run once there is
// work, and the plan is computed again after them. Before model hooks run
// last, on the planned rows.
func (f *flusher) prepare(ctx context.Context) (*plan, error) {
	s := f.s
	pl, err := f.planOnce(ctx)
	if err != nil || pl.empty() {
		return pl, err
	}
	if len(s.ev.beforeFlush) > 0 {
		if err := fireBefore(ctx, "before-flush", s.ev.beforeFlush); err != nil {
			return nil, err
		}
		f.pl.moves = f.pl.moves[:0]
		if pl, err = f.planOnce(ctx); err != nil || pl.empty() {
			return pl, err
		}
	}
	if err := f.beforeHooks(ctx, pl); err != nil {
		return nil, err
	}
	return pl, nil
}

// planOnce is one round of planning: the save cascade, syncRelations and
// plan.
func (f *flusher) planOnce(ctx context.Context) (*plan, error) {
	if err := f.s.cascadeTracked(); err != nil {
		return nil, errwrap.Wrapf(err, "flush")
	}
	if err := f.syncRelations(); err != nil {
		return nil, errwrap.Wrapf(err, "flush")
	}
	return f.plan(ctx)
}

// undoAll restores the objects and states a failed flush changed.
func (f *flusher) undoAll() {
	f.undo()
	f.undoCascade()
}

// execute runs the plan in a transaction (the session's, under a
// savepoint when it holds earlier work), or as one statement without one
// when the plan is a single statement that commits right away.
func (f *flusher) execute(ctx context.Context, pl *plan) error {
	s := f.s
	if s.tx == nil && (s.committing || !s.cfg.AutoBegin) && len(s.ev.afterFlush) == 0 && f.singleStatement(pl) {
		// One statement that commits right away is atomic by itself:
		// no BEGIN and COMMIT round trips around it.
		f.runner = runner{db: s.db, c: s.db.x}
		defer f.close()
		if err := ctx.Err(); err != nil {
			return err
		}
		return f.run(ctx, pl)
	}
	return s.inFlushTx(ctx, func(c conn) error {
		f.runner = runner{db: s.db, c: c, inTx: true, pipe: s.db.pipelineOn(s.tx)}
		defer f.close()
		return f.run(ctx, pl)
	}, f.undoAll)
}

// afterFlush moves the objects to their new states once the plan ran:
// inserted and updated objects become persistent and clean, deleted ones
// and those the database deleted leave the session, the relations in
// memory follow, and objects the database changed are expired.
func (s *Session) afterFlush(pl *plan, f *flusher) {
	deleted := s.finalize(pl, f)
	for _, c := range pl.colls {
		c.ClearPending()
	}
	// Children the database deleted or changed by its ON DELETE rules, and
	// link_model objects whose ends were deleted.
	gone := pl.detach
	for _, el := range pl.endLinks {
		gone = append(gone, el.detach...)
	}
	for _, e := range gone {
		s.im.drop(e)
		e.state = StateDetached
		s.rememberGone(e.ptr(), "deleted")
		deleted = append(deleted, e)
	}
	s.afterFlushRelations(pl, deleted)
	for _, e := range pl.expire {
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
}
