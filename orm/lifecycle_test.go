package orm_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Expire, Refresh, Merge and AutoFlush (DESIGN §5 items 6 and 9, issue 4).

type lcHero struct {
	ID    int64 `sqlmodel:"pk"`
	Name  string
	Power string
	Age   int
}

func (lcHero) TableName() string { return "lc_hero" }

var lcHeroCols = []string{"id", "name", "power", "age"}

// lcHeroSetup creates lc_hero and commits the given rows through a session
// of its own, returning their keys in order.
func lcHeroSetup(t *testing.T, db *orm.DB, rows ...lcHero) []int64 {
	t.Helper()
	flCreate(t, db, &lcHero{})
	s := orm.NewSession(db)
	defer s.Close()
	objs := make([]*lcHero, len(rows))
	for i := range rows {
		objs[i] = &rows[i]
		flOK(t, s.Add(objs[i]), "setup Add")
	}
	flOK(t, s.Commit(flCtx(t)), "setup Commit")
	ids := make([]int64, len(objs))
	for i, o := range objs {
		ids[i] = o.ID
	}
	return ids
}

// lcRow formats one lc_hero row as flDump does.
func lcRow(id int64, name, power string, age int) string {
	return fmt.Sprintf("%d|%s|%s|%d", id, name, power, age)
}

// lcStmt renders a statement written with {ident} for quoted identifiers
// and '?' for placeholders in the dialect of db.
func lcStmt(db *orm.DB, q string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(q, '{')
		if i < 0 {
			b.WriteString(q)
			break
		}
		j := strings.IndexByte(q[i:], '}')
		b.WriteString(q[:i])
		b.WriteString(db.Dialect().Quote(q[i+1 : i+j]))
		q = q[i+j+1:]
	}
	return flQ(db, b.String())
}

// lcExec changes rows behind the session's back, through the DB (not the
// session), with '?' placeholders.
func lcExec(t *testing.T, db *orm.DB, q string, args ...any) {
	t.Helper()
	res, err := db.ExecContext(flCtx(t), flQ(db, q), args...)
	flOK(t, err, q)
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		t.Fatalf("%s: %d rows affected, want 1", q, n)
	}
}

// lcOps is flOps without the bookkeeping reads some dialects add to a
// flush (MySQL's auto_increment_increment, PostgreSQL's sequence move
// after explicit keys).
func lcOps(rec *testkit.Recorder) []string {
	var out []string
	for _, e := range rec.Events() {
		if strings.Contains(e.Query, "@@auto_increment_increment") || strings.Contains(e.Query, "setval(") {
			continue
		}
		if e.Op == "exec" || e.Op == "query" {
			out = append(out, flKind(e.Query))
		} else {
			out = append(out, e.Op)
		}
	}
	return out
}

// lcOneStmt checks that exactly one data statement was sent (transaction
// control aside) and returns it.
func lcOneStmt(t *testing.T, rec *testkit.Recorder, what string) orm.QueryEvent {
	t.Helper()
	evs := flData(rec)
	if len(evs) != 1 {
		t.Fatalf("%s: %d statements, want exactly one:\n%s", what, len(evs), rec.Dump())
	}
	return evs[0]
}

func lcAttrs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

// ---- expire ----

// Expire then Get: one SELECT, the same pointer, the values the row holds
// now (changed meanwhile by raw SQL).
func TestLcExpireThenGetReloads(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "Deadpond", Power: "regen", Age: 30})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		h, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		lcExec(t, db, "UPDATE lc_hero SET name = ?, power = ?, age = ? WHERE id = ?", "Deadpool", "healing", 31, ids[0])

		// Not expired: the identity map answers, with the old values.
		rec.Reset()
		g, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get tracked")
		if g != h || rec.Count() != 0 || h.Name != "Deadpond" {
			t.Fatalf("tracked Get: same %v, %d statements, name %q", g == h, rec.Count(), h.Name)
		}

		s.Expire(h)
		flState(t, s, h, orm.StateExpired, true, "after Expire")
		if !s.IsExpired(h) {
			t.Fatal("IsExpired = false after Expire")
		}
		lcAttrs(t, "ExpiredAttributes", s.ExpiredAttributes(h), lcHeroCols)
		if rec.Count() != 0 {
			t.Fatalf("Expire sent SQL:\n%s", rec.Dump())
		}

		g, err = orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get expired")
		ev := lcOneStmt(t, rec, "Get of an expired object")
		if want := lcStmt(db, "SELECT {id}, {name}, {power}, {age} FROM {lc_hero} WHERE {id} = ?"); ev.Query != want {
			t.Fatalf("reload statement %q, want %q", ev.Query, want)
		}
		if g != h {
			t.Fatal("Get of an expired object returned another instance")
		}
		if *h != (lcHero{ID: ids[0], Name: "Deadpool", Power: "healing", Age: 31}) {
			t.Fatalf("reloaded %+v, want the row's current values", *h)
		}
		flState(t, s, h, orm.StatePersistent, true, "after reload")
		if s.IsExpired(h) || s.ExpiredAttributes(h) != nil || s.IsModified(h) {
			t.Fatalf("after reload: expired %v attrs %q modified %v", s.IsExpired(h), s.ExpiredAttributes(h), s.IsModified(h))
		}
		// Reloaded means clean: the next Get is the identity map again.
		rec.Reset()
		if g, err := orm.Get[lcHero](ctx, s, ids[0]); err != nil || g != h || rec.Count() != 0 {
			t.Fatalf("Get after reload: %v, same %v, %d statements", err, g == h, rec.Count())
		}
		// And a commit with nothing changed writes nothing.
		flOK(t, s.Commit(ctx), "Commit")
		if n := len(flData(rec)); n != 0 {
			t.Fatalf("Commit after a reload wrote:\n%s", rec.Dump())
		}
	})
}

// A partial expire marks only the named columns (column or Go field
// names); the other columns keep their in-memory values through the
// reload, which reads only the expired columns.
func TestLcPartialExpire(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "Rusty", Power: "hammer", Age: 40})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		h, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		lcExec(t, db, "UPDATE lc_hero SET name = ?, power = ?, age = ? WHERE id = ?", "Rusty-Man", "nails", 41, ids[0])

		s.Expire(h, "name")
		flState(t, s, h, orm.StateExpired, true, "after partial Expire")
		if !s.IsExpired(h) {
			t.Fatal("IsExpired = false after a partial Expire")
		}
		lcAttrs(t, "ExpiredAttributes", s.ExpiredAttributes(h), []string{"name"})

		rec.Reset()
		g, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		ev := lcOneStmt(t, rec, "partial reload")
		if g != h {
			t.Fatal("Get returned another instance")
		}
		// Only name is reloaded: power and age keep what the object held.
		if *h != (lcHero{ID: ids[0], Name: "Rusty-Man", Power: "hammer", Age: 40}) {
			t.Fatalf("after partial reload %+v: want the new name and the old power and age", *h)
		}
		if s.IsExpired(h) || s.ExpiredAttributes(h) != nil || s.IsModified(h) {
			t.Fatalf("after partial reload: expired %v attrs %q modified %v %q", s.IsExpired(h), s.ExpiredAttributes(h), s.IsModified(h), s.ModifiedAttributes(h))
		}
		want := lcStmt(db, "SELECT {name} FROM {lc_hero} WHERE {id} = ?")
		if full := lcStmt(db, "SELECT {id}, {name}, {power}, {age} FROM {lc_hero} WHERE {id} = ?"); ev.Query == full {
			t.Fatal("orm/session/get.go: Get of a partially expired object reloads it with Session.reload, " +
				"which SELECTs every column, instead of reloadExpired (lifecycle.go), which SELECTs only the expired ones " +
				"(and runs AfterLoad); got " + ev.Query + ", want " + want)
		}
		if ev.Query != want {
			t.Fatalf("partial reload statement %q, want %q", ev.Query, want)
		}
	})
}

// ExpiredAttributes and IsExpired report exactly what was expired, in
// field order, accumulating partial expiries until a full one or a reload.
func TestLcExpiredAttributesExact(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "a", Power: "p", Age: 1})
		s := orm.NewSession(db)
		defer s.Close()
		h, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		if s.IsExpired(h) || s.ExpiredAttributes(h) != nil {
			t.Fatalf("loaded object: expired %v attrs %q", s.IsExpired(h), s.ExpiredAttributes(h))
		}
		s.Expire(h, "Age") // Go field name
		lcAttrs(t, "after Expire(Age)", s.ExpiredAttributes(h), []string{"age"})
		s.Expire(h, "name", "no_such_column")
		lcAttrs(t, "after Expire(name, unknown)", s.ExpiredAttributes(h), []string{"name", "age"})
		if !s.IsExpired(h) {
			t.Fatal("IsExpired = false")
		}
		s.Expire(h)
		lcAttrs(t, "after Expire()", s.ExpiredAttributes(h), lcHeroCols)
		// A partial expire of a wholly expired object leaves it wholly expired.
		s.Expire(h, "power")
		lcAttrs(t, "after Expire(power) of an expired object", s.ExpiredAttributes(h), lcHeroCols)
		_, err = orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "reload")
		if s.IsExpired(h) || s.ExpiredAttributes(h) != nil {
			t.Fatalf("reloaded object: expired %v attrs %q", s.IsExpired(h), s.ExpiredAttributes(h))
		}
		s.ExpireAll()
		lcAttrs(t, "after ExpireAll", s.ExpiredAttributes(h), lcHeroCols)
		flState(t, s, h, orm.StateExpired, true, "after ExpireAll")
		// Expiring only unknown names expires nothing.
		_, err = orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "reload")
		s.Expire(h, "no_such_column")
		if s.IsExpired(h) || s.ExpiredAttributes(h) != nil {
			t.Fatalf("after Expire(unknown): expired %v attrs %q", s.IsExpired(h), s.ExpiredAttributes(h))
		}
		flState(t, s, h, orm.StatePersistent, true, "after Expire(unknown)")
	})
}

// Refresh reloads a persistent object now, in place, with every column;
// unflushed changes stay and stay dirty (AutoFlush off, so that Refresh
// does not flush them first).
func TestLcRefreshInPlace(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "Tarantula", Power: "webs", Age: 25})
		rdb, rec := testkit.Record(db)
		s := orm.NewSessionWithConfig(rdb, lcAutoFlushConfig(false))
		defer s.Close()
		h, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		h.Age = 26 // unflushed change
		lcExec(t, db, "UPDATE lc_hero SET name = ?, power = ?, age = ? WHERE id = ?", "Tarantula II", "silk", 99, ids[0])

		rec.Reset()
		flOK(t, orm.Refresh(ctx, s, h), "Refresh")
		ev := lcOneStmt(t, rec, "Refresh")
		if want := lcStmt(db, "SELECT {id}, {name}, {power}, {age} FROM {lc_hero} WHERE {id} = ?"); ev.Query != want {
			t.Fatalf("Refresh statement %q, want %q", ev.Query, want)
		}
		if *h != (lcHero{ID: ids[0], Name: "Tarantula II", Power: "silk", Age: 26}) {
			t.Fatalf("refreshed %+v: want the row's name and power and the unflushed age", *h)
		}
		flState(t, s, h, orm.StatePersistent, true, "after Refresh")
		lcAttrs(t, "ModifiedAttributes", s.ModifiedAttributes(h), []string{"age"})

		// Refresh of an expired (even partially) object reloads it all.
		lcExec(t, db, "UPDATE lc_hero SET name = ?, power = ? WHERE id = ?", "T3", "venom", ids[0])
		s.Expire(h, "name")
		rec.Reset()
		flOK(t, orm.Refresh(ctx, s, h), "Refresh expired")
		lcOneStmt(t, rec, "Refresh of an expired object")
		if h.Name != "T3" || h.Power != "venom" || h.Age != 26 || s.IsExpired(h) {
			t.Fatalf("after Refresh of an expired object: %+v expired %v", *h, s.IsExpired(h))
		}

		// The kept change is written by the next commit, and only it.
		rec.Reset()
		flOK(t, s.Commit(ctx), "Commit")
		evs := flData(rec)
		if len(evs) != 1 || evs[0].Query != lcStmt(db, "UPDATE {lc_hero} SET {age} = ? WHERE {id} = ?") {
			t.Fatalf("commit after Refresh:\n%s", rec.Dump())
		}
		flEqual(t, "rows", flDump(t, db, "lc_hero", lcHeroCols...), []string{lcRow(ids[0], "T3", "venom", 26)})
	})
}

// Refresh of an object that is not persistent: ErrNotPersistent, no SQL
// (AutoFlush off, so that the Get does not flush the new object).
func TestLcRefreshNotPersistent(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "a"})
		rdb, rec := testkit.Record(db)
		s := orm.NewSessionWithConfig(rdb, lcAutoFlushConfig(false))
		defer s.Close()
		n := &lcHero{Name: "new"}
		flOK(t, s.Add(n), "Add")
		untracked := &lcHero{ID: ids[0], Name: "a"}
		d, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		flOK(t, s.Delete(d), "Delete")
		rec.Reset()
		for _, c := range []struct {
			what string
			obj  *lcHero
		}{{"new", n}, {"untracked", untracked}, {"deleted", d}} {
			if err := orm.Refresh(ctx, s, c.obj); !errors.Is(err, orm.ErrNotPersistent) {
				t.Fatalf("Refresh of a %s object = %v, want ErrNotPersistent", c.what, err)
			}
		}
		if rec.Count() != 0 {
			t.Fatalf("Refresh of non-persistent objects sent SQL:\n%s", rec.Dump())
		}
		flState(t, s, n, orm.StateNew, true, "new object after Refresh")
		flState(t, s, d, orm.StateDeleted, true, "deleted object after Refresh")
		if s.Contains(untracked) {
			t.Fatal("Refresh attached an untracked object")
		}
	})
}

// A row that vanished: Get of the expired object and Refresh report
// ErrNotFound and expunge the object.
func TestLcVanishedRow(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "gone by Get"}, lcHero{Name: "gone by Refresh"}, lcHero{Name: "stays"})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		var hs []*lcHero
		for _, id := range ids {
			h, err := orm.Get[lcHero](ctx, s, id)
			flOK(t, err, "Get")
			hs = append(hs, h)
		}
		lcExec(t, db, "DELETE FROM lc_hero WHERE id = ?", ids[0])
		lcExec(t, db, "DELETE FROM lc_hero WHERE id = ?", ids[1])

		s.Expire(hs[0])
		rec.Reset()
		if _, err := orm.Get[lcHero](ctx, s, ids[0]); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("Get of an expired object whose row vanished = %v, want ErrNotFound", err)
		}
		lcOneStmt(t, rec, "Get of a vanished row")
		if s.Contains(hs[0]) {
			t.Fatal("object of a vanished row still tracked after Get")
		}
		flState(t, s, hs[0], orm.StateDetached, false, "vanished by Get")

		rec.Reset()
		if err := orm.Refresh(ctx, s, hs[1]); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("Refresh of an object whose row vanished = %v, want ErrNotFound", err)
		}
		lcOneStmt(t, rec, "Refresh of a vanished row")
		if s.Contains(hs[1]) {
			t.Fatal("object of a vanished row still tracked after Refresh")
		}
		if hs[1].Name != "gone by Refresh" {
			t.Fatalf("vanished object changed: %+v", *hs[1])
		}
		// The session goes on: the other object is untouched and a commit
		// writes nothing for the expunged ones.
		flState(t, s, hs[2], orm.StatePersistent, true, "other object")
		if s.TrackedCount() != 1 {
			t.Fatalf("TrackedCount = %d, want 1\n%s", s.TrackedCount(), s.DebugState())
		}
		hs[0].Name = "changed after expunge"
		rec.Reset()
		flOK(t, s.Commit(ctx), "Commit")
		if n := len(flData(rec)); n != 0 {
			t.Fatalf("Commit wrote for expunged objects:\n%s", rec.Dump())
		}
		// A second Get of the vanished key goes to the database again.
		rec.Reset()
		if _, err := orm.Get[lcHero](ctx, s, ids[0]); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("second Get = %v, want ErrNotFound", err)
		}
		lcOneStmt(t, rec, "second Get")
	})
}

// Unflushed changes to an expired object survive its reload, which takes
// the other columns from the row, and stay dirty; the commit writes only
// them (AutoFlush off: with it the reloads would flush them first).
func TestLcExpiredKeepsUnflushedChanges(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "Cap", Power: "shield", Age: 100})
		rdb, rec := testkit.Record(db)
		s := orm.NewSessionWithConfig(rdb, lcAutoFlushConfig(false))
		defer s.Close()
		h, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		h.Name = "Captain"
		s.Expire(h)
		lcAttrs(t, "ModifiedAttributes while expired", s.ModifiedAttributes(h), []string{"name"})
		lcExec(t, db, "UPDATE lc_hero SET name = ?, power = ? WHERE id = ?", "Cap (db)", "frisbee", ids[0])

		rec.Reset()
		g, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		lcOneStmt(t, rec, "reload")
		if g != h || *h != (lcHero{ID: ids[0], Name: "Captain", Power: "frisbee", Age: 100}) {
			t.Fatalf("reloaded %+v (same %v): want the unflushed name and the row's power", *h, g == h)
		}
		if !s.IsModified(h) || s.PendingDirtyCount() != 1 {
			t.Fatalf("IsModified %v PendingDirtyCount %d after reload", s.IsModified(h), s.PendingDirtyCount())
		}
		lcAttrs(t, "ModifiedAttributes after reload", s.ModifiedAttributes(h), []string{"name"})

		// Through a query as well.
		h.Age = 101
		s.Expire(h)
		lcExec(t, db, "UPDATE lc_hero SET power = ? WHERE id = ?", "vibranium", ids[0])
		rec.Reset()
		rows, err := orm.Select[lcHero](s).Where("id = ?", ids[0]).All(ctx)
		flOK(t, err, "Select")
		lcOneStmt(t, rec, "query")
		if len(rows) != 1 || rows[0] != h || *h != (lcHero{ID: ids[0], Name: "Captain", Power: "vibranium", Age: 101}) {
			t.Fatalf("query reload: %d rows, %+v", len(rows), *h)
		}
		lcAttrs(t, "ModifiedAttributes after query", s.ModifiedAttributes(h), []string{"name", "age"})

		rec.Reset()
		flOK(t, s.Commit(ctx), "Commit")
		evs := flData(rec)
		if len(evs) != 1 || evs[0].Query != lcStmt(db, "UPDATE {lc_hero} SET {name} = ?, {age} = ? WHERE {id} = ?") {
			t.Fatalf("commit:\n%s", rec.Dump())
		}
		flEqual(t, "rows", flDump(t, db, "lc_hero", lcHeroCols...), []string{lcRow(ids[0], "Captain", "vibranium", 101)})
	})
}

// Expiring an object that is not persistent (New, Deleted, untracked,
// expunged) does nothing; ExpireAll leaves them alone too (AutoFlush off,
// so that the Gets do not flush the new object).
func TestLcExpireNotPersistentNoOp(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "d"}, lcHero{Name: "x"})
		rdb, rec := testkit.Record(db)
		s := orm.NewSessionWithConfig(rdb, lcAutoFlushConfig(false))
		defer s.Close()
		n := &lcHero{Name: "new"}
		flOK(t, s.Add(n), "Add")
		d, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		// Expired, then deleted: no longer reported as expired by either
		// IsExpired or ExpiredAttributes.
		s.Expire(d, "name")
		flOK(t, s.Delete(d), "Delete")
		if s.IsExpired(d) || s.ExpiredAttributes(d) != nil {
			t.Fatalf("expired then deleted: IsExpired %v ExpiredAttributes %q, want false and none", s.IsExpired(d), s.ExpiredAttributes(d))
		}
		x, err := orm.Get[lcHero](ctx, s, ids[1])
		flOK(t, err, "Get")
		flOK(t, s.Expunge(x), "Expunge")
		untracked := &lcHero{ID: 424242, Name: "u"}
		rec.Reset()
		for _, o := range []*lcHero{n, d, x, untracked} {
			s.Expire(o)
			s.Expire(o, "name")
			if s.IsExpired(o) || s.ExpiredAttributes(o) != nil {
				t.Fatalf("%+v: expired %v attrs %q after Expire", *o, s.IsExpired(o), s.ExpiredAttributes(o))
			}
		}
		s.ExpireAll()
		flState(t, s, n, orm.StateNew, true, "new")
		flState(t, s, d, orm.StateDeleted, true, "deleted")
		flState(t, s, x, orm.StateDetached, false, "expunged")
		flState(t, s, untracked, orm.StateDetached, false, "untracked")
		for _, o := range []*lcHero{n, d} {
			if s.IsExpired(o) || s.ExpiredAttributes(o) != nil {
				t.Fatalf("%+v: expired %v attrs %q after ExpireAll", *o, s.IsExpired(o), s.ExpiredAttributes(o))
			}
		}
		if rec.Count() != 0 {
			t.Fatalf("Expire sent SQL:\n%s", rec.Dump())
		}
		// The pending work is intact.
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "rows", flDump(t, db, "lc_hero", lcHeroCols...), []string{lcRow(ids[1], "x", "", 0), lcRow(n.ID, "new", "", 0)})
	})
}

// ExpireOnCommit on: every persistent object is Expired after Commit and
// the next query reloads it in place; off: objects stay as they are.
func TestLcExpireOnCommitQueryReload(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &lcHero{})
		for _, expire := range []bool{true, false} {
			flExec(t, db, "DELETE FROM lc_hero")
			rdb, rec := testkit.Record(db)
			s := orm.NewSessionWithConfig(rdb, orm.SessionConfig{AutoBegin: true, ExpireOnCommit: expire})
			h := &lcHero{Name: "h", Power: "p"}
			flOK(t, s.Add(h), "Add")
			flOK(t, s.Commit(ctx), "Commit")
			if s.IsExpired(h) != expire {
				t.Fatalf("ExpireOnCommit=%v: IsExpired = %v after Commit", expire, s.IsExpired(h))
			}
			if expire {
				lcAttrs(t, "ExpiredAttributes after Commit", s.ExpiredAttributes(h), lcHeroCols)
			}
			lcExec(t, db, "UPDATE lc_hero SET power = ? WHERE id = ?", "elsewhere", h.ID)
			rec.Reset()
			rows, err := orm.Select[lcHero](s).All(ctx)
			flOK(t, err, "Select")
			lcOneStmt(t, rec, "query")
			if len(rows) != 1 || rows[0] != h {
				t.Fatalf("ExpireOnCommit=%v: query returned %d rows, same %v", expire, len(rows), len(rows) == 1 && rows[0] == h)
			}
			want := "p"
			if expire {
				want = "elsewhere"
			}
			if h.Power != want || s.IsExpired(h) || s.IsModified(h) {
				t.Fatalf("ExpireOnCommit=%v: power %q expired %v modified %v, want power %q", expire, h.Power, s.IsExpired(h), s.IsModified(h), want)
			}
			flOK(t, s.Close(), "Close")
		}
	})
}

// ---- merge ----

// Merge, key tracked: the argument's values are copied onto the tracked
// instance, which is returned; no SQL.
func TestLcMergeTracked(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "a", Power: "p", Age: 1})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		h, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		for _, load := range []bool{true, false} {
			detached := &lcHero{ID: ids[0], Name: fmt.Sprintf("merged-%v", load), Power: "p", Age: 2}
			rec.Reset()
			m, err := orm.Merge(ctx, s, detached, load)
			flOK(t, err, "Merge")
			if rec.Count() != 0 {
				t.Fatalf("Merge of a tracked key (load=%v) sent SQL:\n%s", load, rec.Dump())
			}
			if m != h || m == detached {
				t.Fatalf("Merge returned the argument or another instance (load=%v)", load)
			}
			if *h != *detached {
				t.Fatalf("tracked %+v, want the merged values %+v", *h, *detached)
			}
			if s.Contains(detached) {
				t.Fatal("Merge tracked the argument")
			}
			flState(t, s, h, orm.StatePersistent, true, "merged")
			lcAttrs(t, "ModifiedAttributes", s.ModifiedAttributes(h), []string{"name", "age"})
		}
		// Merging an object that is itself tracked returns it.
		rec.Reset()
		if m, err := orm.Merge(ctx, s, h, true); err != nil || m != h || rec.Count() != 0 {
			t.Fatalf("Merge of the tracked instance: %v, same %v, %d statements", err, m == h, rec.Count())
		}
		rec.Reset()
		flOK(t, s.Commit(ctx), "Commit")
		if evs := flData(rec); len(evs) != 1 || evs[0].Query != lcStmt(db, "UPDATE {lc_hero} SET {name} = ?, {age} = ? WHERE {id} = ?") {
			t.Fatalf("commit after Merge:\n%s", rec.Dump())
		}
		flEqual(t, "rows", flDump(t, db, "lc_hero", lcHeroCols...), []string{lcRow(ids[0], "merged-false", "p", 2)})
		// A key tracked as deleted cannot be merged.
		d, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		flOK(t, s.Delete(d), "Delete")
		if _, err := orm.Merge(ctx, s, &lcHero{ID: ids[0], Name: "zombie"}, true); !errors.Is(err, orm.ErrNotPersistent) {
			t.Fatalf("Merge onto a deleted key = %v, want ErrNotPersistent", err)
		}
	})
}

// Merge, key tracked but Expired: the tracked instance is reloaded first,
// so that it is dirty exactly where the argument differs from the row.
func TestLcMergeTrackedExpired(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "a", Power: "p", Age: 1})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		h, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		lcExec(t, db, "UPDATE lc_hero SET power = ? WHERE id = ?", "q", ids[0])
		s.Expire(h)
		rec.Reset()
		m, err := orm.Merge(ctx, s, &lcHero{ID: ids[0], Name: "b", Power: "q", Age: 1}, true)
		flOK(t, err, "Merge")
		lcOneStmt(t, rec, "Merge onto an expired instance")
		if m != h || *h != (lcHero{ID: ids[0], Name: "b", Power: "q", Age: 1}) {
			t.Fatalf("merged %+v (same %v)", *h, m == h)
		}
		flState(t, s, h, orm.StatePersistent, true, "merged")
		lcAttrs(t, "ModifiedAttributes", s.ModifiedAttributes(h), []string{"name"})
	})
}

// Merge, key not tracked, load, row exists: one SELECT; the loaded
// instance gets the argument's values and is dirty exactly in the columns
// that differ; the commit updates only those.
func TestLcMergeLoadFound(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "Spidey", Power: "webs", Age: 16})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		detached := &lcHero{ID: ids[0], Name: "Spider-Man", Power: "webs", Age: 17}
		m, err := orm.Merge(ctx, s, detached, true)
		flOK(t, err, "Merge")
		ev := lcOneStmt(t, rec, "Merge with load")
		if flKind(ev.Query) != "SELECT" {
			t.Fatalf("Merge sent %q, want a SELECT", ev.Query)
		}
		if m == detached {
			t.Fatal("Merge returned the argument, want the loaded instance")
		}
		if s.Contains(detached) || !s.Contains(m) {
			t.Fatalf("Contains(argument) %v Contains(result) %v", s.Contains(detached), s.Contains(m))
		}
		if *m != *detached {
			t.Fatalf("merged %+v, want %+v", *m, *detached)
		}
		flState(t, s, m, orm.StatePersistent, true, "merged")
		lcAttrs(t, "ModifiedAttributes", s.ModifiedAttributes(m), []string{"name", "age"})
		// Get answers with the merged instance.
		rec.Reset()
		if g, err := orm.Get[lcHero](ctx, s, ids[0]); err != nil || g != m || rec.Count() != 0 {
			t.Fatalf("Get after Merge: %v, same %v, %d statements", err, g == m, rec.Count())
		}
		detached.Name = "changed after merge"
		rec.Reset()
		flOK(t, s.Commit(ctx), "Commit")
		// One statement committed at once needs no BEGIN/COMMIT.
		flEqual(t, "commit", lcOps(rec), []string{"UPDATE lc_hero"})
		if flData(rec)[0].Query != lcStmt(db, "UPDATE {lc_hero} SET {name} = ?, {age} = ? WHERE {id} = ?") {
			t.Fatalf("commit after Merge:\n%s", rec.Dump())
		}
		flEqual(t, "rows", flDump(t, db, "lc_hero", lcHeroCols...), []string{lcRow(ids[0], "Spider-Man", "webs", 17)})
	})
}

// Merge, load, no row: the argument is added as New and returned; the
// commit inserts it with its key.
func TestLcMergeLoadNotFound(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "existing"})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		detached := &lcHero{ID: ids[0] + 1000, Name: "fresh", Power: "x", Age: 5}
		m, err := orm.Merge(ctx, s, detached, true)
		flOK(t, err, "Merge")
		ev := lcOneStmt(t, rec, "Merge with load of a missing row")
		if flKind(ev.Query) != "SELECT" {
			t.Fatalf("Merge sent %q", ev.Query)
		}
		if m != detached {
			t.Fatal("Merge of a missing row did not return the argument")
		}
		flState(t, s, m, orm.StateNew, true, "merged missing row")
		if s.PendingNewCount() != 1 {
			t.Fatalf("PendingNewCount = %d", s.PendingNewCount())
		}
		rec.Reset()
		flOK(t, s.Commit(ctx), "Commit")
		if db.Dialect().Name() == "postgres" {
			// An explicit key moves the sequence: two statements, one transaction.
			flEqual(t, "commit", lcOps(rec)[:2], []string{"begin", "INSERT lc_hero"})
		} else {
			flEqual(t, "commit", lcOps(rec), []string{"INSERT lc_hero"})
		}
		if m.ID != ids[0]+1000 {
			t.Fatalf("key changed to %d", m.ID)
		}
		flEqual(t, "rows", flDump(t, db, "lc_hero", lcHeroCols...), []string{lcRow(ids[0], "existing", "", 0), lcRow(ids[0]+1000, "fresh", "x", 5)})
	})
}

// Merge of an object without a key (zero autoincrement): added as New, no
// SQL until the commit inserts it.
func TestLcMergeNoKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		lcHeroSetup(t, db)
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		for _, load := range []bool{true, false} {
			rec.Reset()
			o := &lcHero{Name: fmt.Sprintf("nokey-%v", load)}
			m, err := orm.Merge(ctx, s, o, load)
			flOK(t, err, "Merge")
			if rec.Count() != 0 {
				t.Fatalf("Merge without a key (load=%v) sent SQL:\n%s", load, rec.Dump())
			}
			if m != o {
				t.Fatal("Merge without a key did not return the argument")
			}
			flState(t, s, o, orm.StateNew, true, "merged without key")
		}
		rec.Reset()
		flOK(t, s.Commit(ctx), "Commit")
		if w := flWrites(rec); len(w) == 0 || slices.ContainsFunc(w, func(k string) bool { return k != "INSERT lc_hero" }) {
			t.Fatalf("commit wrote %q, want only INSERTs", w)
		}
		if n := flCount(t, db, "lc_hero"); n != 2 {
			t.Fatalf("%d rows, want 2", n)
		}
	})
}

// MergeWithoutLoad of an untracked key: no SQL, the argument becomes the
// tracked instance, Persistent and clean; a later change updates only it.
func TestLcMergeWithoutLoad(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "a", Power: "p", Age: 1})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		detached := &lcHero{ID: ids[0], Name: "a", Power: "p", Age: 1}
		m, err := orm.MergeWithoutLoad(ctx, s, detached)
		flOK(t, err, "MergeWithoutLoad")
		if rec.Count() != 0 {
			t.Fatalf("MergeWithoutLoad sent SQL:\n%s", rec.Dump())
		}
		if m != detached {
			t.Fatal("MergeWithoutLoad of an untracked key did not return the argument")
		}
		flState(t, s, m, orm.StatePersistent, true, "merged without load")
		if s.IsModified(m) || s.ModifiedAttributes(m) != nil || s.PendingDirtyCount() != 0 {
			t.Fatalf("merged without load: modified %v attrs %q", s.IsModified(m), s.ModifiedAttributes(m))
		}
		if g, err := orm.Get[lcHero](ctx, s, ids[0]); err != nil || g != m || rec.Count() != 0 {
			t.Fatalf("Get after MergeWithoutLoad: %v, same %v, %d statements", err, g == m, rec.Count())
		}
		m.Power = "q"
		flOK(t, s.Commit(ctx), "Commit")
		if evs := flData(rec); len(evs) != 1 || evs[0].Query != lcStmt(db, "UPDATE {lc_hero} SET {power} = ? WHERE {id} = ?") {
			t.Fatalf("commit:\n%s", rec.Dump())
		}
		flEqual(t, "rows", flDump(t, db, "lc_hero", lcHeroCols...), []string{lcRow(ids[0], "a", "q", 1)})
	})
}

// ---- autoflush ----

func lcAutoFlushConfig(on bool) orm.SessionConfig {
	return orm.SessionConfig{AutoBegin: true, AutoFlush: on, ExpireOnCommit: true}
}

// AutoFlush on: a query flushes pending objects first, so it sees them.
func TestLcAutoFlushQuery(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "old"})
		rdb, rec := testkit.Record(db)
		s := orm.NewSessionWithConfig(rdb, lcAutoFlushConfig(true))
		defer s.Close()
		p := &lcHero{Name: "pending", Power: "p"}
		flOK(t, s.Add(p), "Add")
		rows, err := orm.Select[lcHero](s).Where("name = ?", "pending").All(ctx)
		flOK(t, err, "Select")
		flEqual(t, "statements", lcOps(rec), []string{"begin", "INSERT lc_hero", "SELECT"})
		if len(rows) != 1 || rows[0] != p || p.ID == 0 {
			t.Fatalf("query after autoflush: %d rows, want the pending object itself", len(rows))
		}
		flState(t, s, p, orm.StatePersistent, true, "autoflushed")
		if s.PendingNewCount() != 0 {
			t.Fatalf("PendingNewCount = %d", s.PendingNewCount())
		}
		// A change is flushed before the next query too, then commits.
		o, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		o.Name = "renamed"
		rec.Reset()
		n, err := orm.Select[lcHero](s).Where("name = ?", "renamed").Count(ctx)
		flOK(t, err, "Count")
		flEqual(t, "statements", lcOps(rec), []string{"savepoint", "UPDATE lc_hero", "savepoint", "SELECT"})
		if n != 1 {
			t.Fatalf("Count = %d, want 1", n)
		}
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "rows", flDump(t, db, "lc_hero", lcHeroCols...), []string{lcRow(ids[0], "renamed", "", 0), lcRow(p.ID, "pending", "p", 0)})
	})
}

// AutoFlush on and Get: a tracked key (even of a pending object with an
// explicit key) is answered by the identity map without SQL; a miss
// flushes first. Refresh flushes first too.
func TestLcAutoFlushGet(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "old"})
		rdb, rec := testkit.Record(db)
		s := orm.NewSessionWithConfig(rdb, lcAutoFlushConfig(true))
		defer s.Close()
		k := &lcHero{ID: ids[0] + 500, Name: "keyed"}
		flOK(t, s.Add(k), "Add")
		g, err := orm.Get[lcHero](ctx, s, k.ID)
		flOK(t, err, "Get pending key")
		if g != k || rec.Count() != 0 {
			t.Fatalf("Get of a pending key: same %v, statements:\n%s", g == k, rec.Dump())
		}
		// The pending row is not in the database yet; a query flushes it
		// before counting.
		n, err := orm.Select[lcHero](s).Where("id = ?", k.ID).Count(ctx)
		flOK(t, err, "Count")
		flEqual(t, "statements", lcOps(rec), []string{"begin", "INSERT lc_hero", "SELECT"})
		if n != 1 {
			t.Fatalf("Count = %d, want 1", n)
		}
		// A Get miss flushes pending work before its SELECT.
		p := &lcHero{Name: "pending"}
		flOK(t, s.Add(p), "Add")
		rec.Reset()
		o, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get miss")
		flEqual(t, "Get miss statements", lcOps(rec), []string{"savepoint", "INSERT lc_hero", "savepoint", "SELECT"})
		if p.ID == 0 || o.Name != "old" {
			t.Fatalf("after Get miss: pending key %d, loaded %+v", p.ID, *o)
		}
		// Refresh flushes before reloading.
		q := &lcHero{Name: "pending2"}
		flOK(t, s.Add(q), "Add")
		rec.Reset()
		flOK(t, orm.Refresh(ctx, s, o), "Refresh")
		flEqual(t, "Refresh statements", lcOps(rec), []string{"savepoint", "INSERT lc_hero", "savepoint", "SELECT"})
		flOK(t, s.Commit(ctx), "Commit")
		if n := flCount(t, db, "lc_hero"); n != 4 {
			t.Fatalf("%d rows, want 4", n)
		}
	})
}

// AutoFlush off (set explicitly: the default is on, as in SQLAlchemy): a
// pending object is not visible to a query and no SQL but the query is
// sent.
func TestLcAutoFlushOff(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "old"})
		rdb, rec := testkit.Record(db)
		if !orm.DefaultSessionConfig().AutoFlush || !orm.NewSession(db).Config().AutoFlush {
			t.Fatal("AutoFlush is off by default")
		}
		s := orm.NewSessionWithConfig(rdb, lcAutoFlushConfig(false))
		defer s.Close()
		p := &lcHero{Name: "pending"}
		flOK(t, s.Add(p), "Add")
		rows, err := orm.Select[lcHero](s).Where("name = ?", "pending").All(ctx)
		flOK(t, err, "Select")
		n, err := orm.Select[lcHero](s).Count(ctx)
		flOK(t, err, "Count")
		_, err = orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get miss")
		flEqual(t, "statements", lcOps(rec), []string{"SELECT", "SELECT", "SELECT"})
		if len(rows) != 0 || n != 1 || p.ID != 0 {
			t.Fatalf("without AutoFlush: %d rows, count %d, key %d; want the pending object unseen", len(rows), n, p.ID)
		}
		flState(t, s, p, orm.StateNew, true, "pending")
	})
}

// NoAutoFlush suspends AutoFlush for its scope (nested scopes too); after
// it, the next query flushes again.
func TestLcNoAutoFlush(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		lcHeroSetup(t, db, lcHero{Name: "old"})
		rdb, rec := testkit.Record(db)
		s := orm.NewSessionWithConfig(rdb, lcAutoFlushConfig(true))
		defer s.Close()
		p := &lcHero{Name: "pending"}
		flOK(t, s.Add(p), "Add")
		var inside, nested int64
		s.NoAutoFlush(func() {
			var err error
			inside, err = orm.Select[lcHero](s).Where("name = ?", "pending").Count(ctx)
			flOK(t, err, "Count inside")
			s.NoAutoFlush(func() {
				nested, err = orm.Select[lcHero](s).Where("name = ?", "pending").Count(ctx)
				flOK(t, err, "Count nested")
			})
			rows, err := orm.Select[lcHero](s).Where("name = ?", "pending").All(ctx)
			flOK(t, err, "All inside")
			if len(rows) != 0 {
				t.Fatalf("query inside NoAutoFlush saw %d rows", len(rows))
			}
		})
		flEqual(t, "inside", lcOps(rec), []string{"SELECT", "SELECT", "SELECT"})
		if inside != 0 || nested != 0 || p.ID != 0 {
			t.Fatalf("inside NoAutoFlush: count %d nested %d key %d", inside, nested, p.ID)
		}
		flState(t, s, p, orm.StateNew, true, "pending inside NoAutoFlush")
		// A panic in the scope still ends the suspension.
		func() {
			defer func() { _ = recover() }()
			s.NoAutoFlush(func() { panic("boom") })
		}()
		rec.Reset()
		n, err := orm.Select[lcHero](s).Where("name = ?", "pending").Count(ctx)
		flOK(t, err, "Count after")
		flEqual(t, "after", lcOps(rec), []string{"begin", "INSERT lc_hero", "SELECT"})
		if n != 1 {
			t.Fatalf("Count after NoAutoFlush = %d, want 1", n)
		}
	})
}

// NoAutoFlush covers Get misses as well as queries.
func TestLcNoAutoFlushGetMiss(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "old"})
		rdb, rec := testkit.Record(db)
		s := orm.NewSessionWithConfig(rdb, lcAutoFlushConfig(true))
		defer s.Close()
		p := &lcHero{Name: "pending"}
		flOK(t, s.Add(p), "Add")
		var err error
		s.NoAutoFlush(func() { _, err = orm.Get[lcHero](ctx, s, ids[0]) })
		flOK(t, err, "Get inside NoAutoFlush")
		ops := lcOps(rec)
		if slices.Equal(ops, []string{"begin", "INSERT lc_hero", "SELECT"}) {
			t.Fatal("orm/session/get.go: a Get miss autoflushes with `if s.cfg.AutoFlush { s.Flush }` instead of " +
				"s.autoFlush(ctx), so NoAutoFlush does not suspend it (queries, Refresh and Exec honour it)")
		}
		flEqual(t, "Get miss inside NoAutoFlush", ops, []string{"SELECT"})
		flState(t, s, p, orm.StateNew, true, "pending")
	})
}

// Expire with only unknown names expires nothing, and leaves nothing
// behind: a later GetWithOptions{ForUpdate: true}, which refreshes the
// unchanged columns of a tracked object, still refreshes them all.
func TestLcExpireUnknownThenForUpdate(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		if db.Dialect().Name() == "sqlite" {
			t.Skip("SQLite has no FOR UPDATE")
		}
		ctx := flCtx(t)
		ids := lcHeroSetup(t, db, lcHero{Name: "a", Power: "p", Age: 1})
		s := orm.NewSession(db)
		defer s.Close()
		h, err := orm.Get[lcHero](ctx, s, ids[0])
		flOK(t, err, "Get")
		// Control: without the Expire, FOR UPDATE refreshes the row.
		lcExec(t, db, "UPDATE lc_hero SET name = ? WHERE id = ?", "b", ids[0])
		_, err = orm.GetWithOptions[lcHero](ctx, s, orm.GetOptions{ForUpdate: true}, ids[0])
		flOK(t, err, "Get FOR UPDATE")
		if h.Name != "b" {
			t.Fatalf("FOR UPDATE did not refresh: %+v", *h)
		}
		flOK(t, s.Commit(ctx), "Commit")
		_, err = orm.Get[lcHero](ctx, s, ids[0]) // reload after ExpireOnCommit
		flOK(t, err, "Get")

		s.Expire(h, "no_such_column")
		lcExec(t, db, "UPDATE lc_hero SET name = ? WHERE id = ?", "c", ids[0])
		_, err = orm.GetWithOptions[lcHero](ctx, s, orm.GetOptions{ForUpdate: true}, ids[0])
		flOK(t, err, "Get FOR UPDATE")
		if h.Name == "b" {
			t.Fatal("orm/session/session.go: Expire(obj, unknownName) leaves entry.expiredCols as an empty non-nil map " +
				"(expired false), and apply (get.go) then refreshes no column at all, so GetWithOptions{ForUpdate: true} " +
				"no longer refreshes the object; expire should leave expiredCols nil when no name matched")
		}
		if h.Name != "c" {
			t.Fatalf("after Expire(unknown) and FOR UPDATE: %+v, want name c", *h)
		}
	})
}
