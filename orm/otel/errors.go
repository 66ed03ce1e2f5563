package otel

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// errorKinds are the failures the ORM classifies, with their error.type
// values, most specific first.
var errorKinds = []struct {
	err  error
	name string
}{
	{orm.ErrCommitInDoubt, "commit_in_doubt"},
	{orm.ErrUniqueViolation, "unique_violation"},
	{orm.ErrForeignKeyViolation, "foreign_key_violation"},
	{orm.ErrNotNullViolation, "not_null_violation"},
	{orm.ErrCheckViolation, "check_violation"},
	{orm.ErrSerialization, "serialization_failure"},
	{orm.ErrDeadlock, "deadlock"},
	{orm.ErrLockTimeout, "lock_timeout"},
	{orm.ErrConnectionLost, "connection_lost"},
	{orm.ErrDBClosed, "db_closed"},
	{orm.ErrStaleData, "stale_data"},
	{orm.ErrNotRun, "not_run"},
	{orm.ErrInvalidArgument, "invalid_argument"},
	{context.DeadlineExceeded, "timeout"},
	{context.Canceled, "canceled"},
	{sql.ErrTxDone, "tx_done"},
	{sql.ErrConnDone, "conn_done"},
	{driver.ErrBadConn, "bad_conn"},
}

// errorType is the error.type of a failure: the database's status code,
// as the semantic conventions recommend, else the ORM's classification
// (timeout, canceled, connection_lost, ...), else the error's Go type
// (semconv.ErrorType); never its message.
func errorType(err error) string {
	if code := statusCode(err); code != "" {
		return code
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return semconv.ErrorType(err).Value.AsString()
}

// summary describes a failure for a span's status without its message,
// which may quote bound values (MySQL's "Duplicate entry 'v'", the key in
// a FlushError): the classified kind with the constraint, table and column
// names the database reported, and the status code.
func summary(err error, code string) string {
	var ce *dialect.ConstraintError
	if errors.As(err, &ce) {
		return ce.Error() // names and code only, by design
	}
	var re *dialect.RetryableError
	if errors.As(err, &re) {
		return withCode(re.Kind.Error(), re.Code)
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return withCode(k.err.Error(), code)
		}
	}
	return withCode(errorType(err), code)
}

func withCode(msg, code string) string {
	if code == "" || strings.Contains(msg, code) {
		return msg
	}
	return msg + " (code " + code + ")"
}

// statusCode is db.response.status_code: the SQLSTATE (PostgreSQL), the
// error number (MySQL, MariaDB) or the extended result code (SQLite) of
// the database error in err's chain; "" when there is none. The registered
// drivers read their own errors (dialect.ErrorCode).
func statusCode(err error) string { return dialect.ErrorCode(err) }
