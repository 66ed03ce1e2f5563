//go:build !cgo

package main

// Built without cgo, the example opens SQLite through the pure-Go driver
// (modernc.org/sqlite) instead of mattn/go-sqlite3.
import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite" // "sqlite": SQLite (pure Go)

func init() { sqliteDriver = "sqlite" }
