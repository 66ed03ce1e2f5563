package orm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// A misspelt Preload path is refused before any SQL, whether or not the
// query would find rows, and before the autoflush a read would run: the
// pending object stays pending.
func TestPreloadPathCheckedBeforeSQL(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlCreate(t, db)
		rlSeed(t, ctx, db, &rlTeam{ID: 1, Name: "Preventers"}, &rlHero{ID: 1, Name: "Rusty-Man", TeamID: rlI64(1)})
		rdb, rec := testkit.Record(db)
		s := rlSession(t, rdb)
		pending := &rlHero{ID: 2, Name: "Pending"}
		if err := s.Add(pending); err != nil {
			t.Fatal(err)
		}
		rec.Reset()

		cases := []struct {
			name string
			run  func() error
		}{
			{"All with rows", func() error {
				_, err := orm.Select[rlHero](s).Where("id = ?", 1).Preload("Teem").All(ctx)
				return err
			}},
			{"All without rows", func() error {
				_, err := orm.Select[rlHero](s).Where("id = ?", 999).Preload("Teem").All(ctx)
				return err
			}},
			{"nested typo", func() error {
				_, err := orm.Select[rlHero](s).Preload("Team", "Team.Heroez").All(ctx)
				return err
			}},
			{"First", func() error {
				_, err := orm.Select[rlHero](s).Preload("Powerz").First(ctx)
				return err
			}},
			{"One without rows", func() error {
				_, err := orm.Select[rlHero](s).Where("id = ?", 999).Preload("Teem").One(ctx)
				return err
			}},
			{"Iter", func() error {
				for _, err := range orm.Select[rlHero](s).Preload("Teem").Iter(ctx) {
					if err != nil {
						return err
					}
				}
				return nil
			}},
			{"orm.Preload nested", func() error {
				return orm.Preload(ctx, s, []*rlHero{pending}, "Team.Heroez")
			}},
		}
		for _, c := range cases {
			err := c.run()
			if !errors.Is(err, orm.ErrInvalidArgument) {
				t.Errorf("%s: %v, want ErrInvalidArgument", c.name, err)
				continue
			}
			if !strings.Contains(err.Error(), "has no relation") {
				t.Errorf("%s: the error does not say what is wrong: %v", c.name, err)
			}
		}
		if n := rec.Count(); n != 0 {
			t.Errorf("refused Preloads sent %d statement(s), want none:\n%s", n, rec.Dump())
		}
		if st, _ := s.ObjectState(pending); st != orm.StateNew {
			t.Errorf("pending hero is %v after the refused queries, want New", st)
		}

		// The same query with the path spelt right runs and loads.
		hs, err := orm.Select[rlHero](s).Where("id = ?", 1).Preload("Team").All(ctx)
		if err != nil || len(hs) != 1 {
			t.Fatalf("Preload(Team): %v, %v", hs, err)
		}
		if team, ok := hs[0].Team.Get(); !ok || team == nil || team.Name != "Preventers" {
			t.Errorf("Team not loaded: %+v, %v", team, ok)
		}
	})
}
