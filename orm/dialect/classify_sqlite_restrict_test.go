package dialect_test

import (
	"errors"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// SQLite reports an ON DELETE RESTRICT violation as SQLITE_CONSTRAINT_TRIGGER
// (1811) with the foreign key message: it is a foreign key violation, and
// other RAISEs of triggers are not.
func TestClassifySQLiteRestrict(t *testing.T) {
	orig := errors.New("FOREIGN KEY constraint failed")
	got, ok := dialect.ClassifySQLite(1811, "FOREIGN KEY constraint failed", orig)
	if !ok || !errors.Is(got, dialect.ErrForeignKeyViolation) || !errors.Is(got, orig) {
		t.Fatalf("ClassifySQLite(1811, FOREIGN KEY …) = %v, %v; want a foreign key violation wrapping the error", got, ok)
	}
	if got, ok := dialect.ClassifySQLite(1811, "no refunds after shipping", errors.New("raise")); ok {
		t.Fatalf("ClassifySQLite(1811, a trigger's own RAISE) = %v, classified; want unclassified", got)
	}
}
