package benchdb

import (
	"strings"
	"testing"
)

// Every target of Matrix runs with the benchmarks' settings, in a schema of
// its own named sqlmb_..., through the driver its name says.
func TestTargetSettings(t *testing.T) {
	want := map[string]struct{ driver, show, value string }{
		"pgx":   {"pgx", `SHOW synchronous_commit`, "off"},
		"pq":    {"postgres", `SHOW synchronous_commit`, "off"},
		"mysql": {"mysql", `SELECT DATABASE()`, ""}, // "": the target's own

		"sqlite": {"sqlite3", `PRAGMA synchronous`, "1"}, // NORMAL (also go-sqlite3's default)
	}
	for _, name := range Matrix {
		t.Run(name, func(t *testing.T) {
			tg, err := NewTarget(t, name)
			if err != nil {
				t.Skipf("%s unavailable: %v", name, err)
			}
			w := want[name]
			if tg.Name != name || tg.Driver != w.driver {
				t.Errorf("Name %q, Driver %q; want %q, %q", tg.Name, tg.Driver, name, w.driver)
			}
			if tg.Dialect != "sqlite" && !strings.HasPrefix(tg.Schema, "sqlmb_") {
				t.Errorf("schema %q, want sqlmb_...", tg.Schema)
			}
			db := tg.OpenORM(t).SQL()
			var got string
			if err := db.QueryRow(w.show).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if w.value == "" {
				w.value = tg.Schema
			}
			if got != w.value {
				t.Errorf("%s = %q, want %q", w.show, got, w.value)
			}
			if tg.Dialect == "sqlite" {
				if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&got); err != nil || got != "wal" {
					t.Errorf("journal_mode = %q (%v), want wal", got, err)
				}
			}
		})
	}
}
