package dialect_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// The tests below pin the text of each dialect's rendering methods: the
// session and the query builder send it as is, and their own tests compare
// the statements they record with golden files.

func TestLimitOffset(t *testing.T) {
	cases := []struct {
		limit, offset int64
		want          map[string]string // by dialect name of ddlDialects
	}{
		{-1, 0, map[string]string{"postgres": "", "mysql": "", "mariadb": "", "sqlite": ""}},
		{0, 0, map[string]string{"postgres": " LIMIT 0", "mysql": " LIMIT 0", "mariadb": " LIMIT 0", "sqlite": " LIMIT 0"}},
		{10, 0, map[string]string{"postgres": " LIMIT 10", "mysql": " LIMIT 10", "mariadb": " LIMIT 10", "sqlite": " LIMIT 10"}},
		{10, 5, map[string]string{"postgres": " LIMIT 10 OFFSET 5", "mysql": " LIMIT 10 OFFSET 5", "mariadb": " LIMIT 10 OFFSET 5", "sqlite": " LIMIT 10 OFFSET 5"}},
		{-1, 5, map[string]string{
			"postgres": " OFFSET 5",
			"mysql":    " LIMIT 18446744073709551615 OFFSET 5",
			"mariadb":  " LIMIT 18446744073709551615 OFFSET 5",
			"sqlite":   " LIMIT -1 OFFSET 5",
		}},
		{-1, -3, map[string]string{"postgres": "", "mysql": "", "mariadb": "", "sqlite": ""}},
	}
	for _, dd := range ddlDialects {
		for _, c := range cases {
			if got, want := dd.d.LimitOffset(c.limit, c.offset), c.want[dd.name]; got != want {
				t.Errorf("%s LimitOffset(%d, %d) = %q, want %q", dd.name, c.limit, c.offset, got, want)
			}
		}
	}
}

// TestLikeAndCaseFold: the ESCAPE literal of a backslash, and how a
// case-insensitive LIKE is written (ILIKE where the ILike feature says so,
// else through CaseFoldFunc).
func TestLikeAndCaseFold(t *testing.T) {
	cases := []struct {
		name   string
		d      dialect.Dialect
		escape string
		fold   string
		ilike  bool
	}{
		{"postgres", dialect.Postgres(), `E'\\'`, "LOWER", true},
		{"mysql", dialect.MySQL(), "CHAR(92)", "LOWER", false},
		{"mariadb", dialect.MariaDB(), "CHAR(92)", "LOWER", false},
		{"sqlite", dialect.SQLite(), `'\'`, "LOWER", false},
		{"sqlite with functions", dialect.SQLiteWithFunctions(), `'\'`, "sqlm_lower", false},
	}
	for _, c := range cases {
		if got := c.d.LikeEscape(); got != c.escape {
			t.Errorf("%s LikeEscape() = %q, want %q", c.name, got, c.escape)
		}
		if got := c.d.CaseFoldFunc(); got != c.fold {
			t.Errorf("%s CaseFoldFunc() = %q, want %q", c.name, got, c.fold)
		}
		if got := c.d.Features().Has(dialect.ILike); got != c.ilike {
			t.Errorf("%s Features().Has(ILike) = %v, want %v", c.name, got, c.ilike)
		}
	}
}

func TestSequenceReset(t *testing.T) {
	ms := registerAll(t, fullModels()...)
	byTable := map[string]*schema.Model{}
	for _, m := range schema.Closure(ms) {
		byTable[m.Table] = m
	}
	team, note, membership := byTable["team"], byTable["membership_note"], byTable["membership"]
	if team.AutoIncrement == nil || note.AutoIncrement != nil || membership.AutoIncrement != nil {
		t.Fatalf("models: team autoincrement %v, membership_note %v, membership %v; want a column, none, none",
			team.AutoIncrement, note.AutoIncrement, membership.AutoIncrement)
	}
	for _, dd := range ddlDialects {
		q, args := dd.d.SequenceReset(team)
		var want string
		var wantArgs []any
		if dd.name == "postgres" {
			want = `SELECT setval(q.seq, q.top) FROM (SELECT pg_get_serial_sequence($1, $2)::regclass AS seq, (SELECT MAX("id") FROM "team") AS top) q WHERE q.top > COALESCE(pg_sequence_last_value(q.seq), 0)`
			wantArgs = []any{`"team"`, "id"}
		}
		if q != want || !reflect.DeepEqual(args, wantArgs) {
			t.Errorf("%s SequenceReset(team) = %q, %v; want %q, %v", dd.name, q, args, want, wantArgs)
		}
		for _, m := range []*schema.Model{note, membership} {
			if q, args := dd.d.SequenceReset(m); q != "" || args != nil {
				t.Errorf("%s SequenceReset(%s) = %q, %v; want nothing (no autoincrement column)", dd.name, m.Table, q, args)
			}
		}
	}
}

func TestDeferForeignKeys(t *testing.T) {
	want := map[string]string{"postgres": "", "mysql": "", "mariadb": "", "sqlite": "PRAGMA defer_foreign_keys = ON"}
	for _, dd := range ddlDialects {
		if got := dd.d.DeferForeignKeys(); got != want[dd.name] {
			t.Errorf("%s DeferForeignKeys() = %q, want %q", dd.name, got, want[dd.name])
		}
		// Only a database that cannot drop foreign keys needs to defer them.
		if got := dd.d.DeferForeignKeys(); (got != "") == dd.d.Features().Has(dialect.AlterForeignKeys) {
			t.Errorf("%s: DeferForeignKeys() = %q with AlterForeignKeys %v", dd.name, got, dd.d.Features().Has(dialect.AlterForeignKeys))
		}
	}
}

func TestDetectFlavorWithoutQuery(t *testing.T) {
	// PostgreSQL and SQLite have one flavor: no query, so no pool needed.
	for _, d := range []dialect.Dialect{dialect.Postgres(), dialect.SQLite(), dialect.SQLiteWithFunctions()} {
		got, err := d.DetectFlavor(context.Background(), nil)
		if err != nil || got != d {
			t.Errorf("%s DetectFlavor = %v, %v; want itself", d.Flavor(), got, err)
		}
	}
}

// TestDetectFlavorMySQL asks the server of the mysql target which flavor it
// runs and checks the answer against its version string.
func TestDetectFlavorMySQL(t *testing.T) {
	t.Parallel()
	tg, err := testkit.NewTarget(t, "mysql")
	if err != nil {
		if testkit.Required("mysql") {
			t.Fatalf("mysql is required but unavailable: %v", err)
		}
		t.Skipf("mysql unavailable: %v", err)
	}
	db := tg.Open(t)
	ctx := context.Background()
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	want := "mysql"
	if strings.Contains(strings.ToLower(version), "mariadb") {
		want = "mariadb"
	}
	for _, d := range []dialect.Dialect{dialect.MySQL(), dialect.MariaDB()} {
		got, err := d.DetectFlavor(ctx, db)
		if err != nil {
			t.Fatalf("%s DetectFlavor: %v", d.Flavor(), err)
		}
		if got.Name() != "mysql" || got.Flavor() != want {
			t.Errorf("%s DetectFlavor on %q = %s/%s, want mysql/%s", d.Flavor(), version, got.Name(), got.Flavor(), want)
		}
	}
}

func TestFeatureFlagsOfDifferences(t *testing.T) {
	for _, dd := range ddlDialects {
		f := dd.d.Features()
		pg := dd.name == "postgres"
		if f.Has(dialect.TypedCaseParams) != pg || f.Has(dialect.CopyFrom) != pg {
			t.Errorf("%s Features = %v: TypedCaseParams and CopyFrom are PostgreSQL's only", dd.name, f)
		}
	}
}

// TestOnConflictKeep: the link insert that ignores an existing pair writes
// ON CONFLICT DO NOTHING without a target, and on MySQL assigns Keep to
// itself; a Target's first column wins over Keep.
func TestOnConflictKeep(t *testing.T) {
	cases := []struct {
		d    dialect.Dialect
		c    dialect.Conflict
		want string
	}{
		{dialect.Postgres(), dialect.Conflict{DoNothing: true, Keep: "hero_id"}, " ON CONFLICT DO NOTHING"},
		{dialect.SQLite(), dialect.Conflict{DoNothing: true, Keep: "hero_id"}, " ON CONFLICT DO NOTHING"},
		{dialect.MySQL(), dialect.Conflict{DoNothing: true, Keep: "hero_id"}, " ON DUPLICATE KEY UPDATE `hero_id` = `hero_id`"},
		{dialect.MariaDB(), dialect.Conflict{DoNothing: true, Keep: "hero_id"}, " ON DUPLICATE KEY UPDATE `hero_id` = `hero_id`"},
		{dialect.MySQL(), dialect.Conflict{DoNothing: true, Target: []string{"id"}, Keep: "hero_id"}, " ON DUPLICATE KEY UPDATE `id` = `id`"},
		{dialect.Postgres(), dialect.Conflict{DoNothing: true, Target: []string{"id"}, Keep: "hero_id"}, ` ON CONFLICT ("id") DO NOTHING`},
	}
	for _, c := range cases {
		got, err := dialect.OnConflict(c.d, "hero_power", c.c)
		if err != nil || got != c.want {
			t.Errorf("%s OnConflict(%+v) = %q, %v; want %q", c.d.Flavor(), c.c, got, err, c.want)
		}
	}
	if _, err := dialect.OnConflict(dialect.MySQL(), "hero_power", dialect.Conflict{DoNothing: true}); err == nil {
		t.Error("mysql OnConflict DoNothing without Target or Keep: no error")
	}
}
