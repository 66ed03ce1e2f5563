package orm_test

import (
	"slices"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// The batch loaders stitch rows to parents through the identity map
// (issue 18, item 3): tracked rows resolve to the tracked instances, dirty
// ones keep their changes, expired ones are reloaded, order_by is kept per
// parent, and composite keys group like single ones. Names start with
// "rl" as in relations_load_test.go; tables with "rl_".

// A one-to-many and its many-to-one over a two-column key.

type rlFleet struct {
	Region string `sqlmodel:"pk,size=20"`
	Num    int64  `sqlmodel:"pk"`
	Name   string
	Ships  orm.RelatedMany[rlShip] `sqlmodel:"back_populates=Fleet,order_by=name"`
}

func (rlFleet) TableName() string { return "rl_fleet" }

type rlShip struct {
	ID          int64             `sqlmodel:"pk"`
	Name        string            `sqlmodel:"size=40"`
	FleetRegion string            `sqlmodel:"fk=rl_fleet.region,size=20"`
	FleetNum    int64             `sqlmodel:"fk=rl_fleet.num"`
	Fleet       orm.Lazy[rlFleet] `sqlmodel:"fk=FleetRegion;FleetNum,back_populates=Ships"`
}

func (rlShip) TableName() string { return "rl_ship" }

func rlShipNames(ss []*rlShip) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// rlSeedDirtyWorld: three teams; team 3's heroes in ids 2..4 are not in
// name order, and team 2 has one hero.
func rlSeedDirtyWorld(t *testing.T, db *orm.DB) {
	ctx := rlCreate(t, db)
	rlSeed(t, ctx, db,
		&rlTeam{ID: 1, Name: "Empty", Headquarters: "-"},
		&rlTeam{ID: 2, Name: "Solo", Headquarters: "Garage"},
		&rlTeam{ID: 3, Name: "Trio", Headquarters: "Tower"},
	)
	rlSeed(t, ctx, db,
		&rlHero{ID: 1, Name: "Lonely", SecretName: "L", TeamID: rlI64(2)},
		&rlHero{ID: 2, Name: "Zeta", SecretName: "Z", TeamID: rlI64(3)},
		&rlHero{ID: 3, Name: "Alpha", SecretName: "A", TeamID: rlI64(3)},
		&rlHero{ID: 4, Name: "Mid", SecretName: "M", TeamID: rlI64(3)},
	)
}

// Preload with AutoFlush off, where some children are tracked before: a
// dirty one keeps its unflushed changes (and stays dirty), one whose
// foreign key changed in memory is grouped under its new parent, an
// expired one is reloaded from its row, and the others are tracked as
// loaded. Every child is the tracked instance.
func TestRlPreloadTrackedChildren(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		rlSeedDirtyWorld(t, db)
		ctx := t.Context()
		rlExec(t, ctx, db, `UPDATE "rl_hero" SET "secret_name" = ? WHERE "id" = ?`, "L", 1)
		cfg := orm.DefaultSessionConfig()
		cfg.AutoFlush = false
		s := orm.NewSessionWithConfig(db, cfg)
		defer s.Close()
		zeta, err := orm.Get[rlHero](ctx, s, 2)
		if err != nil {
			t.Fatal(err)
		}
		zeta.SecretName = "unflushed"
		mid, err := orm.Get[rlHero](ctx, s, 4)
		if err != nil {
			t.Fatal(err)
		}
		mid.TeamID = rlI64(2) // moved in memory, not flushed
		lonely, err := orm.Get[rlHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		rlExec(t, ctx, db, `UPDATE "rl_hero" SET "secret_name" = ? WHERE "id" = ?`, "reloaded", 1)
		s.Expire(lonely)

		teams, err := orm.Select[rlTeam](s).OrderBy("id").Preload("Heroes").All(ctx)
		if err != nil || len(teams) != 3 {
			t.Fatalf("teams = %d, %v", len(teams), err)
		}
		want := [][]string{{}, {"Lonely", "Mid"}, {"Alpha", "Zeta"}}
		for i, team := range teams {
			if got := rlHeroNames(team.Heroes.Items()); !team.Heroes.IsLoaded() || !slices.Equal(got, want[i]) {
				t.Errorf("team %d heroes = %q (loaded %v), want %q", team.ID, got, team.Heroes.IsLoaded(), want[i])
			}
		}
		trio := teams[2].Heroes.Items()
		if len(trio) != 2 || trio[1] != zeta {
			t.Fatalf("team 3's Zeta is not the tracked instance")
		}
		if zeta.SecretName != "unflushed" || !s.IsModified(zeta) {
			t.Errorf("dirty Zeta: secret %q, modified %v; want its unflushed change kept", zeta.SecretName, s.IsModified(zeta))
		}
		solo := teams[1].Heroes.Items()
		if len(solo) != 2 || solo[0] != lonely || solo[1] != mid {
			t.Errorf("team 2 heroes are not the tracked Lonely and Mid")
		}
		if lonely.SecretName != "reloaded" || s.IsModified(lonely) {
			t.Errorf("expired Lonely: secret %q, modified %v; want the row's value, clean", lonely.SecretName, s.IsModified(lonely))
		}
		for _, h := range trio {
			if g, err := orm.Get[rlHero](ctx, s, h.ID); err != nil || g != h {
				t.Errorf("Get hero %d = %p, %v; want the loaded %p", h.ID, g, err, h)
			}
		}
		// The loaded collections are their base: the commit writes Mid's
		// move and nothing that contradicts it.
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := db.SQL().QueryRowContext(ctx, rlQ(db, `SELECT COUNT(*) FROM "rl_hero" WHERE "team_id" = ?`), 2).Scan(&n); err != nil || n != 2 {
			t.Errorf("team 2 has %d heroes after the flush (%v), want 2", n, err)
		}
	})
}

// A collection changed by hand after a preload is written by the flush as
// the difference from what was loaded (the base recorded by the loader).
func TestRlPreloadBaseIsWhatWasLoaded(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		rlSeedDirtyWorld(t, db)
		ctx := t.Context()
		s := rlSession(t, db)
		teams, err := orm.Select[rlTeam](s).OrderBy("id").Preload("Heroes").All(ctx)
		if err != nil || len(teams) != 3 {
			t.Fatalf("teams = %d, %v", len(teams), err)
		}
		trio := teams[2].Heroes.Items()
		// Items is the collection's own slice: writing into it must not
		// change another parent's collection or the recorded base.
		moved := trio[0]
		trio[0] = trio[2]
		teams[2].Heroes.Set(trio[:2])
		teams[1].Heroes.Set(append(teams[1].Heroes.Items(), moved))
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		var team int64
		if err := db.SQL().QueryRowContext(ctx, rlQ(db, `SELECT "team_id" FROM "rl_hero" WHERE "id" = ?`), moved.ID).Scan(&team); err != nil || team != 2 {
			t.Errorf("moved hero %s: team %d (%v), want 2", moved.Name, team, err)
		}
	})
}

// Composite keys: Preload of a one-to-many and of its many-to-one on a
// two-column key groups per parent in order_by order and resolves to the
// tracked instances; a parent sharing half of another's key gets none of
// its children.
func TestRlPreloadCompositeKeys(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlCreate(t, db, &rlFleet{}, &rlShip{})
		rlSeed(t, ctx, db,
			&rlFleet{Region: "north", Num: 1, Name: "N1"},
			&rlFleet{Region: "north", Num: 2, Name: "N2"},
			&rlFleet{Region: "south", Num: 1, Name: "S1"},
		)
		rlSeed(t, ctx, db,
			&rlShip{ID: 1, Name: "Yonder", FleetRegion: "north", FleetNum: 1},
			&rlShip{ID: 2, Name: "Bow", FleetRegion: "south", FleetNum: 1},
			&rlShip{ID: 3, Name: "Anchor", FleetRegion: "north", FleetNum: 1},
			&rlShip{ID: 4, Name: "Keel", FleetRegion: "north", FleetNum: 1},
			&rlShip{ID: 5, Name: "Aft", FleetRegion: "south", FleetNum: 1},
		)
		s := rlSession(t, db)
		fleets, err := orm.Select[rlFleet](s).OrderBy("region", "num").Preload("Ships", "Ships.Fleet").All(ctx)
		if err != nil || len(fleets) != 3 {
			t.Fatalf("fleets = %d, %v", len(fleets), err)
		}
		want := [][]string{{"Anchor", "Keel", "Yonder"}, {}, {"Aft", "Bow"}}
		for i, f := range fleets {
			if got := rlShipNames(f.Ships.Items()); !f.Ships.IsLoaded() || !slices.Equal(got, want[i]) {
				t.Errorf("fleet %s/%d ships = %q, want %q", f.Region, f.Num, got, want[i])
			}
			for _, sh := range f.Ships.Items() {
				if got, loaded := sh.Fleet.Get(); !loaded || got != f {
					t.Errorf("ship %s: Fleet = %p (loaded %v), want its tracked fleet %p", sh.Name, got, loaded, f)
				}
			}
		}
		// From the other side, in a fresh session: ships first, then
		// their fleets through LoadMany.
		s2 := rlSession(t, db)
		ships, err := orm.Select[rlShip](s2).OrderBy("id").All(ctx)
		if err != nil || len(ships) != 5 {
			t.Fatalf("ships = %d, %v", len(ships), err)
		}
		n, err := orm.LoadMany(ctx, s2, ships, func(sh *rlShip) *orm.Lazy[rlFleet] { return &sh.Fleet })
		if err != nil || n != 2 {
			t.Fatalf("LoadMany = %d, %v; want 2 fleets", n, err)
		}
		a, _ := ships[0].Fleet.Get()
		b, _ := ships[3].Fleet.Get()
		c, _ := ships[1].Fleet.Get()
		if a == nil || a != b || a.Name != "N1" || c == nil || c.Name != "S1" {
			t.Errorf("fleets of ships 1, 4, 2 = %v, %v, %v; want N1 (one instance), N1, S1", a, b, c)
		}
	})
}
