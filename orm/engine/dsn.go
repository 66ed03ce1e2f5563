package engine

import "github.com/sqlmodel-go/sqlmodel/orm/dialect"

// Kinds of SQLite in-memory databases (dialect.Driver.AdjustDSN).
const (
	memNone    = dialect.NotInMemory
	memPrivate = dialect.PrivateMemory // one database per connection: one connection
	memShared  = dialect.SharedMemory  // cache=shared: one database for the pool
)
