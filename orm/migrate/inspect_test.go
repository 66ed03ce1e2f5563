package migrate_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

func TestInspectDebug(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		ch, err := migrate.Plan(ctx, db, mgModels()...)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("plan on empty:\n%s", ch)
		if err := migrate.Auto(ctx, db, mgModels()); err != nil {
			t.Fatal(err)
		}
		cat, err := migrate.Inspect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"mg_team", "mg_hero", "mg_membership"} {
			b, _ := json.MarshalIndent(cat.Table(name), "", " ")
			t.Logf("%s", b)
		}
	})
}
