package migrate_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

type VerHeroV1 struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=40"`
}
type VerHeroV2 struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=40,index"`
	Age  *int
}

func (VerHeroV1) TableName() string { return "vr_hero" }
func (VerHeroV2) TableName() string { return "vr_hero" }

func status(t *testing.T, db *orm.DB, dir string) []migrate.FileStatus {
	t.Helper()
	st, err := migrate.Status(context.Background(), db, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Generate, Up, Status, Up again, Down, an edited applied file.
func TestGenerateUpStatusDown(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		db1, db2 := version(t, db), version(t, db)
		p1, err := migrate.Generate(ctx, db1, dir, "create_hero", &VerHeroV1{})
		if err != nil {
			t.Fatal(err)
		}
		if applied, err := migrate.Up(ctx, db, os.DirFS(dir)); err != nil || len(applied) != 1 || applied[0] != filepath.Base(p1) {
			t.Fatalf("Up: %v %v", applied, err)
		}
		mustEmpty(t, db1, &VerHeroV1{})
		save(t, ctx, db1, &VerHeroV1{ID: 1, Name: "Deadpond"})
		p2, err := migrate.Generate(ctx, db2, dir, "add_age", &VerHeroV2{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Generate(ctx, db1, dir, "nothing", &VerHeroV1{}); !errors.Is(err, migrate.ErrNoChanges) {
			t.Errorf("Generate with nothing to do: %v", err)
		}
		if st := status(t, db, dir); len(st) != 2 || !st[0].Applied || !st[0].ChecksumOK || st[1].Applied || st[1].Name != filepath.Base(p2) {
			t.Fatalf("status before the second Up: %+v", st)
		}
		if applied, err := migrate.Up(ctx, db, os.DirFS(dir)); err != nil || len(applied) != 1 {
			t.Fatalf("second Up: %v %v", applied, err)
		}
		if applied, err := migrate.Up(ctx, db, os.DirFS(dir)); err != nil || len(applied) != 0 {
			t.Fatalf("Up with nothing pending: %v %v", applied, err)
		}
		mustEmpty(t, db2, &VerHeroV2{})
		update(t, ctx, db2, int64(1), func(h *VerHeroV2) { h.Age = ptr(40) })
		if h := get[VerHeroV2](t, ctx, db2, int64(1)); h.Name != "Deadpond" || *h.Age != 40 {
			t.Errorf("row: %+v", h)
		}
		if err := migrate.Down(ctx, db, os.DirFS(dir), 1); err != nil {
			t.Fatal(err)
		}
		mustEmpty(t, db1, &VerHeroV1{})
		if st := status(t, db, dir); !st[0].Applied || st[1].Applied {
			t.Errorf("status after Down: %+v", st)
		}
		if err := os.WriteFile(p1, append(must(os.ReadFile(p1)), "\n-- edited\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Up(ctx, db, os.DirFS(dir)); !errors.Is(err, migrate.ErrChecksum) {
			t.Errorf("Up after editing an applied file: %v, want ErrChecksum", err)
		}
		if st := status(t, db, dir); st[0].ChecksumOK {
			t.Errorf("status of the edited file: %+v", st[0])
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Ten Up calls at once apply each file once.
func TestConcurrentUp(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		for i, models := range [][]any{{&VerHeroV1{}}, {&VerHeroV2{}}} {
			v := version(t, db)
			if _, err := migrate.Generate(ctx, v, dir, "step", models...); err != nil {
				t.Fatal(i, err)
			}
			if i == 0 { // the second file is generated against the first's result
				if _, err := migrate.Up(ctx, db, os.DirFS(dir)); err != nil {
					t.Fatal(err)
				}
			}
		}
		var mu sync.Mutex
		var total []string
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				applied, err := migrate.Up(ctx, db, os.DirFS(dir))
				if err != nil {
					t.Errorf("concurrent Up: %v", err)
				}
				mu.Lock()
				total = append(total, applied...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		if len(total) != 1 {
			t.Errorf("files applied by ten Up calls: %v, want the pending one once", total)
		}
		mustEmpty(t, version(t, db), &VerHeroV2{})
	})
}

// A file outside a transaction that fails half way resumes at the failed
// statement: the statements before it do not run twice.
func TestUpResumesAfterAFailure(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		file := "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE TABLE vr_a (id INTEGER NOT NULL PRIMARY KEY);\n" +
			"INSERT INTO vr_b (id) VALUES (1);\nINSERT INTO vr_a (id) VALUES (2);\n-- +goose Down\nDROP TABLE vr_a;\n"
		if err := os.WriteFile(filepath.Join(dir, "1_resume.sql"), []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Up(ctx, db, os.DirFS(dir)); err == nil {
			t.Fatal("Up with a missing table succeeded")
		}
		if st := status(t, db, dir); !st[0].Partial || st[0].Applied {
			t.Fatalf("status after the failure: %+v", st[0])
		}
		if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE vr_b (id INTEGER NOT NULL PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		if applied, err := migrate.Up(ctx, db, os.DirFS(dir)); err != nil || len(applied) != 1 {
			t.Fatalf("Up resuming: %v %v", applied, err)
		}
		var n int
		if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM vr_a").Scan(&n); err != nil || n != 1 {
			t.Errorf("vr_a rows: %d %v", n, err)
		}
		if st := status(t, db, dir); !st[0].Applied {
			t.Errorf("status: %+v", st[0])
		}
	})
}
