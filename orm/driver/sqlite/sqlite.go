// Package sqlite registers SQLite through modernc.org/sqlite, a pure-Go
// build of SQLite that needs no cgo, with the ORM under the name "sqlite":
//
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite"
//
//	db, err := orm.Open("sqlite", "app.db")
//
// Programs that use it build with CGO_ENABLED=0 (static binaries, scratch
// containers, cross-compiling). orm.Open adds to the DSN, unless it sets
// them: foreign keys on (_foreign_keys=1), a busy timeout of 5 s
// (_busy_timeout=5000), immediate write transactions (_txlock=immediate),
// times written as SQLite's text format with a zone offset
// (_time_format=sqlite, as mattn/go-sqlite3 writes them) and read back in
// UTC (_timezone=UTC, as mattn reads them; modernc would otherwise give
// time.Local, or a fixed zone, for the same instant), so that a database
// written by either driver reads the same through the other.
//
// The package registers the ORM's SQL function sqlm_lower (a lower-case for
// all of Unicode, which ILike compares with) on every connection of
// modernc's "sqlite" driver.
package sqlite

import (
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"

	"modernc.org/sqlite"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

func init() {
	sqlite.MustRegisterDeterministicScalarFunction("sqlm_lower", 1, lower)
	dialect.RegisterDriver(&dialect.Driver{
		Name:        "sqlite",
		Dialect:     dialect.SQLite(),
		PoolDialect: dialect.SQLiteWithFunctions(),
		Owns: func(d driver.Driver) bool {
			_, ok := d.(*sqlite.Driver)
			return ok
		},
		AdjustDSN: AdjustDSN,
		Classify:  classify,
		ErrorCode: errorCode,
	})
}

// lower is sqlm_lower: NULL stays NULL, text and blobs become lower-case
// text, numbers are left alone (LIKE compares their text).
func lower(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch x := args[0].(type) {
	case string:
		return strings.ToLower(x), nil
	case []byte:
		return strings.ToLower(string(x)), nil
	}
	return args[0], nil
}

// AdjustDSN adds the settings the ORM relies on to a modernc.org/sqlite
// DSN unless it sets them (foreign keys, busy timeout, immediate write
// transactions, the time format and zone) and reports whether it names an
// in-memory database; orm.Open calls it.
func AdjustDSN(dsn string) (string, dialect.InMemory, error) {
	return dialect.AddDSNParams(dsn,
		[]string{"_foreign_keys", "_fk", "1"},
		[]string{"_busy_timeout", "_timeout", "5000"},
		[]string{"_txlock", "immediate"},
		[]string{"_time_format", "sqlite"},
		[]string{"_timezone", "UTC"},
	), dialect.SQLiteMemory(dsn), nil
}

// classify classifies a *sqlite.Error by its extended result code (the
// driver turns extended codes on), reading names from SQLite's own
// message, which modernc wraps as "<code text>: <message> (<code>)".
func classify(err error) (error, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) || se == nil {
		return nil, false
	}
	return dialect.ClassifySQLite(se.Code(), message(se.Error()), err)
}

// message is SQLite's own message inside modernc's error text: the part
// after the code's description and before the trailing " (<code>)".
func message(s string) string {
	s = strings.TrimSuffix(s, " (SQLITE_BUSY)")
	if i := strings.LastIndex(s, " ("); i >= 0 && strings.HasSuffix(s, ")") {
		s = s[:i]
	}
	if _, msg, ok := strings.Cut(s, ": "); ok {
		return msg
	}
	return s
}

// errorCode is the extended result code of a *sqlite.Error.
func errorCode(err error) string {
	var se *sqlite.Error
	if errors.As(err, &se) && se != nil {
		return strconv.Itoa(se.Code())
	}
	return ""
}
