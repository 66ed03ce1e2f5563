package migrate_test

import (
	"context"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

// mustEmpty fails when Plan finds changes.
func mustEmpty(t *testing.T, db *orm.DB, models ...any) {
	t.Helper()
	ch, err := migrate.Plan(context.Background(), db, models...)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if !ch.Empty() {
		t.Errorf("Plan after Auto is not empty:\n%s\nstatements: %q", ch, ch.Statements())
	}
}

func TestAutoThenPlanIsEmptyAllTypes(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := migrate.Auto(ctx, db, mgModels()); err != nil {
			t.Fatal(err)
		}
		mustEmpty(t, db, mgModels()...)
	})
}

func TestCreateAllThenPlanIsEmpty(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, mgModels()...); err != nil {
			t.Fatal(err)
		}
		mustEmpty(t, db, mgModels()...)
	})
}
