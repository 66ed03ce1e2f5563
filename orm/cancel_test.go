package orm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/faultdriver"
	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Cancellation (issue 8, item 2): the fault driver blocks a statement until
// its context is cancelled, and the test cancels it as soon as it blocks.
// A cancelled flush has the guarantees of a failed one (fault_test.go);
// cancelled reads leave the session usable; every time the connection goes
// back to the pool healthy (nothing in use, the next query works) and the
// goroutine count comes back to where it was.

// ftCancelAt arms a Block fault at statement at and returns a context that
// is cancelled as soon as the statement blocks.
func ftCancelAt(t *testing.T, env *ftEnv, at int) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(ftCtx(t))
	t.Cleanup(cancel)
	env.ctl.Reset()
	env.ctl.Arm(faultdriver.Fault{Action: faultdriver.Block, At: at})
	go func() {
		select {
		case <-env.ctl.Blocked():
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx
}

// ftCanceled checks that err is the cancellation of the armed fault.
func ftCanceled(t *testing.T, env *ftEnv, err error, what string) {
	t.Helper()
	if len(env.ctl.Fired()) != 1 {
		env.ctl.Disarm()
		t.Fatalf("%s: the statement to cancel was not reached (err %v):\n%v", what, err, env.ctl.Events())
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%s = %v, want context.Canceled", what, err)
	}
}

// Cancelling at each statement of the reference flush.
func TestCancelEveryStatementOfFlush(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		stmts := ftLearn(t, env)
		for i, st := range stmts {
			t.Run(fmt.Sprintf("cancel/%02d", i+1), func(t *testing.T) {
				ftAttempt(t, env, orm.DefaultSessionConfig(), faultdriver.Fault{Action: faultdriver.Block, At: i + 1}, func(t *testing.T, err error) {
					if !errors.Is(err, context.Canceled) {
						t.Fatalf("Commit = %v, want context.Canceled", err)
					}
					ftFlushErrorAt(t, err, st)
				})
			})
		}
	})
}

// Get, a query (All), a relation loader and Preload cancelled while their
// SELECT runs: the error is context.Canceled, nothing is half-loaded, and
// the same call with a live context then works in the same session.
func TestCancelReads(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		ftSeed(t, env.plain)
		ctx := ftCtx(t)
		var annID int64
		ftOK(t, env.plain.SQL().QueryRowContext(ctx, ftQ(env.plain, `SELECT "id" FROM "ft_author" WHERE "name" = ?`), "ann").Scan(&annID), "ann's key")

		t.Run("Get", func(t *testing.T) {
			s := orm.NewSession(env.faulty)
			defer s.Close()
			base := ftGoroutines(env)
			a, err := orm.Get[ftAuthor](ftCancelAt(t, env, 1), s, annID)
			ftCanceled(t, env, err, "Get")
			if a != nil || s.TrackedCount() != 0 {
				t.Fatalf("Get returned %v and tracks %d objects", a, s.TrackedCount())
			}
			ftCheckPool(t, env, base)
			a, err = orm.Get[ftAuthor](ctx, s, annID)
			ftOK(t, err, "Get again")
			if a.Name != "ann" {
				t.Fatalf("Get again = %+v", a)
			}
		})

		t.Run("All", func(t *testing.T) {
			s := orm.NewSession(env.faulty)
			defer s.Close()
			base := ftGoroutines(env)
			bs, err := orm.Select[ftBook](s).OrderBy("title").All(ftCancelAt(t, env, 1))
			ftCanceled(t, env, err, "All")
			if bs != nil || s.TrackedCount() != 0 {
				t.Fatalf("All returned %d rows and the session tracks %d objects", len(bs), s.TrackedCount())
			}
			ftCheckPool(t, env, base)
			bs, err = orm.Select[ftBook](s).OrderBy("title").All(ctx)
			ftOK(t, err, "All again")
			if len(bs) != 3 || bs[0].Title != "b1" {
				t.Fatalf("All again: %d rows", len(bs))
			}
		})

		t.Run("LoadOneToMany", func(t *testing.T) {
			s := orm.NewSession(env.faulty)
			defer s.Close()
			authors, err := orm.Select[ftAuthor](s).OrderBy("name").All(ctx)
			ftOK(t, err, "authors")
			base := ftGoroutines(env)
			_, err = orm.LoadOneToMany(ftCancelAt(t, env, 1), s, authors, ftBooksOf)
			ftCanceled(t, env, err, "LoadOneToMany")
			for _, a := range authors {
				if a.Books.IsLoaded() {
					t.Fatalf("%s.Books marked loaded by the cancelled loader", a.Name)
				}
			}
			ftCheckPool(t, env, base)
			n, err := orm.LoadOneToMany(ctx, s, authors, ftBooksOf)
			ftOK(t, err, "LoadOneToMany again")
			if n != 3 || authors[0].Books.Len() != 2 || authors[1].Books.Len() != 1 {
				t.Fatalf("loaded %d: ann %d, bob %d books", n, authors[0].Books.Len(), authors[1].Books.Len())
			}
		})

		// Preload of two levels, cancelled at the first and at the second
		// level's query.
		for at := 1; at <= 2; at++ {
			t.Run(fmt.Sprintf("Preload/%d", at), func(t *testing.T) {
				s := orm.NewSession(env.faulty)
				defer s.Close()
				authors, err := orm.Select[ftAuthor](s).OrderBy("name").All(ctx)
				ftOK(t, err, "authors")
				base := ftGoroutines(env)
				err = orm.Preload(ftCancelAt(t, env, at), s, authors, "Books", "Books.Tags")
				ftCanceled(t, env, err, "Preload")
				ftCheckPool(t, env, base)
				ftOK(t, orm.Preload(ctx, s, authors, "Books", "Books.Tags"), "Preload again")
				var got []string
				for _, a := range authors {
					for _, b := range a.Books.Items() {
						if !b.Tags.IsLoaded() {
							t.Fatalf("%s.Tags not loaded", b.Title)
						}
						for _, g := range b.Tags.Items() {
							got = append(got, a.Name+"/"+b.Title+"/"+g.Name)
						}
					}
				}
				ftEqual(t, "preloaded", got, []string{"ann/b1/go", "ann/b2/db", "bob/b3/go"})
			})
		}
	})
}

// Iter cancelled by its consumer in the middle of a large result: the
// iteration ends with context.Canceled before the end of the rows, the
// connection goes back to the pool, no goroutine is left behind.
func TestCancelIterMidStream(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		ctx := ftCtx(t)
		const rows = 3000
		seed := orm.NewSession(env.plain)
		for i := range rows {
			ftOK(t, seed.Add(&ftTag{Name: fmt.Sprintf("tag%05d", i)}), "Add")
		}
		ftOK(t, seed.Commit(ctx), "seed")
		ftOK(t, seed.Close(), "Close")

		s := orm.NewSession(env.faulty)
		defer s.Close()
		base := ftGoroutines(env)
		ictx, cancel := context.WithCancel(ctx)
		defer cancel()
		seen := 0
		var iterErr error
		for tag, err := range orm.Select[ftTag](s).OrderBy("name").Iter(ictx) {
			if err != nil {
				iterErr = err
				break
			}
			if tag == nil {
				t.Fatal("nil object without an error")
			}
			seen++
			if seen == 2 {
				cancel()
				// database/sql closes the rows from a goroutine of its
				// own when the context ends: give it time to do so.
				time.Sleep(50 * time.Millisecond)
			}
		}
		if !errors.Is(iterErr, context.Canceled) {
			t.Fatalf("Iter ended with %v after %d rows, want context.Canceled", iterErr, seen)
		}
		if seen >= rows {
			t.Fatalf("all %d rows were read despite the cancel", seen)
		}
		ftCheckPool(t, env, base)
		n, err := orm.Select[ftTag](s).Count(ctx)
		ftOK(t, err, "Count after the cancelled Iter")
		if n != rows {
			t.Fatalf("Count = %d", n)
		}
	})
}

// RunInTx cancelled during fn's read and during the COMMIT's flush: the
// error is context.Canceled, fn is not retried, nothing is written.
func TestCancelRunInTx(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		ftSeed(t, env.plain)
		dbBefore := ftDump(t, env.plain)
		// Statement 1: fn's SELECT; statement 2: the flush's UPDATE.
		for at := 1; at <= 2; at++ {
			t.Run(fmt.Sprintf("statement%d", at), func(t *testing.T) {
				base := ftGoroutines(env)
				calls := 0
				rctx := ftCancelAt(t, env, at)
				err := orm.RunInTx(rctx, env.faulty, func(s *orm.Session) error {
					calls++
					b, err := orm.Select[ftBook](s).Filter(orm.Col("title").Eq("b1")).One(rctx)
					if err != nil {
						return err
					}
					b.Title = "b1x"
					return nil
				})
				ftCanceled(t, env, err, "RunInTx")
				if calls != 1 {
					t.Fatalf("fn ran %d times; a cancelled context must not be retried", calls)
				}
				ftEqual(t, "database after the cancelled RunInTx", ftDump(t, env.plain), dbBefore)
				ftCheckPool(t, env, base)
			})
		}
	})
}

// A transaction bound to the context given to Begin is rolled back when
// that context is cancelled: Commit then fails, the database holds nothing
// of it, the session is as after Rollback, and the connection is returned.
func TestCancelBeginContext(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		env := ftOpen(t, tg)
		ftSeed(t, env.plain)
		dbBefore := ftDump(t, env.plain)
		ctx := ftCtx(t)
		base := ftGoroutines(env)
		s := orm.NewSession(env.faulty)
		defer s.Close()
		bctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ftOK(t, s.Begin(bctx), "Begin")
		sc := ftStage(t, ctx, s)
		ftOK(t, s.Flush(ctx), "Flush")
		cancel()
		err := s.Commit(ctx)
		if err == nil {
			t.Fatal("Commit of a transaction whose context was cancelled succeeded")
		}
		if s.InTransaction() {
			t.Fatal("still in the transaction")
		}
		ftEqual(t, "database", ftDump(t, env.plain), dbBefore)
		flState(t, s, sc.cid, orm.StateDetached, false, "cid (inserted in the lost transaction)")
		flState(t, s, sc.b2, orm.StateExpired, true, "b2 (deleted in the lost transaction)")
		ftCheckPool(t, env, base)
		// The session goes on: its objects reload, a new unit of work lands.
		b3, err := orm.Get[ftBook](ctx, s, sc.b3.ID)
		ftOK(t, err, "Get b3")
		if b3.Title != "b3" || b3.Version != 1 {
			t.Fatalf("b3 = %+v", b3)
		}
		s.Close()
		s2 := orm.NewSession(env.faulty)
		defer s2.Close()
		ftStage(t, ctx, s2)
		ftOK(t, s2.Commit(ctx), "Commit")
		ftEqual(t, "database after doing it again", ftLogical(t, env.plain), ftWant)
	})
}

// ftCancelOnHook cancels a context a moment after a statement whose text
// starts with prefix is sent, while the server is still running it.
type ftCancelOnHook struct {
	mu     sync.Mutex
	prefix string
	cancel context.CancelFunc
}

func (h *ftCancelOnHook) BeforeQuery(ctx context.Context, e *orm.QueryEvent) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cancel != nil && strings.HasPrefix(e.Query, h.prefix) {
		time.AfterFunc(100*time.Millisecond, h.cancel)
		h.cancel = nil
	}
	return ctx
}

func (h *ftCancelOnHook) AfterQuery(context.Context, *orm.QueryEvent) {}

// A statement really in flight on the server (an UPDATE waiting for a row
// lock held by another transaction) when the flush's context is
// cancelled: the driver interrupts it (pgx and MySQL close the connection,
// lib/pq sends a cancel request). Same guarantees as a failed statement.
// SQLite locks the whole database at BEGIN IMMEDIATE, so no statement of
// the flush can be made to wait on a row lock there: the before-statement
// cancellation of TestCancelEveryStatementOfFlush covers it.
func TestCancelInFlightStatement(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		if tg.Dialect == "sqlite" {
			t.Skip("SQLite has no row locks to make a statement wait on (see the comment)")
		}
		env := ftOpen(t, tg)
		ftLearn(t, env)
		for _, explicit := range []bool{false, true} {
			t.Run(map[bool]string{false: "own-transaction", true: "explicit-transaction"}[explicit], func(t *testing.T) {
				ctx := ftCtx(t)
				ftSeed(t, env.plain)
				dbBefore := ftDump(t, env.plain)
				hook := &ftCancelOnHook{prefix: ftQ(env.faulty, `UPDATE "ft_book"`)}
				s := orm.NewSession(env.faulty.WithQueryHook(hook))
				defer s.Close()
				var early *ftAuthor
				if explicit {
					ftOK(t, s.Begin(ctx), "Begin")
					early = &ftAuthor{Name: "early"}
					ftOK(t, s.Add(early), "Add early")
					ftOK(t, s.Flush(ctx), "first Flush")
				}
				sc := ftStage(t, ctx, s)
				before := sc.capture(s)
				base := ftGoroutines(env)

				// Another transaction locks b3's row.
				locker, err := env.plain.SQL().BeginTx(ctx, nil)
				ftOK(t, err, "locker Begin")
				var title string
				ftOK(t, locker.QueryRowContext(ctx, ftQ(env.plain, `SELECT "title" FROM "ft_book" WHERE "id" = ? FOR UPDATE`), sc.b3.ID).Scan(&title), "lock b3")

				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				hook.mu.Lock()
				hook.cancel = cancel
				hook.mu.Unlock()
				start := time.Now()
				err = s.Commit(cctx)
				elapsed := time.Since(start)
				ftOK(t, locker.Rollback(), "locker Rollback")
				if err == nil {
					t.Fatal("Commit succeeded although its UPDATE was cancelled")
				}
				t.Logf("%s: %v (after %v)", tg.Dialect, err, elapsed.Round(time.Millisecond))
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Commit = %v, want context.Canceled", err)
				}
				if elapsed > 10*time.Second {
					t.Fatalf("the cancelled statement ran %v", elapsed)
				}
				ftEqual(t, "database after the cancelled Commit", ftDump(t, env.plain), dbBefore)
				ftCheckPool(t, env, base)
				want := ftWant
				switch {
				case !explicit:
					ftSameSession(t, "after the cancelled Commit", sc.capture(s), before)
				case s.InTransaction():
					// The driver cancelled the statement only: the flush
					// rolled back to its savepoint, the transaction and
					// the first flush live on.
					ftSameSession(t, "after the cancelled Commit", sc.capture(s), before)
					want = append([]string{"author: ann2", "author: bob", "author: cid", "author: early"}, ftWant[3:]...)
				default:
					// The driver closed the connection: the transaction
					// is lost and the session is as after Rollback; it
					// refuses work until the loss is acknowledged.
					if err := s.Commit(ctx); !errors.Is(err, orm.ErrTransactionAborted) {
						t.Fatalf("Commit after the lost transaction: %v, want ErrTransactionAborted", err)
					}
					ftOK(t, s.Rollback(ctx), "Rollback")
					flState(t, s, early, orm.StateDetached, false, "early")
					ftOK(t, s.Add(early), "Add early again")
					want = append([]string{"author: ann2", "author: bob", "author: cid", "author: early"}, ftWant[3:]...)
				}
				ftOK(t, s.Commit(ctx), "retry Commit")
				sc.checkDone(t, s)
				ftEqual(t, "database after the retry", ftLogical(t, env.plain), want)
			})
		}
	})
}
