package session

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Config configures a Session. A literal sets every field, so start from
// DefaultConfig when changing only some.
type Config struct {
	// AutoBegin opens a transaction at the first write (flush) and keeps it
	// open until Commit or Rollback. Without it every flush runs in a
	// transaction of its own that it commits.
	AutoBegin bool
	// AutoFlush (on by default, as in SQLAlchemy) flushes pending changes
	// before queries, Get misses, Refresh, relationship loads, Exec and
	// Merge with load, so that reads see the session's changes. With it
	// off, reads return what the database has: objects added but not
	// flushed are missing, and objects deleted but not flushed are still
	// returned (as the tracked instances); see docs/session.md.
	AutoFlush bool
	// ExpireOnCommit marks persistent objects Expired after Commit, so that
	// the next access reloads them.
	ExpireOnCommit bool
	// WeakIdentityMap holds clean persistent objects through weak pointers,
	// so that the garbage collector may reclaim those the program no longer
	// uses. Objects with pending work are always held strongly. A change
	// made to an object that the program then drops before the flush is
	// lost, because the session cannot notice changes to objects it does
	// not hold.
	WeakIdentityMap bool
	// Logger receives session warnings (N+1 detection); the DB's logger
	// when nil.
	Logger *slog.Logger
	// TxOptions are used for the transactions the session opens
	// (isolation level, read-only).
	TxOptions *sql.TxOptions
	// ReadYourWrites sends the session's reads to the primary once it has
	// written (flushed, Exec, bulk Update or Delete), so that it never
	// reads a replica that has not replayed its writes yet. It only
	// matters on a DB with replicas (WithReplicas); reads inside a
	// transaction always run on the primary.
	ReadYourWrites bool
}

// DefaultConfig returns the defaults of NewSession: AutoBegin, AutoFlush,
// ExpireOnCommit and ReadYourWrites on, WeakIdentityMap off.
func DefaultConfig() Config {
	return Config{AutoBegin: true, AutoFlush: true, ExpireOnCommit: true, ReadYourWrites: true}
}

// Session is a unit of work: it tracks objects in an identity map, notices
// their changes by comparing them with snapshots, and writes every pending
// INSERT, UPDATE and DELETE in foreign-key order when it flushes.
//
// A Session is for one goroutine, like *sql.Tx; use one session per
// goroutine or request. Many sessions may share one DB. A call that starts
// while another goroutine is inside a call on the same session is refused
// with an error matching ErrConcurrentUse, and changes nothing; methods
// without an error result (Contains, ObjectState, the counts, Expire...)
// panic with that error instead. Calls made from the session's own
// callbacks (event handlers, model hooks, NoAutoFlush's function) are
// allowed, and so, undetected, is a call from another goroutine while such
// a callback runs. RunInTx's function and the body of a Query.Iter loop
// are not callbacks: the session is free while they run, and their calls
// are checked like any others.
type Session struct {
	// guard detects overlapping calls from several goroutines (guard.go).
	guard  atomic.Uint32
	db     *DB
	cfg    Config
	logger *slog.Logger
	im     identityMap
	tx     *txState
	closed bool
	ev     events
	// noAutoFlush > 0 suspends AutoFlush (NoAutoFlush scopes).
	noAutoFlush int
	// lastModel caches the model of the last Get hit's type.
	lastModel *schema.Model
	n1        n1Tracker
	// colls are the loaded items of delete_orphan collections.
	colls map[collKey][]unsafe.Pointer
	// wrote records a write (flush, Exec, bulk Update or Delete), after
	// which ReadYourWrites keeps reads on the primary.
	wrote bool
	// committing is set while Commit flushes: a flush that will be
	// committed at once may run a single statement without a transaction.
	committing bool
	// gone remembers objects deleted or expunged, so that a relation still
	// holding one does not insert it again (relhistory.go).
	gone map[uintptr]goneRec
	// aborted is the cause of a transaction the session ended itself; it
	// refuses work until Rollback (ErrTransactionAborted).
	aborted error
	// forWrite > 0 while the session reads what a write depends on: such
	// reads go to the primary, never to a replica.
	forWrite int
	// iters are the open Iter result sets on the transaction's connection
	// that must be read to the end before another statement (iter.go);
	// iterSeq numbers server-side cursors.
	iters   []*iterDrain
	iterSeq int
}

// NewSession returns a session on db with DefaultConfig.
func NewSession(db *DB) *Session { return NewSessionWithConfig(db, DefaultConfig()) }

// NewSessionWithConfig returns a session on db with cfg.
func NewSessionWithConfig(db *DB, cfg Config) *Session {
	if db == nil {
		// Nothing can run without a DB: the session starts closed, so
		// that every call returns ErrSessionClosed instead of panicking.
		return &Session{cfg: cfg, closed: true, logger: slog.New(discardHandler{}), im: newIdentityMap(cfg.WeakIdentityMap)}
	}
	l := cfg.Logger
	if l == nil {
		l = db.logger
	}
	s := &Session{db: db, cfg: cfg, logger: l, im: newIdentityMap(cfg.WeakIdentityMap)}
	s.im.session = s
	return s
}

// DB returns the session's database.
func (s *Session) DB() *DB { return s.db }

// Config returns the session's configuration.
func (s *Session) Config() Config { return s.cfg }

// resolve checks an object argument: a non-nil pointer to a registered model.
func (s *Session) resolve(obj any) (*schema.Model, unsafe.Pointer, error) {
	if s == nil {
		return nil, nil, invalid("nil session")
	}
	if s.closed {
		return nil, nil, ErrSessionClosed
	}
	if obj == nil {
		return nil, nil, invalid("nil object")
	}
	t := reflect.TypeOf(obj)
	if t.Kind() != reflect.Pointer {
		return nil, nil, invalid("%s is not a pointer; pass &obj", t)
	}
	v := reflect.ValueOf(obj)
	if v.IsNil() {
		return nil, nil, invalid("nil %s", t)
	}
	if t.Elem().Kind() != reflect.Struct {
		return nil, nil, invalid("%s is not a pointer to a struct", t)
	}
	m, ok := s.db.registry.Lookup(t.Elem())
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s is not registered (call db.Register or db.CreateAll with it)", ErrUnmapped, t.Elem())
	}
	return m, v.UnsafePointer(), nil
}

// Add schedules obj (a pointer to a model) for INSERT, together with the
// untracked objects its loaded relations hold (save cascade). Adding an
// object that is already tracked does nothing, except that a StateDeleted object
// becomes StatePersistent again. Adding a new instance whose primary key the
// session already tracks with another instance is an error matching
// ErrIdentityConflict. Add is all or nothing: when it fails, neither obj
// nor any object reached by the cascade has changed state.
func (s *Session) Add(obj any) error {
	if err := s.enter("Add"); err != nil {
		return err
	}
	defer s.exit()
	return s.addObj(obj)
}

// addObj is Add without the guard.
func (s *Session) addObj(obj any) error {
	m, p, err := s.resolve(obj)
	if err != nil {
		return err
	}
	var undo addUndo
	if err := s.add(m, p, map[unsafe.Pointer]bool{}, &undo, true); err != nil {
		undo.revert(&s.im)
		return err
	}
	s.unforget(p)
	return nil
}

// addUndo records what an Add changed in the identity map, so that a
// failing Add (or AddAll) leaves the session as it was.
type addUndo []addStep

type addStep struct {
	e       *entry
	created bool // tracked by this Add: forget it
	state   ObjectState
	strong  unsafe.Pointer
}

func (u *addUndo) revert(im *identityMap) {
	for i := len(*u) - 1; i >= 0; i-- {
		st := (*u)[i]
		if st.created {
			im.drop(st.e)
			st.e.state = StateDetached
			continue
		}
		st.e.state, st.e.strong = st.state, st.strong
	}
	*u = nil
}

func (s *Session) add(m *schema.Model, p unsafe.Pointer, seen map[unsafe.Pointer]bool, undo *addUndo, root bool) error {
	if seen[p] {
		return nil
	}
	seen[p] = true
	if e := s.im.lookupPtr(p); e != nil {
		if e.state == StateDeleted && !root {
			// Reached through a relation: a deleted object stays deleted;
			// only an explicit Add of it brings it back.
			return nil
		}
		*undo = append(*undo, addStep{e: e, state: e.state, strong: e.strong})
		if e.state == StateDeleted {
			e.state = StatePersistent
		}
		e.strong = p
	} else {
		id, keyed, err := keyOf(m, p)
		if err != nil {
			return invalid("%v", err)
		}
		if keyed {
			if other := s.im.lookupID(id); other != nil {
				return fmt.Errorf("%w: %s key %v", ErrIdentityConflict, m.Name, id)
			}
		}
		if err := s.trackedElsewhere(m, p); err != nil {
			return err
		}
		e := s.im.track(m, p, StateNew)
		if keyed {
			s.im.setID(e, id)
		}
		*undo = append(*undo, addStep{e: e, created: true})
	}
	return s.cascadeAdd(m, p, seen, undo)
}

// cascadeAdd adds the untracked objects held by the loaded relations of
// the object at p.
func (s *Session) cascadeAdd(m *schema.Model, p unsafe.Pointer, seen map[unsafe.Pointer]bool, undo *addUndo) error {
	for _, r := range m.Relations {
		objs, _ := relationObjects(r, p)
		for i, o := range objs {
			op := reflect.ValueOf(o).UnsafePointer()
			if op == nil {
				return invalid("%s.%s holds a nil %s at index %d", m.Name, r.Name, r.Target.Name, i)
			}
			if s.im.lookupPtr(op) != nil && seen[op] {
				continue
			}
			if s.im.lookupPtr(op) == nil && !seen[op] {
				if err := s.refuseReached(r, m, r.Target, op, false); err != nil {
					return err
				}
			}
			if err := s.add(r.Target, op, seen, undo, false); err != nil {
				return fmt.Errorf("%s.%s: %w", m.Name, r.Name, err)
			}
		}
	}
	return nil
}

// relationObjects returns what the relation field r of the object at p
// holds, and whether it is loaded.
func relationObjects(r *schema.Relation, p unsafe.Pointer) ([]any, bool) {
	fv, err := reflect.NewAt(r.Model.Type, p).Elem().FieldByIndexErr(r.Index)
	if err != nil {
		return nil, false
	}
	rv, ok := fv.Addr().Interface().(schema.RelationValue)
	if !ok {
		return nil, false
	}
	return rv.RelatedObjects()
}

// AddAll adds each object as Add does, all or nothing: at the first error
// (which names the object's position) the objects added before it are
// removed again.
func (s *Session) AddAll(objs ...any) error {
	if err := s.enter("AddAll"); err != nil {
		return err
	}
	defer s.exit()
	var undo addUndo
	seen := map[unsafe.Pointer]bool{}
	for i, o := range objs {
		m, p, err := s.resolve(o)
		if err == nil {
			err = s.add(m, p, seen, &undo, true)
		}
		if err != nil {
			undo.revert(&s.im)
			return fmt.Errorf("AddAll: object %d: %w", i, err)
		}
	}
	for _, o := range objs {
		s.unforget(reflect.ValueOf(o).UnsafePointer())
	}
	return nil
}

// Delete schedules obj for DELETE. A StateNew object is simply forgotten. An
// untracked object with a primary key is attached and scheduled, unless
// another instance with its key is tracked (ErrIdentityConflict).
func (s *Session) Delete(obj any) error {
	if err := s.enter("Delete"); err != nil {
		return err
	}
	defer s.exit()
	m, p, err := s.resolve(obj)
	if err != nil {
		return err
	}
	if e := s.im.lookupPtr(p); e != nil {
		switch e.state {
		case StateNew:
			s.im.drop(e)
			s.rememberGone(p, "deleted before it was inserted")
		case StatePersistent:
			e.state = StateDeleted
			e.strong = p
		}
		return nil
	}
	id, keyed, err := keyOf(m, p)
	if err != nil {
		return invalid("%v", err)
	}
	if !keyed {
		return invalid("cannot delete a %s without a primary key", m.Name)
	}
	if other := s.im.lookupID(id); other != nil {
		return fmt.Errorf("%w: %s key %v (delete the tracked instance)", ErrIdentityConflict, m.Name, id)
	}
	if err := s.trackedElsewhere(m, p); err != nil {
		return err
	}
	e := s.im.track(m, p, StateDeleted)
	s.im.setID(e, id)
	e.snapshot = takeSnapshot(m, p)
	return nil
}

// MarkDirty schedules obj for UPDATE. If obj is tracked, its changes are
// found by comparison at flush as always. If it is an untracked copy whose
// key the session tracks, its column values are copied into the tracked
// instance. If its key is not tracked, obj is attached as StatePersistent
// without a snapshot, so that the flush writes all its columns.
func (s *Session) MarkDirty(obj any) error {
	if err := s.enter("MarkDirty"); err != nil {
		return err
	}
	defer s.exit()
	m, p, err := s.resolve(obj)
	if err != nil {
		return err
	}
	if e := s.im.lookupPtr(p); e != nil {
		if e.state == StateDeleted {
			return invalid("%s is deleted", m.Name)
		}
		e.strong = p
		return nil
	}
	id, keyed, err := keyOf(m, p)
	if err != nil {
		return invalid("%v", err)
	}
	if !keyed {
		return invalid("MarkDirty of a %s without a primary key; use Add", m.Name)
	}
	if e := s.im.lookupID(id); e != nil {
		if e.state == StateDeleted {
			return invalid("%s key %v is deleted", m.Name, id)
		}
		tp := e.ptr()
		for _, f := range m.Fields {
			f.Copy(tp, p)
		}
		e.strong = tp
		return nil
	}
	if err := s.trackedElsewhere(m, p); err != nil {
		return err
	}
	e := s.im.track(m, p, StatePersistent)
	s.im.setID(e, id)
	return nil
}

// Contains reports whether obj is tracked (StateNew, StatePersistent, StateDeleted or StateExpired).
func (s *Session) Contains(obj any) bool {
	s.mustEnter("Contains")
	defer s.exit()
	_, p, err := s.resolve(obj)
	return err == nil && s.im.lookupPtr(p) != nil
}

// Expunge stops tracking obj; pending work for it is forgotten.
func (s *Session) Expunge(obj any) error {
	if err := s.enter("Expunge"); err != nil {
		return err
	}
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return err
	}
	if e := s.im.lookupPtr(p); e != nil {
		s.im.drop(e)
		if s.tx != nil {
			s.tx.forget(e)
		}
		s.rememberGone(p, "expunged")
	}
	return nil
}

// ExpungeAll stops tracking every object.
func (s *Session) ExpungeAll() {
	s.mustEnter("ExpungeAll")
	defer s.exit()
	s.expungeAll()
}

func (s *Session) expungeAll() {
	s.im.reset()
	s.im = newIdentityMap(s.cfg.WeakIdentityMap)
	s.im.session = s
	if s.tx != nil {
		s.tx.reset()
	}
}

// ObjectState returns the state of obj, and false (with StateDetached) when the
// session does not track it.
func (s *Session) ObjectState(obj any) (ObjectState, bool) {
	s.mustEnter("ObjectState")
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return StateDetached, false
	}
	e := s.im.lookupPtr(p)
	if e == nil {
		return StateDetached, false
	}
	return e.publicState(), true
}

func (e *entry) publicState() ObjectState {
	if e.state == StatePersistent && e.expired {
		return StateExpired
	}
	return e.state
}

// IsModified reports whether obj has changes that a flush would write: a
// StateNew object always, a StatePersistent one when a column differs from its
// snapshot.
func (s *Session) IsModified(obj any) bool {
	s.mustEnter("IsModified")
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return false
	}
	e := s.im.lookupPtr(p)
	if e == nil {
		return false
	}
	switch e.state {
	case StateNew:
		return true
	case StatePersistent:
		return isDirty(e, p)
	}
	return false
}

// ModifiedAttributes returns the column names whose values differ from the
// snapshot (every column for a StateNew object), in field order.
func (s *Session) ModifiedAttributes(obj any) []string {
	s.mustEnter("ModifiedAttributes")
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return nil
	}
	e := s.im.lookupPtr(p)
	if e == nil || e.state == StateDeleted {
		return nil
	}
	if e.state == StateNew {
		return e.model.Columns()
	}
	var out []string
	for _, f := range changedFields(e, p) {
		out = append(out, f.Column)
	}
	return out
}

// PendingNewCount returns the number of objects waiting for INSERT.
func (s *Session) PendingNewCount() int {
	s.mustEnter("PendingNewCount")
	defer s.exit()
	return s.count(func(e *entry, _ unsafe.Pointer) bool { return e.state == StateNew })
}

// PendingDeleteCount returns the number of objects waiting for DELETE.
func (s *Session) PendingDeleteCount() int {
	s.mustEnter("PendingDeleteCount")
	defer s.exit()
	return s.count(func(e *entry, _ unsafe.Pointer) bool { return e.state == StateDeleted })
}

// PendingDirtyCount returns the number of persistent objects with changes
// to write.
func (s *Session) PendingDirtyCount() int {
	s.mustEnter("PendingDirtyCount")
	defer s.exit()
	return s.count(func(e *entry, p unsafe.Pointer) bool { return e.state == StatePersistent && isDirty(e, p) })
}

// TrackedCount returns the number of tracked objects.
func (s *Session) TrackedCount() int {
	s.mustEnter("TrackedCount")
	defer s.exit()
	return s.count(func(*entry, unsafe.Pointer) bool { return true })
}

func (s *Session) count(pred func(*entry, unsafe.Pointer) bool) int {
	n := 0
	s.im.live(func(e *entry, p unsafe.Pointer) {
		if pred(e, p) {
			n++
		}
	})
	return n
}

// InTransaction reports whether the session holds an open transaction.
func (s *Session) InTransaction() bool {
	s.mustEnter("InTransaction")
	defer s.exit()
	return s.tx != nil
}

// Expire marks obj's values (all, or only the named columns or fields) to be
// reloaded on its next access through Get, a query or Refresh. Unflushed
// changes are kept and stay dirty. Expiring an object that is not
// persistent does nothing.
func (s *Session) Expire(obj any, attrs ...string) {
	s.mustEnter("Expire")
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return
	}
	e := s.im.lookupPtr(p)
	if e == nil || e.state != StatePersistent {
		return
	}
	s.expire(e, attrs)
}

func (s *Session) expire(e *entry, attrs []string) {
	if len(attrs) == 0 {
		s.expireEntry(e)
		return
	}
	// Relation fields named unload (the next loader reads them again).
	var rels map[string]bool
	for _, a := range attrs {
		if r, ok := e.model.Relation(a); ok {
			if rels == nil {
				rels = map[string]bool{}
			}
			rels[r.Name] = true
		}
	}
	if rels != nil {
		s.unloadRelations(e, rels)
	}
	if e.expired && e.expiredCols == nil {
		return
	}
	if e.expiredCols == nil {
		e.expiredCols = map[string]bool{}
	}
	for _, a := range attrs {
		if f, ok := e.model.FieldByName(a); ok {
			e.expiredCols[f.Column] = true
		}
	}
	if len(e.expiredCols) == 0 { // only unknown names: nothing expires
		e.expiredCols = nil
		return
	}
	e.expired = true
}

// ExpireAll expires every persistent object.
func (s *Session) ExpireAll() {
	s.mustEnter("ExpireAll")
	defer s.exit()
	s.expireAll()
}

func (s *Session) expireAll() {
	for _, e := range s.im.byPtr {
		if e.state == StatePersistent {
			s.expireEntry(e)
		}
	}
}

// DebugState describes the tracked objects, one per line in add order, for
// logs and test failures.
func (s *Session) DebugState() string {
	s.mustEnter("DebugState")
	defer s.exit()
	var b strings.Builder
	fmt.Fprintf(&b, "session: %d tracked, tx=%v\n", s.count(func(*entry, unsafe.Pointer) bool { return true }), s.tx != nil)
	for _, e := range s.im.entries() {
		key := "(no key)"
		if e.keyed {
			key = e.id.String()
		}
		fmt.Fprintf(&b, "  %s %s %s", e.model.Name, key, e.publicState())
		if e.state == StatePersistent {
			if cols := changedFields(e, e.ptr()); len(cols) > 0 {
				names := make([]string, len(cols))
				for i, f := range cols {
					names[i] = f.Column
				}
				fmt.Fprintf(&b, " dirty=%s", strings.Join(names, ","))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Close rolls back an open transaction and detaches every object. Using the
// session afterwards returns ErrSessionClosed.
func (s *Session) Close() error {
	if err := s.enter("Close"); err != nil {
		return err
	}
	defer s.exit()
	if s.closed {
		return nil
	}
	var err error
	if s.tx != nil {
		err = s.rollback(context.Background())
	}
	s.expungeAll()
	s.closed = true
	return err
}
