//go:build cgo

package faultdriver

import (
	"database/sql/driver"

	"github.com/mattn/go-sqlite3"
)

// addCgoDrivers adds the drivers that need cgo: mattn/go-sqlite3 as
// "sqlite3".
func addCgoDrivers(m map[string]driver.Driver) {
	m["sqlite3"] = &sqlite3.SQLiteDriver{}
}
