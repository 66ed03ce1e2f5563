package orm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Optimistic locking with a version column (DESIGN §5 item 12, issue 4).

type lcVer struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	Note    string
	Version int `sqlmodel:"version"`
}

func (lcVer) TableName() string { return "lc_ver" }

var lcVerCols = []string{"id", "name", "note", "version"}

func lcVerRow(id int64, name, note string, version int) string {
	return fmt.Sprintf("%d|%s|%s|%d", id, name, note, version)
}

// lcVerSetup creates lc_ver with one committed row and returns its key.
func lcVerSetup(t *testing.T, db *orm.DB) int64 {
	t.Helper()
	ctx := flCtx(t)
	flCreate(t, db, &lcVer{})
	rdb, rec := testkit.Record(db)
	s := orm.NewSession(rdb)
	defer s.Close()
	v := &lcVer{Name: "orig", Note: "n"}
	flOK(t, s.Add(v), "Add")
	flOK(t, s.Commit(ctx), "Commit")
	if v.Version != 1 {
		t.Fatalf("version after insert = %d, want 1", v.Version)
	}
	ins := flData(rec)
	if len(ins) == 0 || flKind(ins[0].Query) != "INSERT lc_ver" || !strings.Contains(ins[0].Query, db.Dialect().Quote("version")) {
		t.Fatalf("insert statements:\n%s", rec.Dump())
	}
	flEqual(t, "after insert", flDump(t, db, "lc_ver", lcVerCols...), []string{lcVerRow(v.ID, "orig", "n", 1)})
	return v.ID
}

// Two sessions load the same row and both change it; the first commit
// wins (version 2), the second fails with ErrStaleData and leaves the row
// with the first's values and its own session as before the commit.
// After a Refresh (which keeps its unflushed change) it can commit.
func TestLcVersionConflict(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		id := lcVerSetup(t, db)
		rdb, rec := testkit.Record(db)
		s1 := orm.NewSession(db)
		defer s1.Close()
		s2 := orm.NewSession(rdb)
		defer s2.Close()
		v1, err := orm.Get[lcVer](ctx, s1, id)
		flOK(t, err, "s1 Get")
		v2, err := orm.Get[lcVer](ctx, s2, id)
		flOK(t, err, "s2 Get")
		v1.Name = "first"
		v2.Name = "second"

		flOK(t, s1.Commit(ctx), "s1 Commit")
		if v1.Version != 2 {
			t.Fatalf("s1 version after update = %d, want 2", v1.Version)
		}
		flEqual(t, "after the first commit", flDump(t, db, "lc_ver", lcVerCols...), []string{lcVerRow(id, "first", "n", 2)})

		before := *v2
		rec.Reset()
		err = s2.Commit(ctx)
		if !errors.Is(err, orm.ErrStaleData) {
			t.Fatalf("second Commit = %v, want ErrStaleData", err)
		}
		var fe *orm.FlushError
		if !errors.As(err, &fe) || fe.Op != "update" || fe.Table != "lc_ver" {
			t.Fatalf("error %v: want a *FlushError for update lc_ver", err)
		}
		upd := ""
		for _, e := range flData(rec) {
			if flKind(e.Query) == "UPDATE lc_ver" {
				upd = e.Query
			}
		}
		if want := lcStmt(db, "UPDATE {lc_ver} SET {name} = ?, {version} = ? WHERE {id} = ? AND {version} = ?"); upd != want {
			t.Fatalf("stale UPDATE %q, want %q", upd, want)
		}
		flEqual(t, "after the stale commit", flDump(t, db, "lc_ver", lcVerCols...), []string{lcVerRow(id, "first", "n", 2)})
		if *v2 != before {
			t.Fatalf("failed commit changed the object: %+v, want %+v", *v2, before)
		}
		flState(t, s2, v2, orm.StatePersistent, true, "stale object")
		lcAttrs(t, "stale object modified", s2.ModifiedAttributes(v2), []string{"name"})
		if s2.InTransaction() {
			t.Fatal("transaction left open after the failed commit")
		}

		// Refresh takes the row's version and keeps the change (without
		// AutoFlush, which would send the stale UPDATE again first).
		var err2 error
		s2.NoAutoFlush(func() { err2 = orm.Refresh(ctx, s2, v2) })
		flOK(t, err2, "Refresh")
		if v2.Name != "second" || v2.Version != 2 {
			t.Fatalf("after Refresh %+v: want name second, version 2", *v2)
		}
		flOK(t, s2.Commit(ctx), "Commit after Refresh")
		flEqual(t, "after the retry", flDump(t, db, "lc_ver", lcVerCols...), []string{lcVerRow(id, "second", "n", 3)})
	})
}

// Every UPDATE increments the version, even when only another column
// changed; a DELETE checks it too: a stale one fails with ErrStaleData,
// the row stays, the object stays Deleted (pending).
func TestLcVersionDelete(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		id := lcVerSetup(t, db)
		rdb, rec := testkit.Record(db)
		s1 := orm.NewSession(rdb)
		defer s1.Close()
		s2 := orm.NewSession(db)
		defer s2.Close()
		v1, err := orm.Get[lcVer](ctx, s1, id)
		flOK(t, err, "s1 Get")
		v2, err := orm.Get[lcVer](ctx, s2, id)
		flOK(t, err, "s2 Get")
		v2.Note = "changed"
		flOK(t, s2.Commit(ctx), "s2 Commit")
		flEqual(t, "after s2", flDump(t, db, "lc_ver", lcVerCols...), []string{lcVerRow(id, "orig", "changed", 2)})

		flOK(t, s1.Delete(v1), "Delete")
		rec.Reset()
		err = s1.Commit(ctx)
		if !errors.Is(err, orm.ErrStaleData) {
			t.Fatalf("stale DELETE: Commit = %v, want ErrStaleData", err)
		}
		var fe *orm.FlushError
		if !errors.As(err, &fe) || fe.Op != "delete" || fe.Table != "lc_ver" {
			t.Fatalf("error %v: want a *FlushError for delete lc_ver", err)
		}
		del := ""
		for _, e := range flData(rec) {
			if flKind(e.Query) == "DELETE lc_ver" {
				del = e.Query
				if fmt.Sprint(e.Args) != fmt.Sprintf("[%d 1]", id) {
					t.Fatalf("DELETE args %v, want the key and the stale version 1", e.Args)
				}
			}
		}
		if !strings.Contains(del, db.Dialect().Quote("version")) {
			t.Fatalf("DELETE %q does not check the version", del)
		}
		flEqual(t, "after the stale delete", flDump(t, db, "lc_ver", lcVerCols...), []string{lcVerRow(id, "orig", "changed", 2)})
		flState(t, s1, v1, orm.StateDeleted, true, "stale deleted object")
		if s1.PendingDeleteCount() != 1 {
			t.Fatalf("PendingDeleteCount = %d", s1.PendingDeleteCount())
		}

		// With the current version the delete goes through.
		v2b, err := orm.Get[lcVer](ctx, s2, id)
		flOK(t, err, "s2 Get")
		if v2b.Version != 2 {
			t.Fatalf("version %d, want 2", v2b.Version)
		}
		flOK(t, s2.Delete(v2b), "Delete current")
		flOK(t, s2.Commit(ctx), "Commit delete")
		if n := flCount(t, db, "lc_ver"); n != 0 {
			t.Fatalf("%d rows after the delete", n)
		}
	})
}
