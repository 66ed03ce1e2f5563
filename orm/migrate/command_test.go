package migrate_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata")

// Models of the command tests: a foreign-key cycle through nullable
// columns (a team's captain is a hero of the team), an index, a unique
// index.

type CmdTeam struct {
	ID        int64  `sqlmodel:"pk"`
	Name      string `sqlmodel:"size=50,unique"`
	CaptainID *int64 `sqlmodel:"fk=cmd_hero.id,ondelete=set null"`
}

type CmdHero struct {
	ID     int64  `sqlmodel:"pk"`
	Name   string `sqlmodel:"size=50,index"`
	TeamID *int64 `sqlmodel:"fk=cmd_team.id"`
	Age    *int
}

func cmdModels() []any { return []any{&CmdHero{}, &CmdTeam{}} }

// run runs the command line and returns its standard output and error.
func run(t *testing.T, models []any, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = migrate.Run(context.Background(), args, &out, &errOut, models...)
	t.Logf("migrate %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errOut.String())
	return out.String(), errOut.String(), err
}

// TestSchemaCommandGolden: schema -dialect D prints the same bytes on every
// run, those of testdata/schema_D.sql (go test -run TestSchemaCommandGolden
// -update rewrites them), tables before the tables referencing them, then
// the indexes, then the keys closing the cycle.
func TestSchemaCommandGolden(t *testing.T) {
	models := append(mgModels(), cmdModels()...)
	for _, d := range []string{"postgres", "mysql", "mariadb", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			first, _, err := run(t, models, "schema", "--dialect", d)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				again, _, err := run(t, models, "schema", "-dialect", d)
				if err != nil || again != first {
					t.Fatalf("a second run printed another schema (%v):\n%s\nfirst:\n%s", err, again, first)
				}
			}
			golden := filepath.Join("testdata", "schema_"+d+".sql")
			if *updateGolden {
				if err := os.WriteFile(golden, []byte(first), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if first != string(want) {
				t.Errorf("schema differs from %s:\n%s", golden, first)
			}
			checkSchemaOrder(t, first)
		})
	}
}

var (
	createRe     = regexp.MustCompile("^CREATE TABLE IF NOT EXISTS [\"`](\\w+)")
	referencesRe = regexp.MustCompile("REFERENCES [\"`](\\w+)")
)

// checkSchemaOrder: every CREATE TABLE comes after the tables its inline
// foreign keys reference, no CREATE TABLE follows an index or an ALTER, and
// only the cycle of cmd_team and cmd_hero (closed by a key added last
// where the dialect can add keys later, else inline) references a table
// created after.
func checkSchemaOrder(t *testing.T, out string) {
	created := map[string]bool{}
	late := false
	for _, stmt := range strings.Split(strings.TrimSuffix(out, ";\n"), ";\n") {
		m := createRe.FindStringSubmatch(stmt)
		if m == nil {
			late = true
			continue
		}
		if late {
			t.Errorf("CREATE TABLE %s after an index or a key", m[1])
		}
		for _, ref := range referencesRe.FindAllStringSubmatch(stmt, -1) {
			if !created[ref[1]] && ref[1] != m[1] && !(strings.HasPrefix(m[1], "cmd_") && strings.HasPrefix(ref[1], "cmd_")) {
				t.Errorf("%s references %s, not created before it", m[1], ref[1])
			}
		}
		created[m[1]] = true
	}
	if len(created) != 10 {
		t.Errorf("%d tables created, want 10 (6 models, 2 link tables, 2 cycle models)", len(created))
	}
}

// TestSchemaCommandCreatesTheModels: the statements of schema, run on an
// empty database, give it the models' shape: Plan then finds nothing.
func TestSchemaCommandCreatesTheModels(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		stmts, err := migrate.SchemaStatements(db.Dialect(), cmdModels()...)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := run(t, cmdModels(), "schema", "-dialect", db.Dialect().Name())
		if err != nil || out != strings.Join(stmts, ";\n")+";\n" {
			t.Fatalf("schema printed (%v):\n%s\nwant the statements of SchemaStatements:\n%q", err, out, stmts)
		}
		for _, s := range stmts {
			if _, err := db.SQL().ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		mustEmpty(t, db, cmdModels()...)
	})
}

// TestCommandVersionedWorkflow runs diff, generate, status, up, down through
// Run on each database, opened from -driver and -dsn.
func TestCommandVersionedWorkflow(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		dir := t.TempDir()
		conn := []string{"-driver", tg.Driver, "-dsn", tg.DSN}
		with := func(cmd string, args ...string) []string { return append(append([]string{cmd}, conn...), args...) }
		ms := cmdModels()

		out, _, err := run(t, ms, with("diff")...)
		if err != nil || !strings.Contains(out, " changes, 0 destructive\n-- create table cmd_") || strings.Count(out, "CREATE TABLE") != 2 {
			t.Fatalf("diff on an empty database (%v): want 2 CREATE TABLE, nothing destructive:\n%s", err, out)
		}
		if _, _, err := run(t, ms, with("diff", "-exit-code")...); !errors.Is(err, migrate.ErrPending) {
			t.Fatalf("diff -exit-code with changes: %v, want ErrPending", err)
		}
		out, _, err = run(t, ms, with("generate", "-dir", dir, "create_heroes")...)
		if err != nil || !strings.HasSuffix(strings.TrimSpace(out), "_create_heroes.sql") {
			t.Fatalf("generate (%v): %s", err, out)
		}
		file := filepath.Base(strings.TrimSpace(out))
		expectStatus(t, ms, with("status", "-dir", dir), file+"  pending  -")
		out, _, err = run(t, ms, with("up", "-dir", dir)...)
		if err != nil || out != "applied "+file+"\n" {
			t.Fatalf("up (%v): %q", err, out)
		}
		expectStatus(t, ms, with("status", "-dir", dir), file+"  applied  checksum ok")
		out, _, err = run(t, ms, with("diff", "-exit-code")...)
		if err != nil || !strings.Contains(out, "no changes") {
			t.Fatalf("diff -exit-code after up (%v): %s", err, out)
		}
		if out, _, err = run(t, ms, with("generate", "-dir", dir, "again")...); err != nil || !strings.Contains(out, "no changes") {
			t.Fatalf("generate with nothing to change (%v): %s", err, out)
		}
		if out, _, err = run(t, ms, with("up", "-dir", dir)...); err != nil || out != "nothing to apply\n" {
			t.Fatalf("up again (%v): %q", err, out)
		}
		out, _, err = run(t, ms, with("down", "-dir", dir)...)
		if err != nil || out != "reverted "+file+"\n" {
			t.Fatalf("down (%v): %q", err, out)
		}
		expectStatus(t, ms, with("status", "-dir", dir), file+"  pending  -")
		if _, _, err := run(t, ms, with("diff", "-exit-code")...); !errors.Is(err, migrate.ErrPending) {
			t.Fatalf("diff -exit-code after down: %v, want ErrPending", err)
		}
		if _, _, err := run(t, ms, with("up", "-dir", dir)...); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, append(mustRead(t, path), "\n-- edited\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		expectStatus(t, ms, with("status", "-dir", dir), file+"  applied  checksum changed")
	})
}

// TestCommandAutoThenDiff: after Auto, diff (connected through the
// environment variables) prints no statement and -exit-code succeeds.
func TestCommandAutoThenDiff(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		t.Setenv(migrate.EnvDSN, tg.DSN)
		t.Setenv(migrate.EnvDriver, tg.Driver)
		db := testkit.OpenORM(t, tg)
		if err := migrate.Auto(context.Background(), db, cmdModels()); err != nil {
			t.Fatal(err)
		}
		out, _, err := run(t, cmdModels(), "diff", "-exit-code")
		if err != nil || out != "-- no changes: the database has the models' shape\n" {
			t.Fatalf("diff after Auto (%v): %q", err, out)
		}
		out, _, err = run(t, []any{&CmdHero{}, &CmdTeam{}, &MgTeam{}}, "diff")
		if err != nil || !strings.Contains(out, "-- 1 changes, 0 destructive\n-- create table mg_team\nCREATE TABLE") {
			t.Fatalf("diff with one more model (%v):\n%s", err, out)
		}
		out, _, err = run(t, []any{&MgTeam{}}, "diff")
		if err != nil || !strings.Contains(out, "-- DESTRUCTIVE: drop table cmd_hero") || !strings.Contains(out, "DROP TABLE") {
			t.Fatalf("diff without the models of two tables (%v):\n%s", err, out)
		}
	})
}

func expectStatus(t *testing.T, models []any, args []string, want string) {
	t.Helper()
	out, _, err := run(t, models, args...)
	if err != nil || !regexp.MustCompile(`^\d{14}  `+regexp.QuoteMeta(want)+"\n$").MatchString(out) {
		t.Fatalf("status (%v): %q, want one line ending %q", err, out, want)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCommandUsage: command lines that cannot run are ErrUsage errors that
// name the problem, with the usage on stderr; help goes to stdout.
func TestCommandUsage(t *testing.T) {
	t.Setenv(migrate.EnvDSN, "")
	t.Setenv(migrate.EnvDriver, "")
	cases := []struct {
		args     []string
		err      string
		usageHas string
	}{
		{nil, "no command", "commands:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, "commands:"},
		{[]string{"generate"}, "generate: missing argument NAME", "usage: migrate generate"},
		{[]string{"generate", "a", "b"}, `generate: unexpected argument "b"`, "usage: migrate generate"},
		{[]string{"down", "x"}, `down: N is a positive number, not "x"`, "usage: migrate down"},
		{[]string{"down", "0"}, `down: N is a positive number, not "0"`, "usage: migrate down"},
		{[]string{"diff", "-nope"}, "diff: flag provided but not defined: -nope", "-exit-code"},
		{[]string{"diff"}, "diff: no database: give -dsn or set DATABASE_URL", ""},
		{[]string{"up", "-dsn", "x.db"}, "up: no driver: give -driver or set SQLMODEL_MIGRATE_DRIVER", ""},
		{[]string{"schema"}, "schema: -dialect is required", "postgres, mysql, mariadb or sqlite"},
		{[]string{"schema", "-dialect", "oracle"}, `schema: unknown dialect "oracle"`, "usage: migrate schema"},
		{[]string{"help", "nope"}, `help: unknown command "nope"`, "commands:"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		err := migrate.Run(context.Background(), c.args, &out, &errOut, cmdModels()...)
		if !errors.Is(err, migrate.ErrUsage) || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: %v, want ErrUsage with %q", c.args, err, c.err)
		}
		if !strings.Contains(errOut.String(), c.usageHas) || out.Len() != 0 {
			t.Errorf("%q: stderr %q, want %q in it; stdout %q, want none", c.args, errOut.String(), c.usageHas, out.String())
		}
	}
	for _, args := range [][]string{{"help"}, {"help", "up"}, {"diff", "-h"}} {
		var out, errOut bytes.Buffer
		err := migrate.Run(context.Background(), args, &out, &errOut)
		if err != nil {
			t.Errorf("%q: %v", args, err)
		}
		if all := out.String() + errOut.String(); !strings.Contains(all, "usage: migrate") {
			t.Errorf("%q: printed %q, want a usage", args, all)
		}
	}
	var out bytes.Buffer
	if err := migrate.Run(context.Background(), []string{"help", "status"}, &out, &out); err != nil || !strings.Contains(out.String(), "-dir string") {
		t.Errorf("help status (%v): %q, want the -dir flag", err, out.String())
	}
}

// TestMainExitStatus runs Main in a child process (this test binary, told
// by MIGRATE_TEST_MAIN to call Main) and checks its exit status and output.
func TestMainExitStatus(t *testing.T) {
	if args := os.Getenv("MIGRATE_TEST_MAIN"); args != "" {
		os.Args = append([]string{"migrate"}, strings.Fields(args)...)
		migrate.Main(cmdModels()...)
		return
	}
	cases := []struct {
		args   string
		status int
		stdout string
		stderr string
	}{
		{"schema -dialect sqlite", 0, `CREATE TABLE IF NOT EXISTS "cmd_hero"`, ""},
		{"frobnicate", 2, "", `migrate: orm/migrate: usage: unknown command "frobnicate"`},
		{"up -driver " + ormtest.SQLiteDriver() + " -dsn " + filepath.Join(t.TempDir(), "app.db") + " -dir " + filepath.Join(t.TempDir(), "none"), 1, "", "migrate: orm/migrate: open "},
	}
	for _, c := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMainExitStatus$")
		cmd.Env = append(os.Environ(), "MIGRATE_TEST_MAIN="+c.args)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		status := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			status = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if status != c.status || !strings.Contains(out.String(), c.stdout) || !strings.Contains(errOut.String(), c.stderr) {
			t.Errorf("migrate %s: exit status %d, stdout %q, stderr %q; want %d, %q, %q",
				c.args, status, out.String(), errOut.String(), c.status, c.stdout, c.stderr)
		}
	}
}
