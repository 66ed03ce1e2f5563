package ormtest

// The drivers the targets are opened with: every driver of the ORM, so
// that SQLMODEL_POSTGRES_DRIVER and SQLMODEL_SQLITE_DRIVER can choose.
import (
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/mysql"   // registers "mysql"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"     // registers "pgx"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pq"      // registers "postgres"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite"  // registers "sqlite" (modernc, pure Go)
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3" // registers "sqlite3" (mattn, cgo)
)
