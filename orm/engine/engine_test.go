package engine

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite"  // registers "sqlite" (modernc, pure Go)
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3" // registers "sqlite3" (mattn, cgo)
)

// sqliteDriver is the SQLite driver the tests open: SQLMODEL_SQLITE_DRIVER
// (as orm/ormtest reads it, which this package cannot import), else the
// pure-Go "sqlite", which every build has.
var sqliteDriver = cmp.Or(os.Getenv("SQLMODEL_SQLITE_DRIVER"), "sqlite")

func TestDSNSecrets(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"postgres://u:s3cret@h/db", "s3cret"},
		{"u:pa55word@tcp(h:3306)/db", "pa55word"},
		{`host=h password='it\'s long' user=u`, "it's long"},
		{"host=h password=plainpw user=u", "plainpw"},
		{"file:x.db?_auth_pass=sqlitepw", "sqlitepw"},
	} {
		got := dsnSecrets(c.dsn)
		if !slices.Contains(got, c.want) {
			t.Errorf("dsnSecrets(%q) = %q, want it to hold %q", c.dsn, got, c.want)
		}
	}
	if got := dsnSecrets("postgres://u:abc@h/db"); len(got) != 0 {
		t.Errorf("a password shorter than %d is not redacted, got %q", minSecret, got)
	}
	err := redactErr(errors.New("parse postgres://u:s3cret@h: bad"), []string{"s3cret"})
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), redacted) {
		t.Errorf("redactErr left the password: %v", err)
	}
}

type recorder struct{ events []QueryEvent }

func (r *recorder) BeforeQuery(ctx context.Context, _ *QueryEvent) context.Context { return ctx }
func (r *recorder) AfterQuery(_ context.Context, e *QueryEvent)                    { r.events = append(r.events, *e) }

func TestExecQueryHooks(t *testing.T) {
	ctx := context.Background()
	e, err := Open(sqliteDriver, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if !e.SingleConn() || e.HasReplicas() || e.HasLogger() {
		t.Errorf("SingleConn, HasReplicas, HasLogger = %v, %v, %v; want true, false, false", e.SingleConn(), e.HasReplicas(), e.HasLogger())
	}
	rec := &recorder{}
	h := e.WithQueryHook(rec)
	if !h.SingleConn() || h.Close() != nil {
		t.Fatal("the copy made by WithQueryHook must keep the settings and close nothing")
	}
	if _, err := h.Exec(ctx, h.SQLX(), false, "CREATE TABLE t (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	if _, err := h.Exec(ctx, h.SQLX(), false, "INSERT INTO t VALUES (?), (?)", at, "b"); err != nil {
		t.Fatal(err)
	}
	var first string
	n, err := h.QueryEach(ctx, h.Reader(ctx, h.SQLX()), false, "SELECT v FROM t ORDER BY v", nil, func(rs *sql.Rows) error {
		if err := rs.Scan(&first); err != nil {
			return err
		}
		return ErrStop
	})
	if !errors.Is(err, ErrStop) || n != 1 {
		t.Fatalf("QueryEach stopped = %d, %v; want 1, ErrStop", n, err)
	}
	if !strings.HasPrefix(first, "2024-01-02 02:04:05") {
		t.Errorf("time stored as %q, want it in UTC", first)
	}
	if _, err := h.Exec(ctx, h.SQLX(), false, "INSERT INTO nope VALUES (1)"); err == nil {
		t.Fatal("insert into a missing table succeeded")
	}
	if len(rec.events) != 4 {
		t.Fatalf("hooks saw %d statements, want 4", len(rec.events))
	}
	if ev := rec.events[2]; ev.Op != "query" || ev.Rows != 1 || ev.Err != nil || ev.Node != NodePrimary {
		t.Errorf("stopped query event = %+v, want op query, 1 row, no error, primary", ev)
	}
	if ev := rec.events[3]; ev.Err == nil || ev.Rows != -1 {
		t.Errorf("failed exec event = %+v, want its error and -1 rows", ev)
	}
	if _, err := e.Exec(ctx, e.SQLX(), false, "SELECT 1"); err != nil || len(rec.events) != 4 {
		t.Errorf("the original engine ran the copy's hook (err %v)", err)
	}
}

func TestOpenInvalid(t *testing.T) {
	if _, err := Open("nosuchdriver", "x"); !errors.Is(err, dialect.ErrInvalidArgument) {
		t.Errorf("Open with an unknown driver: %v, want ErrInvalidArgument", err)
	}
	if _, err := OpenDB(nil, "sqlite"); !errors.Is(err, dialect.ErrInvalidArgument) {
		t.Errorf("OpenDB(nil): %v, want ErrInvalidArgument", err)
	}
	dir := t.TempDir()
	_, err := Open(sqliteDriver, dir+"/x.db", WithReplicaBackoff(time.Second, time.Millisecond), WithReplicas(dir+"/y.db"))
	if !errors.Is(err, dialect.ErrInvalidArgument) {
		t.Errorf("a backoff maximum below its base: %v, want ErrInvalidArgument", err)
	}
	if _, err := Open(sqliteDriver, ":memory:", WithReplicas(":memory:")); !errors.Is(err, dialect.ErrInvalidArgument) {
		t.Errorf("an in-memory replica: %v, want ErrInvalidArgument", err)
	}
}
