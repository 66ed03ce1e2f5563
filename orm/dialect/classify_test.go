// The tests run in every build: SQLite through the target's driver
// (modernc.org/sqlite without cgo or with SQLMODEL_SQLITE_DRIVER=sqlite,
// mattn/go-sqlite3 otherwise). What names sqlite3.Error, which
// github.com/mattn/go-sqlite3 defines only with cgo, is in
// classify_cgo_test.go.

package dialect_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"
	msqlite "modernc.org/sqlite"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/mysql"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pq"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3"
)

// classifiedNames are the names a ConstraintError should carry; an empty field is not
// checked (the driver or server version may or may not report it).
type classifiedNames struct {
	Constraint, Table, Column string
}

// driverDB is one database/sql driver opened on a target.
type driverDB struct {
	driver string // database/sql driver name
	db     *sql.DB
}

// sqliteDSNWith appends query parameters to a SQLite DSN (both drivers
// take the same _foreign_keys and _busy_timeout parameters).
func sqliteDSNWith(dsn, params string) string {
	if strings.Contains(dsn, "?") {
		return dsn + "&" + params
	}
	return dsn + "?" + params
}

// openClassifyTarget opens the target with every driver under test: PostgreSQL with both
// pgx and lib/pq, SQLite with foreign keys enforced, MySQL as it is.
func openClassifyTarget(t *testing.T, tg testkit.Target) []driverDB {
	t.Helper()
	var conns []driverDB
	switch tg.Dialect {
	case "postgres":
		conns = []driverDB{
			{"pgx", tg.OpenWithDriver(t, "pgx")},
			{"postgres", tg.OpenWithDriver(t, "postgres")},
		}
	case "sqlite":
		fk := tg
		fk.DSN = sqliteDSNWith(tg.DSN, "_foreign_keys=1")
		conns = []driverDB{{tg.Driver, fk.Open(t)}}
	default:
		conns = []driverDB{{tg.Driver, tg.Open(t)}}
	}
	for _, c := range conns {
		t.Cleanup(func() { _ = c.db.Close() })
	}
	return conns
}

func execClassify(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func classifyCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sameDriverError checks that errors.As finds a driver error of type E in both
// orig and classified, and that it is the same value.
func sameDriverError[E interface {
	comparable
	error
}](t *testing.T, orig, classified error) {
	t.Helper()
	var want, got E
	if !errors.As(orig, &want) {
		t.Fatalf("driver error is %T (%v), not %T", orig, orig, want)
	}
	if !errors.As(classified, &got) {
		t.Fatalf("errors.As(Classify(err), %T) = false for %v", got, classified)
	}
	if got != want {
		t.Fatalf("errors.As through Classify found %v, want the original %v", got, want)
	}
}

// assertDriverError checks that errors.As still reaches the driver's own error
// type through the classified error.
func assertDriverError(t *testing.T, driver string, orig, classified error) {
	t.Helper()
	switch driver {
	case "pgx":
		sameDriverError[*pgconn.PgError](t, orig, classified)
	case "postgres":
		sameDriverError[*pq.Error](t, orig, classified)
	case "mysql":
		sameDriverError[*mysql.MySQLError](t, orig, classified)
	case "sqlite":
		sameDriverError[*msqlite.Error](t, orig, classified)
	case "sqlite3":
		sameMattnError(t, orig, classified)
	default:
		t.Fatalf("no driver error type known for driver %q", driver)
	}
}

// assertConstraint classifies err and checks it is a ConstraintError of kind
// carrying want, that the driver error is still reachable and that a second
// Classify leaves the result alone.
func assertConstraint(t *testing.T, driver string, err, kind error, want classifiedNames) {
	t.Helper()
	if err == nil {
		t.Fatalf("statement succeeded, want %v", kind)
	}
	got := dialect.Classify(err)
	if !errors.Is(got, kind) {
		t.Fatalf("Classify(%v) = %v, want errors.Is %v", err, got, kind)
	}
	var ce *dialect.ConstraintError
	if !errors.As(got, &ce) {
		t.Fatalf("Classify(%v) = %T, want *dialect.ConstraintError", err, got)
	}
	t.Logf("%s: code %s, constraint %q, table %q, column %q: %v", driver, ce.Code, ce.Constraint, ce.Table, ce.Column, err)
	if ce.Kind != kind {
		t.Errorf("Kind = %v, want %v", ce.Kind, kind)
	}
	if ce.Err != err {
		t.Errorf("Err = %v, want the original error %v", ce.Err, err)
	}
	if ce.Code == "" {
		t.Errorf("Code is empty for %v", err)
	}
	if dialect.IsRetryable(got) {
		t.Errorf("IsRetryable(%v) = true for a constraint violation", got)
	}
	assertDriverError(t, driver, err, got)
	if want.Constraint != "" && ce.Constraint != want.Constraint {
		t.Errorf("Constraint = %q, want %q", ce.Constraint, want.Constraint)
	}
	if want.Table != "" && ce.Table != want.Table {
		t.Errorf("Table = %q, want %q", ce.Table, want.Table)
	}
	if want.Column != "" && ce.Column != want.Column {
		t.Errorf("Column = %q, want %q", ce.Column, want.Column)
	}
	if again := dialect.Classify(got); again != got {
		t.Errorf("Classify(Classify(err)) = %v, want the first result unchanged", again)
	}
}

// assertRetryable classifies err and checks it is a RetryableError of kind.
func assertRetryable(t *testing.T, driver string, err, kind error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", kind)
	}
	got := dialect.Classify(err)
	if !errors.Is(got, kind) {
		t.Fatalf("Classify(%v) = %v, want errors.Is %v", err, got, kind)
	}
	var re *dialect.RetryableError
	if !errors.As(got, &re) {
		t.Fatalf("Classify(%v) = %T, want *dialect.RetryableError", err, got)
	}
	t.Logf("%s: code %s: %v", driver, re.Code, err)
	if re.Err != err {
		t.Errorf("Err = %v, want the original error %v", re.Err, err)
	}
	if re.Code == "" {
		t.Errorf("Code is empty for %v", err)
	}
	if !dialect.IsRetryable(got) {
		t.Errorf("IsRetryable(%v) = false", got)
	}
	if errors.Is(got, dialect.ErrUniqueViolation) {
		t.Errorf("%v matches ErrUniqueViolation", got)
	}
	assertDriverError(t, driver, err, got)
	if again := dialect.Classify(got); again != got {
		t.Errorf("Classify(Classify(err)) = %v, want the first result unchanged", again)
	}
}

func TestClassifyConstraintViolations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		stmt string
		kind error
		want map[string]classifiedNames // by dialect
	}{
		{
			name: "unique",
			stmt: `INSERT INTO child (id, email, qty, parent_id) VALUES (2, 'a@example.com', 1, 1)`,
			kind: dialect.ErrUniqueViolation,
			want: map[string]classifiedNames{
				"postgres": {Constraint: "uq_child_email", Table: "child"},
				"mysql":    {Constraint: "uq_child_email"},
				"sqlite":   {Table: "child", Column: "email"},
			},
		},
		{
			name: "primary_key",
			stmt: `INSERT INTO child (id, email, qty, parent_id) VALUES (1, 'b@example.com', 1, 1)`,
			kind: dialect.ErrUniqueViolation,
			want: map[string]classifiedNames{
				"postgres": {Constraint: "child_pkey", Table: "child"},
				"mysql":    {Constraint: "PRIMARY"},
				"sqlite":   {Table: "child", Column: "id"},
			},
		},
		{
			name: "foreign_key_insert",
			stmt: `INSERT INTO child (id, email, qty, parent_id) VALUES (3, 'c@example.com', 1, 99)`,
			kind: dialect.ErrForeignKeyViolation,
			want: map[string]classifiedNames{
				"postgres": {Constraint: "fk_child_parent", Table: "child"},
				"mysql":    {Constraint: "fk_child_parent", Table: "child", Column: "parent_id"},
				"sqlite":   {}, // "FOREIGN KEY constraint failed": no names
			},
		},
		{
			name: "foreign_key_delete_parent",
			stmt: `DELETE FROM parent WHERE id = 1`,
			kind: dialect.ErrForeignKeyViolation,
			want: map[string]classifiedNames{
				"postgres": {Constraint: "fk_child_parent", Table: "child"},
				"mysql":    {Constraint: "fk_child_parent", Table: "child", Column: "parent_id"},
				"sqlite":   {},
			},
		},
		{
			name: "not_null",
			stmt: `INSERT INTO child (id, email, qty, parent_id) VALUES (4, NULL, 1, 1)`,
			kind: dialect.ErrNotNullViolation,
			want: map[string]classifiedNames{
				"postgres": {Table: "child", Column: "email"},
				"mysql":    {Column: "email"},
				"sqlite":   {Table: "child", Column: "email"},
			},
		},
		{
			// MySQL/MariaDB in strict mode: 1364 "Field 'email' doesn't
			// have a default value".
			name: "not_null_omitted",
			stmt: `INSERT INTO child (id, qty, parent_id) VALUES (5, 1, 1)`,
			kind: dialect.ErrNotNullViolation,
			want: map[string]classifiedNames{
				"postgres": {Table: "child", Column: "email"},
				"mysql":    {Column: "email"},
				"sqlite":   {Table: "child", Column: "email"},
			},
		},
		{
			name: "check",
			stmt: `INSERT INTO child (id, email, qty, parent_id) VALUES (6, 'd@example.com', 0, 1)`,
			kind: dialect.ErrCheckViolation,
			want: map[string]classifiedNames{
				"postgres": {Constraint: "ck_child_qty", Table: "child"},
				"mysql":    {Constraint: "ck_child_qty"},
				"sqlite":   {Constraint: "ck_child_qty"},
			},
		},
	}

	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		conns := openClassifyTarget(t, tg)
		execClassify(t, conns[0].db,
			`CREATE TABLE parent (id INT PRIMARY KEY)`,
			`CREATE TABLE child (
				id INT PRIMARY KEY,
				email VARCHAR(100) NOT NULL,
				qty INT NOT NULL,
				parent_id INT NOT NULL,
				CONSTRAINT uq_child_email UNIQUE (email),
				CONSTRAINT ck_child_qty CHECK (qty > 0),
				CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id)
			)`,
			`INSERT INTO parent (id) VALUES (1)`,
			`INSERT INTO child (id, email, qty, parent_id) VALUES (1, 'a@example.com', 1, 1)`,
		)
		for _, c := range conns {
			t.Run(c.driver, func(t *testing.T) {
				for _, tc := range cases {
					t.Run(tc.name, func(t *testing.T) {
						_, err := c.db.Exec(tc.stmt)
						assertConstraint(t, c.driver, err, tc.kind, tc.want[tg.Dialect])
					})
				}
			})
		}
	})
}

// provokeDeadlock makes two transactions lock rows 1 and 2 of table acct in
// opposite order and returns the error of the one the server picked as the
// victim, after checking that the other one went through.
func provokeDeadlock(t *testing.T, db *sql.DB) error {
	t.Helper()
	ctx := classifyCtx(t)
	txs := make([]*sql.Tx, 2)
	for i := range txs {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatalf("begin: %v", err)
		}
		t.Cleanup(func() { _ = tx.Rollback() })
		txs[i] = tx
	}
	// txs[0] holds row 1, txs[1] holds row 2.
	for i, tx := range txs {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE acct SET n = n + 1 WHERE id = %d`, i+1)); err != nil {
			t.Fatalf("tx %d: lock row %d: %v", i, i+1, err)
		}
	}
	type result struct {
		tx  int
		err error
	}
	done := make(chan result, 2)
	// Each now wants the other's row.
	for i, tx := range txs {
		go func() {
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE acct SET n = n + 1 WHERE id = %d`, 2-i))
			done <- result{i, err}
		}()
	}
	// Exactly one of them must fail. On PostgreSQL the survivor waits until
	// the victim rolls back; InnoDB rolls the victim back itself, so there
	// the survivor's result may arrive first.
	first := <-done
	if first.err != nil {
		if err := txs[first.tx].Rollback(); err != nil {
			t.Logf("rollback of the victim: %v", err)
		}
	}
	second := <-done
	victim, survivor := first, second
	if first.err == nil {
		victim, survivor = second, first
	}
	switch {
	case victim.err == nil:
		t.Fatalf("both transactions took the other's row lock: no deadlock")
	case survivor.err != nil:
		t.Fatalf("both transactions failed: tx %d: %v; tx %d: %v", victim.tx, victim.err, survivor.tx, survivor.err)
	}
	if err := txs[survivor.tx].Commit(); err != nil {
		t.Fatalf("commit of the surviving transaction: %v", err)
	}
	return victim.err
}

func TestClassifyDeadlock(t *testing.T) {
	t.Parallel()
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		if tg.Dialect == "sqlite" {
			t.Skip("SQLite has no row locks: writers are serialised by the database lock (see TestClassifySQLiteBusy)")
		}
		conns := openClassifyTarget(t, tg)
		execClassify(t, conns[0].db,
			`CREATE TABLE acct (id INT PRIMARY KEY, n INT NOT NULL)`,
			`INSERT INTO acct (id, n) VALUES (1, 0), (2, 0)`,
		)
		for _, c := range conns {
			t.Run(c.driver, func(t *testing.T) {
				err := provokeDeadlock(t, c.db)
				assertRetryable(t, c.driver, err, dialect.ErrDeadlock)
			})
		}
	})
}

func TestClassifySerializationFailure(t *testing.T) {
	t.Parallel()
	tg, err := testkit.NewTarget(t, "postgres")
	if err != nil {
		if testkit.Required("postgres") {
			t.Fatalf("postgres is required but unavailable: %v", err)
		}
		t.Skipf("postgres unavailable: %v", err)
	}
	conns := openClassifyTarget(t, tg)
	execClassify(t, conns[0].db,
		`CREATE TABLE acct (id INT PRIMARY KEY, n INT NOT NULL)`,
		`INSERT INTO acct (id, n) VALUES (1, 10), (2, 10)`,
	)
	serializable := &sql.TxOptions{Isolation: sql.LevelSerializable}

	// begin2 starts two SERIALIZABLE transactions that have both read query.
	begin2 := func(t *testing.T, db *sql.DB, query string) (*sql.Tx, *sql.Tx) {
		t.Helper()
		ctx := classifyCtx(t)
		var txs [2]*sql.Tx
		for i := range txs {
			tx, err := db.BeginTx(ctx, serializable)
			if err != nil {
				t.Fatalf("begin: %v", err)
			}
			t.Cleanup(func() { _ = tx.Rollback() })
			var n int
			if err := tx.QueryRowContext(ctx, query).Scan(&n); err != nil {
				t.Fatalf("tx %d: %s: %v", i, query, err)
			}
			txs[i] = tx
		}
		return txs[0], txs[1]
	}

	for _, c := range conns {
		t.Run(c.driver, func(t *testing.T) {
			t.Run("concurrent_update", func(t *testing.T) {
				// Both read row 1; the first updates and commits; the second's
				// update of the same row cannot be serialised.
				tx1, tx2 := begin2(t, c.db, `SELECT n FROM acct WHERE id = 1`)
				if _, err := tx1.Exec(`UPDATE acct SET n = n - 1 WHERE id = 1`); err != nil {
					t.Fatalf("tx1 update: %v", err)
				}
				if err := tx1.Commit(); err != nil {
					t.Fatalf("tx1 commit: %v", err)
				}
				_, err := tx2.Exec(`UPDATE acct SET n = n - 1 WHERE id = 1`)
				assertRetryable(t, c.driver, err, dialect.ErrSerialization)
			})
			t.Run("write_skew", func(t *testing.T) {
				// Both read both rows and each writes a different one: no
				// row conflict, but no serial order gives this result.
				tx1, tx2 := begin2(t, c.db, `SELECT SUM(n) FROM acct WHERE id IN (1, 2)`)
				if _, err := tx1.Exec(`UPDATE acct SET n = n - 1 WHERE id = 1`); err != nil {
					t.Fatalf("tx1 update: %v", err)
				}
				_, err := tx2.Exec(`UPDATE acct SET n = n - 1 WHERE id = 2`)
				if err != nil {
					t.Fatalf("tx2 update: %v", err)
				}
				if err := tx1.Commit(); err != nil {
					t.Fatalf("tx1 commit: %v", err)
				}
				err = tx2.Commit()
				assertRetryable(t, c.driver, err, dialect.ErrSerialization)
			})
		})
	}
}

func TestClassifySQLiteBusy(t *testing.T) {
	t.Parallel()
	tg, err := testkit.NewTarget(t, "sqlite")
	if err != nil {
		t.Fatalf("sqlite target: %v", err)
	}
	ctx := classifyCtx(t)
	holder := tg.Open(t)
	t.Cleanup(func() { _ = holder.Close() })
	execClassify(t, holder, `CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`)

	nowait := tg
	nowait.DSN = sqliteDSNWith(tg.DSN, "_busy_timeout=0")
	writer := nowait.Open(t)
	t.Cleanup(func() { _ = writer.Close() })

	lock, err := holder.Conn(ctx)
	if err != nil {
		t.Fatalf("conn: %v", err)
	}
	t.Cleanup(func() { _ = lock.Close() })
	if _, err := lock.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatalf("BEGIN IMMEDIATE: %v", err)
	}

	_, err = writer.ExecContext(ctx, `INSERT INTO item (name) VALUES ('x')`)
	assertRetryable(t, tg.Driver, err, dialect.ErrLockTimeout)
	if code, ok := sqliteResultCode(err); !ok || code != sqliteBusy {
		t.Errorf("result code = %d (%v), want SQLITE_BUSY (%d)", code, ok, sqliteBusy)
	}

	if _, err := lock.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatalf("ROLLBACK: %v", err)
	}
	// With the lock released the same write goes through.
	if _, err := writer.ExecContext(ctx, `INSERT INTO item (name) VALUES ('x')`); err != nil {
		t.Fatalf("insert after the lock was released: %v", err)
	}
}

func TestClassifyPassThrough(t *testing.T) {
	t.Parallel()
	plain := errors.New("plain")
	classified := &dialect.ConstraintError{Kind: dialect.ErrUniqueViolation, Code: "23505", Err: &pq.Error{Code: "23505"}}
	retryable := &dialect.RetryableError{Kind: dialect.ErrDeadlock, Code: "1213", Err: &mysql.MySQLError{Number: 1213}}
	cases := []struct {
		name string
		err  error
	}{
		{"nil", nil},
		{"plain", plain},
		{"wrapped_plain", fmt.Errorf("query: %w", plain)},
		{"no_rows", sql.ErrNoRows},
		{"canceled", context.Canceled},
		{"deadline_exceeded", context.DeadlineExceeded},
		{"wrapped_canceled", fmt.Errorf("exec: %w", context.Canceled)},
		{"canceled_with_driver_error", errors.Join(context.Canceled, &pq.Error{Code: "40001"})},
		{"pq_unclassified_code", &pq.Error{Code: "42P01", Message: `relation "x" does not exist`}},
		{"pgx_unclassified_code", &pgconn.PgError{Code: "57014", Message: "canceling statement due to user request"}},
		{"mysql_unclassified_number", &mysql.MySQLError{Number: 1146, Message: "Table 'db.x' doesn't exist"}},
		{"constraint_error", classified},
		{"wrapped_constraint_error", fmt.Errorf("insert user: %w", classified)},
		{"retryable_error", retryable},
		{"wrapped_retryable_error", fmt.Errorf("tx: %w", retryable)},
	}
	for _, err := range mattnPassThrough() {
		cases = append(cases, struct {
			name string
			err  error
		}{fmt.Sprintf("sqlite3_%v", err), err})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := dialect.Classify(tc.err); got != tc.err {
				t.Fatalf("Classify(%v) = %#v, want it unchanged", tc.err, got)
			}
		})
	}
}

func TestClassifyIdempotent(t *testing.T) {
	t.Parallel()
	for _, orig := range append([]error{
		&pq.Error{Code: "23505", Constraint: "uq"},
		&pgconn.PgError{Code: "40P01"},
		&mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'a' for key 'uq'"},
	}, mattnBusy()...) {
		t.Run(fmt.Sprintf("%T", orig), func(t *testing.T) {
			once := dialect.Classify(orig)
			if once == orig {
				t.Fatalf("Classify(%v) returned it unchanged", orig)
			}
			if twice := dialect.Classify(once); twice != once {
				t.Fatalf("Classify twice = %v, want %v", twice, once)
			}
			wrapped := fmt.Errorf("outer: %w", once)
			if got := dialect.Classify(wrapped); got != wrapped {
				t.Fatalf("Classify(wrapped) = %v, want it unchanged", got)
			}
			// Exactly one layer: the classified error wraps the driver error.
			var inner error
			switch e := once.(type) {
			case *dialect.ConstraintError:
				inner = e.Err
			case *dialect.RetryableError:
				inner = e.Err
			default:
				t.Fatalf("Classify returned %T", once)
			}
			if inner != orig {
				t.Fatalf("classified error wraps %#v, want the driver error itself", inner)
			}
		})
	}
}

// TestClassifyDriverErrors checks the mapping of codes and the parsing of
// messages on hand-made driver errors, including MySQL 8 formats that the
// MariaDB server of the test matrix does not produce.
func TestClassifyDriverErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		kind error
		code string
		want classifiedNames // checked exactly, empty fields included
	}{
		// lib/pq
		{"pq/unique", &pq.Error{Code: "23505", Constraint: "uq_a", Table: "t"}, dialect.ErrUniqueViolation, "23505", classifiedNames{"uq_a", "t", ""}},
		{"pq/foreign_key", &pq.Error{Code: "23503", Constraint: "fk_a", Table: "t"}, dialect.ErrForeignKeyViolation, "23503", classifiedNames{"fk_a", "t", ""}},
		{"pq/not_null", &pq.Error{Code: "23502", Table: "t", Column: "c"}, dialect.ErrNotNullViolation, "23502", classifiedNames{"", "t", "c"}},
		{"pq/check", &pq.Error{Code: "23514", Constraint: "ck_a", Table: "t"}, dialect.ErrCheckViolation, "23514", classifiedNames{"ck_a", "t", ""}},
		{"pq/serialization", &pq.Error{Code: "40001"}, dialect.ErrSerialization, "40001", classifiedNames{}},
		{"pq/deadlock", &pq.Error{Code: "40P01"}, dialect.ErrDeadlock, "40P01", classifiedNames{}},
		{"pq/lock_not_available", &pq.Error{Code: "55P03"}, dialect.ErrLockTimeout, "55P03", classifiedNames{}},
		{"pq/wrapped", fmt.Errorf("insert: %w", &pq.Error{Code: "23505", Constraint: "uq_a"}), dialect.ErrUniqueViolation, "23505", classifiedNames{"uq_a", "", ""}},
		// pgx
		{"pgx/unique", &pgconn.PgError{Code: "23505", ConstraintName: "uq_a", TableName: "t"}, dialect.ErrUniqueViolation, "23505", classifiedNames{"uq_a", "t", ""}},
		{"pgx/foreign_key", &pgconn.PgError{Code: "23503", ConstraintName: "fk_a", TableName: "t"}, dialect.ErrForeignKeyViolation, "23503", classifiedNames{"fk_a", "t", ""}},
		{"pgx/not_null", &pgconn.PgError{Code: "23502", TableName: "t", ColumnName: "c"}, dialect.ErrNotNullViolation, "23502", classifiedNames{"", "t", "c"}},
		{"pgx/check", &pgconn.PgError{Code: "23514", ConstraintName: "ck_a", TableName: "t"}, dialect.ErrCheckViolation, "23514", classifiedNames{"ck_a", "t", ""}},
		{"pgx/serialization", &pgconn.PgError{Code: "40001"}, dialect.ErrSerialization, "40001", classifiedNames{}},
		{"pgx/deadlock", &pgconn.PgError{Code: "40P01"}, dialect.ErrDeadlock, "40P01", classifiedNames{}},
		{"pgx/lock_not_available", &pgconn.PgError{Code: "55P03"}, dialect.ErrLockTimeout, "55P03", classifiedNames{}},
		// MySQL and MariaDB
		{"mysql/duplicate_mariadb", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'a@x' for key 'uq_email'"},
			dialect.ErrUniqueViolation, "1062", classifiedNames{"uq_email", "", ""}},
		{"mysql/duplicate_mysql8", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'a@x' for key 'users.uq_email'"},
			dialect.ErrUniqueViolation, "1062", classifiedNames{"uq_email", "users", ""}},
		{"mysql/duplicate_value_looks_like_key", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'x' for key 'y' for key 'uq_name'"},
			dialect.ErrUniqueViolation, "1062", classifiedNames{"uq_name", "", ""}},
		{"mysql/duplicate_with_key_name", &mysql.MySQLError{Number: 1586, Message: "Duplicate entry '1' for key 'PRIMARY'"},
			dialect.ErrUniqueViolation, "1586", classifiedNames{"PRIMARY", "", ""}},
		{"mysql/no_referenced_row_2", &mysql.MySQLError{Number: 1452, Message: "Cannot add or update a child row: a foreign key constraint fails (`db`.`child`, CONSTRAINT `fk_child_parent` FOREIGN KEY (`parent_id`) REFERENCES `parent` (`id`))"},
			dialect.ErrForeignKeyViolation, "1452", classifiedNames{"fk_child_parent", "child", "parent_id"}},
		{"mysql/row_is_referenced_2", &mysql.MySQLError{Number: 1451, Message: "Cannot delete or update a parent row: a foreign key constraint fails (`db`.`child`, CONSTRAINT `fk_child_parent` FOREIGN KEY (`parent_id`) REFERENCES `parent` (`id`))"},
			dialect.ErrForeignKeyViolation, "1451", classifiedNames{"fk_child_parent", "child", "parent_id"}},
		{"mysql/foreign_key_composite_quoted", &mysql.MySQLError{Number: 1452, Message: "Cannot add or update a child row: a foreign key constraint fails (`db`.`we``ird`, CONSTRAINT `fk``x` FOREIGN KEY (`a`, `b`) REFERENCES `p` (`a`, `b`))"},
			dialect.ErrForeignKeyViolation, "1452", classifiedNames{"fk`x", "we`ird", ""}},
		{"mysql/no_referenced_row", &mysql.MySQLError{Number: 1216, Message: "Cannot add or update a child row: a foreign key constraint fails"},
			dialect.ErrForeignKeyViolation, "1216", classifiedNames{}},
		{"mysql/row_is_referenced", &mysql.MySQLError{Number: 1217, Message: "Cannot delete or update a parent row: a foreign key constraint fails"},
			dialect.ErrForeignKeyViolation, "1217", classifiedNames{}},
		{"mysql/bad_null", &mysql.MySQLError{Number: 1048, Message: "Column 'email' cannot be null"},
			dialect.ErrNotNullViolation, "1048", classifiedNames{"", "", "email"}},
		{"mysql/no_default", &mysql.MySQLError{Number: 1364, Message: "Field 'email' doesn't have a default value"},
			dialect.ErrNotNullViolation, "1364", classifiedNames{"", "", "email"}},
		{"mysql/check_mysql8", &mysql.MySQLError{Number: 3819, Message: "Check constraint 'ck_qty' is violated."},
			dialect.ErrCheckViolation, "3819", classifiedNames{"ck_qty", "", ""}},
		{"mysql/check_mariadb", &mysql.MySQLError{Number: 4025, Message: "CONSTRAINT `ck_qty` failed for `db`.`child`"},
			dialect.ErrCheckViolation, "4025", classifiedNames{"ck_qty", "child", ""}},
		{"mysql/check_mariadb_column_level", &mysql.MySQLError{Number: 4025, Message: "CONSTRAINT `child.qty` failed for `db`.`child`"},
			dialect.ErrCheckViolation, "4025", classifiedNames{"child.qty", "child", "qty"}},
		{"mysql/deadlock", &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"},
			dialect.ErrDeadlock, "1213", classifiedNames{}},
		{"mysql/lock_wait_timeout", &mysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded; try restarting transaction"},
			dialect.ErrLockTimeout, "1205", classifiedNames{}},
		{"tidb/write_conflict", &mysql.MySQLError{Number: 9007, Message: "Write conflict, txnStartTS=1, conflictStartTS=2, conflictCommitTS=3, key={tableID=1, handle=1} primary=... [try again later]"},
			dialect.ErrSerialization, "9007", classifiedNames{}},
	}
	for _, m := range mattnDriverErrors() {
		cases = append(cases, struct {
			name string
			err  error
			kind error
			code string
			want classifiedNames
		}{m.name, m.err, m.kind, m.code, classifiedNames{}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := dialect.Classify(tc.err)
			if !errors.Is(got, tc.kind) {
				t.Fatalf("Classify(%v) = %v, want errors.Is %v", tc.err, got, tc.kind)
			}
			if !errors.Is(got, tc.err) {
				t.Fatalf("Classify(%v) = %v no longer wraps the original", tc.err, got)
			}
			var code string
			var f classifiedNames
			switch e := got.(type) {
			case *dialect.ConstraintError:
				if dialect.IsRetryable(got) {
					t.Errorf("IsRetryable = true for %v", got)
				}
				code, f = e.Code, classifiedNames{e.Constraint, e.Table, e.Column}
			case *dialect.RetryableError:
				if !dialect.IsRetryable(got) {
					t.Errorf("IsRetryable = false for %v", got)
				}
				code = e.Code
			default:
				t.Fatalf("Classify(%v) = %T", tc.err, got)
			}
			if code != tc.code {
				t.Errorf("Code = %q, want %q", code, tc.code)
			}
			if f != tc.want {
				t.Errorf("fields = %+v, want %+v", f, tc.want)
			}
		})
	}
}

// sqliteBusy is SQLite's primary result code SQLITE_BUSY.
const sqliteBusy = 5

// sqliteResultCode returns the primary result code of the SQLite error in
// err's chain: modernc's here, mattn's through mattnResultCode.
func sqliteResultCode(err error) (int, bool) {
	var me *msqlite.Error
	if errors.As(err, &me) {
		return me.Code() & 0xff, true
	}
	return mattnResultCode(err)
}

// handMadeError is a driver error built by hand and what Classify makes of
// it (no message, so no names).
type handMadeError struct {
	name string
	err  error
	kind error
	code string
}
