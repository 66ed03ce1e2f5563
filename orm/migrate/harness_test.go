package migrate_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

// version opens a DB on db's pool with a registry of its own, so that the
// models of two versions of a table (two Go types, one TableName) can be
// registered side by side.
func version(t *testing.T, db *orm.DB) *orm.DB {
	t.Helper()
	v, err := orm.OpenDB(db.SQL(), db.Dialect().Flavor(), orm.WithRegistry(orm.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// scenario is a change from the models v1 to the models v2 with rows in
// between.
type scenario struct {
	name   string
	v1, v2 []any
	opts   []migrate.Option                   // given to PlanWith and Auto for v2
	seed   func(t *testing.T, s *orm.Session) // adds v1 rows
	// kinds are the kinds of change Plan must find, in any order.
	kinds []migrate.Kind
	// destructive: Auto without AllowDestructive must refuse, naming
	// refuse in its error, and leave the schema as it was.
	destructive bool
	refuse      string
	// check verifies the migrated table through the catalog.
	check func(t *testing.T, cat *migrate.Catalog)
	// rows reads and writes rows through a session on v2's models.
	rows func(t *testing.T, ctx context.Context, db *orm.DB)
}

func (sc scenario) run(t *testing.T, db *orm.DB) {
	ctx := context.Background()
	db1, db2 := version(t, db), version(t, db)
	if err := migrate.Auto(ctx, db1, sc.v1); err != nil {
		t.Fatalf("Auto v1: %v", err)
	}
	if sc.seed != nil {
		s := orm.NewSession(db1)
		sc.seed(t, s)
		if err := s.Commit(ctx); err != nil {
			t.Fatalf("seed: %v", err)
		}
		s.Close()
	}
	ch, err := migrate.PlanWith(ctx, db2, sc.opts, sc.v2...)
	if err != nil {
		t.Fatalf("Plan v2: %v", err)
	}
	t.Logf("plan:\n%s\nstatements:\n%s", ch, strings.Join(ch.Statements(), ";\n"))
	var kinds []migrate.Kind
	for _, c := range ch.All() {
		kinds = append(kinds, c.Kind)
	}
	for _, k := range sc.kinds {
		if !slices.Contains(kinds, k) {
			t.Errorf("Plan v2 misses a %q change; found:\n%s", k, ch)
		}
	}
	if got := len(ch.Destructive()) > 0; got != sc.destructive {
		t.Errorf("destructive = %v, want %v:\n%s", got, sc.destructive, ch)
	}
	opts := append([]migrate.Option(nil), sc.opts...)
	if sc.destructive {
		err := migrate.Auto(ctx, db2, sc.v2, opts...)
		if !errors.Is(err, migrate.ErrDestructive) || !strings.Contains(err.Error(), sc.refuse) {
			t.Fatalf("Auto without AllowDestructive: %v, want ErrDestructive naming %q", err, sc.refuse)
		}
		again, err := migrate.PlanWith(ctx, db2, sc.opts, sc.v2...)
		if err != nil || again.String() != ch.String() {
			t.Fatalf("the refused Auto changed the schema: %v\nbefore:\n%s\nafter:\n%s", err, ch, again)
		}
		opts = append(opts, migrate.AllowDestructive())
	}
	if err := migrate.Auto(ctx, db2, sc.v2, opts...); err != nil {
		t.Fatalf("Auto v2: %v\nplan:\n%s\nstatements: %q", err, ch, ch.Statements())
	}
	mustEmpty(t, db2, sc.v2...)
	if sc.check != nil {
		cat, err := migrate.Inspect(ctx, db2)
		if err != nil {
			t.Fatal(err)
		}
		sc.check(t, cat)
	}
	if sc.rows != nil {
		sc.rows(t, ctx, db2)
	}
}

// column returns a column of the catalog, failing when it is missing.
func column(t *testing.T, cat *migrate.Catalog, table, name string) migrate.Column {
	t.Helper()
	tb := cat.Table(table)
	if tb == nil {
		t.Fatalf("no table %s", table)
	}
	c, ok := tb.Column(name)
	if !ok {
		t.Fatalf("no column %s.%s", table, name)
	}
	return c
}

func hasIndex(cat *migrate.Catalog, table string, unique bool, cols ...string) bool {
	tb := cat.Table(table)
	if tb == nil {
		return false
	}
	for _, ix := range tb.Indexes {
		if ix.Unique == unique && slices.Equal(ix.Columns, cols) {
			return true
		}
	}
	return false
}

// get reads one row of T by key in a new session.
func get[T any](t *testing.T, ctx context.Context, db *orm.DB, pk any) *T {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	v, err := orm.Get[T](ctx, s, pk)
	if err != nil {
		t.Fatalf("Get %T %v: %v", v, pk, err)
	}
	return v
}

// save writes objs in a new session.
func save(t *testing.T, ctx context.Context, db *orm.DB, objs ...any) {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	if err := s.AddAll(objs...); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatalf("save: %v", err)
	}
}

func add(t *testing.T, s *orm.Session, objs ...any) {
	t.Helper()
	if err := s.AddAll(objs...); err != nil {
		t.Fatal(err)
	}
}

// update changes the row of T with key pk through a session.
func update[T any](t *testing.T, ctx context.Context, db *orm.DB, pk any, fn func(*T)) {
	t.Helper()
	s := orm.NewSession(db)
	defer s.Close()
	v, err := orm.Get[T](ctx, s, pk)
	if err != nil {
		t.Fatal(err)
	}
	fn(v)
	if err := s.MarkDirty(v); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// eachDB runs fn on every database with a fresh schema.
func eachDB(t *testing.T, fn func(t *testing.T, db *orm.DB)) {
	t.Helper()
	testkit.EachDialect(t, fn)
}
