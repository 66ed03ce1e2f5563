package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Tests on real clusters started by scripts/cluster (see docs/scale-out.md):
//
//   - SQLMODEL_PG_REPLICA_DSN: a streaming standby of the PostgreSQL server
//     of SQLMODEL_POSTGRES_DSN, same database (scripts/cluster/pg-replica.sh);
//   - SQLMODEL_GALERA_DSNS: the comma-separated DSNs of the three nodes of a
//     MariaDB Galera cluster (scripts/cluster/galera.sh).
//
// Without them the tests skip, unless SQLMODEL_REQUIRE_DIALECTS names
// "pg-replica" or "galera": then they fail. The tests stop and restart a
// standby or a node through the scripts, so they need the same rights as
// the scripts (root on the CI machine).

const (
	clPGReplicaEnv = "SQLMODEL_PG_REPLICA_DSN"
	clGaleraEnv    = "SQLMODEL_GALERA_DSNS"
)

// clEnv returns the environment variable env of the cluster name, or skips
// the test (fails it when the cluster is required).
func clEnv(t *testing.T, name, env string) string {
	t.Helper()
	v := strings.TrimSpace(os.Getenv(env))
	if v == "" {
		if testkit.Required(name) {
			t.Fatalf("%s is required (SQLMODEL_REQUIRE_DIALECTS) but %s is not set", name, env)
		}
		t.Skipf("%s not set (start scripts/cluster/%s.sh and export it)", env, name)
	}
	return v
}

// clScript runs scripts/cluster/<name>.sh with args.
func clScript(t *testing.T, name string, args ...string) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "scripts", "cluster", name+".sh"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", append([]string{path}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

type clRow struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	N    int64
}

func (clRow) TableName() string { return "cl_row" }

// clNode maps "SELECT 1 AS id, pg_is_in_recovery() AS in_recovery"; it has
// no table.
type clNode struct {
	ID         int64 `sqlmodel:"pk"`
	InRecovery bool
}

func (clNode) TableName() string { return "cl_node" }

// clWaitReplay waits until the standby has replayed everything the primary
// has written so far.
func clWaitReplay(t *testing.T, primary, standby *sql.DB) {
	t.Helper()
	ctx := context.Background()
	var lsn string
	if err := primary.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var done bool
		err := standby.QueryRowContext(ctx, `SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), $1::pg_lsn) >= 0`, lsn).Scan(&done)
		if err == nil && done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("standby did not replay up to %s in 30 s (last error %v)", lsn, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestClusterPGReplica runs the replica routing on a real streaming
// standby: reads land on it (pg_is_in_recovery() is true where the hook
// says "replica:0"), writes on the primary, a read-your-writes session
// sees its commit at once, and a standby stopped mid-run is skipped
// without an error for the caller, then used again once it is back.
func TestClusterPGReplica(t *testing.T) {
	replicaDSN := clEnv(t, "pg-replica", clPGReplicaEnv)
	tg, err := testkit.NewTarget(t, "postgres")
	if err != nil {
		t.Fatalf("the primary of %s: %v", clPGReplicaEnv, err)
	}
	// The standby holds the same databases: point it at the test's schema.
	pu, perr := url.Parse(tg.DSN)
	ru, rerr := url.Parse(replicaDSN)
	if perr != nil || rerr != nil || ru.Scheme == "" || pu.Scheme == "" {
		t.Fatalf("URL DSNs expected: primary %q, replica %q", tg.DSN, replicaDSN)
	}
	if pu.Path != ru.Path {
		t.Fatalf("%s names database %q, the primary's is %q", clPGReplicaEnv, ru.Path, pu.Path)
	}
	q := ru.Query()
	q.Set("search_path", tg.Schema)
	ru.RawQuery = q.Encode()
	rdsn := ru.String()

	db := testkit.OpenORM(t, tg, orm.WithReplicas(rdsn), orm.WithReplicaBackoff(100*time.Millisecond, 400*time.Millisecond))
	rdb, rec := testkit.Record(db)
	ctx := context.Background()
	standby, err := sql.Open(tg.Driver, rdsn)
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close()
	if err := db.Register(&clNode{}); err != nil {
		t.Fatal(err)
	}

	// The node labels match the servers.
	where := func(ctx context.Context) (bool, string) {
		t.Helper()
		rec.Reset()
		ns, err := orm.Raw[clNode](ctx, rdb, `SELECT 1 AS id, pg_is_in_recovery() AS in_recovery`)
		if err != nil || len(ns) != 1 {
			t.Fatalf("pg_is_in_recovery: %v", err)
		}
		evs := rec.Events()
		rec.Reset()
		return ns[0].InRecovery, evs[len(evs)-1].Node
	}
	if inRec, node := where(orm.ReadFromReplica(ctx)); !inRec || node != "replica:0" {
		t.Fatalf("replica read: pg_is_in_recovery()=%v on node %q, want true on replica:0", inRec, node)
	}
	if inRec, node := where(ctx); inRec || node != orm.NodePrimary {
		t.Fatalf("primary read: pg_is_in_recovery()=%v on node %q, want false on primary", inRec, node)
	}

	// Writes go to the primary.
	if err := rdb.CreateAll(ctx, &clRow{}); err != nil {
		t.Fatal(err)
	}
	s := orm.NewSession(rdb)
	for i := int64(1); i <= 20; i++ {
		if err := s.Add(&clRow{ID: i, Name: fmt.Sprintf("row %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	rpExpect(t, rec, "CreateAll and inserts", "primary")

	// Replica lag: commit on the primary, poll the standby until it shows
	// the change.
	var lags []time.Duration
	for i := int64(1); i <= 50; i++ {
		if _, err := orm.Exec(ctx, db, `UPDATE cl_row SET n = ? WHERE id = 1`, i); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for {
			var n int64
			if err := standby.QueryRowContext(ctx, `SELECT n FROM cl_row WHERE id = 1`).Scan(&n); err == nil && n == i {
				break
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("update %d not on the standby after 10 s", i)
			}
		}
		lags = append(lags, time.Since(start))
	}
	slices.Sort(lags)
	t.Logf("replica lag over %d commits (commit returned -> row visible on the standby): min %v, median %v, p90 %v, max %v",
		len(lags), lags[0], lags[len(lags)/2], lags[len(lags)*9/10], lags[len(lags)-1])

	// Reads go to the standby and see the replicated rows.
	clWaitReplay(t, db.SQL(), standby)
	rec.Reset()
	rows, err := orm.Select[clRow](rdb).OrderBy("id").All(ctx)
	if err != nil || len(rows) != 20 || rows[0].N != 50 {
		t.Fatalf("read on the standby: %v, %d rows", err, len(rows))
	}
	reader := orm.NewSession(rdb)
	if _, err := orm.Get[clRow](ctx, reader, 7); err != nil {
		t.Fatal(err)
	}
	reader.Close()
	for _, e := range rec.Events() {
		if e.Node != "replica:0" {
			t.Fatalf("read on %q, want replica:0:\n%s", e.Node, rec.Dump())
		}
	}
	rec.Reset()

	// Read your writes: right after its commit, the session reads its own
	// change from the primary, every time.
	for i := int64(1); i <= 20; i++ {
		s := orm.NewSession(rdb)
		r, err := orm.Get[clRow](ctx, s, i)
		if err != nil {
			t.Fatal(err)
		}
		r.N = 1000 + i
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		again, err := orm.Select[clRow](s).Where("id = ?", i).One(ctx)
		if err != nil || again.N != 1000+i {
			t.Fatalf("read after the commit of row %d: %v, n=%v", i, err, again)
		}
		if err := orm.Refresh(ctx, s, r); err != nil || r.N != 1000+i {
			t.Fatalf("refresh after the commit of row %d: %v, n=%d", i, err, r.N)
		}
		rpExpect(t, rec, "read-your-writes session", "primary")
		s.Close()
	}

	// The standby stops while reads run: none fails, they move to the
	// primary; once it is back, they return to it.
	t.Cleanup(func() { clScript(t, "pg-replica", "resume") })
	clWaitReplay(t, db.SQL(), standby)
	var reads, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				n, err := orm.Select[clRow](rdb).Where("n > ?", 1000).Count(ctx)
				reads.Add(1)
				time.Sleep(time.Millisecond)
				if err != nil || n != 20 {
					failed.Add(1)
					t.Errorf("read while the standby stops: n=%d, %v", n, err)
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	clScript(t, "pg-replica", "pause")
	time.Sleep(300 * time.Millisecond)
	rec.Reset()
	time.Sleep(300 * time.Millisecond)
	for _, e := range rec.Events() {
		if e.Node != orm.NodePrimary {
			t.Errorf("read on %s (err %v) while the standby is down", e.Node, e.Err)
			break
		}
	}
	if st := db.Replicas(); st[0].Up {
		t.Errorf("standby down but reported up: %+v", st[0])
	}
	clScript(t, "pg-replica", "resume")
	deadline := time.Now().Add(20 * time.Second)
	for {
		rec.Reset()
		time.Sleep(50 * time.Millisecond)
		back := false
		for _, e := range rec.Events() {
			if e.Node == "replica:0" && e.Err == nil {
				back = true
			}
		}
		if back {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reads did not return to the standby within 20 s of its restart: %+v", db.Replicas())
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d reads while the standby stopped and restarted, %d failed", reads.Load(), failed.Load())
	if st := db.Replicas(); !st[0].Up {
		t.Errorf("standby back but reported down: %+v", st[0])
	}
}

type glCounter struct {
	ID    int64 `sqlmodel:"pk"`
	Value int64
}

func (glCounter) TableName() string { return "gl_counter" }

// glEntry records one increment; its key (worker, sequence number) makes
// a transaction whose COMMIT outcome is unknown safe to run again.
type glEntry struct {
	ID      int64 `sqlmodel:"pk"`
	Worker  int64
	Seq     int64
	Counter int64
}

func (glEntry) TableName() string { return "gl_entry" }

// glFailover runs fn in RunInTx on the node *cur. When the node fails (not
// a retryable conflict, which RunInTx retries itself), it moves *cur to
// the next node and runs fn again there. A unique violation on a later
// attempt means an earlier attempt did commit although its COMMIT was cut
// off: the work is done.
func glFailover(ctx context.Context, t *testing.T, dbs []*orm.DB, cur *int, failovers *atomic.Int64, fn func(*orm.Session) error, opts ...orm.TxOption) error {
	for attempt := 0; ; attempt++ {
		err := orm.RunInTx(ctx, dbs[*cur], fn, opts...)
		if err != nil {
			t.Logf("node %d attempt %d: %v", *cur+1, attempt, err)
		}
		switch {
		case err == nil:
			return nil
		case attempt > 0 && errors.Is(err, orm.ErrUniqueViolation):
			return nil
		case ctx.Err() != nil || attempt >= 30:
			return fmt.Errorf("node %d, attempt %d: %w", *cur+1, attempt+1, err)
		}
		failovers.Add(1)
		*cur = (*cur + 1) % len(dbs)
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClusterGalera: three workers, each on its own node of a Galera
// cluster, increment the same few rows concurrently in RunInTx. Writes
// that conflict across nodes fail certification with error 1213 at
// COMMIT and are retried; a node stopped mid-run sends its worker to the
// other nodes. At the end the three nodes hold identical data and every
// increment is counted exactly once.
func TestClusterGalera(t *testing.T) {
	dsns := strings.Split(clEnv(t, "galera", clGaleraEnv), ",")
	if len(dsns) != 3 {
		t.Fatalf("%s: want 3 DSNs, got %d", clGaleraEnv, len(dsns))
	}
	ctx := context.Background()
	const (
		workers  = 3
		perWork  = 150
		counters = 3
	)
	// A database of its own, created on node 1 (DDL replicates).
	name := fmt.Sprintf("sqlm_galera_%d", time.Now().UnixNano())
	cfgs := make([]*mysql.Config, len(dsns))
	for i, d := range dsns {
		c, err := mysql.ParseDSN(strings.TrimSpace(d))
		if err != nil {
			t.Fatalf("%s DSN %d: %v", clGaleraEnv, i+1, err)
		}
		cfgs[i] = c
	}
	admin, err := sql.Open("mysql", cfgs[0].FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("Galera node 1: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	reg := orm.NewRegistry()
	dbs := make([]*orm.DB, len(cfgs))
	for i, c := range cfgs {
		c := c.Clone()
		c.DBName = name
		db, err := orm.Open("mysql", c.FormatDSN(), orm.WithRegistry(reg))
		// CREATE DATABASE reaches the other nodes asynchronously.
		for deadline := time.Now().Add(30 * time.Second); err != nil && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
			db, err = orm.Open("mysql", c.FormatDSN(), orm.WithRegistry(reg))
		}
		if err != nil {
			t.Fatalf("node %d: %v", i+1, err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	if err := dbs[0].CreateAll(ctx, &glCounter{}, &glEntry{}); err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= counters; i++ {
		if _, err := orm.Exec(ctx, dbs[0], `INSERT INTO gl_counter (id, value) VALUES (?, 0)`, i); err != nil {
			t.Fatal(err)
		}
	}
	// The seed reaches every node before the run.
	for i, db := range dbs {
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, err := orm.Select[glCounter](db).Count(ctx)
			if err == nil && n == counters {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d did not receive the seed: %d rows, %v", i+1, n, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	var committed, retries, conflicts, failovers atomic.Int64
	var movedOff atomic.Bool // worker 3 committed on another node after node 3 stopped
	var nodeDown atomic.Bool
	t.Cleanup(func() {
		if nodeDown.Load() {
			clScript(t, "galera", "start-node", "3")
		}
	})
	// Once a third of the work is done, node 3 stops; its worker waits
	// for that, so that its next transactions meet the stopped node.
	stopAt := int64(workers * perWork / 3)
	stopped := make(chan struct{})
	var healthy time.Duration // until node 3 stops
	start := time.Now()
	go func() {
		defer close(stopped)
		for committed.Load() < stopAt {
			time.Sleep(time.Millisecond)
		}
		healthy = time.Since(start)
		nodeDown.Store(true)
		clScript(t, "galera", "stop-node", "3")
	}()

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cur := w
			for seq := range perWork {
				if w == 2 && committed.Load() >= stopAt {
					<-stopped
				}
				k := int64(seq%counters + 1)
				err := glFailover(ctx, t, dbs, &cur, &failovers, func(s *orm.Session) error {
					c, err := orm.GetWithOptions[glCounter](ctx, s, orm.GetOptions{ForUpdate: true}, k)
					if err != nil {
						return err
					}
					c.Value++
					return s.Add(&glEntry{ID: int64(w)*1_000_000 + int64(seq) + 1, Worker: int64(w), Seq: int64(seq), Counter: k})
				}, orm.WithMaxRetries(50), orm.WithBackoff(time.Millisecond, 50*time.Millisecond), orm.OnRetry(func(_ int, err error) {
					retries.Add(1)
					if errors.Is(err, orm.ErrDeadlock) {
						conflicts.Add(1)
					}
				}))
				if err != nil {
					errs <- fmt.Errorf("worker %d, increment %d: %w", w+1, seq, err)
					return
				}
				committed.Add(1)
				if w == 2 && cur != 2 && nodeDown.Load() {
					movedOff.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	<-stopped
	if t.Failed() {
		return
	}
	total := committed.Load()
	t.Logf("Galera: %d transactions in %v (%.0f tx/s; %.0f tx/s on 3 nodes before node 3 stopped at %d), %d retries (%d certification conflicts, error 1213) = %.1f retries per 1,000 transactions, %d failovers",
		total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), float64(stopAt)/healthy.Seconds(), stopAt,
		retries.Load(), conflicts.Load(), float64(retries.Load())*1000/float64(total), failovers.Load())
	if conflicts.Load() == 0 {
		t.Error("no certification conflict (1213) was retried: the test did not exercise the retry")
	}
	if !movedOff.Load() {
		t.Error("worker 3 never committed on another node after node 3 stopped")
	}

	// Node 3 rejoins (incremental state transfer); then every node must
	// hold the same rows, with every increment counted once.
	clScript(t, "galera", "start-node", "3")
	nodeDown.Store(false)
	var states []string
	for i, c := range cfgs {
		c := c.Clone()
		c.DBName = name
		// Causal reads: wait until the node applied everything committed
		// cluster-wide before answering.
		c.Params = map[string]string{"wsrep_sync_wait": "1"}
		ndb, err := sql.Open("mysql", c.FormatDSN())
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		func() {
			defer ndb.Close()
			rs, err := ndb.QueryContext(ctx, `SELECT c.id, c.value, (SELECT COUNT(*) FROM gl_entry e WHERE e.counter = c.id) FROM gl_counter c ORDER BY c.id`)
			if err != nil {
				t.Fatalf("node %d: %v", i+1, err)
			}
			defer rs.Close()
			var sum int64
			for rs.Next() {
				var id, value, entries int64
				if err := rs.Scan(&id, &value, &entries); err != nil {
					t.Fatal(err)
				}
				if value != entries {
					t.Errorf("node %d: counter %d is %d but has %d increments recorded", i+1, id, value, entries)
				}
				sum += value
				fmt.Fprintf(&b, "%d=%d ", id, value)
			}
			if err := rs.Err(); err != nil {
				t.Fatal(err)
			}
			if sum != workers*perWork {
				t.Errorf("node %d: counters sum to %d, want %d", i+1, sum, workers*perWork)
			}
			var n, per int64
			if err := ndb.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT worker, seq) FROM gl_entry`).Scan(&n, &per); err != nil {
				t.Fatal(err)
			}
			if n != workers*perWork || per != n {
				t.Errorf("node %d: %d increments recorded (%d distinct), want %d", i+1, n, per, workers*perWork)
			}
			fmt.Fprintf(&b, "entries=%d", n)
		}()
		states = append(states, b.String())
	}
	for i := 1; i < len(states); i++ {
		if states[i] != states[0] {
			t.Errorf("node %d holds %s, node 1 %s", i+1, states[i], states[0])
		}
	}
}
