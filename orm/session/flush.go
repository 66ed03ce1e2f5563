package session

import (
	"context"
	"fmt"
	"unsafe"

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
