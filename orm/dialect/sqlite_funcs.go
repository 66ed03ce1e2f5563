package dialect

import (
	"database/sql"
	"database/sql/driver"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// SQLiteDriverName is the database/sql driver name of mattn/go-sqlite3 with
// the ORM's SQL functions registered on every connection (see
// RegisterSQLiteFunctions). orm.Open uses it for "sqlite3"; open a pool of
// your own with it (sql.Open(dialect.SQLiteDriverName, dsn)) to give
// orm.OpenDB the same functions.
const SQLiteDriverName = "sqlite3_sqlmodel"

// sqliteFuncsDriver is the driver registered as SQLiteDriverName.
var sqliteFuncsDriver = &sqlite3.SQLiteDriver{ConnectHook: RegisterSQLiteFunctions}

func init() { sql.Register(SQLiteDriverName, sqliteFuncsDriver) }

// RegisterSQLiteFunctions registers the ORM's SQL functions on a
// connection: sqlm_lower(x), which lower-cases all of Unicode (SQLite's
// LOWER folds ASCII letters only) and is what ILike compares with. Call it
// from the ConnectHook of a driver of your own.
func RegisterSQLiteFunctions(c *sqlite3.SQLiteConn) error {
	return c.RegisterFunc("sqlm_lower", sqliteLower, true)
}

// sqliteLower is sqlm_lower: NULL stays NULL (mattn passes it as a nil
// []byte), text and blobs become lower-case text, numbers are left alone
// (LIKE compares their text).
func sqliteLower(v any) any {
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

// SQLiteFunctionsDriver reports whether d is the driver registered as
// SQLiteDriverName, whose connections have the ORM's functions.
func SQLiteFunctionsDriver(d driver.Driver) bool {
	drv, ok := d.(*sqlite3.SQLiteDriver)
	return ok && drv == sqliteFuncsDriver
}

// SQLiteWithFunctions returns the SQLite dialect for connections that have
// the ORM's functions (RegisterSQLiteFunctions): ILike then folds case with
// sqlm_lower, for all of Unicode, instead of LOWER.
func SQLiteWithFunctions() Dialect { return sqlite{funcs: true} }

// CaseFoldFunc is the SQL function that case-insensitive comparisons
// (ILike) lower-case both sides with.
func (d sqlite) CaseFoldFunc() string {
	if d.funcs {
		return "sqlm_lower"
	}
	return "LOWER"
}
