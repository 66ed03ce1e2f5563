package orm_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Hand-written SQL: orm.Raw maps result columns to fields by name, orm.Exec
// runs statements; both rebind '?' for the dialect, go through the query
// hooks and, on a session, through its transaction.

func TestRawMapsColumnsByName(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)

		// Columns in another order than the fields, with a slice argument.
		const q = `SELECT team_id, age, secret_name, name, id FROM qy_hero WHERE id IN (?) ORDER BY id`
		hs, err := orm.Raw[qyHero](ctx, rdb, q, []int{1, 5})
		if err != nil {
			t.Fatal(err)
		}
		qyWantSQL(t, db, rec, `SELECT team_id, age, secret_name, name, id FROM qy_hero WHERE id IN (?, ?) ORDER BY id`, 1, 5)
		if len(hs) != 2 {
			t.Fatalf("%d rows", len(hs))
		}
		if h := hs[0]; h.ID != 1 || h.Name != "Deadpond" || h.SecretName != "Dive Wilson" || qyAge(h) != 48 || h.TeamID == nil || *h.TeamID != 2 {
			t.Errorf("row 1 = %+v", h)
		}
		if h := hs[1]; h.ID != 5 || h.Name != "Black Lion" || h.TeamID != nil || qyAge(h) != 35 {
			t.Errorf("row 5 = %+v", h)
		}

		// Some columns only; the others keep their zero values.
		hs, err = orm.Raw[qyHero](ctx, rdb, `SELECT id, name FROM qy_hero WHERE id = ?`, 2)
		if err != nil || len(hs) != 1 || hs[0].Name != "Spider-Boy" || hs[0].SecretName != "" || hs[0].Age != nil || hs[0].TeamID != nil {
			t.Errorf("subset: %+v, %v", hs, err)
		}

		// Aliases map by the result name; upper-case names are matched too.
		hs, err = orm.Raw[qyHero](ctx, rdb, `SELECT id, name AS secret_name FROM qy_hero WHERE id = ?`, 3)
		if err != nil || len(hs) != 1 || hs[0].SecretName != "Rusty-Man" || hs[0].Name != "" {
			t.Errorf("alias: %+v, %v", hs, err)
		}
		hs, err = orm.Raw[qyHero](ctx, rdb, `SELECT ID, NAME FROM qy_hero WHERE ID = ?`, 4)
		if err != nil || len(hs) != 1 || hs[0].ID != 4 || hs[0].Name != "Tarantula" {
			t.Errorf("upper case: %+v, %v", hs, err)
		}

		// A join, selecting the hero's columns qualified.
		hs, err = orm.Raw[qyHero](ctx, rdb, `SELECT qy_hero.id, qy_hero.name FROM qy_hero JOIN qy_team ON qy_team.id = qy_hero.team_id WHERE qy_team.name = ? ORDER BY qy_hero.id`, "Z-Force")
		if err != nil || !slices.Equal(qyIDs(hs), qyInts(1, 6)) || hs[1].Name != "Dr. Weird" {
			t.Errorf("join: %v, %v", qyIDs(hs), err)
		}

		// '?' inside quotes is text, "??" a literal '?'.
		hs, err = orm.Raw[qyHero](ctx, rdb, `SELECT id, name FROM qy_hero WHERE name <> '?' AND secret_name <> 'a??b' AND id = ?`, 6)
		if err != nil || len(hs) != 1 || hs[0].ID != 6 {
			t.Errorf("quoted '?': %+v, %v", hs, err)
		}

		// No rows: an empty, non-nil slice.
		hs, err = orm.Raw[qyHero](ctx, rdb, `SELECT id, name FROM qy_hero WHERE id > ?`, 100)
		if err != nil || hs == nil || len(hs) != 0 {
			t.Errorf("no rows: %#v, %v", hs, err)
		}
	})
}

func TestRawUnknownColumns(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		for _, q := range []string{
			`SELECT id, name, 1 AS extra FROM qy_hero ORDER BY id`,
			`SELECT qy_hero.id, qy_hero.name, qy_team.name AS team_name FROM qy_hero JOIN qy_team ON qy_team.id = qy_hero.team_id ORDER BY qy_hero.id`,
		} {
			hs, err := orm.Raw[qyHero](ctx, rdb, q)
			if err == nil || hs != nil || !strings.Contains(err.Error(), "IgnoreUnknownColumns") {
				t.Errorf("%s: %v, %v; want an error about the unknown column", q, hs, err)
			}
			if err != nil && !strings.Contains(err.Error(), "extra") && !strings.Contains(err.Error(), "team_name") {
				t.Errorf("the error does not name the column: %v", err)
			}
			hs, err = orm.RawWithOptions[qyHero](ctx, rdb, []orm.RawOption{orm.IgnoreUnknownColumns()}, q)
			if err != nil || len(hs) == 0 || hs[0].ID != 1 || hs[0].Name != "Deadpond" {
				t.Errorf("%s with IgnoreUnknownColumns: %v, %v", q, hs, err)
			}
		}
		// Mapping decisions are cached per column list; the options are
		// part of the key.
		if _, err := orm.Raw[qyHero](ctx, rdb, `SELECT id, name, 1 AS extra FROM qy_hero`); err == nil {
			t.Error("unknown column accepted after an IgnoreUnknownColumns query with the same columns")
		}
		// The session does not leak connections on a mapping error.
		s := qySession(t, rdb)
		if _, err := orm.Raw[qyHero](ctx, s, `SELECT id, 2 AS extra FROM qy_hero`); err == nil {
			t.Error("unknown column accepted through a session")
		}
		if s.TrackedCount() != 0 {
			t.Errorf("TrackedCount %d after a failed Raw", s.TrackedCount())
		}
		if inUse := db.SQL().Stats().InUse; inUse != 0 {
			t.Errorf("%d connection(s) in use after a failed Raw", inUse)
		}

		// Statement problems are found before any SQL.
		rec.Reset()
		if _, err := orm.Raw[qyHero](ctx, rdb, `SELECT id FROM qy_hero WHERE id = ? AND name = ?`, 1); err == nil {
			t.Error("too few arguments accepted")
		}
		if _, err := orm.Raw[qyHero](ctx, rdb, `SELECT id FROM qy_hero WHERE id = ?`, 1, 2); err == nil {
			t.Error("too many arguments accepted")
		}
		type qyRawUnregistered struct {
			ID int64 `sqlmodel:"pk"`
		}
		if _, err := orm.Raw[qyRawUnregistered](ctx, rdb, `SELECT id FROM qy_hero`); !errors.Is(err, orm.ErrUnmapped) {
			t.Errorf("Raw of an unregistered type: %v", err)
		}
		if _, err := orm.Exec(ctx, rdb, `UPDATE qy_hero SET age = ? WHERE id = ?`, 1); err == nil {
			t.Error("Exec with too few arguments accepted")
		}
		qyWantNoSQL(t, rec, "refused Raw/Exec")
	})
}

// With AutoFlush off: Raw returns the tracked instance without writing its
// unflushed change.
func TestRawThroughSession(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		s := qySessionNoAutoFlush(t, rdb)
		h1 := qyGet(t, ctx, s, 1)
		h1.Name = "Dirty"

		// Outside a transaction: the pool.
		rec.Reset()
		hs, err := orm.Raw[qyHero](ctx, s, `SELECT id, name, secret_name, age, team_id FROM qy_hero WHERE team_id = ? ORDER BY id`, 2)
		if err != nil || len(hs) != 2 || hs[0] != h1 || h1.Name != "Dirty" {
			t.Fatalf("Raw = %v, %v; hero 1 %+v", qyIDs(hs), err, h1)
		}
		if e := qyOnly(t, rec); e.InTx {
			t.Error("Raw ran in a transaction the session does not have")
		}
		if s.TrackedCount() != 2 {
			t.Errorf("TrackedCount = %d, want 2", s.TrackedCount())
		}
		h6 := hs[1]

		// Inside the session's transaction: the statement runs in it and
		// sees the transaction's own changes.
		if err := s.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.Exec(ctx, s, `INSERT INTO qy_hero (id, name, secret_name, team_id) VALUES (?, ?, ?, ?)`, 50, "Uncommitted", "U", 2); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		hs, err = orm.Raw[qyHero](ctx, s, `SELECT id, name, secret_name, age, team_id FROM qy_hero WHERE team_id = ? ORDER BY id`, 2)
		if err != nil || !slices.Equal(qyIDs(hs), qyInts(1, 6, 50)) || hs[0] != h1 || hs[1] != h6 {
			t.Fatalf("Raw in the transaction = %v, %v", qyIDs(hs), err)
		}
		if e := qyOnly(t, rec); !e.InTx {
			t.Error("Raw did not run in the session's transaction")
		}
		if h50, err := orm.Get[qyHero](ctx, s, 50); err != nil || h50 != hs[2] {
			t.Errorf("Get of the Raw-loaded hero 50: %p, %v; want %p", h50, err, hs[2])
		}
		qyWantModified(t, s, h1, "name")
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if r := qyHeroRow(t, ctx, db, 50); r != nil {
			t.Errorf("hero 50 survived the rollback: %+v", r)
		}
	})
}

func TestRawExecRolledBackWithSession(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		s := qySession(t, rdb)

		// Exec on a session opens its transaction.
		res, err := orm.Exec(ctx, s, `UPDATE qy_hero SET age = ? WHERE id IN (?)`, 99, []int64{1, 3})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 2 {
			t.Errorf("RowsAffected = %d, %v", n, err)
		}
		evs := rec.Events()
		if len(evs) != 2 || evs[0].Op != "begin" || evs[1].Op != "exec" || !evs[1].InTx ||
			evs[1].Query != qySQL(db, `UPDATE qy_hero SET age = ? WHERE id IN (?, ?)`) {
			t.Fatalf("Exec statements:\n%s", rec.Dump())
		}
		if !s.InTransaction() {
			t.Fatal("Exec did not open the session's transaction")
		}
		ages, err := orm.Scalars[int64](ctx, orm.Select[qyHero](s).Filter(orm.Col("id").In(1, 3)).OrderBy("id"), "age")
		if err != nil || !slices.Equal(ages, []int64{99, 99}) {
			t.Errorf("ages in the transaction: %v, %v", ages, err)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{1, 3} {
			if r := qyHeroRow(t, ctx, db, id); qyAge(r) != 48 {
				t.Errorf("hero %d after rollback: %+v", id, r)
			}
		}

		// In an explicit transaction, with the session's own queries
		// seeing the change; rolled back with it.
		if err := s.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		h := qyGet(t, ctx, s, 4)
		if _, err := orm.Exec(ctx, s, `DELETE FROM qy_hero WHERE id = ?`, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.Exec(ctx, s, `UPDATE qy_hero SET name = ? WHERE id = ?`, "Exec'd", 4); err != nil {
			t.Fatal(err)
		}
		if n, err := orm.Select[qyHero](s).Count(ctx); err != nil || n != 6 {
			t.Errorf("Count in the transaction = %d, %v; want 6", n, err)
		}
		// Exec does not know what it changed: the object keeps its value
		// until expired.
		if h.Name != "Tarantula" {
			t.Errorf("Exec changed a tracked object: %+v", h)
		}
		s.Expire(h)
		if qyGet(t, ctx, s, 4) != h || h.Name != "Exec'd" {
			t.Errorf("after Expire: %+v", h)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := orm.Select[qyHero](db).Count(ctx); err != nil || n != 7 {
			t.Errorf("Count after rollback = %d, %v; want 7", n, err)
		}
		if qyGet(t, ctx, s, 4) != h || h.Name != "Tarantula" {
			t.Errorf("hero 4 after rollback: %+v", h)
		}

		// Exec on a *DB runs on the pool and commits at once.
		rec.Reset()
		res, err = orm.Exec(ctx, rdb, `UPDATE qy_hero SET secret_name = ? WHERE name = ?`, `it's "quoted" \ ?`, "Deadpond")
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Errorf("RowsAffected = %d", n)
		}
		if e := qyOnly(t, rec); e.InTx || e.Op != "exec" {
			t.Errorf("*DB Exec event: %+v", e)
		}
		if r := qyHeroRow(t, ctx, db, 1); r.SecretName != `it's "quoted" \ ?` {
			t.Errorf("secret name = %q", r.SecretName)
		}

		// A closed session refuses.
		s2 := orm.NewSession(rdb)
		if err := s2.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.Exec(ctx, s2, `DELETE FROM qy_hero`); !errors.Is(err, orm.ErrSessionClosed) {
			t.Errorf("Exec on a closed session: %v", err)
		}
		if _, err := orm.Raw[qyHero](ctx, s2, `SELECT id FROM qy_hero`); !errors.Is(err, orm.ErrSessionClosed) {
			t.Errorf("Raw on a closed session: %v", err)
		}
		var nilS *orm.Session
		if _, err := orm.Exec(ctx, nilS, `DELETE FROM qy_hero`); err == nil {
			t.Error("Exec on a nil session succeeded")
		}
		if n, err := orm.Select[qyHero](db).Count(ctx); err != nil || n != 7 {
			t.Errorf("Count = %d, %v; want 7", n, err)
		}
	})
}
