package dialect

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors for conditions reported by the database. Classify wraps a
// driver error so that errors.Is matches one of these while errors.As still
// reaches the driver's own error value (*pq.Error, *pgconn.PgError,
// *mysql.MySQLError, sqlite3.Error).
var (
	ErrUniqueViolation     = errors.New("orm: unique constraint violation")
	ErrForeignKeyViolation = errors.New("orm: foreign key constraint violation")
	ErrNotNullViolation    = errors.New("orm: not null constraint violation")
	ErrCheckViolation      = errors.New("orm: check constraint violation")
	ErrSerialization       = errors.New("orm: serialization failure")
	ErrDeadlock            = errors.New("orm: deadlock detected")
	// ErrLockTimeout reports a lock wait that timed out or a busy database
	// (MySQL 1205, SQLite SQLITE_BUSY/SQLITE_LOCKED). It is retryable.
	ErrLockTimeout = errors.New("orm: lock wait timeout")
	// ErrUnsupported reports a feature the dialect does not have, such as
	// row locks on SQLite.
	ErrUnsupported = errors.New("orm: not supported by this dialect")
	// ErrDBClosed reports a statement, transaction or ping on a pool that
	// was closed (DB.Close). It is not retryable.
	ErrDBClosed = errors.New("orm: database is closed")
	// ErrInvalidArgument reports a nil, non-pointer or otherwise unusable
	// argument. It lives here, below every package that reports it, so
	// that the query builder, the engine and the session share one value
	// (query.ErrInvalidArgument and orm.ErrInvalidArgument are this one).
	ErrInvalidArgument = errors.New("orm: invalid argument")
)

// sqlDBClosed is the text of database/sql's (unexported) error for use of
// a closed *sql.DB, unchanged since Go 1.0.
const sqlDBClosed = "sql: database is closed"

// closedError is database/sql's closed-pool error, matching ErrDBClosed.
type closedError struct{ err error }

func (e *closedError) Error() string        { return e.err.Error() }
func (e *closedError) Unwrap() error        { return e.err }
func (e *closedError) Is(target error) bool { return target == ErrDBClosed }

// ConstraintError is a constraint violation reported by the database. Kind is
// one of ErrUniqueViolation, ErrForeignKeyViolation, ErrNotNullViolation or
// ErrCheckViolation; Err is the driver's error.
type ConstraintError struct {
	Kind       error
	Code       string // driver error code: SQLSTATE, MySQL error number or SQLite extended code
	Constraint string // constraint or index name, when the driver reports it
	Table      string // table name, when the driver reports it
	Column     string // column name, when the driver reports it
	Err        error
}

// Error names the kind, constraint, table and column. It leaves out the
// driver's message, which on some databases (MySQL's "Duplicate entry
// 'x'") quotes the offending value: errors must not print bound values.
// The driver's error stays reachable through errors.As.
func (e *ConstraintError) Error() string {
	msg := e.Kind.Error()
	var parts []string
	if e.Constraint != "" {
		parts = append(parts, fmt.Sprintf("constraint %q", e.Constraint))
	}
	if e.Table != "" {
		parts = append(parts, fmt.Sprintf("table %q", e.Table))
	}
	if e.Column != "" {
		parts = append(parts, fmt.Sprintf("column %q", e.Column))
	}
	if e.Code != "" {
		parts = append(parts, "code "+e.Code)
	}
	if len(parts) > 0 {
		msg += " (" + strings.Join(parts, ", ") + ")"
	}
	return msg
}

// Unwrap returns both the sentinel kind and the driver error, so errors.Is and
// errors.As see both.
func (e *ConstraintError) Unwrap() []error { return []error{e.Kind, e.Err} }

// RetryableError is a transaction failure that a retry may cure: a
// serialization failure, a deadlock or a lock timeout. Kind is ErrSerialization,
// ErrDeadlock or ErrLockTimeout; Err is the driver's error.
type RetryableError struct {
	Kind error
	Code string
	Err  error
}

func (e *RetryableError) Error() string { return e.Kind.Error() + ": " + e.Err.Error() }

// Unwrap returns both the sentinel kind and the driver error.
func (e *RetryableError) Unwrap() []error { return []error{e.Kind, e.Err} }

// IsRetryable reports whether err (or any error it wraps) is a serialization
// failure, a deadlock or a lock timeout, after which running the whole
// transaction again may succeed.
func IsRetryable(err error) bool {
	return errors.Is(err, ErrSerialization) || errors.Is(err, ErrDeadlock) || errors.Is(err, ErrLockTimeout)
}
