package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite testdata/heroes.golden")

// TestHeroes runs the tutorial on every database and compares its output
// with the golden file: keys and values must be identical everywhere.
func TestHeroes(t *testing.T) {
	golden := filepath.Join("testdata", "heroes.golden")
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
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("output differs from %s:\n--- got\n%s\n--- want\n%s", golden, out.Bytes(), want)
		}
	})
}
