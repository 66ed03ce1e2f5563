package bench

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/lib/pq"

	"github.com/sqlmodel-go/sqlmodel/bench/internal/benchdb"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// BulkInsert of 100,000 rows of the models table, on every target of
// benchdb.Matrix:
//
//	BenchmarkBulkInsert/<target>/<entrant>
//
// Entrants:
//   - copy: orm.BulkInsert(ctx, db, objs, orm.BulkCopy()) (PostgreSQL only);
//   - multirow: orm.BulkInsert(ctx, db, objs, orm.BulkNoCopy()), 1,000 rows
//     per INSERT (the default batch size);
//   - pgx-copyfrom: pgx's CopyFrom through the raw connection of the same
//     pgx stdlib pool (target pgx only), the floor of copy there;
//   - pq-copyin: lib/pq's CopyIn in a transaction (target pq only), the
//     floor of copy there;
//   - raw-multirow: hand-written INSERTs of 1,000 rows, prepared once and
//     run 100 times in one transaction: the floor of multirow.
//
// The 100,000 objects are built before the timed loop; every entrant turns
// them into statement arguments inside it. The table is emptied (untimed)
// before each iteration, and its row count checked after each.

const (
	bulkRows  = 100_000
	bulkBatch = 1_000
)

var bulkEntrants = []string{"copy", "multirow", "pgx-copyfrom", "pq-copyin", "raw-multirow"}

var bulkColumns = []string{"name", "title", "fax", "web", "age", "right", "counter"}

// BenchmarkBulkInsert runs the bulk loads (see the top of this file).
func BenchmarkBulkInsert(b *testing.B) {
	benchdb.EachTarget(b, func(b *testing.B, tg benchdb.Target) {
		ctx := context.Background()
		db := tg.OpenORM(b)
		if _, err := db.SQL().ExecContext(ctx, ModelsDDL(tg.Dialect)); err != nil {
			b.Fatalf("create models: %v", err)
		}
		if err := db.Register(&Model{}); err != nil {
			b.Fatal(err)
		}
		objs := make([]*Model, bulkRows)
		for i := range objs {
			objs[i] = newModel(i)
		}
		for _, name := range bulkEntrants {
			b.Run(name, func(b *testing.B) {
				st := bulkStep(db, tg, name, objs)
				if st == nil {
					b.Skipf("no %s entrant on %s", name, tg.Name)
				}
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					if err := ResetModels(ctx, db.SQL(), tg.Dialect, 0); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if err := st(ctx, 0); err != nil {
						b.Fatalf("%s: %v", name, err)
					}
					b.StopTimer()
					if err := checkRows(ctx, db.SQL(), bulkRows); err != nil {
						b.Fatalf("%s: %v", name, err)
					}
					b.StartTimer()
				}
			})
		}
	})
}

func checkRows(ctx context.Context, pool *sql.DB, want int) error {
	var n int
	if err := pool.QueryRowContext(ctx, "SELECT COUNT(*) FROM models").Scan(&n); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("models holds %d rows, want %d", n, want)
	}
	return nil
}

func wrote(n int64, err error) error {
	if err != nil {
		return err
	}
	if n != bulkRows {
		return fmt.Errorf("wrote %d rows, want %d", n, bulkRows)
	}
	return nil
}

func bulkStep(db *orm.DB, tg benchdb.Target, entrant string, objs []*Model) step {
	pool := db.SQL()
	switch entrant {
	case "copy":
		if tg.Dialect != "postgres" {
			return nil
		}
		return func(ctx context.Context, _ int) error {
			return wrote(orm.BulkInsert(ctx, db, objs, orm.BulkCopy()))
		}
	case "multirow":
		return func(ctx context.Context, _ int) error {
			return wrote(orm.BulkInsert(ctx, db, objs, orm.BulkNoCopy()))
		}
	case "pgx-copyfrom":
		if tg.Name != "pgx" {
			return nil
		}
		return func(ctx context.Context, _ int) error {
			conn, err := pool.Conn(ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			return conn.Raw(func(dc any) error {
				c := dc.(*stdlib.Conn).Conn()
				return wrote(c.CopyFrom(ctx, pgx.Identifier{"models"}, bulkColumns,
					pgx.CopyFromSlice(len(objs), func(i int) ([]any, error) {
						m := objs[i]
						return []any{m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter}, nil
					})))
			})
		}
	case "pq-copyin":
		if tg.Name != "pq" {
			return nil
		}
		return func(ctx context.Context, _ int) error {
			tx, err := pool.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			st, err := tx.PrepareContext(ctx, pq.CopyIn("models", bulkColumns...))
			if err != nil {
				return err
			}
			for _, m := range objs {
				if _, err := st.ExecContext(ctx, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter); err != nil {
					st.Close()
					return err
				}
			}
			if _, err := st.ExecContext(ctx); err != nil {
				st.Close()
				return err
			}
			if err := st.Close(); err != nil {
				return err
			}
			return tx.Commit()
		}
	case "raw-multirow":
		q := InsertSQL(tg.Dialect, bulkBatch, false)
		return func(ctx context.Context, _ int) error {
			tx, err := pool.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			st, err := tx.PrepareContext(ctx, q)
			if err != nil {
				return err
			}
			defer st.Close()
			args := make([]any, 0, 7*bulkBatch)
			for start := 0; start < len(objs); start += bulkBatch {
				args = args[:0]
				for _, m := range objs[start : start+bulkBatch] {
					args = append(args, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter)
				}
				res, err := st.ExecContext(ctx, args...)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil || n != bulkBatch {
					return fmt.Errorf("batch at %d: %d rows affected, %v", start, n, err)
				}
			}
			return tx.Commit()
		}
	}
	return nil
}
