//go:build cgo

package dialect_test

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// TestSQLiteFunctions: connections of dialect.SQLiteDriverName have
// sqlm_lower, which lower-cases all of Unicode and keeps NULL; the plain
// "sqlite3" driver does not, and only the ORM's driver is recognised.
func TestSQLiteFunctions(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open(dialect.SQLiteDriverName, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, tc := range []struct {
		expr string
		want sql.NullString
	}{
		{`sqlm_lower('ÉCOLE Ünï')`, sql.NullString{String: "école ünï", Valid: true}},
		{`sqlm_lower('ABC')`, sql.NullString{String: "abc", Valid: true}},
		{`sqlm_lower(NULL)`, sql.NullString{}},
		{`sqlm_lower(X'C389')`, sql.NullString{String: "é", Valid: true}},
		{`sqlm_lower(12)`, sql.NullString{String: "12", Valid: true}},
		{`sqlm_lower('')`, sql.NullString{String: "", Valid: true}},
		{`CASE WHEN sqlm_lower('École') LIKE sqlm_lower('éCOLE') THEN 'yes' ELSE 'no' END`, sql.NullString{String: "yes", Valid: true}},
		{`CASE WHEN LOWER('École') LIKE LOWER('éCOLE') THEN 'yes' ELSE 'no' END`, sql.NullString{String: "no", Valid: true}},
	} {
		var got sql.NullString
		if err := db.QueryRowContext(ctx, "SELECT "+tc.expr).Scan(&got); err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if got != tc.want {
			t.Errorf("%s = %#v, want %#v", tc.expr, got, tc.want)
		}
	}
	if !dialect.SQLiteFunctionsDriver(db.Driver()) {
		t.Error("the ORM's SQLite driver is not recognised")
	}

	plain, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if dialect.SQLiteFunctionsDriver(plain.Driver()) {
		t.Error(`the plain "sqlite3" driver is taken for the ORM's`)
	}
	if _, err := plain.ExecContext(ctx, "SELECT sqlm_lower('A')"); err == nil {
		t.Error(`sqlm_lower exists on a plain "sqlite3" connection`)
	}
	if f := dialect.SQLite().(interface{ CaseFoldFunc() string }).CaseFoldFunc(); f != "LOWER" {
		t.Errorf("SQLite().CaseFoldFunc() = %q, want LOWER", f)
	}
	if f := dialect.SQLiteWithFunctions().(interface{ CaseFoldFunc() string }).CaseFoldFunc(); f != "sqlm_lower" {
		t.Errorf("SQLiteWithFunctions().CaseFoldFunc() = %q, want sqlm_lower", f)
	}
}

// TestSQLiteForPool: a pool of the ORM's SQLite driver gets the dialect
// that folds case with sqlm_lower and opens replicas with the same driver;
// a plain "sqlite3" pool keeps LOWER and "sqlite3".
func TestSQLiteForPool(t *testing.T) {
	for _, c := range []struct {
		driver, fold, replica string
	}{
		{dialect.SQLiteDriverName, "sqlm_lower", dialect.SQLiteDriverName},
		{"sqlite3", "LOWER", "sqlite3"},
	} {
		db, err := sql.Open(c.driver, ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		d, replica := dialect.SQLite().ForPool(db.Driver())
		db.Close()
		if d.CaseFoldFunc() != c.fold || replica != c.replica {
			t.Errorf("ForPool(%s pool) = fold %s, replicas %q; want fold %s, replicas %q", c.driver, d.CaseFoldFunc(), replica, c.fold, c.replica)
		}
	}
}
