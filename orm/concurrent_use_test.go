package orm_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// One goroutine per session, enforced (issue 14 point 7): a call on a
// session that overlaps a call on it from another goroutine is refused
// with ErrConcurrentUse and changes nothing, while calls made by the
// session's own callbacks (events, model hooks, RunInTx's function, the
// body of an Iter loop) go through. The overlap is made deterministic with
// a query hook that holds a statement until the test releases it. Every
// name of this file starts with "cu", every table with "cu_".

type cuItem struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"unique,size=80"`
}

func (cuItem) TableName() string { return "cu_item" }

// cuParent, cuKid and cuTag give the relation loaders and relate
// functions something to be refused with; their tables are never created,
// as a refused call sends no SQL.
type cuParent struct {
	ID   int64                  `sqlmodel:"pk"`
	Kids orm.RelatedMany[cuKid] `sqlmodel:"back_populates=Parent"`
	Tags orm.RelatedMany[cuTag] `sqlmodel:"link=cu_parent_tag"`
}

func (cuParent) TableName() string { return "cu_parent" }

type cuKid struct {
	ID       int64              `sqlmodel:"pk"`
	ParentID *int64             `sqlmodel:"fk=cu_parent.id"`
	Parent   orm.Lazy[cuParent] `sqlmodel:"fk=ParentID,back_populates=Kids"`
}

func (cuKid) TableName() string { return "cu_kid" }

type cuTag struct {
	ID int64 `sqlmodel:"pk"`
}

func (cuTag) TableName() string { return "cu_tag" }

func cuParentOf(k *cuKid) *orm.Lazy[cuParent]      { return &k.Parent }
func cuKidsOf(p *cuParent) *orm.RelatedMany[cuKid] { return &p.Kids }
func cuTagsOf(p *cuParent) *orm.RelatedMany[cuTag] { return &p.Tags }

// cuHooked's hooks use the session that the test puts in the context.
type cuHooked struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=80"`
	Note string `sqlmodel:"size=80"`
}

func (cuHooked) TableName() string { return "cu_hooked" }

type cuEnvKey struct{}

// cuEnv is what cuHooked's hooks find in their context.
type cuEnv struct {
	s      *orm.Session
	loaded []string
}

func cuEnvOf(ctx context.Context) *cuEnv {
	env, _ := ctx.Value(cuEnvKey{}).(*cuEnv)
	return env
}

// BeforeInsert records in Note how many objects the session tracks: a
// call on the session from a model hook.
func (h *cuHooked) BeforeInsert(ctx context.Context) error {
	env := cuEnvOf(ctx)
	if env == nil {
		return nil
	}
	if st, ok := env.s.ObjectState(h); !ok || st != orm.StateNew {
		return fmt.Errorf("BeforeInsert of %s: state %v, tracked %v", h.Name, st, ok)
	}
	h.Note = fmt.Sprintf("tracked=%d", env.s.TrackedCount())
	return nil
}

// AfterLoad checks that the loaded object is tracked, and notes its name.
func (h *cuHooked) AfterLoad(ctx context.Context) error {
	env := cuEnvOf(ctx)
	if env == nil {
		return nil
	}
	if !env.s.Contains(h) {
		return fmt.Errorf("AfterLoad of %s: not tracked", h.Name)
	}
	env.loaded = append(env.loaded, h.Name)
	return nil
}

// cuBlocker is a query hook that, once armed, holds the next statement
// (whatever it is) in BeforeQuery: it reports on entered and waits until
// release is closed.
type cuBlocker struct {
	armed   atomic.Bool
	entered chan string
	release chan struct{}
	once    sync.Once
}

func newCuBlocker() *cuBlocker {
	return &cuBlocker{entered: make(chan string, 1), release: make(chan struct{})}
}

// open releases the held statement (once).
func (b *cuBlocker) open() { b.once.Do(func() { close(b.release) }) }

// wait returns the statement the hook holds once a call reaches it, or
// fails the test when the call that should reach it ends first.
func (b *cuBlocker) wait(t *testing.T, what string, done <-chan error) string {
	t.Helper()
	select {
	case held := <-b.entered:
		return held
	case err := <-done:
		t.Fatalf("%s ended before sending a statement: %v", what, err)
	}
	return ""
}

func (b *cuBlocker) BeforeQuery(ctx context.Context, e *orm.QueryEvent) context.Context {
	if b.armed.CompareAndSwap(true, false) {
		b.entered <- e.Op + ": " + e.Query
		<-b.release
	}
	return ctx
}

func (b *cuBlocker) AfterQuery(context.Context, *orm.QueryEvent) {}

// ---- helpers ----

func cuCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func cuOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// cuSession opens a session on db, closed at the end of the test.
// cuNoAutoFlush is the default configuration without AutoFlush: the tests
// that count the statements a call sends, or the objects still pending,
// add objects that a read would otherwise flush first.
func cuNoAutoFlush() orm.SessionConfig {
	cfg := orm.DefaultSessionConfig()
	cfg.AutoFlush = false
	return cfg
}

func cuSession(t *testing.T, db *orm.DB, cfg orm.SessionConfig) *orm.Session {
	t.Helper()
	s := orm.NewSessionWithConfig(db, cfg)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("session Close: %v", err)
		}
	})
	return s
}

// cuNames returns the names in cu_item, sorted, read past any session.
func cuNames(t *testing.T, db *orm.DB) []string {
	t.Helper()
	rows, err := db.SQL().QueryContext(cuCtx(t), "SELECT name FROM cu_item")
	cuOK(t, err, "select names")
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		cuOK(t, rows.Scan(&n), "scan name")
		out = append(out, n)
	}
	cuOK(t, rows.Err(), "rows")
	slices.Sort(out)
	return out
}

func cuEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// cuRefused asserts an error matching ErrConcurrentUse that names the
// call.
func cuRefused(t *testing.T, name string, err error) {
	t.Helper()
	if !errors.Is(err, orm.ErrConcurrentUse) {
		t.Fatalf("%s during another goroutine's call: %v, want ErrConcurrentUse", name, err)
	}
	if !strings.Contains(err.Error(), name) {
		t.Fatalf("%s: the error does not name the call: %v", name, err)
	}
}

// cuPanics asserts that fn panics with an error matching ErrConcurrentUse
// that names the call.
func cuPanics(t *testing.T, name string, fn func()) {
	t.Helper()
	var r any
	func() {
		defer func() { r = recover() }()
		fn()
	}()
	err, _ := r.(error)
	if err == nil {
		t.Fatalf("%s during another goroutine's call: no panic with an error (recovered %v), want ErrConcurrentUse", name, r)
	}
	cuRefused(t, name, err)
}

// ---- overlapping calls are refused ----

// While one goroutine is inside a call on the session (held in its first
// statement by the hook), every call of another goroutine is refused:
// calls with an error result return ErrConcurrentUse, the others panic
// with it, and none changes anything. Once the first call has returned,
// the session is as that call alone left it and works on.
func TestConcurrentUseRefused(t *testing.T) {
	holders := []struct {
		name string
		run  func(ctx context.Context, s *orm.Session, seed *cuItem) error
	}{
		{"Commit", func(ctx context.Context, s *orm.Session, _ *cuItem) error { return s.Commit(ctx) }},
		{"Flush", func(ctx context.Context, s *orm.Session, _ *cuItem) error { return s.Flush(ctx) }},
		{"Query.All", func(ctx context.Context, s *orm.Session, _ *cuItem) error {
			got, err := orm.Select[cuItem](s).OrderBy("id").All(ctx)
			if err == nil && len(got) != 1 {
				err = fmt.Errorf("All returned %d rows, want the seed alone", len(got))
			}
			return err
		}},
		{"Get", func(ctx context.Context, s *orm.Session, seed *cuItem) error {
			got, err := orm.Get[cuItem](ctx, s, seed.ID)
			if err == nil && got.Name != "seed" {
				err = fmt.Errorf("Get returned %q", got.Name)
			}
			return err
		}},
		{"Exec", func(ctx context.Context, s *orm.Session, seed *cuItem) error {
			_, err := orm.Exec(ctx, s, "UPDATE cu_item SET name = ? WHERE id = ?", "seed", seed.ID)
			return err
		}},
	}
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := cuCtx(t)
		cuOK(t, db.CreateAll(ctx, &cuItem{}), "CreateAll")
		for _, h := range holders {
			t.Run(h.name, func(t *testing.T) {
				_, err := orm.Exec(ctx, db, "DELETE FROM cu_item")
				cuOK(t, err, "empty cu_item")
				seed := &cuItem{Name: "seed"}
				setup := orm.NewSession(db)
				cuOK(t, setup.Add(seed), "Add seed")
				cuOK(t, setup.Commit(ctx), "Commit seed")
				cuOK(t, setup.Close(), "Close setup session")

				blocker := newCuBlocker()
				defer blocker.open()
				s := cuSession(t, db.WithQueryHook(blocker), cuNoAutoFlush())
				pending := []*cuItem{{Name: "a1"}, {Name: "a2"}, {Name: "a3"}}
				for _, o := range pending {
					cuOK(t, s.Add(o), "Add "+o.Name)
				}

				blocker.armed.Store(true)
				done := make(chan error, 1)
				go func() { done <- h.run(ctx, s, seed) }()
				held := blocker.wait(t, h.name, done)
				t.Logf("%s holds the session in %s", h.name, held)

				// This goroutine now overlaps the holder's call.
				b := &cuItem{Name: "b"}
				a1 := pending[0]
				par, kid, tag := &cuParent{ID: 1}, &cuKid{ID: 1}, &cuTag{ID: 1}
				refused := []struct {
					name string
					call func() error
				}{
					{"Add", func() error { return s.Add(b) }},
					{"AddAll", func() error { return s.AddAll(b) }},
					{"Delete", func() error { return s.Delete(a1) }},
					{"MarkDirty", func() error { return s.MarkDirty(a1) }},
					{"Expunge", func() error { return s.Expunge(a1) }},
					{"Flush", func() error { return s.Flush(ctx) }},
					{"Commit", func() error { return s.Commit(ctx) }},
					{"Rollback", func() error { return s.Rollback(ctx) }},
					{"Begin", func() error { return s.Begin(ctx) }},
					{"BeginTx", func() error { return s.BeginTx(ctx, nil) }},
					{"BeginNested", func() error { _, err := s.BeginNested(ctx); return err }},
					{"Close", func() error { return s.Close() }},
					{"Get", func() error { _, err := orm.Get[cuItem](ctx, s, seed.ID); return err }},
					{"GetByPK", func() error { _, err := orm.GetByPK[cuItem](ctx, s, seed.ID); return err }},
					{"GetWithOptions", func() error {
						_, err := orm.GetWithOptions[cuItem](ctx, s, orm.GetOptions{}, seed.ID)
						return err
					}},
					{"Refresh", func() error { return orm.Refresh(ctx, s, seed) }},
					{"Merge", func() error { _, err := orm.Merge(ctx, s, &cuItem{ID: seed.ID, Name: "merged"}, true); return err }},
					{"MergeWithoutLoad", func() error {
						_, err := orm.MergeWithoutLoad(ctx, s, &cuItem{ID: seed.ID, Name: "merged"})
						return err
					}},
					{"Query.All", func() error { _, err := orm.Select[cuItem](s).All(ctx); return err }},
					{"Query.First", func() error { _, err := orm.Select[cuItem](s).First(ctx); return err }},
					{"Query.One", func() error { _, err := orm.Select[cuItem](s).One(ctx); return err }},
					{"Query.OneOrNone", func() error { _, err := orm.Select[cuItem](s).OneOrNone(ctx); return err }},
					{"Query.Count", func() error { _, err := orm.Select[cuItem](s).Count(ctx); return err }},
					{"Query.Exists", func() error { _, err := orm.Select[cuItem](s).Exists(ctx); return err }},
					{"Query.Update", func() error {
						_, err := orm.Select[cuItem](s).Update(ctx, map[string]any{"name": "updated"})
						return err
					}},
					{"Query.Delete", func() error { _, err := orm.Select[cuItem](s).Delete(ctx); return err }},
					{"Query.Iter", func() error {
						var last error
						n := 0
						for _, err := range orm.Select[cuItem](s).Iter(ctx) {
							n++
							last = err
						}
						if n != 1 {
							return fmt.Errorf("Iter yielded %d elements, want the error alone", n)
						}
						return last
					}},
					{"Scalars", func() error { _, err := orm.Scalars[string](ctx, orm.Select[cuItem](s), "name"); return err }},
					{"RawWithOptions", func() error {
						_, err := orm.RawWithOptions[cuItem](ctx, s, nil, "SELECT id, name FROM cu_item")
						return err
					}},
					{"Raw", func() error { _, err := orm.Raw[cuItem](ctx, s, "SELECT id, name FROM cu_item"); return err }},
					{"Exec", func() error { _, err := orm.Exec(ctx, s, "DELETE FROM cu_item"); return err }},
					{"BulkInsert", func() error {
						_, err := orm.BulkInsert(ctx, s, []*cuItem{{Name: "bulk"}})
						return err
					}},
					{"BulkUpdate", func() error {
						_, err := orm.BulkUpdate(ctx, s, []*cuItem{{ID: seed.ID, Name: "bulk"}})
						return err
					}},
					{"LoadLazy", func() error { _, err := orm.LoadLazy(ctx, s, &kid.Parent); return err }},
					{"LoadMany", func() error { _, err := orm.LoadMany(ctx, s, []*cuKid{kid}, cuParentOf); return err }},
					{"LoadOneToMany", func() error { _, err := orm.LoadOneToMany(ctx, s, []*cuParent{par}, cuKidsOf); return err }},
					{"LoadManyToMany", func() error { _, err := orm.LoadManyToMany(ctx, s, []*cuParent{par}, cuTagsOf); return err }},
					{"Preload", func() error { return orm.Preload(ctx, s, []*cuParent{par}, "Kids") }},
					{"RelateToOne", func() error { return orm.RelateToOne(s, kid, cuParentOf, par) }},
					{"UnrelateFromOne", func() error { return orm.UnrelateFromOne(s, kid, cuParentOf) }},
					{"RelateManyToMany", func() error { return orm.RelateManyToMany(s, par, cuTagsOf, tag) }},
					{"UnrelateManyToMany", func() error { return orm.UnrelateManyToMany(s, par, cuTagsOf, tag) }},
					{"FlushRelatedMany", func() error { return orm.FlushRelatedMany(ctx, s, par, cuTagsOf) }},
				}
				for _, r := range refused {
					cuRefused(t, r.name, r.call())
				}
				panicking := []struct {
					name string
					call func()
				}{
					{"Contains", func() { s.Contains(a1) }},
					{"ObjectState", func() { s.ObjectState(a1) }},
					{"IsModified", func() { s.IsModified(a1) }},
					{"ModifiedAttributes", func() { s.ModifiedAttributes(a1) }},
					{"PendingNewCount", func() { s.PendingNewCount() }},
					{"PendingDirtyCount", func() { s.PendingDirtyCount() }},
					{"PendingDeleteCount", func() { s.PendingDeleteCount() }},
					{"TrackedCount", func() { s.TrackedCount() }},
					{"InTransaction", func() { s.InTransaction() }},
					{"Expire", func() { s.Expire(a1) }},
					{"ExpireAll", func() { s.ExpireAll() }},
					{"ExpungeAll", func() { s.ExpungeAll() }},
					{"NoAutoFlush", func() { s.NoAutoFlush(func() { t.Error("NoAutoFlush ran its function") }) }},
					{"OnBeforeFlush", func() {
						s.OnBeforeFlush(func(context.Context) error { return errors.New("registered while refused") })
					}},
					{"IsExpired", func() { s.IsExpired(a1) }},
					{"ExpiredAttributes", func() { s.ExpiredAttributes(a1) }},
					{"DebugState", func() { _ = s.DebugState() }},
					{"TrackN1", func() { s.TrackN1(func() { t.Error("TrackN1 ran its function") }) }},
					{"N1Stats", func() { s.N1Stats() }},
					{"DisableN1Detection", func() { s.DisableN1Detection() }},
				}
				for _, p := range panicking {
					cuPanics(t, p.name, p.call)
				}

				blocker.open()
				cuOK(t, <-done, h.name+" (the holder)")

				// Nothing the refused calls asked for happened.
				if s.Contains(b) || b.ID != 0 {
					t.Fatalf("the refused Add tracked b (id %d)", b.ID)
				}
				if kid.Parent.IsLoaded() || kid.ParentID != nil || par.Tags.HasPendingOps() || !s.N1DetectionEnabled() {
					t.Fatal("a refused relate call or N+1 setting changed something")
				}
				if n := s.TrackedCount(); n < len(pending) {
					t.Fatalf("TrackedCount = %d, want at least the %d objects added before", n, len(pending))
				}
				for _, o := range pending {
					if st, ok := s.ObjectState(o); !ok || (st != orm.StateNew && st != orm.StatePersistent && st != orm.StateExpired) {
						t.Fatalf("%s: state %v, tracked %v", o.Name, st, ok)
					}
				}
				// The session works on, and the database holds exactly what
				// this goroutine's own calls wrote.
				cuOK(t, s.Add(&cuItem{Name: "late"}), "Add after the overlap")
				cuOK(t, s.Commit(ctx), "Commit after the overlap")
				cuEqual(t, "rows", cuNames(t, db), []string{"a1", "a2", "a3", "late", "seed"})
				for _, o := range pending {
					if o.ID == 0 {
						t.Fatalf("%s has no key after the Commit", o.Name)
					}
				}
			})
		}
	})
}

// A savepoint's Commit and Rollback are calls on its session: refused while
// another goroutine is inside a call on it.
func TestConcurrentUseSavepoint(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := cuCtx(t)
		cuOK(t, db.CreateAll(ctx, &cuItem{}), "CreateAll")
		blocker := newCuBlocker()
		defer blocker.open()
		s := cuSession(t, db.WithQueryHook(blocker), cuNoAutoFlush())
		cuOK(t, s.Add(&cuItem{Name: "outer"}), "Add outer")
		sp, err := s.BeginNested(ctx)
		cuOK(t, err, "BeginNested")
		cuOK(t, s.Add(&cuItem{Name: "inner"}), "Add inner")
		blocker.armed.Store(true)
		done := make(chan error, 1)
		go func() { done <- s.Flush(ctx) }()
		blocker.wait(t, "Flush", done)
		cuRefused(t, "Savepoint.Commit", sp.Commit(ctx))
		cuRefused(t, "Savepoint.Rollback", sp.Rollback(ctx))
		blocker.open()
		cuOK(t, <-done, "Flush")
		// The refused Rollback did not end the savepoint: it commits now.
		cuOK(t, sp.Commit(ctx), "Savepoint.Commit")
		cuOK(t, s.Commit(ctx), "Commit")
		cuEqual(t, "rows", cuNames(t, db), []string{"inner", "outer"})
	})
}

// Query.Iter gives the guard back while the loop body runs: the body may
// use the session, and so may another goroutine meanwhile; but if another
// goroutine is inside a call when the loop wants its next row, the
// iteration ends with ErrConcurrentUse.
func TestConcurrentUseIterBetweenRows(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := cuCtx(t)
		cuOK(t, db.CreateAll(ctx, &cuItem{}), "CreateAll")
		setup := orm.NewSession(db)
		for _, n := range []string{"r1", "r2", "r3"} {
			cuOK(t, setup.Add(&cuItem{Name: n}), "Add "+n)
		}
		cuOK(t, setup.Commit(ctx), "Commit rows")
		cuOK(t, setup.Close(), "Close setup session")

		blocker := newCuBlocker()
		defer blocker.open()
		s := cuSession(t, db.WithQueryHook(blocker), cuNoAutoFlush())
		cuOK(t, s.Add(&cuItem{Name: "pending"}), "Add pending")

		inBody, resume := make(chan struct{}), make(chan struct{})
		letGo := sync.OnceFunc(func() { close(resume) })
		defer letGo()
		type result struct {
			names []string
			err   error
		}
		iterDone := make(chan result, 1)
		go func() {
			var r result
			for it, err := range orm.Select[cuItem](s).OrderBy("id").Iter(ctx) {
				if err != nil {
					r.err = err
					break
				}
				r.names = append(r.names, it.Name)
				if len(r.names) == 1 {
					inBody <- struct{}{}
					<-resume
				}
			}
			iterDone <- r
		}()
		<-inBody
		// The iteration is in its loop body: the session is free, and a
		// Flush from this goroutine takes it (held in its first statement).
		blocker.armed.Store(true)
		flushDone := make(chan error, 1)
		go func() { flushDone <- s.Flush(ctx) }()
		blocker.wait(t, "Flush", flushDone)
		letGo()
		r := <-iterDone
		cuEqual(t, "rows read before the overlap", r.names, []string{"r1"})
		cuRefused(t, "Query.Iter", r.err)
		blocker.open()
		cuOK(t, <-flushDone, "Flush")
		cuOK(t, s.Commit(ctx), "Commit")
		cuEqual(t, "rows", cuNames(t, db), []string{"pending", "r1", "r2", "r3"})
	})
}

// Two goroutines adding and flushing on one session (the misuse that used
// to write 405 rows for 400, or fail with unique violations): every call
// either runs alone or is refused, so that with retries on
// ErrConcurrentUse the database ends with exactly one row per object.
func TestConcurrentUseTwoWriters(t *testing.T) {
	const perWriter, every = 60, 10
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := cuCtx(t)
		cuOK(t, db.CreateAll(ctx, &cuItem{}), "CreateAll")
		// Without AutoBegin every flush commits its own transaction.
		s := cuSession(t, db, orm.SessionConfig{ExpireOnCommit: true})
		var refusals atomic.Int64
		retry := func(call func() error) error {
			for {
				err := call()
				if !errors.Is(err, orm.ErrConcurrentUse) {
					return err
				}
				refusals.Add(1)
				runtime.Gosched()
			}
		}
		objs := make([][]*cuItem, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					o := &cuItem{Name: fmt.Sprintf("w%d-%03d", w, i)}
					if err := retry(func() error { return s.Add(o) }); err != nil {
						errs[w] = fmt.Errorf("Add %s: %w", o.Name, err)
						return
					}
					objs[w] = append(objs[w], o)
					if (i+1)%every == 0 {
						if err := retry(func() error { return s.Flush(ctx) }); err != nil {
							errs[w] = fmt.Errorf("Flush after %s: %w", o.Name, err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			cuOK(t, err, "writer")
		}
		cuOK(t, s.Flush(ctx), "final Flush")
		t.Logf("%d call(s) refused with ErrConcurrentUse", refusals.Load())
		var want []string
		ids := map[int64]bool{}
		for _, list := range objs {
			for _, o := range list {
				want = append(want, o.Name)
				if st, ok := s.ObjectState(o); !ok || st != orm.StatePersistent || o.ID == 0 || ids[o.ID] {
					t.Fatalf("%s: state %v, tracked %v, id %d (ids must be new and distinct)", o.Name, st, ok, o.ID)
				}
				ids[o.ID] = true
			}
		}
		slices.Sort(want)
		cuEqual(t, "rows", cuNames(t, db), want)
		if n := s.TrackedCount(); n != 2*perWriter {
			t.Fatalf("TrackedCount = %d, want %d", n, 2*perWriter)
		}
	})
}

// ---- calls made by the session's own callbacks go through ----

// Session events may call the session: a before-flush handler adds an
// object that the flush writes; after-flush, before-commit, after-commit
// and after-rollback handlers read and query it.
func TestConcurrentUseEventHandlers(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := cuCtx(t)
		cuOK(t, db.CreateAll(ctx, &cuItem{}), "CreateAll")
		s := cuSession(t, db, orm.DefaultSessionConfig())
		var log []string
		var handlerErr error
		note := func(err error) {
			if err != nil && handlerErr == nil {
				handlerErr = err
			}
		}
		extra := &cuItem{Name: "from-handler"}
		s.OnBeforeFlush(func(ctx context.Context) error {
			if !s.Contains(extra) {
				log = append(log, "before-flush: Add")
				return s.Add(extra)
			}
			return nil
		})
		s.OnAfterFlush(func(ctx context.Context) error {
			log = append(log, fmt.Sprintf("after-flush: pending %d, tracked %d", s.PendingNewCount(), s.TrackedCount()))
			return nil
		})
		s.OnBeforeCommit(func(ctx context.Context) error {
			n, err := orm.Select[cuItem](s).Count(ctx)
			note(err)
			log = append(log, fmt.Sprintf("before-commit: %d rows", n))
			return nil
		})
		s.OnAfterCommit(func(ctx context.Context) error {
			got, err := orm.Get[cuItem](ctx, s, extra.ID)
			note(err)
			if err == nil {
				log = append(log, "after-commit: Get "+got.Name)
			}
			return nil
		})
		s.OnAfterRollback(func(ctx context.Context) error {
			log = append(log, fmt.Sprintf("after-rollback: in tx %v", s.InTransaction()))
			return nil
		})
		a := &cuItem{Name: "a"}
		cuOK(t, s.Add(a), "Add")
		cuOK(t, s.Flush(ctx), "Flush")
		cuOK(t, s.Commit(ctx), "Commit")
		cuOK(t, s.Rollback(ctx), "Rollback without a transaction")
		cuOK(t, handlerErr, "a call from a handler")
		cuEqual(t, "handlers", log, []string{
			"before-flush: Add",
			"after-flush: pending 0, tracked 2",
			"before-commit: 2 rows",
			"after-commit: Get from-handler",
		})
		cuEqual(t, "rows", cuNames(t, db), []string{"a", "from-handler"})
		// A real rollback fires after-rollback, which reads the session.
		cuOK(t, s.Add(&cuItem{Name: "rolled-back"}), "Add")
		cuOK(t, s.Flush(ctx), "Flush in a transaction")
		cuOK(t, s.Rollback(ctx), "Rollback")
		if last := log[len(log)-1]; last != "after-rollback: in tx false" {
			t.Fatalf("last handler call %q, want the after-rollback one", last)
		}
		cuEqual(t, "rows after the rollback", cuNames(t, db), []string{"a", "from-handler"})
	})
}

// Model hooks may call the session: BeforeInsert reads the object's state
// and the tracked count during the flush, AfterLoad checks that the loaded
// object is tracked during Get, a query and Refresh.
func TestConcurrentUseModelHooks(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		cuOK(t, db.CreateAll(cuCtx(t), &cuHooked{}), "CreateAll")
		s := cuSession(t, db, orm.DefaultSessionConfig())
		env := &cuEnv{s: s}
		ctx := context.WithValue(cuCtx(t), cuEnvKey{}, env)
		x, y := &cuHooked{Name: "x"}, &cuHooked{Name: "y"}
		cuOK(t, s.AddAll(x, y), "AddAll")
		cuOK(t, s.Commit(ctx), "Commit")
		if x.Note != "tracked=2" || y.Note != "tracked=2" {
			t.Fatalf("BeforeInsert notes %q, %q; want tracked=2", x.Note, y.Note)
		}
		other := cuSession(t, db, orm.DefaultSessionConfig())
		env2 := &cuEnv{s: other}
		ctx2 := context.WithValue(cuCtx(t), cuEnvKey{}, env2)
		got, err := orm.Get[cuHooked](ctx2, other, x.ID)
		cuOK(t, err, "Get")
		if got.Note != "tracked=2" {
			t.Fatalf("stored note %q", got.Note)
		}
		all, err := orm.Select[cuHooked](other).OrderBy("id").All(ctx2)
		cuOK(t, err, "All")
		if len(all) != 2 || all[0] != got {
			t.Fatalf("All returned %d objects (first is the Get instance: %v)", len(all), len(all) > 0 && all[0] == got)
		}
		cuOK(t, orm.Refresh(ctx2, other, got), "Refresh")
		cuEqual(t, "AfterLoad calls", env2.loaded, []string{"x", "y", "x"})
	})
}

// RunInTx's function uses its session freely; a second goroutine that
// uses the same session while the function is inside a call is still
// refused.
func TestConcurrentUseRunInTx(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := cuCtx(t)
		cuOK(t, db.CreateAll(ctx, &cuItem{}), "CreateAll")
		blocker := newCuBlocker()
		defer blocker.open()
		hooked := db.WithQueryHook(blocker)
		attempts := 0
		var inner error
		err := orm.RunInTx(ctx, hooked, func(s *orm.Session) error {
			attempts++
			a := &cuItem{Name: "a"}
			if err := s.Add(a); err != nil {
				return err
			}
			if err := s.Flush(ctx); err != nil {
				return err
			}
			got, err := orm.Get[cuItem](ctx, s, a.ID)
			if err != nil {
				return err
			}
			if got != a {
				return errors.New("Get did not return the tracked instance")
			}
			// Another goroutine overlaps a Count of this function.
			blocker.armed.Store(true)
			counted := make(chan error, 1)
			go func() {
				n, err := orm.Select[cuItem](s).Count(ctx)
				if err == nil && n != 1 {
					err = fmt.Errorf("Count = %d, want 1", n)
				}
				counted <- err
			}()
			select {
			case <-blocker.entered:
			case err := <-counted:
				return fmt.Errorf("Count ended before sending its statement: %v", err)
			}
			inner = s.Add(&cuItem{Name: "intruder"})
			blocker.open()
			if err := <-counted; err != nil {
				return err
			}
			return s.Add(&cuItem{Name: "b"})
		})
		cuOK(t, err, "RunInTx")
		if attempts != 1 {
			t.Fatalf("the function ran %d times", attempts)
		}
		cuRefused(t, "Add", inner)
		cuEqual(t, "rows", cuNames(t, db), []string{"a", "b"})
	})
}

// Query.Iter holds no guard while the loop body runs: the body may Get
// (from the identity map, or with SQL while the iteration's rows are
// open) and Add.
func TestConcurrentUseIterBody(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := cuCtx(t)
		cuOK(t, db.CreateAll(ctx, &cuItem{}), "CreateAll")
		setup := orm.NewSession(db)
		var rows []*cuItem
		for i := 1; i <= 5; i++ {
			r := &cuItem{Name: fmt.Sprintf("r%d", i)}
			rows = append(rows, r)
			cuOK(t, setup.Add(r), "Add")
		}
		cuOK(t, setup.Commit(ctx), "Commit rows")
		cuOK(t, setup.Close(), "Close setup session")
		// The key of the row after each one, in key order.
		next := map[int64]int64{}
		for i := range len(rows) - 1 {
			next[rows[i].ID] = rows[i+1].ID
		}

		s := cuSession(t, db, cuNoAutoFlush())
		ahead := map[int64]*cuItem{}
		var seen []*cuItem
		for it, err := range orm.Select[cuItem](s).OrderBy("id").Iter(ctx) {
			cuOK(t, err, "Iter")
			seen = append(seen, it)
			same, err := orm.Get[cuItem](ctx, s, it.ID)
			cuOK(t, err, "Get of the current row")
			if same != it {
				t.Fatalf("Get of row %d returned another instance", it.ID)
			}
			// The next row, loaded with SQL before the iteration reaches it.
			if id, ok := next[it.ID]; ok {
				n, err := orm.Get[cuItem](ctx, s, id)
				cuOK(t, err, "Get of the next row")
				ahead[id] = n
			}
			cuOK(t, s.Add(&cuItem{Name: "iter-" + it.Name}), "Add in the loop body")
		}
		if len(seen) != 5 || len(ahead) != 4 {
			t.Fatalf("iterated %d rows, loaded %d ahead; want 5 and 4", len(seen), len(ahead))
		}
		for _, it := range seen[1:] {
			if ahead[it.ID] != it {
				t.Fatalf("row %d: the iteration returned another instance than the Get made ahead of it", it.ID)
			}
		}
		if n := s.PendingNewCount(); n != 5 {
			t.Fatalf("PendingNewCount = %d, want 5", n)
		}
		cuOK(t, s.Commit(ctx), "Commit")
		cuEqual(t, "rows", cuNames(t, db), []string{"iter-r1", "iter-r2", "iter-r3", "iter-r4", "iter-r5", "r1", "r2", "r3", "r4", "r5"})
	})
}

// NoAutoFlush and TrackN1 run their function as a callback: calls on the
// session inside go through, and NoAutoFlush still suspends AutoFlush.
func TestConcurrentUseScopedFunctions(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := cuCtx(t)
		cuOK(t, db.CreateAll(ctx, &cuItem{}), "CreateAll")
		cfg := orm.DefaultSessionConfig()
		cfg.AutoFlush = true
		s := cuSession(t, db, cfg)
		var inside int64 = -1
		var insideErr error
		s.NoAutoFlush(func() {
			insideErr = s.Add(&cuItem{Name: "half-built"})
			if insideErr == nil {
				inside, insideErr = orm.Select[cuItem](s).Count(ctx)
			}
		})
		cuOK(t, insideErr, "calls inside NoAutoFlush")
		if inside != 0 {
			t.Fatalf("Count inside NoAutoFlush = %d, want 0 (no autoflush)", inside)
		}
		n, err := orm.Select[cuItem](s).Count(ctx)
		cuOK(t, err, "Count after NoAutoFlush")
		if n != 1 {
			t.Fatalf("Count after NoAutoFlush = %d, want 1 (autoflushed)", n)
		}
		var tracked int
		stats := s.TrackN1(func() { tracked = s.TrackedCount() })
		if tracked != 1 || stats.TotalLoads != 0 {
			t.Fatalf("inside TrackN1: tracked %d, loads %d", tracked, stats.TotalLoads)
		}
		cuOK(t, s.Commit(ctx), "Commit")
		cuEqual(t, "rows", cuNames(t, db), []string{"half-built"})
	})
}
