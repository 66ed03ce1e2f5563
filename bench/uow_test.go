package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"gorm.io/gorm"

	"github.com/sqlmodel-go/sqlmodel/bench/internal/benchdb"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Unit-of-work scenarios, on every target of benchdb.Matrix:
//
//	BenchmarkUoW/<target>/LoadChangeSave/<entrant>: load 100 parents with
//	their 10 children each, change one child in ten (100 children), save.
//	BenchmarkUoW/<target>/InsertGraph/<entrant>: 100 new parents with 9 new
//	children each (1,000 objects) written in one transaction.
//
// Entrants: raw (database/sql written by hand: two queries stitched with a
// map, then one transaction with a prepared UPDATE; multi-row INSERTs with
// keys read back and copied into the children), gorm (Preload, then Save
// of each changed child in a transaction; Create of the parents with their
// Children), bun (Relation, then Update().WherePK() of each changed child
// in RunInTx; Insert of the parents, then of the children) and session
// (Select.Preload, change the fields, Commit; Add of the parents, whose
// loaded Children cascade, Commit). gorm-noprep and bun-shared (pgx only)
// do what gorm and bun do, with the peers as configured before issue 18
// (see openPeers).

const (
	uowParents      = 100
	uowChildren     = 10 // per parent, LoadChangeSave
	uowGraphParents = 100
	uowGraphKids    = 9 // per parent, InsertGraph: 100 + 900 = 1,000 objects
)

var uowEntrants = []string{"raw", "gorm", "gorm-noprep", "bun", "bun-shared", "session"}

// UParent is the parent of the unit-of-work scenarios.
type UParent struct {
	ID       int64 `sqlmodel:"pk"`
	Name     string
	Children orm.RelatedMany[UChild]
}

// TableName names the table.
func (UParent) TableName() string { return "uow_parent" }

// UChild belongs to a UParent.
type UChild struct {
	ID       int64 `sqlmodel:"pk"`
	ParentID int64 `sqlmodel:"fk=uow_parent.id,index"`
	Name     string
	Value    int64
}

// TableName names the table.
func (UChild) TableName() string { return "uow_child" }

type rawParent struct {
	ID       int64
	Name     string
	Children []*rawChild
}

type rawChild struct {
	ID       int64
	ParentID int64
	Name     string
	Value    int64
}

type gormUParent struct {
	ID       int64
	Name     string
	Children []gormUChild `gorm:"foreignKey:ParentID"`
}

func (gormUParent) TableName() string { return "uow_parent" }

type gormUChild struct {
	ID       int64
	ParentID int64
	Name     string
	Value    int64
}

func (gormUChild) TableName() string { return "uow_child" }

type bunUParent struct {
	bun.BaseModel `bun:"table:uow_parent"`
	ID            int64        `bun:"id,pk,autoincrement"`
	Name          string       `bun:"name"`
	Children      []*bunUChild `bun:"rel:has-many,join:id=parent_id"`
}

type bunUChild struct {
	bun.BaseModel `bun:"table:uow_child"`
	ID            int64  `bun:"id,pk,autoincrement"`
	ParentID      int64  `bun:"parent_id"`
	Name          string `bun:"name"`
	Value         int64  `bun:"value"`
}

// uowEnv is one target's database with the scenario tables and every
// entrant's handle (configured as openPeers says).
type uowEnv struct {
	tg   benchdb.Target
	db   *orm.DB
	pool *sql.DB
	peers
	pg bool
}

func newUoWEnv(b *testing.B, tg benchdb.Target) *uowEnv {
	b.Helper()
	db := tg.OpenORM(b)
	if err := db.CreateAll(context.Background(), &UParent{}, &UChild{}); err != nil {
		b.Fatalf("create tables: %v", err)
	}
	return &uowEnv{tg: tg, db: db, pool: db.SQL(), peers: openPeers(b, tg, db.SQL()), pg: tg.Dialect == "postgres"}
}

// reset empties both tables and restarts their keys.
func (e *uowEnv) reset(ctx context.Context) error {
	var stmts []string
	switch e.tg.Dialect {
	case "postgres":
		stmts = []string{"TRUNCATE uow_child, uow_parent RESTART IDENTITY"}
	case "mysql":
		stmts = []string{"DELETE FROM uow_child", "DELETE FROM uow_parent",
			"ALTER TABLE uow_child AUTO_INCREMENT = 1", "ALTER TABLE uow_parent AUTO_INCREMENT = 1"}
	default:
		stmts = []string{"DELETE FROM uow_child", "DELETE FROM uow_parent"}
	}
	for _, q := range stmts {
		if _, err := e.pool.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
	}
	return nil
}

// seed writes parents 1..uowParents with uowChildren children each.
func (e *uowEnv) seed(ctx context.Context) error {
	if err := e.reset(ctx); err != nil {
		return err
	}
	if _, err := e.pool.ExecContext(ctx, valuesSQL(e.tg.Dialect, "uow_parent", []string{"name"}, uowParents, false), repeatArgs(uowParents, func(i int) []any { return []any{"p" + strconv.Itoa(i)} })...); err != nil {
		return fmt.Errorf("seed parents: %w", err)
	}
	n := uowParents * uowChildren
	args := repeatArgs(n, func(i int) []any { return []any{int64(i/uowChildren + 1), "c", int64(i % uowChildren)} })
	if _, err := e.pool.ExecContext(ctx, valuesSQL(e.tg.Dialect, "uow_child", []string{"parent_id", "name", "value"}, n, false), args...); err != nil {
		return fmt.Errorf("seed children: %w", err)
	}
	return nil
}

// valuesSQL is a hand-written multi-row INSERT of rows rows into table.
func valuesSQL(dialect, table string, cols []string, rows int, returning bool) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	p := 0
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			p++
			b.WriteString(Placeholder(dialect, p))
		}
		b.WriteByte(')')
	}
	if returning {
		b.WriteString(" RETURNING id")
	}
	return b.String()
}

func repeatArgs(n int, f func(i int) []any) []any {
	var out []any
	for i := range n {
		out = append(out, f(i)...)
	}
	return out
}

// BenchmarkUoW runs the unit-of-work scenarios (see the top of this file).
func BenchmarkUoW(b *testing.B) {
	benchdb.EachTarget(b, func(b *testing.B, tg benchdb.Target) {
		e := newUoWEnv(b, tg)
		b.Run("LoadChangeSave", func(b *testing.B) {
			for _, name := range uowEntrants {
				if !e.runs(name) {
					continue
				}
				b.Run(name, func(b *testing.B) {
					ctx := context.Background()
					st := e.loadChangeSave(name)
					if err := e.seed(ctx); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					n := 0
					for b.Loop() {
						n++
						if err := st(ctx, n); err != nil {
							b.Fatalf("%s, iteration %d: %v", name, n, err)
						}
					}
					if err := e.checkChanged(ctx, n); err != nil {
						b.Fatalf("%s: %v", name, err)
					}
				})
			}
		})
		b.Run("InsertGraph", func(b *testing.B) {
			for _, name := range uowEntrants {
				if !e.runs(name) {
					continue
				}
				b.Run(name, func(b *testing.B) {
					ctx := context.Background()
					st := e.insertGraph(name)
					if err := e.reset(ctx); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					n := 0
					for b.Loop() {
						n++
						if err := st(ctx, n); err != nil {
							b.Fatalf("%s, iteration %d: %v", name, n, err)
						}
					}
					if err := e.checkGraph(ctx, n); err != nil {
						b.Fatalf("%s: %v", name, err)
					}
				})
			}
		})
	})
}

// checkChanged verifies that the last iteration changed one child per parent.
func (e *uowEnv) checkChanged(ctx context.Context, n int) error {
	var got, parents int
	q := "SELECT COUNT(*), COUNT(DISTINCT parent_id) FROM uow_child WHERE value = " + Placeholder(e.tg.Dialect, 1)
	if err := e.pool.QueryRowContext(ctx, q, changedValue(n)).Scan(&got, &parents); err != nil {
		return err
	}
	if got != uowParents || parents != uowParents {
		return fmt.Errorf("%d children of %d parents carry the last value, want %d of %d", got, parents, uowParents, uowParents)
	}
	return nil
}

// checkGraph verifies the rows of n InsertGraph iterations and their links.
func (e *uowEnv) checkGraph(ctx context.Context, n int) error {
	var parents, children, linked int
	if err := e.pool.QueryRowContext(ctx, "SELECT COUNT(*) FROM uow_parent").Scan(&parents); err != nil {
		return err
	}
	err := e.pool.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT c.parent_id) FROM uow_child c
		JOIN uow_parent p ON p.id = c.parent_id AND p.name = c.name`).Scan(&children, &linked)
	if err != nil {
		return err
	}
	if parents != n*uowGraphParents || children != n*uowGraphParents*uowGraphKids || linked != parents {
		return fmt.Errorf("%d parents, %d children under %d parents; want %d, %d, %d",
			parents, children, linked, n*uowGraphParents, n*uowGraphParents*uowGraphKids, n*uowGraphParents)
	}
	return nil
}

// changedValue is what iteration n writes into the changed children (the
// seeded values are 0..9).
func changedValue(n int) int64 { return int64(1000 + n) }

func (e *uowEnv) loadChangeSave(entrant string) step {
	switch entrant {
	case "raw":
		d := e.tg.Dialect
		parentsQ := "SELECT id, name FROM uow_parent ORDER BY id"
		var in strings.Builder
		for i := range uowParents {
			if i > 0 {
				in.WriteString(", ")
			}
			in.WriteString(Placeholder(d, i+1))
		}
		childrenQ := "SELECT id, parent_id, name, value FROM uow_child WHERE parent_id IN (" + in.String() + ")"
		updateQ := "UPDATE uow_child SET value = " + Placeholder(d, 1) + " WHERE id = " + Placeholder(d, 2)
		return func(ctx context.Context, n int) error {
			parents, err := e.rawLoad(ctx, parentsQ, childrenQ)
			if err != nil {
				return err
			}
			v := changedValue(n)
			tx, err := e.pool.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			st, err := tx.PrepareContext(ctx, updateQ)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, p := range parents {
				c := p.Children[0]
				c.Value = v
				if err := one(st.ExecContext(ctx, c.Value, c.ID)); err != nil {
					return err
				}
			}
			return tx.Commit()
		}
	case "gorm", "gorm-noprep":
		g := e.gormOf(entrant)
		return func(ctx context.Context, n int) error {
			var parents []*gormUParent
			if err := g.WithContext(ctx).Preload("Children").Order("id").Find(&parents).Error; err != nil {
				return err
			}
			if len(parents) != uowParents || len(parents[0].Children) != uowChildren {
				return fmt.Errorf("loaded %d parents", len(parents))
			}
			v := changedValue(n)
			return g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				for _, p := range parents {
					c := &p.Children[0]
					c.Value = v
					if err := tx.Save(c).Error; err != nil {
						return err
					}
				}
				return nil
			})
		}
	case "bun", "bun-shared":
		bn := e.bunOf(entrant)
		return func(ctx context.Context, n int) error {
			var parents []*bunUParent
			if err := bn.NewSelect().Model(&parents).Relation("Children").Order("id").Scan(ctx); err != nil {
				return err
			}
			if len(parents) != uowParents || len(parents[0].Children) != uowChildren {
				return fmt.Errorf("loaded %d parents", len(parents))
			}
			v := changedValue(n)
			return bn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				for _, p := range parents {
					c := p.Children[0]
					c.Value = v
					if _, err := tx.NewUpdate().Model(c).WherePK().Exec(ctx); err != nil {
						return err
					}
				}
				return nil
			})
		}
	case "session":
		return func(ctx context.Context, n int) error {
			s := orm.NewSession(e.db)
			defer s.Close()
			parents, err := orm.Select[UParent](s).OrderBy("id").Preload("Children").All(ctx)
			if err != nil {
				return err
			}
			if len(parents) != uowParents || parents[0].Children.Len() != uowChildren {
				return fmt.Errorf("loaded %d parents", len(parents))
			}
			v := changedValue(n)
			for _, p := range parents {
				p.Children.Items()[0].Value = v
			}
			return s.Commit(ctx)
		}
	}
	return nil
}

// rawLoad reads the parents and their children and stitches them by hand.
func (e *uowEnv) rawLoad(ctx context.Context, parentsQ, childrenQ string) ([]*rawParent, error) {
	rows, err := e.pool.QueryContext(ctx, parentsQ)
	if err != nil {
		return nil, err
	}
	parents := make([]*rawParent, 0, uowParents)
	for rows.Next() {
		p := new(rawParent)
		if err := rows.Scan(&p.ID, &p.Name); err != nil {
			rows.Close()
			return nil, err
		}
		parents = append(parents, p)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(parents) != uowParents {
		return nil, fmt.Errorf("loaded %d parents", len(parents))
	}
	byID := make(map[int64]*rawParent, len(parents))
	ids := make([]any, len(parents))
	for i, p := range parents {
		byID[p.ID] = p
		ids[i] = p.ID
	}
	rows, err = e.pool.QueryContext(ctx, childrenQ, ids...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		c := new(rawChild)
		if err := rows.Scan(&c.ID, &c.ParentID, &c.Name, &c.Value); err != nil {
			rows.Close()
			return nil, err
		}
		p := byID[c.ParentID]
		p.Children = append(p.Children, c)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(parents[0].Children) != uowChildren {
		return nil, fmt.Errorf("parent 1 has %d children", len(parents[0].Children))
	}
	return parents, nil
}

// graphName names parent k of iteration n; its children carry the same
// name, which checkGraph uses to verify the links.
func graphName(n, k int) string { return "g" + strconv.Itoa(n) + "-" + strconv.Itoa(k) }

func (e *uowEnv) insertGraph(entrant string) step {
	switch entrant {
	case "raw":
		d := e.tg.Dialect
		parentsQ := valuesSQL(d, "uow_parent", []string{"name"}, uowGraphParents, e.pg)
		childrenQ := valuesSQL(d, "uow_child", []string{"parent_id", "name", "value"}, uowGraphParents*uowGraphKids, e.pg)
		return func(ctx context.Context, n int) error {
			parents := make([]*rawParent, uowGraphParents)
			pargs := make([]any, uowGraphParents)
			for k := range parents {
				p := &rawParent{Name: graphName(n, k), Children: make([]*rawChild, uowGraphKids)}
				for j := range p.Children {
					p.Children[j] = &rawChild{Name: p.Name, Value: int64(j)}
				}
				parents[k] = p
				pargs[k] = p.Name
			}
			tx, err := e.pool.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if err := rawInsertKeys(ctx, tx, e.tg.Dialect, parentsQ, pargs, len(parents), func(i int, id int64) { parents[i].ID = id }); err != nil {
				return err
			}
			children := make([]*rawChild, 0, uowGraphParents*uowGraphKids)
			cargs := make([]any, 0, 3*uowGraphParents*uowGraphKids)
			for _, p := range parents {
				for _, c := range p.Children {
					c.ParentID = p.ID
					children = append(children, c)
					cargs = append(cargs, c.ParentID, c.Name, c.Value)
				}
			}
			if err := rawInsertKeys(ctx, tx, e.tg.Dialect, childrenQ, cargs, len(children), func(i int, id int64) { children[i].ID = id }); err != nil {
				return err
			}
			return tx.Commit()
		}
	case "gorm", "gorm-noprep":
		g := e.gormOf(entrant)
		return func(ctx context.Context, n int) error {
			parents := make([]*gormUParent, uowGraphParents)
			for k := range parents {
				p := &gormUParent{Name: graphName(n, k), Children: make([]gormUChild, uowGraphKids)}
				for j := range p.Children {
					p.Children[j] = gormUChild{Name: p.Name, Value: int64(j)}
				}
				parents[k] = p
			}
			err := g.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return tx.Create(&parents).Error })
			if err != nil {
				return err
			}
			return needKey(parents[uowGraphParents-1].Children[uowGraphKids-1].ID)
		}
	case "bun", "bun-shared":
		bn := e.bunOf(entrant)
		return func(ctx context.Context, n int) error {
			parents := make([]*bunUParent, uowGraphParents)
			for k := range parents {
				p := &bunUParent{Name: graphName(n, k), Children: make([]*bunUChild, uowGraphKids)}
				for j := range p.Children {
					p.Children[j] = &bunUChild{Name: p.Name, Value: int64(j)}
				}
				parents[k] = p
			}
			err := bn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.NewInsert().Model(&parents).Exec(ctx); err != nil {
					return err
				}
				children := make([]*bunUChild, 0, uowGraphParents*uowGraphKids)
				for _, p := range parents {
					for _, c := range p.Children {
						c.ParentID = p.ID
						children = append(children, c)
					}
				}
				_, err := tx.NewInsert().Model(&children).Exec(ctx)
				return err
			})
			if err != nil {
				return err
			}
			return needKey(parents[uowGraphParents-1].Children[uowGraphKids-1].ID)
		}
	case "session":
		return func(ctx context.Context, n int) error {
			s := orm.NewSession(e.db)
			defer s.Close()
			parents := make([]*UParent, uowGraphParents)
			// The check after Commit reads the last parent's children
			// through the slice handed to Set: ExpireOnCommit expires the
			// parents and unloads their clean relations (Items() is then
			// empty and is not reloaded by itself), while the children
			// are the same objects and keep the keys the flush set.
			var lastKids []*UChild
			for k := range parents {
				p := &UParent{Name: graphName(n, k)}
				kids := make([]*UChild, uowGraphKids)
				for j := range kids {
					kids[j] = &UChild{Name: p.Name, Value: int64(j)}
				}
				p.Children.Set(kids)
				parents[k] = p
				lastKids = kids
				if err := s.Add(p); err != nil {
					return err
				}
			}
			if err := s.Commit(ctx); err != nil {
				return err
			}
			last := parents[uowGraphParents-1]
			if err := needKey(last.ID); err != nil {
				return err
			}
			if c := lastKids[uowGraphKids-1]; c.ParentID != last.ID {
				return fmt.Errorf("child's parent_id %d, want %d", c.ParentID, last.ID)
			}
			return needKey(lastKids[uowGraphKids-1].ID)
		}
	}
	return nil
}

// rawInsertKeys runs a multi-row INSERT of rows rows and hands each row's
// generated key to set: from RETURNING on PostgreSQL, from LastInsertId
// elsewhere (one statement gets consecutive keys; MySQL reports the first,
// SQLite the last).
func rawInsertKeys(ctx context.Context, tx *sql.Tx, dialect, q string, args []any, rows int, set func(i int, id int64)) error {
	if dialect == "postgres" {
		rs, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		i := 0
		for rs.Next() {
			var id int64
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return err
			}
			if i < rows {
				set(i, id)
			}
			i++
		}
		if err := rs.Close(); err != nil {
			return err
		}
		if i != rows {
			return fmt.Errorf("%d keys returned for %d rows", i, rows)
		}
		return nil
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	if dialect == "sqlite" {
		id -= int64(rows - 1)
	}
	for i := range rows {
		set(i, id+int64(i))
	}
	return nil
}
