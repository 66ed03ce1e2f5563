package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/uptrace/bun"

	"github.com/sqlmodel-go/sqlmodel/bench/internal/benchdb"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// The five standard ORM benchmark operations on the 8-column models table,
// side by side for every entrant, on every target of benchdb.Matrix:
//
//	BenchmarkCRUD/<target>/<op>/<entrant>
//
// target: pgx, pq, mysql, sqlite; op: Insert, InsertMulti, Update, Read,
// ReadSlice; entrant: raw (database/sql, the floor), sqlx, gorm, bun,
// session (orm.NewSession per operation) and db (*orm.DB, no session).
//
// Fairness: all entrants of a target use the same driver and DSN settings,
// on one pool (the ORM's db.SQL()) but for Bun on pgx, which gets a pool of
// its own with the simple protocol its documentation asks for (openPeers
// says how each peer is configured, and why); before each entrant the table is
// emptied and seeded with crudSeedRows rows, so every Update hits an
// existing row (checked), every Read finds its row and every ReadSlice reads
// exactly 100 rows (checked); every entrant builds a new object per row and
// reads generated keys back into it (RETURNING on PostgreSQL, LastInsertId
// on MySQL and SQLite); results are []*T for everyone.

const (
	crudSeedRows = 1_000
	multiRows    = 100
	sliceRows    = 100
)

// Entrants are the contenders of the standard operations, in report order:
// gorm-noprep and bun-shared are the peers as configured before issue 18
// (see openPeers), bun-shared on pgx only.
var entrants = []string{"raw", "sqlx", "gorm", "gorm-noprep", "bun", "bun-shared", "session", "db"}

// gormModel is Model written for GORM (its conventions give the same table
// and columns).
type gormModel struct {
	ID      int64
	Name    string
	Title   string
	Fax     string
	Web     string
	Age     int
	Right   bool
	Counter int64
}

func (gormModel) TableName() string { return "models" }

// bunModel is Model written for Bun.
type bunModel struct {
	bun.BaseModel `bun:"table:models"`
	ID            int64  `bun:"id,pk,autoincrement"`
	Name          string `bun:"name"`
	Title         string `bun:"title"`
	Fax           string `bun:"fax"`
	Web           string `bun:"web"`
	Age           int    `bun:"age"`
	Right         bool   `bun:"right"`
	Counter       int64  `bun:"counter"`
}

// row fills the seven non-key columns the same way for every entrant.
func row(i int) (name, title, fax, web string, age int, right bool, counter int64) {
	return "name", "title", "fax", "https://example.com/", i % 100, i%2 == 0, int64(i)
}

func newModel(i int) *Model {
	m := new(Model)
	m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter = row(i)
	return m
}

func newGormModel(i int) *gormModel {
	m := new(gormModel)
	m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter = row(i)
	return m
}

func newBunModel(i int) *bunModel {
	m := new(bunModel)
	m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter = row(i)
	return m
}

// crudEnv is one target's database with every entrant's handle (on the
// shared pool, but Bun on pgx: see openPeers), and the hand-written SQL of
// the raw entrant.
type crudEnv struct {
	tg   benchdb.Target
	db   *orm.DB
	pool *sql.DB
	x    *sqlx.DB
	peers

	pg                                  bool // RETURNING id for keys
	insertQ, multiQ, updateQ            string
	readQ, sliceQ                       string
	updateOrmQ                          string // with '?' placeholders, for orm.Exec
	namedInsertQ, namedUpdateQ, selCols string
}

func newCrudEnv(b *testing.B, tg benchdb.Target) *crudEnv {
	b.Helper()
	ctx := context.Background()
	db := tg.OpenORM(b)
	if _, err := db.SQL().ExecContext(ctx, ModelsDDL(tg.Dialect)); err != nil {
		b.Fatalf("create models: %v", err)
	}
	if err := db.Register(&Model{}); err != nil {
		b.Fatal(err)
	}
	d := tg.Dialect
	r := Quote(d, "right")
	e := &crudEnv{tg: tg, db: db, pool: db.SQL(), pg: d == "postgres"}
	e.x = sqlx.NewDb(e.pool, tg.Driver)
	e.peers = openPeers(b, tg, e.pool)
	e.selCols = "id, name, title, fax, web, age, " + r + ", counter"
	e.insertQ = InsertSQL(d, 1, e.pg)
	e.multiQ = InsertSQL(d, multiRows, e.pg)
	set := []string{"name", "title", "fax", "web", "age", r, "counter"}
	var u, uo strings.Builder
	for i, c := range set {
		if i > 0 {
			u.WriteString(", ")
			uo.WriteString(", ")
		}
		u.WriteString(c + " = " + Placeholder(d, i+1))
		uo.WriteString(c + " = ?")
	}
	e.updateQ = "UPDATE models SET " + u.String() + " WHERE id = " + Placeholder(d, 8)
	e.updateOrmQ = "UPDATE models SET " + uo.String() + " WHERE id = ?"
	e.readQ = "SELECT " + e.selCols + " FROM models WHERE id = " + Placeholder(d, 1)
	e.sliceQ = "SELECT " + e.selCols + " FROM models WHERE id > " + Placeholder(d, 1) + " ORDER BY id LIMIT 100"
	e.namedInsertQ = "INSERT INTO models (name, title, fax, web, age, " + r + ", counter) VALUES (:name, :title, :fax, :web, :age, :right, :counter)"
	if e.pg {
		e.namedInsertQ += " RETURNING id"
	}
	e.namedUpdateQ = "UPDATE models SET name = :name, title = :title, fax = :fax, web = :web, age = :age, " + r + " = :right, counter = :counter WHERE id = :id"
	return e
}

// step is one timed operation; i counts iterations from 1.
type step func(ctx context.Context, i int) error

// crudOps maps each operation to the step maker of an entrant, and to the
// check run after the timed loop (n iterations).
var crudOps = []struct {
	name  string
	make  func(e *crudEnv, entrant string) step
	check func(ctx context.Context, e *crudEnv, n int) error
}{
	{"Insert", (*crudEnv).insertStep, func(ctx context.Context, e *crudEnv, n int) error { return e.checkCount(ctx, crudSeedRows+n) }},
	{"InsertMulti", (*crudEnv).insertMultiStep, func(ctx context.Context, e *crudEnv, n int) error {
		return e.checkCount(ctx, crudSeedRows+multiRows*n)
	}},
	{"Update", (*crudEnv).updateStep, func(ctx context.Context, e *crudEnv, n int) error { return e.checkUpdated(ctx, n) }},
	{"Read", (*crudEnv).readStep, nil},
	{"ReadSlice", (*crudEnv).sliceStep, nil},
}

// BenchmarkCRUD runs the five standard operations for every entrant on
// every target (see the top of this file).
func BenchmarkCRUD(b *testing.B) {
	benchdb.EachTarget(b, func(b *testing.B, tg benchdb.Target) {
		e := newCrudEnv(b, tg)
		for _, op := range crudOps {
			b.Run(op.name, func(b *testing.B) {
				for _, name := range entrants {
					if !e.runs(name) {
						continue
					}
					b.Run(name, func(b *testing.B) {
						ctx := context.Background()
						st := op.make(e, name)
						if st == nil {
							b.Skipf("%s has no %s entrant", name, op.name)
						}
						if err := ResetModels(ctx, e.pool, tg.Dialect, crudSeedRows); err != nil {
							b.Fatal(err)
						}
						b.ReportAllocs()
						n := 0
						for b.Loop() {
							n++
							if err := st(ctx, n); err != nil {
								b.Fatalf("%s %s, iteration %d: %v", name, op.name, n, err)
							}
						}
						if op.check != nil {
							if err := op.check(ctx, e, n); err != nil {
								b.Fatalf("%s %s: %v", name, op.name, err)
							}
						}
					})
				}
			})
		}
	})
}

func (e *crudEnv) checkCount(ctx context.Context, want int) error {
	var n int
	if err := e.pool.QueryRowContext(ctx, "SELECT COUNT(*) FROM models").Scan(&n); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("models holds %d rows, want %d", n, want)
	}
	return nil
}

// checkUpdated verifies that the last update of the loop reached its row.
func (e *crudEnv) checkUpdated(ctx context.Context, n int) error {
	var counter int64
	q := "SELECT counter FROM models WHERE id = " + Placeholder(e.tg.Dialect, 1)
	if err := e.pool.QueryRowContext(ctx, q, updateKey(n)).Scan(&counter); err != nil {
		return err
	}
	if counter != int64(n) {
		return fmt.Errorf("row %d has counter %d after the last update, want %d", updateKey(n), counter, n)
	}
	return nil
}

// updateKey and readKey cycle over the seeded keys 1..crudSeedRows.
func updateKey(i int) int64 { return int64(i%crudSeedRows + 1) }
func readKey(i int) int64   { return int64(i%crudSeedRows + 1) }

func one(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%d rows affected, want 1", n)
	}
	return nil
}

func needKey(id int64) error {
	if id == 0 {
		return fmt.Errorf("no generated key read back")
	}
	return nil
}

func modelArgs(m *Model) []any {
	return []any{m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter}
}

func (e *crudEnv) insertStep(entrant string) step {
	switch entrant {
	case "raw":
		return func(ctx context.Context, i int) error {
			m := newModel(i)
			if e.pg {
				if err := e.pool.QueryRowContext(ctx, e.insertQ, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter).Scan(&m.ID); err != nil {
					return err
				}
				return needKey(m.ID)
			}
			res, err := e.pool.ExecContext(ctx, e.insertQ, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter)
			if err != nil {
				return err
			}
			if m.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			return needKey(m.ID)
		}
	case "sqlx":
		return func(ctx context.Context, i int) error {
			m := newModel(i)
			if e.pg {
				rows, err := e.x.NamedQueryContext(ctx, e.namedInsertQ, m)
				if err != nil {
					return err
				}
				for rows.Next() {
					if err := rows.Scan(&m.ID); err != nil {
						rows.Close()
						return err
					}
				}
				if err := rows.Close(); err != nil {
					return err
				}
				return needKey(m.ID)
			}
			res, err := e.x.NamedExecContext(ctx, e.namedInsertQ, m)
			if err != nil {
				return err
			}
			if m.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			return needKey(m.ID)
		}
	case "gorm", "gorm-noprep":
		g := e.gormOf(entrant)
		return func(ctx context.Context, i int) error {
			m := newGormModel(i)
			if err := g.WithContext(ctx).Create(m).Error; err != nil {
				return err
			}
			return needKey(m.ID)
		}
	case "bun", "bun-shared":
		bn := e.bunOf(entrant)
		return func(ctx context.Context, i int) error {
			m := newBunModel(i)
			if _, err := bn.NewInsert().Model(m).Exec(ctx); err != nil {
				return err
			}
			return needKey(m.ID)
		}
	case "session":
		return func(ctx context.Context, i int) error {
			m := newModel(i)
			s := orm.NewSession(e.db)
			defer s.Close()
			if err := s.Add(m); err != nil {
				return err
			}
			if err := s.Commit(ctx); err != nil {
				return err
			}
			return needKey(m.ID)
		}
	case "db":
		return e.dbInsertStep(1)
	}
	return nil
}

func (e *crudEnv) insertMultiStep(entrant string) step {
	switch entrant {
	case "raw":
		return func(ctx context.Context, i int) error {
			ms := make([]*Model, multiRows)
			args := make([]any, 0, 7*multiRows)
			for j := range ms {
				m := newModel(i*multiRows + j)
				ms[j] = m
				args = append(args, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter)
			}
			if e.pg {
				rows, err := e.pool.QueryContext(ctx, e.multiQ, args...)
				if err != nil {
					return err
				}
				k := 0
				for rows.Next() {
					if k == len(ms) {
						break
					}
					if err := rows.Scan(&ms[k].ID); err != nil {
						rows.Close()
						return err
					}
					k++
				}
				if err := rows.Close(); err != nil {
					return err
				}
				return needKey(ms[multiRows-1].ID)
			}
			res, err := e.pool.ExecContext(ctx, e.multiQ, args...)
			if err != nil {
				return err
			}
			// One statement: consecutive keys, LastInsertId is the first on
			// MySQL and the last on SQLite.
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if e.tg.Dialect == "sqlite" {
				id -= multiRows - 1
			}
			for j, m := range ms {
				m.ID = id + int64(j)
			}
			return needKey(ms[multiRows-1].ID)
		}
	case "sqlx":
		return func(ctx context.Context, i int) error {
			ms := make([]*Model, multiRows)
			for j := range ms {
				ms[j] = newModel(i*multiRows + j)
			}
			if e.pg {
				rows, err := e.x.NamedQueryContext(ctx, e.namedInsertQ, ms)
				if err != nil {
					return err
				}
				k := 0
				for rows.Next() && k < len(ms) {
					if err := rows.Scan(&ms[k].ID); err != nil {
						rows.Close()
						return err
					}
					k++
				}
				if err := rows.Close(); err != nil {
					return err
				}
				return needKey(ms[multiRows-1].ID)
			}
			res, err := e.x.NamedExecContext(ctx, e.namedInsertQ, ms)
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if e.tg.Dialect == "sqlite" {
				id -= multiRows - 1
			}
			for j, m := range ms {
				m.ID = id + int64(j)
			}
			return needKey(ms[multiRows-1].ID)
		}
	case "gorm", "gorm-noprep":
		g := e.gormOf(entrant)
		return func(ctx context.Context, i int) error {
			ms := make([]*gormModel, multiRows)
			for j := range ms {
				ms[j] = newGormModel(i*multiRows + j)
			}
			if err := g.WithContext(ctx).Create(&ms).Error; err != nil {
				return err
			}
			return needKey(ms[multiRows-1].ID)
		}
	case "bun", "bun-shared":
		bn := e.bunOf(entrant)
		return func(ctx context.Context, i int) error {
			ms := make([]*bunModel, multiRows)
			for j := range ms {
				ms[j] = newBunModel(i*multiRows + j)
			}
			if _, err := bn.NewInsert().Model(&ms).Exec(ctx); err != nil {
				return err
			}
			return needKey(ms[multiRows-1].ID)
		}
	case "session":
		return func(ctx context.Context, i int) error {
			ms := make([]*Model, multiRows)
			s := orm.NewSession(e.db)
			defer s.Close()
			for j := range ms {
				ms[j] = newModel(i*multiRows + j)
				if err := s.Add(ms[j]); err != nil {
					return err
				}
			}
			if err := s.Commit(ctx); err != nil {
				return err
			}
			return needKey(ms[multiRows-1].ID)
		}
	case "db":
		return e.dbInsertStep(multiRows)
	}
	return nil
}

func (e *crudEnv) updateStep(entrant string) step {
	switch entrant {
	case "raw":
		return func(ctx context.Context, i int) error {
			m := newModel(i)
			m.ID = updateKey(i)
			return one(e.pool.ExecContext(ctx, e.updateQ, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter, m.ID))
		}
	case "sqlx":
		return func(ctx context.Context, i int) error {
			m := newModel(i)
			m.ID = updateKey(i)
			return one(e.x.NamedExecContext(ctx, e.namedUpdateQ, m))
		}
	case "gorm", "gorm-noprep":
		g := e.gormOf(entrant)
		return func(ctx context.Context, i int) error {
			m := newGormModel(i)
			m.ID = updateKey(i)
			res := g.WithContext(ctx).Save(m)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("%d rows affected, want 1", res.RowsAffected)
			}
			return nil
		}
	case "bun", "bun-shared":
		bn := e.bunOf(entrant)
		return func(ctx context.Context, i int) error {
			m := newBunModel(i)
			m.ID = updateKey(i)
			return one(bn.NewUpdate().Model(m).WherePK().Exec(ctx))
		}
	case "session":
		// The row is not loaded first: MarkDirty attaches the object by its
		// key, and the flush writes all its columns.
		return func(ctx context.Context, i int) error {
			m := newModel(i)
			m.ID = updateKey(i)
			s := orm.NewSession(e.db)
			defer s.Close()
			if err := s.MarkDirty(m); err != nil {
				return err
			}
			return s.Commit(ctx)
		}
	case "db":
		return func(ctx context.Context, i int) error {
			m := newModel(i)
			m.ID = updateKey(i)
			return one(orm.Exec(ctx, e.db, e.updateOrmQ, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter, m.ID))
		}
	}
	return nil
}

func (e *crudEnv) readStep(entrant string) step {
	switch entrant {
	case "raw":
		return func(ctx context.Context, i int) error {
			m := new(Model)
			return e.pool.QueryRowContext(ctx, e.readQ, readKey(i)).Scan(&m.ID, &m.Name, &m.Title, &m.Fax, &m.Web, &m.Age, &m.Right, &m.Counter)
		}
	case "sqlx":
		return func(ctx context.Context, i int) error {
			m := new(Model)
			return e.x.GetContext(ctx, m, e.readQ, readKey(i))
		}
	case "gorm", "gorm-noprep":
		g := e.gormOf(entrant)
		return func(ctx context.Context, i int) error {
			m := new(gormModel)
			return g.WithContext(ctx).First(m, readKey(i)).Error
		}
	case "bun", "bun-shared":
		bn := e.bunOf(entrant)
		return func(ctx context.Context, i int) error {
			m := new(bunModel)
			return bn.NewSelect().Model(m).Where("id = ?", readKey(i)).Scan(ctx)
		}
	case "session":
		return func(ctx context.Context, i int) error {
			s := orm.NewSession(e.db)
			defer s.Close()
			_, err := orm.Get[Model](ctx, s, readKey(i))
			return err
		}
	case "db":
		return func(ctx context.Context, i int) error {
			_, err := orm.Select[Model](e.db).Where("id = ?", readKey(i)).One(ctx)
			return err
		}
	}
	return nil
}

func hundred(n int) error {
	if n != sliceRows {
		return fmt.Errorf("read %d rows, want %d", n, sliceRows)
	}
	return nil
}

func (e *crudEnv) sliceStep(entrant string) step {
	switch entrant {
	case "raw":
		return func(ctx context.Context, i int) error {
			rows, err := e.pool.QueryContext(ctx, e.sliceQ, int64(0))
			if err != nil {
				return err
			}
			out := make([]*Model, 0, sliceRows)
			for rows.Next() {
				m := new(Model)
				if err := rows.Scan(&m.ID, &m.Name, &m.Title, &m.Fax, &m.Web, &m.Age, &m.Right, &m.Counter); err != nil {
					rows.Close()
					return err
				}
				out = append(out, m)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			return hundred(len(out))
		}
	case "sqlx":
		return func(ctx context.Context, i int) error {
			var out []*Model
			if err := e.x.SelectContext(ctx, &out, e.sliceQ, int64(0)); err != nil {
				return err
			}
			return hundred(len(out))
		}
	case "gorm", "gorm-noprep":
		g := e.gormOf(entrant)
		return func(ctx context.Context, i int) error {
			var out []*gormModel
			if err := g.WithContext(ctx).Where("id > ?", int64(0)).Order("id").Limit(sliceRows).Find(&out).Error; err != nil {
				return err
			}
			return hundred(len(out))
		}
	case "bun", "bun-shared":
		bn := e.bunOf(entrant)
		return func(ctx context.Context, i int) error {
			var out []*bunModel
			if err := bn.NewSelect().Model(&out).Where("id > ?", int64(0)).Order("id").Limit(sliceRows).Scan(ctx); err != nil {
				return err
			}
			return hundred(len(out))
		}
	case "session":
		return func(ctx context.Context, i int) error {
			s := orm.NewSession(e.db)
			defer s.Close()
			out, err := orm.Select[Model](s).Where("id > ?", int64(0)).OrderBy("id").Limit(sliceRows).All(ctx)
			if err != nil {
				return err
			}
			return hundred(len(out))
		}
	case "db":
		return func(ctx context.Context, i int) error {
			out, err := orm.Select[Model](e.db).Where("id > ?", int64(0)).OrderBy("id").Limit(sliceRows).All(ctx)
			if err != nil {
				return err
			}
			return hundred(len(out))
		}
	}
	return nil
}

// dbInsertStep inserts rows new objects through *DB, with no session:
// orm.BulkInsert with BulkReturnKeys, so keys are read back as for every
// other entrant (one statement, no transaction of its own).
func (e *crudEnv) dbInsertStep(rows int) step {
	return func(ctx context.Context, i int) error {
		ms := make([]*Model, rows)
		for j := range ms {
			ms[j] = newModel(i*rows + j)
		}
		n, err := orm.BulkInsert(ctx, e.db, ms, orm.BulkReturnKeys())
		if err != nil {
			return err
		}
		if n != int64(rows) {
			return fmt.Errorf("BulkInsert wrote %d rows, want %d", n, rows)
		}
		return needKey(ms[rows-1].ID)
	}
}
