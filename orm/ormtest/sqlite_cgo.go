//go:build cgo

package ormtest

// defaultSQLiteDriver is the SQLite driver targets use unless
// SQLMODEL_SQLITE_DRIVER or WithDriver says otherwise: mattn's, with cgo.
const defaultSQLiteDriver = "sqlite3"
