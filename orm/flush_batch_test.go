package orm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

type flItem struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func (flItem) TableName() string { return "fl_item" }

// flWide has 40 written columns (the key is generated), so that SQLite's
// bind limit of 32766 allows 819 rows per INSERT, fewer than 1,000.
type flWide struct {
	ID  int64 `sqlmodel:"pk"`
	C00 int64
	C01 int64
	C02 int64
	C03 int64
	C04 int64
	C05 int64
	C06 int64
	C07 int64
	C08 int64
	C09 int64
	C10 int64
	C11 int64
	C12 int64
	C13 int64
	C14 int64
	C15 int64
	C16 int64
	C17 int64
	C18 int64
	C19 int64
	C20 int64
	C21 int64
	C22 int64
	C23 int64
	C24 int64
	C25 int64
	C26 int64
	C27 int64
	C28 int64
	C29 int64
	C30 int64
	C31 int64
	C32 int64
	C33 int64
	C34 int64
	C35 int64
	C36 int64
	C37 int64
	C38 int64
	C39 int64
}

func (flWide) TableName() string { return "fl_wide" }

// flDefault has server defaults, applied when the pointer field is nil.
type flDefault struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	Level   *int       `sqlmodel:"default=7"`
	Created *time.Time `sqlmodel:"default=CURRENT_TIMESTAMP"`
}

func (flDefault) TableName() string { return "fl_default" }

// flInserts returns the recorded INSERT events into table.
func flInserts(rec *testkit.Recorder, table string) []orm.QueryEvent {
	var out []orm.QueryEvent
	for _, e := range flData(rec) {
		if flKind(e.Query) == "INSERT "+table {
			out = append(out, e)
		}
	}
	return out
}

// flRowsPer returns the number of rows each event carries, given the
// number of bound values per row.
func flRowsPer(evs []orm.QueryEvent, perRow int) []int {
	out := make([]int, len(evs))
	for i, e := range evs {
		out[i] = len(e.Args) / perRow
	}
	return out
}

func flInts(t *testing.T, what string, got, want []int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// flCheckItems verifies that items got distinct keys ascending in add order
// and that the table holds exactly them.
func flCheckItems(t *testing.T, db *orm.DB, items []*flItem) {
	t.Helper()
	want := make([]string, len(items))
	for i, it := range items {
		if it.ID == 0 {
			t.Fatalf("item %d has no key", i)
		}
		if i > 0 && it.ID <= items[i-1].ID {
			t.Fatalf("keys not ascending in add order: item %d = %d, item %d = %d", i-1, items[i-1].ID, i, it.ID)
		}
		want[i] = fmt.Sprintf("%d|%s", it.ID, it.Name)
	}
	flEqual(t, "fl_item rows", flDump(t, db, "fl_item", "id", "name"), want)
}

// 2,500 new rows go as three multi-row INSERTs (1,000 + 1,000 + 500), keys
// ascending in add order; deleting them all sends three DELETE ... IN.
func TestFlushBatchInsertAndDelete2500(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flItem{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		items := make([]*flItem, 2500)
		for i := range items {
			items[i] = &flItem{Name: fmt.Sprintf("item-%04d", i)}
			flOK(t, s.Add(items[i]), "Add")
		}
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "statements", flKinds(rec), []string{"INSERT fl_item", "INSERT fl_item", "INSERT fl_item"})
		ins := flInserts(rec, "fl_item")
		flInts(t, "rows per INSERT", flRowsPer(ins, 1), []int{1000, 1000, 500})
		for _, e := range ins {
			if len(e.Args) > db.Dialect().MaxBindParams() {
				t.Fatalf("INSERT with %d parameters over the bind limit %d", len(e.Args), db.Dialect().MaxBindParams())
			}
			if strings.Count(e.Query, "(")-1 != len(e.Args) {
				t.Fatalf("INSERT is not one multi-row statement with %d tuples: %.120s…", len(e.Args), e.Query)
			}
		}
		flCheckItems(t, db, items)
		if n := s.PendingNewCount(); n != 0 {
			t.Fatalf("PendingNewCount = %d after commit", n)
		}
		// The identity map knows the new keys.
		got, err := orm.Get[flItem](ctx, s, items[1234].ID)
		flOK(t, err, "Get")
		if got != items[1234] {
			t.Fatal("Get by a generated key returned another instance")
		}

		rec.Reset()
		for _, it := range items {
			flOK(t, s.Delete(it), "Delete")
		}
		if n := s.PendingDeleteCount(); n != 2500 {
			t.Fatalf("PendingDeleteCount = %d", n)
		}
		flOK(t, s.Commit(ctx), "Commit deletes")
		flEqual(t, "delete statements", flKinds(rec), []string{"DELETE fl_item", "DELETE fl_item", "DELETE fl_item"})
		var per []int
		for _, e := range flData(rec) {
			if !strings.Contains(e.Query, " IN (") {
				t.Fatalf("DELETE without IN: %.100s", e.Query)
			}
			per = append(per, len(e.Args))
		}
		flInts(t, "keys per DELETE", per, []int{1000, 1000, 500})
		if n := flCount(t, db, "fl_item"); n != 0 {
			t.Fatalf("%d rows left", n)
		}
		flState(t, s, items[0], orm.StateDetached, false, "deleted item")
	})
}

// With 40 written columns the bind limit decides the chunk size where it
// allows fewer than 1,000 rows (SQLite: 32766/40 = 819).
func TestFlushBatchWideTableBindLimit(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flWide{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		const n, cols = 2000, 40
		rows := make([]*flWide, n)
		for i := range rows {
			rows[i] = &flWide{C00: int64(i), C39: int64(-i)}
			flOK(t, s.Add(rows[i]), "Add")
		}
		flOK(t, s.Commit(ctx), "Commit")
		per := min(1000, db.Dialect().MaxBindParams()/cols)
		if db.Dialect().Name() == "sqlite" && per != 819 {
			t.Fatalf("SQLite chunk should be 819 rows, computed %d", per)
		}
		var want []int
		for left := n; left > 0; left -= per {
			want = append(want, min(per, left))
		}
		ins := flInserts(rec, "fl_wide")
		flInts(t, "rows per INSERT", flRowsPer(ins, cols), want)
		for _, e := range ins {
			if len(e.Args) > db.Dialect().MaxBindParams() || len(e.Args)%cols != 0 {
				t.Fatalf("INSERT with %d parameters (limit %d)", len(e.Args), db.Dialect().MaxBindParams())
			}
		}
		exp := make([]string, n)
		for i, r := range rows {
			if i > 0 && r.ID <= rows[i-1].ID {
				t.Fatalf("keys not ascending at %d", i)
			}
			exp[i] = fmt.Sprintf("%d|%d|%d", r.ID, i, -i)
		}
		flEqual(t, "fl_wide", flDump(t, db, "fl_wide", "id", "c00", "c39"), exp)
	})
}

// On MySQL proper (no RETURNING) a multi-row INSERT gets its keys from
// LastInsertId: consecutive from the first, by auto_increment_increment.
// The servers here are MariaDB, so the test opens the MySQL dialect on the
// same pool. Server defaults are read back with a follow-up SELECT.
func TestFlushBatchMySQLLastInsertID(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		if db.Dialect().Name() != "mysql" {
			t.Skip("the LastInsertId path is MySQL's")
		}
		ctx := flCtx(t)
		mdb, err := orm.OpenDB(db.SQL(), "mysql")
		flOK(t, err, "OpenDB mysql")
		if mdb.Dialect().Features().Has(dialect.InsertReturning) || !mdb.Dialect().Features().Has(dialect.LastInsertID) {
			t.Fatalf("OpenDB(…, \"mysql\") gave %s with %v; want the MySQL dialect without RETURNING", mdb.Dialect().Flavor(), mdb.Dialect().Features())
		}
		flCreate(t, mdb, &flItem{}, &flDefault{})
		var step int64
		flOK(t, db.SQL().QueryRowContext(ctx, "SELECT @@auto_increment_increment").Scan(&step), "step")
		// Move the counter so that keys do not start at 1.
		flExec(t, db, "INSERT INTO fl_item (id, name) VALUES (?, ?)", 40, "seed")
		rdb, rec := testkit.Record(mdb)
		s := orm.NewSession(rdb)
		defer s.Close()
		items := make([]*flItem, 2500)
		for i := range items {
			items[i] = &flItem{Name: fmt.Sprintf("item-%04d", i)}
			flOK(t, s.Add(items[i]), "Add")
		}
		flOK(t, s.Commit(ctx), "Commit")
		for _, e := range flData(rec) {
			if strings.Contains(e.Query, "RETURNING") {
				t.Fatalf("RETURNING on the MySQL dialect: %.100s", e.Query)
			}
		}
		flEqual(t, "writes", flWrites(rec), []string{"INSERT fl_item", "INSERT fl_item", "INSERT fl_item"})
		flInts(t, "rows per INSERT", flRowsPer(flInserts(rec, "fl_item"), 1), []int{1000, 1000, 500})
		if items[0].ID <= 40 {
			t.Fatalf("first key %d, want > 40", items[0].ID)
		}
		for i := 1; i < len(items); i++ {
			if items[i].ID != items[i-1].ID+step {
				t.Fatalf("keys not consecutive: item %d = %d, item %d = %d (step %d)", i-1, items[i-1].ID, i, items[i].ID, step)
			}
		}
		all := append([]*flItem{{ID: 40, Name: "seed"}}, items...)
		flCheckItems(t, db, all)

		// Server defaults come back through a SELECT after the INSERT.
		rec.Reset()
		lvl := 3
		ds := []*flDefault{{Name: "a"}, {Name: "b"}, {Name: "c", Level: &lvl}}
		for _, d := range ds {
			flOK(t, s.Add(d), "Add default")
		}
		flOK(t, s.Flush(ctx), "Flush defaults")
		k := flKinds(rec)
		if flIndex(k, "SELECT") < 0 {
			t.Fatalf("no read-back SELECT: %q", k)
		}
		flCheckDefaults(t, s, ds)
		flOK(t, s.Commit(ctx), "Commit defaults")
		flCheckDefaultRows(t, db, ds)
	})
}

func flCheckDefaults(t *testing.T, s *orm.Session, ds []*flDefault) {
	t.Helper()
	for i, d := range ds {
		if d.ID == 0 || d.Level == nil || d.Created == nil {
			t.Fatalf("row %d: defaults not read back: id %d level %v created %v", i, d.ID, d.Level, d.Created)
		}
		if time.Since(*d.Created) > 24*time.Hour || time.Until(*d.Created) > 24*time.Hour {
			t.Fatalf("row %d: created %v is not now", i, *d.Created)
		}
		if s.IsModified(d) {
			t.Fatalf("row %d modified after flush: %v", i, s.ModifiedAttributes(d))
		}
	}
	if *ds[0].Level != 7 || *ds[1].Level != 7 || *ds[2].Level != 3 {
		t.Fatalf("levels %d %d %d, want 7 7 3", *ds[0].Level, *ds[1].Level, *ds[2].Level)
	}
}

func flCheckDefaultRows(t *testing.T, db *orm.DB, ds []*flDefault) {
	t.Helper()
	var want []string
	for _, d := range ds {
		want = append(want, fmt.Sprintf("%d|%s|%d", d.ID, d.Name, *d.Level))
	}
	flEqual(t, "fl_default", flDump(t, db, "fl_default", "id", "name", "level"), want)
	var nulls int
	err := db.SQL().QueryRowContext(flCtx(t), "SELECT COUNT(*) FROM "+db.Dialect().Quote("fl_default")+" WHERE "+db.Dialect().Quote("created")+" IS NULL").Scan(&nulls)
	flOK(t, err, "count nulls")
	if nulls != 0 {
		t.Fatalf("%d rows without created", nulls)
	}
}

// A nil pointer with a server default gets the database's value, read back
// into the struct; an explicit value is written as given.
func TestFlushBatchServerDefaultsReadBack(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flDefault{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		lvl := 3
		ds := []*flDefault{{Name: "a"}, {Name: "b"}, {Name: "c", Level: &lvl}}
		for _, d := range ds {
			flOK(t, s.Add(d), "Add")
		}
		flOK(t, s.Flush(ctx), "Flush")
		// Two column sets: the rows relying on defaults share one INSERT.
		flInts(t, "INSERT statements", []int{len(flInserts(rec, "fl_default"))}, []int{2})
		flCheckDefaults(t, s, ds)
		if n := s.PendingDirtyCount(); n != 0 {
			t.Fatalf("PendingDirtyCount = %d after flush", n)
		}
		flOK(t, s.Commit(ctx), "Commit")
		flCheckDefaultRows(t, db, ds)
	})
}

// An explicit key on an autoincrement column is written as given, and later
// generated keys do not collide with it (PostgreSQL: the sequence moved).
func TestFlushBatchExplicitKeyHonoured(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flItem{})
		s := orm.NewSession(db)
		defer s.Close()
		five := &flItem{ID: 5, Name: "five"}
		flOK(t, s.Add(five), "Add explicit")
		flOK(t, s.Commit(ctx), "Commit explicit")
		if five.ID != 5 {
			t.Fatalf("explicit key changed to %d", five.ID)
		}
		var gen []*flItem
		for i := range 7 {
			it := &flItem{Name: fmt.Sprintf("gen-%d", i)}
			gen = append(gen, it)
			flOK(t, s.Add(it), "Add generated")
		}
		err := s.Commit(ctx)
		if errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("generated key collided with the explicit one: %v", err)
		}
		flOK(t, err, "Commit generated")
		for _, it := range gen {
			if it.ID <= 5 {
				t.Fatalf("generated key %d not past the explicit key 5", it.ID)
			}
		}
		// Explicit and generated keys in one flush.
		big := &flItem{ID: 100000, Name: "big"}
		after := &flItem{Name: "after"}
		flOK(t, s.AddAll(big, after), "AddAll")
		flOK(t, s.Commit(ctx), "Commit mixed")
		if big.ID != 100000 || after.ID <= 100000 {
			t.Fatalf("big %d, after %d; want 100000 and a key past it", big.ID, after.ID)
		}
		flCheckItems(t, db, append(append([]*flItem{five}, gen...), big, after))
	})
}

// PostgreSQL moves the sequence past explicit keys, but never back: here
// another transaction holds keys 11-13 (uncommitted) when an explicit 5 is
// inserted; later generated keys must not reuse 11-13. MySQL's
// auto_increment only grows; SQLite allows one writer at a time, so the
// interleaving cannot happen there.
func TestFlushBatchExplicitKeyKeepsSequenceForward(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		if db.Dialect().Name() == "sqlite" {
			t.Skip("needs two concurrent writers")
		}
		ctx := flCtx(t)
		flCreate(t, db, &flItem{})
		s0 := orm.NewSession(db)
		defer s0.Close()
		for range 10 {
			flOK(t, s0.Add(&flItem{Name: "old"}), "Add")
		}
		flOK(t, s0.Commit(ctx), "Commit old")
		flExec(t, db, "DELETE FROM fl_item")

		holder := orm.NewSession(db)
		defer holder.Close()
		var held []*flItem
		for range 3 {
			it := &flItem{Name: "held"}
			held = append(held, it)
			flOK(t, holder.Add(it), "Add held")
		}
		flOK(t, holder.Flush(ctx), "Flush held (transaction stays open)")

		explicit := orm.NewSession(db)
		defer explicit.Close()
		flOK(t, explicit.Add(&flItem{ID: 5, Name: "explicit"}), "Add explicit")
		flOK(t, explicit.Commit(ctx), "Commit explicit")
		flOK(t, holder.Commit(ctx), "Commit held")

		later := orm.NewSession(db)
		defer later.Close()
		var gen []*flItem
		for range 10 {
			it := &flItem{Name: "later"}
			gen = append(gen, it)
			flOK(t, later.Add(it), "Add later")
		}
		if err := later.Commit(ctx); err != nil {
			t.Fatalf("generated keys collided with keys held by another transaction: %v", err)
		}
		for _, it := range gen {
			if it.ID <= held[2].ID {
				t.Fatalf("generated key %d not past the held keys %d-%d", it.ID, held[0].ID, held[2].ID)
			}
		}
		if n := flCount(t, db, "fl_item"); n != 14 {
			t.Fatalf("%d rows, want 14", n)
		}
	})
}

// Rows of one table keep add order even when their column sets differ
// (here: a server default used or not): consecutive rows with the same
// columns share a statement, and generated keys grow in add order.
func TestFlushBatchMixedColumnSetsKeepAddOrder(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flDefault{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		three := 3
		ds := []*flDefault{{Name: "a"}, {Name: "b"}, {Name: "c", Level: &three}, {Name: "d"}, {Name: "e"}}
		for _, d := range ds {
			flOK(t, s.Add(d), "Add")
		}
		flOK(t, s.Commit(ctx), "Commit")
		// Rows per statement: a+b, c, d+e.
		var per []int
		for _, e := range flInserts(rec, "fl_default") {
			per = append(per, strings.Count(e.Query[strings.Index(e.Query, " VALUES "):], "("))
		}
		flInts(t, "rows per INSERT", per, []int{2, 1, 2})
		for i := 1; i < len(ds); i++ {
			if ds[i].ID <= ds[i-1].ID {
				t.Fatalf("keys not in add order: %s=%d, %s=%d", ds[i-1].Name, ds[i-1].ID, ds[i].Name, ds[i].ID)
			}
		}
		flCheckDefaultRows(t, db, ds)
		if *ds[2].Level != 3 || *ds[3].Level != 7 {
			t.Fatalf("levels: c %d d %d", *ds[2].Level, *ds[3].Level)
		}
	})
}
