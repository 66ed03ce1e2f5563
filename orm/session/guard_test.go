package session

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
	"unsafe"

	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite"
)

type guardItem struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func (guardItem) TableName() string { return "guard_item" }

// guardSession returns a session on an in-memory SQLite database that
// tracks one persistent guardItem.
func guardSession(tb testing.TB) (*Session, *guardItem) {
	tb.Helper()
	x, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	db, err := OpenDB(x, "sqlite")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	if err := db.Register(&guardItem{}); err != nil {
		tb.Fatal(err)
	}
	s := NewSession(db)
	obj := &guardItem{ID: 1, Name: "a"}
	if _, err := MergeWithoutLoad(context.Background(), s, obj); err != nil {
		tb.Fatal(err)
	}
	return s, obj
}

// The guard word goes back to zero after every kind of entry, and a taken
// guard refuses an entry unless a callback runs.
func TestGuardWord(t *testing.T) {
	s, obj := guardSession(t)
	if !s.Contains(obj) {
		t.Fatal("Contains: the merged object is not tracked")
	}
	if st, ok := s.ObjectState(obj); !ok || st != StatePersistent {
		t.Fatalf("ObjectState = %v, %v", st, ok)
	}
	if g := s.guard.Load(); g != 0 {
		t.Fatalf("guard = %#x after calls, want 0", g)
	}
	if err := s.enter("outer"); err != nil {
		t.Fatal(err)
	}
	err := s.Add(&guardItem{Name: "b"})
	if !errors.Is(err, ErrConcurrentUse) {
		t.Fatalf("Add while the guard is taken: %v, want ErrConcurrentUse", err)
	}
	if s.pendingNewUnguarded() != 0 {
		t.Fatal("the refused Add tracked its object")
	}
	func() {
		defer func() {
			r := recover()
			if err, _ := r.(error); !errors.Is(err, ErrConcurrentUse) {
				t.Fatalf("Contains while the guard is taken: recovered %v, want a panic with ErrConcurrentUse", r)
			}
		}()
		s.Contains(obj)
	}()
	// Inside a callback, nested calls enter (and leave) freely.
	s.runCallback(func() {
		if err := s.Add(&guardItem{Name: "c"}); err != nil {
			t.Fatalf("Add from a callback: %v", err)
		}
		if !s.Contains(obj) {
			t.Fatal("Contains from a callback")
		}
	})
	s.exit()
	if g := s.guard.Load(); g != 0 {
		t.Fatalf("guard = %#x after the callback, want 0", g)
	}
	if n := s.PendingNewCount(); n != 1 {
		t.Fatalf("PendingNewCount = %d, want 1 (the object added from the callback)", n)
	}
}

// pendingNewUnguarded counts StateNew objects without the guard, for
// checks made while the test holds it.
func (s *Session) pendingNewUnguarded() int {
	return s.count(func(e *entry, _ unsafe.Pointer) bool { return e.state == StateNew })
}

// getUnguarded is Get as it was before the guard.
func getUnguarded[T any](ctx context.Context, s *Session, pk any) (*T, error) {
	if p := s.hit(reflect.TypeFor[T](), pk); p != nil {
		return (*T)(p), nil
	}
	return getWithOptions[T](ctx, s, GetOptions{}, []any{pk})
}

// BenchmarkSessionGuard measures what the guard adds to the cheapest
// session calls: Contains, ObjectState and a Get that hits the identity
// map, each against the same code without the guard (the method's body as
// it was before the guard). The machine it runs on is shared and busy, so
// each iteration times a batch of guarded calls and a batch of unguarded
// ones back to back, and the figures reported are the fastest batch of
// each, per call: ns/op for the guarded call, unguarded-ns/op, and their
// difference guard-ns/op. The "guard-only" case times enter and exit
// alone.
//
//	go test -run '^$' -bench BenchmarkSessionGuard -benchtime 2000x ./orm/session
func BenchmarkSessionGuard(b *testing.B) {
	s, obj := guardSession(b)
	ctx := context.Background()
	cases := []struct {
		name      string
		guarded   func()
		unguarded func()
	}{
		{"Contains", func() {
			if !s.Contains(obj) {
				b.Fatal("not tracked")
			}
		}, func() {
			_, p, err := s.resolve(obj)
			if err != nil || s.im.lookupPtr(p) == nil {
				b.Fatal("not tracked")
			}
		}},
		{"ObjectState", func() {
			if _, ok := s.ObjectState(obj); !ok {
				b.Fatal("not tracked")
			}
		}, func() {
			_, p, err := s.resolve(obj)
			if err != nil {
				b.Fatal(err)
			}
			e := s.im.lookupPtr(p)
			if e == nil {
				b.Fatal("not tracked")
			}
			_ = e.publicState()
		}},
		{"GetHit", func() {
			if o, err := Get[guardItem](ctx, s, int64(1)); err != nil || o != obj {
				b.Fatal("no hit", err)
			}
		}, func() {
			if o, err := getUnguarded[guardItem](ctx, s, int64(1)); err != nil || o != obj {
				b.Fatal("no hit", err)
			}
		}},
		{"guard-only", func() {
			if err := s.enter("bench"); err != nil {
				b.Fatal(err)
			}
			s.exit()
		}, func() {}},
	}
	const batch = 200
	timeBatch := func(fn func()) time.Duration {
		start := time.Now()
		for range batch {
			fn()
		}
		return time.Since(start)
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			bestG, bestU := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
			for b.Loop() {
				bestG = min(bestG, timeBatch(c.guarded))
				bestU = min(bestU, timeBatch(c.unguarded))
			}
			g := float64(bestG.Nanoseconds()) / batch
			u := float64(bestU.Nanoseconds()) / batch
			b.ReportMetric(g, "ns/op")
			b.ReportMetric(u, "unguarded-ns/op")
			b.ReportMetric(g-u, "guard-ns/op")
		})
	}
}
