//go:build cgo

package driver_test

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// The two SQLite drivers share database files: what one writes, the other
// reads as the same values (issue 16). Only builds with cgo have both.

type xdInfo struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// xdValue has a column of each kind whose storage the drivers could
// disagree on: times (text), pointers (NULL), blobs, the int64 limits,
// booleans, floats and JSON.
type xdValue struct {
	ID    int64 `sqlmodel:"pk,noautoincrement"`
	At    time.Time
	PAt   *time.Time
	Big   int64
	Small int64
	Flag  bool
	F     float64
	S     string
	PS    *string
	Bytes []byte
	PI    *int64
	Info  xdInfo         `sqlmodel:"json"`
	Meta  map[string]any `sqlmodel:"json"`
}

func (xdValue) TableName() string { return "xd_value" }

// xdRows are the rows each driver writes: times in several zones with
// nanoseconds, the zero time, NULLs next to zero values, the int64 limits
// and bytes that are not UTF-8.
func xdRows() []*xdValue {
	tokyo := time.FixedZone("JST", 9*3600)
	newYork := time.FixedZone("EST", -5*3600)
	at := time.Date(2026, 3, 1, 12, 34, 56, 123456789, tokyo)
	later := time.Date(1999, 12, 31, 23, 59, 59, 1000, newYork)
	empty, zero := "", int64(0)
	return []*xdValue{
		{ID: 1, At: at, PAt: &later, Big: math.MaxInt64, Small: math.MinInt64, Flag: true, F: math.Pi,
			S: "École ☃", PS: &empty, Bytes: []byte{0, 1, 0xfe, 0xff}, PI: &zero,
			Info: xdInfo{Name: "a", Tags: []string{"x", "y"}}, Meta: map[string]any{"n": 1.5, "s": "t"}},
		{ID: 2, At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Bytes: []byte{}},
		{ID: 3}, // zero time, NULL pointers, nil slices and maps
	}
}

// xdOpen opens path through driver with the ORM's settings.
func xdOpen(t *testing.T, driver, path string) *orm.DB {
	t.Helper()
	db, err := orm.Open(driver, "file:"+path)
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Register(&xdValue{}); err != nil {
		t.Fatal(err)
	}
	return db
}

// xdRead reads every row through db, by key.
func xdRead(t *testing.T, ctx context.Context, db *orm.DB) []*xdValue {
	t.Helper()
	rows, err := orm.Select[xdValue](db).OrderBy("id").All(ctx)
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	return rows
}

// xdSame reports whether a value read back is the value written: times as
// the same instants, everything else equal (an empty blob stays empty, NULL
// stays nil).
func xdSame(got, want *xdValue) bool {
	if !got.At.Equal(want.At) || (got.PAt == nil) != (want.PAt == nil) || got.PAt != nil && !got.PAt.Equal(*want.PAt) {
		return false
	}
	g, w := *got, *want
	g.At, w.At, g.PAt, w.PAt = time.Time{}, time.Time{}, nil, nil
	return reflect.DeepEqual(g, w)
}

// TestSQLiteDriversShareFiles: a file written through mattn/go-sqlite3
// ("sqlite3") reads the same through modernc.org/sqlite ("sqlite") and the
// other way round: the values, the stored text of the times, and
// comparisons of a stored time with a time bound by either driver.
func TestSQLiteDriversShareFiles(t *testing.T) {
	ctx := t.Context()
	drivers := []string{"sqlite3", "sqlite"}
	stored := map[string][]string{} // writer -> the times' stored text
	for _, writer := range drivers {
		t.Run("written_by_"+writer, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			w := xdOpen(t, writer, path)
			if err := w.CreateAll(ctx, &xdValue{}); err != nil {
				t.Fatal(err)
			}
			s := orm.NewSession(w)
			defer s.Close()
			want := xdRows()
			for _, r := range want {
				if err := s.Add(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatalf("commit: %v", err)
			}
			var first []*xdValue
			for _, reader := range drivers {
				got := xdRead(t, ctx, xdOpen(t, reader, path))
				if len(got) != len(want) {
					t.Fatalf("%s reads %d rows, want %d", reader, len(got), len(want))
				}
				for i := range want {
					if !xdSame(got[i], want[i]) {
						t.Errorf("%s reads row %d as %+v, want %+v", reader, want[i].ID, *got[i], *want[i])
					}
				}
				if first == nil {
					first = got
				}
				for i := range first {
					if !reflect.DeepEqual(got[i], first[i]) {
						t.Errorf("the drivers read row %d differently:\n%s: %#v\n%s: %#v", first[i].ID, drivers[0], *first[i], reader, *got[i])
					}
				}
				db := xdOpen(t, reader, path)
				for _, r := range want[:2] {
					n, err := orm.Select[xdValue](db).Where("at = ?", r.At.In(time.FixedZone("X", -7*3600))).Count(ctx)
					if err != nil || n != 1 {
						t.Errorf("%s: at = %v (bound by %s) matches %d rows, %v; want 1", reader, r.At, reader, n, err)
					}
				}
			}
			raw, err := w.SQL().QueryContext(ctx, `SELECT at || '|' || COALESCE(p_at, 'NULL') FROM xd_value ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			for raw.Next() {
				var v string
				if err := raw.Scan(&v); err != nil {
					t.Fatal(err)
				}
				stored[writer] = append(stored[writer], v)
			}
			if err := raw.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
	if !reflect.DeepEqual(stored["sqlite3"], stored["sqlite"]) || len(stored["sqlite"]) != 3 {
		t.Errorf("the drivers store times differently:\nsqlite3: %q\nsqlite:  %q", stored["sqlite3"], stored["sqlite"])
	}
	t.Logf("stored times: %q", stored["sqlite"])
}
