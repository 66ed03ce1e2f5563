//go:build cgo

package sqlite3

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"

	"github.com/mattn/go-sqlite3"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// funcsDriver is the driver registered as DriverName.
var funcsDriver = &sqlite3.SQLiteDriver{ConnectHook: RegisterFunctions}

func init() {
	sql.Register(DriverName, funcsDriver)
	dialect.RegisterDriver(&dialect.Driver{
		Name:        "sqlite3",
		Dialect:     dialect.SQLite(),
		PoolName:    DriverName,
		PoolDialect: dialect.SQLiteWithFunctions(),
		Owns:        func(d driver.Driver) bool { return d == driver.Driver(funcsDriver) },
		AdjustDSN:   AdjustDSN,
		Classify:    classify,
		ErrorCode:   errorCode,
	})
}

// RegisterFunctions registers the ORM's SQL functions on a connection:
// sqlm_lower(x), which lower-cases all of Unicode (SQLite's LOWER folds
// ASCII letters only) and is what ILike compares with. Call it from the
// ConnectHook of a driver of your own.
func RegisterFunctions(c *sqlite3.SQLiteConn) error {
	return c.RegisterFunc("sqlm_lower", lower, true)
}

// lower is sqlm_lower: NULL stays NULL (mattn passes it as a nil []byte),
// text and blobs become lower-case text, numbers are left alone (LIKE
// compares their text).
func lower(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ToLower(x)
	case []byte:
		if x == nil {
			return nil
		}
		return strings.ToLower(string(x))
	}
	return v
}

// AdjustDSN adds the settings the ORM relies on to a mattn/go-sqlite3 DSN
// unless it sets them (foreign keys, busy timeout, immediate write
// transactions) and reports whether it names an in-memory database;
// orm.Open calls it.
func AdjustDSN(dsn string) (string, dialect.InMemory, error) {
	return dialect.AddDSNParams(dsn,
		[]string{"_foreign_keys", "_fk", "1"},
		[]string{"_busy_timeout", "_timeout", "5000"},
		[]string{"_txlock", "immediate"},
	), dialect.SQLiteMemory(dsn), nil
}

// classify classifies a sqlite3.Error (returned by value; a pointer is
// accepted too) by its extended result code.
func classify(err error) (error, bool) {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		var sp *sqlite3.Error
		if !errors.As(err, &sp) || sp == nil {
			return nil, false
		}
		se = *sp
	}
	code := int(se.ExtendedCode)
	if code == 0 {
		code = int(se.Code)
	}
	return dialect.ClassifySQLite(code, se.Error(), err)
}

// errorCode is the extended result code of a sqlite3.Error.
func errorCode(err error) string {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return strconv.Itoa(int(se.ExtendedCode))
	}
	var sp *sqlite3.Error
	if errors.As(err, &sp) && sp != nil {
		return strconv.Itoa(int(sp.ExtendedCode))
	}
	return ""
}
