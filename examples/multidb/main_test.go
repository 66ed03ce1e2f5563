package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite testdata/multidb.golden")

// TestMultiDB copies from SQLite to each database (SQLite to SQLite is the
// no-argument default) and compares the output after the line naming the
// databases with the golden file: the copy, the separate identity maps
// and the equal rows are the same whatever the target.
func TestMultiDB(t *testing.T) {
	golden := filepath.Join("testdata", "multidb.golden")
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		source := "file:" + filepath.Join(t.TempDir(), "source.db")
		var out bytes.Buffer
		if err := run(context.Background(), &out, source, tg.DSN); err != nil {
			t.Fatal(err)
		}
		head, body, ok := strings.Cut(out.String(), "\n== ")
		if !ok {
			t.Fatalf("no steps in the output:\n%s", out.String())
		}
		if want := "source: sqlite, target: " + tg.Dialect; !strings.HasSuffix(head, want) {
			t.Errorf("header %q, want it to end with %q", head, want)
		}
		body = "== " + body
		if *update && tg.Dialect == "sqlite" {
			if err := os.WriteFile(golden, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if body != string(want) {
			t.Fatalf("output differs from %s\n--- got\n%s\n--- want\n%s", golden, body, want)
		}
		for _, s := range []string{"same pointer: false", "rows equal on both databases: true", "source: Rusty-Man age 48"} {
			if !strings.Contains(body, s) {
				t.Errorf("output lacks %q", s)
			}
		}
	})
}

// TestMultiDBDefault runs the example as `go run` does with no arguments:
// two SQLite files, and a line saying so.
func TestMultiDBDefault(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, "", ""); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"no target DSN given", "source: sqlite, target: sqlite", "rows equal on both databases: true"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
}
