package engine

import "github.com/sqlmodel-go/sqlmodel/orm/dialect"

// Kinds of SQLite in-memory databases (adjustDSN).
const (
	memNone    = dialect.NotInMemory
	memPrivate = dialect.PrivateMemory // one database per connection: one connection
	memShared  = dialect.SharedMemory  // cache=shared: one database for the pool
)

// adjustDSN adds the settings the ORM depends on to a DSN (see
// dialect.Dialect.AdjustDSN); it reports the kind of an SQLite in-memory
// database.
func adjustDSN(d dialect.Dialect, dsn string) (string, dialect.InMemory, error) {
	return d.AdjustDSN(dsn)
}
