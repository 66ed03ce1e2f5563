package orm_test

import (
	"bytes"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// --- State transitions (DESIGN §5.2) ---

func TestIDStateDeleteNewForgets(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		s, rec := idSession(t, db)
		n := &idHero{Name: "never", Born: idBorn}
		keyed := &idHero{ID: 77, Name: "never either", Born: idBorn}
		if err := s.AddAll(n, keyed); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(n); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(keyed); err != nil {
			t.Fatal(err)
		}
		if s.Contains(n) || s.Contains(keyed) || s.TrackedCount() != 0 || s.PendingNewCount() != 0 || s.PendingDeleteCount() != 0 {
			t.Fatalf("after Delete of new objects: TrackedCount=%d PendingNew=%d PendingDelete=%d", s.TrackedCount(), s.PendingNewCount(), s.PendingDeleteCount())
		}
		if st, ok := s.ObjectState(n); ok || st != orm.StateDetached {
			t.Fatalf("ObjectState = %v, %v; want Detached, false", st, ok)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "flush after Delete of new objects")
		if _, err := idLoad(t, ctx, db, 77); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("row 77: %v, want ErrNotFound", err)
		}
	})
}

func TestIDStateReAddUndeletes(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "A"})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(h); err != nil {
			t.Fatal(err)
		}
		if st, ok := s.ObjectState(h); !ok || st != orm.StateDeleted || s.PendingDeleteCount() != 1 {
			t.Fatalf("after Delete: %v, %v, PendingDeleteCount=%d", st, ok, s.PendingDeleteCount())
		}
		if err := s.Delete(h); err != nil || s.PendingDeleteCount() != 1 {
			t.Fatalf("second Delete: %v, PendingDeleteCount=%d", err, s.PendingDeleteCount())
		}
		if got := s.ModifiedAttributes(h); len(got) != 0 {
			t.Fatalf("ModifiedAttributes of a deleted object = %v", got)
		}
		if err := s.Add(h); err != nil {
			t.Fatal(err)
		}
		if st, ok := s.ObjectState(h); !ok || st != orm.StatePersistent || s.PendingDeleteCount() != 0 || s.PendingNewCount() != 0 {
			t.Fatalf("after re-Add: %v, %v, PendingDelete=%d PendingNew=%d", st, ok, s.PendingDeleteCount(), s.PendingNewCount())
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "flush of an undeleted object")
		if got, err := orm.Get[idHero](ctx, s, 1); err != nil || got != h {
			t.Fatalf("Get after undelete = %p, %v; want %p", got, err, h)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		idMustLoad(t, ctx, db, 1)
	})
}

func TestIDStateDeleteUntrackedWithKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 5, Name: "gone"}, &idHero{ID: 6, Name: "stays"})
		idInsertItems(t, ctx, db, idOrderItem{1, 2, 3}, idOrderItem{1, 3, 4})
		s, rec := idSession(t, db)
		h := &idHero{ID: 5}
		it := &idOrderItem{OrderID: 1, ProductID: 2}
		if err := s.Delete(h); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(it); err != nil {
			t.Fatal(err)
		}
		if st, ok := s.ObjectState(h); !ok || st != orm.StateDeleted || !s.Contains(h) || s.PendingDeleteCount() != 2 {
			t.Fatalf("after Delete of an untracked keyed object: %v, %v, PendingDeleteCount=%d", st, ok, s.PendingDeleteCount())
		}
		idWantNoSQL(t, rec, "Delete before flush")
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got := rec.SQL()
		want := []string{
			idSQL(db, `DELETE FROM "id_hero" WHERE "id" IN (?)`),
			idSQL(db, `DELETE FROM "id_order_item" WHERE ("order_id", "product_id") IN ((?, ?))`),
		}
		if len(got) != 2 || !(got[0] == want[0] && got[1] == want[1] || got[0] == want[1] && got[1] == want[0]) {
			t.Fatalf("statements %q, want %q in some order", got, want)
		}
		if st, ok := s.ObjectState(h); ok || st != orm.StateDetached || s.TrackedCount() != 0 {
			t.Fatalf("after flush: %v, %v, TrackedCount=%d", st, ok, s.TrackedCount())
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := idLoad(t, ctx, db, 5); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("row 5 after delete: %v, want ErrNotFound", err)
		}
		idMustLoad(t, ctx, db, 6)
		s2 := orm.NewSession(db)
		defer s2.Close()
		if _, err := orm.GetByPK[idOrderItem](ctx, s2, 1, 2); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("item (1,2) after delete: %v", err)
		}
		if _, err := orm.GetByPK[idOrderItem](ctx, s2, 1, 3); err != nil {
			t.Fatalf("item (1,3): %v", err)
		}
	})
}

func TestIDStateDeleteUntrackedWithoutKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		s, rec := idSession(t, db)
		h := &idHero{Name: "no key"}
		err := s.Delete(h)
		if !errors.Is(err, orm.ErrInvalidArgument) || !strings.Contains(err.Error(), "primary key") {
			t.Fatalf("Delete without a key: %v, want ErrInvalidArgument naming the missing key", err)
		}
		if s.Contains(h) || s.TrackedCount() != 0 || s.PendingDeleteCount() != 0 {
			t.Fatal("a refused Delete tracked the object")
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "refused Delete")
	})
}

func TestIDObjectState(t *testing.T) {
	want := map[orm.ObjectState]string{
		orm.StateDetached:   "Detached",
		orm.StateNew:        "New",
		orm.StatePersistent: "Persistent",
		orm.StateDeleted:    "Deleted",
		orm.StateExpired:    "Expired",
	}
	for st, s := range want {
		if st.String() != s {
			t.Errorf("%d.String() = %q, want %q", st, st.String(), s)
		}
	}
	if len(want) != 5 {
		t.Fatal("states are not distinct")
	}
	if s := orm.ObjectState(200).String(); s == "" || s == "Detached" {
		t.Errorf("unknown state prints %q", s)
	}
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "A"})
		s, _ := idSession(t, db)
		for _, obj := range []any{&idHero{ID: 1}, &idHero{}, nil, idHero{}, &idUnregistered{}} {
			if st, ok := s.ObjectState(obj); ok || st != orm.StateDetached {
				t.Fatalf("ObjectState(%#v) = %v, %v; want Detached, false", obj, st, ok)
			}
		}
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		n := &idHero{Name: "n", Born: idBorn}
		if err := s.Add(n); err != nil {
			t.Fatal(err)
		}
		check := func(obj any, want orm.ObjectState) {
			t.Helper()
			if st, ok := s.ObjectState(obj); !ok || st != want {
				t.Fatalf("ObjectState = %v, %v; want %v, true", st, ok, want)
			}
		}
		check(h, orm.StatePersistent)
		check(n, orm.StateNew)
		if err := s.Delete(h); err != nil {
			t.Fatal(err)
		}
		check(h, orm.StateDeleted)
		if err := s.Add(h); err != nil {
			t.Fatal(err)
		}
		check(h, orm.StatePersistent)
		s.Expire(h)
		check(h, orm.StateExpired)
		if st, _ := s.ObjectState(h); st.String() != "Expired" {
			t.Fatalf("String() = %q", st.String())
		}
	})
}

// --- Change tracking (DESIGN §5.3) ---

// idUpdateArgs returns the arguments of the only UPDATE recorded.
func idUpdateArgs(t *testing.T, rec *testkit.Recorder) []any {
	t.Helper()
	var out []any
	n := 0
	for _, e := range idStmts(rec) {
		if strings.HasPrefix(e.Query, "UPDATE") {
			out = e.Args
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d UPDATE statements, want 1:\n%s", n, rec.Dump())
	}
	return out
}

func TestIDTrackUpdateOneColumn(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 3, Name: "old", SecretName: "s", Age: idIntp(20), Score: 4, Active: true, Data: []byte("d")})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 3)
		if err != nil {
			t.Fatal(err)
		}
		if s.IsModified(h) || len(s.ModifiedAttributes(h)) != 0 || s.PendingDirtyCount() != 0 {
			t.Fatalf("freshly loaded object is modified: %v", s.ModifiedAttributes(h))
		}
		h.Name = "new"
		if !s.IsModified(h) {
			t.Fatal("IsModified = false after a change")
		}
		if got := s.ModifiedAttributes(h); !reflect.DeepEqual(got, []string{"name"}) {
			t.Fatalf("ModifiedAttributes = %q, want [name]", got)
		}
		if s.PendingDirtyCount() != 1 {
			t.Fatalf("PendingDirtyCount = %d, want 1", s.PendingDirtyCount())
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "name" = ? WHERE "id" = ?`))
		if args := idUpdateArgs(t, rec); !reflect.DeepEqual(args, []any{"new", int64(3)}) {
			t.Fatalf("UPDATE args = %#v, want [new 3]", args)
		}
		if s.IsModified(h) || len(s.ModifiedAttributes(h)) != 0 || s.PendingDirtyCount() != 0 {
			t.Fatalf("after flush: IsModified=%v ModifiedAttributes=%v PendingDirtyCount=%d", s.IsModified(h), s.ModifiedAttributes(h), s.PendingDirtyCount())
		}
		// A second flush has nothing to do.
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "second flush")
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		got := idMustLoad(t, ctx, db, 3)
		if got.Name != "new" || got.SecretName != "s" || *got.Age != 20 || got.Score != 4 || !got.Active || string(got.Data) != "d" {
			t.Fatalf("row after update: %+v", *got)
		}
	})
}

func TestIDTrackSameValueNoSQL(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "same", SecretName: "x", Age: idIntp(33), Score: 8, Active: true, Data: []byte{1, 2, 3}})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		// Equal values in new memory: a new string, a new pointer to an
		// equal int, a new slice with equal bytes, the same instant in
		// another location.
		h.Name = strings.Clone("sa") + "me"
		h.Age = idIntp(33)
		h.Data = bytes.Clone(h.Data)
		h.Score = 8
		h.Active = true
		h.Born = h.Born.In(time.FixedZone("UTC+5", 5*3600))
		if h.Born.Location() == time.UTC {
			t.Fatal("test setup: location not changed")
		}
		if s.IsModified(h) || len(s.ModifiedAttributes(h)) != 0 || s.PendingDirtyCount() != 0 {
			t.Fatalf("equal values count as modified: %v", s.ModifiedAttributes(h))
		}
		// Changed, then changed back: the net difference is nothing.
		h.Score = 9
		h.Score = 8
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "flush and commit of unchanged values")
	})
}

func TestIDTrackModifiedAttributesExact(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a", Score: 1, Active: false})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		h.Active = true
		h.Name = "b"
		h.Score = 2
		if got := s.ModifiedAttributes(h); !reflect.DeepEqual(got, []string{"name", "score", "active"}) {
			t.Fatalf("ModifiedAttributes = %q, want [name score active] (field order)", got)
		}
		h.Score = 1 // back to the loaded value
		if got := s.ModifiedAttributes(h); !reflect.DeepEqual(got, []string{"name", "active"}) {
			t.Fatalf("ModifiedAttributes = %q, want [name active]", got)
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "name" = ?, "active" = ? WHERE "id" = ?`))
		if args := idUpdateArgs(t, rec); !reflect.DeepEqual(args, []any{"b", true, int64(1)}) {
			t.Fatalf("args = %#v", args)
		}
		if s.IsModified(h) || s.ModifiedAttributes(h) != nil {
			t.Fatalf("after flush ModifiedAttributes = %#v", s.ModifiedAttributes(h))
		}
	})
}

func TestIDTrackPointerPointee(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a", Age: idIntp(40)}, &idHero{ID: 2, Name: "b", Age: idIntp(50)})
		// AutoFlush off: both changes go into one flush.
		s, rec := idSession(t, db, idNoAutoFlush())
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		if h.Age == nil || *h.Age != 40 {
			t.Fatalf("Age loaded as %v", h.Age)
		}
		*h.Age = 5 // through the pointee, the pointer itself is unchanged
		if got := s.ModifiedAttributes(h); !reflect.DeepEqual(got, []string{"age"}) {
			t.Fatalf("ModifiedAttributes = %q, want [age]", got)
		}
		h2, err := orm.Get[idHero](ctx, s, 2)
		if err != nil {
			t.Fatal(err)
		}
		h2.Age = nil // to NULL
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		// Two rows changing the same column: one batched UPDATE.
		then := "?"
		if db.Dialect().Name() == "postgres" {
			then = "CAST(? AS BIGINT)"
		}
		upd := idSQL(db, `UPDATE "id_hero" SET "age" = CASE WHEN "id" = ? THEN `+then+` WHEN "id" = ? THEN `+then+` ELSE "age" END WHERE "id" IN (?, ?)`)
		args := []any{int64(1), int64(5), int64(2), nil, int64(1), int64(2)}
		if db.Dialect().Features().Has(dialect.UpdateFromValues) {
			// SQLite: the rows as a VALUES list, a third of the CASE's cost.
			upd = `UPDATE "id_hero" SET "age" = "_v"."column2" FROM (VALUES (?, ?), (?, ?)) AS "_v" WHERE "id_hero"."id" = "_v"."column1"`
			args = []any{int64(1), int64(5), int64(2), nil}
		}
		idWantSQL(t, rec, upd)
		st := idStmts(rec)
		if !reflect.DeepEqual(st[0].Args, args) {
			t.Fatalf("args %#v", st[0].Args)
		}
		// The snapshot is a deep copy: a further change through the same
		// pointer is still seen.
		*h.Age = 6
		if !s.IsModified(h) {
			t.Fatal("second change through the pointee not detected")
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := idMustLoad(t, ctx, db, 1); got.Age == nil || *got.Age != 6 {
			t.Fatalf("age in the database = %v, want 6", got.Age)
		}
		if got := idMustLoad(t, ctx, db, 2); got.Age != nil {
			t.Fatalf("age in the database = %v, want NULL", *got.Age)
		}
	})
}

func TestIDTrackBytesInPlace(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a", Data: []byte("abc")})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		h.Data[0] = 'X'
		if got := s.ModifiedAttributes(h); !reflect.DeepEqual(got, []string{"data"}) {
			t.Fatalf("ModifiedAttributes = %q, want [data]", got)
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "data" = ? WHERE "id" = ?`))
		if args := idUpdateArgs(t, rec); !bytes.Equal(args[0].([]byte), []byte("Xbc")) {
			t.Fatalf("args = %#v", args)
		}
		h.Data = append(h.Data, 'd') // grows in place or not: both are changes
		if !s.IsModified(h) {
			t.Fatal("appended byte not detected")
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := idMustLoad(t, ctx, db, 1); string(got.Data) != "Xbcd" {
			t.Fatalf("data in the database = %q, want Xbcd", got.Data)
		}
	})
}

func TestIDTrackTime(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a", Born: idBorn})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Born.Equal(idBorn) {
			t.Fatalf("Born loaded as %v", h.Born)
		}
		h.Born = idBorn.In(time.FixedZone("PST", -8*3600))
		if s.IsModified(h) {
			t.Fatalf("same instant in another location counts as modified: %v", s.ModifiedAttributes(h))
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "flush of a time in another location")
		h.Born = h.Born.Add(time.Second)
		if got := s.ModifiedAttributes(h); !reflect.DeepEqual(got, []string{"born"}) {
			t.Fatalf("ModifiedAttributes = %q, want [born]", got)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "born" = ? WHERE "id" = ?`))
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := idMustLoad(t, ctx, db, 1); !got.Born.Equal(idBorn.Add(time.Second)) {
			t.Fatalf("born in the database = %v", got.Born)
		}
	})
}

func TestIDTrackZeroValuesWritten(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a", SecretName: "secret", Score: 5, Active: true})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		h.Score = 0
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "score" = ? WHERE "id" = ?`))
		if args := idUpdateArgs(t, rec); !reflect.DeepEqual(args, []any{int64(0), int64(1)}) {
			t.Fatalf("args = %#v, want [0 1]", args)
		}
		h.SecretName, h.Active = "", false
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "secret_name" = ?, "active" = ? WHERE "id" = ?`))
		if args := idUpdateArgs(t, rec); !reflect.DeepEqual(args, []any{"", false, int64(1)}) {
			t.Fatalf("args = %#v", args)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		got := idMustLoad(t, ctx, db, 1)
		if got.Score != 0 || got.SecretName != "" || got.Active || got.Name != "a" {
			t.Fatalf("row = %+v, want zero score, secret name and active", *got)
		}
	})
}

func TestIDTrackPendingDirtyCount(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a"}, &idHero{ID: 2, Name: "b"}, &idHero{ID: 3, Name: "c"})
		s, rec := idSession(t, db)
		var hs []*idHero
		for id := int64(1); id <= 3; id++ {
			h, err := orm.Get[idHero](ctx, s, id)
			if err != nil {
				t.Fatal(err)
			}
			hs = append(hs, h)
		}
		hs[0].Score = 1
		hs[2].Name = "C"
		if err := s.Add(&idHero{Name: "new", Born: idBorn}); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(hs[1]); err != nil {
			t.Fatal(err)
		}
		if s.PendingDirtyCount() != 2 || s.PendingNewCount() != 1 || s.PendingDeleteCount() != 1 || s.TrackedCount() != 4 {
			t.Fatalf("dirty=%d new=%d delete=%d tracked=%d; want 2 1 1 4", s.PendingDirtyCount(), s.PendingNewCount(), s.PendingDeleteCount(), s.TrackedCount())
		}
		if ds := s.DebugState(); !strings.Contains(ds, "dirty=score") || !strings.Contains(ds, "dirty=name") || !strings.Contains(ds, "Deleted") || !strings.Contains(ds, "New") {
			t.Fatalf("DebugState does not describe the pending work:\n%s", ds)
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(rec.SQL()); n != 4 {
			t.Fatalf("%d statements, want 1 INSERT + 2 UPDATE + 1 DELETE:\n%s", n, rec.Dump())
		}
		if s.PendingDirtyCount() != 0 || s.PendingNewCount() != 0 || s.PendingDeleteCount() != 0 || s.TrackedCount() != 3 {
			t.Fatalf("after flush dirty=%d new=%d delete=%d tracked=%d", s.PendingDirtyCount(), s.PendingNewCount(), s.PendingDeleteCount(), s.TrackedCount())
		}
	})
}

func TestIDMarkDirtyCopy(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a", SecretName: "s", Age: idIntp(7), Score: 5, Data: []byte("q")})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		// A detached copy, as from a form or a JSON body, with two changes.
		cp := *h
		cp.Age = idIntp(*h.Age)
		cp.Data = bytes.Clone(h.Data)
		cp.Name = "from copy"
		*cp.Age = 8
		rec.Reset()
		if err := s.MarkDirty(&cp); err != nil {
			t.Fatal(err)
		}
		if s.Contains(&cp) {
			t.Fatal("MarkDirty tracked the copy instead of copying into the tracked instance")
		}
		if h.Name != "from copy" || *h.Age != 8 {
			t.Fatalf("tracked instance not updated: %+v", *h)
		}
		if h.Age == cp.Age {
			t.Fatal("the tracked instance shares the copy's pointer")
		}
		if got := s.ModifiedAttributes(h); !reflect.DeepEqual(got, []string{"name", "age"}) {
			t.Fatalf("ModifiedAttributes = %q, want [name age]", got)
		}
		if s.TrackedCount() != 1 || s.PendingDirtyCount() != 1 {
			t.Fatalf("TrackedCount=%d PendingDirtyCount=%d", s.TrackedCount(), s.PendingDirtyCount())
		}
		if got, _ := orm.Get[idHero](ctx, s, 1); got != h {
			t.Fatal("Get returns another instance after MarkDirty(copy)")
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "name" = ?, "age" = ? WHERE "id" = ?`))
		if args := idUpdateArgs(t, rec); !reflect.DeepEqual(args, []any{"from copy", int64(8), int64(1)}) {
			t.Fatalf("args = %#v", args)
		}
		// MarkDirty of the tracked instance itself does nothing more.
		rec.Reset()
		if err := s.MarkDirty(h); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "MarkDirty of an unchanged tracked object")
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := idMustLoad(t, ctx, db, 1); got.Name != "from copy" || *got.Age != 8 || got.SecretName != "s" || got.Score != 5 {
			t.Fatalf("row = %+v", *got)
		}
	})
}

func TestIDMarkDirtyAttach(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a", SecretName: "s", Age: idIntp(7), Score: 5, Active: true, Data: []byte("q")})
		s, rec := idSession(t, db)
		born := idBorn.Add(time.Hour)
		h := &idHero{ID: 1, Name: "attached", SecretName: "", Score: 0, Active: false, Born: born}
		if err := s.MarkDirty(h); err != nil {
			t.Fatal(err)
		}
		if st, ok := s.ObjectState(h); !ok || st != orm.StatePersistent {
			t.Fatalf("ObjectState = %v, %v; want Persistent", st, ok)
		}
		all := []string{"name", "secret_name", "age", "score", "active", "data", "born"}
		if got := s.ModifiedAttributes(h); !reflect.DeepEqual(got, all) {
			t.Fatalf("ModifiedAttributes = %q, want every non-key column", got)
		}
		if got, err := orm.Get[idHero](ctx, s, 1); err != nil || got != h {
			t.Fatalf("Get after attach = %p, %v; want %p", got, err, h)
		}
		idWantNoSQL(t, rec, "MarkDirty and Get")
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "name" = ?, "secret_name" = ?, "age" = ?, "score" = ?, "active" = ?, "data" = ?, "born" = ? WHERE "id" = ?`))
		if s.IsModified(h) {
			t.Fatalf("modified after flush: %v", s.ModifiedAttributes(h))
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		got := idMustLoad(t, ctx, db, 1)
		if got.Name != "attached" || got.SecretName != "" || got.Age != nil || got.Score != 0 || got.Active || got.Data != nil || !got.Born.Equal(born) {
			t.Fatalf("row = %+v", *got)
		}

		// MarkDirty of an object without a key, or of a deleted one, is refused.
		if err := s.MarkDirty(&idHero{Name: "x"}); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("MarkDirty without a key: %v", err)
		}
		g, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(g); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkDirty(g); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("MarkDirty of a deleted object: %v", err)
		}
		if err := s.MarkDirty(&idHero{ID: 1, Name: "copy of deleted"}); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("MarkDirty of a copy of a deleted object: %v", err)
		}
		if g.Name == "copy of deleted" {
			t.Fatal("a refused MarkDirty copied values")
		}
	})
}

// --- Weak identity map ---

func TestIDWeakIdentityMap(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		const n = 1000
		rows := make([]*idHero, n)
		for i := range rows {
			rows[i] = &idHero{ID: int64(i + 1), Name: "h"}
		}
		idInsertHeroes(t, ctx, db, rows...)
		rows = nil

		s, rec := idSession(t, db, orm.SessionConfig{AutoBegin: true, ExpireOnCommit: false, WeakIdentityMap: true})
		var kept, dirty *idHero
		for id := int64(1); id <= n; id++ {
			h, err := orm.Get[idHero](ctx, s, id)
			if err != nil {
				t.Fatal(err)
			}
			switch id {
			case 10:
				kept = h
			case 20:
				dirty = h
			}
		}
		if got := s.TrackedCount(); got > n {
			t.Fatalf("TrackedCount = %d", got)
		}
		dirty.Name = "dirty"
		for range 3 {
			runtime.GC()
		}
		after := s.TrackedCount()
		if after >= n {
			t.Fatalf("TrackedCount = %d after GC, want < %d: clean unreferenced objects are not collectable", after, n)
		}
		if !s.Contains(kept) || !s.Contains(dirty) {
			t.Fatalf("referenced objects dropped: Contains(kept)=%v Contains(dirty)=%v", s.Contains(kept), s.Contains(dirty))
		}
		rec.Reset()
		if got, err := orm.Get[idHero](ctx, s, 10); err != nil || got != kept {
			t.Fatalf("Get of a referenced object = %p, %v; want %p", got, err, kept)
		}
		idWantNoSQL(t, rec, "Get of a referenced object")
		if s.PendingDirtyCount() != 1 {
			t.Fatalf("PendingDirtyCount = %d, want 1", s.PendingDirtyCount())
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "name" = ? WHERE "id" = ?`))
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := idMustLoad(t, ctx, db, 20); got.Name != "dirty" {
			t.Fatalf("dirty object not written: %q", got.Name)
		}
		// A collected object is simply loaded again.
		rec.Reset()
		var reloaded int
		for id := int64(1); id <= n; id++ {
			if _, err := orm.Get[idHero](ctx, s, id); err != nil {
				t.Fatal(err)
			}
		}
		reloaded = len(rec.SQL())
		if reloaded == 0 || reloaded > n-2 {
			t.Fatalf("%d reloads after GC, want between 1 and %d", reloaded, n-2)
		}
		runtime.KeepAlive(kept)
		runtime.KeepAlive(dirty)
	})
}

func TestIDStrongIdentityMapKeepsObjects(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		const n = 200
		rows := make([]*idHero, n)
		for i := range rows {
			rows[i] = &idHero{ID: int64(i + 1), Name: "h"}
		}
		idInsertHeroes(t, ctx, db, rows...)
		rows = nil
		s, rec := idSession(t, db)
		for id := int64(1); id <= n; id++ {
			if _, err := orm.Get[idHero](ctx, s, id); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			runtime.GC()
		}
		if got := s.TrackedCount(); got != n {
			t.Fatalf("TrackedCount = %d after GC, want %d with the default (strong) map", got, n)
		}
		rec.Reset()
		for id := int64(1); id <= n; id++ {
			if _, err := orm.Get[idHero](ctx, s, id); err != nil {
				t.Fatal(err)
			}
		}
		idWantNoSQL(t, rec, "Get of objects held by the strong map")
	})
}

// --- ExpireOnCommit ---

func TestIDExpireOnCommit(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a", Score: 1}, &idHero{ID: 2, Name: "b"})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		ro, err := orm.Get[idHero](ctx, s, 2)
		if err != nil {
			t.Fatal(err)
		}
		h.Score = 2
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		for _, o := range []*idHero{h, ro} {
			if st, ok := s.ObjectState(o); !ok || st != orm.StateExpired {
				t.Fatalf("hero %d after Commit: %v, %v; want Expired", o.ID, st, ok)
			}
		}
		if s.InTransaction() {
			t.Fatal("transaction still open after Commit")
		}
		// Another connection changes both rows.
		if _, err := db.SQL().ExecContext(ctx, idSQL(db, `UPDATE "id_hero" SET "name" = ?, "score" = ? WHERE "id" = ?`), "changed", 40, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, idSQL(db, `UPDATE "id_hero" SET "name" = ? WHERE "id" = ?`), "changed too", 2); err != nil {
			t.Fatal(err)
		}
		// An unflushed change to an expired object survives the reload.
		ro.Score = 77
		rec.Reset()
		got, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got != h {
			t.Fatal("Get of an expired object returned another instance")
		}
		idWantSQL(t, rec, idSQL(db, `SELECT `+idHeroColumns+` FROM "id_hero" WHERE "id" = ?`))
		if h.Name != "changed" || h.Score != 40 {
			t.Fatalf("after reload %+v, want the other connection's values", *h)
		}
		if st, _ := s.ObjectState(h); st != orm.StatePersistent || s.IsModified(h) {
			t.Fatalf("after reload: state %v, modified %v", st, s.ModifiedAttributes(h))
		}
		got2, err := orm.Get[idHero](ctx, s, 2)
		if err != nil || got2 != ro {
			t.Fatalf("Get(2) = %p, %v", got2, err)
		}
		if ro.Name != "changed too" || ro.Score != 77 {
			t.Fatalf("after reload %+v: want the new name and the unflushed score", *ro)
		}
		if got := s.ModifiedAttributes(ro); !reflect.DeepEqual(got, []string{"score"}) {
			t.Fatalf("ModifiedAttributes = %q, want [score]", got)
		}
		// A reloaded object is not reloaded again.
		rec.Reset()
		if _, err := orm.Get[idHero](ctx, s, 1); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "Get after the reload")

		// An expired object whose row was deleted meanwhile is not found,
		// and is no longer tracked.
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.ObjectState(h); st != orm.StateExpired {
			t.Fatalf("state after second Commit = %v", st)
		}
		if _, err := db.SQL().ExecContext(ctx, idSQL(db, `DELETE FROM "id_hero" WHERE "id" = ?`), 1); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		gone, err := orm.Get[idHero](ctx, s, 1)
		if gone != nil || !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("Get of an expired object deleted elsewhere = %v, %v; want ErrNotFound", gone, err)
		}
		if n := len(rec.SQL()); n != 1 {
			t.Fatalf("%d statements, want 1 SELECT", n)
		}
		if st, ok := s.ObjectState(h); ok || st != orm.StateDetached || s.Contains(h) {
			t.Fatalf("object of a vanished row: %v, %v", st, ok)
		}
	})
}

func TestIDNoExpireOnCommit(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a", Score: 1})
		cfg := orm.DefaultSessionConfig()
		cfg.ExpireOnCommit = false
		s, rec := idSession(t, db, cfg)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		h.Score = 2
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if st, ok := s.ObjectState(h); !ok || st != orm.StatePersistent {
			t.Fatalf("after Commit: %v, %v; want Persistent", st, ok)
		}
		if _, err := db.SQL().ExecContext(ctx, idSQL(db, `UPDATE "id_hero" SET "name" = ? WHERE "id" = ?`), "changed", 1); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		got, err := orm.Get[idHero](ctx, s, 1)
		if err != nil || got != h {
			t.Fatalf("Get = %p, %v", got, err)
		}
		idWantNoSQL(t, rec, "Get without ExpireOnCommit")
		if h.Name != "a" || h.Score != 2 {
			t.Fatalf("values changed without a reload: %+v", *h)
		}
	})
}

// TestIDExpireOnCommitReadOnly: a session that only read still expires its
// objects at Commit (DESIGN §5.6: ExpireOnCommit marks Persistent objects
// Expired after commit), although the commit itself sends nothing.
func TestIDExpireOnCommitReadOnly(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a"})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "Commit of a session that only read")
		st, _ := s.ObjectState(h)
		if st != orm.StateExpired {
			t.Fatalf("state after Commit of a read-only session: %v, want Expired", st)
		}
	})
}

// TestIDMarkDirtyAttachMissingRow: an attached object whose row does not
// exist fails the flush with ErrStaleData and stays as it was.
func TestIDMarkDirtyAttachMissingRow(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		s, rec := idSession(t, db)
		h := &idHero{ID: 999, Name: "ghost", Born: idBorn}
		if err := s.MarkDirty(h); err != nil {
			t.Fatal(err)
		}
		err := s.Flush(ctx)
		if !errors.Is(err, orm.ErrStaleData) || !strings.Contains(err.Error(), "id_hero") || !strings.Contains(err.Error(), "999") {
			t.Fatalf("flush of an attached object without a row = %v, want ErrStaleData naming table and key", err)
		}
		if n := len(rec.SQL()); n != 1 {
			t.Fatalf("%d statements, want the one UPDATE:\n%s", n, rec.Dump())
		}
		if st, ok := s.ObjectState(h); !ok || st != orm.StatePersistent || !s.IsModified(h) || s.PendingDirtyCount() != 1 {
			t.Fatalf("after the failed flush: %v, %v, modified %v", st, ok, s.ModifiedAttributes(h))
		}
		if err := s.Expunge(h); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "flush after Expunge")
	})
}

// TestIDTrackKeyChange: changing the primary key of a loaded object
// updates the row WHERE the old key and re-keys the identity map.
func TestIDTrackKeyChange(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "a"})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		h.ID = 100
		if got := s.ModifiedAttributes(h); !reflect.DeepEqual(got, []string{"id"}) {
			t.Fatalf("ModifiedAttributes = %q, want [id]", got)
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "id" = ? WHERE "id" = ?`))
		if args := idStmts(rec)[0].Args; !reflect.DeepEqual(args, []any{int64(100), int64(1)}) {
			t.Fatalf("args = %#v", args)
		}
		rec.Reset()
		if got, err := orm.Get[idHero](ctx, s, 100); err != nil || got != h {
			t.Fatalf("Get(100) = %p, %v; want %p", got, err, h)
		}
		idWantNoSQL(t, rec, "Get by the new key")
		if got, err := orm.Get[idHero](ctx, s, 1); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("Get(1) = %v, %v; want ErrNotFound (old key)", got, err)
		}
		if s.TrackedCount() != 1 {
			t.Fatalf("TrackedCount = %d", s.TrackedCount())
		}
	})
}
