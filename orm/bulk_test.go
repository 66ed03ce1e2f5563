package orm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
)

// bkRow is the bulk tests' model: a generated key, a unique name, zero
// values worth keeping, and an optimistic-lock version.
type bkRow struct {
	ID      int64  `sqlmodel:"pk"`
	Name    string `sqlmodel:"unique"`
	Age     int
	Right   bool
	Note    *string
	Version int64 `sqlmodel:"version"`
}

func (bkRow) TableName() string { return "bk_row" }

// bkHooked counts its hooks and refuses names starting with "bad".
type bkHooked struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Stamp  string
	after  int
	before int
}

func (bkHooked) TableName() string { return "bk_hooked" }

func (h *bkHooked) BeforeInsert(context.Context) error {
	if strings.HasPrefix(h.Name, "bad") {
		return errors.New("bad name")
	}
	h.before++
	h.Stamp = "stamped"
	return nil
}

func (h *bkHooked) AfterInsert(context.Context) error { h.after++; return nil }

// bkUnregistered is never registered.
type bkUnregistered struct {
	ID int64 `sqlmodel:"pk"`
}

func bkSetup(t *testing.T, db *orm.DB) context.Context {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateAll(ctx, &bkRow{}, &bkHooked{}); err != nil {
		t.Fatalf("CreateAll: %v", err)
	}
	return ctx
}

func bkRows(n, from int) []*bkRow {
	out := make([]*bkRow, n)
	for i := range out {
		out[i] = &bkRow{Name: fmt.Sprintf("r%06d", from+i), Age: (from + i) % 7, Right: (from+i)%2 == 0}
	}
	return out
}

// bkAll reads the table back in key order.
func bkAll(t *testing.T, ctx context.Context, db *orm.DB) []*bkRow {
	t.Helper()
	rows, err := orm.Select[bkRow](db).OrderBy("id").All(ctx)
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	return rows
}

// bkOps returns the ops of recorded data statements on bk_row ("exec",
// "query", "copy"), transaction control left out.
func bkOps(rec *testkit.Recorder) []string {
	var out []string
	for _, e := range rec.Events() {
		if strings.Contains(e.Query, "bk_row") {
			out = append(out, e.Op)
		}
	}
	return out
}

func TestBulkInsertEmptySendsNothing(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		for name, q := range map[string]orm.Querier{"db": rdb, "session": s} {
			n, err := orm.BulkInsert(ctx, q, []*bkRow{})
			if err != nil || n != 0 {
				t.Fatalf("%s: BulkInsert(empty) = %d, %v", name, n, err)
			}
			n, err = orm.BulkUpdate(ctx, q, []*bkRow(nil))
			if err != nil || n != 0 {
				t.Fatalf("%s: BulkUpdate(nil) = %d, %v", name, n, err)
			}
		}
		if rec.Count() != 0 {
			t.Fatalf("empty input sent SQL:\n%s", rec.Dump())
		}
	})
}

func TestBulkInsertValuesAndChunks(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		rdb, rec := testkit.Record(db)
		rows := bkRows(2500, 0)
		note := "zero-age note"
		rows[3].Note = &note
		n, err := orm.BulkInsert(ctx, rdb, rows, orm.BulkNoCopy())
		if err != nil || n != 2500 {
			t.Fatalf("BulkInsert = %d, %v", n, err)
		}
		if got := bkOps(rec); !slices.Equal(got, []string{"exec", "exec", "exec"}) {
			t.Fatalf("2,500 rows at the default batch of 1,000 sent %v", got)
		}
		st := rec.Statements()
		if st[0] != "BEGIN" || st[len(st)-1] != "COMMIT" {
			t.Fatalf("three statements must share a transaction: %d statements, first %.40q", len(st), st[0])
		}
		if rows[0].ID != 0 {
			t.Fatalf("keys are not read back without BulkReturnKeys: %d", rows[0].ID)
		}
		if rows[0].Version != 1 {
			t.Fatalf("version set on insert: %d", rows[0].Version)
		}
		got := bkAll(t, ctx, db)
		if len(got) != 2500 {
			t.Fatalf("%d rows in the table", len(got))
		}
		for i, r := range got {
			w := rows[i]
			if r.Name != w.Name || r.Age != w.Age || r.Right != w.Right || r.Version != 1 || (r.Note == nil) != (w.Note == nil) {
				t.Fatalf("row %d = %+v, want %+v", i, r, w)
			}
		}
		if *got[3].Note != note {
			t.Fatalf("note = %q", *got[3].Note)
		}
	})
}

func TestBulkInsertBatchBoundaries(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		from := 0
		for _, tc := range []struct{ rows, want int }{{9, 1}, {10, 1}, {11, 2}, {1, 1}} {
			rdb, rec := testkit.Record(db)
			n, err := orm.BulkInsertWithBatchSize(ctx, rdb, bkRows(tc.rows, from), 10)
			from += tc.rows
			if err != nil || n != int64(tc.rows) {
				t.Fatalf("%d rows: %d, %v", tc.rows, n, err)
			}
			if got := len(bkOps(rec)); got != tc.want {
				t.Fatalf("%d rows at batch 10: %d statements, want %d", tc.rows, got, tc.want)
			}
		}
		// Batch sizes below one are clamped to one row per statement.
		rdb, rec := testkit.Record(db)
		if _, err := orm.BulkInsertWithBatchSize(ctx, rdb, bkRows(3, from), 0); err != nil {
			t.Fatal(err)
		}
		if got := len(bkOps(rec)); got != 3 {
			t.Fatalf("batch 0: %d statements, want 3", got)
		}
		if got := len(bkAll(t, ctx, db)); got != 34 {
			t.Fatalf("%d rows, want 34", got)
		}
	})
}

// bkNarrow has one written column, so that a statement's rows are bounded
// by the bind limit only when the batch size is raised above it.
type bkNarrow struct {
	ID int64 `sqlmodel:"pk"`
	V  int64
}

func (bkNarrow) TableName() string { return "bk_narrow" }

func TestBulkInsertBindLimitBoundaries(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, &bkNarrow{}); err != nil {
			t.Fatal(err)
		}
		limit := db.Dialect().MaxBindParams()
		total := 0
		for _, tc := range []struct{ rows, want int }{{limit - 1, 1}, {limit, 1}, {limit + 1, 2}} {
			objs := make([]*bkNarrow, tc.rows)
			for i := range objs {
				objs[i] = &bkNarrow{V: int64(i)}
			}
			rdb, rec := testkit.Record(db)
			n, err := orm.BulkInsert(ctx, rdb, objs, orm.BulkBatchSize(1<<20), orm.BulkNoCopy())
			if err != nil || n != int64(tc.rows) {
				t.Fatalf("%d rows: %d, %v", tc.rows, n, err)
			}
			stmts := 0
			for _, e := range rec.Events() {
				if strings.HasPrefix(e.Query, "INSERT") {
					stmts++
					if args := len(e.Args); args > limit {
						t.Fatalf("a statement carries %d binds, limit %d", args, limit)
					}
				}
			}
			if stmts != tc.want {
				t.Fatalf("%d rows at bind limit %d: %d statements, want %d", tc.rows, limit, stmts, tc.want)
			}
			total += tc.rows
		}
		cnt, err := orm.Select[bkNarrow](db).Count(ctx)
		if err != nil || cnt != int64(total) {
			t.Fatalf("count = %d, %v; want %d", cnt, err, total)
		}
	})
}

func TestBulkInsertReturnKeysAndExplicitKeys(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		explicit := []*bkRow{{ID: 500, Name: "x500"}, {ID: 501, Name: "x501"}}
		if n, err := orm.BulkInsert(ctx, db, explicit); err != nil || n != 2 {
			t.Fatalf("explicit keys: %d, %v", n, err)
		}
		rows := bkRows(25, 0)
		n, err := orm.BulkInsert(ctx, db, rows, orm.BulkReturnKeys(), orm.BulkBatchSize(10))
		if err != nil || n != 25 {
			t.Fatalf("BulkInsert = %d, %v", n, err)
		}
		for i, r := range rows {
			if r.ID <= 501 {
				t.Fatalf("row %d got key %d: generated keys must not collide with explicit ones", i, r.ID)
			}
			if i > 0 && r.ID <= rows[i-1].ID {
				t.Fatalf("keys not increasing: %d then %d", rows[i-1].ID, r.ID)
			}
			back, err := orm.Select[bkRow](db).Where("name = ?", r.Name).One(ctx)
			if err != nil || back.ID != r.ID {
				t.Fatalf("row %s: read back %+v, %v; object has key %d", r.Name, back, err, r.ID)
			}
		}
	})
}

// TestBulkInsertExplicitThenGeneratedInOneCall: objects with explicit keys
// followed, in the same call, by objects whose keys the database generates.
// The key sequence must move past the explicit keys before the generated
// ones are drawn (it used to move only at the end of the call, so on
// PostgreSQL the generated row took key 1 again).
func TestBulkInsertExplicitThenGeneratedInOneCall(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		rows := []*bkRow{{ID: 1, Name: "one"}, {ID: 2, Name: "two"}, {Name: "gen-a"}, {Name: "gen-b"}}
		n, err := orm.BulkInsert(ctx, db, rows, orm.BulkReturnKeys())
		if err != nil || n != 4 {
			t.Fatalf("BulkInsert = %d, %v", n, err)
		}
		if rows[2].ID <= 2 || rows[3].ID <= rows[2].ID {
			t.Fatalf("generated keys %d, %d: want past the explicit 1 and 2, increasing", rows[2].ID, rows[3].ID)
		}
		if got := bkAll(t, ctx, db); len(got) != 4 {
			t.Fatalf("%d rows in the table, want 4", len(got))
		}
	})
}

func TestBulkInsertUpsert(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		seed := []*bkRow{{ID: 1, Name: "a", Age: 10}, {ID: 2, Name: "b", Age: 20}}
		if _, err := orm.BulkInsert(ctx, db, seed); err != nil {
			t.Fatal(err)
		}

		// DO NOTHING keeps existing rows and adds the new one.
		n, err := orm.BulkInsert(ctx, db, []*bkRow{{ID: 1, Name: "a", Age: 99}, {ID: 3, Name: "c", Age: 30}}, orm.OnConflictDoNothing())
		if err != nil {
			t.Fatalf("do nothing: %v", err)
		}
		wantN := int64(1) // rows inserted
		if db.Dialect().Name() == "mysql" {
			wantN = 2 // found rows: the no-op assignment counts its row
		}
		if n != wantN {
			t.Fatalf("do nothing reported %d rows, want %d", n, wantN)
		}
		got := bkAll(t, ctx, db)
		if len(got) != 3 || got[0].Age != 10 || got[2].Age != 30 {
			t.Fatalf("after DO NOTHING: %+v %+v %+v", got[0], got[1], got[2])
		}

		// DO UPDATE of every column but the key, version raised.
		if _, err := orm.BulkInsert(ctx, db, []*bkRow{{ID: 2, Name: "b2", Age: 0, Right: true}, {ID: 4, Name: "d", Age: 40}}, orm.OnConflictUpdate()); err != nil {
			t.Fatalf("do update: %v", err)
		}
		got = bkAll(t, ctx, db)
		if len(got) != 4 {
			t.Fatalf("%d rows after upsert", len(got))
		}
		if b := got[1]; b.Name != "b2" || b.Age != 0 || !b.Right || b.Version != 2 {
			t.Fatalf("upserted row = %+v (zero age must be written, version raised to 2)", b)
		}
		if d := got[3]; d.Name != "d" || d.Version != 1 {
			t.Fatalf("inserted row = %+v", d)
		}

		// Only the named columns, on a unique key other than the primary key.
		if _, err := orm.BulkInsert(ctx, db, []*bkRow{{ID: 77, Name: "a", Age: 11, Right: true}}, orm.OnConflictTarget("name"), orm.OnConflictUpdate("Age")); err != nil {
			t.Fatalf("update on name: %v", err)
		}
		got = bkAll(t, ctx, db)
		if a := got[0]; a.ID != 1 || a.Age != 11 || a.Right || a.Version != 2 {
			t.Fatalf("row a = %+v: only age (and version) may change", a)
		}

		// Bad column names are caught before SQL.
		if _, err := orm.BulkInsert(ctx, db, seed, orm.OnConflictUpdate("nope")); !errors.Is(err, query.ErrUnknownColumn) {
			t.Fatalf("unknown upsert column: %v", err)
		}
		if _, err := orm.BulkInsert(ctx, db, seed, orm.OnConflictDoNothing(), orm.BulkReturnKeys()); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("upsert with key read-back: %v", err)
		}
	})
}

func TestBulkInsertCopy(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		rdb, rec := testkit.Record(db)
		rows := bkRows(30, 0)
		var progress [][2]int
		n, err := orm.BulkInsert(ctx, rdb, rows, orm.BulkCopyThreshold(20), orm.BulkProgress(func(done, total int) {
			progress = append(progress, [2]int{done, total})
		}))
		if err != nil || n != 30 {
			t.Fatalf("BulkInsert = %d, %v", n, err)
		}
		ops := bkOps(rec)
		if db.Dialect().Name() == "postgres" {
			if !slices.Equal(ops, []string{"copy"}) {
				t.Fatalf("30 rows above a threshold of 20 on PostgreSQL sent %v, want one COPY", ops)
			}
		} else if !slices.Equal(ops, []string{"exec"}) {
			t.Fatalf("without COPY: %v", ops)
		}
		if len(progress) == 0 || progress[len(progress)-1] != [2]int{30, 30} {
			t.Fatalf("progress = %v", progress)
		}
		got := bkAll(t, ctx, db)
		if len(got) != 30 || got[29].Name != "r000029" || got[29].Age != 29%7 || got[0].Version != 1 {
			t.Fatalf("copied rows: %d, last %+v", len(got), got[len(got)-1])
		}

		// Forced COPY: on PostgreSQL even for one row; elsewhere an error.
		_, err = orm.BulkInsert(ctx, db, bkRows(1, 100), orm.BulkCopy())
		if db.Dialect().Name() == "postgres" {
			if err != nil {
				t.Fatalf("forced COPY: %v", err)
			}
		} else if !errors.Is(err, dialect.ErrUnsupported) {
			t.Fatalf("forced COPY on %s: %v", db.Dialect().Name(), err)
		}
		if _, err := orm.BulkInsert(ctx, db, bkRows(1, 200), orm.BulkCopy(), orm.BulkReturnKeys()); !errors.Is(err, dialect.ErrUnsupported) {
			t.Fatalf("COPY with key read-back: %v", err)
		}

		// A failing COPY (duplicate name) writes nothing.
		before := len(bkAll(t, ctx, db))
		dup := bkRows(40, 1000)
		dup[39].Name = dup[0].Name
		_, err = orm.BulkInsert(ctx, db, dup, orm.BulkCopyThreshold(1))
		if !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("duplicate in COPY: %v", err)
		}
		if after := len(bkAll(t, ctx, db)); after != before {
			t.Fatalf("failed COPY left %d rows (had %d)", after, before)
		}
	})
}

func TestBulkInsertSessionAtomicity(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		s := orm.NewSession(db)
		defer s.Close()
		first := bkRows(5, 0)
		if _, err := orm.BulkInsert(ctx, s, first, orm.BulkReturnKeys()); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.ObjectState(first[0]); ok {
			t.Fatal("BulkInsert must not track objects")
		}
		// The second chunk fails: the first stays out, the objects get
		// back their zero keys and versions, the session's transaction
		// (with the first call's rows) goes on.
		bad := bkRows(6, 100)
		bad[5].Name = first[0].Name
		_, err := orm.BulkInsert(ctx, s, bad, orm.BulkReturnKeys(), orm.BulkBatchSize(3))
		if !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("duplicate: %v", err)
		}
		for i, r := range bad {
			if r.ID != 0 || r.Version != 0 {
				t.Fatalf("object %d kept key %d / version %d after a failed call", i, r.ID, r.Version)
			}
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatalf("commit after a failed bulk call: %v", err)
		}
		got := bkAll(t, ctx, db)
		if len(got) != 5 {
			t.Fatalf("%d rows committed, want the first call's 5", len(got))
		}

		// Rolled back with the session's transaction.
		if _, err := orm.BulkInsert(ctx, s, bkRows(3, 200)); err != nil {
			t.Fatal(err)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if got := len(bkAll(t, ctx, db)); got != 5 {
			t.Fatalf("%d rows after rollback, want 5", got)
		}

		// An object the session tracks is refused.
		tracked := &bkRow{Name: "tracked"}
		if err := s.Add(tracked); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.BulkInsert(ctx, s, []*bkRow{tracked}); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("tracked object: %v", err)
		}
	})
}

func TestBulkInsertHooks(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		rdb, rec := testkit.Record(db)
		objs := []*bkHooked{{Name: "a"}, {Name: "b"}}
		if _, err := orm.BulkInsert(ctx, rdb, objs); err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if o.before != 1 || o.after != 1 {
				t.Fatalf("hooks ran %d/%d times", o.before, o.after)
			}
		}
		back, err := orm.Select[bkHooked](db).All(ctx)
		if err != nil || len(back) != 2 || back[0].Stamp != "stamped" {
			t.Fatalf("BeforeInsert's change not written: %+v, %v", back, err)
		}
		rec.Reset()
		if _, err := orm.BulkInsert(ctx, rdb, []*bkHooked{{Name: "ok"}, {Name: "bad"}}); err == nil || !strings.Contains(err.Error(), "bad name") {
			t.Fatalf("failing hook: %v", err)
		}
		if rec.Count() != 0 {
			t.Fatalf("a failing BeforeInsert must stop the call before SQL:\n%s", rec.Dump())
		}
	})
}

func TestBulkUpdate(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		rows := bkRows(20, 0)
		if _, err := orm.BulkInsert(ctx, db, rows, orm.BulkReturnKeys()); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			r.Age, r.Right = 0, false // zero values must be written
			r.Name += "-u"
		}
		rdb, rec := testkit.Record(db)
		n, err := orm.BulkUpdate(ctx, rdb, rows)
		if err != nil || n != 20 {
			t.Fatalf("BulkUpdate = %d, %v", n, err)
		}
		st := rec.Statements()
		if st[0] != "BEGIN" || st[len(st)-1] != "COMMIT" || len(st) != 22 {
			t.Fatalf("want begin, 20 UPDATEs, commit; got %d statements: %v", len(st), st[:min(3, len(st))])
		}
		for _, r := range rows {
			if r.Version != 2 {
				t.Fatalf("object version = %d, want 2", r.Version)
			}
		}
		for _, r := range bkAll(t, ctx, db) {
			if r.Age != 0 || r.Right || !strings.HasSuffix(r.Name, "-u") || r.Version != 2 {
				t.Fatalf("row after update: %+v", r)
			}
		}

		// Only some columns.
		rows[0].Age, rows[0].Name = 42, "ignored"
		if _, err := orm.BulkUpdate(ctx, db, rows[:1], orm.BulkColumns("age")); err != nil {
			t.Fatal(err)
		}
		back, _ := orm.Select[bkRow](db).Where("id = ?", rows[0].ID).One(ctx)
		if back.Age != 42 || back.Name != "r000000-u" || back.Version != 3 {
			t.Fatalf("partial update: %+v", back)
		}
		rows[0].Name = "r000000-u"

		// A missing row fails the call and writes nothing.
		if _, err := orm.Select[bkRow](db).Where("id = ?", rows[5].ID).Delete(ctx); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			r.Age = 7
		}
		versions := make([]int64, len(rows))
		for i, r := range rows {
			versions[i] = r.Version
		}
		_, err = orm.BulkUpdate(ctx, db, rows)
		var missing *orm.MissingRowsError
		if !errors.Is(err, orm.ErrStaleData) || !errors.As(err, &missing) || len(missing.Keys) != 1 || fmt.Sprint(missing.Keys[0][0]) != fmt.Sprint(rows[5].ID) {
			t.Fatalf("missing row: %v", err)
		}
		for i, r := range rows {
			if r.Version != versions[i] {
				t.Fatalf("object %d's version moved to %d after a failed call", i, r.Version)
			}
		}
		if got := bkAll(t, ctx, db); got[0].Age == 7 {
			t.Fatal("a failed BulkUpdate wrote rows")
		}

		// Skipping missing rows: the others are written, the gone one reported.
		var reported [][]any
		n, err = orm.BulkUpdate(ctx, db, rows, orm.BulkSkipMissing(func(k []any) { reported = append(reported, k) }))
		if err != nil || n != 19 || len(reported) != 1 {
			t.Fatalf("skip missing: %d, %v, reported %v", n, err, reported)
		}
		for _, r := range bkAll(t, ctx, db) {
			if r.Age != 7 {
				t.Fatalf("row not updated: %+v", r)
			}
		}

		// A stale version is a missing row too.
		rows[1].Version = 1
		if _, err := orm.BulkUpdate(ctx, db, rows[1:2]); !errors.Is(err, orm.ErrStaleData) {
			t.Fatalf("stale version: %v", err)
		}

		if _, err := orm.BulkUpdate(ctx, db, rows, orm.BulkColumns("id")); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("updating a key column: %v", err)
		}
		if _, err := orm.BulkUpdate(ctx, db, rows, orm.BulkColumns("nope")); !errors.Is(err, query.ErrUnknownColumn) {
			t.Fatalf("unknown column: %v", err)
		}
		if _, err := orm.BulkUpdate(ctx, db, []*bkRow{{Name: "no key"}}); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("object without key: %v", err)
		}
	})
}

func TestBulkUpdateSession(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		seed := bkRows(2, 0)
		if _, err := orm.BulkInsert(ctx, db, seed, orm.BulkReturnKeys()); err != nil {
			t.Fatal(err)
		}
		s, rec := idSession(t, db)
		a, err := orm.Get[bkRow](ctx, s, seed[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := orm.Get[bkRow](ctx, s, seed[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		// a itself goes through BulkUpdate; b is updated through another
		// instance of its row.
		a.Age = 50
		other := *b
		other.Age = 60
		if _, err := orm.BulkUpdate(ctx, s, []*bkRow{a, &other}); err != nil {
			t.Fatal(err)
		}
		if s.IsModified(a) {
			t.Fatal("the object BulkUpdate wrote must be clean")
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if rec.Count() != 0 {
			t.Fatalf("flush after BulkUpdate sent:\n%s", rec.Dump())
		}
		if !s.IsExpired(b) {
			t.Fatal("another tracked instance of an updated row must be expired")
		}
		got, err := orm.Get[bkRow](ctx, s, seed[1].ID)
		if err != nil || got != b || b.Age != 60 || b.Version != 2 {
			t.Fatalf("reloaded b = %+v, %v", b, err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if rows := bkAll(t, ctx, db); rows[0].Age != 50 || rows[1].Age != 60 {
			t.Fatalf("committed rows: %+v %+v", rows[0], rows[1])
		}
	})
}

func TestBulkBadInput(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		var nilSession *orm.Session
		if _, err := orm.BulkInsert(ctx, nilSession, bkRows(1, 0)); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("nil session: %v", err)
		}
		if _, err := orm.BulkInsert(ctx, nil, bkRows(1, 0)); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("nil querier: %v", err)
		}
		if _, err := orm.BulkInsert(ctx, db, []*bkRow{{Name: "a"}, nil}); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("nil element: %v", err)
		}
		if _, err := orm.BulkUpdate(ctx, db, []*bkUnregistered{{ID: 1}}); !errors.Is(err, orm.ErrUnmapped) {
			t.Fatalf("unregistered: %v", err)
		}
		if _, err := orm.BulkInsert(ctx, db, []*int{new(int)}); !errors.Is(err, orm.ErrUnmapped) {
			t.Fatalf("non-struct: %v", err)
		}
		s := orm.NewSession(db)
		s.Close()
		if _, err := orm.BulkInsert(ctx, s, bkRows(1, 0)); !errors.Is(err, orm.ErrSessionClosed) {
			t.Fatalf("closed session: %v", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := orm.BulkInsert(cctx, db, bkRows(3000, 0)); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled context: %v", err)
		}
		if got := len(bkAll(t, ctx, db)); got != 0 {
			t.Fatalf("%d rows written by refused calls", got)
		}
	})
}
