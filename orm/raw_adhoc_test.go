package orm_test

import (
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Raw into structs that are not models (filled by column name, untracked)
// and into scalars; RawValue for one row.

type raTeamStats struct {
	Team   string        // snake_case of the field: team
	Heroes int64         `db:"heroes"`               // sqlx's tag
	AvgAge *float64      `sqlmodel:"column=avg_age"` // NULL for a team without ages
	Oldest sql.NullInt64 // oldest
	Note   string        `db:"-"`
	hidden int           // unexported: never a column
}

type raBase struct {
	ID int64
}

type raHeroLine struct {
	raBase             // flattened: id
	Name       string  // name
	SecretName string  `sqlmodel:"column=secret"`
	TeamName   *string // team_name; NULL for a hero without a team
	Missing    string  // no such column: stays ""
}

func TestRawAdhocStructs(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		s := qySession(t, rdb)

		stats, err := orm.Raw[raTeamStats](ctx, s, `SELECT t.name AS team, COUNT(h.id) AS heroes, AVG(h.age) AS avg_age, MAX(h.age) AS oldest
			FROM qy_team t LEFT JOIN qy_hero h ON h.team_id = t.id GROUP BY t.id, t.name ORDER BY t.id`)
		if err != nil {
			t.Fatal(err)
		}
		if len(stats) != 3 {
			t.Fatalf("%d rows, want 3: %+v", len(stats), stats)
		}
		want := []struct {
			team   string
			heroes int64
			avg    float64 // NaN: NULL
			oldest int64   // 0: NULL
		}{{"Preventers", 4, (48 + 32 + 93) / 3.0, 93}, {"Z-Force", 2, 42, 48}, {"Empty Team", 0, math.NaN(), 0}}
		for i, w := range want {
			got := stats[i]
			if got.Team != w.team || got.Heroes != w.heroes || got.Note != "" || got.hidden != 0 {
				t.Errorf("row %d = %+v, want team %s with %d heroes", i, got, w.team, w.heroes)
			}
			switch {
			case math.IsNaN(w.avg) && got.AvgAge != nil:
				t.Errorf("%s: avg_age = %v, want NULL", w.team, *got.AvgAge)
			case !math.IsNaN(w.avg) && (got.AvgAge == nil || math.Abs(*got.AvgAge-w.avg) > 0.001):
				t.Errorf("%s: avg_age = %v, want %v", w.team, got.AvgAge, w.avg)
			}
			if got.Oldest.Valid != (w.oldest != 0) || got.Oldest.Int64 != w.oldest {
				t.Errorf("%s: oldest = %+v, want %d", w.team, got.Oldest, w.oldest)
			}
		}

		// Embedded structs, column= tags, a NULL into a pointer, a field
		// without a column.
		lines, err := orm.Raw[raHeroLine](ctx, s, `SELECT h.id, h.name, h.secret_name AS secret, t.name AS team_name
			FROM qy_hero h LEFT JOIN qy_team t ON t.id = h.team_id WHERE h.id IN (?) ORDER BY h.id`, []int{1, 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 2 || lines[0].ID != 1 || lines[0].Name != "Deadpond" || lines[0].SecretName != "Dive Wilson" ||
			lines[0].TeamName == nil || *lines[0].TeamName != "Z-Force" || lines[1].ID != 5 || lines[1].TeamName != nil || lines[0].Missing != "" {
			t.Errorf("lines = %+v", lines)
		}

		// Nothing is tracked, even with an id column.
		if n := s.TrackedCount(); n != 0 {
			t.Errorf("TrackedCount = %d after ad-hoc Raw, want 0", n)
		}

		// A column without a field is an error before any row is returned,
		// unless asked to skip it.
		rec.Reset()
		_, err = orm.Raw[raHeroLine](ctx, s, `SELECT id, name, age FROM qy_hero`)
		if !errors.Is(err, orm.ErrUnknownColumn) || !strings.Contains(err.Error(), `"age"`) || !strings.Contains(err.Error(), "IgnoreUnknownColumns") {
			t.Errorf("unknown column: %v, want ErrUnknownColumn naming age", err)
		}
		lines, err = orm.RawWithOptions[raHeroLine](ctx, s, []orm.RawOption{orm.IgnoreUnknownColumns()}, `SELECT id, name, age FROM qy_hero WHERE id = ?`, 3)
		if err != nil || len(lines) != 1 || lines[0].Name != "Rusty-Man" {
			t.Errorf("IgnoreUnknownColumns: %+v, %v", lines, err)
		}

		// No rows: an empty, non-nil slice.
		lines, err = orm.Raw[raHeroLine](ctx, s, `SELECT id, name FROM qy_hero WHERE id > ?`, 100)
		if err != nil || lines == nil || len(lines) != 0 {
			t.Errorf("no rows: %#v, %v", lines, err)
		}

		// A struct with a primary key is a model this DB does not know.
		type raUnregistered struct {
			ID int64 `sqlmodel:"pk"`
		}
		if _, err := orm.Raw[raUnregistered](ctx, s, `SELECT id FROM qy_hero`); !errors.Is(err, orm.ErrUnmapped) {
			t.Errorf("Raw of an unregistered model: %v, want ErrUnmapped", err)
		}
		if _, err := orm.RawValue[raUnregistered](ctx, s, `SELECT id FROM qy_hero WHERE id = 1`); !errors.Is(err, orm.ErrUnmapped) {
			t.Errorf("RawValue of an unregistered model: %v, want ErrUnmapped", err)
		}
		if _, err := orm.RawValue[qyHero](ctx, s, `SELECT id FROM qy_hero WHERE id = 1`); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Errorf("RawValue of a model: %v, want ErrInvalidArgument", err)
		}
	})
}

func TestRawScalars(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		s := qySession(t, db)

		ids, err := orm.Raw[int64](ctx, s, `SELECT id FROM qy_hero WHERE team_id = ? ORDER BY id`, 1)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, p := range ids {
			got = append(got, *p)
		}
		if !slices.Equal(got, []int64{2, 3, 4, 7}) {
			t.Errorf("ids = %v", got)
		}

		ages, err := orm.Raw[*int](ctx, s, `SELECT age FROM qy_hero WHERE id IN (?) ORDER BY id`, []int{2, 3})
		if err != nil || len(ages) != 2 || *ages[0] != nil || *ages[1] == nil || **ages[1] != 48 {
			t.Errorf("ages = %v, %v", ages, err)
		}
		names, err := orm.Raw[sql.NullString](ctx, s, `SELECT t.name FROM qy_hero h LEFT JOIN qy_team t ON t.id = h.team_id WHERE h.id IN (?) ORDER BY h.id`, []int{1, 5})
		if err != nil || len(names) != 2 || names[0].String != "Z-Force" || names[1].Valid {
			t.Errorf("names = %+v, %v", names, err)
		}

		n, err := orm.RawValue[int64](ctx, s, `SELECT COUNT(*) FROM qy_hero WHERE age > ?`, 40)
		if err != nil || n != 3 {
			t.Errorf("count = %d, %v; want 3", n, err)
		}
		name, err := orm.RawValue[string](ctx, db, `SELECT name FROM qy_hero WHERE id = ?`, 4)
		if err != nil || name != "Tarantula" {
			t.Errorf("name = %q, %v", name, err)
		}
		// A computed time: SQLite returns it as text, which is parsed.
		now, err := orm.RawValue[time.Time](ctx, s, `SELECT CURRENT_TIMESTAMP`)
		if err != nil || now.IsZero() || time.Since(now) > 24*time.Hour || time.Until(now) > 24*time.Hour {
			t.Errorf("CURRENT_TIMESTAMP = %v, %v", now, err)
		}
		ptr, err := orm.RawValue[*time.Time](ctx, s, `SELECT NULL`)
		if err != nil || ptr != nil {
			t.Errorf("NULL time = %v, %v", ptr, err)
		}

		// Reads agree with the session: the pending hero is flushed first.
		if err := s.Add(&qyHero{ID: 8, Name: "Pending", Age: qyIntPtr(70)}); err != nil {
			t.Fatal(err)
		}
		n, err = orm.RawValue[int64](ctx, s, `SELECT COUNT(*) FROM qy_hero WHERE age > ?`, 40)
		if err != nil || n != 4 {
			t.Errorf("count after Add = %d, %v; want 4 (autoflush)", n, err)
		}

		// One row, one column, or a clear error.
		if _, err := orm.RawValue[int64](ctx, s, `SELECT id FROM qy_hero WHERE id > ?`, 100); !errors.Is(err, orm.ErrNotFound) {
			t.Errorf("no row: %v, want ErrNotFound", err)
		}
		if _, err := orm.RawValue[int64](ctx, s, `SELECT id FROM qy_hero`); !errors.Is(err, orm.ErrMultipleRows) {
			t.Errorf("many rows: %v, want ErrMultipleRows", err)
		}
		if _, err := orm.Raw[int64](ctx, s, `SELECT id, name FROM qy_hero`); !errors.Is(err, orm.ErrInvalidArgument) || !strings.Contains(err.Error(), "2 columns") {
			t.Errorf("two columns into int64: %v, want ErrInvalidArgument", err)
		}
		if _, err := orm.RawValue[int64](ctx, s, `SELECT name FROM qy_hero WHERE id = 1`); err == nil {
			t.Error("a name scanned into int64 without an error")
		}
		if _, err := orm.RawValue[time.Time](ctx, s, `SELECT NULL`); err == nil {
			t.Error("NULL scanned into time.Time without an error")
		}
	})
}

func qyIntPtr(v int) *int { return &v }
