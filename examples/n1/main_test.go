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

var update = flag.Bool("update", false, "rewrite testdata/n1.golden")

// TestN1 runs the example on every database and compares its output with
// the golden file: the warning and the statement counts are the same
// everywhere.
func TestN1(t *testing.T) {
	golden := filepath.Join("testdata", "n1.golden")
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		var out bytes.Buffer
		if err := run(context.Background(), &out, tg.DSN); err != nil {
			t.Fatal(err)
		}
		if *update && tg.Dialect == "sqlite" {
			if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if got != string(want) {
			t.Fatalf("output differs from %s\n--- got\n%s\n--- want\n%s", golden, got, want)
		}
		// The golden file itself must show the point of the example.
		for _, s := range []string{"possible N+1 query", "statements: 6 for 10 heroes", "statements: 2 for 10 heroes"} {
			if !strings.Contains(got, s) {
				t.Errorf("output lacks %q", s)
			}
		}
		if n := strings.Count(got, "level=WARN"); n != 1 {
			t.Errorf("%d warnings, want exactly 1 (the naive loop's)", n)
		}
	})
}
