package orm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// Secrets (issue 8, item 7): a DSN's password never appears in an error or
// a log record, and bound values appear in log records only at debug level.

const scPassword = "Sup3rS3cret-pw"

type scRow struct {
	ID     int64  `sqlmodel:"pk"`
	Email  string `sqlmodel:"unique,size=100"`
	Secret string
}

func (scRow) TableName() string { return "sc_row" }

// scLog is a slog handler writing JSON to a buffer at the given level.
type scLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *scLog) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(&scWriter{l}, &slog.HandlerOptions{Level: level}))
}

func (l *scLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type scWriter struct{ l *scLog }

func (w *scWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.buf.Write(p)
}

// scClosedPort returns a local TCP port nothing listens on.
func scClosedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// scExercise opens dsn with driver and logs to log at debug level, then
// pings, queries and creates a table; it returns every error met.
func scExercise(driver, dsn string, log *scLog) []error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, err := orm.Open(driver, dsn, orm.WithLogger(log.logger(slog.LevelDebug)))
	if err != nil {
		return []error{err}
	}
	defer db.Close()
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(db.Ping(ctx))
	_, err = orm.Select[scRow](db).All(ctx)
	add(err)
	add(db.CreateAll(ctx, &scRow{}))
	s := orm.NewSession(db)
	defer s.Close()
	add(s.Add(&scRow{Email: "a@example.com"}))
	add(s.Commit(ctx))
	add(orm.RunInTx(ctx, db, func(s *orm.Session) error { _, err := orm.Get[scRow](ctx, s, 1); return err }, orm.WithMaxRetries(0)))
	return errs
}

// TestSecretsDSNPassword opens every driver with a DSN holding a password,
// against a closed port, a malformed DSN and (MySQL) the real server with
// a wrong password: no error text and no log record contains the password.
func TestSecretsDSNPassword(t *testing.T) {
	port := scClosedPort(t)
	cases := []struct {
		name, driver, dsn string
		wantErr           bool
	}{
		{"pgx url, closed port", "pgx", fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", scPassword, port), true},
		{"pgx key=value, closed port", "pgx", fmt.Sprintf("host=127.0.0.1 port=%d user=postgres password=%s dbname=postgres sslmode=disable connect_timeout=2", port, scPassword), true},
		{"pgx malformed url", "pgx", fmt.Sprintf("postgres://postgres:%s@127.0.0.1:notaport/postgres", scPassword), true},
		{"pgx malformed key=value", "pgx", fmt.Sprintf("host=127.0.0.1 password=%s port='", scPassword), true},
		{"pq url, closed port", "postgres", fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", scPassword, port), true},
		{"pq key=value, closed port", "postgres", fmt.Sprintf("host=127.0.0.1 port=%d user=postgres password=%s dbname=postgres sslmode=disable connect_timeout=2", port, scPassword), true},
		{"pq malformed url", "postgres", fmt.Sprintf("postgres://postgres:%s@127.0.0.1:notaport/postgres", scPassword), true},
		{"pq malformed key=value", "postgres", fmt.Sprintf("host=127.0.0.1 password=%s port='", scPassword), true},
		{"mysql closed port", "mysql", fmt.Sprintf("root:%s@tcp(127.0.0.1:%d)/test?timeout=2s", scPassword, port), true},
		{"mysql malformed", "mysql", fmt.Sprintf("root:%s@tcp(127.0.0.1:3306/test", scPassword), true},
		{"mysql bad option", "mysql", fmt.Sprintf("root:%s@tcp(127.0.0.1:3306)/test?timeout=notaduration", scPassword), true},
		{"mysql wrong password", "mysql", fmt.Sprintf("sqlmodel_nobody:%s@tcp(127.0.0.1:3306)/test?timeout=2s", scPassword), true},
		{"sqlite unopenable file", ormtest.SQLiteDriver(), fmt.Sprintf("file:/nonexistent/dir/x.db?_auth&_auth_user=u&_auth_pass=%s&mode=ro", scPassword), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var log scLog
			errs := scExercise(c.driver, c.dsn, &log)
			if c.wantErr && len(errs) == 0 {
				t.Fatal("no error: the case does not test what it means to")
			}
			for _, err := range errs {
				if strings.Contains(err.Error(), scPassword) || strings.Contains(fmt.Sprintf("%+v", err), scPassword) {
					t.Errorf("error shows the password: %v", err)
				}
			}
			if strings.Contains(log.String(), scPassword) {
				t.Errorf("log shows the password:\n%s", log.String())
			}
			t.Logf("%d error(s), first: %v", len(errs), errors.Join(errs...))
		})
	}
}

// TestSecretsReplicaDSN: a replica DSN's password is kept out of errors
// and logs too; the replica (a malformed lib/pq URL, which lib/pq quotes
// in its error at every connect) fails every read sent to it.
func TestSecretsReplicaDSN(t *testing.T) {
	tg, err := testkit.NewTarget(t, "postgres")
	if err != nil {
		if testkit.Required("postgres") {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var log scLog
	replica := fmt.Sprintf("postgres://postgres:%s@127.0.0.1:notaport/postgres", scPassword)
	db, err := orm.Open("postgres", tg.DSN, orm.WithReplicas(replica), orm.WithLogger(log.logger(slog.LevelDebug)))
	if err != nil {
		if strings.Contains(err.Error(), scPassword) {
			t.Fatalf("Open error shows the replica password: %v", err)
		}
		t.Logf("Open: %v", err)
		return
	}
	defer db.Close()
	if err := db.CreateAll(ctx, &scRow{}); err != nil {
		t.Fatal(err)
	}
	var errs []error
	for range 3 {
		if _, err := orm.Select[scRow](db).All(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	for _, err := range errs {
		if strings.Contains(err.Error(), scPassword) {
			t.Errorf("error shows the replica password: %v", err)
		}
	}
	out := log.String()
	if strings.Contains(out, scPassword) {
		t.Errorf("log shows the replica password:\n%s", out)
	}
	if !strings.Contains(out, "notaport") && len(errs) == 0 {
		t.Fatalf("the replica was never tried:\n%s", out)
	}
}

// TestSecretsBoundValuesInLogs: with a logger at info level nothing shows
// a bound value, failed statements included (whose driver messages may
// quote the value, as MySQL's duplicate-entry error does); at debug level
// the arguments are logged.
func TestSecretsBoundValuesInLogs(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, level := range []slog.Level{slog.LevelInfo, slog.LevelWarn, slog.LevelDebug} {
			t.Run(level.String(), func(t *testing.T) {
				var log scLog
				db := testkit.OpenORM(t, tg, orm.WithLogger(log.logger(level)))
				if err := db.DropAll(ctx, &scRow{}); err != nil {
					t.Fatal(err)
				}
				if err := db.CreateAll(ctx, &scRow{}); err != nil {
					t.Fatal(err)
				}
				const email, secret = "value-in-args@example.com", "bound-secret-value"
				s := orm.NewSession(db)
				defer s.Close()
				if err := s.Add(&scRow{Email: email, Secret: secret}); err != nil {
					t.Fatal(err)
				}
				if err := s.Commit(ctx); err != nil {
					t.Fatal(err)
				}
				// A failing statement: the duplicate email.
				s2 := orm.NewSession(db)
				defer s2.Close()
				if err := s2.Add(&scRow{Email: email, Secret: secret}); err != nil {
					t.Fatal(err)
				}
				if err := s2.Commit(ctx); !errors.Is(err, orm.ErrUniqueViolation) {
					t.Fatalf("duplicate insert: %v", err)
				}
				// A failing statement whose driver error may echo a value.
				if _, err := orm.Select[scRow](db).Filter(orm.Col("id").Eq("not-a-number-" + secret)).All(ctx); err == nil && tg.Dialect == "postgres" {
					t.Fatal("a text key accepted by PostgreSQL")
				}
				if _, err := orm.Select[scRow](db).Filter(orm.Col("email").Eq(email)).All(ctx); err != nil {
					t.Fatal(err)
				}
				out := log.String()
				hasValues := strings.Contains(out, email) || strings.Contains(out, secret)
				switch {
				case level > slog.LevelDebug && hasValues:
					t.Fatalf("a bound value is in the log at %v:\n%s", level, out)
				case level > slog.LevelDebug && !strings.Contains(out, "orm: statement failed"):
					t.Fatalf("no warning for the failed statements:\n%s", out)
				case level == slog.LevelDebug && !hasValues:
					t.Fatalf("no arguments at debug level:\n%s", out)
				}
				if level == slog.LevelWarn {
					t.Logf("warnings:\n%s", out)
				}
			})
		}
	})
}
