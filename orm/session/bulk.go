package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Defaults of the bulk operations.
const (
	// DefaultBulkBatchSize is the number of rows per multi-row INSERT
	// when BulkBatchSize is not given (fewer when the dialect's bind
	// limit is reached first).
	DefaultBulkBatchSize = 1000
	// DefaultCopyThreshold is the number of rows from which BulkInsert
	// uses COPY on PostgreSQL when neither BulkCopy nor BulkNoCopy is given.
	DefaultCopyThreshold = 5000
)

// BulkOption configures BulkInsert and BulkUpdate.
type BulkOption func(*bulkConfig)

type bulkConfig struct {
	batch         int
	copyMode      int // 0 automatic, 1 always, -1 never
	copyThreshold int
	returnKeys    bool
	progress      func(done, total int)
	conflict      *conflictOpt
	columns       []string
	skipMissing   bool
	onMissing     func(key []any)
}

type conflictOpt struct {
	target    []string
	doNothing bool
	update    []string // nil: every written column but the target
}

// BulkBatchSize sets the number of rows per INSERT statement (clamped to
// at least 1, and lowered to fit the dialect's bind limit).
func BulkBatchSize(n int) BulkOption { return func(c *bulkConfig) { c.batch = max(1, n) } }

// BulkCopy makes BulkInsert use COPY on PostgreSQL whatever the number of
// rows; it fails with dialect.ErrUnsupported where COPY is not available
// (other databases, a driver other than pgx or lib/pq, upserts, key
// read-back).
func BulkCopy() BulkOption { return func(c *bulkConfig) { c.copyMode = 1 } }

// BulkNoCopy makes BulkInsert use multi-row INSERT statements only.
func BulkNoCopy() BulkOption { return func(c *bulkConfig) { c.copyMode = -1 } }

// BulkCopyThreshold sets the number of rows from which BulkInsert uses COPY
// on PostgreSQL (default DefaultCopyThreshold).
func BulkCopyThreshold(rows int) BulkOption {
	return func(c *bulkConfig) { c.copyThreshold = max(1, rows) }
}

// BulkReturnKeys writes generated keys back into the objects: through
// RETURNING on PostgreSQL, SQLite and MariaDB, through LastInsertId on
// MySQL. It rules out COPY and upserts (rows an upsert skips or updates
// have no new key to map).
func BulkReturnKeys() BulkOption { return func(c *bulkConfig) { c.returnKeys = true } }

// BulkProgress calls fn with the number of rows written so far and the
// total, after every statement (every 10,000 rows of a COPY).
func BulkProgress(fn func(done, total int)) BulkOption {
	return func(c *bulkConfig) { c.progress = fn }
}

// OnConflictDoNothing makes BulkInsert keep existing rows whose key (the
// primary key, or the columns given) is taken. On MySQL and MariaDB any
// unique key counts and the columns are ignored.
func OnConflictDoNothing(target ...string) BulkOption {
	return func(c *bulkConfig) { c.conflict = &conflictOpt{target: target, doNothing: true} }
}

// OnConflictUpdate makes BulkInsert update the given columns of existing
// rows whose primary key is taken (an upsert); with no columns, every
// column it writes except the key. A version column is raised by one.
// Combine with OnConflictTarget for a unique key other than the primary key.
func OnConflictUpdate(columns ...string) BulkOption {
	return func(c *bulkConfig) {
		target := []string(nil)
		if c.conflict != nil {
			target = c.conflict.target
		}
		c.conflict = &conflictOpt{target: target, update: columns}
	}
}

// OnConflictTarget names the columns of the unique key an upsert is about
// (PostgreSQL and SQLite; MySQL and MariaDB use every unique key). The
// default is the primary key.
func OnConflictTarget(columns ...string) BulkOption {
	return func(c *bulkConfig) {
		if c.conflict == nil {
			c.conflict = &conflictOpt{}
		}
		c.conflict.target = columns
	}
}

// BulkColumns limits BulkUpdate to the given columns (column or Go field
// names). Zero values are written like any other value.
func BulkColumns(columns ...string) BulkOption { return func(c *bulkConfig) { c.columns = columns } }

// BulkSkipMissing makes BulkUpdate go on past objects whose row is gone
// (or whose version changed) instead of failing; report, when not nil,
// receives the key of each.
func BulkSkipMissing(report func(key []any)) BulkOption {
	return func(c *bulkConfig) { c.skipMissing, c.onMissing = true, report }
}

// MissingRowsError reports objects that BulkUpdate found no row for: the
// row was deleted, or its version changed. It matches ErrStaleData.
type MissingRowsError struct {
	Table string
	Keys  [][]any
}

func (e *MissingRowsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "orm: bulk update %s: %d object(s) matched no row (deleted, or version changed):", e.Table, len(e.Keys))
	for i, k := range e.Keys {
		if i == 5 {
			fmt.Fprintf(&b, " … and %d more", len(e.Keys)-5)
			break
		}
		fmt.Fprintf(&b, " %v", k)
	}
	return b.String()
}

// Unwrap makes the error match ErrStaleData.
func (e *MissingRowsError) Unwrap() error { return ErrStaleData }

// bulkTarget checks the arguments every bulk operation shares.
func bulkTarget[T any](q Querier, op string, objs []*T) (*DB, *Session, *schema.Model, []unsafe.Pointer, error) {
	if q == nil || reflect.ValueOf(q).IsNil() {
		return nil, nil, nil, nil, invalid("%s on a nil Session or DB", op)
	}
	db, s := q.queryTarget()
	if s != nil && s.closed {
		return nil, nil, nil, nil, ErrSessionClosed
	}
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil, nil, nil, nil, fmt.Errorf("%w: %s[%s]: the type parameter must be a model struct", ErrUnmapped, op, t)
	}
	m, ok := db.registry.Lookup(t)
	if !ok {
		return nil, nil, nil, nil, fmt.Errorf("%w: %s is not registered (call db.Register or db.CreateAll with it)", ErrUnmapped, t)
	}
	ptrs := make([]unsafe.Pointer, len(objs))
	for i, o := range objs {
		if o == nil {
			return nil, nil, nil, nil, invalid("%s: object %d is a nil *%s", op, i, t)
		}
		ptrs[i] = unsafe.Pointer(o)
	}
	return db, s, m, ptrs, nil
}

func newBulkConfig(opts []BulkOption) *bulkConfig {
	c := &bulkConfig{batch: DefaultBulkBatchSize, copyThreshold: DefaultCopyThreshold}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// bulkTx is where a bulk operation's statements run.
type bulkTx struct {
	c    conn
	inTx bool
	tx   *sql.Tx   // nil when running on the pool
	own  *sql.Conn // the transaction's own connection, if any
}

// runBulk runs fn atomically: in the session's transaction under a
// savepoint (opening the transaction as a flush would), or in a
// transaction of its own on a *DB. single says fn sends one statement, which
// on a *DB needs no transaction; needConn asks for a connection of its
// own (pgx COPY). undo restores the objects fn changed when it fails.
func runBulk(ctx context.Context, db *DB, s *Session, single, needConn bool, fn func(bt bulkTx) error, undo func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s != nil {
		if err := s.autoFlush(ctx); err != nil {
			return err
		}
		s.wrote = true
		err := s.inFlushTx(ctx, func(c conn) error {
			return fn(bulkTx{c: c, inTx: true, tx: s.tx.tx, own: s.tx.conn})
		}, undo)
		if err != nil {
			undo()
		}
		return err
	}
	if single && !needConn {
		err := fn(bulkTx{c: db.x})
		if err != nil {
			undo()
		}
		return err
	}
	var own *sql.Conn
	var tx *sql.Tx
	err := db.control(ctx, "begin", "BEGIN", func(ctx context.Context) error {
		var err error
		if !needConn {
			tx, err = db.x.BeginTx(ctx, nil)
			return err
		}
		if own, err = db.x.Conn(ctx); err != nil {
			return err
		}
		if tx, err = own.BeginTx(ctx, nil); err != nil {
			_ = own.Close()
			own = nil
		}
		return err
	})
	if err != nil {
		return errwrap.Wrapf(err, "begin")
	}
	defer func() {
		if own != nil {
			_ = own.Close()
		}
	}()
	if err := fn(bulkTx{c: tx, inTx: true, tx: tx, own: own}); err != nil {
		rbErr := db.control(context.WithoutCancel(ctx), "rollback", "ROLLBACK", func(context.Context) error { return tx.Rollback() })
		undo()
		if rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, errwrap.Wrapf(rbErr, "rollback"))
		}
		return err
	}
	if err := db.control(ctx, "commit", "COMMIT", func(context.Context) error { return tx.Commit() }); err != nil {
		undo()
		return errwrap.Wrapf(commitError(err), "commit")
	}
	return nil
}
