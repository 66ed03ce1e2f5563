package migrate_test

import (
	"context"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

type RenTeam struct {
	ID   int64  `sqlmodel:"pk"`
	Code string `sqlmodel:"size=10,unique"`
}

func (RenTeam) TableName() string { return "rn_team" }

type RenTeamV2 struct {
	ID    int64  `sqlmodel:"pk"`
	Label string `sqlmodel:"size=10,unique,renamed_from=code"`
}

func (RenTeamV2) TableName() string { return "rn_team" }

type RenHeroV1 struct {
	ID       int64  `sqlmodel:"pk"`
	Name     string `sqlmodel:"size=20,index"`
	TeamCode string `sqlmodel:"size=10,fk=rn_team.code,ondelete=cascade"`
	Note     string `sqlmodel:"size=10"`
}
type RenHeroV2 struct {
	ID        int64  `sqlmodel:"pk"`
	FullName  string `sqlmodel:"size=20,index,renamed_from=name"`
	TeamLabel string `sqlmodel:"size=10,fk=rn_team.label,ondelete=cascade,renamed_from=team_code"`
	Note      string `sqlmodel:"size=40"` // widened too: SQLite rebuilds the table after the renames
}

func (RenHeroV1) TableName() string { return "rn_hero" }
func (RenHeroV2) TableName() string { return "rn_hero" }

// renamed_from renames columns (also ones in a foreign key, a unique key and
// an index, on both sides of the key) instead of dropping and adding them:
// a safe change that keeps the values.
func TestRenamedFromRenamesColumns(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		sc := scenario{
			v1: []any{&RenTeam{}, &RenHeroV1{}}, v2: []any{&RenTeamV2{}, &RenHeroV2{}},
			seed: func(t *testing.T, s *orm.Session) {
				add(t, s, &RenTeam{ID: 1, Code: "T1"}, &RenHeroV1{ID: 1, Name: "Deadpond", TeamCode: "T1", Note: "n"})
			},
			kinds: []migrate.Kind{migrate.RenameColumn, migrate.AlterColumn},
			check: func(t *testing.T, cat *migrate.Catalog) {
				for _, c := range cat.Table("rn_hero").Columns {
					if c.Name == "name" || c.Name == "team_code" {
						t.Errorf("column %s still there", c.Name)
					}
				}
				if !hasIndex(cat, "rn_hero", false, "full_name") || !hasIndex(cat, "rn_team", true, "label") {
					t.Errorf("indexes: %+v %+v", cat.Table("rn_hero").Indexes, cat.Table("rn_team").Indexes)
				}
				if fks := cat.Table("rn_hero").ForeignKeys; len(fks) != 1 || fks[0].RefColumns[0] != "label" || fks[0].OnDelete != "CASCADE" {
					t.Errorf("foreign keys: %+v", fks)
				}
			},
			rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
				if r := get[RenHeroV2](t, ctx, db, int64(1)); r.FullName != "Deadpond" || r.TeamLabel != "T1" || r.Note != "n" {
					t.Errorf("renamed row: %+v", r)
				}
				save(t, ctx, db, &RenHeroV2{ID: 2, FullName: "Rusty", TeamLabel: "T1", Note: "a longer note"})
			},
		}
		sc.run(t, db)
	})
}
