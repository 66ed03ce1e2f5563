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
		if diff := firstDiff(out.String(), string(want)); diff != "" {
			t.Fatalf("output differs from %s: %s\n--- got\n%s", golden, diff, out.Bytes())
		}
	})
}

// TestDriverFor pins the driver guessed from each DSN form the command
// documents.
func TestDriverFor(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/test?sslmode=disable": "pgx",
		"host=127.0.0.1 user=postgres":                            "pgx",
		"root@tcp(127.0.0.1:3306)/test":                           "mysql",
		"file:/tmp/heroes.db":                                     sqliteDriver,
	} {
		if got := driverFor(dsn); got != want {
			t.Errorf("driverFor(%q) = %q, want %q", dsn, got, want)
		}
	}
}

// firstDiff describes the first line where got and want differ, or
// returns "" when they are equal.
func firstDiff(got, want string) string {
	if got == want {
		return ""
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + itoa(i+1) + ":\n  got:  " + gl + "\n  want: " + wl
		}
	}
	return "trailing difference"
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}
