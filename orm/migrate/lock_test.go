package migrate_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

// The migration lock belongs to a connection: while another connection
// holds it Auto waits (here until its context ends), and once that
// connection dies without releasing it (a killed process) Auto proceeds.
func TestLockDiesWithItsConnection(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		mig := db.Dialect().Migrator()
		holder, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mig.Lock(ctx, holder); err != nil {
			t.Fatal(err)
		}
		if mig.RebuildsTables() { // SQLite: the lock is the write transaction
			if _, err := holder.ExecContext(ctx, mig.Begin()); err != nil {
				t.Fatal(err)
			}
		}
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		err = migrate.Auto(short, version(t, db), []any{&LockV1{}})
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, orm.ErrLockTimeout) && !orm.IsRetryable(err) {
			t.Fatalf("Auto while another connection holds the lock: %v, want it to wait", err)
		}
		// The holder dies without releasing anything.
		_ = holder.Raw(func(any) error { return driver.ErrBadConn })
		_ = holder.Close()
		if err := migrate.Auto(ctx, version(t, db), []any{&LockV1{}}); err != nil {
			t.Fatalf("Auto after the holder died: %v", err)
		}
		mustEmpty(t, version(t, db), &LockV1{})
	})
}
