// Package driver is the home of the ORM's database drivers: each package
// below it registers one database/sql driver together with what the ORM
// needs to know of it (its dialect, DSN settings, error codes, bulk
// paths). Import the ones a program uses, for their side effect:
//
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"     // PostgreSQL, "pgx"
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/pq"      // PostgreSQL, "postgres" (lib/pq)
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/mysql"   // MySQL and MariaDB, "mysql"
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3" // SQLite with cgo, "sqlite3" (mattn)
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite"  // SQLite in pure Go, "sqlite" (modernc)
//
// The core packages (orm, orm/session, orm/dialect, ...) import no driver,
// so a program links only the drivers it imports, and one that imports
// none of the cgo driver builds with CGO_ENABLED=0.
package driver
