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

// Option configures Auto, PlanWith and GenerateWith.
type Option func(*config)

type config struct {
	allowDestructive bool
	tableRenames     [][2]string // RenamedTable: old, new
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
func Auto(ctx context.Context, db *orm.DB, models []any, opts ...Option) error {
	cfg := newConfig(opts)
	ms, err := db.Registry().Register(models...)
	if err != nil {
		return err
	}
	d := db.Dialect()
	return withLock(ctx, db, func(conn *sql.Conn) (bool, error) {
		return apply(ctx, d, d.Migrator(), conn, cfg, ms)
	})
}

// withLock runs fn on a dedicated connection holding the migration lock.
// fn reports whether the connection is fit for reuse (no transaction left
// open); when it is not, or the lock cannot be released, the connection is
// discarded, which ends its lock and transaction on the server.
func withLock(ctx context.Context, db *orm.DB, fn func(conn *sql.Conn) (clean bool, err error)) error {
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return fmt.Errorf("orm/migrate: %w", err)
	}
	release, err := db.Dialect().Migrator().Lock(ctx, conn)
	if err != nil {
		discard(conn)
		return err
	}
	clean, err := fn(conn)
	if rerr := release(context.WithoutCancel(ctx)); rerr != nil {
		clean = false
		if err == nil {
			err = fmt.Errorf("orm/migrate: release lock: %w", rerr)
		}
	}
	if !clean {
		discard(conn)
		return err
	}
	if cerr := conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// apply plans and runs the changes inside the lock. clean reports that
// the connection is fit for reuse: no transaction left open on it.
func apply(ctx context.Context, d dialect.Dialect, mig dialect.Migrator, conn *sql.Conn, cfg config, ms []*schema.Model) (clean bool, err error) {
	inTx := mig.Begin() != ""
	if inTx {
		if _, err := conn.ExecContext(ctx, mig.Begin()); err != nil {
			return false, fmt.Errorf("orm/migrate: begin: %w", d.ClassifyError(err))
		}
	}
	ch, err := plan(ctx, d, conn, ms, cfg)
	if err == nil && !cfg.allowDestructive {
		err = refuse(ch)
	}
	if err == nil {
		for _, s := range ch.Statements() {
			if _, err = conn.ExecContext(ctx, s); err != nil {
				err = fmt.Errorf("orm/migrate: %s: %w", s, d.ClassifyError(err))
				break
			}
		}
	}
	return finish(ctx, d, mig, conn, inTx, ch != nil && !ch.Empty(), err)
}

// refuse returns the error listing the destructive changes of ch, nil when
// there are none.
func refuse(ch *Changes) error {
	bad := ch.Destructive()
	if len(bad) == 0 {
		return nil
	}
	lines := make([]string, len(bad))
	for i, c := range bad {
		lines[i] = "  " + c.String()
	}
	return fmt.Errorf("%w (nothing applied; pass migrate.AllowDestructive() to apply them):\n%s", ErrDestructive, strings.Join(lines, "\n"))
}

// discard closes conn and tells the pool not to reuse it.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// finish ends the work of apply or downFile on conn: on success it checks
// the foreign keys (when check says the schema changed) and commits; on
// failure it rolls back. Without a transaction (inTx false) there is
// nothing to end. clean reports that no transaction is left open on conn.
func finish(ctx context.Context, d dialect.Dialect, mig dialect.Migrator, conn *sql.Conn, inTx, check bool, err error) (clean bool, _ error) {
	if err == nil && check {
		err = mig.CheckForeignKeys(ctx, conn)
	}
	if !inTx {
		return ctx.Err() == nil, err
	}
	if err != nil {
		_, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return rerr == nil, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return false, fmt.Errorf("orm/migrate: commit: %w", d.ClassifyError(err))
	}
	return true, nil
}
