package faultdriver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/lib/pq"
	"modernc.org/sqlite"
)

// innerDrivers returns the drivers the package wraps, by database/sql name:
// the pure-Go ones always, mattn/go-sqlite3 in builds with cgo.
func innerDrivers() map[string]driver.Driver {
	m := map[string]driver.Driver{
		"pgx":      stdlib.GetDefaultDriver(),
		"postgres": pq.Driver{},
		"mysql":    mysql.MySQLDriver{},
		"sqlite":   moderncDriver(),
	}
	addCgoDrivers(m)
	return m
}

// moderncDriver returns the driver modernc.org/sqlite registers as
// "sqlite", which has the SQL functions registered with it (the ORM's
// sqlm_lower when orm/driver/sqlite is linked), or a driver of its own
// should the name be taken by another.
func moderncDriver() driver.Driver {
	if db, err := sql.Open("sqlite", ""); err == nil {
		defer db.Close()
		if d, ok := db.Driver().(*sqlite.Driver); ok {
			return d
		}
	}
	return &sqlite.Driver{}
}

// register registers the wrappers once, on first use (no init side effect
// for programs that only import the package).
func register() {
	registerOnce.Do(func() {
		for name, d := range innerDrivers() {
			sql.Register(DriverName(name), &wrapDriver{inner: d})
		}
	})
}

// wrapDriver is the registered driver: a DSN from Controller.DSN selects
// the Controller, the rest goes to the inner driver.
type wrapDriver struct{ inner driver.Driver }

var (
	_ driver.Driver        = (*wrapDriver)(nil)
	_ driver.DriverContext = (*wrapDriver)(nil)
)

// Open opens one connection.
func (d *wrapDriver) Open(dsn string) (driver.Conn, error) {
	c, err := d.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// OpenConnector parses the DSN once for the pool.
func (d *wrapDriver) OpenConnector(dsn string) (driver.Connector, error) {
	ctl, inner, err := lookup(dsn)
	if err != nil {
		return nil, err
	}
	c := &connector{d: d, ctl: ctl, dsn: inner}
	if dc, ok := d.inner.(driver.DriverContext); ok {
		if c.inner, err = dc.OpenConnector(inner); err != nil {
			return nil, err
		}
	}
	return c, nil
}

type connector struct {
	d     *wrapDriver
	ctl   *Controller
	dsn   string
	inner driver.Connector // nil when the inner driver has no DriverContext
}

var _ io.Closer = (*connector)(nil)

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	var ic driver.Conn
	var err error
	if c.inner != nil {
		ic, err = c.inner.Connect(ctx)
	} else {
		ic, err = c.d.inner.Open(c.dsn)
	}
	if err != nil {
		return nil, err
	}
	c.ctl.connected()
	return &conn{inner: ic, ctl: c.ctl}, nil
}

func (c *connector) Driver() driver.Driver { return c.d }

// Close closes the inner connector when it holds resources.
func (c *connector) Close() error {
	if cl, ok := c.inner.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// conn wraps one inner connection. database/sql uses a connection from one
// goroutine at a time; bad is atomic because the pool may ask IsValid
// while a cancelled transaction is being rolled back.
type conn struct {
	inner driver.Conn
	ctl   *Controller
	bad   atomic.Bool
	once  sync.Once
	// skipped is set when the inner driver answered ExecContext or
	// QueryContext with driver.ErrSkip: database/sql now prepares the same
	// statement, which must not be counted again. carry is its After fault.
	skipped bool
	carry   *Fault
}

var (
	_ driver.Conn               = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
)

// Unwrap returns the inner driver's connection (for Conn.Raw users).
func (c *conn) Unwrap() driver.Conn { return c.inner }

// kill closes the inner connection, which makes the server roll back its
// transaction, and marks the wrapper bad for good.
func (c *conn) kill() {
	c.bad.Store(true)
	c.closeInner()
}

func (c *conn) closeInner() error {
	var err error
	c.once.Do(func() {
		err = c.inner.Close()
		c.ctl.closed()
	})
	return err
}

// apply performs a fault that fires before or after the inner call.
func (c *conn) apply(ctx context.Context, f *Fault) error {
	switch f.Action {
	case BadConn:
		c.kill()
		if f.Err != nil {
			return f.Err
		}
		return driver.ErrBadConn
	case Block:
		return c.ctl.block(ctx)
	}
	if f.Err != nil {
		return f.Err
	}
	return ErrInjected
}

func (c *conn) Close() error { return c.closeInner() }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.bad.Load() {
		return nil, driver.ErrBadConn
	}
	var is driver.Stmt
	var err error
	if p, ok := c.inner.(driver.ConnPrepareContext); ok {
		is, err = p.PrepareContext(ctx, query)
	} else {
		if err = ctx.Err(); err == nil {
			is, err = c.inner.Prepare(query)
		}
	}
	fallback, carry := c.skipped, c.carry
	c.skipped, c.carry = false, nil
	if err != nil {
		return nil, err
	}
	s := &stmt{inner: is, c: c, query: query, fallback: fallback, carry: carry}
	if _, ok := is.(driver.ColumnConverter); ok {
		return &stmtCC{s}, nil
	}
	return s, nil
}

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.bad.Load() {
		return nil, driver.ErrBadConn
	}
	f := c.ctl.control("begin")
	if f != nil && !f.After {
		return nil, c.apply(ctx, f)
	}
	var itx driver.Tx
	var err error
	if b, ok := c.inner.(driver.ConnBeginTx); ok {
		itx, err = b.BeginTx(ctx, opts)
	} else {
		if opts.Isolation != 0 || opts.ReadOnly {
			return nil, errors.New("faultdriver: the inner driver does not support transaction options")
		}
		itx, err = c.inner.Begin() //nolint:staticcheck // fallback of database/sql itself
	}
	if f != nil {
		if err == nil {
			_ = itx.Rollback()
		}
		return nil, c.apply(ctx, f)
	}
	if err != nil {
		return nil, err
	}
	return &tx{inner: itx, c: c}, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.skipped, c.carry = false, nil
	if c.bad.Load() {
		return nil, driver.ErrBadConn
	}
	ex, ok := c.inner.(driver.ExecerContext)
	if !ok {
		// database/sql prepares the statement: counted there.
		return nil, driver.ErrSkip
	}
	f := c.ctl.statement("exec", query)
	if f != nil && !f.After {
		return nil, c.apply(ctx, f)
	}
	res, err := ex.ExecContext(ctx, query, args)
	if err == driver.ErrSkip { //nolint:errorlint // the sentinel is returned as is
		c.skipped, c.carry = true, f
		return nil, err
	}
	if f != nil {
		return nil, c.apply(ctx, f)
	}
	return res, err
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.skipped, c.carry = false, nil
	if c.bad.Load() {
		return nil, driver.ErrBadConn
	}
	q, ok := c.inner.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	f := c.ctl.statement("query", query)
	if f != nil && !f.After {
		return nil, c.apply(ctx, f)
	}
	rows, err := q.QueryContext(ctx, query, args)
	if err == driver.ErrSkip { //nolint:errorlint // the sentinel is returned as is
		c.skipped, c.carry = true, f
		return nil, err
	}
	if f != nil {
		if err == nil {
			rows.Close()
		}
		return nil, c.apply(ctx, f)
	}
	return rows, err
}

// CheckNamedValue passes argument conversion to the inner connection, or
// hands it back to database/sql (driver.ErrSkip) when it has none.
func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := c.inner.(driver.NamedValueChecker); ok {
		return v.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *conn) ResetSession(ctx context.Context) error {
	if c.bad.Load() {
		return driver.ErrBadConn
	}
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if c.bad.Load() {
		return false
	}
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *conn) Ping(ctx context.Context) error {
	if c.bad.Load() {
		return driver.ErrBadConn
	}
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// tx wraps a transaction to count and fault COMMIT.
type tx struct {
	inner driver.Tx
	c     *conn
}

func (t *tx) Commit() error {
	if t.c.bad.Load() {
		return driver.ErrBadConn
	}
	f := t.c.ctl.control("commit")
	if f != nil && !f.After {
		if f.Action == Fail {
			// The database refused the COMMIT: the transaction is over.
			_ = t.inner.Rollback()
		}
		return t.c.apply(context.Background(), f)
	}
	err := t.inner.Commit()
	if f != nil {
		return t.c.apply(context.Background(), f)
	}
	return err
}

func (t *tx) Rollback() error {
	if t.c.bad.Load() {
		return driver.ErrBadConn
	}
	t.c.ctl.control("rollback")
	return t.inner.Rollback()
}

// stmt wraps a prepared statement; each execution is a statement.
type stmt struct {
	inner    driver.Stmt
	c        *conn
	query    string
	fallback bool // prepared by database/sql after driver.ErrSkip
	carry    *Fault
}

var (
	_ driver.StmtExecContext   = (*stmt)(nil)
	_ driver.StmtQueryContext  = (*stmt)(nil)
	_ driver.NamedValueChecker = (*stmt)(nil)
)

// stmtCC is a stmt whose inner statement converts columns itself.
type stmtCC struct{ *stmt }

func (s *stmtCC) ColumnConverter(idx int) driver.ValueConverter {
	return s.inner.(driver.ColumnConverter).ColumnConverter(idx)
}

func (s *stmt) Close() error  { return s.inner.Close() }
func (s *stmt) NumInput() int { return s.inner.NumInput() }

// CheckNamedValue uses the inner statement's checker, else the
// connection's, as database/sql would.
func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := s.inner.(driver.NamedValueChecker); ok {
		return v.CheckNamedValue(nv)
	}
	return s.c.CheckNamedValue(nv)
}

// begin counts the execution (unless it continues a skipped one) and
// returns its fault and whether the fault fires before the inner call.
func (s *stmt) begin(op string) *Fault {
	if s.fallback {
		f := s.carry
		s.fallback, s.carry = false, nil
		return f
	}
	return s.c.ctl.statement(op, s.query)
}

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if s.c.bad.Load() {
		return nil, driver.ErrBadConn
	}
	f := s.begin("exec")
	if f != nil && !f.After {
		return nil, s.c.apply(ctx, f)
	}
	var res driver.Result
	var err error
	if e, ok := s.inner.(driver.StmtExecContext); ok {
		res, err = e.ExecContext(ctx, args)
	} else {
		res, err = s.inner.Exec(values(args)) //nolint:staticcheck // fallback of database/sql itself
	}
	if f != nil {
		return nil, s.c.apply(ctx, f)
	}
	return res, err
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if s.c.bad.Load() {
		return nil, driver.ErrBadConn
	}
	f := s.begin("query")
	if f != nil && !f.After {
		return nil, s.c.apply(ctx, f)
	}
	var rows driver.Rows
	var err error
	if q, ok := s.inner.(driver.StmtQueryContext); ok {
		rows, err = q.QueryContext(ctx, args)
	} else {
		rows, err = s.inner.Query(values(args)) //nolint:staticcheck // fallback of database/sql itself
	}
	if f != nil {
		if err == nil {
			rows.Close()
		}
		return nil, s.c.apply(ctx, f)
	}
	return rows, err
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, v := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

func values(args []driver.NamedValue) []driver.Value {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}
