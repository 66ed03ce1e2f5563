package migrate_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

// The environment of TestHelperProcess: which database to open and which
// directory of migration files to apply.
const (
	envHelper = "SQLMODEL_MIGRATE_HELPER"
	envDriver = "SQLMODEL_MIGRATE_DRIVER"
	envDSN    = "SQLMODEL_MIGRATE_DSN"
	envDir    = "SQLMODEL_MIGRATE_DIR"
	// appliedPrefix starts the line on which the helper reports the files
	// its Up applied.
	appliedPrefix = "sqlmodel-migrate-applied:"
)

// TestHelperProcess is not a test of its own: the process tests run the
// test binary again with -test.run=^TestHelperProcess$ and the variables
// above, and this function, in that child process, runs Up once and prints
// the files it applied.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("the child process of TestTwoProcessesUp and TestKilledHolderLeavesNoLock")
	}
	db, err := orm.Open(os.Getenv(envDriver), os.Getenv(envDSN))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	applied, err := migrate.Up(context.Background(), db, os.DirFS(os.Getenv(envDir)))
	if err != nil {
		t.Fatalf("child Up: %v", err)
	}
	os.Stdout.WriteString(appliedPrefix + strings.Join(applied, ",") + "\n")
}

// child is a running TestHelperProcess.
type child struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

// startChild starts a process running Up on tg with the files of dir. The
// process is killed and reaped when the test ends, whatever happened.
func startChild(t *testing.T, tg testkit.Target, dir string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")}
	c.cmd.Env = append(os.Environ(), envHelper+"=1", envDriver+"="+tg.Driver, envDSN+"="+tg.DSN, envDir+"="+dir)
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
	})
	return c
}

// wait waits for the child and returns the files its Up applied.
func (c *child) wait(t *testing.T) []string {
	t.Helper()
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("child process: %v\n%s", err, c.out.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(c.out.Bytes()))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), appliedPrefix); ok {
			if rest == "" {
				return nil
			}
			return strings.Split(rest, ",")
		}
	}
	t.Fatalf("child process printed no %s line:\n%s", appliedPrefix, c.out.String())
	return nil
}

// writeFiles writes the migration files (name to Up statements) to dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, up := range files {
		text := "-- +goose Up\n" + up + "\n-- +goose Down\nSELECT 1;\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// count returns the single integer a query answers.
func count(t *testing.T, db *orm.DB, query string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// mustAllApplied checks that the version table records each of files once
// and complete.
func mustAllApplied(t *testing.T, db *orm.DB, files []string) {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + db.Dialect().Quote(migrate.VersionTable)
	if n := count(t, db, q); n != len(files) {
		t.Errorf("%s has %d rows, want %d", migrate.VersionTable, n, len(files))
	}
	if n := count(t, db, q+" WHERE done = total"); n != len(files) {
		t.Errorf("%s: %d complete files, want %d", migrate.VersionTable, n, len(files))
	}
}

// Two processes running Up at once against one database apply each file
// once: the version table has one complete row per file, each file's
// INSERT ran once, and the files the two processes report applied are,
// together, each file exactly once.
func TestTwoProcessesUp(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		db := testkit.OpenORM(t, tg)
		dir := t.TempDir()
		files := map[string]string{"1_log.sql": "CREATE TABLE pr_log (n INTEGER NOT NULL);"}
		for i := 2; i <= 8; i++ {
			n := string(rune('0' + i))
			files[n+"_insert.sql"] = "INSERT INTO pr_log (n) VALUES (" + n + ");\nINSERT INTO pr_log (n) VALUES (1" + n + ");"
		}
		writeFiles(t, dir, files)
		a, b := startChild(t, tg, dir), startChild(t, tg, dir)
		got := append(a.wait(t), b.wait(t)...)
		sort.Strings(got)
		want := make([]string, 0, len(files))
		for name := range files {
			want = append(want, name)
		}
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("files applied by the two processes together: %v, want each of %v once", got, want)
		}
		mustAllApplied(t, db, want)
		if n, d := count(t, db, "SELECT COUNT(*) FROM pr_log"), count(t, db, "SELECT COUNT(DISTINCT n) FROM pr_log"); n != 14 || d != 14 {
			t.Errorf("pr_log: %d rows, %d distinct, want 14 of each (two INSERTs per file, each once)", n, d)
		}
	})
}

// slowStatement is a statement that runs for pr_slow.n seconds (SQLite,
// which has no sleep function: counts to pr_slow.n).
var slowStatement = map[string]string{
	"postgres": "SELECT pg_sleep(n) FROM pr_slow",
	"mysql":    "SELECT SLEEP(n) FROM pr_slow",
	"sqlite":   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT n FROM pr_slow)) SELECT COUNT(*) FROM c",
}

// A process killed (SIGKILL) while it holds the migration lock, in the
// middle of a file's statement, leaves no lock behind: the next Up
// acquires it at once, finishes well before the killed statement would
// have, and applies the interrupted file exactly once.
func TestKilledHolderLeavesNoLock(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := context.Background()
		db := testkit.OpenORM(t, tg)
		slow := "30"
		if tg.Dialect == "sqlite" {
			slow = "2000000000"
		}
		for _, s := range []string{"CREATE TABLE pr_slow (n BIGINT NOT NULL)", "INSERT INTO pr_slow (n) VALUES (" + slow + ")"} {
			if _, err := db.SQL().ExecContext(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{
			"1_log.sql":  "CREATE TABLE pr_log (n INTEGER NOT NULL);",
			"2_slow.sql": slowStatement[tg.Dialect] + ";\nINSERT INTO pr_log (n) VALUES (2);",
		})
		c := startChild(t, tg, dir)
		waitHolding(t, db, dir, c)
		if err := c.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = c.cmd.Wait() // killed: the error says so
		if _, err := db.SQL().ExecContext(ctx, "UPDATE pr_slow SET n = 0"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		limited, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		applied, err := migrate.Up(limited, db, os.DirFS(dir))
		if err != nil || !slices.Equal(applied, []string{"2_slow.sql"}) {
			t.Fatalf("Up after the holder was killed: %v %v, want [2_slow.sql]", applied, err)
		}
		el := time.Since(start)
		t.Logf("Up after the kill took %v", el)
		if el > 10*time.Second {
			t.Errorf("Up after the holder was killed took %v: the lock outlived its holder", el)
		}
		mustAllApplied(t, db, []string{"1_log.sql", "2_slow.sql"})
		if n := count(t, db, "SELECT COUNT(*) FROM pr_log"); n != 1 {
			t.Errorf("pr_log: %d rows, want the INSERT of 2_slow.sql once", n)
		}
	})
}

// waitHolding waits until the child applied 1_log.sql and is in the slow
// statement of 2_slow.sql, holding the lock: an Up of this process then
// waits for the lock until its context ends.
func waitHolding(t *testing.T, db *orm.DB, dir string, c *child) {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + db.Dialect().Quote(migrate.VersionTable) + " WHERE version = 1 AND done = total"
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		err := db.SQL().QueryRowContext(context.Background(), q).Scan(&n)
		if err == nil && n == 1 {
			break
		}
		if c.cmd.ProcessState != nil || time.Now().After(deadline) {
			t.Fatalf("the child did not apply 1_log.sql: %v\n%s", err, c.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // into 2_slow.sql's statement
	short, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := migrate.Up(short, db, os.DirFS(dir))
	t.Logf("Up while the child holds the lock: %v after %v", err, time.Since(start))
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, orm.ErrLockTimeout) && !orm.IsRetryable(err) {
		t.Fatalf("Up while the child holds the lock: %v, want it to wait", err)
	}
}
