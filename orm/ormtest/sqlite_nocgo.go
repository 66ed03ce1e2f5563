//go:build !cgo

package ormtest

// defaultSQLiteDriver is the SQLite driver targets use unless
// SQLMODEL_SQLITE_DRIVER or WithDriver says otherwise: without cgo,
// modernc's pure-Go driver.
const defaultSQLiteDriver = "sqlite"
