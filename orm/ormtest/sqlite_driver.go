package ormtest

import (
	"cmp"
	"os"
)

// SQLiteDriver returns the database/sql name of the SQLite driver targets
// are opened with unless WithDriver says otherwise: SQLMODEL_SQLITE_DRIVER
// when set, else "sqlite3" (mattn/go-sqlite3) in builds with cgo and
// "sqlite" (modernc.org/sqlite, pure Go) without. Tests that open SQLite
// themselves (":memory:", a file of their own) use it, so that they run on
// the driver the suite runs on.
func SQLiteDriver() string { return cmp.Or(os.Getenv(EnvSQLiteDriver), defaultSQLiteDriver) }
