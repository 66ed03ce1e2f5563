package driver_test

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/driver/mysql"
	"github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite"

	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pq"
	"github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3"
)

// TestRegistered: every driver package registers its names with the
// dialect, the pool name and dialect it opens, and the flavor.
func TestRegistered(t *testing.T) {
	cases := []struct {
		name, dialect, pool string
		fold                string // CaseFoldFunc of the pools' dialect
	}{
		{"pgx", "postgres", "pgx", "LOWER"},
		{"pgx/v5", "postgres", "pgx", "LOWER"},
		{"postgres", "postgres", "postgres", "LOWER"},
		{"postgresql", "postgres", "postgres", "LOWER"},
		{"mysql", "mysql", "mysql", "LOWER"},
		{"mariadb", "mysql", "mysql", "LOWER"},
		{"sqlite3", "sqlite", sqlite3.DriverName, "sqlm_lower"},
		{"sqlite", "sqlite", "sqlite", "sqlm_lower"},
	}
	for _, c := range cases {
		d, err := dialect.LookupDriver(c.name)
		if err != nil {
			t.Errorf("LookupDriver(%q): %v", c.name, err)
			continue
		}
		if d.Dialect.Name() != c.dialect {
			t.Errorf("%s: dialect %s, want %s", c.name, d.Dialect.Name(), c.dialect)
		}
		if c.name == "sqlite3" && !cgo() {
			continue // without cgo the name is registered to say so
		}
		if d.OpenName() != c.pool || d.OpenDialect().CaseFoldFunc() != c.fold {
			t.Errorf("%s: pools %q with fold %s, want %q with %s", c.name, d.OpenName(), d.OpenDialect().CaseFoldFunc(), c.pool, c.fold)
		}
	}
	if got := dialect.DriverNames(); !slices.IsSorted(got) || len(got) != len(cases) {
		t.Errorf("DriverNames() = %v", got)
	}
}

// TestUnknownDriver: Open of a name no package registered matches
// ErrInvalidArgument, lists the registered names and, for a known driver
// whose package is not imported, names the import to add.
func TestUnknownDriver(t *testing.T) {
	_, err := orm.Open("oracle", "x")
	if !errors.Is(err, orm.ErrInvalidArgument) || !strings.Contains(err.Error(), "registered: mariadb, mysql, pgx") {
		t.Errorf("Open(oracle): %v", err)
	}
	if strings.Count(err.Error(), "orm:") != 1 {
		t.Errorf("Open(oracle): %q repeats orm:", err)
	}
}

// adjustCase is one DSN of TestAdjustDSN and what AdjustDSN makes of it.
type adjustCase struct {
	name   string
	adjust func(string) (string, dialect.InMemory, error)
	dsn    string
	want   string
	memory dialect.InMemory
}

// TestAdjustDSN: the settings the ORM depends on are added unless the DSN
// sets them; in-memory SQLite databases are recognised.
func TestAdjustDSN(t *testing.T) {
	cases := append([]adjustCase{
		{"mysql", mysql.AdjustDSN, "root@tcp(127.0.0.1:3306)/test", "root@tcp(127.0.0.1:3306)/test?clientFoundRows=true&parseTime=true", dialect.NotInMemory},
		{"mysql", mysql.AdjustDSN, "u:p@tcp(h:3306)/db?parseTime=false&loc=UTC", "u:p@tcp(h:3306)/db?clientFoundRows=true&parseTime=true", dialect.NotInMemory},
		{"sqlite", sqlite.AdjustDSN, "file:app.db", "file:app.db?_busy_timeout=5000&_foreign_keys=1&_time_format=sqlite&_timezone=UTC&_txlock=immediate", dialect.NotInMemory},
		{"sqlite", sqlite.AdjustDSN, ":memory:?_time_format=datetime", ":memory:?_busy_timeout=5000&_foreign_keys=1&_time_format=datetime&_timezone=UTC&_txlock=immediate", dialect.PrivateMemory},
		{"sqlite", sqlite.AdjustDSN, "file:x?mode=memory&cache=shared", "file:x?_busy_timeout=5000&_foreign_keys=1&_time_format=sqlite&_timezone=UTC&_txlock=immediate&cache=shared&mode=memory", dialect.SharedMemory},
	}, cgoAdjustCases()...)
	for _, c := range cases {
		got, memory, err := c.adjust(c.dsn)
		if err != nil || got != c.want || memory != c.memory {
			t.Errorf("%s AdjustDSN(%q) = %q, %v, %v; want %q, %v", c.name, c.dsn, got, memory, err, c.want, c.memory)
		}
	}
	if _, _, err := mysql.AdjustDSN("not a dsn"); err == nil {
		t.Error("mysql AdjustDSN of an invalid DSN: no error")
	}
}

// TestOnlyImportedDriversLinked: a program that imports the orm and one
// driver package links no other driver, and the pgx-only and pure-Go
// SQLite programs build without cgo.
func TestOnlyImportedDriversLinked(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list and go build")
	}
	all := []string{"github.com/jackc/pgx/v5/stdlib", "github.com/lib/pq", "github.com/go-sql-driver/mysql", "github.com/mattn/go-sqlite3", "modernc.org/sqlite"}
	cases := []struct {
		pkg   string
		links string
		cgo   bool // needs cgo
	}{
		{"github.com/sqlmodel-go/sqlmodel/orm", "", false},
		{"github.com/sqlmodel-go/sqlmodel/orm/driver/pgx", "github.com/jackc/pgx/v5/stdlib", false},
		{"github.com/sqlmodel-go/sqlmodel/orm/driver/pq", "github.com/lib/pq", false},
		{"github.com/sqlmodel-go/sqlmodel/orm/driver/mysql", "github.com/go-sql-driver/mysql", false},
		{"github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3", "github.com/mattn/go-sqlite3", true},
		{"github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite", "modernc.org/sqlite", false},
	}
	for _, c := range cases {
		if c.cgo && !cgo() {
			c.links = "" // without cgo the package registers the name only
		}
		out, err := exec.Command("go", "list", "-deps", c.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", c.pkg, err, out)
		}
		deps := strings.Fields(string(out))
		for _, d := range all {
			if slices.Contains(deps, d) != (d == c.links) {
				t.Errorf("%s: links %s = %v", c.pkg, d, slices.Contains(deps, d))
			}
		}
		if c.cgo {
			continue
		}
		cmd := exec.Command("go", "build", "-o", "/dev/null", c.pkg)
		cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("CGO_ENABLED=0 go build %s: %v\n%s", c.pkg, err, out)
		}
	}
}

// TestOpenWithoutDriverPackage: a program that imports no driver package
// gets, from Open of a driver the ORM knows, an ErrInvalidArgument that
// names the import to add.
func TestOpenWithoutDriverPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	out, err := exec.Command("go", "run", "./testdata/nodriver").CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	want := `true orm: invalid argument: unknown driver "pgx": add import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx" (no driver is registered`
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("got %s\nwant %s…", out, want)
	}
}
