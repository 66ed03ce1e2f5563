package bench

import (
	"context"
	"database/sql"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	gormmysql "gorm.io/driver/mysql"
	gormpg "gorm.io/driver/postgres"
	gormsqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/sqlmodel-go/sqlmodel/bench/internal/benchdb"
)

// Peer ORMs on the same pool and the same tables, for the relationship
// benchmark (issue 6): GORM Preload and Bun Relation.

type gormParent struct {
	ID       int64
	Name     string
	Children []gormChild `gorm:"foreignKey:ParentID"`
}

func (gormParent) TableName() string { return "bparent" }

type gormChild struct {
	ID       int64
	ParentID int64
	Name     string
	Value    int64
}

func (gormChild) TableName() string { return "bchild" }

type bunParent struct {
	bun.BaseModel `bun:"table:bparent"`
	ID            int64       `bun:"id,pk,autoincrement"`
	Name          string      `bun:"name"`
	Children      []*bunChild `bun:"rel:has-many,join:id=parent_id"`
}

type bunChild struct {
	bun.BaseModel `bun:"table:bchild"`
	ID            int64  `bun:"id,pk,autoincrement"`
	ParentID      int64  `bun:"parent_id"`
	Name          string `bun:"name"`
	Value         int64  `bun:"value"`
}

// openGorm wraps the pool in GORM, without its default transaction and logger.
func openGorm(b *testing.B, dialect string, db *sql.DB) *gorm.DB {
	b.Helper()
	var d gorm.Dialector
	switch dialect {
	case "postgres":
		d = gormpg.New(gormpg.Config{Conn: db})
	case "mysql":
		d = gormmysql.New(gormmysql.Config{Conn: db, SkipInitializeWithVersion: true})
	default:
		d = gormsqlite.Dialector{Conn: db}
	}
	g, err := gorm.Open(d, &gorm.Config{SkipDefaultTransaction: true, Logger: logger.Discard})
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// openBun wraps the pool in Bun.
func openBun(dialect string, db *sql.DB) *bun.DB {
	switch dialect {
	case "postgres":
		return bun.NewDB(db, pgdialect.New())
	case "mysql":
		return bun.NewDB(db, mysqldialect.New())
	}
	return bun.NewDB(db, sqlitedialect.New())
}

// BenchmarkPreloadPeers loads 1,000 parents with their 10,000 children
// through GORM Preload and Bun Relation, on the tables of BenchmarkPreload.
func BenchmarkPreloadPeers(b *testing.B) {
	benchdb.Each(b, func(b *testing.B, tg benchdb.Target) {
		ctx := context.Background()
		db := tg.OpenORM(b)
		seedParents(b, db)
		b.Run("gorm", func(b *testing.B) {
			b.ReportAllocs()
			g := openGorm(b, tg.Dialect, db.SQL())
			for b.Loop() {
				var parents []gormParent
				if err := g.WithContext(ctx).Preload("Children").Order("id").Find(&parents).Error; err != nil {
					b.Fatal(err)
				}
				if len(parents) != preloadParents || len(parents[0].Children) != preloadChildren {
					b.Fatalf("%d parents", len(parents))
				}
			}
		})
		b.Run("bun", func(b *testing.B) {
			b.ReportAllocs()
			bdb := openBun(tg.Dialect, db.SQL())
			for b.Loop() {
				var parents []*bunParent
				if err := bdb.NewSelect().Model(&parents).Relation("Children").Order("id").Scan(ctx); err != nil {
					b.Fatal(err)
				}
				if len(parents) != preloadParents || len(parents[0].Children) != preloadChildren {
					b.Fatalf("%d parents", len(parents))
				}
			}
		})
	})
}
