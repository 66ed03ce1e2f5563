package migrate_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// A refused Auto on a private in-memory SQLite database (one connection,
// the database lives with it) keeps the database.
func TestAutoInMemorySQLite(t *testing.T) {
	ctx := context.Background()
	db, err := orm.Open(ormtest.SQLiteDriver(), ":memory:")
	if err != nil {
		t.Skipf("sqlite: %v", err)
	}
	defer db.Close()
	v1, v2 := version(t, db), version(t, db)
	if err := migrate.Auto(ctx, v1, []any{&DropColV1{}}); err != nil {
		t.Fatal(err)
	}
	save(t, ctx, v1, &DropColV1{ID: 1, Name: "a", Old: "o"})
	if err := migrate.Auto(ctx, v2, []any{&DropColV2{}}); !errors.Is(err, migrate.ErrDestructive) {
		t.Fatalf("Auto: %v, want ErrDestructive", err)
	}
	if r := get[DropColV1](t, ctx, v1, int64(1)); r.Old != "o" {
		t.Fatalf("row after the refused Auto: %+v", r)
	}
	if err := migrate.Auto(ctx, v2, []any{&DropColV2{}}, migrate.AllowDestructive()); err != nil {
		t.Fatal(err)
	}
	mustEmpty(t, v2, &DropColV2{})
	if r := get[DropColV2](t, ctx, v2, int64(1)); r.Name != "a" {
		t.Fatalf("row: %+v", r)
	}
}

type FailV1 struct {
	ID   int64 `sqlmodel:"pk"`
	Code string
}
type FailV2 struct {
	ID    int64  `sqlmodel:"pk"`
	Code  string `sqlmodel:"size=40,unique"`
	Extra *string
}

func (FailV1) TableName() string { return "au_fail" }
func (FailV2) TableName() string { return "au_fail" }

// A change the data rejects (UNIQUE over duplicates) fails Auto with the
// database's error; where DDL is transactional nothing of the plan stays,
// and the connection goes back to the pool usable.
func TestAutoFailureRollsBack(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		v1, v2 := version(t, db), version(t, db)
		if err := migrate.Auto(ctx, v1, []any{&FailV1{}}); err != nil {
			t.Fatal(err)
		}
		save(t, ctx, v1, &FailV1{ID: 1, Code: "same"}, &FailV1{ID: 2, Code: "same"})
		err := migrate.Auto(ctx, v2, []any{&FailV2{}}, migrate.AllowDestructive())
		if err == nil || !errors.Is(err, orm.ErrUniqueViolation) && !strings.Contains(strings.ToLower(err.Error()), "unique") {
			t.Fatalf("Auto over duplicates: %v, want a unique violation", err)
		}
		cat, ierr := migrate.Inspect(ctx, db)
		if ierr != nil {
			t.Fatal(ierr)
		}
		_, extra := cat.Table("au_fail").Column("extra")
		if transactional := db.Dialect().Migrator().Begin() != ""; transactional && extra {
			t.Error("the failed plan left its added column behind")
		}
		if r := get[FailV1](t, ctx, v1, int64(2)); r.Code != "same" {
			t.Errorf("row: %+v", r)
		}
	})
}
