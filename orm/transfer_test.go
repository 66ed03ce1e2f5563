package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Concurrency under load (issue 8, item 4): many goroutines, each running
// its own sessions on one shared pool, move money between accounts with
// optimistic locking (a version column) inside orm.RunInTx. The sum of the
// balances never changes, no update is lost, and the race detector stays
// silent.
//
// It runs 16 goroutines x 500 transactions over 100 accounts (about 10 s
// per database and isolation level under -race on two cores), or a
// reduced size with -short. Each run logs its throughput and retry counts
// (go test -v -run TestLoadTransfers ./orm/).

type ldAccount struct {
	ID        int64 `sqlmodel:"pk,noautoincrement"`
	Balance   int64
	Transfers int64 // transfers touching this account
	Version   int   `sqlmodel:"version"`
}

func (ldAccount) TableName() string { return "ld_account" }

type ldTransfer struct {
	ID     int64 `sqlmodel:"pk"`
	FromID int64
	ToID   int64
	Amount int64
}

func (ldTransfer) TableName() string { return "ld_transfer" }

const (
	ldAccounts       = 100
	ldInitialBalance = 1000
)

// ldSize returns the number of goroutines and transactions per goroutine
// for a dialect: the full 16 x 500 (16 x 200 on SQLite, which serialises
// writers), or 16 x 60 (8 x 30) with -short.
func ldSize(dialect string) (workers, perWorker int) {
	switch {
	case dialect == "sqlite" && testing.Short():
		return 8, 30
	case dialect == "sqlite":
		return 16, 200
	case testing.Short():
		return 16, 60
	default:
		return 16, 500
	}
}

// ldStats counts what happened during one run.
type ldStats struct {
	committed     atomic.Int64
	serialization atomic.Int64 // RunInTx retries after a serialization failure
	deadlock      atomic.Int64 // ... after a deadlock
	lockTimeout   atomic.Int64 // ... after a lock timeout or SQLite busy
	stale         atomic.Int64 // whole transactions run again after ErrStaleData
	checks        atomic.Int64 // concurrent invariant checks
}

func (st *ldStats) onRetry(_ int, err error) {
	switch {
	case errors.Is(err, orm.ErrSerialization):
		st.serialization.Add(1)
	case errors.Is(err, orm.ErrDeadlock):
		st.deadlock.Add(1)
	default:
		st.lockTimeout.Add(1)
	}
}

// ldMove is one committed transfer, as the goroutine that made it saw it.
type ldMove struct{ from, to, amount int64 }

func TestLoadTransfers(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		name := db.Dialect().Name()
		switch name {
		case "postgres":
			for _, level := range []sql.IsolationLevel{sql.LevelSerializable, sql.LevelReadCommitted} {
				t.Run(level.String(), func(t *testing.T) { ldRun(t, db, level) })
			}
		case "mysql", "mariadb":
			for _, level := range []sql.IsolationLevel{sql.LevelDefault, sql.LevelSerializable} {
				t.Run(ldLevelName(level), func(t *testing.T) { ldRun(t, db, level) })
			}
		default:
			ldRun(t, db, sql.LevelDefault)
		}
	})
}

func ldLevelName(level sql.IsolationLevel) string {
	if level == sql.LevelDefault {
		return "Default"
	}
	return level.String()
}

// ldRun creates the accounts, runs the transfers and checks the invariants
// during and after the run.
func ldRun(t *testing.T, db *orm.DB, level sql.IsolationLevel) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if err := db.DropAll(ctx, &ldAccount{}, &ldTransfer{}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAll(ctx, &ldAccount{}, &ldTransfer{}); err != nil {
		t.Fatal(err)
	}
	setup := orm.NewSession(db)
	for i := int64(1); i <= ldAccounts; i++ {
		if err := setup.Add(&ldAccount{ID: i, Balance: ldInitialBalance}); err != nil {
			t.Fatal(err)
		}
	}
	if err := setup.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	_ = setup.Close()
	const total = ldAccounts * ldInitialBalance

	dialect := db.Dialect().Name()
	workers, per := ldSize(dialect)
	db.SQL().SetMaxOpenConns(workers + 2)
	t.Cleanup(func() { db.SQL().SetMaxOpenConns(0) })

	var st ldStats
	opts := []orm.TxOption{
		orm.WithIsolation(level),
		orm.WithMaxRetries(200),
		orm.WithBackoff(time.Millisecond, 50*time.Millisecond),
		orm.OnRetry(st.onRetry),
	}

	// The checker reads the three totals in one statement (one snapshot)
	// until the workers are done.
	done := make(chan struct{})
	var checkErr error
	var checkWG sync.WaitGroup
	checkWG.Add(1)
	go func() {
		defer checkWG.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			sum, transfers, rows, err := ldTotals(ctx, db)
			if err != nil {
				checkErr = fmt.Errorf("check: %w", err)
				return
			}
			if sum != total || transfers != 2*rows {
				checkErr = fmt.Errorf("check %d: sum of balances %d (want %d), sum of transfer counts %d for %d transfer rows",
					st.checks.Load()+1, sum, total, transfers, rows)
				return
			}
			st.checks.Add(1)
		}
	}()

	moves := make([][]ldMove, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for range per {
				from := rng.Int64N(ldAccounts) + 1
				to := rng.Int64N(ldAccounts-1) + 1
				if to >= from {
					to++
				}
				amount := rng.Int64N(100) + 1
				if err := ldTransferOnce(ctx, db, &st, opts, from, to, amount); err != nil {
					t.Errorf("worker %d: transfer %d -> %d: %v", w, from, to, err)
					return
				}
				moves[w] = append(moves[w], ldMove{from, to, amount})
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(done)
	checkWG.Wait()
	if checkErr != nil {
		t.Fatal(checkErr)
	}
	if t.Failed() {
		return
	}

	n := st.committed.Load()
	t.Logf("%s %s: %d goroutines x %d = %d transactions in %v: %.0f tx/s; RunInTx retries: %d serialization, %d deadlock, %d lock timeout/busy; %d reruns after ErrStaleData; %d concurrent checks",
		dialect, ldLevelName(level), workers, per, n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
		st.serialization.Load(), st.deadlock.Load(), st.lockTimeout.Load(), st.stale.Load(), st.checks.Load())
	if n != int64(workers*per) {
		t.Fatalf("committed %d transactions, want %d", n, workers*per)
	}
	if st.checks.Load() == 0 {
		t.Fatal("the concurrent checker never ran")
	}

	// The final state equals the committed moves replayed in memory: no
	// update lost, none applied twice.
	wantBal := make(map[int64]int64, ldAccounts)
	wantCnt := make(map[int64]int64, ldAccounts)
	for _, ms := range moves {
		for _, m := range ms {
			wantBal[m.from] -= m.amount
			wantBal[m.to] += m.amount
			wantCnt[m.from]++
			wantCnt[m.to]++
		}
	}
	got, err := orm.Select[ldAccount](db).OrderBy("id").All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != ldAccounts {
		t.Fatalf("%d accounts, want %d", len(got), ldAccounts)
	}
	var versions int64
	for _, a := range got {
		if want := ldInitialBalance + wantBal[a.ID]; a.Balance != want {
			t.Errorf("account %d: balance %d, want %d", a.ID, a.Balance, want)
		}
		if a.Transfers != wantCnt[a.ID] {
			t.Errorf("account %d: %d transfers, want %d", a.ID, a.Transfers, wantCnt[a.ID])
		}
		// Every committed transfer bumped the version of both accounts once.
		if int64(a.Version) != 1+wantCnt[a.ID] {
			t.Errorf("account %d: version %d, want %d", a.ID, a.Version, 1+wantCnt[a.ID])
		}
		versions += int64(a.Version) - 1
	}
	sum, transfers, rows, err := ldTotals(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if sum != total || rows != n || transfers != 2*n || versions != 2*n {
		t.Fatalf("at the end: sum %d (want %d), %d transfer rows, sum of counts %d, version bumps %d (want %d, %d, %d)",
			sum, total, rows, transfers, versions, n, 2*n, 2*n)
	}
	if st := db.SQL().Stats(); st.InUse != 0 {
		t.Fatalf("%d connections still in use", st.InUse)
	}
}

// ldTransferOnce moves amount from one account to another and logs the
// transfer, in one transaction run by RunInTx (which retries serialization
// failures and deadlocks). A version conflict (ErrStaleData: another
// transaction changed an account since this one read it) is not retryable
// by RunInTx, because the session's objects are stale: the whole
// transaction runs again here with fresh reads.
func ldTransferOnce(ctx context.Context, db *orm.DB, st *ldStats, opts []orm.TxOption, from, to, amount int64) error {
	for attempt := 0; attempt < 1000; attempt++ {
		err := orm.RunInTx(ctx, db, func(s *orm.Session) error {
			a, err := orm.Get[ldAccount](ctx, s, from)
			if err != nil {
				return err
			}
			b, err := orm.Get[ldAccount](ctx, s, to)
			if err != nil {
				return err
			}
			a.Balance -= amount
			a.Transfers++
			b.Balance += amount
			b.Transfers++
			return s.Add(&ldTransfer{FromID: from, ToID: to, Amount: amount})
		}, opts...)
		switch {
		case err == nil:
			st.committed.Add(1)
			return nil
		case errors.Is(err, orm.ErrStaleData):
			st.stale.Add(1)
		default:
			return err
		}
	}
	return errors.New("still stale after 1000 attempts")
}

// ldTotals returns the sum of the balances, the sum of the transfer
// counters and the number of transfer rows, read in one statement.
func ldTotals(ctx context.Context, db *orm.DB) (sum, transfers, rows int64, err error) {
	integer := "BIGINT"
	if n := db.Dialect().Name(); n == "mysql" || n == "mariadb" {
		integer = "SIGNED"
	}
	err = db.SQL().QueryRowContext(ctx, `SELECT
		(SELECT CAST(SUM(balance) AS `+integer+`) FROM ld_account),
		(SELECT CAST(SUM(transfers) AS `+integer+`) FROM ld_account),
		(SELECT COUNT(*) FROM ld_transfer)`).Scan(&sum, &transfers, &rows)
	return sum, transfers, rows, err
}
