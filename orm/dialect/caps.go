package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// This file holds the code the dialects share for the methods of Dialect
// that render a difference between databases (LimitOffset, AdjustDSN,
// DetectFlavor, ...); each dialect's file picks its variant.

// limitOffset renders LIMIT/OFFSET; noLimit is the LIMIT written before an
// OFFSET without a limit, "" when the database takes an OFFSET alone.
func limitOffset(limit, offset int64, noLimit string) string {
	var s string
	switch {
	case limit >= 0:
		s = " LIMIT " + strconv.FormatInt(limit, 10)
	case offset > 0 && noLimit != "":
		s = " LIMIT " + noLimit
	}
	if offset > 0 {
		s += " OFFSET " + strconv.FormatInt(offset, 10)
	}
	return s
}

// mysqlDSN sets parseTime, and clientFoundRows: rows affected must count
// matched rows, not changed ones, for the session to detect stale updates.
func mysqlDSN(dsn string) (string, InMemory, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", NotInMemory, fmt.Errorf("orm: mysql DSN: %w", err)
	}
	cfg.ParseTime = true
	cfg.ClientFoundRows = true
	return cfg.FormatDSN(), NotInMemory, nil
}

// detectMySQLFlavor tells MariaDB from MySQL by the server's version.
func detectMySQLFlavor(ctx context.Context, db *sql.DB) (Dialect, error) {
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return nil, fmt.Errorf("orm: connect to mysql: %w", err)
	}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return MariaDB(), nil
	}
	return MySQL(), nil
}

// sqliteDSN adds the settings the ORM relies on unless the DSN sets them:
// foreign keys on, a busy timeout of 5 s, immediate write transactions.
func sqliteDSN(dsn string) (string, InMemory) {
	path, query, _ := strings.Cut(dsn, "?")
	memory := NotInMemory
	if path == ":memory:" || path == "file::memory:" || strings.Contains(query, "mode=memory") {
		memory = PrivateMemory
		if strings.Contains(query, "cache=shared") {
			memory = SharedMemory
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
