package engine

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// Kinds of SQLite in-memory databases (adjustDSN).
const (
	memNone    = iota
	memPrivate // one database per connection: one connection
	memShared  // cache=shared: one database for the pool
)

// adjustDSN adds the settings the ORM depends on to a DSN; it reports the
// kind of an SQLite in-memory database.
func adjustDSN(d dialect.Dialect, dsn string) (string, int, error) {
	switch d.Name() {
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return "", memNone, fmt.Errorf("orm: mysql DSN: %w", err)
		}
		cfg.ParseTime = true
		// Rows affected must count matched rows, not changed ones, for the
		// session to detect stale updates.
		cfg.ClientFoundRows = true
		return cfg.FormatDSN(), memNone, nil
	case "sqlite":
		dsn, memory := sqliteDSN(dsn)
		return dsn, memory, nil
	}
	return dsn, memNone, nil
}

// sqliteDSN adds the settings the ORM relies on unless the DSN sets them.
func sqliteDSN(dsn string) (string, int) {
	path, query, _ := strings.Cut(dsn, "?")
	memory := memNone
	if path == ":memory:" || path == "file::memory:" || strings.Contains(query, "mode=memory") {
		memory = memPrivate
		if strings.Contains(query, "cache=shared") {
			memory = memShared
		}
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return dsn, memory
	}
	set := func(keys []string, v string) {
		for _, k := range keys {
			if vals.Has(k) {
				return
			}
		}
		vals.Set(keys[0], v)
	}
	set([]string{"_foreign_keys", "_fk"}, "1")
	set([]string{"_busy_timeout", "_timeout"}, "5000")
	set([]string{"_txlock"}, "immediate")
	return path + "?" + vals.Encode(), memory
}
