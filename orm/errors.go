package orm

import (
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/session"
)

// Errors reported by the database, classified from the driver's error; the
// driver's error stays reachable with errors.As.
var (
	ErrUniqueViolation     = dialect.ErrUniqueViolation
	ErrForeignKeyViolation = dialect.ErrForeignKeyViolation
	ErrNotNullViolation    = dialect.ErrNotNullViolation
	ErrCheckViolation      = dialect.ErrCheckViolation
	ErrSerialization       = dialect.ErrSerialization
	ErrDeadlock            = dialect.ErrDeadlock
	ErrLockTimeout         = dialect.ErrLockTimeout
	ErrUnsupported         = dialect.ErrUnsupported
	// ErrDBClosed reports use of a DB after Close.
	ErrDBClosed = dialect.ErrDBClosed
	// ErrConnectionLost reports a connection that broke under a statement,
	// commit or rollback (server restart, pg_terminate_backend, KILL,
	// network failure); see dialect.ErrConnectionLost.
	ErrConnectionLost = dialect.ErrConnectionLost
)

// Errors reported while registering models.
var (
	ErrInvalidTag         = schema.ErrInvalidTag
	ErrUnmapped           = schema.ErrUnmapped
	ErrCircularDependency = schema.ErrCircularDependency
)

// TagError describes one mistake in a model; see schema.TagError.
type TagError = schema.TagError

// ConstraintError is a classified constraint violation; see dialect.ConstraintError.
type ConstraintError = dialect.ConstraintError

// Errors of the session.
var (
	ErrNotFound     = session.ErrNotFound
	ErrMultipleRows = session.ErrMultipleRows
	ErrStaleData    = session.ErrStaleData
	// ErrNotRun is the QueryEvent.Err of a statement that a pipelined flush
	// sent but the database skipped because an earlier statement of the
	// same pipeline failed (PostgreSQL through pgx; see docs/session.md).
	ErrNotRun           = session.ErrNotRun
	ErrNotPersistent    = session.ErrNotPersistent
	ErrIdentityConflict = session.ErrIdentityConflict
	// ErrTrackedElsewhere reports an object that another session tracks.
	ErrTrackedElsewhere = session.ErrTrackedElsewhere
	ErrInvalidArgument  = session.ErrInvalidArgument
	ErrSessionClosed    = session.ErrSessionClosed
	// ErrDetachedObject reports a relation holding an object the flush must
	// not insert (deleted or expunged by this session, or carrying a
	// generated key the session does not track: Merge it).
	ErrDetachedObject = session.ErrDetachedObject
	// ErrOrphan reports a child removed from its parent whose NOT NULL
	// foreign key cannot be set to NULL.
	ErrOrphan = session.ErrOrphan
	// ErrTransactionAborted reports a session whose transaction it had to
	// end itself after an error; call Rollback before using it again.
	ErrTransactionAborted = session.ErrTransactionAborted
	// ErrNotLoaded reports a flush that would write a column a partial
	// query never loaded.
	ErrNotLoaded = session.ErrNotLoaded
	// ErrConcurrentUse reports a call on a session while another call on
	// it, from another goroutine, was in progress; see
	// session.ErrConcurrentUse.
	ErrConcurrentUse = session.ErrConcurrentUse
	// ErrCommitInDoubt reports a connection lost after COMMIT was sent and
	// before its answer: the transaction may or may not have been applied.
	// It also matches ErrConnectionLost; RunInTx never retries it. See
	// session.ErrCommitInDoubt and docs/transactions.md.
	ErrCommitInDoubt = session.ErrCommitInDoubt
)

// ErrUnknownColumn reports a column name (in Col, OrderBy, GroupBy,
// Update, Scalars or a Raw result) that is not a column or Go field of the
// model; it is reported before any SQL is sent.
var ErrUnknownColumn = query.ErrUnknownColumn

// ErrMissingWhere reports a set-based Query.Update or Query.Delete without
// any condition, which would change or empty the whole table. Nothing is
// sent. Add a condition (Where, Filter), or call Query.AllRows to mean
// every row.
var ErrMissingWhere = query.ErrMissingWhere

// ErrNoTransaction reports an operation that needs an open transaction,
// such as ending a savepoint whose transaction is gone.
var ErrNoTransaction = session.ErrNoTransaction
