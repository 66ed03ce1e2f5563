package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
)

// Savepoint is a nested transaction opened by BeginNested. Commit releases
// it into the enclosing transaction; Rollback undoes its work in the
// database and in the session while the enclosing work stays.
type Savepoint struct {
	s    *Session
	lvl  *level
	done bool
}

// BeginNested flushes pending work, then opens a SAVEPOINT inside the
// session's transaction (opening the transaction if needed). Savepoints
// nest; each must be committed or rolled back, innermost first.
func (s *Session) BeginNested(ctx context.Context) (*Savepoint, error) {
	if err := s.enter("BeginNested"); err != nil {
		return nil, err
	}
	defer s.exit()
	return s.beginNested(ctx)
}

func (s *Session) beginNested(ctx context.Context) (*Savepoint, error) {
	if s == nil {
		return nil, invalid("nil session")
	}
	if s.closed {
		return nil, ErrSessionClosed
	}
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	if s.tx == nil {
		if err := s.begin(context.WithoutCancel(ctx), s.cfg.TxOptions); err != nil {
			return nil, err
		}
	}
	t := s.tx
	t.spSeq++
	name := s.db.dialect.Quote("sqlm_sp_" + strconv.Itoa(t.spSeq))
	if err := s.savepoint(ctx, "SAVEPOINT "+name); err != nil {
		return nil, errwrap.Wrapf(err, "BeginNested")
	}
	lvl := newLevel(name, s.im.seq)
	t.levels = append(t.levels, lvl)
	return &Savepoint{s: s, lvl: lvl}, nil
}

// depth returns the index of the savepoint's level, or -1 when it is no
// longer open (its transaction ended).
func (sp *Savepoint) depth() int {
	t := sp.s.tx
	if t == nil {
		return -1
	}
	for i, l := range t.levels {
		if l == sp.lvl {
			return i
		}
	}
	return -1
}

// Commit flushes pending work and releases the savepoint: its work becomes
// part of the enclosing transaction. Savepoints opened inside it must have
// ended first.
func (sp *Savepoint) Commit(ctx context.Context) error {
	if err := sp.session().enter("Savepoint.Commit"); err != nil {
		return err
	}
	defer sp.session().exit()
	return sp.commit(ctx)
}

func (sp *Savepoint) commit(ctx context.Context) error {
	if sp == nil {
		return invalid("Commit of a nil savepoint")
	}
	s := sp.s
	if sp.done {
		return fmt.Errorf("%w: the savepoint already ended", ErrNoTransaction)
	}
	i := sp.depth()
	if i < 0 {
		sp.done = true
		return fmt.Errorf("%w: the savepoint's transaction has ended", ErrNoTransaction)
	}
	if i != len(s.tx.levels)-1 {
		return errors.New("orm: Savepoint.Commit: a savepoint opened inside it is still open")
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	if err := s.savepoint(ctx, "RELEASE SAVEPOINT "+sp.lvl.name); err != nil {
		return errwrap.Wrapf(err, "release savepoint")
	}
	s.tx.levels = s.tx.levels[:i]
	sp.done = true
	return nil
}

// Rollback rolls the database back to the savepoint and the session with
// it: objects inserted inside it (and objects added inside it but never
// flushed) become transient, objects deleted inside it are tracked again,
// and objects changed by flushes inside it get back their values from when
// it began and are Expired. Savepoints opened inside it are rolled back too.
// The enclosing transaction's work stays.
func (sp *Savepoint) Rollback(ctx context.Context) error {
	if err := sp.session().enter("Savepoint.Rollback"); err != nil {
		return err
	}
	defer sp.session().exit()
	return sp.rollback(ctx)
}

func (sp *Savepoint) rollback(ctx context.Context) error {
	if sp == nil {
		return invalid("Rollback of a nil savepoint")
	}
	s := sp.s
	if sp.done {
		return fmt.Errorf("%w: the savepoint already ended", ErrNoTransaction)
	}
	i := sp.depth()
	sp.done = true
	if i < 0 {
		return fmt.Errorf("%w: the savepoint's transaction has ended", ErrNoTransaction)
	}
	t := s.tx
	ctx = context.WithoutCancel(ctx)
	err := s.savepoint(ctx, "ROLLBACK TO SAVEPOINT "+sp.lvl.name)
	if err == nil {
		err = s.savepoint(ctx, "RELEASE SAVEPOINT "+sp.lvl.name)
	}
	if err != nil {
		// The transaction is gone with the savepoint: undo all of it.
		_ = t.tx.Rollback()
		err = errwrap.Wrapf(err, "rollback to savepoint")
		s.abort(err)
		return err
	}
	unwritten := s.unwrittenRelations()
	for j := len(t.levels) - 1; j >= i; j-- {
		for _, e := range s.undoJournal(t.levels[j], unwritten) {
			if e.state == StatePersistent {
				s.expireEntry(e)
			}
		}
	}
	// Objects added inside the savepoint and never flushed are forgotten,
	// and leave the relations that gained them.
	var dropped []*entry
	for _, e := range s.im.entries() {
		if e.state == StateNew && e.seq > sp.lvl.seq {
			s.im.drop(e)
			e.state = StateDetached
			dropped = append(dropped, e)
		}
	}
	if len(dropped) > 0 {
		s.dropFromRelations(dropped, false)
	}
	s.dropStaleRelations(unwritten)
	t.levels = t.levels[:i]
	return nil
}
