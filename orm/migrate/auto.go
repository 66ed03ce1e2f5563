package migrate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ErrDestructive is matched (errors.Is) by the error of Auto when the plan
// holds destructive changes and AllowDestructive was not given.
var ErrDestructive = errors.New("orm/migrate: destructive changes refused")

// Option configures Auto.
type Option func(*config)

type config struct {
	allowDestructive bool
}

// AllowDestructive lets Auto apply destructive changes too: drops, narrowing
// type changes, NOT NULL on a column holding NULLs (which are first set to
// the column's default, else its Go zero value).
func AllowDestructive() Option { return func(c *config) { c.allowDestructive = true } }

// Auto gives the database the shape of the models: it takes the migration
// lock, plans (see Plan) and applies the changes, all on one connection. When
// the plan holds destructive changes and AllowDestructive is not given it
// applies nothing and returns an error matching ErrDestructive that lists
// them. Where DDL is transactional (PostgreSQL, SQLite) everything happens in
// one transaction, so a failure leaves the schema as it was; on MySQL each
// statement commits on its own. Concurrent Auto calls, in one process or
// several, run one after the other: the later ones find nothing to do.
func Auto(ctx context.Context, db *orm.DB, models []any, opts ...Option) (err error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	ms, err := db.Registry().Register(models...)
	if err != nil {
		return err
	}
	d := db.Dialect()
	mig := d.Migrator()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return fmt.Errorf("orm/migrate: %w", err)
	}
	release, err := mig.Lock(ctx, conn)
	if err != nil {
		discard(conn)
		return err
	}
	defer func() {
		if err != nil {
			discard(conn) // ends the server's lock and any transaction with the connection
			return
		}
		if rerr := release(context.WithoutCancel(ctx)); rerr != nil {
			err = fmt.Errorf("orm/migrate: release lock: %w", rerr)
			discard(conn)
			return
		}
		err = conn.Close()
	}()
	return apply(ctx, d, mig, conn, cfg, ms)
}

// apply plans and runs the changes inside the lock.
func apply(ctx context.Context, d dialect.Dialect, mig dialect.Migrator, conn *sql.Conn, cfg config, ms []*schema.Model) error {
	inTx := mig.Begin() != ""
	if inTx {
		if _, err := conn.ExecContext(ctx, mig.Begin()); err != nil {
			return fmt.Errorf("orm/migrate: begin: %w", err)
		}
	}
	ch, err := plan(ctx, d, conn, ms)
	if err == nil && !cfg.allowDestructive {
		if bad := ch.Destructive(); len(bad) > 0 {
			lines := make([]string, len(bad))
			for i, c := range bad {
				lines[i] = "  " + c.String()
			}
			err = fmt.Errorf("%w (nothing applied; pass migrate.AllowDestructive() to apply them):\n%s", ErrDestructive, strings.Join(lines, "\n"))
		}
	}
	if err == nil {
		for _, s := range ch.Statements() {
			if _, err = conn.ExecContext(ctx, s); err != nil {
				err = fmt.Errorf("orm/migrate: %s: %w", s, d.ClassifyError(err))
				break
			}
		}
	}
	if err == nil && !ch.Empty() {
		err = mig.CheckForeignKeys(ctx, conn)
	}
	if !inTx {
		return err
	}
	if err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("orm/migrate: commit: %w", d.ClassifyError(err))
	}
	return nil
}

// discard closes conn and tells the pool not to reuse it.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
