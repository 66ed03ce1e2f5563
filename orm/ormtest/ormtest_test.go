package ormtest_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// otHero is the model of the tests.
type otHero struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func (otHero) TableName() string { return "ot_hero" }

// catalog answers questions about a server from a connection to it.
type catalog struct {
	dialect string
	db      *sql.DB
}

// schemaExists reports whether the server still has the schema or database
// of a target (for SQLite: whether its file exists).
func (c catalog) schemaExists(t *testing.T, tg ormtest.Target) bool {
	t.Helper()
	var q string
	switch c.dialect {
	case "postgres":
		q = `SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1`
	case "mysql":
		q = `SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?`
	default:
		_, err := os.Stat(tg.Schema)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		return err == nil
	}
	return c.count(t, q, tg.Schema) > 0
}

// tableIn reports whether the table exists in the target's schema or
// database, read from the server's catalog (for SQLite: from the file).
func (c catalog) tableIn(t *testing.T, tg ormtest.Target, table string) bool {
	t.Helper()
	switch c.dialect {
	case "postgres":
		return c.count(t, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = $1 AND tablename = $2`, tg.Schema, table) > 0
	case "mysql":
		return c.count(t, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?`, tg.Schema, table) > 0
	}
	db, err := sql.Open(tg.Driver, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return catalog{db: db}.count(t, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table) > 0
}

func (c catalog) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := c.db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// observe returns a catalog of the dialect's server, through a target of
// its own.
func observe(t *testing.T, dialect string) catalog {
	t.Helper()
	return catalog{dialect: dialect, db: ormtest.Must(t, dialect).Open(t)}
}

// currentSchema asks the connection which schema or database it works in.
func currentSchema(t *testing.T, db *sql.DB, dialect string) string {
	t.Helper()
	q := map[string]string{
		"postgres": `SELECT current_schema()`,
		"mysql":    `SELECT DATABASE()`,
		"sqlite":   `SELECT file FROM pragma_database_list WHERE name = 'main'`,
	}[dialect]
	var s string
	if err := db.QueryRow(q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

// eachDialect runs fn as a parallel subtest per dialect, in a parallel test.
func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Parallel()
	for _, d := range ormtest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// Two tests of one dialect work in different schemas: a table one creates
// does not exist for the other, and lands in the creator's own schema.
func TestIsolation(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		a := ormtest.Must(t, d)
		pa := a.Open(t)
		if got := currentSchema(t, pa, d); got != a.Schema {
			t.Fatalf("the target's connection works in %q, want its own %q", got, a.Schema)
		}
		if _, err := pa.Exec(`CREATE TABLE ot_probe (id INT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		if _, err := pa.Exec(`INSERT INTO ot_probe (id) VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		t.Run("other", func(t *testing.T) {
			b := ormtest.Must(t, d)
			if b.Schema == a.Schema || b.DSN == a.DSN {
				t.Fatalf("two tests share %q (%s)", a.Schema, a.DSN)
			}
			pb := b.Open(t)
			if got := currentSchema(t, pb, d); got != b.Schema {
				t.Fatalf("the other target's connection works in %q, want %q", got, b.Schema)
			}
			var n int
			if err := pb.QueryRow(`SELECT COUNT(*) FROM ot_probe`).Scan(&n); err == nil {
				t.Fatalf("the other test sees the first one's table (%d rows)", n)
			}
			cat := catalog{dialect: d, db: pb}
			if !cat.tableIn(t, a, "ot_probe") {
				t.Errorf("ot_probe is not in the first test's schema %s", a.Schema)
			}
			if cat.tableIn(t, b, "ot_probe") {
				t.Errorf("ot_probe is in the other test's schema %s", b.Schema)
			}
		})
	})
}

// The schema or database is gone once the test that made it has ended, even
// with tables in it and a pool still open on it.
func TestCleanupDrops(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		cat := observe(t, d)
		var inner ormtest.Target
		t.Run("inner", func(t *testing.T) {
			inner = ormtest.Must(t, d)
			db := inner.OpenORM(t)
			if err := db.CreateAll(context.Background(), &otHero{}); err != nil {
				t.Fatal(err)
			}
			_ = inner.Open(t) // closed by its cleanup, before the drop
			if !cat.schemaExists(t, inner) || !cat.tableIn(t, inner, "ot_hero") {
				t.Fatalf("%s or its table ot_hero not found while the test runs", inner.Schema)
			}
		})
		if inner.Schema == "" {
			t.Fatal("the inner test made no target")
		}
		if cat.schemaExists(t, inner) {
			t.Errorf("%s still exists after its test ended", inner.Schema)
		}
	})
}

// Provision works without a testing.TB; its drop removes what it made.
func TestProvision(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		cat := observe(t, d)
		tg, drop, err := ormtest.Provision(context.Background(), d)
		if err != nil {
			ormtest.Unavailable(t, d, err)
		}
		dropped := false
		t.Cleanup(func() {
			if !dropped {
				_ = drop()
			}
		})
		if !cat.schemaExists(t, tg) {
			t.Fatalf("%s not found after Provision", tg.Schema)
		}
		dropped = true
		if err := drop(); err != nil {
			t.Fatalf("drop: %v", err)
		}
		if cat.schemaExists(t, tg) {
			t.Errorf("%s still exists after drop", tg.Schema)
		}
		if d == "sqlite" {
			if _, err := os.Stat(path.Dir(tg.Schema)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the directory of %s is still there: %v", tg.Schema, err)
			}
		}
	})
}

// Each runs one subtest per dialect, named after it, with a DB of that
// dialect on a schema of its own.
func TestEach(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var ran []string
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		d := path.Base(t.Name())
		mu.Lock()
		ran = append(ran, d)
		mu.Unlock()
		if got := db.Dialect().Name(); got != d && !(d == "mysql" && got == "mariadb") {
			t.Errorf("subtest %s got a %s DB", d, got)
		}
		if d != "sqlite" {
			if s := currentSchema(t, db.SQL(), d); !strings.HasPrefix(s, ormtest.DefaultPrefix) {
				t.Errorf("the DB works in %q, not in a schema of the test's own", s)
			}
		}
		ctx := context.Background()
		if err := db.CreateAll(ctx, &otHero{}); err != nil {
			t.Fatal(err)
		}
		s := orm.NewSession(db)
		defer s.Close()
		if err := s.Add(&otHero{Name: "Deadpond"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	})
	// In the order of Dialects, once each, the required ones at least (the
	// others may have skipped).
	var want []string
	for _, d := range ormtest.Dialects() {
		if slices.Contains(ran, d) || ormtest.Required(d) {
			want = append(want, d)
		}
	}
	if !slices.Equal(ran, want) {
		t.Errorf("Each ran %v, want %v", ran, want)
	}
}

// The options reach the DSN: parameters are in effect on the connection,
// the prefix names the schema, the driver is the one asked for.
func TestTargetOptions(t *testing.T) {
	cases := map[string]struct {
		key, value, show, want string
	}{
		"postgres": {"synchronous_commit", "off", `SHOW synchronous_commit`, "off"},
		"mysql":    {"wait_timeout", "1234", `SELECT @@SESSION.wait_timeout`, "1234"},
		"sqlite":   {"_journal_mode", "WAL", `PRAGMA journal_mode`, "wal"},
	}
	eachDialect(t, func(t *testing.T, d string) {
		c := cases[d]
		tg := ormtest.Must(t, d, ormtest.WithParam(c.key, c.value), ormtest.WithPrefix("ottest_"))
		if d != "sqlite" && !strings.HasPrefix(tg.Schema, "ottest_") {
			t.Errorf("schema %q does not start with the prefix", tg.Schema)
		}
		db := tg.Open(t)
		var got string
		if err := db.QueryRow(c.show).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s = %q, want %q (DSN %s)", c.show, got, c.want, tg.DSN)
		}
		if s := currentSchema(t, db, d); s != tg.Schema {
			t.Errorf("the connection works in %q, want %q", s, tg.Schema)
		}
	})
	t.Run("lib/pq", func(t *testing.T) {
		t.Parallel()
		tg := ormtest.Must(t, "postgres", ormtest.WithDriver("postgres"))
		if tg.Driver != "postgres" {
			t.Fatalf("Driver = %q, want postgres", tg.Driver)
		}
		db := tg.OpenORM(t)
		if s := currentSchema(t, db.SQL(), "postgres"); s != tg.Schema {
			t.Errorf("the connection works in %q, want %q", s, tg.Schema)
		}
	})
}

// A PostgreSQL DSN in key=value form gets its search_path too.
func TestPostgresKeyValueDSN(t *testing.T) {
	probe := ormtest.Must(t, "postgres") // skips like the rest when there is no server
	dsn := cmpOr(os.Getenv(ormtest.EnvPostgresDSN), ormtest.DefaultPostgresDSN)
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		kv := fmt.Sprintf("host=%s port=%s dbname=%s user=%s", u.Hostname(), cmpOr(u.Port(), "5432"), strings.TrimPrefix(u.Path, "/"), u.User.Username())
		if pw, ok := u.User.Password(); ok {
			kv += " password='" + pw + "'"
		}
		for k, v := range u.Query() {
			kv += " " + k + "=" + v[0]
		}
		dsn = kv
	}
	t.Setenv(ormtest.EnvPostgresDSN, dsn)
	tg := ormtest.Must(t, "postgres", ormtest.WithParam("application_name", "ormtest kv"))
	if !strings.Contains(tg.DSN, "search_path=") || strings.Contains(tg.DSN, "://") {
		t.Fatalf("DSN %q is not the key=value form with a search_path", tg.DSN)
	}
	db := tg.Open(t)
	if s := currentSchema(t, db, "postgres"); s != tg.Schema || s == probe.Schema {
		t.Errorf("the connection works in %q, want %q", s, tg.Schema)
	}
	var app string
	if err := db.QueryRow(`SHOW application_name`).Scan(&app); err != nil || app != "ormtest kv" {
		t.Errorf("application_name = %q (%v), want the quoted value with its space", app, err)
	}
}

func cmpOr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// fakeTB records what a test helper does to its test: failures, skips,
// cleanups. Fatal and Skip end the goroutine of run, as they do in a test.
type fakeTB struct {
	testing.TB // the real test, for Context, TempDir and Name
	mu         sync.Mutex
	cleanups   []func()
	failed     bool
	skipped    bool
	log        []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *fakeTB) note(failed, skipped bool, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = f.failed || failed
	f.skipped = f.skipped || skipped
	f.log = append(f.log, msg)
}

func (f *fakeTB) Log(args ...any)                 { f.note(false, false, fmt.Sprint(args...)) }
func (f *fakeTB) Logf(format string, args ...any) { f.note(false, false, fmt.Sprintf(format, args...)) }
func (f *fakeTB) Error(args ...any)               { f.note(true, false, fmt.Sprint(args...)) }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.note(true, false, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fail()    { f.note(true, false, "Fail") }
func (f *fakeTB) FailNow() { f.note(true, false, "FailNow"); runtime.Goexit() }
func (f *fakeTB) Fatal(args ...any) {
	f.note(true, false, fmt.Sprint(args...))
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.note(true, false, fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (f *fakeTB) Skip(args ...any) { f.note(false, true, fmt.Sprint(args...)); runtime.Goexit() }
func (f *fakeTB) Skipf(format string, args ...any) {
	f.note(false, true, fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (f *fakeTB) SkipNow()      { f.note(false, true, "SkipNow"); runtime.Goexit() }
func (f *fakeTB) Failed() bool  { f.mu.Lock(); defer f.mu.Unlock(); return f.failed }
func (f *fakeTB) Skipped() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.skipped }

// run calls fn with the fake in a goroutine of its own, then the cleanups,
// and returns the fake to inspect.
func runFake(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return f
}

func (f *fakeTB) String() string { return strings.Join(f.log, "\n") }

// Unreachable servers: skipped with the reason and the variable to set, or a
// failure when SQLMODEL_REQUIRE_DIALECTS names them. No server listens on
// port 1, so the connections are refused at once.
func TestRequired(t *testing.T) {
	t.Setenv(ormtest.EnvPostgresDSN, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5")
	t.Setenv(ormtest.EnvMySQLDSN, "root@tcp(127.0.0.1:1)/?timeout=5s")
	envOf := map[string]string{"postgres": ormtest.EnvPostgresDSN, "mysql": ormtest.EnvMySQLDSN}
	for _, d := range []string{"postgres", "mysql"} {
		t.Run(d, func(t *testing.T) {
			t.Setenv(ormtest.EnvRequire, "")
			if _, err := ormtest.NewTarget(t, d); !errors.Is(err, ormtest.ErrUnavailable) {
				t.Errorf("NewTarget on a closed port: %v, want ErrUnavailable", err)
			}
			reached := false
			f := runFake(t, func(tb testing.TB) {
				ormtest.Open(tb, d)
				reached = true
			})
			if !f.Skipped() || f.Failed() || reached {
				t.Errorf("not required: skipped=%v failed=%v went on=%v, want a skip:\n%s", f.Skipped(), f.Failed(), reached, f)
			}
			for _, want := range []string{envOf[d], ormtest.EnvRequire, "unreachable"} {
				if !strings.Contains(f.String(), want) {
					t.Errorf("the skip message does not say %q:\n%s", want, f)
				}
			}

			t.Setenv(ormtest.EnvRequire, "sqlite, "+d)
			f = runFake(t, func(tb testing.TB) {
				ormtest.Open(tb, d)
				reached = true
			})
			if !f.Failed() || f.Skipped() || reached {
				t.Errorf("required: skipped=%v failed=%v went on=%v, want a failure:\n%s", f.Skipped(), f.Failed(), reached, f)
			}
			if !strings.Contains(f.String(), envOf[d]) {
				t.Errorf("the failure does not say %q:\n%s", envOf[d], f)
			}
		})
	}
	t.Run("list", func(t *testing.T) {
		t.Setenv(ormtest.EnvRequire, " postgres ,mysql,pg-replica")
		for d, want := range map[string]bool{"postgres": true, "mysql": true, "pg-replica": true, "sqlite": false, "my": false, "": false} {
			if got := ormtest.Required(d); got != want {
				t.Errorf("Required(%q) = %v, want %v", d, got, want)
			}
		}
	})
	t.Run("unknown dialect", func(t *testing.T) {
		t.Setenv(ormtest.EnvRequire, "")
		f := runFake(t, func(tb testing.TB) { ormtest.Open(tb, "postgress") })
		if !f.Failed() || !strings.Contains(f.String(), "unknown dialect") {
			t.Errorf("a misspelt dialect does not fail:\n%s", f)
		}
	})
}

// A connection still in use when the test ends fails it, and the database is
// dropped all the same.
func TestOpenORMLeak(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		cat := observe(t, d)
		var tg ormtest.Target
		var leaked *sql.Conn
		f := runFake(t, func(tb testing.TB) {
			tg = ormtest.Must(tb, d)
			db := tg.OpenORM(tb)
			var err error
			if leaked, err = db.SQL().Conn(context.Background()); err != nil {
				tb.Fatal(err)
			}
		})
		if leaked != nil {
			_ = leaked.Close()
		}
		if !f.Failed() || !strings.Contains(f.String(), "still in use") {
			t.Errorf("a leaked connection went unnoticed:\n%s", f)
		}
		// (The SQLite directory belongs to the real test: TempDir.)
		if tg.Schema == "" || d != "sqlite" && cat.schemaExists(t, tg) {
			t.Errorf("%q not dropped after the leak", tg.Schema)
		}
	})
}

// The recorder keeps the statements of its DB, transaction control apart,
// and not those of the DB it was made from.
func TestRecorder(t *testing.T) {
	t.Parallel()
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		rdb, rec := ormtest.Record(db)
		if err := rdb.CreateAll(ctx, &otHero{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(rec.SQL(), "\n"), "CREATE TABLE") {
			t.Fatalf("CREATE TABLE not recorded:\n%s", rec.Dump())
		}
		rec.Reset()
		if rec.Count() != 0 || len(rec.Events()) != 0 {
			t.Fatalf("Reset left %d events", rec.Count())
		}
		err := orm.RunInTx(ctx, rdb, func(s *orm.Session) error {
			return s.AddAll(&otHero{Name: "Deadpond"}, &otHero{Name: "Rusty-Man"})
		})
		if err != nil {
			t.Fatal(err)
		}
		sqls := rec.SQL()
		if len(sqls) == 0 || !strings.HasPrefix(sqls[0], "INSERT INTO") || !strings.Contains(sqls[0], "ot_hero") {
			t.Errorf("SQL() = %q, want the INSERT", sqls)
		}
		ev := rec.Events()
		var control, stmts []string
		for _, e := range ev {
			if e.Op == "exec" || e.Op == "query" {
				stmts = append(stmts, e.Query)
			} else {
				control = append(control, e.Op)
			}
		}
		if len(ev) < 3 || ev[0].Op != "begin" || ev[len(ev)-1].Op != "commit" || !slices.Equal(stmts, sqls) || len(control) < 2 {
			t.Errorf("events are not begin, the statements of SQL() %q and other transaction control, commit:\n%s", sqls, rec.Dump())
		}
		if len(rec.Statements()) != rec.Count() || rec.Count() != len(ev) || !strings.Contains(rec.Dump(), "begin: ") {
			t.Errorf("Statements/Count/Dump disagree with the events:\n%s", rec.Dump())
		}
		var args []any
		for _, e := range ev {
			args = append(args, e.Args...)
		}
		if !slices.Contains(args, any("Deadpond")) || !slices.Contains(args, any("Rusty-Man")) {
			t.Errorf("args %v miss the names", args)
		}

		n := rec.Count()
		plain := orm.NewSession(db)
		defer plain.Close()
		if _, err := orm.Select[otHero](plain).All(ctx); err != nil {
			t.Fatal(err)
		}
		if rec.Count() != n {
			t.Errorf("the original DB's statements were recorded:\n%s", rec.Dump())
		}
	})
}
