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
)

// Queries through a session resolve rows through the identity map
// (DESIGN §5.1, §5.6); set-based UPDATE and DELETE keep the session from
// showing stale data.

// qyExec runs a statement on the pool, outside every session.
func qyExec(t *testing.T, ctx context.Context, db *orm.DB, q string, args ...any) {
	t.Helper()
	if _, err := orm.Exec(ctx, db, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// qySessionNoAutoFlush is qySession with AutoFlush off, for tests that
// look at unflushed state through queries.
func qySessionNoAutoFlush(t *testing.T, db *orm.DB) *orm.Session {
	t.Helper()
	cfg := orm.DefaultSessionConfig()
	cfg.AutoFlush = false
	s := orm.NewSessionWithConfig(db, cfg)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("session Close: %v", err)
		}
	})
	return s
}

func qyGet(t *testing.T, ctx context.Context, s *orm.Session, id int64) *qyHero {
	t.Helper()
	h, err := orm.Get[qyHero](ctx, s, id)
	if err != nil {
		t.Fatalf("Get hero %d: %v", id, err)
	}
	return h
}

func qyWantModified(t *testing.T, s *orm.Session, h *qyHero, cols ...string) {
	t.Helper()
	got := s.ModifiedAttributes(h)
	if !slices.Equal(got, cols) || s.IsModified(h) != (len(cols) > 0) {
		t.Errorf("hero %d: ModifiedAttributes = %q, IsModified = %v; want %q", h.ID, got, s.IsModified(h), cols)
	}
}

// With AutoFlush off (on, the query would flush the change first).
func TestQueryIdentitySamePointerKeepsDirtyField(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		s := qySessionNoAutoFlush(t, rdb)
		h := qyGet(t, ctx, s, 1)
		h.Name = "Changed in memory"

		// A row changed behind the session's back does not overwrite a
		// loaded object that is not expired.
		qyExec(t, ctx, db, `UPDATE qy_hero SET age = ? WHERE id = ?`, 60, 1)

		rec.Reset()
		got, err := orm.Select[qyHero](s).Filter(orm.Col("id").In(1, 3)).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		qyWantSQL(t, db, rec, qyHeroSelect+` WHERE "id" IN (?, ?) ORDER BY "id" ASC`, 1, 3)
		if len(got) != 2 || got[0] != h {
			t.Fatalf("query returned %p, want the loaded %p", got[0], h)
		}
		if h.Name != "Changed in memory" || qyAge(h) != 48 {
			t.Errorf("loaded hero overwritten by the query: %+v", h)
		}
		qyWantModified(t, s, h, "name")
		if st, _ := s.ObjectState(h); st != orm.StatePersistent {
			t.Errorf("state = %v", st)
		}

		// The row matches on its database value; the tracked object comes
		// back with its in-memory one.
		for _, q := range []*orm.Query[qyHero]{
			orm.Select[qyHero](s).Where("name = ?", "Deadpond"),
			orm.Select[qyHero](s).Filter(orm.Col("name").Eq("Deadpond")),
		} {
			one, err := q.One(ctx)
			if err != nil || one != h || one.Name != "Changed in memory" {
				t.Errorf("One = %p %+v, %v; want %p with the dirty name", one, one, err, h)
			}
		}
		first, err := orm.Select[qyHero](s).OrderBy("-id").Limit(7).Offset(6).First(ctx)
		if err != nil || first != h {
			t.Errorf("First = %p, %v; want %p", first, err, h)
		}
		for it, err := range orm.Select[qyHero](s).Filter(orm.Col("id").Eq(1)).Iter(ctx) {
			if err != nil || it != h {
				t.Errorf("Iter = %p, %v; want %p", it, err, h)
			}
		}
		qyWantModified(t, s, h, "name")

		// The flush writes only the changed column.
		rec.Reset()
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		var updates []string
		for _, e := range qyStatements(rec) {
			updates = append(updates, e.Query)
		}
		if want := qySQL(db, `UPDATE "qy_hero" SET "name" = ? WHERE "id" = ?`); len(updates) != 1 || updates[0] != want {
			t.Errorf("flush statements %q, want [%s]", updates, want)
		}
		if r := qyHeroRow(t, ctx, db, 1); r.Name != "Changed in memory" || qyAge(r) != 60 {
			t.Errorf("row after commit: %+v", r)
		}
	})
}

// With AutoFlush off: the unflushed change must stay unflushed while the
// rows change behind the session's back (flushed, its row lock would
// block those updates).
func TestQueryIdentityExpiredRefreshedInPlace(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		s := qySessionNoAutoFlush(t, rdb)
		h := qyGet(t, ctx, s, 1)

		// Whole object expired: the query reloads it in place.
		qyExec(t, ctx, db, `UPDATE qy_hero SET age = ?, secret_name = ? WHERE id = ?`, 60, "New Secret", 1)
		s.Expire(h)
		if !s.IsExpired(h) {
			t.Fatal("not expired after Expire")
		}
		rec.Reset()
		got, err := orm.Select[qyHero](s).Filter(orm.Col("id").Eq(1)).One(ctx)
		if err != nil || got != h {
			t.Fatalf("One = %p, %v; want %p", got, err, h)
		}
		qyOnly(t, rec) // the query itself loads the values, no extra reload
		if qyAge(h) != 60 || h.SecretName != "New Secret" || h.Name != "Deadpond" {
			t.Errorf("after refresh: %+v", h)
		}
		if s.IsExpired(h) {
			t.Error("still expired after the query reloaded it")
		}
		qyWantModified(t, s, h)

		// Partly expired: only the expired column is reloaded.
		qyExec(t, ctx, db, `UPDATE qy_hero SET age = ?, name = ? WHERE id = ?`, 61, "Renamed", 1)
		s.Expire(h, "Age")
		if _, err := orm.Select[qyHero](s).OrderBy("id").All(ctx); err != nil {
			t.Fatal(err)
		}
		if qyAge(h) != 61 || h.Name != "Deadpond" || s.IsExpired(h) {
			t.Errorf("after partial refresh: %+v (expired %v)", h, s.IsExpired(h))
		}
		qyWantModified(t, s, h)

		// Expired with an unflushed change: the change is kept and stays
		// dirty, the other columns are refreshed.
		h.SecretName = "Mine"
		qyExec(t, ctx, db, `UPDATE qy_hero SET age = ?, secret_name = ? WHERE id = ?`, 62, "Theirs", 1)
		s.Expire(h)
		for it, err := range orm.Select[qyHero](s).Filter(orm.Col("age").Eq(62)).Iter(ctx) {
			if err != nil || it != h {
				t.Fatalf("Iter = %p, %v; want %p", it, err, h)
			}
		}
		if qyAge(h) != 62 || h.SecretName != "Mine" || h.Name != "Renamed" {
			t.Errorf("after refresh of a dirty object: %+v", h)
		}
		qyWantModified(t, s, h, "secret_name")

		// Raw SQL refreshes expired objects the same way.
		qyExec(t, ctx, db, `UPDATE qy_hero SET age = ? WHERE id = ?`, 63, 1)
		s.Expire(h, "age")
		hs, err := orm.Raw[qyHero](ctx, s, `SELECT id, name, secret_name, age, team_id FROM qy_hero WHERE id = ?`, 1)
		if err != nil || len(hs) != 1 || hs[0] != h || qyAge(h) != 63 || h.SecretName != "Mine" {
			t.Errorf("Raw refresh: %v, %v; hero %+v", hs, err, h)
		}

		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if r := qyHeroRow(t, ctx, db, 1); r.SecretName != "Mine" || qyAge(r) != 63 || r.Name != "Renamed" {
			t.Errorf("row after commit: %+v", r)
		}

		// After commit every object is expired (ExpireOnCommit); a query
		// refreshes it in place.
		qyExec(t, ctx, db, `UPDATE qy_hero SET age = ? WHERE id = ?`, 64, 1)
		if !s.IsExpired(h) {
			t.Fatal("not expired after Commit")
		}
		got, err = orm.Select[qyHero](s).Filter(orm.Col("id").Eq(1)).One(ctx)
		if err != nil || got != h || qyAge(h) != 64 {
			t.Errorf("after commit: %p %+v, %v", got, h, err)
		}
	})
}

func TestQueryIdentityThousandRows(t *testing.T) {
	const n = 1000
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, &qyTeam{}, &qyHero{}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		args := make([]any, 0, 3*n)
		b.WriteString(`INSERT INTO qy_hero (id, name, secret_name) VALUES `)
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, i+1, fmt.Sprintf("Hero %04d", i+1), fmt.Sprintf("Secret %04d", i+1))
		}
		qyExec(t, ctx, db, b.String(), args...)

		rdb, rec := qyRecord(db)
		s := qySession(t, rdb)
		first, err := orm.Select[qyHero](s).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != n || s.TrackedCount() != n {
			t.Fatalf("%d rows, TrackedCount %d; want %d", len(first), s.TrackedCount(), n)
		}
		seen := make(map[*qyHero]bool, n)
		for i, h := range first {
			if h.ID != int64(i+1) || h.Name != fmt.Sprintf("Hero %04d", i+1) {
				t.Fatalf("row %d = %+v", i, h)
			}
			seen[h] = true
		}
		if len(seen) != n {
			t.Fatalf("%d distinct pointers for %d rows", len(seen), n)
		}

		// Querying again, in another order and through every terminal,
		// returns the same pointers and tracks nothing new.
		rec.Reset()
		second, err := orm.Select[qyHero](s).OrderBy("-id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(second) != n {
			t.Fatalf("second query: %d rows", len(second))
		}
		for i, h := range second {
			if h != first[n-1-i] {
				t.Fatalf("second query row %d: %p, want %p", i, h, first[n-1-i])
			}
		}
		qyOnly(t, rec)
		k := 0
		for h, err := range orm.Select[qyHero](s).OrderBy("id").Iter(ctx) {
			if err != nil || h != first[k] {
				t.Fatalf("Iter row %d: %p, %v; want %p", k, h, err, first[k])
			}
			k++
		}
		raw, err := orm.Raw[qyHero](ctx, s, `SELECT id, name, secret_name, age, team_id FROM qy_hero WHERE id <= ? ORDER BY id`, 500)
		if err != nil || len(raw) != 500 || raw[0] != first[0] || raw[499] != first[499] {
			t.Fatalf("Raw: %d rows, %v", len(raw), err)
		}
		if k != n || s.TrackedCount() != n {
			t.Fatalf("Iter %d rows; TrackedCount %d, want %d", k, s.TrackedCount(), n)
		}
		for _, h := range first {
			if s.IsModified(h) {
				t.Fatalf("hero %d modified by being queried", h.ID)
			}
		}
		if s.PendingDirtyCount() != 0 || s.PendingNewCount() != 0 {
			t.Errorf("pending: dirty %d new %d", s.PendingDirtyCount(), s.PendingNewCount())
		}
	})
}

func TestQueryIdentityDBReturnsFreshObjects(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		a, err := orm.Select[qyHero](db).Filter(orm.Col("id").Eq(1)).One(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a.Name = "scribbled"
		b, err := orm.Select[qyHero](db).Filter(orm.Col("id").Eq(1)).One(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if a == b || b.Name != "Deadpond" {
			t.Errorf("a *DB query returned %p %+v after %p; want a fresh object with the row's values", b, b, a)
		}
		all1, err := orm.Select[qyHero](db).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all2, err := orm.Select[qyHero](db).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range all1 {
			if all1[i] == all2[i] {
				t.Fatalf("row %d: the same pointer from two *DB queries", i)
			}
		}
		// A session's objects are not what a *DB query returns, and the
		// session tracks nothing from it.
		s := qySession(t, db)
		h := qyGet(t, ctx, s, 1)
		c, err := orm.Select[qyHero](db).Filter(orm.Col("id").Eq(1)).One(ctx)
		if err != nil || c == h {
			t.Errorf("*DB query returned the session's pointer: %v", err)
		}
		if s.Contains(c) || s.TrackedCount() != 1 {
			t.Errorf("*DB query changed the session: contains %v, TrackedCount %d", s.Contains(c), s.TrackedCount())
		}
		raw, err := orm.Raw[qyHero](ctx, db, `SELECT id, name FROM qy_hero WHERE id = ?`, 1)
		if err != nil || len(raw) != 1 || raw[0] == h || s.Contains(raw[0]) {
			t.Errorf("*DB Raw: %v, %v", raw, err)
		}
	})
}

// TestQueryIdentityDeletedStillReturned: with AutoFlush off a query returns
// what the database has, so an object deleted in the session but not
// flushed is still returned, as its tracked instance (still Deleted), by
// every query path; Get agrees. A LIMIT is never short of rows that exist.
func TestQueryIdentityDeletedStillReturned(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		s := qySessionNoAutoFlush(t, db)
		all, err := orm.Select[qyHero](s).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h1, h2 := all[0], all[1]
		if err := s.Delete(h1); err != nil {
			t.Fatal(err)
		}
		got, err := orm.Select[qyHero](s).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ids := qyIDs(got); !slices.Equal(ids, qyInts(1, 2, 3, 4, 5, 6, 7)) || got[0] != h1 {
			t.Errorf("All after Delete: %v (first is the deleted instance: %v)", ids, got[0] == h1)
		}
		if one, err := orm.Select[qyHero](s).Filter(orm.Col("id").Eq(1)).One(ctx); one != h1 || err != nil {
			t.Errorf("One of a deleted object = %p, %v; want the tracked %p", one, err, h1)
		}
		if f, err := orm.Select[qyHero](s).Filter(orm.Col("team_id").Eq(2)).OrderBy("id").First(ctx); err != nil || f != h1 {
			t.Errorf("First = %+v, %v; want the deleted hero 1", f, err)
		}
		if two, err := orm.Select[qyHero](s).OrderBy("id").Limit(2).All(ctx); err != nil || len(two) != 2 || two[0] != h1 || two[1] != h2 {
			t.Errorf("Limit(2) = %v, %v; want heroes 1 and 2", qyIDs(two), err)
		}
		if n, err := orm.Select[qyHero](s).Count(ctx); err != nil || n != 7 {
			t.Errorf("Count = %d, %v; want 7", n, err)
		}
		if ok, err := orm.Select[qyHero](s).Filter(orm.Col("id").Eq(1)).Exists(ctx); err != nil || !ok {
			t.Errorf("Exists of the deleted object's row = %v, %v", ok, err)
		}
		var seen []int64
		for it, err := range orm.Select[qyHero](s).Filter(orm.Col("id").In(1, 2)).OrderBy("id").Iter(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, it.ID)
			if it.ID == 1 && it != h1 {
				t.Error("Iter returned another instance for the deleted key")
			}
		}
		if !slices.Equal(seen, qyInts(1, 2)) {
			t.Errorf("Iter: %v", seen)
		}
		raw, err := orm.Raw[qyHero](ctx, s, `SELECT id, name, secret_name, age, team_id FROM qy_hero WHERE id IN (?) ORDER BY id`, []int{1, 2})
		if err != nil || len(raw) != 2 || raw[0] != h1 {
			t.Errorf("Raw: %v, %v", qyIDs(raw), err)
		}
		if g, err := orm.Get[qyHero](ctx, s, 1); err != nil || g != h1 {
			t.Errorf("Get of a deleted object = %p, %v; want the tracked %p", g, err, h1)
		}
		if st, _ := s.ObjectState(h1); st != orm.StateDeleted {
			t.Errorf("state = %v, want Deleted (queries do not undelete)", st)
		}
		if s.PendingDeleteCount() != 1 {
			t.Errorf("PendingDeleteCount = %d", s.PendingDeleteCount())
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := orm.Select[qyHero](s).Count(ctx); err != nil || n != 6 {
			t.Errorf("Count after commit = %d, %v", n, err)
		}
		if _, err := orm.Get[qyHero](ctx, s, 1); !errors.Is(err, orm.ErrNotFound) {
			t.Errorf("Get after the commit: %v, want ErrNotFound", err)
		}
	})
}

// TestQueryUpdateByQueryRefreshesTracked: after a set-based UPDATE the
// session's objects show the new values on their next access, and their
// unflushed changes survive (AutoFlush off: with it the UPDATE would flush
// them first).
func TestQueryUpdateByQueryRefreshesTracked(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		s := qySessionNoAutoFlush(t, rdb)
		h1, h3, h6 := qyGet(t, ctx, s, 1), qyGet(t, ctx, s, 3), qyGet(t, ctx, s, 6)
		h1.Name = "Dirty Deadpond" // unflushed change to another column
		h3.Age = new(int)          // unflushed change to the updated column

		rec.Reset()
		n, err := orm.Select[qyHero](s).Filter(orm.Col("team_id").Eq(2)).Update(ctx, map[string]any{"Age": 70})
		if err != nil || n != 2 {
			t.Fatalf("Update = %d, %v; want 2", n, err)
		}
		evs := rec.Events()
		if len(evs) != 2 || evs[0].Op != "begin" || !evs[1].InTx || evs[1].Query != qySQL(db, `UPDATE "qy_hero" SET "age" = ? WHERE "team_id" = ?`) {
			t.Fatalf("Update statements:\n%s", rec.Dump())
		}
		if !s.InTransaction() {
			t.Error("Update by query on a session is not in its transaction")
		}

		// Get reloads the object in place: new value, dirty change kept.
		rec.Reset()
		g := qyGet(t, ctx, s, 1)
		if g != h1 || qyAge(h1) != 70 || h1.Name != "Dirty Deadpond" {
			t.Errorf("Get after Update: %p %+v", g, h1)
		}
		if e := qyOnly(t, rec); !e.InTx {
			t.Error("reload outside the transaction")
		}
		qyWantModified(t, s, h1, "name")

		// A query refreshes the other one.
		got, err := orm.Select[qyHero](s).Filter(orm.Col("team_id").Eq(2)).OrderBy("id").All(ctx)
		if err != nil || len(got) != 2 || got[0] != h1 || got[1] != h6 || qyAge(h6) != 70 {
			t.Errorf("query after Update: %v, %v; hero 6 %+v", qyIDs(got), err, h6)
		}
		qyWantModified(t, s, h6)

		// An object not matched keeps its values, including a dirty one.
		if qyGet(t, ctx, s, 3) != h3 || qyAge(h3) != 0 || h3.Name != "Rusty-Man" {
			t.Errorf("hero 3: %+v", h3)
		}
		qyWantModified(t, s, h3, "age")

		// An update of the dirty column: the database has the new value,
		// the unflushed change is kept and still written at flush.
		n, err = orm.Select[qyHero](s).Filter(orm.Col("id").Eq(3)).Update(ctx, map[string]any{"age": 80, "secret_name": "Tom"})
		if err != nil || n != 1 {
			t.Fatalf("Update hero 3 = %d, %v", n, err)
		}
		if qyGet(t, ctx, s, 3) != h3 || qyAge(h3) != 0 || h3.SecretName != "Tom" {
			t.Errorf("hero 3 after Update: %+v", h3)
		}
		qyWantModified(t, s, h3, "age")

		// Scalars and Count see the database.
		ages, err := orm.Scalars[int64](ctx, orm.Select[qyHero](s).Filter(orm.Col("team_id").Eq(2)), "age")
		if err != nil || !slices.Equal(ages, []int64{70, 70}) {
			t.Errorf("ages: %v, %v", ages, err)
		}

		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if r := qyHeroRow(t, ctx, db, 1); r.Name != "Dirty Deadpond" || qyAge(r) != 70 {
			t.Errorf("row 1 after commit: %+v", r)
		}
		if r := qyHeroRow(t, ctx, db, 3); qyAge(r) != 0 || r.SecretName != "Tom" {
			t.Errorf("row 3 after commit: %+v", r)
		}

		// Rolled back: the objects show the database's values again.
		h6 = qyGet(t, ctx, s, 6)
		if _, err := orm.Select[qyHero](s).Filter(orm.Col("id").Eq(6)).Update(ctx, map[string]any{"age": 99}); err != nil {
			t.Fatal(err)
		}
		if qyGet(t, ctx, s, 6); qyAge(h6) != 99 {
			t.Fatalf("hero 6 in the transaction: %+v", h6)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if qyGet(t, ctx, s, 6) != h6 || qyAge(h6) != 70 {
			t.Errorf("hero 6 after rollback: %+v", h6)
		}
	})
}

// TestQueryUpdateByQueryInSavepoint: rolling back a savepoint in which an
// UPDATE by query ran leaves no stale values in the session.
func TestQueryUpdateByQueryInSavepoint(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		s := qySession(t, db)
		h := qyGet(t, ctx, s, 1)
		sp, err := s.BeginNested(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := orm.Select[qyHero](s).Filter(orm.Col("id").Eq(1)).Update(ctx, map[string]any{"age": 77}); err != nil {
			t.Fatal(err)
		}
		if qyGet(t, ctx, s, 1); qyAge(h) != 77 {
			t.Fatalf("in the savepoint: %+v", h)
		}
		if err := sp.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if r := qyHeroRow(t, ctx, db, 1); qyAge(r) != 48 {
			t.Fatalf("row after the savepoint rollback: %+v", r)
		}
		got, err := orm.Select[qyHero](s).Filter(orm.Col("id").Eq(1)).One(ctx)
		if err != nil || got != h {
			t.Fatal(err)
		}
		if qyAge(h) != 48 || s.IsModified(h) {
			t.Errorf("after the savepoint rollback the session shows age %d (database 48), modified %v", qyAge(h), s.IsModified(h))
		}
	})
}

// TestQueryDeleteByQueryDetachesTracked: objects whose rows a set-based
// DELETE removed are no longer returned by the session.
func TestQueryDeleteByQueryDetachesTracked(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		s := qySession(t, rdb)
		h1, h4, h5 := qyGet(t, ctx, s, 1), qyGet(t, ctx, s, 4), qyGet(t, ctx, s, 5)

		rec.Reset()
		n, err := orm.Select[qyHero](s).Filter(orm.Col("age").Lt(36)).Delete(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Delete = %d, %v; want 2", n, err)
		}
		stmts := qyStatements(rec)
		if len(stmts) != 2 || stmts[1].Query != qySQL(db, `DELETE FROM "qy_hero" WHERE "age" < ?`) || !stmts[0].InTx || !stmts[1].InTx {
			t.Fatalf("Delete statements:\n%s", rec.Dump())
		}
		for _, h := range []*qyHero{h4, h5} {
			if s.Contains(h) {
				t.Errorf("hero %d still tracked", h.ID)
			}
			if st, ok := s.ObjectState(h); ok || st != orm.StateDetached {
				t.Errorf("hero %d state %v, %v", h.ID, st, ok)
			}
			if g, err := orm.Get[qyHero](ctx, s, h.ID); g != nil || !errors.Is(err, orm.ErrNotFound) {
				t.Errorf("Get hero %d = %v, %v; want ErrNotFound", h.ID, g, err)
			}
		}
		all, err := orm.Select[qyHero](s).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ids := qyIDs(all); !slices.Equal(ids, qyInts(1, 2, 3, 6, 7)) || all[0] != h1 || slices.Contains(all, h4) {
			t.Errorf("All after Delete: %v", ids)
		}
		if s.TrackedCount() != 5 || s.PendingDeleteCount() != 0 {
			t.Errorf("TrackedCount %d, PendingDeleteCount %d", s.TrackedCount(), s.PendingDeleteCount())
		}
		// Nothing is deleted twice at flush.
		rec.Reset()
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		for _, e := range qyStatements(rec) {
			t.Errorf("commit sent %s", e.Query)
		}
		if c, err := orm.Select[qyHero](db).Count(ctx); err != nil || c != 5 {
			t.Errorf("rows after commit: %d, %v", c, err)
		}

		// A session that tracks no hero deletes without reading keys.
		s2 := qySession(t, rdb)
		rec.Reset()
		if n, err := orm.Select[qyHero](s2).Filter(orm.Col("id").Eq(7)).Delete(ctx); err != nil || n != 1 {
			t.Fatalf("Delete = %d, %v", n, err)
		}
		if got := qyStatements(rec); len(got) != 1 || !strings.HasPrefix(got[0].Query, "DELETE") {
			t.Errorf("untracked Delete statements:\n%s", rec.Dump())
		}
		if err := s2.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestQueryDeleteByQueryRolledBack: rolling back the transaction brings
// the deleted objects back into the session, with their unflushed changes
// (AutoFlush off, so that the DELETE does not flush them first).
func TestQueryDeleteByQueryRolledBack(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		s := qySessionNoAutoFlush(t, db)
		h4 := qyGet(t, ctx, s, 4)
		h4.Name = "Unflushed"
		if n, err := orm.Select[qyHero](s).Filter(orm.Col("id").Eq(4)).Delete(ctx); err != nil || n != 1 {
			t.Fatalf("Delete = %d, %v", n, err)
		}
		if s.Contains(h4) {
			t.Fatal("deleted hero still tracked")
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if !s.Contains(h4) {
			t.Fatal("hero 4 not tracked again after rollback")
		}
		got, err := orm.Select[qyHero](s).Filter(orm.Col("id").Eq(4)).One(ctx)
		if err != nil || got != h4 {
			t.Fatalf("hero 4 after rollback: %p, %v; want %p", got, err, h4)
		}
		if h4.Name != "Unflushed" || qyAge(h4) != 32 {
			t.Errorf("hero 4 after rollback: %+v", h4)
		}
	})
}
