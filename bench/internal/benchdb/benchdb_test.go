package benchdb

import (
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// Every target of Matrix runs with the benchmarks' settings, in a schema of
// its own named sqlmb_..., through the driver its name says.
func TestTargetSettings(t *testing.T) {
	want := map[string]struct{ driver, show, value string }{
		"pgx":   {"pgx", `SHOW synchronous_commit`, "off"},
		"pq":    {"postgres", `SHOW synchronous_commit`, "off"},
		"mysql": {"mysql", `SELECT DATABASE()`, ""}, // "": the target's own

		"sqlite":    {ormtest.SQLiteDriver(), `PRAGMA synchronous`, "1"}, // NORMAL (also go-sqlite3's default)
		"sqlite-go": {"sqlite", `PRAGMA synchronous`, "1"},
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

// Bun's pool on pgx prepares nothing: after reads of distinct keys (as Bun
// sends them, values in the text) and one with an argument, its connection
// holds no prepared statement, where the shared pool's holds one per text.
func TestOpenSimpleProtocol(t *testing.T) {
	tg, err := NewTarget(t, "pgx")
	if err != nil {
		t.Skipf("pgx unavailable: %v", err)
	}
	count := func(db *sql.DB) int {
		conn, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for i := range 3 {
			var n int
			if err := conn.QueryRowContext(t.Context(), "SELECT "+strconv.Itoa(i)).Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := conn.QueryRowContext(t.Context(), "SELECT count(*) FROM pg_prepared_statements WHERE $1 > 0", 1).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	simple, err := tg.OpenSimpleProtocol(t)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(simple); n != 0 {
		t.Errorf("simple-protocol pool: %d prepared statements, want 0", n)
	}
	if n := count(tg.Open(t)); n < 3 {
		t.Errorf("shared (default) pool: %d prepared statements, want at least 3", n)
	}
	var path string
	if err := simple.QueryRow("SHOW search_path").Scan(&path); err != nil || path != tg.Schema {
		t.Errorf("search_path %q (%v), want %q", path, err, tg.Schema)
	}
}
