package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
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

// SQLiteMemory reports whether an SQLite DSN (a file name or URI, with
// query parameters after "?") names an in-memory database, and which kind.
func SQLiteMemory(dsn string) InMemory {
	path, query, _ := strings.Cut(dsn, "?")
	if path == ":memory:" || path == "file::memory:" || strings.Contains(query, "mode=memory") {
		if strings.Contains(query, "cache=shared") {
			return SharedMemory
		}
		return PrivateMemory
	}
	return NotInMemory
}

// AddDSNParams adds to a DSN of the form path?query each parameter of
// defaults whose key, and each of its alternative spellings, the DSN does
// not set yet. A default is a key, its alternatives and a value:
// {"_foreign_keys", "_fk", "1"}.
func AddDSNParams(dsn string, defaults ...[]string) string {
	path, query, _ := strings.Cut(dsn, "?")
	vals, err := url.ParseQuery(query)
	if err != nil {
		return dsn
	}
	for _, d := range defaults {
		keys, v := d[:len(d)-1], d[len(d)-1]
		if !slices.ContainsFunc(keys, vals.Has) {
			vals.Add(keys[0], v)
		}
	}
	return path + "?" + vals.Encode()
}
