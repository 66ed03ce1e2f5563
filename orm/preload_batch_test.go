package orm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// rlSeedBatch writes two teams with n heroes each (ids 1..2n, team 1 the
// odd ones), enough rows for a load to fill several object slabs and to
// claim its objects shard by shard.
func rlSeedBatch(t *testing.T, db *orm.DB, n int) {
	t.Helper()
	ctx := rlCreate(t, db)
	objs := []any{&rlTeam{ID: 1, Name: "Odd", Headquarters: "-"}, &rlTeam{ID: 2, Name: "Even", Headquarters: "-"}}
	for i := int64(1); i <= int64(2*n); i++ {
		objs = append(objs, &rlHero{ID: i, Name: fmt.Sprintf("h%04d", i), SecretName: "s", TeamID: rlI64(2 - i%2)})
	}
	rlSeed(t, ctx, db, objs...)
}

// The rows of a batch load are tracked as loaded, each with its own
// snapshot: a change to one is the only one a flush writes, and it is the
// one written.
func TestPreloadBatchSnapshots(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		rlSeedBatch(t, db, 150)
		ctx := t.Context()
		s, rec := idSession(t, db)
		teams, err := orm.Select[rlTeam](s).OrderBy("id").Preload("Heroes").All(ctx)
		if err != nil || len(teams) != 2 {
			t.Fatalf("teams = %d, %v", len(teams), err)
		}
		heroes := append(teams[0].Heroes.Items(), teams[1].Heroes.Items()...)
		if len(heroes) != 300 {
			t.Fatalf("%d heroes loaded, want 300", len(heroes))
		}
		seen := map[*rlHero]bool{}
		for _, h := range heroes {
			if seen[h] {
				t.Fatalf("hero %d loaded twice at the same address", h.ID)
			}
			seen[h] = true
			if s.IsModified(h) {
				t.Fatalf("hero %d is modified right after the load", h.ID)
			}
			if g, err := orm.Get[rlHero](ctx, s, h.ID); err != nil || g != h {
				t.Fatalf("Get hero %d = %p, %v; want the loaded %p", h.ID, g, err, h)
			}
		}
		changed := heroes[217]
		changed.SecretName = "changed"
		for _, h := range heroes {
			if s.IsModified(h) != (h == changed) {
				t.Fatalf("hero %d: modified %v", h.ID, s.IsModified(h))
			}
		}
		rec.Reset()
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		updates := 0
		for _, q := range rec.Statements() {
			if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q)), "UPDATE") {
				updates++
			}
		}
		if updates != 1 {
			t.Fatalf("%d UPDATE statements, want 1:\n%s", updates, rec.Dump())
		}
		var n int64
		if err := db.SQL().QueryRowContext(ctx, rlQ(db, `SELECT COUNT(*) FROM "rl_hero" WHERE "secret_name" = ?`), "changed").Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d rows changed (%v), want 1", n, err)
		}
		var id int64
		if err := db.SQL().QueryRowContext(ctx, rlQ(db, `SELECT "id" FROM "rl_hero" WHERE "secret_name" = ?`), "changed").Scan(&id); err != nil || id != changed.ID {
			t.Fatalf("row %d changed (%v), want %d", id, err, changed.ID)
		}
	})
}

// Every object of a batch load is claimed by its session: another session
// refuses it until the first expunges it, or is closed.
func TestPreloadBatchClaims(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		rlSeedBatch(t, db, 150)
		ctx := t.Context()
		owner := orm.NewSession(db)
		teams, err := orm.Select[rlTeam](owner).OrderBy("id").Preload("Heroes").All(ctx)
		if err != nil || len(teams) != 2 {
			t.Fatalf("teams = %d, %v", len(teams), err)
		}
		heroes := append(teams[0].Heroes.Items(), teams[1].Heroes.Items()...)
		other := orm.NewSession(db)
		defer other.Close()
		for _, h := range heroes {
			if err := other.MarkDirty(h); !errors.Is(err, orm.ErrTrackedElsewhere) {
				t.Fatalf("MarkDirty of hero %d: %v, want ErrTrackedElsewhere", h.ID, err)
			}
		}
		if err := owner.Expunge(heroes[5]); err != nil {
			t.Fatal(err)
		}
		if err := other.MarkDirty(heroes[5]); err != nil {
			t.Fatalf("MarkDirty after Expunge: %v", err)
		}
		if err := other.MarkDirty(heroes[6]); !errors.Is(err, orm.ErrTrackedElsewhere) {
			t.Fatalf("MarkDirty of a hero still tracked: %v, want ErrTrackedElsewhere", err)
		}
		if err := owner.Close(); err != nil {
			t.Fatal(err)
		}
		for _, h := range heroes {
			if h == heroes[5] {
				continue
			}
			if err := other.MarkDirty(h); err != nil {
				t.Fatalf("MarkDirty of hero %d after the owner closed: %v", h.ID, err)
			}
		}
	})
}

// A session whose identity map holds clean objects weakly loads the same
// collections, tracked the same way.
func TestPreloadBatchWeakMap(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		rlSeedBatch(t, db, 100)
		ctx := t.Context()
		cfg := orm.DefaultSessionConfig()
		cfg.WeakIdentityMap = true
		s := orm.NewSessionWithConfig(db, cfg)
		defer s.Close()
		teams, err := orm.Select[rlTeam](s).OrderBy("id").Preload("Heroes").All(ctx)
		if err != nil || len(teams) != 2 {
			t.Fatalf("teams = %d, %v", len(teams), err)
		}
		for i, team := range teams {
			items := team.Heroes.Items()
			if len(items) != 100 {
				t.Fatalf("team %d has %d heroes, want 100", team.ID, len(items))
			}
			for _, h := range items {
				if *h.TeamID != int64(i+1) || s.IsModified(h) {
					t.Fatalf("hero %d of team %d: team %d, modified %v", h.ID, team.ID, *h.TeamID, s.IsModified(h))
				}
				if g, err := orm.Get[rlHero](ctx, s, h.ID); err != nil || g != h {
					t.Fatalf("Get hero %d = %p, %v; want the loaded %p", h.ID, g, err, h)
				}
			}
		}
	})
}

type dupParent struct {
	ID   int64                   `sqlmodel:"pk"`
	Name string                  `sqlmodel:"size=20"`
	Kids orm.RelatedMany[dupKid] `sqlmodel:"back_populates=Parent"`
}

func (dupParent) TableName() string { return "dup_parent" }

type dupKid struct {
	ID       int64               `sqlmodel:"pk"`
	ParentID int64               `sqlmodel:"fk=dup_parent.id"`
	Name     string              `sqlmodel:"size=20"`
	Parent   orm.Lazy[dupParent] `sqlmodel:"fk=ParentID,back_populates=Kids"`
}

func (dupKid) TableName() string { return "dup_kid" }

// A table without a primary-key constraint can hold one key twice: a load
// reading both rows resolves them to one object, as a lookup of each row
// would, also in a session that tracked nothing of the model before.
func TestPreloadDuplicateKeyRows(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := t.Context()
		if err := db.Register(&dupParent{}, &dupKid{}); err != nil {
			t.Fatal(err)
		}
		rlExec(t, ctx, db, `CREATE TABLE "dup_parent" ("id" BIGINT, "name" VARCHAR(20))`)
		rlExec(t, ctx, db, `CREATE TABLE "dup_kid" ("id" BIGINT, "parent_id" BIGINT, "name" VARCHAR(20))`)
		rlExec(t, ctx, db, `INSERT INTO "dup_parent" ("id", "name") VALUES (1, 'p')`)
		rlExec(t, ctx, db, `INSERT INTO "dup_kid" ("id", "parent_id", "name") VALUES (1, 1, 'a'), (2, 1, 'b'), (1, 1, 'a')`)
		s := orm.NewSession(db)
		defer s.Close()
		parents, err := orm.Select[dupParent](s).Preload("Kids").All(ctx)
		if err != nil || len(parents) != 1 {
			t.Fatalf("parents = %d, %v", len(parents), err)
		}
		kids := parents[0].Kids.Items()
		if len(kids) != 3 {
			t.Fatalf("%d kids, want the 3 rows", len(kids))
		}
		var one, two []*dupKid
		for _, k := range kids {
			switch k.ID {
			case 1:
				one = append(one, k)
			case 2:
				two = append(two, k)
			}
		}
		if len(one) != 2 || one[0] != one[1] || len(two) != 1 {
			t.Fatalf("kids %v: want the two rows of key 1 as one object", kids)
		}
		g, err := orm.Get[dupKid](ctx, s, 1)
		if err != nil || g != one[0] || s.IsModified(g) {
			t.Fatalf("Get kid 1 = %p, %v (modified %v); want the loaded %p, clean", g, err, s.IsModified(g), one[0])
		}
		if g, err := orm.Get[dupKid](ctx, s, 2); err != nil || g != two[0] {
			t.Fatalf("Get kid 2 = %p, %v; want the loaded %p", g, err, two[0])
		}
	})
}
