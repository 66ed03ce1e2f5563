package migrate_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

// Keys and tables: indexes, UNIQUE constraints, foreign keys, primary keys,
// new and dropped tables.

type IdxV1 struct {
	ID    int64  `sqlmodel:"pk"`
	Name  string `sqlmodel:"size=40,index"`
	Email string `sqlmodel:"size=80"`
	City  string `sqlmodel:"size=40"`
}
type IdxV2 struct {
	ID    int64  `sqlmodel:"pk"`
	Name  string `sqlmodel:"size=40"`
	Email string `sqlmodel:"size=80,unique"`
	City  string `sqlmodel:"size=40,index=ix_ch_idx_city"`
}

func (IdxV1) TableName() string { return "ch_idx" }
func (IdxV2) TableName() string { return "ch_idx" }

type UniqV1 struct {
	ID   int64  `sqlmodel:"pk"`
	Code string `sqlmodel:"size=20,unique"`
	Tag  string `sqlmodel:"size=20,unique_index=uix_ch_uniq_tag"`
}
type UniqV2 struct {
	ID   int64  `sqlmodel:"pk"`
	Code string `sqlmodel:"size=20"`
	Tag  string `sqlmodel:"size=20,index=ix_ch_uniq_tag"`
}

func (UniqV1) TableName() string { return "ch_uniq" }
func (UniqV2) TableName() string { return "ch_uniq" }

type FkTeam struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=40"`
}

func (FkTeam) TableName() string { return "ch_fk_team" }

type FkTeamV2 struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=80"` // widened: a rebuild of the parent on SQLite
}

func (FkTeamV2) TableName() string { return "ch_fk_team" }

type FkHeroV1 struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64 `sqlmodel:"fk=ch_fk_team.id"`
}
type FkHeroV2 struct {
	ID       int64  `sqlmodel:"pk"`
	TeamID   int64  `sqlmodel:"fk=ch_fk_team.id,ondelete=cascade"`
	RivalID  *int64 `sqlmodel:"fk=ch_fk_team.id,ondelete=set null"`
	Nickname *string
}

func (FkHeroV1) TableName() string { return "ch_fk_hero" }
func (FkHeroV2) TableName() string { return "ch_fk_hero" }

type PkV1 struct {
	A    int64 `sqlmodel:"pk,noautoincrement"`
	B    int64
	Note string
}
type PkV2 struct {
	A    int64 `sqlmodel:"pk,noautoincrement"`
	B    int64 `sqlmodel:"pk,noautoincrement"`
	Note string
}

func (PkV1) TableName() string { return "ch_pk" }
func (PkV2) TableName() string { return "ch_pk" }

type TblKeep struct {
	ID int64 `sqlmodel:"pk"`
}

func (TblKeep) TableName() string { return "ch_tbl_keep" }

type TblGone struct {
	ID   int64 `sqlmodel:"pk"`
	Note string
}

func (TblGone) TableName() string { return "ch_tbl_gone" }

type TblNew struct {
	ID     int64  `sqlmodel:"pk"`
	KeepID int64  `sqlmodel:"fk=ch_tbl_keep.id"`
	Label  string `sqlmodel:"size=10,unique"`
}

func (TblNew) TableName() string { return "ch_tbl_new" }

func keyScenarios() []scenario {
	return slices.Concat(keyScenarios1(), keyScenarios2(), keyScenarios3())
}

func keyScenarios1() []scenario {
	return []scenario{{
		name: "indexes",
		v1:   []any{&IdxV1{}}, v2: []any{&IdxV2{}},
		seed:  func(t *testing.T, s *orm.Session) { add(t, s, &IdxV1{ID: 1, Name: "a", Email: "a@x", City: "c"}) },
		kinds: []migrate.Kind{migrate.DropIndex, migrate.CreateIndex, migrate.AddUnique},
		check: func(t *testing.T, cat *migrate.Catalog) {
			if hasIndex(cat, "ch_idx", false, "name") || !hasIndex(cat, "ch_idx", false, "city") || !hasIndex(cat, "ch_idx", true, "email") {
				t.Errorf("indexes: %+v", cat.Table("ch_idx").Indexes)
			}
		},
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			if r := get[IdxV2](t, ctx, db, int64(1)); r.Email != "a@x" {
				t.Errorf("row: %+v", r)
			}
			s := orm.NewSession(db)
			defer s.Close()
			add(t, s, &IdxV2{ID: 2, Email: "a@x"})
			if err := s.Commit(ctx); !errors.Is(err, orm.ErrUniqueViolation) {
				t.Errorf("duplicate email: %v, want a unique violation", err)
			}
		},
	}, {
		name: "drop_uniques",
		v1:   []any{&UniqV1{}}, v2: []any{&UniqV2{}},
		seed:  func(t *testing.T, s *orm.Session) { add(t, s, &UniqV1{ID: 1, Code: "c", Tag: "t"}) },
		kinds: []migrate.Kind{migrate.DropUnique, migrate.CreateIndex},
		check: func(t *testing.T, cat *migrate.Catalog) {
			if hasIndex(cat, "ch_uniq", true, "code") || hasIndex(cat, "ch_uniq", true, "tag") || !hasIndex(cat, "ch_uniq", false, "tag") {
				t.Errorf("indexes: %+v", cat.Table("ch_uniq").Indexes)
			}
		},
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			save(t, ctx, db, &UniqV2{ID: 2, Code: "c", Tag: "t"}) // duplicates are allowed now
			if r := get[UniqV2](t, ctx, db, int64(1)); r.Code != "c" {
				t.Errorf("row: %+v", r)
			}
		},
	}}
}

func keyScenarios2() []scenario {
	return []scenario{{
		name: "foreign_keys_and_parent_widened",
		v1:   []any{&FkTeam{}, &FkHeroV1{}}, v2: []any{&FkTeamV2{}, &FkHeroV2{}},
		seed: func(t *testing.T, s *orm.Session) {
			add(t, s, &FkTeam{ID: 1, Name: "a"}, &FkTeam{ID: 2, Name: "b"}, &FkHeroV1{ID: 10, TeamID: 1}, &FkHeroV1{ID: 11, TeamID: 2})
		},
		kinds: []migrate.Kind{migrate.DropForeignKey, migrate.AddForeignKey, migrate.AddColumn, migrate.AlterColumn},
		check: func(t *testing.T, cat *migrate.Catalog) {
			fks := cat.Table("ch_fk_hero").ForeignKeys
			if len(fks) != 2 {
				t.Fatalf("foreign keys: %+v", fks)
			}
			for _, fk := range fks {
				if want := map[string]string{"team_id": "CASCADE", "rival_id": "SET NULL"}[fk.Columns[0]]; fk.OnDelete != want || fk.RefTable != "ch_fk_team" {
					t.Errorf("foreign key %+v: on delete %s, want %s", fk, fk.OnDelete, want)
				}
			}
		},
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			update(t, ctx, db, int64(11), func(h *FkHeroV2) { h.RivalID = ptr(int64(1)) })
			s := orm.NewSession(db)
			defer s.Close()
			team, err := orm.Get[FkTeamV2](ctx, s, int64(1))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(team); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatalf("delete team 1: %v", err)
			}
			s2 := orm.NewSession(db)
			defer s2.Close()
			if _, err := orm.Get[FkHeroV2](ctx, s2, int64(10)); !errors.Is(err, orm.ErrNotFound) {
				t.Errorf("hero 10 after its team's delete: %v, want cascaded away", err)
			}
			if h := get[FkHeroV2](t, ctx, db, int64(11)); h.RivalID != nil || h.TeamID != 2 {
				t.Errorf("hero 11: %+v, want rival set to NULL", h)
			}
		},
	}}
}

func keyScenarios3() []scenario {
	return []scenario{{
		name: "primary_key",
		v1:   []any{&PkV1{}}, v2: []any{&PkV2{}},
		seed: func(t *testing.T, s *orm.Session) {
			add(t, s, &PkV1{A: 1, B: 1, Note: "x"}, &PkV1{A: 2, B: 1, Note: "y"})
		},
		kinds:       []migrate.Kind{migrate.SetPrimaryKey},
		destructive: true, refuse: "set primary key ch_pk",
		check: func(t *testing.T, cat *migrate.Catalog) {
			if pk := cat.Table("ch_pk").PrimaryKey; len(pk) != 2 {
				t.Errorf("primary key %v", pk)
			}
		},
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			save(t, ctx, db, &PkV2{A: 1, B: 2, Note: "z"})
			s := orm.NewSession(db)
			defer s.Close()
			r, err := orm.GetByPK[PkV2](ctx, s, int64(2), int64(1))
			if err != nil || r.Note != "y" {
				t.Errorf("row (2, 1): %+v %v", r, err)
			}
		},
	}, {
		name: "tables",
		v1:   []any{&TblKeep{}, &TblGone{}}, v2: []any{&TblKeep{}, &TblNew{}},
		seed:        func(t *testing.T, s *orm.Session) { add(t, s, &TblKeep{ID: 1}, &TblGone{ID: 1, Note: "n"}) },
		kinds:       []migrate.Kind{migrate.CreateTable, migrate.DropTable},
		destructive: true, refuse: "its 1 rows are lost",
		check: func(t *testing.T, cat *migrate.Catalog) {
			if cat.Table("ch_tbl_gone") != nil || cat.Table("ch_tbl_new") == nil || len(cat.Table("ch_tbl_new").ForeignKeys) != 1 {
				t.Errorf("tables: %+v", cat.Tables)
			}
		},
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			save(t, ctx, db, &TblNew{ID: 1, KeepID: 1, Label: "l"})
			if r := get[TblNew](t, ctx, db, int64(1)); r.Label != "l" {
				t.Errorf("row: %+v", r)
			}
		},
	}}
}

func TestKeyAndTableChanges(t *testing.T) {
	for _, sc := range keyScenarios() {
		t.Run(sc.name, func(t *testing.T) { eachDB(t, sc.run) })
	}
}
