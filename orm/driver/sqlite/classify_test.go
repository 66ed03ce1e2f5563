package sqlite

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// TestClassify: modernc's errors of real constraint violations are
// classified with the names SQLite reports.
func TestClassify(t *testing.T) {
	dsn, _, _ := AdjustDSN(":memory:")
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE team (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, CONSTRAINT positive CHECK (id > 0))`,
		`CREATE TABLE hero (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES team(id))`,
		`INSERT INTO team (id, name) VALUES (1, 'a')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		q                     string
		kind                  error
		table, column, constr string
	}{
		{`INSERT INTO team (id, name) VALUES (2, 'a')`, dialect.ErrUniqueViolation, "team", "name", ""},
		{`INSERT INTO team (id, name) VALUES (1, 'b')`, dialect.ErrUniqueViolation, "team", "id", ""},
		{`INSERT INTO team (id, name) VALUES (3, NULL)`, dialect.ErrNotNullViolation, "team", "name", ""},
		{`INSERT INTO team (id, name) VALUES (-1, 'c')`, dialect.ErrCheckViolation, "", "", "positive"},
		{`INSERT INTO hero (id, team_id) VALUES (1, 99)`, dialect.ErrForeignKeyViolation, "", "", ""},
	}
	for _, c := range cases {
		_, err := db.Exec(c.q)
		got := dialect.Classify(err)
		var ce *dialect.ConstraintError
		if !errors.Is(got, c.kind) || !errors.As(got, &ce) {
			t.Errorf("%s: %v, want %v", c.q, got, c.kind)
			continue
		}
		if ce.Table != c.table || ce.Column != c.column || ce.Constraint != c.constr {
			t.Errorf("%s: table %q column %q constraint %q; want %q %q %q", c.q, ce.Table, ce.Column, ce.Constraint, c.table, c.column, c.constr)
		}
		if !errors.Is(got, err) {
			t.Errorf("%s: the driver's error is lost", c.q)
		}
	}
	if got := message("constraint failed: UNIQUE constraint failed: t.c (2067)"); got != "UNIQUE constraint failed: t.c" {
		t.Errorf("message = %q", got)
	}
	if got := message("database is locked (5) (SQLITE_BUSY)"); got != "database is locked" {
		t.Errorf("message = %q", got)
	}
}
