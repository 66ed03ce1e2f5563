// Package faultdriver is a database/sql driver for tests that wraps a real
// driver ("pgx", "postgres", "mysql", "sqlite" (modernc.org/sqlite, pure
// Go) or, in builds with cgo, "sqlite3" (mattn/go-sqlite3)) to count
// statements and inject faults: fail the Nth statement or the next COMMIT
// with an error, report driver.ErrBadConn (the connection is then dead for
// good), or block the Nth statement until its context is cancelled.
//
// Each wrapped driver is registered under its own name, "fault+" followed by
// the inner driver's name ("fault+pgx", "fault+mysql", ...). Its DSN names a
// Controller: open pools with Controller.Open, which builds that DSN, and
// steer the faults through the same Controller. Everything else goes through
// the inner driver unchanged: rows, results and errors are the inner
// driver's own values, and the optional interfaces the inner connection
// implements (NamedValueChecker, SessionResetter, Validator, Pinger,
// ConnBeginTx, ConnPrepareContext, ExecerContext, QueryerContext) are passed
// through, so that argument conversion and error classification behave as
// without the wrapper. Conn.Raw sees the wrapper; Unwrap returns the inner
// connection.
//
// Statements are the ExecContext and QueryContext calls that reach the
// driver, on a connection or on a prepared statement, each counted once
// (database/sql's fallback from ExecContext to Prepare+Exec on
// driver.ErrSkip is the same statement). COMMIT, ROLLBACK and BEGIN are
// counted apart.
//
// Only tests import this package. A Controller is safe for concurrent use.
package faultdriver
