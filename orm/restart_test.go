package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// RunInTx through real server restarts (issue 22). It restarts the server
// it is pointed at, so it runs only when SQLMODEL_RESTART_TEST=1, in a step
// of its own (.ci/run), never beside other tests. Per database it takes the
// DSN and the shell command that restarts the server:
//
//	SQLMODEL_RESTART_PG_DSN, SQLMODEL_RESTART_PG_CMD        (PostgreSQL, pgx)
//	SQLMODEL_RESTART_MYSQL_DSN, SQLMODEL_RESTART_MYSQL_CMD  (MariaDB/MySQL)
//
// A database whose DSN or command is unset is skipped. Optional:
// SQLMODEL_RESTART_PG_DRIVER ("pgx", or "postgres" for lib/pq),
// SQLMODEL_RESTART_COUNT (restarts per run, default 2) and
// SQLMODEL_RESTART_WORKERS (default 8).
//
// Eight goroutines run read-modify-write increments of one row in RunInTx
// (FOR UPDATE, then SERIALIZABLE), while the server is restarted. Every
// call must succeed or fail with ErrCommitInDoubt; the row must equal the
// successes, plus at most the in-doubt count; the pool must serve again
// afterwards. The figures are logged (docs/reliability.md).

type rsCounter struct {
	ID int64 `sqlmodel:"pk"`
	N  int64
}

func (rsCounter) TableName() string { return "rs_counter" }

// rsStats are the figures of one run.
type rsStats struct {
	mu         sync.Mutex
	ok, doubt  int64
	failures   []string
	lost, conf atomic.Int64 // retries after a lost connection, after a conflict
	commits    []time.Time  // when each successful call returned
}

func (st *rsStats) done(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case err == nil:
		st.ok++
		st.commits = append(st.commits, time.Now())
	case errors.Is(err, orm.ErrCommitInDoubt):
		st.doubt++
	default:
		st.failures = append(st.failures, err.Error())
	}
}

// maxGap returns the longest time without a successful call between from
// and to, and the delay from to until the first success after it.
func (st *rsStats) maxGap(from, to time.Time) (gap, after time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ts := slices.Clone(st.commits)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	prev := from
	after = -1
	for _, c := range ts {
		if c.Before(from) {
			continue
		}
		gap = max(gap, c.Sub(prev))
		prev = c
		if after < 0 && c.After(to) {
			after = c.Sub(to)
			break
		}
	}
	return gap, after
}

func rsEnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func TestRestartRunInTx(t *testing.T) {
	if os.Getenv("SQLMODEL_RESTART_TEST") != "1" {
		t.Skip("restarts database servers: set SQLMODEL_RESTART_TEST=1 (and the DSNs and commands) to run")
	}
	pgDriver := os.Getenv("SQLMODEL_RESTART_PG_DRIVER")
	if pgDriver == "" {
		pgDriver = "pgx"
	}
	for _, d := range []struct{ name, driver, prefix string }{
		{"postgres", pgDriver, "SQLMODEL_RESTART_PG_"},
		{"mysql", "mysql", "SQLMODEL_RESTART_MYSQL_"},
	} {
		t.Run(d.name, func(t *testing.T) {
			dsn, cmd := os.Getenv(d.prefix+"DSN"), os.Getenv(d.prefix+"CMD")
			if dsn == "" || cmd == "" {
				t.Skipf("%sDSN or %sCMD not set", d.prefix, d.prefix)
			}
			db, err := orm.Open(d.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, mode := range []string{"for-update", "serializable"} {
				t.Run(mode, func(t *testing.T) { rsRun(t, db, mode, cmd) })
			}
		})
	}
}

// rsSetup creates rs_counter with one row at 0 and returns its key.
func rsSetup(t *testing.T, ctx context.Context, db *orm.DB) int64 {
	t.Helper()
	if err := db.CreateAll(ctx, &rsCounter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, "DELETE FROM rs_counter"); err != nil {
		t.Fatal(err)
	}
	c := &rsCounter{}
	err := orm.RunInTx(ctx, db, func(s *orm.Session) error { return s.Add(c) })
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// rsIncrement is one read-modify-write increment in RunInTx.
func rsIncrement(ctx context.Context, db *orm.DB, id int64, mode string, st *rsStats) error {
	opts := []orm.TxOption{orm.WithMaxRetries(50), orm.OnRetry(func(_ int, err error) {
		if errors.Is(err, orm.ErrConnectionLost) {
			st.lost.Add(1)
		} else {
			st.conf.Add(1)
		}
	})}
	if mode == "serializable" {
		opts = append(opts, orm.WithIsolation(sql.LevelSerializable))
	}
	return orm.RunInTx(ctx, db, func(s *orm.Session) error {
		c, err := orm.GetWithOptions[rsCounter](ctx, s, orm.GetOptions{ForUpdate: mode == "for-update"}, id)
		if err != nil {
			return err
		}
		c.N++
		return nil
	}, opts...)
}

// rsRestart runs the restart command and returns when it started and ended.
func rsRestart(t *testing.T, cmd string) (start, end time.Time) {
	t.Helper()
	start = time.Now()
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	end = time.Now()
	if err != nil {
		t.Fatalf("restart command %q: %v\n%s", cmd, err, out)
	}
	return start, end
}

func rsRun(t *testing.T, db *orm.DB, mode, cmd string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	id := rsSetup(t, ctx, db)
	workers, restarts := rsEnvInt("SQLMODEL_RESTART_WORKERS", 8), rsEnvInt("SQLMODEL_RESTART_COUNT", 2)
	st := &rsStats{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
				st.done(rsIncrement(cctx, db, id, mode, st))
				ccancel()
			}
		}()
	}
	began := time.Now()
	type window struct{ start, end time.Time }
	var windows []window
	for range restarts {
		time.Sleep(3 * time.Second)
		s, e := rsRestart(t, cmd)
		windows = append(windows, window{s, e})
	}
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	elapsed := time.Since(began)

	var n int64
	if err := db.SQL().QueryRowContext(ctx, "SELECT n FROM rs_counter WHERE id = "+strconv.FormatInt(id, 10)).Scan(&n); err != nil {
		t.Fatalf("the pool does not serve after the restart: %v", err)
	}
	if err := rsIncrement(ctx, db, id, mode, &rsStats{}); err != nil {
		t.Fatalf("RunInTx after the restart: %v", err)
	}
	t.Logf("%s %s: %d transactions in %v by %d goroutines: %d committed, %d in doubt, %d failed; "+
		"retries: %d after a lost connection, %d after a conflict; counter %d",
		db.Dialect().Name(), mode, st.ok+st.doubt+int64(len(st.failures)), elapsed.Round(time.Millisecond), workers,
		st.ok, st.doubt, len(st.failures), st.lost.Load(), st.conf.Load(), n)
	for i, w := range windows {
		gap, after := st.maxGap(w.start, w.end)
		t.Logf("restart %d: command took %v; longest time without a commit %v; first commit %v after the command returned",
			i+1, w.end.Sub(w.start).Round(time.Millisecond), gap.Round(time.Millisecond), after.Round(time.Millisecond))
	}
	if len(st.failures) > 0 {
		t.Errorf("%d call(s) failed with something else than ErrCommitInDoubt, first: %s", len(st.failures), st.failures[0])
	}
	if n < st.ok || n > st.ok+st.doubt {
		t.Errorf("counter %d: want between %d (committed) and %d (plus in doubt)", n, st.ok, st.ok+st.doubt)
	}
	if st.lost.Load() == 0 {
		t.Errorf("no retry after a lost connection: did the server restart? (%s)", cmd)
	}
}
