package orm_test

import (
	"errors"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Partial loads are partial (issue 15, item 1): Raw selecting some columns
// leaves the others unloaded on new objects (a flush refuses to write them
// until they are loaded; Get and Refresh load them) and untouched on
// objects already tracked. Names start with "pr", tables with "pr_".

type prItem struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	N    int
}

func (prItem) TableName() string { return "pr_item" }

func TestPartialRawRows(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &prItem{})
		rwSeed(t, db, &prItem{Name: "a", N: 5}, &prItem{Name: "b", N: 7})
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		got, err := orm.Raw[prItem](ctx, s, `SELECT id, name FROM pr_item ORDER BY id`)
		rwOK(t, err, "partial Raw")
		a := got[0]
		if st, _ := s.ObjectState(a); st != orm.StateExpired || s.IsModified(a) {
			t.Fatalf("partial object is %v, modified %v; want Expired and clean", st, s.IsModified(a))
		}
		// A change of a column never loaded is refused before any SQL.
		a.N++
		rec.Reset()
		err = s.Commit(ctx)
		if !errors.Is(err, orm.ErrNotLoaded) {
			t.Fatalf("Commit after changing an unloaded column: %v, want ErrNotLoaded", err)
		}
		rwStatements(t, rec)
		rwEqual(t, "db after the refused commit", rwRows(t, db, `SELECT "name", "n" FROM "pr_item"`), []string{"a|5", "b|7"})
		// Get loads what the partial row left out (the database's value
		// replaces the one changed without it).
		g, err := orm.Get[prItem](ctx, s, a.ID)
		rwOK(t, err, "Get")
		if g != a || a.N != 5 || a.Name != "a" {
			t.Fatalf("after Get: same %v, %+v", g == a, *a)
		}
		a.N++
		rwOK(t, s.Commit(ctx), "Commit after loading")
		rwEqual(t, "db", rwRows(t, db, `SELECT "name", "n" FROM "pr_item"`), []string{"a|6", "b|7"})

		// Refresh loads too; a name-only change of b writes only name.
		b := got[1]
		b.Name = "b2"
		rec.Reset()
		rwOK(t, s.Commit(ctx), "Commit name only")
		if ev := rwData(rec); len(ev) != 1 || ev[0].Query != rwQ(db, `UPDATE "pr_item" SET "name" = ? WHERE "id" = ?`) {
			t.Fatalf("statements: %s", rec.Dump())
		}
		rwEqual(t, "db after name", rwRows(t, db, `SELECT "name", "n" FROM "pr_item"`), []string{"a|6", "b2|7"})

		// On a tracked, loaded object a partial row changes nothing; on an
		// expired one it loads the columns it has and leaves the rest
		// expired.
		s2 := rwSession(t, db)
		full, err := orm.Get[prItem](ctx, s2, b.ID)
		rwOK(t, err, "Get full")
		_, err = orm.Exec(ctx, db, `UPDATE pr_item SET name = ?, n = ? WHERE id = ?`, "b3", 9, b.ID)
		rwOK(t, err, "outside update")
		again, err := orm.Raw[prItem](ctx, s2, `SELECT id, name FROM pr_item WHERE id = ?`, b.ID)
		rwOK(t, err, "partial Raw of a tracked object")
		if again[0] != full || full.Name != "b2" || full.N != 7 {
			t.Fatalf("tracked object changed by a partial row: %+v", *full)
		}
		s2.Expire(full)
		_, err = orm.Raw[prItem](ctx, s2, `SELECT id, name FROM pr_item WHERE id = ?`, b.ID)
		rwOK(t, err, "partial Raw of an expired object")
		if full.Name != "b3" || !s2.IsExpired(full) || !equalStrings(s2.ExpiredAttributes(full), []string{"n"}) {
			t.Fatalf("expired object after a partial row: %+v, expired %v %v", *full, s2.IsExpired(full), s2.ExpiredAttributes(full))
		}
		rwOK(t, orm.Refresh(ctx, s2, full), "Refresh")
		if full.N != 9 {
			t.Fatalf("n after Refresh = %d, want 9", full.N)
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
