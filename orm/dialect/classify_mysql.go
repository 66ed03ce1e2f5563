package dialect

import (
	"strconv"
	"strings"
)

// ClassifyMySQL classifies a MySQL or MariaDB server error by its error
// number and message (a *mysql.MySQLError of github.com/go-sql-driver/mysql
// carries both); it returns false for numbers that are not classified.
//
// The server does not report the constraint as a separate field, so the
// names are parsed out of the message where it contains them:
//
//	1062/1586 Duplicate entry 'v' for key 'name'          (MariaDB, MySQL < 8.0.19)
//	1062/1586 Duplicate entry 'v' for key 'table.name'    (MySQL >= 8.0.19)
//	1451/1452 ... fails (`db`.`table`, CONSTRAINT `name` FOREIGN KEY (`col`) REFERENCES ...)
//	1048      Column 'col' cannot be null
//	1364      Field 'col' doesn't have a default value
//	3819      Check constraint 'name' is violated.          (MySQL)
//	4025      CONSTRAINT `name` failed for `db`.`table`     (MariaDB)
//
// MariaDB names an unnamed column-level CHECK constraint `table.col`; the
// column is then filled in as well.
func ClassifyMySQL(number uint16, message string, err error) (error, bool) {
	var (
		kind                      error
		constraint, table, column string
		msg                       = message
	)
	switch number {
	case 1062, 1586: // ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME
		kind = ErrUniqueViolation
		if name, _, ok := quotedAfter(msg, " for key ", '\'', true); ok {
			constraint = name
			if t, n, found := strings.Cut(name, "."); found && t != "" && n != "" {
				table, constraint = t, n
			}
		}
	case 1451, 1452, 1216, 1217: // ER_ROW_IS_REFERENCED(_2), ER_NO_REFERENCED_ROW(_2)
		kind = ErrForeignKeyViolation
		if t, rest, ok := qualifiedAfter(msg, "fails (", '`'); ok {
			table = t
			msg = rest
		}
		if name, rest, ok := quotedAfter(msg, "CONSTRAINT ", '`', false); ok {
			constraint = name
			if col, after, ok := quotedAfter(rest, " FOREIGN KEY (", '`', false); ok && strings.HasPrefix(after, ")") {
				column = col
			}
		}
	case 1048: // ER_BAD_NULL_ERROR
		kind = ErrNotNullViolation
		column, _, _ = quotedAfter(msg, "Column ", '\'', false)
	case 1364: // ER_NO_DEFAULT_FOR_FIELD (strict mode)
		kind = ErrNotNullViolation
		column, _, _ = quotedAfter(msg, "Field ", '\'', false)
	case 3819: // ER_CHECK_CONSTRAINT_VIOLATED (MySQL 8.0.16+)
		kind = ErrCheckViolation
		constraint, _, _ = quotedAfter(msg, "Check constraint ", '\'', false)
	case 4025: // ER_CONSTRAINT_FAILED (MariaDB 10.2+)
		kind = ErrCheckViolation
		if name, rest, ok := quotedAfter(msg, "CONSTRAINT ", '`', false); ok {
			constraint = name
			table, _, _ = qualifiedAfter(rest, " failed for ", '`')
			if table != "" && strings.HasPrefix(name, table+".") {
				column = strings.TrimPrefix(name, table+".")
			}
		}
	case 1213: // ER_LOCK_DEADLOCK
		kind = ErrDeadlock
	case 9007: // TiDB: write conflict of an optimistic transaction, at COMMIT
		kind = ErrSerialization
	case 1205, 3572: // ER_LOCK_WAIT_TIMEOUT, ER_LOCK_NOWAIT (MySQL 8 FOR UPDATE NOWAIT)
		kind = ErrLockTimeout
	default:
		return nil, false
	}
	return newClassified(kind, strconv.Itoa(int(number)), constraint, table, column, err), true
}
