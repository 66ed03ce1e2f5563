package faultdriver_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sqlmodel-go/sqlmodel/internal/faultdriver"
	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
)

// fdOpen opens tg through a new Controller; both are closed at cleanup.
func fdOpen(t *testing.T, tg testkit.Target) (*sql.DB, *faultdriver.Controller) {
	t.Helper()
	ctl := faultdriver.New()
	db, err := ctl.Open(tg.Driver, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		ctl.Close()
	})
	return db, ctl
}

func fdQ(tg testkit.Target, q string) string {
	if tg.Dialect != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + string(rune('0'+n)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func fdCount(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM fd_t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Statements with arguments are counted once each, also where database/sql
// falls back to Prepare+Exec (MySQL without interpolateParams); the armed
// statement fails without running; the other statements run.
func TestFaultDriverCountsAndFails(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := context.Background()
		db, ctl := fdOpen(t, tg)
		if _, err := db.Exec("CREATE TABLE fd_t (id INTEGER PRIMARY KEY, v INTEGER)"); err != nil {
			t.Fatal(err)
		}
		ctl.Reset()
		myErr := errors.New("boom")
		ctl.Arm(faultdriver.Fault{Action: faultdriver.Fail, At: 3, Err: myErr})
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 4; i++ {
			_, err := tx.ExecContext(ctx, fdQ(tg, "INSERT INTO fd_t (id, v) VALUES (?, ?)"), i, i*10)
			if (err != nil) != (i == 3) {
				t.Fatalf("insert %d: %v", i, err)
			}
			if i == 3 && !errors.Is(err, myErr) {
				t.Fatalf("insert 3: %v, want the injected error", err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM fd_t").Scan(&n); err != nil || n != 3 {
			t.Fatalf("count in tx = %d, %v; want 3 (statement 3 did not run)", n, err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		c := ctl.Counts()
		if c.Exec != 4 || c.Query != 1 || c.Begin != 1 || c.Rollback != 1 || c.Commit != 0 {
			t.Fatalf("counts %+v; want 4 exec, 1 query, begin, rollback\n%v", c, ctl.Events())
		}
		if got := ctl.Fired(); len(got) != 1 || got[0].At != 3 {
			t.Fatalf("fired %v", got)
		}
		if ctl.Armed() {
			t.Fatal("fault still armed after firing")
		}
		// A statement prepared explicitly counts per execution.
		ctl.Reset()
		st, err := db.PrepareContext(ctx, fdQ(tg, "INSERT INTO fd_t (id, v) VALUES (?, ?)"))
		if err != nil {
			t.Fatal(err)
		}
		ctl.Arm(faultdriver.Fault{Action: faultdriver.Fail, At: 2})
		if _, err := st.ExecContext(ctx, 1, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ExecContext(ctx, 2, 2); !errors.Is(err, faultdriver.ErrInjected) {
			t.Fatalf("2nd execution: %v, want ErrInjected", err)
		}
		st.Close()
		if c := ctl.Counts(); c.Exec != 2 {
			t.Fatalf("prepared executions counted %d, want 2", c.Exec)
		}
		if n := fdCount(t, db); n != 1 {
			t.Fatalf("%d rows, want 1", n)
		}
	})
}

// A failing COMMIT leaves nothing committed and the connection reusable
// with no transaction open; Fail After commits but reports the error.
func TestFaultDriverCommit(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := context.Background()
		db, ctl := fdOpen(t, tg)
		db.SetMaxOpenConns(1)
		if _, err := db.Exec("CREATE TABLE fd_t (id INTEGER PRIMARY KEY, v INTEGER)"); err != nil {
			t.Fatal(err)
		}
		for _, after := range []bool{false, true} {
			ctl.Arm(faultdriver.Fault{Action: faultdriver.Fail, Commit: true, After: after})
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			id := 1
			if after {
				id = 2
			}
			if _, err := tx.ExecContext(ctx, fdQ(tg, "INSERT INTO fd_t (id, v) VALUES (?, 0)"), id); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); !errors.Is(err, faultdriver.ErrInjected) {
				t.Fatalf("Commit = %v, want ErrInjected", err)
			}
			// The same (only) connection: no transaction is left open on it.
			var n int
			if err := db.QueryRowContext(ctx, fdQ(tg, "SELECT COUNT(*) FROM fd_t WHERE id = ?"), id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: 0, true: 1}[after]; n != want {
				t.Fatalf("after=%v: %d rows, want %d", after, n, want)
			}
		}
	})
}

// BadConn kills the connection: the transaction is gone on the server, the
// pool drops the connection and opens a new one.
func TestFaultDriverBadConn(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := context.Background()
		db, ctl := fdOpen(t, tg)
		if _, err := db.Exec("CREATE TABLE fd_t (id INTEGER PRIMARY KEY, v INTEGER)"); err != nil {
			t.Fatal(err)
		}
		ctl.Reset()
		ctl.Arm(faultdriver.Fault{Action: faultdriver.BadConn, At: 2})
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO fd_t (id, v) VALUES (1, 1)"); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO fd_t (id, v) VALUES (2, 2)"); !errors.Is(err, driver.ErrBadConn) {
			t.Fatalf("statement 2: %v, want driver.ErrBadConn", err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO fd_t (id, v) VALUES (3, 3)"); !errors.Is(err, driver.ErrBadConn) {
			t.Fatalf("statement 3 on the dead connection: %v", err)
		}
		_ = tx.Rollback()
		if n := fdCount(t, db); n != 0 {
			t.Fatalf("%d rows of the killed transaction", n)
		}
		if st := db.Stats(); st.InUse != 0 || st.OpenConnections != ctl.Live() {
			t.Fatalf("stats %+v, %d live connections: the pool kept the dead one", st, ctl.Live())
		}
	})
}

// A fault at BEGIN: ErrBadConn is absorbed by database/sql, which begins
// again on a new connection; a BadConn fault with a driver error of its own
// reaches the caller, and the pool drops the dead connection either way.
func TestFaultDriverBegin(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := context.Background()
		db, ctl := fdOpen(t, tg)
		if err := db.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		ctl.Reset()
		ctl.Arm(faultdriver.Fault{Action: faultdriver.BadConn, Begin: true})
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatalf("BEGIN after an ErrBadConn: %v (database/sql should begin again)", err)
		}
		_ = tx.Rollback()
		if c := ctl.Counts(); c.Begin != 2 || len(ctl.Fired()) != 1 {
			t.Fatalf("counts %+v, fired %v: want 2 BEGINs, one fault", c, ctl.Fired())
		}
		own := errors.New("server closed the connection")
		ctl.Arm(faultdriver.Fault{Action: faultdriver.BadConn, Begin: true, Err: own})
		if _, err := db.BeginTx(ctx, nil); !errors.Is(err, own) {
			t.Fatalf("BEGIN: %v, want the fault's own error", err)
		}
		if st := db.Stats(); st.InUse != 0 || st.OpenConnections != ctl.Live() {
			t.Fatalf("stats %+v, %d live connections: the pool kept the dead one", st, ctl.Live())
		}
	})
}

// Block waits for the statement's context; the connection stays usable.
func TestFaultDriverBlock(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		db, ctl := fdOpen(t, tg)
		db.SetMaxOpenConns(1)
		ctl.Arm(faultdriver.Fault{Action: faultdriver.Block, At: 1})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-ctl.Blocked()
			cancel()
		}()
		start := time.Now()
		_, err := db.ExecContext(ctx, "SELECT 1")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("blocked statement: %v", err)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("too slow")
		}
		var n int
		if err := db.QueryRow("SELECT 1").Scan(&n); err != nil || n != 1 {
			t.Fatalf("next query: %d %v", n, err)
		}
		if st := db.Stats(); st.OpenConnections != 1 || st.InUse != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// The inner connection's argument checker is used: pgx accepts a Go slice
// for an array parameter, which database/sql's default conversion rejects.
func TestFaultDriverNamedValueChecker(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		if tg.Driver != "pgx" {
			t.Skip("only pgx converts Go slices to arrays")
		}
		db, _ := fdOpen(t, tg)
		var n int
		if err := db.QueryRow("SELECT cardinality($1::bigint[])", []int64{1, 2, 3}).Scan(&n); err != nil || n != 3 {
			t.Fatalf("array argument through the wrapper: %d %v", n, err)
		}
		// And Conn.Raw reaches the pgx connection through Unwrap.
		c, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		err = c.Raw(func(dc any) error {
			u, ok := dc.(interface{ Unwrap() driver.Conn })
			if !ok {
				return errors.New("no Unwrap")
			}
			if _, ok := u.Unwrap().(*stdlib.Conn); !ok {
				return fmt.Errorf("Unwrap returned %T, want *stdlib.Conn", u.Unwrap())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
