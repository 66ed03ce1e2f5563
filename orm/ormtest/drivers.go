package ormtest

// The database/sql drivers the targets are opened with. They are registered
// here until the drivers get packages of their own.
import (
	_ "github.com/go-sql-driver/mysql" // registers "mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "github.com/lib/pq"              // registers "postgres"
	_ "github.com/mattn/go-sqlite3"    // registers "sqlite3"
)
