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

// Peer ORMs on the same tables, for the relationship benchmark (issue 6):
// GORM Preload and Bun Relation, configured as openPeers says.

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

// How the peers are configured (issue 18, "fair peers"): each the way its
// own documentation recommends for the driver in use.
//
//   - GORM: SkipDefaultTransaction and PrepareStmt, the two settings of
//     GORM's "Performance" page (gorm.io/docs/performance.html); both are
//     off by default. On PostgreSQL GORM sends bind parameters, so pgx's
//     default statement cache suits it and the driver's PreferSimpleProtocol
//     (default false) stays off: GORM's PostgreSQL docs show the option
//     without recommending it. GORM runs on the shared pool.
//   - Bun: on pgx, a pool of its own opened with pgx's simple protocol, as
//     the "pgx" section of Bun's PostgreSQL guide (bun.uptrace.dev/postgres)
//     says: Bun formats values into the SQL text, so the shared pool's
//     statement cache would prepare every distinct text. Elsewhere its docs
//     ask for nothing beyond the dialect: the shared pool.
//
// The configurations used before are kept as extra entrants, beside the
// recommended ones: gorm-noprep (SkipDefaultTransaction only) and, on pgx,
// bun-shared (Bun on the shared pool).

// peers holds the peer ORMs of one target.
type peers struct {
	gorm, gormNoPrep *gorm.DB
	bun, bunShared   *bun.DB // bunShared: nil but on pgx
}

// openPeers opens the peers of tg; pool is the ORM's (shared) pool.
func openPeers(b *testing.B, tg benchdb.Target, pool *sql.DB) peers {
	b.Helper()
	p := peers{
		gorm:       openGorm(b, tg.Dialect, pool, true),
		gormNoPrep: openGorm(b, tg.Dialect, pool, false),
		bun:        openBun(tg.Dialect, pool),
	}
	if tg.Driver == "pgx" {
		own, err := tg.OpenSimpleProtocol(b)
		if err != nil {
			b.Fatal(err)
		}
		p.bunShared, p.bun = p.bun, openBun(tg.Dialect, own)
	}
	return p
}

// runs tells whether the entrant runs on the target: every one but
// bun-shared, which runs on pgx only (elsewhere it would be bun).
func (p peers) runs(entrant string) bool { return entrant != "bun-shared" || p.bunShared != nil }

// gormOf and bunOf return the handle of a GORM or Bun entrant; nil when the
// entrant does not run on the target (bun-shared but on pgx).
func (p peers) gormOf(entrant string) *gorm.DB {
	switch entrant {
	case "gorm":
		return p.gorm
	case "gorm-noprep":
		return p.gormNoPrep
	}
	return nil
}

func (p peers) bunOf(entrant string) *bun.DB {
	switch entrant {
	case "bun":
		return p.bun
	case "bun-shared":
		return p.bunShared
	}
	return nil
}

// openGorm wraps the pool in GORM without its default transaction and
// logger, and with its prepared-statement cache when prepare is set.
func openGorm(b *testing.B, dialect string, db *sql.DB, prepare bool) *gorm.DB {
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
	g, err := gorm.Open(d, &gorm.Config{SkipDefaultTransaction: true, PrepareStmt: prepare, Logger: logger.Discard})
	if err != nil {
		b.Fatal(err)
	}
	if prepare {
		// The prepared statements live on the shared pool: close them
		// before the ORM closes it.
		b.Cleanup(func() {
			if pdb, ok := g.ConnPool.(*gorm.PreparedStmtDB); ok {
				pdb.Close()
			}
		})
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
		p := openPeers(b, tg, db.SQL())
		b.Run("gorm", func(b *testing.B) {
			b.ReportAllocs()
			g := p.gorm
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
			bdb := p.bun
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
