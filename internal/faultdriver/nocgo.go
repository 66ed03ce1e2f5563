//go:build !cgo

package faultdriver

import "database/sql/driver"

// addCgoDrivers adds nothing: without cgo there is no mattn/go-sqlite3,
// and "sqlite" (modernc.org/sqlite) is the SQLite driver to wrap.
func addCgoDrivers(map[string]driver.Driver) {}
