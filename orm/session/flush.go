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
	if s.closed {
		return ErrSessionClosed
	}
	pl, err := s.buildPlan()
	if err != nil {
		return fmt.Errorf("orm: flush: %w", err)
	}
	if pl.empty() {
		return nil
	}
	f := &flusher{s: s, d: s.db.dialect, pre: map[*entry]unsafe.Pointer{}, generated: map[*entry][]*schema.Field{}}
	err = s.inFlushTx(ctx, func(c conn) error {
		f.c = c
		return f.run(ctx, pl)
	}, f.undo)
	if err != nil {
		f.undo()
		return err
	}
	s.finalize(pl, f)
	return nil
}

func (f *flusher) run(ctx context.Context, pl *plan) error {
	for _, t := range pl.tables {
		for _, layer := range t.inserts {
			if err := f.insert(ctx, t.model, layer); err != nil {
				return err
			}
		}
		for _, r := range t.updates {
			if err := f.update(ctx, t.model, r); err != nil {
				return err
			}
		}
	}
	for _, pu := range pl.post {
		if err := f.postUpdate(ctx, pu); err != nil {
			return err
		}
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
		}
	}
	return nil
}

// finalize moves objects to their new states once the flush succeeded.
func (s *Session) finalize(pl *plan, f *flusher) {
	tx := s.tx
	for _, t := range pl.tables {
		for _, layer := range t.inserts {
			for _, r := range layer {
				e := r.e
				if tx != nil {
					rec := tx.record(e)
					rec.inserted = true
					rec.generated = f.generated[e]
					rec.prior = f.pre[e]
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
		e.snapshot = takeSnapshot(e.model, pu.r.p)
	}
	for _, t := range pl.tables {
		for _, layer := range t.deletes {
			for _, r := range layer {
				e := r.e
				if tx != nil {
					rec := tx.record(e)
					rec.deleted = true
				}
				s.im.drop(e)
				e.state = StateDetached
			}
		}
	}
}
