package dialect

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"
)

// ErrConnectionLost reports a statement, commit or rollback whose connection
// broke: the server closed it (restart, pg_terminate_backend, KILL), the
// network failed, or the driver found it dead; it also covers a connection
// that could not be opened (refused, closed during the handshake, or
// PostgreSQL's 57P03 "starting up" / "shutting down"), which is what a
// restarting server looks like. Work of an open transaction on that
// connection is lost; a COMMIT whose answer never came may or may not have
// been applied (the session reports that as its ErrCommitInDoubt). It is not
// retryable by IsRetryable; RunInTx retries it when it happened before
// COMMIT was sent.
var ErrConnectionLost = errors.New("orm: connection lost")

// SentNothing reports whether the driver says that the call which failed
// sent nothing to the server, so that a COMMIT failing so was certainly
// not applied. Only pgx says so (pgconn.SafeToRetry); the other drivers do
// not say it reliably (lib/pq answers driver.ErrBadConn also after it sent
// the statement), so false means "unknown". It asks the registered drivers
// (Driver.SentNothing).
func SentNothing(err error) bool {
	for _, d := range registered() {
		if d.SentNothing != nil && d.SentNothing(err) {
			return true
		}
	}
	return false
}

// lostError is a driver error that means the connection broke.
type lostError struct{ err error }

func (e *lostError) Error() string        { return ErrConnectionLost.Error() + ": " + e.err.Error() }
func (e *lostError) Unwrap() error        { return e.err }
func (e *lostError) Is(target error) bool { return target == ErrConnectionLost }

// connectionLost reports whether err is one of the forms a broken
// connection takes: those every driver shares, and those a registered
// driver recognises (Driver.ConnectionLost).
func connectionLost(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return true
	}
	for _, d := range registered() {
		if d.ConnectionLost != nil && d.ConnectionLost(err) {
			return true
		}
	}
	return false
}

// IsConnectionLost reports whether err means that the connection broke
// (see ErrConnectionLost), whether or not it was classified yet.
func IsConnectionLost(err error) bool {
	return errors.Is(err, ErrConnectionLost) || connectionLost(err)
}

// PostgresConnectionLost reports the PostgreSQL SQLSTATE codes of a
// connection that is gone: class 08 (connection exception) and the
// shutdown codes 57P01–57P03.
func PostgresConnectionLost(code string) bool {
	if len(code) == 5 && code[:2] == "08" {
		return true
	}
	switch code {
	case "57P01", "57P02", "57P03":
		return true
	}
	return false
}

// MySQLConnectionLost reports the MySQL and MariaDB error numbers of a
// connection that is gone.
func MySQLConnectionLost(number uint16) bool {
	switch number {
	case 1053, // ER_SERVER_SHUTDOWN
		1927, // ER_CONNECTION_KILLED (MariaDB)
		2006, // CR_SERVER_GONE_ERROR
		2013: // CR_SERVER_LOST
		return true
	}
	return false
}
