package orm_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// ubTyped has a column of every common kind, so that the casts a batched
// UPDATE needs on PostgreSQL are exercised.
type ubTyped struct {
	ID    int64 `sqlmodel:"pk"`
	At    time.Time
	Data  []byte
	Score float64
	Small int16
	Flag  bool
	Tags  []string `sqlmodel:"json"`
	Note  *string
}

func (ubTyped) TableName() string { return "ub_typed" }

// ubPair has a composite key.
type ubPair struct {
	A int64  `sqlmodel:"pk"`
	B string `sqlmodel:"pk,size=20"`
	V int
}

func (ubPair) TableName() string { return "ub_pair" }

// ubUpdates returns the recorded UPDATE statements.
func ubUpdates(rec *testkit.Recorder) []orm.QueryEvent {
	var out []orm.QueryEvent
	for _, e := range rec.Events() {
		if strings.HasPrefix(e.Query, "UPDATE") {
			out = append(out, e)
		}
	}
	return out
}

func TestFlushBatchedUpdates(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		rows := bkRows(250, 0)
		if _, err := orm.BulkInsert(ctx, db, rows); err != nil {
			t.Fatal(err)
		}
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		loaded, err := orm.Select[bkRow](s).OrderBy("id").All(ctx)
		if err != nil || len(loaded) != 250 {
			t.Fatalf("load: %d, %v", len(loaded), err)
		}
		note := "n"
		for i, r := range loaded {
			r.Age = 1000 + i
			r.Note = &note
		}
		loaded[3].Age = 0 // zero values are written like any other
		// Rows with another column set go to their own statement.
		loaded[7].Name = "renamed"
		rec.Reset()
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		ups := ubUpdates(rec)
		// 249 rows change age and note (200 + 49 per statement), one
		// changes age, note and name.
		if len(ups) != 3 {
			t.Fatalf("%d UPDATE statements, want 3:\n%s", len(ups), rec.Dump())
		}
		back := bkAll(t, ctx, db)
		for i, r := range back {
			w := loaded[i]
			if r.ID != w.ID || r.Age != w.Age || (r.Note == nil) != (w.Note == nil) || r.Name != w.Name || r.Version != 2 || w.Version != 2 {
				t.Fatalf("row %d = %+v, object %+v", i, r, w)
			}
		}

		// A row deleted behind the session's back: the whole flush fails
		// with ErrStaleData naming it, and nothing is written.
		gone := loaded[10]
		if _, err := orm.Exec(ctx, db, "DELETE FROM bk_row WHERE id = ?", gone.ID); err != nil {
			t.Fatal(err)
		}
		for _, r := range loaded[5:15] {
			r.Age = 5000
		}
		err = s.Commit(ctx)
		var fe *orm.FlushError
		if !errors.Is(err, orm.ErrStaleData) || !errors.As(err, &fe) || fe.Key != fmt.Sprint(gone.ID) {
			t.Fatalf("stale row: %v (key %q, want %d)", err, func() string {
				if fe != nil {
					return fe.Key
				}
				return ""
			}(), gone.ID)
		}
		for _, r := range loaded[5:15] {
			if r.Version != 2 || !s.IsModified(r) {
				t.Fatalf("after the failed flush: version %d, modified %v", r.Version, s.IsModified(r))
			}
		}
		for _, r := range bkAll(t, ctx, db) {
			if r.Age == 5000 {
				t.Fatalf("the failed batch wrote row %d", r.ID)
			}
		}

		// A version changed behind the session's back is found the same way.
		if err := s.Expunge(gone); err != nil {
			t.Fatal(err)
		}
		other := loaded[12]
		if _, err := orm.Exec(ctx, db, "UPDATE bk_row SET version = version + 5 WHERE id = ?", other.ID); err != nil {
			t.Fatal(err)
		}
		err = s.Commit(ctx)
		if !errors.Is(err, orm.ErrStaleData) || !errors.As(err, &fe) || fe.Key != fmt.Sprint(other.ID) {
			t.Fatalf("stale version: %v", err)
		}
	})
}

func TestFlushBatchedUpdatesTypesAndCompositeKeys(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, &ubTyped{}, &ubPair{}); err != nil {
			t.Fatal(err)
		}
		base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		var typed []*ubTyped
		var pairs []*ubPair
		for i := 1; i <= 5; i++ {
			typed = append(typed, &ubTyped{ID: int64(i), At: base, Data: []byte{1}, Score: 1.5, Small: 1, Tags: []string{"a"}})
			pairs = append(pairs, &ubPair{A: int64(i % 2), B: fmt.Sprint("k", i), V: i})
		}
		if _, err := orm.BulkInsert(ctx, db, typed); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.BulkInsert(ctx, db, pairs); err != nil {
			t.Fatal(err)
		}
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		ts, err := orm.Select[ubTyped](s).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := orm.Select[ubPair](s).OrderBy("b").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		note := "x"
		for i, r := range ts {
			r.At = base.Add(time.Duration(i+1) * time.Hour)
			r.Data = []byte{byte(i), 0, 255}
			r.Score = float64(i+1) / 4
			r.Small = int16(-i - 1)
			r.Flag = true
			r.Tags = []string{"t", fmt.Sprint(i)}
			r.Note = &note
		}
		for i, p := range ps {
			p.V = 100 + i
		}
		rec.Reset()
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(ubUpdates(rec)); n != 2 {
			t.Fatalf("%d UPDATEs, want one per table:\n%s", n, rec.Dump())
		}
		back, err := orm.Select[ubTyped](db).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range back {
			w := ts[i]
			if !r.At.Equal(w.At) || !reflect.DeepEqual(r.Data, w.Data) || r.Score != w.Score || r.Small != w.Small ||
				r.Flag != w.Flag || !reflect.DeepEqual(r.Tags, w.Tags) || r.Note == nil || *r.Note != note {
				t.Fatalf("row %d = %+v, want %+v", i, r, w)
			}
		}
		pb, err := orm.Select[ubPair](db).OrderBy("b").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pb {
			if p.V != 100+i || p.A != ps[i].A || p.B != ps[i].B {
				t.Fatalf("pair %d = %+v", i, p)
			}
		}
	})
}
