package session

import (
	"errors"
	"slices"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// mergeHintError is a primary-key violation of an INSERT whose rows were
// given their keys: the usual cause is an object loaded by another session
// (or a copy of one) handed to Add, which inserts, where Merge would have
// updated the existing row. It only adds that hint to the message; errors.Is
// and errors.As see the classified error it wraps.
type mergeHintError struct {
	table string
	err   error
}

func (e *mergeHintError) Error() string {
	return e.err.Error() + "; a " + e.table + " row with this primary key already exists: Add inserts, so to save an object" +
		" that another session loaded (or a copy of one), use orm.Merge (session.Merge), which updates the existing row"
}

// Unwrap returns the classified error.
func (e *mergeHintError) Unwrap() error { return e.err }

// withMergeHint adds the Merge hint to err when it is a unique violation of
// m's primary key and the batch wrote the key columns itself (the objects
// were given their keys; a generated key cannot collide).
func withMergeHint(m *schema.Model, write []*schema.Field, err error) error {
	if len(m.PrimaryKey) == 0 {
		return err
	}
	for _, f := range m.PrimaryKey {
		if !slices.Contains(write, f) {
			return err
		}
	}
	if !primaryKeyViolation(m, err) {
		return err
	}
	return &mergeHintError{table: m.Table, err: err}
}

// primaryKeyViolation reports whether err is a unique violation that the
// database attributes to m's primary key: by the name each database gives
// an unnamed primary key (PostgreSQL "<table>_pkey", MySQL and MariaDB
// "PRIMARY"), by the column it names (SQLite "table.column"), or by
// SQLite's extended code for primary keys (composite keys, where no column
// is named).
func primaryKeyViolation(m *schema.Model, err error) bool {
	var ce *dialect.ConstraintError
	if !errors.As(err, &ce) || !errors.Is(ce.Kind, dialect.ErrUniqueViolation) {
		return false
	}
	switch {
	case ce.Constraint != "":
		return ce.Constraint == "PRIMARY" || ce.Constraint == pkeyName(m.Table)
	case ce.Column != "":
		return len(m.PrimaryKey) == 1 && ce.Column == m.PrimaryKey[0].Column
	default:
		return ce.Code == sqlitePrimaryKeyCode
	}
}

// sqlitePrimaryKeyCode is SQLITE_CONSTRAINT_PRIMARYKEY, the extended result
// code of a primary-key conflict in SQLite.
const sqlitePrimaryKeyCode = "1555"

// pkeyName is PostgreSQL's name for the unnamed primary key of table:
// "<table>_pkey", cut to the 63 bytes of an identifier.
func pkeyName(table string) string {
	const maxIdent = 63
	const suffix = "_pkey"
	if len(table)+len(suffix) > maxIdent {
		table = table[:maxIdent-len(suffix)]
	}
	return table + suffix
}
