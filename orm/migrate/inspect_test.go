package migrate_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

// Inspect reads what CreateAll made: columns, nullability, defaults,
// primary keys, foreign keys with their actions, indexes with their column
// order and uniqueness.
func TestInspectReadsWhatCreateAllMade(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, mgModels()...); err != nil {
			t.Fatal(err)
		}
		cat, err := migrate.Inspect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tb := range cat.Tables {
			names = append(names, tb.Name)
		}
		want := []string{"mg_all_types", "mg_hero", "mg_hero_power", "mg_hero_rival", "mg_membership", "mg_membership_note", "mg_power", "mg_team"}
		if !slices.Equal(names, want) {
			t.Fatalf("tables %v, want %v", names, want)
		}
		if c := column(t, cat, "mg_hero", "age"); !c.Nullable || c.HasDefault {
			t.Errorf("age: %+v", c)
		}
		if c := column(t, cat, "mg_hero", "rank"); c.Nullable || c.Default != "1" {
			t.Errorf("rank: %+v", c)
		}
		if c := column(t, cat, "mg_membership", "role"); c.Default != "'member'" {
			t.Errorf("role default %q", c.Default)
		}
		if pk := cat.Table("mg_membership").PrimaryKey; !slices.Equal(pk, []string{"team_id", "hero_id"}) {
			t.Errorf("membership key %v", pk)
		}
		if !column(t, cat, "mg_power", "id").Identity {
			t.Error("mg_power.id is not reported as generated")
		}
		if !hasIndex(cat, "mg_power", false, "kind", "level") || !hasIndex(cat, "mg_power", true, "name") || !hasIndex(cat, "mg_team", true, "name") {
			t.Errorf("indexes: %+v %+v", cat.Table("mg_power").Indexes, cat.Table("mg_team").Indexes)
		}
		actions := map[string][2]string{}
		for _, fk := range cat.Table("mg_hero").ForeignKeys {
			actions[fk.Columns[0]] = [2]string{fk.OnDelete, fk.OnUpdate}
		}
		def := db.Dialect().Migrator().DefaultAction()
		if actions["team_id"] != [2]string{"SET NULL", "CASCADE"} || actions["mentor_id"] != [2]string{"SET NULL", def} || actions["team_name"] != [2]string{def, "CASCADE"} {
			t.Errorf("hero foreign keys: %v", actions)
		}
	})
}
