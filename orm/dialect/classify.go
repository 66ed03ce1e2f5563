package dialect

import (
	"context"
	"errors"
	"strings"
)

// Classify turns a driver error into a *ConstraintError or *RetryableError so
// that callers can test it with errors.Is against ErrUniqueViolation,
// ErrForeignKeyViolation, ErrNotNullViolation, ErrCheckViolation,
// ErrSerialization, ErrDeadlock or ErrLockTimeout, while errors.As still
// reaches the driver's own error (*pq.Error, *pgconn.PgError,
// *mysql.MySQLError, sqlite3.Error, *sqlite.Error). The drivers' errors are
// recognised by the drivers registered with RegisterDriver.
//
// Classify returns nil for nil. It returns err unchanged when err already
// carries a *ConstraintError or *RetryableError anywhere in its chain, when it
// wraps context.Canceled or context.DeadlineExceeded, and when it is not a
// driver error of a recognised kind; classifying twice is therefore harmless.
// database/sql's error for a closed pool is made to match ErrDBClosed, and
// the forms a broken connection takes in each driver match ErrConnectionLost.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, ErrDBClosed) {
		return err
	}
	if err.Error() == sqlDBClosed {
		return &closedError{err}
	}
	var ce *ConstraintError
	if errors.As(err, &ce) {
		return err
	}
	var re *RetryableError
	if errors.As(err, &re) {
		return err
	}
	if errors.Is(err, ErrConnectionLost) {
		return err
	}
	if connectionLost(err) {
		return &lostError{err}
	}
	for _, d := range registered() {
		if d.Classify == nil {
			continue
		}
		if out, ok := d.Classify(err); ok {
			return out
		}
	}
	return err
}

// newClassified wraps err in a *RetryableError when kind is one of the
// retryable sentinels and in a *ConstraintError otherwise.
func newClassified(kind error, code, constraint, table, column string, err error) error {
	switch kind {
	case ErrSerialization, ErrDeadlock, ErrLockTimeout:
		return &RetryableError{Kind: kind, Code: code, Err: err}
	}
	return &ConstraintError{
		Kind:       kind,
		Code:       code,
		Constraint: constraint,
		Table:      table,
		Column:     column,
		Err:        err,
	}
}

// ClassifyPostgres classifies a PostgreSQL error by its SQLSTATE code, with
// the constraint, table and column the server reports as fields of the
// error (lib/pq and pgx both expose them). It returns false for codes that
// are not classified.
func ClassifyPostgres(code, constraint, table, column string, err error) (error, bool) {
	kind := sqlstateKind(code)
	if kind == nil {
		return nil, false
	}
	return newClassified(kind, code, constraint, table, column, err), true
}

// sqlstateKind maps a PostgreSQL SQLSTATE code to a sentinel, or nil when
// the code is not classified.
func sqlstateKind(code string) error {
	switch code {
	case "23505": // unique_violation
		return ErrUniqueViolation
	case "23503": // foreign_key_violation
		return ErrForeignKeyViolation
	case "23502": // not_null_violation
		return ErrNotNullViolation
	case "23514": // check_violation
		return ErrCheckViolation
	case "40001": // serialization_failure
		return ErrSerialization
	case "40P01": // deadlock_detected
		return ErrDeadlock
	case "55P03": // lock_not_available (lock_timeout, NOWAIT)
		return ErrLockTimeout
	}
	return nil
}

// readQuoted reads an identifier quoted with q at the start of s, where a
// doubled quote stands for one quote character. It returns the identifier and
// the text after the closing quote.
func readQuoted(s string, q byte) (name, rest string, ok bool) {
	if len(s) == 0 || s[0] != q {
		return "", s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), s[i+1:], true
	}
	return "", s, false
}

// quotedAfter returns the identifier quoted with q that immediately follows
// the first (or, with last set, the last) occurrence of marker in msg, and
// the text after it.
func quotedAfter(msg, marker string, q byte, last bool) (name, rest string, ok bool) {
	var i int
	if last {
		i = strings.LastIndex(msg, marker)
	} else {
		i = strings.Index(msg, marker)
	}
	if i < 0 {
		return "", "", false
	}
	return readQuoted(msg[i+len(marker):], q)
}

// qualifiedAfter reads a possibly qualified, quoted name such as `db`.`table`
// or `table` right after the first occurrence of marker in msg and returns
// its last part.
func qualifiedAfter(msg, marker string, q byte) (name, rest string, ok bool) {
	name, rest, ok = quotedAfter(msg, marker, q, false)
	for ok && strings.HasPrefix(rest, ".") {
		next, after, more := readQuoted(rest[1:], q)
		if !more {
			break
		}
		name, rest = next, after
	}
	return name, rest, ok
}
