package migrate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

// The GORM AutoMigrate pitfalls of issue 19, and the lock.

type HandV1 struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=40,index"`
	Note string `sqlmodel:"size=40"`
	Code string `sqlmodel:"size=10,unique"`
}
type HandV2 struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=40,index"`
	Note string `sqlmodel:"size=80"` // widened: SQLite rebuilds the table
	Code string `sqlmodel:"size=10,unique"`
}

func (HandV1) TableName() string { return "pf_hand" }
func (HandV2) TableName() string { return "pf_hand" }

// A hand-made index survives Auto, also SQLite's table rebuild; equal
// indexes and UNIQUE constraints are never recreated, whatever their names.
func TestHandMadeIndexKeptAndIndexesNeverRecreated(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		db1, db2 := version(t, db), version(t, db)
		if err := migrate.Auto(ctx, db1, []any{&HandV1{}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, `CREATE INDEX handmade_note ON pf_hand (note, name)`); err != nil {
			t.Fatal(err)
		}
		save(t, ctx, db1, &HandV1{ID: 1, Name: "n", Note: "x", Code: "c"})
		before, err := migrate.Inspect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := migrate.Auto(ctx, db1, []any{&HandV1{}}); err != nil {
				t.Fatal(err)
			}
		}
		mustEmpty(t, db1, &HandV1{})
		after, err := migrate.Inspect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(before.Table("pf_hand").Indexes) != fmt.Sprint(after.Table("pf_hand").Indexes) {
			t.Errorf("indexes changed by repeated Auto:\n%+v\n%+v", before.Table("pf_hand").Indexes, after.Table("pf_hand").Indexes)
		}
		if err := migrate.Auto(ctx, db2, []any{&HandV2{}}); err != nil {
			t.Fatal(err)
		}
		mustEmpty(t, db2, &HandV2{})
		cat, err := migrate.Inspect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if !hasIndex(cat, "pf_hand", false, "note", "name") || !hasIndex(cat, "pf_hand", false, "name") || !hasIndex(cat, "pf_hand", true, "code") {
			t.Errorf("indexes after the change: %+v", cat.Table("pf_hand").Indexes)
		}
		if r := get[HandV2](t, ctx, db2, int64(1)); r.Note != "x" || r.Code != "c" {
			t.Errorf("row: %+v", r)
		}
	})
}

type RenamedIx struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=40,index"`
	Code string `sqlmodel:"size=10,unique"`
}

func (RenamedIx) TableName() string { return "pf_renamed" }

// An index or unique key made by hand under another name, with the content
// the model declares, satisfies the model.
func TestEqualIndexUnderAnotherNameSatisfies(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		for _, s := range []string{
			`CREATE TABLE pf_renamed (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL, code VARCHAR(10) NOT NULL)`,
			`CREATE INDEX my_own_name ON pf_renamed (name)`,
			`CREATE UNIQUE INDEX my_code ON pf_renamed (code)`,
		} {
			if _, err := db.SQL().ExecContext(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		ch, err := migrate.Plan(ctx, db, &RenamedIx{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range ch.All() {
			if c.Kind == migrate.CreateIndex || c.Kind == migrate.AddUnique || c.Kind == migrate.DropIndex || c.Kind == migrate.DropUnique {
				t.Errorf("index change on equal content: %s", c)
			}
		}
	})
}

type LockV1 struct {
	ID int64 `sqlmodel:"pk"`
}
type LockV2 struct {
	ID    int64 `sqlmodel:"pk"`
	Name  string
	Score *int
}
type LockOther struct {
	ID     int64 `sqlmodel:"pk"`
	LockID int64 `sqlmodel:"fk=pf_lock.id"`
}

func (LockV1) TableName() string    { return "pf_lock" }
func (LockV2) TableName() string    { return "pf_lock" }
func (LockOther) TableName() string { return "pf_lock_other" }

// Ten Auto calls at once: each change applied once (a second ADD COLUMN
// would fail), none fails.
func TestConcurrentAuto(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		db1 := version(t, db)
		if err := migrate.Auto(ctx, db1, []any{&LockV1{}}); err != nil {
			t.Fatal(err)
		}
		save(t, ctx, db1, &LockV1{ID: 1})
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- migrate.Auto(ctx, version(t, db), []any{&LockV2{}, &LockOther{}})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent Auto: %v", err)
			}
		}
		db2 := version(t, db)
		mustEmpty(t, db2, &LockV2{}, &LockOther{})
		save(t, ctx, db2, &LockOther{ID: 1, LockID: 1})
		if r := get[LockV2](t, ctx, db2, int64(1)); r.Name != "" || r.Score != nil {
			t.Errorf("row: %+v", r)
		}
	})
}

// Plan on a database that has the model's table with another shape (the
// issue's leftover table) explains the difference instead of failing later.
func TestPlanExplainsALeftoverTable(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE pf_lock (id BIGINT NOT NULL PRIMARY KEY, headquarters VARCHAR(20) NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		ch, err := migrate.Plan(ctx, db, &LockV2{})
		if err != nil {
			t.Fatal(err)
		}
		var drop, addName bool
		for _, c := range ch.All() {
			drop = drop || c.Kind == migrate.DropColumn && c.Name == "headquarters" && c.Destructive
			addName = addName || c.Kind == migrate.AddColumn && c.Name == "name"
		}
		if !drop || !addName {
			t.Errorf("plan:\n%s", ch)
		}
	})
}
