package migrate_test

import (
	"context"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

// More model shapes for the idempotence test.

type ShSelf struct {
	ID       int64  `sqlmodel:"pk"`
	ParentID *int64 `sqlmodel:"fk=sh_self.id,ondelete=cascade"`
	Name     string `sqlmodel:"size=30,unique"`
}

type ShComposite struct {
	Region string `sqlmodel:"pk,size=10"`
	Number int32  `sqlmodel:"pk,noautoincrement"`
	Label  *string
}

type ShCompositeRef struct {
	ID     int64  `sqlmodel:"pk"`
	Region string `sqlmodel:"size=10,fk=sh_composite.region,ondelete=cascade"`
	Number int32  `sqlmodel:"fk=sh_composite.number,ondelete=cascade"`
}

type ShOnlyKey struct {
	Code string `sqlmodel:"pk,size=12"`
}

type ShNullable struct {
	ID    int64 `sqlmodel:"pk"`
	A     *int16
	B     *float64
	C     *bool
	D     *time.Time
	E     *[]byte
	F     *string `sqlmodel:"size=5"`
	Stamp time.Time
}

type ShDefaults struct {
	ID    int64   `sqlmodel:"pk"`
	Neg   int     `sqlmodel:"default=-1"`
	Ratio float64 `sqlmodel:"default=0.5"`
	Off   bool    `sqlmodel:"default=false"`
	Word  string  `sqlmodel:"size=20,default='it''s'"`
	Empty string  `sqlmodel:"size=20,default=''"`
}

type ShMultiIndex struct {
	ID int64  `sqlmodel:"pk"`
	A  string `sqlmodel:"size=10,unique_index=uix_sh_multi_ab,index=ix_sh_multi_c"`
	B  string `sqlmodel:"size=10,unique_index=uix_sh_multi_ab"`
	C  int    `sqlmodel:"index=ix_sh_multi_c"`
	D  uint16 `sqlmodel:"index"`
}

type ShAutoSmall struct {
	ID   int16 `sqlmodel:"pk,autoincrement"`
	Name string
}

// idempotenceShapes lists model sets that Auto creates on an empty database
// and then Plan finds nothing to change in.
func idempotenceShapes() map[string][]any {
	shapes := map[string][]any{
		"all_ddl_models":     mgModels(),
		"team":               {&MgTeam{}},
		"power":              {&MgPower{}},
		"hero_with_links":    {&MgTeam{}, &MgPower{}, &MgHero{}},
		"membership":         {&MgTeam{}, &MgPower{}, &MgHero{}, &MgMembership{}},
		"membership_note":    mgModels()[:5],
		"all_types":          {&MgAllTypes{}},
		"self_reference":     {&ShSelf{}},
		"composite_key":      {&ShComposite{}},
		"composite_fk":       {&ShComposite{}, &ShCompositeRef{}},
		"only_key":           {&ShOnlyKey{}},
		"nullable_columns":   {&ShNullable{}},
		"defaults":           {&ShDefaults{}},
		"multi_column_index": {&ShMultiIndex{}},
		"small_autoincr":     {&ShAutoSmall{}},
		"hand_v1":            {&HandV1{}},
		"hand_v2":            {&HandV2{}},
		"renamed_index":      {&RenamedIx{}},
		"lock_v2":            {&LockV2{}, &LockOther{}},
		"renamed_v2":         {&RenTeamV2{}, &RenHeroV2{}},
	}
	for _, sc := range append(columnScenarios(), keyScenarios()...) {
		shapes[sc.name+"_v1"] = sc.v1
		shapes[sc.name+"_v2"] = sc.v2
	}
	return shapes
}

func TestAutoThenPlanIsEmpty(t *testing.T) {
	shapes := idempotenceShapes()
	if len(shapes) < 30 {
		t.Fatalf("%d shapes, want at least 30", len(shapes))
	}
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		for name, models := range shapes {
			// One database per dialect, one prefix-free table set at a time:
			// Auto drops the previous shape's tables (AllowDestructive).
			t.Run(name, func(t *testing.T) {
				v := version(t, db)
				if err := migrate.Auto(ctx, v, models, migrate.AllowDestructive()); err != nil {
					t.Fatalf("Auto: %v", err)
				}
				mustEmpty(t, v, models...)
				if err := migrate.Auto(ctx, v, models); err != nil {
					t.Fatalf("second Auto: %v", err)
				}
			})
		}
	})
}
