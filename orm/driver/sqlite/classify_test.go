package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

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

// TestClassifyMore: more of modernc's real errors. Names SQLite reports
// reach the ConstraintError (odd table names included); a composite key
// names the table only; an expression index names the index; an unnamed
// CHECK names nothing; SQLITE_BUSY is ErrLockTimeout; errors the ORM does
// not classify come back unchanged.
func TestClassifyMore(t *testing.T) {
	ctx := t.Context()
	dsn, _, _ := AdjustDSN(fmt.Sprintf("file:cm_%d?mode=memory&cache=shared", time.Now().UnixNano()))
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE "we (ird): t" (id INTEGER PRIMARY KEY, name TEXT UNIQUE)`,
		`CREATE TABLE pair (a INT, b INT, qty INT CONSTRAINT ck_qty CHECK (qty > 0), n INT CHECK (n < 10), UNIQUE (a, b))`,
		`CREATE UNIQUE INDEX ux_lower ON pair (lower(a))`,
		`CREATE TABLE parent (id INTEGER PRIMARY KEY)`,
		`CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INT REFERENCES parent (id))`,
		`CREATE TRIGGER no_seven BEFORE INSERT ON parent WHEN NEW.id = 7 BEGIN SELECT RAISE(ABORT, 'no seven'); END`,
		`INSERT INTO "we (ird): t" (id, name) VALUES (1, 'a')`,
		`INSERT INTO pair (a, b, qty, n) VALUES (1, 1, 1, 1)`,
		`INSERT INTO parent (id) VALUES (1)`,
		`INSERT INTO child (id, parent_id) VALUES (1, 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cases := []struct {
		q                     string
		kind                  error
		table, column, constr string
	}{
		{`INSERT INTO "we (ird): t" (id, name) VALUES (2, 'a')`, dialect.ErrUniqueViolation, "we (ird): t", "name", ""},
		{`INSERT INTO pair (a, b, qty, n) VALUES ('1', 1, 1, 1)`, dialect.ErrUniqueViolation, "", "", "ux_lower"},
		{`UPDATE pair SET qty = 0`, dialect.ErrCheckViolation, "", "", "ck_qty"},
		{`UPDATE pair SET n = 10`, dialect.ErrCheckViolation, "", "", ""}, // unnamed: the expression is no name
		{`DELETE FROM parent WHERE id = 1`, dialect.ErrForeignKeyViolation, "", "", ""},
		{`UPDATE child SET parent_id = NULL, id = NULL WHERE id = 1 AND parent_id IS NOT NULL AND 0`, nil, "", "", ""},
	}
	for _, c := range cases {
		_, err := db.ExecContext(ctx, c.q)
		if c.kind == nil {
			if err != nil {
				t.Errorf("%s: %v", c.q, err)
			}
			continue
		}
		got := dialect.Classify(err)
		var ce *dialect.ConstraintError
		if !errors.Is(got, c.kind) || !errors.As(got, &ce) || !errors.Is(got, err) {
			t.Errorf("%s: %v, want %v wrapping the driver's error", c.q, got, c.kind)
			continue
		}
		if ce.Table != c.table || ce.Column != c.column || ce.Constraint != c.constr {
			t.Errorf("%s: table %q column %q constraint %q; want %q %q %q", c.q, ce.Table, ce.Column, ce.Constraint, c.table, c.column, c.constr)
		}
	}
	// The composite UNIQUE (a, b) without the expression index in the way.
	if _, err := db.ExecContext(ctx, `DROP INDEX ux_lower`); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO pair (a, b, qty, n) VALUES (1, 1, 1, 1)`)
	var ce *dialect.ConstraintError
	if got := dialect.Classify(err); !errors.As(got, &ce) || ce.Kind != dialect.ErrUniqueViolation || ce.Table != "pair" || ce.Column != "" {
		t.Errorf("composite unique: %v (%+v), want ErrUniqueViolation naming table pair and no column", got, ce)
	}
	for _, q := range []string{`SELECT * FROM missing`, `INSERT INTO parent (id) VALUES (7)`, `SELECT no_such_column FROM parent`} {
		_, err := db.ExecContext(ctx, q)
		if err == nil {
			t.Fatalf("%s: no error", q)
		}
		if got := dialect.Classify(err); got != err {
			t.Errorf("%s: Classify(%v) = %v, want it unchanged", q, err, got)
		}
	}
	classifyLocks(t, db)
}

// classifyLocks: SQLITE_BUSY (another connection's write transaction,
// no busy timeout) is ErrLockTimeout. A table of a shared-cache database
// written by another connection's open transaction does not fail with
// SQLITE_LOCKED as with mattn: modernc waits for the lock (SQLite's unlock
// notification), until the statement's context ends.
func classifyLocks(t *testing.T, shared *sql.DB) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	w, err := shared.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := shared.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ExecContext(ctx, `INSERT INTO parent (id) VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	var n int
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	err = r.QueryRowContext(short, `SELECT COUNT(*) FROM parent`).Scan(&n)
	cancelShort()
	if !errors.Is(dialect.Classify(err), context.DeadlineExceeded) {
		t.Errorf("read of a table locked in the shared cache: %v, want the context's deadline", err)
	}
	if _, err := w.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRowContext(ctx, `SELECT COUNT(*) FROM parent`).Scan(&n); err != nil || n != 1 {
		t.Errorf("read after the lock was released: %d, %v; want 1 row", n, err)
	}

	dir := t.TempDir()
	file := "file:" + filepath.ToSlash(filepath.Join(dir, "busy.db"))
	dsn, _, _ := AdjustDSN(file)
	holder, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	nowait, _, _ := AdjustDSN(file + "?_busy_timeout=0")
	other, err := sql.Open("sqlite", nowait)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := holder.ExecContext(ctx, `CREATE TABLE x (id INT)`); err != nil {
		t.Fatal(err)
	}
	hc, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	if _, err := hc.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer hc.ExecContext(ctx, `ROLLBACK`) //nolint:errcheck // cleanup
	_, err = other.ExecContext(ctx, `INSERT INTO x (id) VALUES (1)`)
	got := dialect.Classify(err)
	var re *dialect.RetryableError
	if !errors.Is(got, dialect.ErrLockTimeout) || !errors.As(got, &re) || re.Code != "5" || !errors.Is(got, err) {
		t.Errorf("write while another connection holds the write lock: %v, want ErrLockTimeout with code 5 (SQLITE_BUSY)", got)
	}
}
