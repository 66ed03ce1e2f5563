package session

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"reflect"
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
	// addScr is the seen set and undo list Add reuses (session_add.go).
	addScr *addScratch
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

// InTransaction reports whether the session holds an open transaction.
func (s *Session) InTransaction() bool {
	s.mustEnter("InTransaction")
	defer s.exit()
	return s.tx != nil
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
