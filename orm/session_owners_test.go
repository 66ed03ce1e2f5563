package orm_test

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// An object tracked by one session is refused by another (Add, Delete,
// MarkDirty), until the first lets it go; weak sessions do not take part.
func TestObjectTrackedByAnotherSession(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := bkSetup(t, db)
		seed := bkRows(3, 0)
		if _, err := orm.BulkInsert(ctx, db, seed, orm.BulkReturnKeys()); err != nil {
			t.Fatal(err)
		}
		owner := orm.NewSession(db)
		defer owner.Close()
		held, err := orm.Get[bkRow](ctx, owner, seed[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		fresh := &bkRow{Name: "new one"}
		if err := owner.Add(fresh); err != nil {
			t.Fatal(err)
		}

		s, rec := idSession(t, db)
		for name, call := range map[string]func() error{
			"Add":               func() error { return s.Add(held) },
			"Add of a new one":  func() error { return s.Add(fresh) },
			"Delete":            func() error { return s.Delete(held) },
			"MarkDirty":         func() error { return s.MarkDirty(held) },
			"AddAll (cascaded)": func() error { return s.AddAll(&bkRow{Name: "x"}, held) },
		} {
			if err := call(); !errors.Is(err, orm.ErrTrackedElsewhere) {
				t.Fatalf("%s: %v, want ErrTrackedElsewhere", name, err)
			}
		}
		if n := s.PendingNewCount() + s.PendingDeleteCount(); n != 0 || rec.Count() != 0 {
			t.Fatalf("refused calls left %d pending objects and sent %d statements", n, rec.Count())
		}
		// Merge is how a copy moves between sessions.
		if m, err := orm.Merge(ctx, s, held, false); err != nil || m == held {
			t.Fatalf("Merge: %v (same pointer %v)", err, m == held)
		}

		// Once the owner lets go, the object is free.
		if err := owner.Expunge(held); err != nil {
			t.Fatal(err)
		}
		other := orm.NewSession(db)
		defer other.Close()
		if err := other.MarkDirty(held); err != nil {
			t.Fatalf("after Expunge: %v", err)
		}
		if err := owner.Close(); err != nil {
			t.Fatal(err)
		}
		if err := other.Add(fresh); err != nil {
			t.Fatalf("after the owner closed: %v", err)
		}

		// A session dropped without Close stops owning its objects once it
		// is collected.
		var orphan *bkRow
		func() {
			lost := orm.NewSession(db)
			orphan, err = orm.Get[bkRow](ctx, lost, seed[1].ID)
		}()
		if err != nil {
			t.Fatal(err)
		}
		free := false
		for i := 0; i < 50 && !free; i++ {
			runtime.GC()
			s2 := orm.NewSession(db)
			free = s2.MarkDirty(orphan) == nil
			s2.Close()
			if !free {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if !free {
			t.Fatal("an object of a collected session is still refused")
		}

		// Weak identity maps keep no claims.
		cfg := orm.DefaultSessionConfig()
		cfg.WeakIdentityMap = true
		weak := orm.NewSessionWithConfig(db, cfg)
		defer weak.Close()
		w, err := orm.Get[bkRow](ctx, weak, seed[2].ID)
		if err != nil {
			t.Fatal(err)
		}
		s3 := orm.NewSession(db)
		defer s3.Close()
		if err := s3.MarkDirty(w); err != nil {
			t.Fatalf("object of a weak session: %v", err)
		}
	})
}
