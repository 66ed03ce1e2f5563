package bench

import (
	"context"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/sqlmodel-go/sqlmodel/bench/internal/benchdb"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// The relationship benchmark of issue 6: 1,000 parents with 10 children
// each, loaded with their children. The ORM does it with Select(...).
// Preload("Children"); the baseline is the same two queries and the
// stitching written by hand with sqlx.

// Parent is a row with a one-to-many collection.
type Parent struct {
	ID       int64                  `sqlmodel:"pk" db:"id"`
	Name     string                 `db:"name"`
	Children orm.RelatedMany[Child] `db:"-"`
}

// TableName names the table.
func (Parent) TableName() string { return "bparent" }

// Child belongs to a Parent.
type Child struct {
	ID       int64  `sqlmodel:"pk" db:"id"`
	ParentID int64  `sqlmodel:"fk=bparent.id" db:"parent_id"`
	Name     string `db:"name"`
	Value    int64  `db:"value"`
}

// TableName names the table.
func (Child) TableName() string { return "bchild" }

const (
	preloadParents  = 1_000
	preloadChildren = 10
)

func seedParents(b *testing.B, db *orm.DB) {
	b.Helper()
	ctx := context.Background()
	if err := db.CreateAll(ctx, &Parent{}, &Child{}); err != nil {
		b.Fatal(err)
	}
	s := orm.NewSession(db)
	defer s.Close()
	for i := 0; i < preloadParents; i++ {
		p := &Parent{Name: "p" + strconv.Itoa(i)}
		if err := s.Add(p); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	for i := int64(1); i <= preloadParents; i++ {
		for j := 0; j < preloadChildren; j++ {
			if err := s.Add(&Child{ParentID: i, Name: "c", Value: int64(j)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Commit(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPreload loads 1,000 parents and their 10,000 children. Besides
// wall time it reports cpu-ns/op, the process CPU time per iteration (see
// benchdb.CPUClock), which server latency and other load blur less.
func BenchmarkPreload(b *testing.B) {
	benchdb.Each(b, func(b *testing.B, tg benchdb.Target) {
		ctx := context.Background()
		db := tg.OpenORM(b)
		seedParents(b, db)
		b.Run("sqlx", func(b *testing.B) {
			b.ReportAllocs()
			x := db.X()
			cpu := benchdb.StartCPU()
			for b.Loop() {
				var parents []*Parent
				if err := x.SelectContext(ctx, &parents, "SELECT id, name FROM bparent ORDER BY id"); err != nil {
					b.Fatal(err)
				}
				ids := make([]int64, len(parents))
				byID := make(map[int64]*Parent, len(parents))
				for i, p := range parents {
					ids[i] = p.ID
					byID[p.ID] = p
				}
				q, args, err := sqlx.In("SELECT id, parent_id, name, value FROM bchild WHERE parent_id IN (?)", ids)
				if err != nil {
					b.Fatal(err)
				}
				var children []*Child
				if err := x.SelectContext(ctx, &children, x.Rebind(q), args...); err != nil {
					b.Fatal(err)
				}
				groups := make(map[int64][]*Child, len(parents))
				for _, c := range children {
					groups[c.ParentID] = append(groups[c.ParentID], c)
				}
				for id, p := range byID {
					p.Children.Set(groups[id])
				}
				if len(children) != preloadParents*preloadChildren {
					b.Fatalf("%d children", len(children))
				}
			}
			cpu.Report(b)
		})
		b.Run("session", func(b *testing.B) {
			b.ReportAllocs()
			cpu := benchdb.StartCPU()
			for b.Loop() {
				s := orm.NewSession(db)
				parents, err := orm.Select[Parent](s).OrderBy("id").Preload("Children").All(ctx)
				if err != nil || len(parents) != preloadParents || parents[0].Children.Len() != preloadChildren {
					b.Fatalf("%v %d", err, len(parents))
				}
				_ = s.Close()
			}
			cpu.Report(b)
		})
	})
}
