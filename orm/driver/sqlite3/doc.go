// Package sqlite3 registers SQLite through github.com/mattn/go-sqlite3
// (cgo) with the ORM, under the name "sqlite3":
//
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3"
//
//	db, err := orm.Open("sqlite3", "app.db")
//
// orm.Open adds to the DSN, unless it sets them: foreign keys on
// (_foreign_keys=1), a busy timeout of 5 s (_busy_timeout=5000) and
// immediate write transactions (_txlock=immediate). Its pools use the
// driver DriverName, whose connections have the ORM's SQL functions
// (sqlm_lower, a lower-case for all of Unicode, which ILike compares
// with).
//
// The driver needs cgo. Built with CGO_ENABLED=0 the package still
// registers the name, and orm.Open fails with an error that says so; use
// the pure-Go driver of package orm/driver/sqlite ("sqlite") there.
package sqlite3

// DriverName is the database/sql driver name of mattn/go-sqlite3 with the
// ORM's SQL functions registered on every connection (see
// RegisterFunctions). orm.Open uses it for "sqlite3"; open a pool of your
// own with it (sql.Open(sqlite3.DriverName, dsn)) to give orm.OpenDB the
// same functions. It is registered only in builds with cgo.
const DriverName = "sqlite3_sqlmodel"
