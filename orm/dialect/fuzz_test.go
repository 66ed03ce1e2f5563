package dialect

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"
)

// Fuzz targets of identifier quoting and error classification (issue 8,
// item 5). Seeds live in testdata/fuzz/<target>; run one with
//
//	go test -run '^$' -fuzz '^FuzzQuote$' -fuzztime 30s ./orm/dialect

// FuzzQuote: every dialect's Quote turns any string into one quoted
// identifier token that reads back as exactly that string: it starts and
// ends with the quote character, and every quote character inside is
// doubled, so no input can close the identifier early and append SQL.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{
		"", "order", `we"ird`, "back`tick", `"; DROP TABLE x; --`, "`; DROP TABLE x; --", "a\x00b",
		"größe", "with space", `""`, "``", "\\", "\\\"", "'", "\xff\xfe", "a.b", "--", "/*", "$1", "?",
	} {
		f.Add(s)
	}
	dialects := []Dialect{Postgres(), MySQL(), MariaDB(), SQLite()}
	f.Fuzz(func(t *testing.T, ident string) {
		for _, d := range dialects {
			q := byte('"')
			if d.Name() == "mysql" {
				q = '`'
			}
			out := d.Quote(ident)
			if len(out) < 2 || out[0] != q || out[len(out)-1] != q {
				t.Fatalf("%s: Quote(%q) = %q is not enclosed in %c", d.Name(), ident, out, q)
			}
			name, rest, ok := readQuoted(out, q)
			if !ok || rest != "" || name != ident {
				t.Fatalf("%s: Quote(%q) = %q reads back as %q, rest %q, %v", d.Name(), ident, out, name, rest, ok)
			}
			// Inside the quotes, quote characters come only in pairs.
			inner := out[1 : len(out)-1]
			if strings.Count(inner, string(q))%2 != 0 || strings.ReplaceAll(inner, string([]byte{q, q}), "") != strings.ReplaceAll(ident, string(q), "") {
				t.Fatalf("%s: Quote(%q) = %q has an unpaired quote", d.Name(), ident, out)
			}
		}
	})
}

// FuzzClassifyMySQL: classifying any MySQL error number and message never
// panics, keeps the driver's error reachable, is idempotent, and names
// only text taken from the message.
func FuzzClassifyMySQL(f *testing.F) {
	for _, c := range []struct {
		n   uint16
		msg string
	}{
		{1062, "Duplicate entry 'x' for key 'uq_name'"},
		{1062, "Duplicate entry 'x' for key 't.uq_name'"},
		{1062, "Duplicate entry 'a'' for key ''b' for key 'k'''"},
		{1452, "Cannot add or update a child row: a foreign key constraint fails (`db`.`t`, CONSTRAINT `fk` FOREIGN KEY (`c`) REFERENCES `p` (`id`))"},
		{1451, "fails (`db`.`t"},
		{1048, "Column 'c' cannot be null"},
		{1364, "Field 'c' doesn't have a default value"},
		{3819, "Check constraint 'ck' is violated."},
		{4025, "CONSTRAINT `t.c` failed for `db`.`t`"},
		{1213, "Deadlock found"},
		{1205, "Lock wait timeout exceeded"},
		{1045, "Access denied for user 'root'@'localhost' (using password: YES)"},
		{4025, "CONSTRAINT `"},
		{1062, " for key '"},
	} {
		f.Add(c.n, c.msg)
	}
	f.Fuzz(func(t *testing.T, number uint16, msg string) {
		orig := &mysql.MySQLError{Number: number, Message: msg}
		out := Classify(orig)
		var me *mysql.MySQLError
		if !errors.As(out, &me) || me != orig {
			t.Fatalf("Classify(%d %q) = %v: the driver error is not reachable", number, msg, out)
		}
		fuzzCheckClassified(t, out, msg)
	})
}

// FuzzClassifyPostgres: the same for any SQLSTATE and names, from pgx and
// lib/pq errors.
func FuzzClassifyPostgres(f *testing.F) {
	for _, c := range []struct{ code, constraint, table, column, msg string }{
		{"23505", "uq_hero_name", "hero", "", "duplicate key value violates unique constraint"},
		{"23503", "fk_hero_team", "hero", "", "insert or update violates foreign key constraint"},
		{"23502", "", "hero", "name", "null value in column"},
		{"23514", "ck_age", "hero", "", "new row violates check constraint"},
		{"40001", "", "", "", "could not serialize access"},
		{"40P01", "", "", "", "deadlock detected"},
		{"55P03", "", "", "", "could not obtain lock"},
		{"28P01", "", "", "", "password authentication failed for user \"postgres\""},
		{"", "", "", "", ""},
	} {
		f.Add(c.code, c.constraint, c.table, c.column, c.msg)
	}
	f.Fuzz(func(t *testing.T, code, constraint, table, column, msg string) {
		pg := &pgconn.PgError{Code: code, ConstraintName: constraint, TableName: table, ColumnName: column, Message: msg}
		out := Classify(pg)
		var pe *pgconn.PgError
		if !errors.As(out, &pe) || pe != pg {
			t.Fatalf("pgx: Classify(%q) = %v: the driver error is not reachable", code, out)
		}
		fuzzCheckClassified(t, out, constraint+"\x00"+table+"\x00"+column)

		pqe := &pq.Error{Code: pq.ErrorCode(code), Constraint: constraint, Table: table, Column: column, Message: msg}
		out = Classify(pqe)
		var qe *pq.Error
		if !errors.As(out, &qe) || qe != pqe {
			t.Fatalf("pq: Classify(%q) = %v: the driver error is not reachable", code, out)
		}
		fuzzCheckClassified(t, out, constraint+"\x00"+table+"\x00"+column)
		if IsRetryable(out) != (code == "40001" || code == "40P01" || code == "55P03") {
			t.Fatalf("pq: IsRetryable(%q) = %v", code, IsRetryable(out))
		}
	})
}

// fuzzCheckClassified checks a classified error: classifying it again
// changes nothing, a constraint error has a kind, and every name it
// reports is text of source (with doubled quotes read as one).
func fuzzCheckClassified(t *testing.T, out error, source string) {
	t.Helper()
	if again := Classify(out); again != out {
		t.Fatalf("Classify is not idempotent: %v then %v", out, again)
	}
	if out.Error() == "" {
		t.Fatal("empty error message")
	}
	var ce *ConstraintError
	if errors.As(out, &ce) {
		if ce.Kind == nil || !errors.Is(out, ce.Kind) {
			t.Fatalf("constraint error %v has kind %v", out, ce.Kind)
		}
		unquoted := strings.NewReplacer("''", "'", "``", "`").Replace(source)
		for _, name := range []string{ce.Constraint, ce.Table, ce.Column} {
			if !strings.Contains(source, name) && !strings.Contains(unquoted, name) {
				t.Fatalf("name %q is not in %q", name, source)
			}
		}
	}
	var re *RetryableError
	if errors.As(out, &re) && !IsRetryable(out) {
		t.Fatalf("%v is a RetryableError but IsRetryable is false", out)
	}
}
