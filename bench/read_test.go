package bench

import (
	"context"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/bench/internal/benchdb"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// The read benchmarks of issue 5: read one row by key, and read a slice of
// 100 rows, through raw database/sql (the floor), through a fresh Session
// per operation (identity map, snapshots) and through *DB (plain objects).

const readRows = 1_000

func selectSQL(dialect, where string) string {
	cols := []string{"id", "name", "title", "fax", "web", "age", Quote(dialect, "right"), "counter"}
	return "SELECT " + strings.Join(cols, ", ") + " FROM models WHERE " + where
}

func scanModel(rows interface{ Scan(...any) error }, m *Model) error {
	return rows.Scan(&m.ID, &m.Name, &m.Title, &m.Fax, &m.Web, &m.Age, &m.Right, &m.Counter)
}

// BenchmarkReadByKey reads one row by primary key.
func BenchmarkReadByKey(b *testing.B) {
	benchdb.Each(b, func(b *testing.B, tg benchdb.Target) {
		ctx := context.Background()
		db := prepare(b, tg, readRows)
		q := selectSQL(tg.Dialect, "id = "+Placeholder(tg.Dialect, 1))
		b.Run("raw", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				var m Model
				if err := scanModel(db.SQL().QueryRowContext(ctx, q, int64(i%readRows+1)), &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("session", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				s := orm.NewSession(db)
				if _, err := orm.Get[Model](ctx, s, int64(i%readRows+1)); err != nil {
					b.Fatal(err)
				}
				_ = s.Close()
			}
		})
		b.Run("db", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := orm.Select[Model](db).Where("id = ?", int64(i%readRows+1)).One(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkReadSlice reads 100 rows of 8 columns.
func BenchmarkReadSlice(b *testing.B) {
	benchdb.Each(b, func(b *testing.B, tg benchdb.Target) {
		ctx := context.Background()
		db := prepare(b, tg, readRows)
		q := selectSQL(tg.Dialect, "id > "+Placeholder(tg.Dialect, 1)+" ORDER BY id LIMIT 100")
		b.Run("raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rows, err := db.SQL().QueryContext(ctx, q, int64(0))
				if err != nil {
					b.Fatal(err)
				}
				out := make([]*Model, 0, 100)
				for rows.Next() {
					m := new(Model)
					if err := scanModel(rows, m); err != nil {
						b.Fatal(err)
					}
					out = append(out, m)
				}
				if err := rows.Close(); err != nil || len(out) != 100 {
					b.Fatalf("%v %d", err, len(out))
				}
			}
		})
		b.Run("session", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s := orm.NewSession(db)
				out, err := orm.Select[Model](s).Where("id > ?", int64(0)).OrderBy("id").Limit(100).All(ctx)
				if err != nil || len(out) != 100 {
					b.Fatalf("%v %d", err, len(out))
				}
				_ = s.Close()
			}
		})
		b.Run("db", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := orm.Select[Model](db).Where("id > ?", int64(0)).OrderBy("id").Limit(100).All(ctx)
				if err != nil || len(out) != 100 {
					b.Fatalf("%v %d", err, len(out))
				}
			}
		})
	})
}
