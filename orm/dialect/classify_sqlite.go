package dialect

import (
	"strconv"
	"strings"
)

// SQLite result codes that ClassifySQLite reads (sqlite3.h).
const (
	sqliteBusy                 = 5
	sqliteLocked               = 6
	sqliteConstraint           = 19
	sqliteConstraintCheck      = 275
	sqliteConstraintForeignKey = 787
	sqliteConstraintNotNull    = 1299
	sqliteConstraintTrigger    = 1811 // RAISE in a trigger, and ON DELETE/UPDATE RESTRICT
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

// ClassifySQLite classifies an SQLite error by its extended result code,
// and SQLITE_BUSY / SQLITE_LOCKED by its primary code (the low byte of the
// extended one), reading names from its message (mattn/go-sqlite3's
// sqlite3.Error and modernc.org/sqlite's *sqlite.Error both carry them).
// It returns false for codes that are not classified.
//
// SQLite reports names only in the message:
//
//	UNIQUE constraint failed: table.col[, table.col2]
//	UNIQUE constraint failed: index 'name'      (unique index on expressions)
//	NOT NULL constraint failed: table.col
//	CHECK constraint failed: name               (or the expression when unnamed)
//	FOREIGN KEY constraint failed               (no names at all)
//
// A multi-column unique violation fills Table but not Column; the text after
// "CHECK constraint failed: " becomes Constraint only when it is a plain
// identifier, not the expression of an unnamed constraint.
func ClassifySQLite(extendedCode int, message string, err error) (error, bool) {
	code := strconv.Itoa(extendedCode)
	switch extendedCode & 0xff {
	case sqliteBusy, sqliteLocked:
		return newClassified(ErrLockTimeout, code, "", "", "", err), true
	case sqliteConstraint:
	default:
		return nil, false
	}

	var kind error
	var prefix string
	switch extendedCode {
	case sqliteConstraintUnique, sqliteConstraintPrimaryKey:
		kind, prefix = ErrUniqueViolation, "UNIQUE constraint failed: "
	case sqliteConstraintForeignKey:
		kind = ErrForeignKeyViolation
	case sqliteConstraintTrigger:
		// SQLite enforces ON DELETE/UPDATE RESTRICT with a RAISE of its
		// own, whose message is the foreign key one; other RAISEs stay
		// unclassified.
		if message != "FOREIGN KEY constraint failed" {
			return nil, false
		}
		kind = ErrForeignKeyViolation
	case sqliteConstraintNotNull:
		kind, prefix = ErrNotNullViolation, "NOT NULL constraint failed: "
	case sqliteConstraintCheck:
		kind, prefix = ErrCheckViolation, "CHECK constraint failed: "
	default:
		return nil, false
	}

	var constraint, table, column string
	detail, found := "", false
	if prefix != "" {
		_, detail, found = strings.Cut(message, prefix)
	}
	switch {
	case !found || detail == "":
	case kind == ErrCheckViolation:
		// A name, not the expression of an unnamed constraint.
		notIdent := strings.IndexFunc(detail, func(r rune) bool {
			return !(r == '_' || r == '$' || r > 0x7f ||
				r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		})
		if notIdent < 0 {
			constraint = detail
		}
	case strings.HasPrefix(detail, "index "):
		constraint, _, _ = readQuoted(strings.TrimPrefix(detail, "index "), '\'')
	default:
		first, _, multi := strings.Cut(detail, ", ")
		if t, c, ok := strings.Cut(first, "."); ok {
			table = t
			if !multi {
				column = c
			}
		}
	}
	return newClassified(kind, code, constraint, table, column, err), true
}
