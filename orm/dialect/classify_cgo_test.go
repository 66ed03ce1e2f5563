//go:build cgo

package dialect_test

import (
	"errors"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// sameMattnError checks that errors.As reaches the same sqlite3.Error of
// mattn/go-sqlite3 in orig and classified.
func sameMattnError(t *testing.T, orig, classified error) {
	t.Helper()
	sameDriverError[sqlite3.Error](t, orig, classified)
}

// mattnResultCode returns the primary result code of a sqlite3.Error in
// err's chain.
func mattnResultCode(err error) (int, bool) {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return int(se.Code), true
	}
	return 0, false
}

// mattnPassThrough are mattn errors Classify leaves alone.
func mattnPassThrough() []error {
	return []error{
		sqlite3.Error{Code: sqlite3.ErrError},
		sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintTrigger},
	}
}

// mattnBusy is a hand-made SQLITE_BUSY of mattn, for TestClassifyIdempotent.
func mattnBusy() []error {
	return []error{sqlite3.Error{Code: sqlite3.ErrBusy, ExtendedCode: sqlite3.ErrNoExtended(sqlite3.ErrBusy)}}
}

// mattnDriverErrors are the hand-made mattn errors of
// TestClassifyDriverErrors (modernc's errors cannot be made by hand; real
// ones are classified in TestClassifyConstraintViolations and
// orm/driver/sqlite).
func mattnDriverErrors() []handMadeError {
	return []handMadeError{
		{"sqlite/unique", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique},
			dialect.ErrUniqueViolation, "2067"},
		{"sqlite/primary_key", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintPrimaryKey},
			dialect.ErrUniqueViolation, "1555"},
		{"sqlite/foreign_key", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintForeignKey},
			dialect.ErrForeignKeyViolation, "787"},
		{"sqlite/not_null", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintNotNull},
			dialect.ErrNotNullViolation, "1299"},
		{"sqlite/check", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintCheck},
			dialect.ErrCheckViolation, "275"},
		{"sqlite/busy", sqlite3.Error{Code: sqlite3.ErrBusy, ExtendedCode: sqlite3.ErrNoExtended(sqlite3.ErrBusy)},
			dialect.ErrLockTimeout, "5"},
		{"sqlite/locked", sqlite3.Error{Code: sqlite3.ErrLocked, ExtendedCode: sqlite3.ErrNoExtended(sqlite3.ErrLocked)},
			dialect.ErrLockTimeout, "6"},
		{"sqlite/pointer", &sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique},
			dialect.ErrUniqueViolation, "2067"},
	}
}
