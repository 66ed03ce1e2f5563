package session

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// notFound matches both ErrNotFound and sql.ErrNoRows.
type notFound struct{}

func (notFound) Error() string        { return "orm: not found" }
func (notFound) Is(target error) bool { return target == sql.ErrNoRows }

// Errors of the session. Each may come wrapped with more context; test with
// errors.Is.
var (
	// ErrNotFound reports a row that does not exist. It also matches
	// sql.ErrNoRows.
	ErrNotFound error = notFound{}
	// ErrMultipleRows reports more than one row where one was expected.
	ErrMultipleRows = errors.New("orm: more than one row")
	// ErrStaleData reports an UPDATE or DELETE that matched no row: the row
	// was deleted, or its version column changed, since it was loaded.
	ErrStaleData = errors.New("orm: stale data")
	// ErrNotPersistent reports an operation that needs a persistent object
	// (such as Refresh) given a new, deleted or untracked one.
	ErrNotPersistent = errors.New("orm: object is not persistent")
	// ErrIdentityConflict reports a second instance for a primary key that
	// the session already tracks with another instance.
	ErrIdentityConflict = errors.New("orm: another instance with this key is already tracked")
	// ErrTrackedElsewhere reports an object given to Add, Delete or
	// MarkDirty that another session tracks (one without a weak identity
	// map); move it with Merge, or expunge it from the other session first.
	ErrTrackedElsewhere = errors.New("orm: object is tracked by another session")
	// ErrInvalidArgument reports a nil, non-pointer or otherwise unusable
	// argument. It is query.ErrInvalidArgument, so that the builder's
	// argument errors (placeholder counts) match it too.
	ErrInvalidArgument = query.ErrInvalidArgument
	// ErrSessionClosed reports use of a closed session.
	ErrSessionClosed = errors.New("orm: session is closed")
	// ErrConcurrentUse reports a call on a session made while another
	// call on it, from another goroutine, was still in progress. A
	// Session is for one goroutine; the call was refused and changed
	// nothing. Methods without an error result (Contains, ObjectState,
	// the counts, Expire...) panic with it instead.
	ErrConcurrentUse = errors.New("orm: concurrent use of a session")
	// ErrNoTransaction reports Commit-only operations without a transaction.
	ErrNoTransaction = errors.New("orm: no transaction in progress")
	// ErrCircularDependency is schema.ErrCircularDependency: rows or tables
	// whose foreign keys form a cycle that cannot be broken.
	ErrCircularDependency = schema.ErrCircularDependency
	// ErrDBClosed is dialect.ErrDBClosed: the DB (its pool) was closed.
	ErrDBClosed = dialect.ErrDBClosed
	// ErrUnmapped is schema.ErrUnmapped: a value whose type is not a model.
	ErrUnmapped = schema.ErrUnmapped
	// ErrDetachedObject reports an object reached through a relation that
	// the flush must not insert: one this session deleted or expunged, or
	// one with a generated key that the session does not track (it came
	// from the database through another session or a copy; bring it in
	// with Merge or Get). Nothing was written.
	ErrDetachedObject = errors.New("orm: a relation holds an object that is not part of this session")
	// ErrOrphan reports a child that left its parent (removed from a
	// collection, or its to-one field set to nil) whose foreign key is NOT
	// NULL and whose relation does not delete orphans. Nothing was written.
	ErrOrphan = errors.New("orm: child removed from its parent has a NOT NULL foreign key")
	// ErrTransactionAborted reports use of a session whose transaction the
	// session had to end itself after an error (a lost connection, a
	// failed commit, a savepoint that could not be rolled back): the
	// transaction's earlier work is gone. Every Flush, Commit, query and
	// load returns it (wrapping the cause) until Rollback acknowledges it.
	// ErrNotLoaded reports a flush that would write a column the session
	// never loaded: a partial query (Raw selecting some columns) left it
	// out, and the object's value is not the database's. Load the object
	// (Get, Refresh) before changing the column, or write it with a
	// set-based Update. Nothing was written.
	ErrNotLoaded = errors.New("orm: column was never loaded")
	// ErrCommitInDoubt reports a COMMIT whose connection was lost after
	// the COMMIT was sent and before its answer came: the transaction may
	// or may not have been applied, and only the database can tell. The
	// error also matches ErrConnectionLost (dialect.ErrConnectionLost) and
	// wraps the driver's error. RunInTx never retries it, and Session.Commit
	// returns it too (for the session's transaction and for the one a
	// flush opened itself). Reconcile before doing the work again: an
	// idempotency key written in the transaction, or a version check on the
	// next read; see docs/transactions.md. A lost connection that the
	// driver proves happened before COMMIT was sent (pgx) is a plain
	// ErrConnectionLost.
	ErrCommitInDoubt      = errors.New("orm: commit in doubt: the connection was lost after COMMIT was sent; the transaction may or may not have been applied")
	ErrTransactionAborted = errors.New("orm: the session's transaction was rolled back after an error; call Rollback before using the session again")
)

// abortedError is ErrTransactionAborted with its cause.
type abortedError struct{ cause error }

func (e *abortedError) Error() string {
	return ErrTransactionAborted.Error() + " (cause: " + e.cause.Error() + ")"
}

// Unwrap returns ErrTransactionAborted and the cause, for errors.Is.
func (e *abortedError) Unwrap() []error { return []error{ErrTransactionAborted, e.cause} }

// commitInDoubtError is ErrCommitInDoubt with the COMMIT's error.
type commitInDoubtError struct{ err error }

func (e *commitInDoubtError) Error() string {
	return "orm: commit in doubt (the transaction may or may not have been applied): " + e.err.Error()
}

// Unwrap returns ErrCommitInDoubt and the COMMIT's error, for errors.Is.
func (e *commitInDoubtError) Unwrap() []error { return []error{ErrCommitInDoubt, e.err} }

// commitError returns the error of a failed COMMIT: ErrCommitInDoubt
// wrapping err when the connection was lost, unless the driver says the
// COMMIT was never sent. Any other failure means the database answered
// (and rolled back).
func commitError(err error) error {
	if errors.Is(err, dialect.ErrConnectionLost) && !dialect.SentNothing(err) && !errors.Is(err, ErrCommitInDoubt) {
		return &commitInDoubtError{err: err}
	}
	return err
}

// abort ends the session's transaction after an error that lost it: the
// journal is undone, and the session refuses work until Rollback. A
// transaction whose connection was lost gives that connection up for good
// (see txState.release).
func (s *Session) abort(cause error) {
	if s.tx != nil && errors.Is(cause, dialect.ErrConnectionLost) {
		s.tx.lost = true
	}
	s.endTx(s.tx, "rollback", cause)
	s.undoTx()
	if s.aborted == nil {
		s.aborted = cause
	}
}

// checkAborted returns ErrTransactionAborted while an aborted transaction
// has not been acknowledged with Rollback.
func (s *Session) checkAborted() error {
	if s.aborted != nil {
		return &abortedError{cause: s.aborted}
	}
	return nil
}

// FlushError is a failed flush statement. The flush was undone: the database
// and the session are as they were before it.
type FlushError struct {
	Op    string // "insert", "update", "delete" or "begin"/"savepoint"
	Table string
	Key   string // the primary key of the row, when one row is concerned
	Err   error
}

func (e *FlushError) Error() string {
	var b strings.Builder
	b.WriteString("orm: flush: ")
	b.WriteString(e.Op)
	if e.Table != "" {
		fmt.Fprintf(&b, " %s", e.Table)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, " key %s", e.Key)
	}
	b.WriteString(": ")
	// The cause's own "orm: " would say it twice ("orm: flush: insert
	// user: orm: unique violation").
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "orm: "))
	return b.String()
}

// Unwrap returns the statement's error.
func (e *FlushError) Unwrap() error { return e.Err }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}

// trackedElsewhere returns ErrTrackedElsewhere when another session tracks
// the object at p.
func (s *Session) trackedElsewhere(m *schema.Model, p unsafe.Pointer) error {
	if trackedElsewhere(uintptr(p), s.im.tag) {
		return fmt.Errorf("%w: this *%s (use Merge to bring a copy of it into this session)", ErrTrackedElsewhere, m.Name)
	}
	return nil
}
