package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/engine"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// txState is an open transaction and what the session must undo in memory
// if it, or one of its savepoints, rolls back.
type txState struct {
	tx *sql.Tx
	// conn is the connection the transaction was begun on when it holds
	// one of its own (pgx: COPY needs the driver connection); it goes back
	// to the pool when the transaction ends.
	conn *sql.Conn
	// levels[0] journals the transaction; each open savepoint (BeginNested)
	// adds a level above it.
	levels []*level
	spSeq  int
	// lost is set when the transaction ended because its connection was
	// lost: release then discards conn instead of pooling it.
	lost bool
	// obs is the transaction's record for the DB's TxObservers (nil when
	// none), ended by endTx.
	obs *engine.TxEvent
}

// level is the journal of a transaction or of one savepoint.
type level struct {
	journal map[*entry]*journalRec
	// order lists the journal's objects in the order they were first
	// recorded; a rollback undoes them in reverse (last in, first out), so
	// that a key freed by a later change is taken back by the earlier one.
	order []*entry
	name  string // quoted savepoint name; "" for the transaction
	seq   uint64 // identity-map add counter when the level began
}

func newLevel(name string, seq uint64) *level {
	return &level{journal: map[*entry]*journalRec{}, name: name, seq: seq}
}

func newTxState(tx *sql.Tx) *txState {
	return &txState{tx: tx, levels: []*level{newLevel("", 0)}}
}

// rec returns the record of e in the level, creating it from how e stands
// now (which, as nothing in the level touched e yet, is how it stood when
// the level began).
func (l *level) rec(e *entry) (*journalRec, bool) {
	if r := l.journal[e]; r != nil {
		return r, false
	}
	r := &journalRec{before: e.snapshot, id: e.id, keyed: e.keyed}
	l.journal[e] = r
	l.order = append(l.order, e)
	return r, true
}

// release returns the transaction's own connection to the pool once the
// transaction has ended. A connection that was lost is discarded: Raw
// returning driver.ErrBadConn makes database/sql close it, whether or not
// the driver's own validity check (pgx: IsClosed) noticed the loss, so the
// pool never hands it out again.
func (t *txState) release() {
	if t != nil && t.conn != nil {
		if t.lost {
			_ = t.conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = t.conn.Close()
		t.conn = nil
	}
}

// journalRec records how one object stood when a level began, taken the
// first time a flush in that level touched it.
type journalRec struct {
	inserted bool // inserted in this level
	deleted  bool // deleted (and flushed) in this level
	// before is the object's snapshot when the level began (nil for
	// inserted objects).
	before unsafe.Pointer
	// generated lists the columns the database filled on insert (key,
	// defaults, version), with their values before the insert in prior.
	generated []*schema.Field
	prior     unsafe.Pointer
	// id and keyed are the object's identity when the level began.
	id    identity
	keyed bool
	// rels are the object's relation bases when the level began, saved
	// (relsSaved) the first time the level changed one of them.
	rels      []relBase
	relsSaved bool
}

// recs are the journal records of one object across the open levels;
// created marks those made by this call.
type recs struct {
	all     []*journalRec
	created []*journalRec
}

// record returns the object's records in every open level, creating
// those that are missing from its current snapshot (which, as the object
// was not flushed in that level yet, is its state when the level began).
func (t *txState) record(e *entry) recs {
	var r recs
	for _, l := range t.levels {
		rec, created := l.rec(e)
		if created {
			r.created = append(r.created, rec)
		}
		r.all = append(r.all, rec)
	}
	return r
}

// recordRels saves the relation bases of e in every open level that has
// not saved them yet, before the session changes them.
func (t *txState) recordRels(e *entry) {
	for _, l := range t.levels {
		rec, _ := l.rec(e)
		if !rec.relsSaved {
			rec.rels, rec.relsSaved = slices.Clone(e.rels), true
		}
	}
}

// inserted marks an object inserted in the levels that had no record of it.
func (r recs) inserted(generated []*schema.Field, prior unsafe.Pointer) {
	for _, rec := range r.created {
		rec.inserted, rec.generated, rec.prior = true, generated, prior
	}
}

// deleted marks an object deleted in every open level.
func (r recs) deleted() {
	for _, rec := range r.all {
		rec.deleted = true
	}
}

// forget drops an object from every journal (Expunge).
func (t *txState) forget(e *entry) {
	for _, l := range t.levels {
		if _, ok := l.journal[e]; ok {
			delete(l.journal, e)
			l.order = slices.DeleteFunc(l.order, func(x *entry) bool { return x == e })
		}
	}
}

// reset empties every journal (ExpungeAll).
func (t *txState) reset() {
	for _, l := range t.levels {
		l.journal, l.order = map[*entry]*journalRec{}, nil
	}
}

// Begin opens a transaction explicitly, for a consistent read snapshot or
// to group work. ctx bounds the transaction: cancelling it rolls the
// transaction back. Transactions the session opens itself (AutoBegin) are
// not bound to the flush's ctx.
func (s *Session) Begin(ctx context.Context) error {
	if err := s.enter("Begin"); err != nil {
		return err
	}
	defer s.exit()
	return s.beginTx(ctx, s.cfg.TxOptions)
}

// BeginTx is Begin with transaction options (isolation level, read-only).
func (s *Session) BeginTx(ctx context.Context, opts *sql.TxOptions) error {
	if err := s.enter("BeginTx"); err != nil {
		return err
	}
	defer s.exit()
	return s.beginTx(ctx, opts)
}

func (s *Session) beginTx(ctx context.Context, opts *sql.TxOptions) error {
	if s.closed {
		return ErrSessionClosed
	}
	if err := s.checkAborted(); err != nil {
		return err
	}
	if s.tx != nil {
		return errors.New("orm: Begin: a transaction is already open (use BeginNested for a savepoint)")
	}
	return s.begin(ctx, opts)
}

func (s *Session) begin(ctx context.Context, opts *sql.TxOptions) error {
	var tx *sql.Tx
	var own *sql.Conn
	ctx, obs := s.db.eng.BeforeTx(ctx, opts)
	err := s.db.control(ctx, "begin", "BEGIN", func(ctx context.Context) error {
		if s.db.copyDriver() != copyPgx {
			var err error
			tx, err = s.db.x.BeginTx(ctx, opts)
			return err
		}
		// pgx reaches COPY only through the driver connection, which a
		// *sql.Tx does not expose: begin on a connection of our own.
		c, err := s.db.x.Conn(ctx)
		if err != nil {
			return err
		}
		if tx, err = c.BeginTx(ctx, opts); err != nil {
			_ = c.Close()
			return err
		}
		own = c
		return nil
	})
	if err != nil {
		s.db.eng.AfterTx(obs, nil, "begin", err)
		return errwrap.Wrapf(err, "begin")
	}
	s.tx = newTxState(tx)
	s.tx.conn = own
	s.tx.obs = obs
	s.db.eng.BindTx(tx, obs)
	return nil
}

// endTx ends the observers' record of the transaction t (see
// engine.TxObserver): end is "commit" or "rollback", err what ended it.
// Only the first call for a transaction counts.
func (s *Session) endTx(t *txState, end string, err error) {
	if t != nil && t.obs != nil {
		s.db.eng.AfterTx(t.obs, t.tx, end, err)
		t.obs = nil
	}
}

// conn returns what the session's statements run on: its transaction when
// one is open, else the pool.
func (s *Session) conn() (conn, bool) {
	if s.tx != nil {
		s.drainIters()
		return s.tx.tx, true
	}
	return s.db.x, false
}

// Commit flushes pending changes and commits the transaction. With
// ExpireOnCommit, persistent objects are then StateExpired. A session that never
// touched the database sends nothing.
func (s *Session) Commit(ctx context.Context) error {
	if err := s.enter("Commit"); err != nil {
		return err
	}
	defer s.exit()
	return s.commit(ctx)
}

func (s *Session) commit(ctx context.Context) error {
	if s.closed {
		return ErrSessionClosed
	}
	if err := fireBefore(ctx, "before-commit", s.ev.beforeCommit); err != nil {
		return err
	}
	s.committing = true
	err := s.flush(ctx)
	s.committing = false
	if err != nil {
		return err
	}
	if s.tx != nil {
		t := s.tx
		s.drainIters()
		err := s.db.eng.ControlTx(ctx, t.obs, "commit", "COMMIT", func(context.Context) error { return t.tx.Commit() })
		s.endTx(t, "commit", err)
		if err != nil {
			// The database rolled the transaction back, or (connection
			// lost after COMMIT was sent) nobody knows: ErrCommitInDoubt.
			// Either way the session undoes the transaction in memory.
			err = errwrap.Wrapf(commitError(err), "commit")
			s.abort(err)
			return errors.Join(err, fireAfter(ctx, "after-rollback", s.ev.afterRollback))
		}
		t.release()
		s.tx = nil
	}
	if s.cfg.ExpireOnCommit {
		s.expireAll()
	}
	return fireAfter(ctx, "after-commit", s.ev.afterCommit)
}

// Rollback rolls back the open transaction. Objects inserted in it become
// transient again (untracked, generated keys reset), objects deleted in it
// are tracked again, objects whose changes were flushed in it get back the
// values and snapshot they had when it began (changes never flushed are
// kept), and every persistent object is Expired. Without a transaction
// it sends nothing and only expires the persistent objects.
func (s *Session) Rollback(ctx context.Context) error {
	if err := s.enter("Rollback"); err != nil {
		return err
	}
	defer s.exit()
	return s.rollback(ctx)
}

func (s *Session) rollback(ctx context.Context) error {
	if s.closed {
		return ErrSessionClosed
	}
	s.aborted = nil // acknowledged
	if s.tx == nil {
		s.expireAll()
		return nil
	}
	t := s.tx
	err := s.db.eng.ControlTx(context.WithoutCancel(ctx), t.obs, "rollback", "ROLLBACK", func(context.Context) error { return t.tx.Rollback() })
	s.endTx(t, "rollback", err)
	s.undoTx()
	// A transaction already ended, or whose connection is gone, is rolled
	// back as far as the session is concerned.
	if errors.Is(err, sql.ErrTxDone) || errors.Is(err, dialect.ErrConnectionLost) {
		err = nil
	}
	if err != nil {
		err = errwrap.Wrapf(err, "rollback")
	}
	return errors.Join(err, fireAfter(ctx, "after-rollback", s.ev.afterRollback))
}

// undoTx applies the transaction's journal after it ended without commit
// and expires every persistent object.
func (s *Session) undoTx() {
	t := s.tx
	s.tx = nil
	if t == nil {
		return
	}
	s.endTx(t, "rollback", nil)
	t.release()
	unwritten := s.unwrittenRelations()
	s.undoJournal(t.levels[0], unwritten)
	for _, e := range s.im.byPtr.All() {
		if e.state == StatePersistent {
			s.expireEntry(e)
		}
	}
	s.dropStaleRelations(unwritten)
}

// undoJournal puts the objects of a level's journal back as they were when
// the level began, last recorded first: inserted ones become transient
// (generated values reset) and leave every loaded relation; deleted ones
// are tracked again under their key; identities changed by a primary-key
// change get their old key back; columns unchanged since their last flush
// get back their earlier values (unflushed changes stay); relation fields
// get back what they held (unless changed since the last flush) and their
// bases; unwritten (from unwrittenRelations before the rollback) lists the
// fields set since the last flush that hold no change. It returns the
// objects that are tracked again or were restored.
func (s *Session) undoJournal(l *level, unwritten map[*entry][]bool) []*entry {
	var restored, transient []*entry
	for i := len(l.order) - 1; i >= 0; i-- {
		e := l.order[i]
		rec := l.journal[e]
		p := e.ptr()
		if rec == nil || p == nil {
			continue
		}
		if rec.inserted {
			for _, f := range rec.generated {
				f.Copy(p, rec.prior)
			}
			s.im.drop(e)
			e.state, e.snapshot, e.keyed, e.rels = StateDetached, nil, false, nil
			transient = append(transient, e)
			continue
		}
		if rec.keyed && (!e.keyed || e.id != rec.id) {
			if e.tracked {
				s.im.setID(e, rec.id)
			} else {
				e.id, e.keyed = rec.id, true
			}
		}
		if rec.deleted {
			e.strong = p
			s.im.retrack(e)
			e.state = StatePersistent
		}
		if e.snapshot != nil && rec.before != nil {
			for _, f := range e.model.Fields {
				if f.Equal(p, e.snapshot) {
					f.Copy(p, rec.before)
				}
			}
		}
		e.snapshot = rec.before
		if rec.relsSaved {
			uw := unwritten[e]
			if rec.deleted {
				// A deleted object's relation fields changed since only
				// through the flush's own bookkeeping (its delete, and
				// the other sides of moves away from it), all rolled
				// back with the delete: they get their saved contents.
				uw = allUnwritten(len(e.model.Relations))
			}
			s.restoreRelations(e, p, rec.rels, uw)
		}
		restored = append(restored, e)
	}
	if len(transient) > 0 {
		s.dropFromRelations(transient, false)
	}
	return restored
}

// allUnwritten marks every relation field of an object as holding no
// change of the user's.
func allUnwritten(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = true
	}
	return out
}

// restoreRelations puts back the relation fields of e and their bases as
// saved: a field that still holds its current base (no change since the
// last flush), or that was set to what the rows held (unwritten[i]: no
// change either), gets the saved contents; one changed since keeps the
// change, which the next flush writes against the saved base.
func (s *Session) restoreRelations(e *entry, p unsafe.Pointer, saved []relBase, unwritten []bool) {
	if len(e.model.Relations) == 0 {
		return
	}
	for i, r := range e.model.Relations {
		var b relBase
		if saved != nil {
			b = saved[i]
		}
		if e.relClean(i, p) || unwritten != nil && unwritten[i] {
			if b.loaded {
				objs := make([]any, len(b.items))
				for j, it := range b.items {
					objs[j] = reflect.NewAt(r.Target.Type, it).Interface()
				}
				r.SetObjects(p, objs)
			} else if fv, err := r.FieldValue(p); err == nil {
				fv.Interface().(schema.RelationEditor).Unload()
			}
		}
		if e.rels == nil {
			if !b.loaded {
				continue
			}
			e.rels = make([]relBase, len(e.model.Relations))
		}
		e.rels[i] = b
	}
}

// inFlushTx runs fn inside a transaction so that it is atomic: in the
// session's transaction under a savepoint when one is open, else in a new
// transaction that stays open (AutoBegin) or is committed at once.
// On failure the database is back where it was before fn. undo restores
// the objects fn changed; it is called before the transaction's journal is
// applied when the whole transaction is lost.
func (s *Session) inFlushTx(ctx context.Context, fn func(c conn) error, undo func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.tx == nil {
		if err := s.begin(context.WithoutCancel(ctx), s.cfg.TxOptions); err != nil {
			return &FlushError{Op: "begin", Err: err}
		}
		t := s.tx
		if err := fn(t.tx); err != nil {
			rbErr := s.db.eng.ControlTx(context.WithoutCancel(ctx), t.obs, "rollback", "ROLLBACK", func(context.Context) error { return t.tx.Rollback() })
			s.endTx(t, "rollback", err)
			t.lost = errors.Is(err, dialect.ErrConnectionLost)
			t.release()
			s.tx = nil
			if rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
				return errors.Join(err, errwrap.Wrapf(rbErr, "rollback"))
			}
			return err
		}
		// The flush of a Commit that found no transaction open commits its
		// own: a failed COMMIT is then undone like a failed statement,
		// instead of losing the unit of work with the transaction.
		if !s.cfg.AutoBegin || (s.committing && len(s.ev.afterFlush) == 0) {
			err := s.db.eng.ControlTx(ctx, t.obs, "commit", "COMMIT", func(context.Context) error { return t.tx.Commit() })
			s.endTx(t, "commit", err)
			if err != nil {
				t.lost = errors.Is(err, dialect.ErrConnectionLost)
				t.release()
				s.tx = nil
				return &FlushError{Op: "commit", Err: commitError(err)}
			}
			t.release()
			s.tx = nil
		}
		return nil
	}
	t := s.tx
	if !s.db.dialect.Features().Has(dialect.Savepoints) {
		return fn(t.tx)
	}
	t.spSeq++
	sp := s.db.dialect.Quote("sqlm_flush_" + strconv.Itoa(t.spSeq))
	if err := s.savepoint(ctx, "SAVEPOINT "+sp); err != nil {
		if errors.Is(err, dialect.ErrConnectionLost) {
			// The transaction died with its connection before this
			// flush began: end it here, as a flush that lost it would.
			_ = t.tx.Rollback()
			s.abort(err)
		}
		return &FlushError{Op: "savepoint", Err: err}
	}
	if err := fn(t.tx); err != nil {
		if rbErr := s.savepoint(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+sp); rbErr != nil {
			// The transaction itself is lost (dropped connection,
			// cancelled transaction context): undo it all, this flush's
			// changes to the objects first.
			_ = t.tx.Rollback()
			undo()
			err = errors.Join(err, errwrap.Wrapf(rbErr, "rollback to savepoint"))
			s.abort(err)
			return err
		}
		_ = s.savepoint(context.WithoutCancel(ctx), "RELEASE SAVEPOINT "+sp)
		return err
	}
	if err := s.savepoint(ctx, "RELEASE SAVEPOINT "+sp); err != nil {
		return &FlushError{Op: "savepoint", Err: err}
	}
	return nil
}

func (s *Session) savepoint(ctx context.Context, stmt string) error {
	return s.db.eng.ControlTx(ctx, s.tx.obs, "savepoint", stmt, func(ctx context.Context) error {
		s.drainIters()
		_, err := s.tx.tx.ExecContext(ctx, stmt)
		return err
	})
}
