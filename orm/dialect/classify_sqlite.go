//go:build cgo

package dialect

import (
	"errors"
	"strconv"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// classifySQLite classifies a sqlite3.Error from github.com/mattn/go-sqlite3
// (returned by value; a *sqlite3.Error is accepted too) by its extended
// result code, and SQLITE_BUSY / SQLITE_LOCKED by its primary code.
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
func classifySQLite(err error) (error, bool) {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		var sp *sqlite3.Error
		if !errors.As(err, &sp) || sp == nil {
			return nil, false
		}
		se = *sp
	}
	code := strconv.Itoa(int(se.ExtendedCode))
	switch se.Code {
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return newClassified(ErrLockTimeout, code, "", "", "", err), true
	case sqlite3.ErrConstraint:
	default:
		return nil, false
	}

	var kind error
	var prefix string
	switch se.ExtendedCode {
	case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
		kind, prefix = ErrUniqueViolation, "UNIQUE constraint failed: "
	case sqlite3.ErrConstraintForeignKey:
		kind = ErrForeignKeyViolation
	case sqlite3.ErrConstraintNotNull:
		kind, prefix = ErrNotNullViolation, "NOT NULL constraint failed: "
	case sqlite3.ErrConstraintCheck:
		kind, prefix = ErrCheckViolation, "CHECK constraint failed: "
	default:
		return nil, false
	}

	var constraint, table, column string
	detail, found := "", false
	if prefix != "" {
		_, detail, found = strings.Cut(se.Error(), prefix)
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
