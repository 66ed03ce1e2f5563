package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// What users rely on from the pure-Go driver through the ORM, in every
// build (these tests need no cgo): busy databases, Unicode ILike, time
// storage, in-memory databases.

type bhItem struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	Note *string
	At   time.Time
}

func (bhItem) TableName() string { return "bh_item" }

func bhCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// bhOpen opens dsn through "sqlite" with the model's table.
func bhOpen(t *testing.T, dsn string) *orm.DB {
	t.Helper()
	db, err := orm.Open("sqlite", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.CreateAll(bhCtx(t), &bhItem{}); err != nil {
		t.Fatal(err)
	}
	return db
}

// bhAdd commits one new item through a session of its own.
func bhAdd(ctx context.Context, db *orm.DB, name string) error {
	s := orm.NewSession(db)
	defer s.Close()
	if err := s.Add(&bhItem{Name: name, At: time.Now()}); err != nil {
		return err
	}
	return s.Commit(ctx)
}

// TestBusyIsLockTimeout: a write that waits for another connection's
// write transaction longer than the busy timeout fails with ErrLockTimeout
// (retryable) after waiting for it, writes nothing, and goes through once
// the lock is released.
func TestBusyIsLockTimeout(t *testing.T) {
	ctx := bhCtx(t)
	path := "file:" + filepath.ToSlash(filepath.Join(t.TempDir(), "busy.db"))
	holder := bhOpen(t, path)
	writer := bhOpen(t, path+"?_busy_timeout=100")
	lock, err := holder.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = bhAdd(ctx, writer, "blocked")
	waited := time.Since(start)
	if !errors.Is(err, orm.ErrLockTimeout) || !orm.IsRetryable(err) {
		t.Fatalf("write under a held lock: %v, want a retryable ErrLockTimeout", err)
	}
	if waited < 80*time.Millisecond || waited > 4*time.Second {
		t.Errorf("failed after %v, want about the busy timeout of 100ms", waited)
	}
	if _, err := lock.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := bhAdd(ctx, writer, "after"); err != nil {
		t.Fatalf("write after the lock was released: %v", err)
	}
	names, err := orm.Select[bhItem](holder).OrderBy("id").All(ctx)
	if err != nil || len(names) != 1 || names[0].Name != "after" {
		t.Fatalf("rows after the retry: %+v, %v; want only %q", names, err, "after")
	}
}

// TestILikeUnicode: ILike folds all of Unicode through sqlm_lower on the
// pure-Go driver; NULL stays NULL and numbers are left alone.
func TestILikeUnicode(t *testing.T) {
	ctx := bhCtx(t)
	db := bhOpen(t, ":memory:")
	note := "ÉTÉ"
	s := orm.NewSession(db)
	defer s.Close()
	for _, it := range []*bhItem{{Name: "alpha"}, {Name: "École", Note: &note}, {Name: "ÉCOLE normale"}, {Name: "ecole"}, {Name: "ΑΘΉΝΑ"}} {
		if err := s.Add(it); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	ids := func(pattern, col string) []int64 {
		t.Helper()
		rows, err := orm.Select[bhItem](db).Filter(orm.Col(col).ILike(pattern)).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatalf("ILike(%q): %v", pattern, err)
		}
		var out []int64
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	for _, c := range []struct {
		col, pattern string
		want         []int64
	}{
		{"name", "éCOLE%", []int64{2, 3}},
		{"name", "ALPHA", []int64{1}},
		{"name", "αθήνα", []int64{5}},
		{"name", "ecole", []int64{4}}, // accents still count: é is not e
		{"note", "été", []int64{2}},   // NULL notes match nothing and fail nothing
	} {
		if got := ids(c.pattern, c.col); !slices.Equal(got, c.want) {
			t.Errorf("%s ILike %q = %v, want %v", c.col, c.pattern, got, c.want)
		}
	}
	var isNull bool
	var num, text string
	err := db.SQL().QueryRowContext(ctx, `SELECT sqlm_lower(NULL) IS NULL, sqlm_lower(42), sqlm_lower('ÀÉÎ')`).Scan(&isNull, &num, &text)
	if err != nil || !isNull || num != "42" || text != "àéî" {
		t.Errorf("sqlm_lower(NULL, 42, 'ÀÉÎ') = %v, %q, %q, %v", isNull, num, text, err)
	}
}

// TestTimesStoredAsMattnDoes: times are stored in SQLite's text format
// with a zone offset, in UTC, and read back in UTC, whatever zone they
// were given in.
func TestTimesStoredAsMattnDoes(t *testing.T) {
	ctx := bhCtx(t)
	db := bhOpen(t, ":memory:")
	at := time.Date(2026, 3, 1, 12, 34, 56, 789000000, time.FixedZone("JST", 9*3600))
	s := orm.NewSession(db)
	defer s.Close()
	if err := s.Add(&bhItem{Name: "t", At: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var text, typ string
	if err := db.SQL().QueryRowContext(ctx, `SELECT CAST(at AS TEXT), typeof(at) FROM bh_item`).Scan(&text, &typ); err != nil {
		t.Fatal(err)
	}
	if want := "2026-03-01 03:34:56.789+00:00"; text != want || typ != "text" {
		t.Errorf("stored %s %q, want text %q", typ, text, want)
	}
	got, err := orm.Get[bhItem](ctx, s, int64(1))
	if err != nil {
		t.Fatal(err)
	}
	if !got.At.Equal(at) || got.At.Location() != time.UTC {
		t.Errorf("read back %v (%v), want %v in UTC", got.At, got.At.Location(), at)
	}
}

// TestMemoryDatabases: a private :memory: database gets a pool of one
// connection (each connection would see a database of its own); a named
// shared-cache one gets a real pool whose connections share the data, and
// another name is another database.
func TestMemoryDatabases(t *testing.T) {
	ctx := bhCtx(t)
	priv := bhOpen(t, ":memory:")
	if n := priv.SQL().Stats().MaxOpenConnections; n != 1 {
		t.Errorf(":memory: pool allows %d connections, want 1", n)
	}
	if err := bhAdd(ctx, priv, "kept"); err != nil {
		t.Fatal(err)
	}
	if n, err := orm.Select[bhItem](priv).Count(ctx); err != nil || n != 1 {
		t.Errorf(":memory: count %d, %v; want 1", n, err)
	}
	name := fmt.Sprintf("file:bh_%d?mode=memory&cache=shared", time.Now().UnixNano())
	shared := bhOpen(t, name)
	if n := shared.SQL().Stats().MaxOpenConnections; n == 1 {
		t.Error("a shared-cache in-memory database is limited to one connection")
	}
	c1, err := shared.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := shared.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c1.ExecContext(ctx, `INSERT INTO bh_item (name, at) VALUES ('one', '2026-01-01 00:00:00+00:00')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c2.QueryRowContext(ctx, `SELECT COUNT(*) FROM bh_item`).Scan(&n); err != nil || n != 1 {
		t.Errorf("second connection of the shared database sees %d rows, %v; want 1", n, err)
	}
	other := bhOpen(t, fmt.Sprintf("file:bh_other_%d?mode=memory&cache=shared", time.Now().UnixNano()))
	if n, err := orm.Select[bhItem](other).Count(ctx); err != nil || n != 0 {
		t.Errorf("another shared name sees %d rows, %v; want an empty database", n, err)
	}
}
