package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Models of the session-core tests (identity map, change tracking, input
// checks). Every name starts with "id" so that other test files of the
// package can declare their own models.

type idHero struct {
	ID         int64 `sqlmodel:"pk"`
	Name       string
	SecretName string
	Age        *int
	Score      int
	Active     bool
	Data       []byte
	Born       time.Time
}

func (idHero) TableName() string { return "id_hero" }

// idHeroKey is a named integer type used as a key value.
type idHeroKey int64

// idOrderItem has a composite primary key.
type idOrderItem struct {
	OrderID   int64 `sqlmodel:"pk"`
	ProductID int64 `sqlmodel:"pk"`
	Qty       int
}

func (idOrderItem) TableName() string { return "id_order_item" }

// idUnregistered is never registered.
type idUnregistered struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func (idUnregistered) TableName() string { return "id_unregistered" }

var idBorn = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

const idHeroColumns = `"id", "name", "secret_name", "age", "score", "active", "data", "born"`

// idSetup creates the tables of the session-core tests.
func idSetup(t *testing.T, db *orm.DB) context.Context {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateAll(ctx, &idHero{}, &idOrderItem{}); err != nil {
		t.Fatalf("CreateAll: %v", err)
	}
	return ctx
}

// idSQL turns a statement written with "double-quoted" identifiers and ?
// placeholders into the dialect's form.
func idSQL(db *orm.DB, s string) string {
	switch db.Dialect().Name() {
	case "mysql":
		return strings.ReplaceAll(s, `"`, "`")
	case "postgres":
		var b strings.Builder
		n := 0
		for _, r := range s {
			if r == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	return s
}

// idInsertHeroes writes rows with raw SQL in one transaction, without the
// session, so that the tests of loading do not depend on the flush.
func idInsertHeroes(t *testing.T, ctx context.Context, db *orm.DB, hs ...*idHero) {
	t.Helper()
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	q := idSQL(db, `INSERT INTO "id_hero" (`+idHeroColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	for _, h := range hs {
		var age any
		if h.Age != nil {
			age = int64(*h.Age)
		}
		var data any
		if h.Data != nil {
			data = h.Data
		}
		born := h.Born
		if born.IsZero() {
			born = idBorn
		}
		if _, err := tx.ExecContext(ctx, q, h.ID, h.Name, h.SecretName, age, h.Score, h.Active, data, born); err != nil {
			t.Fatalf("seed hero %d: %v", h.ID, err)
		}
	}
	if db.Dialect().Name() == "postgres" {
		// Explicit keys do not move the identity sequence; later generated
		// keys must not collide with them.
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('"id_hero"', 'id'), (SELECT MAX("id") FROM "id_hero"))`); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func idInsertItems(t *testing.T, ctx context.Context, db *orm.DB, items ...idOrderItem) {
	t.Helper()
	q := idSQL(db, `INSERT INTO "id_order_item" ("order_id", "product_id", "qty") VALUES (?, ?, ?)`)
	for _, it := range items {
		if _, err := db.SQL().ExecContext(ctx, q, it.OrderID, it.ProductID, it.Qty); err != nil {
			t.Fatalf("seed item: %v", err)
		}
	}
}

// idSession returns a session on a recording copy of db; it is closed at
// the end of the test.
func idSession(t *testing.T, db *orm.DB, cfg ...orm.SessionConfig) (*orm.Session, *testkit.Recorder) {
	t.Helper()
	rdb, rec := testkit.Record(db)
	var s *orm.Session
	if len(cfg) > 0 {
		s = orm.NewSessionWithConfig(rdb, cfg[0])
	} else {
		s = orm.NewSession(rdb)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("session Close: %v", err)
		}
	})
	return s, rec
}

// idLoad reads a hero as the database has it, through a new session on the
// pool (committed data only).
func idLoad(t *testing.T, ctx context.Context, db *orm.DB, id int64) (*idHero, error) {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	return orm.Get[idHero](ctx, s, id)
}

func idMustLoad(t *testing.T, ctx context.Context, db *orm.DB, id int64) *idHero {
	t.Helper()
	h, err := idLoad(t, ctx, db, id)
	if err != nil {
		t.Fatalf("load hero %d: %v", id, err)
	}
	return h
}

// idStmts returns the recorded statements that are not transaction
// control, with their arguments.
func idStmts(rec *testkit.Recorder) []orm.QueryEvent {
	var out []orm.QueryEvent
	for _, e := range rec.Events() {
		if e.Op == "exec" || e.Op == "query" {
			out = append(out, e)
		}
	}
	return out
}

func idWantSQL(t *testing.T, rec *testkit.Recorder, want ...string) {
	t.Helper()
	got := rec.SQL()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("statements:\n got  %q\n want %q\nall:\n%s", got, want, rec.Dump())
	}
}

func idWantNoSQL(t *testing.T, rec *testkit.Recorder, what string) {
	t.Helper()
	if n := rec.Count(); n != 0 {
		t.Fatalf("%s sent %d statement(s), want none:\n%s", what, n, rec.Dump())
	}
}

func idIntp(v int) *int { return &v }

// idNoAutoFlush is the default session config with AutoFlush off, for
// tests that look at unflushed changes through reads.
func idNoAutoFlush() orm.SessionConfig {
	cfg := orm.DefaultSessionConfig()
	cfg.AutoFlush = false
	return cfg
}

func TestIDGetTwiceOneSelect(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 7, Name: "Deadpond", SecretName: "Dive Wilson", Age: idIntp(30), Score: 3, Active: true, Data: []byte("xy")})
		s, rec := idSession(t, db)

		h1, err := orm.Get[idHero](ctx, s, 7)
		if err != nil {
			t.Fatal(err)
		}
		h2, err := orm.Get[idHero](ctx, s, 7)
		if err != nil {
			t.Fatal(err)
		}
		if h1 != h2 {
			t.Fatalf("Get twice returned two instances %p and %p", h1, h2)
		}
		idWantSQL(t, rec, idSQL(db, `SELECT `+idHeroColumns+` FROM "id_hero" WHERE "id" = ?`))
		ev := idStmts(rec)[0]
		if !reflect.DeepEqual(ev.Args, []any{int64(7)}) {
			t.Fatalf("SELECT args = %#v, want [7]", ev.Args)
		}
		if ev.InTx {
			t.Fatal("a read before any write ran in a transaction; want the pool (autocommit)")
		}
		if s.InTransaction() {
			t.Fatal("Get opened a transaction")
		}
		if h1.ID != 7 || h1.Name != "Deadpond" || h1.SecretName != "Dive Wilson" || h1.Age == nil || *h1.Age != 30 ||
			h1.Score != 3 || !h1.Active || string(h1.Data) != "xy" || !h1.Born.Equal(idBorn) {
			t.Fatalf("loaded %+v", *h1)
		}
		if st, ok := s.ObjectState(h1); !ok || st != orm.StatePersistent {
			t.Fatalf("ObjectState = %v, %v; want Persistent, true", st, ok)
		}
		if s.TrackedCount() != 1 || s.IsModified(h1) {
			t.Fatalf("TrackedCount=%d IsModified=%v", s.TrackedCount(), s.IsModified(h1))
		}
	})
}

func TestIDGetKeyTypesOneIdentity(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 42, Name: "A"}, &idHero{ID: 43, Name: "B"})
		s, rec := idSession(t, db)

		first, err := orm.Get[idHero](ctx, s, 42)
		if err != nil {
			t.Fatal(err)
		}
		k42 := 42
		keys := []any{int(42), int32(42), int64(42), idHeroKey(42), uint8(42), uint64(42), int16(42),
			&k42, sql.NullInt64{Int64: 42, Valid: true}}
		for _, k := range keys {
			h, err := orm.Get[idHero](ctx, s, k)
			if err != nil {
				t.Fatalf("Get(%T %v): %v", k, k, err)
			}
			if h != first {
				t.Fatalf("Get(%T %v) returned another instance", k, k)
			}
			h, err = orm.GetByPK[idHero](ctx, s, k)
			if err != nil || h != first {
				t.Fatalf("GetByPK(%T %v) = %p, %v; want the tracked instance", k, k, h, err)
			}
		}
		if n := len(rec.SQL()); n != 1 {
			t.Fatalf("%d statements for one key in %d types, want 1:\n%s", n, len(keys), rec.Dump())
		}
		other, err := orm.Get[idHero](ctx, s, idHeroKey(43))
		if err != nil {
			t.Fatal(err)
		}
		if other == first || other.Name != "B" {
			t.Fatalf("key 43 gave %+v (same instance as 42: %v)", other, other == first)
		}
		if n := len(rec.SQL()); n != 2 {
			t.Fatalf("%d statements, want 2", n)
		}
		if s.TrackedCount() != 2 {
			t.Fatalf("TrackedCount = %d, want 2", s.TrackedCount())
		}
	})
}

func TestIDGetCompositeKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		// (1,10) and (10,1), (1,11) and (11,1): tuples that a careless
		// encoding (sum, concatenation without separator) would confuse.
		idInsertItems(t, ctx, db,
			idOrderItem{1, 10, 5}, idOrderItem{10, 1, 6}, idOrderItem{1, 11, 7}, idOrderItem{11, 1, 8}, idOrderItem{2, 10, 9})
		s, rec := idSession(t, db)

		it, err := orm.GetByPK[idOrderItem](ctx, s, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if it.OrderID != 1 || it.ProductID != 10 || it.Qty != 5 {
			t.Fatalf("loaded %+v", *it)
		}
		idWantSQL(t, rec, idSQL(db, `SELECT "order_id", "product_id", "qty" FROM "id_order_item" WHERE "order_id" = ? AND "product_id" = ?`))
		if args := idStmts(rec)[0].Args; !reflect.DeepEqual(args, []any{int64(1), int64(10)}) {
			t.Fatalf("args = %#v", args)
		}
		for _, k := range [][]any{{1, 10}, {int32(1), int64(10)}, {idHeroKey(1), uint16(10)}} {
			again, err := orm.GetByPK[idOrderItem](ctx, s, k...)
			if err != nil || again != it {
				t.Fatalf("GetByPK%v = %p, %v; want the tracked instance %p", k, again, err, it)
			}
		}
		if n := len(rec.SQL()); n != 1 {
			t.Fatalf("%d statements, want 1:\n%s", n, rec.Dump())
		}
		seen := map[*idOrderItem]bool{it: true}
		for _, k := range [][2]int64{{10, 1}, {1, 11}, {11, 1}, {2, 10}} {
			o, err := orm.GetByPK[idOrderItem](ctx, s, k[0], k[1])
			if err != nil {
				t.Fatal(err)
			}
			if seen[o] || o.OrderID != k[0] || o.ProductID != k[1] {
				t.Fatalf("GetByPK%v = %+v (seen before: %v)", k, *o, seen[o])
			}
			seen[o] = true
		}
		if n := len(rec.SQL()); n != 5 {
			t.Fatalf("%d statements, want 5", n)
		}
		if s.TrackedCount() != 5 {
			t.Fatalf("TrackedCount = %d, want 5", s.TrackedCount())
		}
		// Identity also holds for a composite key of an object flushed by
		// this session.
		rec.Reset()
		n := &idOrderItem{OrderID: 3, ProductID: 30, Qty: 1}
		if err := s.Add(n); err != nil {
			t.Fatal(err)
		}
		got, err := orm.GetByPK[idOrderItem](ctx, s, 3, 30)
		if err != nil || got != n {
			t.Fatalf("GetByPK of a pending keyed object = %p, %v; want %p", got, err, n)
		}
		idWantNoSQL(t, rec, "GetByPK of a pending object")
	})
}

func TestIDGetMissingRow(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		s, rec := idSession(t, db)

		h, err := orm.Get[idHero](ctx, s, 999)
		if h != nil || !errors.Is(err, orm.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("Get of a missing row = %v, %v; want nil, ErrNotFound matching sql.ErrNoRows", h, err)
		}
		if !strings.Contains(err.Error(), "999") {
			t.Fatalf("error %q does not name the key", err)
		}
		it, err := orm.GetByPK[idOrderItem](ctx, s, 1, 2)
		if it != nil || !errors.Is(err, orm.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("GetByPK of a missing row = %v, %v", it, err)
		}
		if n := len(rec.SQL()); n != 2 {
			t.Fatalf("%d statements, want 2 SELECTs:\n%s", n, rec.Dump())
		}
		if s.TrackedCount() != 0 {
			t.Fatalf("TrackedCount = %d after misses", s.TrackedCount())
		}
		// A miss is not cached as absent: the row inserted meanwhile is found.
		idInsertHeroes(t, ctx, db, &idHero{ID: 999, Name: "late"})
		h, err = orm.Get[idHero](ctx, s, 999)
		if err != nil || h.Name != "late" {
			t.Fatalf("Get after insert = %v, %v", h, err)
		}
	})
}

func TestIDGetWrongArity(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		s, rec := idSession(t, db)

		cases := []struct {
			name string
			call func() (any, error)
		}{
			{"composite/one", func() (any, error) { return orm.Get[idOrderItem](ctx, s, 1) }},
			{"composite/GetByPK-one", func() (any, error) { return orm.GetByPK[idOrderItem](ctx, s, 1) }},
			{"composite/three", func() (any, error) { return orm.GetByPK[idOrderItem](ctx, s, 1, 2, 3) }},
			{"composite/none", func() (any, error) { return orm.GetByPK[idOrderItem](ctx, s) }},
			{"single/two", func() (any, error) { return orm.GetByPK[idHero](ctx, s, 1, 2) }},
			{"single/none", func() (any, error) { return orm.GetByPK[idHero](ctx, s) }},
			{"options/three", func() (any, error) {
				return orm.GetWithOptions[idOrderItem](ctx, s, orm.GetOptions{}, 1, 2, 3)
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				v, err := c.call()
				if !errors.Is(err, orm.ErrInvalidArgument) {
					t.Fatalf("err = %v, want ErrInvalidArgument", err)
				}
				if !reflect.ValueOf(v).IsNil() {
					t.Fatalf("got a value %v with the error", v)
				}
				if !strings.Contains(err.Error(), "primary key") {
					t.Fatalf("error %q does not say what is wrong with the key", err)
				}
			})
		}
		idWantNoSQL(t, rec, "Get with a wrong number of key values")
	})
}

func TestIDGetWrongKeyType(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		s, rec := idSession(t, db)

		cases := []struct {
			name string
			key  any
		}{
			{"string", "abc"},
			{"numeric string", "1"},
			{"bool", true},
			{"time", idBorn},
			{"bytes", []byte{1}},
			{"nil", nil},
			{"nil pointer", (*int)(nil)},
			{"fraction", 1.5},
			{"struct", struct{ X int }{1}},
			{"slice", []int{1}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h, err := orm.Get[idHero](ctx, s, c.key)
				if err == nil || h != nil {
					t.Fatalf("Get(%#v) = %v, %v; want an error", c.key, h, err)
				}
				if !errors.Is(err, orm.ErrInvalidArgument) {
					t.Fatalf("err = %v, want ErrInvalidArgument", err)
				}
				if !strings.Contains(err.Error(), "idHero") {
					t.Fatalf("error %q does not name the model", err)
				}
			})
		}
		if _, err := orm.GetByPK[idOrderItem](ctx, s, 1, "abc"); !errors.Is(err, orm.ErrInvalidArgument) {
			t.Fatalf("composite key with a string part: %v", err)
		}
		idWantNoSQL(t, rec, "Get with a key of the wrong type")
	})
}

func TestIDGetDeletedInSession(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "A"})
		idInsertItems(t, ctx, db, idOrderItem{1, 2, 3})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		it, err := orm.GetByPK[idOrderItem](ctx, s, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(h); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(it); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		got, err := orm.Get[idHero](ctx, s, 1)
		if got != nil || !errors.Is(err, orm.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("Get of a deleted object = %v, %v; want ErrNotFound", got, err)
		}
		gotIt, err := orm.GetByPK[idOrderItem](ctx, s, 1, 2)
		if gotIt != nil || !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("GetByPK of a deleted object = %v, %v; want ErrNotFound", gotIt, err)
		}
		idWantNoSQL(t, rec, "Get of a deleted object")
		if st, _ := s.ObjectState(h); st != orm.StateDeleted {
			t.Fatalf("state after Get = %v, want Deleted (not resurrected)", st)
		}
		if s.PendingDeleteCount() != 2 {
			t.Fatalf("PendingDeleteCount = %d", s.PendingDeleteCount())
		}
	})
}

func TestIDGetForUpdate(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "A", Score: 1}, &idHero{ID: 2, Name: "B"}, &idHero{ID: 3, Name: "C"})
		// AutoFlush off: the locking Get must keep the local change
		// unflushed.
		s, rec := idSession(t, db, idNoAutoFlush())

		for _, o := range []orm.GetOptions{{SkipLocked: true}, {NoWait: true}} {
			if _, err := orm.GetWithOptions[idHero](ctx, s, o, 1); !errors.Is(err, orm.ErrInvalidArgument) || !strings.Contains(err.Error(), "ForUpdate") {
				t.Fatalf("%+v without ForUpdate: %v, want ErrInvalidArgument", o, err)
			}
		}
		idWantNoSQL(t, rec, "lock options without ForUpdate")

		if db.Dialect().Name() == "sqlite" {
			h, err := orm.GetWithOptions[idHero](ctx, s, orm.GetOptions{ForUpdate: true}, 1)
			if h != nil || !errors.Is(err, orm.ErrUnsupported) {
				t.Fatalf("ForUpdate on SQLite = %v, %v; want ErrUnsupported", h, err)
			}
			if !strings.Contains(err.Error(), "FOR UPDATE") {
				t.Fatalf("error %q does not name the feature", err)
			}
			if _, err := orm.GetWithOptions[idHero](ctx, s, orm.GetOptions{ForUpdate: true, SkipLocked: true}, 1); !errors.Is(err, orm.ErrUnsupported) {
				t.Fatalf("ForUpdate+SkipLocked on SQLite: %v", err)
			}
			idWantNoSQL(t, rec, "ForUpdate on SQLite")
			if s.InTransaction() || s.TrackedCount() != 0 {
				t.Fatalf("InTransaction=%v TrackedCount=%d after a refused ForUpdate", s.InTransaction(), s.TrackedCount())
			}
			return
		}

		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		// Another connection changes the row; a local change is pending.
		if _, err := db.SQL().ExecContext(ctx, idSQL(db, `UPDATE "id_hero" SET "name" = ? WHERE "id" = ?`), "changed", 1); err != nil {
			t.Fatal(err)
		}
		h.Score = 99
		rec.Reset()
		locked, err := orm.GetWithOptions[idHero](ctx, s, orm.GetOptions{ForUpdate: true}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if locked != h {
			t.Fatal("ForUpdate returned another instance than the tracked one")
		}
		sel := idSQL(db, `SELECT `+idHeroColumns+` FROM "id_hero" WHERE "id" = ?`)
		idWantSQL(t, rec, sel+" FOR UPDATE")
		ev := idStmts(rec)[0]
		if !ev.InTx || !s.InTransaction() {
			t.Fatalf("FOR UPDATE ran outside a transaction (InTx=%v, InTransaction=%v)", ev.InTx, s.InTransaction())
		}
		if st := rec.Statements(); len(st) != 2 || rec.Events()[0].Op != "begin" {
			t.Fatalf("want BEGIN then SELECT, got:\n%s", rec.Dump())
		}
		if h.Name != "changed" || h.Score != 99 {
			t.Fatalf("after ForUpdate Name=%q Score=%d; want the database's name and the unflushed score kept", h.Name, h.Score)
		}
		if got := s.ModifiedAttributes(h); !reflect.DeepEqual(got, []string{"score"}) {
			t.Fatalf("ModifiedAttributes = %v, want [score]", got)
		}

		// Tracked or not, every ForUpdate queries; SkipLocked wins over NoWait.
		for _, c := range []struct {
			opts orm.GetOptions
			want string
		}{
			{orm.GetOptions{ForUpdate: true}, " FOR UPDATE"},
			{orm.GetOptions{ForUpdate: true, SkipLocked: true, NoWait: true}, " FOR UPDATE SKIP LOCKED"},
			{orm.GetOptions{ForUpdate: true, SkipLocked: true}, " FOR UPDATE SKIP LOCKED"},
			{orm.GetOptions{ForUpdate: true, NoWait: true}, " FOR UPDATE NOWAIT"},
		} {
			for _, id := range []int64{1, 2} {
				rec.Reset()
				got, err := orm.GetWithOptions[idHero](ctx, s, c.opts, id)
				if err != nil {
					t.Fatalf("%+v: %v", c.opts, err)
				}
				if id == 1 && got != h {
					t.Fatalf("%+v: another instance", c.opts)
				}
				q := rec.SQL()
				if len(q) != 1 || !strings.HasSuffix(q[0], c.want) {
					t.Fatalf("%+v: statements %q, want one ending in %q", c.opts, q, c.want)
				}
				if c.opts.SkipLocked && strings.Contains(q[0], "NOWAIT") {
					t.Fatalf("%+v: %q has NOWAIT although SkipLocked wins", c.opts, q[0])
				}
			}
		}
		// Rows locked by this session are skipped by another transaction
		// with SKIP LOCKED: the lock is real.
		other, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback()
		rows, err := other.QueryContext(ctx, idSQL(db, `SELECT "id" FROM "id_hero" WHERE "id" IN (1, 2) ORDER BY "id" FOR UPDATE SKIP LOCKED`))
		if err != nil {
			t.Fatal(err)
		}
		var free []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			free = append(free, id)
		}
		rows.Close()
		if len(free) != 0 {
			t.Fatalf("another transaction could lock rows %v that the session holds FOR UPDATE", free)
		}
		// A row locked by the other transaction: SKIP LOCKED finds nothing,
		// NOWAIT fails at once.
		if _, err := other.ExecContext(ctx, idSQL(db, `UPDATE "id_hero" SET "score" = ? WHERE "id" = ?`), 5, 3); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		got, err := orm.GetWithOptions[idHero](ctx, s, orm.GetOptions{ForUpdate: true, SkipLocked: true}, 3)
		if got != nil || !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("SkipLocked on a row locked elsewhere = %v, %v; want ErrNotFound", got, err)
		}
		start := time.Now()
		got, err = orm.GetWithOptions[idHero](ctx, s, orm.GetOptions{ForUpdate: true, NoWait: true}, 3)
		if got != nil || !errors.Is(err, orm.ErrLockTimeout) || !orm.IsRetryable(err) {
			t.Fatalf("NoWait on a row locked elsewhere = %v, %v; want ErrLockTimeout (retryable)", got, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("NoWait waited %v", d)
		}
		if n := len(rec.SQL()); n != 2 {
			t.Fatalf("%d statements, want 2", n)
		}
		if s.TrackedCount() != 2 {
			t.Fatalf("TrackedCount = %d, want 2 (row 3 was never loaded)", s.TrackedCount())
		}
		// PostgreSQL aborts the transaction after the failed statement.
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestIDAddWithoutKeys(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		s, rec := idSession(t, db)
		hs := []*idHero{{Name: "a", Born: idBorn}, {Name: "b", Born: idBorn}, {Name: "c", Born: idBorn}}
		if err := s.AddAll(hs[0], hs[1]); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(hs[2]); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(hs[2]); err != nil { // adding again does nothing
			t.Fatal(err)
		}
		if s.PendingNewCount() != 3 || s.TrackedCount() != 3 {
			t.Fatalf("PendingNewCount=%d TrackedCount=%d, want 3, 3", s.PendingNewCount(), s.TrackedCount())
		}
		for i, h := range hs {
			if st, ok := s.ObjectState(h); !ok || st != orm.StateNew {
				t.Fatalf("hero %d: ObjectState = %v, %v; want New", i, st, ok)
			}
			if h.ID != 0 {
				t.Fatalf("hero %d has key %d before flush", i, h.ID)
			}
			if !s.Contains(h) || !s.IsModified(h) {
				t.Fatalf("hero %d: Contains=%v IsModified=%v", i, s.Contains(h), s.IsModified(h))
			}
		}
		if got := s.ModifiedAttributes(hs[0]); !reflect.DeepEqual(got, []string{"id", "name", "secret_name", "age", "score", "active", "data", "born"}) {
			t.Fatalf("ModifiedAttributes of a new object = %v", got)
		}
		idWantNoSQL(t, rec, "Add")
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		ids := map[int64]bool{}
		for i, h := range hs {
			if h.ID == 0 || ids[h.ID] {
				t.Fatalf("hero %d: key %d after flush (keys so far %v)", i, h.ID, ids)
			}
			ids[h.ID] = true
			if st, ok := s.ObjectState(h); !ok || st != orm.StatePersistent {
				t.Fatalf("hero %d: ObjectState after flush = %v, %v", i, st, ok)
			}
			if s.IsModified(h) {
				t.Fatalf("hero %d modified after flush: %v", i, s.ModifiedAttributes(h))
			}
		}
		if !(hs[0].ID < hs[1].ID && hs[1].ID < hs[2].ID) {
			t.Fatalf("keys not in add order: %d %d %d", hs[0].ID, hs[1].ID, hs[2].ID)
		}
		if s.PendingNewCount() != 0 || s.TrackedCount() != 3 {
			t.Fatalf("after flush PendingNewCount=%d TrackedCount=%d", s.PendingNewCount(), s.TrackedCount())
		}
		rec.Reset()
		for i, h := range hs {
			got, err := orm.Get[idHero](ctx, s, h.ID)
			if err != nil || got != h {
				t.Fatalf("Get of flushed hero %d = %p, %v; want %p", i, got, err, h)
			}
		}
		idWantNoSQL(t, rec, "Get of flushed objects")
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			if got := idMustLoad(t, ctx, db, h.ID); got.Name != h.Name {
				t.Fatalf("row %d has name %q, want %q", h.ID, got.Name, h.Name)
			}
		}
	})
}

func TestIDAddIdentityConflict(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "A"})
		s, rec := idSession(t, db)
		h, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		dup := &idHero{ID: 1, Name: "impostor", Born: idBorn}
		err = s.Add(dup)
		if !errors.Is(err, orm.ErrIdentityConflict) {
			t.Fatalf("Add of a second instance for a tracked key: %v, want ErrIdentityConflict", err)
		}
		if !strings.Contains(err.Error(), "idHero") || !strings.Contains(err.Error(), "1") {
			t.Fatalf("error %q does not name the model and key", err)
		}
		fine := &idHero{Name: "fine", Born: idBorn}
		if err := s.AddAll(fine, dup); !errors.Is(err, orm.ErrIdentityConflict) || !strings.Contains(err.Error(), "object 1") {
			t.Fatalf("AddAll with a conflicting object: %v", err)
		}
		if s.Contains(fine) {
			t.Fatal("a failed AddAll kept the object before the conflicting one")
		}
		if err := s.Delete(dup); !errors.Is(err, orm.ErrIdentityConflict) {
			t.Fatalf("Delete of a second instance: %v, want ErrIdentityConflict", err)
		}
		// Nothing changed for the conflicting instance nor the tracked one.
		if s.Contains(dup) {
			t.Fatal("the conflicting instance is tracked")
		}
		if st, ok := s.ObjectState(dup); ok || st != orm.StateDetached {
			t.Fatalf("ObjectState(dup) = %v, %v", st, ok)
		}
		if st, _ := s.ObjectState(h); st != orm.StatePersistent || h.Name != "A" || s.IsModified(h) {
			t.Fatalf("tracked instance changed: state %v, %+v", st, *h)
		}
		if got, _ := orm.Get[idHero](ctx, s, 1); got != h {
			t.Fatal("Get returns another instance after the conflict")
		}
		if s.TrackedCount() != 1 || s.PendingNewCount() != 0 {
			t.Fatalf("TrackedCount=%d PendingNewCount=%d; want 1, 0", s.TrackedCount(), s.PendingNewCount())
		}
		idWantNoSQL(t, rec, "a refused Add")

		// The same for two new objects with the same explicit key.
		a, b := &idHero{ID: 50, Name: "a", Born: idBorn}, &idHero{ID: 50, Name: "b", Born: idBorn}
		if err := s.Add(a); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(b); !errors.Is(err, orm.ErrIdentityConflict) {
			t.Fatalf("second new object with key 50: %v", err)
		}
		if s.PendingNewCount() != 1 || s.Contains(b) {
			t.Fatalf("PendingNewCount=%d Contains(b)=%v", s.PendingNewCount(), s.Contains(b))
		}
		if err := s.AddAll(&idHero{ID: 60, Name: "c", Born: idBorn}, &idHero{ID: 60, Name: "d", Born: idBorn}); !errors.Is(err, orm.ErrIdentityConflict) {
			t.Fatalf("AddAll of two new objects with one key: %v", err)
		}
		if s.PendingNewCount() != 1 {
			t.Fatalf("PendingNewCount = %d after a failed AddAll, want 1", s.PendingNewCount())
		}
	})
}

func TestIDContainsExpunge(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "A"}, &idHero{ID: 2, Name: "B"}, &idHero{ID: 3, Name: "C"})
		s, rec := idSession(t, db)
		a, _ := orm.Get[idHero](ctx, s, 1)
		b, _ := orm.Get[idHero](ctx, s, 2)
		c, err := orm.Get[idHero](ctx, s, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Contains(a) || !s.Contains(b) || s.TrackedCount() != 3 {
			t.Fatalf("Contains(a)=%v Contains(b)=%v TrackedCount=%d", s.Contains(a), s.Contains(b), s.TrackedCount())
		}
		if s.Contains(&idHero{ID: 1}) {
			t.Fatal("Contains reports an untracked copy with a tracked key")
		}

		// Expunge forgets the object and its pending changes.
		a.Name = "changed"
		if err := s.Expunge(a); err != nil {
			t.Fatal(err)
		}
		if s.Contains(a) || s.TrackedCount() != 2 || s.PendingDirtyCount() != 0 {
			t.Fatalf("after Expunge: Contains=%v TrackedCount=%d PendingDirtyCount=%d", s.Contains(a), s.TrackedCount(), s.PendingDirtyCount())
		}
		if st, ok := s.ObjectState(a); ok || st != orm.StateDetached {
			t.Fatalf("ObjectState after Expunge = %v, %v", st, ok)
		}
		if err := s.Expunge(a); err != nil { // expunging an untracked object is harmless
			t.Fatalf("second Expunge: %v", err)
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "flush after Expunge of the only changed object")

		a2, err := orm.Get[idHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		if a2 == a {
			t.Fatal("Get after Expunge returned the expunged instance")
		}
		if a2.Name != "A" {
			t.Fatalf("reloaded name %q, want the database's %q", a2.Name, "A")
		}
		if n := len(rec.SQL()); n != 1 {
			t.Fatalf("%d statements for Get after Expunge, want 1", n)
		}
		// The expunged instance can be added back only as a new object
		// conflicting with the reloaded one.
		if err := s.Add(a); !errors.Is(err, orm.ErrIdentityConflict) {
			t.Fatalf("re-Add of the expunged instance: %v, want ErrIdentityConflict", err)
		}

		// Expunge of a new object drops its INSERT.
		n := &idHero{Name: "new", Born: idBorn}
		if err := s.Add(n); err != nil {
			t.Fatal(err)
		}
		if err := s.Expunge(n); err != nil {
			t.Fatal(err)
		}
		if s.PendingNewCount() != 0 {
			t.Fatalf("PendingNewCount = %d after Expunge of the new object", s.PendingNewCount())
		}

		s.ExpungeAll()
		if s.TrackedCount() != 0 || s.Contains(b) || s.Contains(c) || s.Contains(a2) {
			t.Fatalf("after ExpungeAll: TrackedCount=%d", s.TrackedCount())
		}
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantNoSQL(t, rec, "flush after ExpungeAll")
		b2, err := orm.Get[idHero](ctx, s, 2)
		if err != nil || b2 == b || b2.Name != "B" {
			t.Fatalf("Get after ExpungeAll = %p (old %p), %v", b2, b, err)
		}
		if n := len(rec.SQL()); n != 1 {
			t.Fatalf("%d statements, want 1", n)
		}
	})
}

func TestIDQueryAndGetOneInstance(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		idInsertHeroes(t, ctx, db, &idHero{ID: 1, Name: "A"}, &idHero{ID: 2, Name: "B"}, &idHero{ID: 3, Name: "C"})
		s, rec := idSession(t, db, idNoAutoFlush())

		// Get first, then a query: the query returns the tracked pointer
		// and does not overwrite its unflushed change (AutoFlush off, so
		// that the query does not flush it).
		b, err := orm.Get[idHero](ctx, s, 2)
		if err != nil {
			t.Fatal(err)
		}
		b.Name = "B local"
		all, err := orm.Select[idHero](s).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 || all[1] != b {
			t.Fatalf("query returned %d objects; second is the tracked one: %v", len(all), len(all) > 1 && all[1] == b)
		}
		if b.Name != "B local" || !s.IsModified(b) {
			t.Fatalf("the query overwrote an unflushed change: %q", b.Name)
		}
		// Query first, then Get: the same pointers, no SQL.
		rec.Reset()
		for _, h := range all {
			got, err := orm.Get[idHero](ctx, s, h.ID)
			if err != nil || got != h {
				t.Fatalf("Get(%d) = %p, %v; want the query's %p", h.ID, got, err, h)
			}
		}
		idWantNoSQL(t, rec, "Get of query-loaded objects")
		// A second query returns the same instances again.
		again, err := orm.Select[idHero](s).Where("id >= ?", 1).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range all {
			if again[i] != all[i] {
				t.Fatalf("second query: object %d is another instance", i)
			}
		}
		if s.TrackedCount() != 3 {
			t.Fatalf("TrackedCount = %d, want 3", s.TrackedCount())
		}
	})
}

// TestIDGetZeroKey: a row whose autoincrement key is 0 is a real row; its
// key must not be mistaken for "unsaved" when it is loaded.
func TestIDGetZeroKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := idSetup(t, db)
		conn, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if db.Dialect().Name() == "mysql" {
			if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := conn.ExecContext(ctx, idSQL(db, `INSERT INTO "id_hero" (`+idHeroColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			0, "zero", "", nil, 0, false, nil, idBorn); err != nil {
			t.Fatal(err)
		}
		if db.Dialect().Name() == "mysql" {
			_, _ = conn.ExecContext(ctx, "SET SESSION sql_mode = REPLACE(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO', '')")
		}
		conn.Close()

		s, rec := idSession(t, db)
		a, err := orm.Get[idHero](ctx, s, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := orm.Get[idHero](ctx, s, 0)
		if err != nil {
			t.Fatal(err)
		}
		if a != b || a.Name != "zero" {
			t.Fatalf("Get(0) twice: %p and %p (%q)", a, b, a.Name)
		}
		if n := len(rec.SQL()); n != 1 {
			t.Fatalf("%d statements for Get(0) twice, want 1:\n%s", n, rec.Dump())
		}
		if st, ok := s.ObjectState(a); !ok || st != orm.StatePersistent || s.TrackedCount() != 1 {
			t.Fatalf("ObjectState = %v, %v; TrackedCount = %d", st, ok, s.TrackedCount())
		}
		a.Name = "zero changed"
		rec.Reset()
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `UPDATE "id_hero" SET "name" = ? WHERE "id" = ?`))
		if args := idStmts(rec)[0].Args; !reflect.DeepEqual(args, []any{"zero changed", int64(0)}) {
			t.Fatalf("args = %#v", args)
		}
		if got, err := orm.Get[idHero](ctx, s, 0); err != nil || got != a {
			t.Fatalf("Get(0) after flush = %p, %v", got, err)
		}
	})
}

// idCountry has a string primary key (never autoincrement).
type idCountry struct {
	Code string `sqlmodel:"pk"`
	Name string
}

func (idCountry) TableName() string { return "id_country" }

type idCode string

func TestIDGetStringKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, &idCountry{}); err != nil {
			t.Fatal(err)
		}
		// MySQL/MariaDB tables get the charset's default collation, which
		// ignores case: there "FR" is the row "fr".
		mysql := db.Dialect().Name() == "mysql"
		seed := [][2]string{{"fr", "France"}, {"", "empty"}}
		if !mysql {
			seed = append(seed, [2]string{"FR", "upper"})
		}
		for _, c := range seed {
			if _, err := db.ExecContext(ctx, idSQL(db, `INSERT INTO "id_country" ("code", "name") VALUES (?, ?)`), c[0], c[1]); err != nil {
				t.Fatal(err)
			}
		}
		s, rec := idSession(t, db)
		fr, err := orm.Get[idCountry](ctx, s, "fr")
		if err != nil || fr.Name != "France" {
			t.Fatalf("Get(fr) = %v, %v", fr, err)
		}
		for _, k := range []any{"fr", idCode("fr")} {
			got, err := orm.Get[idCountry](ctx, s, k)
			if err != nil || got != fr {
				t.Fatalf("Get(%T %v) = %p, %v; want the tracked %p", k, k, got, err, fr)
			}
		}
		upper, err := orm.Get[idCountry](ctx, s, "FR")
		switch {
		case mysql:
			// The row found is "fr": the identity map keys it by the value
			// the database returned, so it is the tracked instance.
			if err != nil || upper != fr {
				t.Fatalf("Get(FR) on MySQL = %p, %v; want the tracked fr %p", upper, err, fr)
			}
		case err != nil || upper == fr || upper.Name != "upper":
			t.Fatalf("Get(FR) = %+v, %v; keys differing in case are two rows", upper, err)
		}
		empty, err := orm.Get[idCountry](ctx, s, "")
		if err != nil || empty.Name != "empty" {
			t.Fatalf(`Get("") = %v, %v; an empty string is a key like any other`, empty, err)
		}
		if again, _ := orm.Get[idCountry](ctx, s, ""); again != empty {
			t.Fatal(`Get("") twice gave two instances`)
		}
		if n := len(rec.SQL()); n != 3 {
			t.Fatalf("%d statements, want 3:\n%s", n, rec.Dump())
		}
		rec.Reset()
		for _, k := range []any{5, true, 1.5} {
			if _, err := orm.Get[idCountry](ctx, s, k); !errors.Is(err, orm.ErrInvalidArgument) {
				t.Fatalf("Get(%T) on a string key = %v, want ErrInvalidArgument", k, err)
			}
		}
		idWantNoSQL(t, rec, "keys of the wrong type")
		// A second instance for a tracked string key is refused; a new key
		// is added and inserted.
		if err := s.Add(&idCountry{Code: "fr", Name: "dup"}); !errors.Is(err, orm.ErrIdentityConflict) {
			t.Fatalf("Add of a second fr: %v", err)
		}
		de := &idCountry{Code: "de", Name: "Germany"}
		if err := s.Add(de); err != nil {
			t.Fatal(err)
		}
		if got, err := orm.Get[idCountry](ctx, s, "de"); err != nil || got != de {
			t.Fatalf("Get of the pending de = %p, %v", got, err)
		}
		idWantNoSQL(t, rec, "Add and Get of a pending object")
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		idWantSQL(t, rec, idSQL(db, `INSERT INTO "id_country" ("code", "name") VALUES (?, ?)`))
	})
}
