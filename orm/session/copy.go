package session

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Copy modes of a pool's driver (dialect.CopyMode).
const (
	copyNone = dialect.NoCopy     // not PostgreSQL, or a driver without COPY
	copyPgx  = dialect.CopyOnConn // COPY through the driver connection (pgx)
	copyPq   = dialect.CopyInTx   // a COPY statement prepared on a transaction (lib/pq)
)

// copyKind is how a pool reaches PostgreSQL's COPY FROM STDIN.
type copyKind = dialect.CopyMode

// bulkDriver returns the bulk paths of the DB's pool driver, or nil: the
// registered driver that owns the pool's driver.Driver decides
// (dialect.Driver.Owns and Bulk).
func (db *DB) bulkDriver() dialect.BulkDriver { return db.bulk }

// copyDriver tells which COPY protocol the DB's driver speaks.
func (db *DB) copyDriver() copyKind {
	if b := db.bulkDriver(); b != nil {
		return b.CopyMode()
	}
	return copyNone
}

// copySQL is the COPY statement of cols into m's table, as the query hooks
// see it (and as lib/pq runs it).
func copySQL(db *DB, m *schema.Model, cols []*schema.Field) string {
	var b strings.Builder
	b.WriteString("COPY ")
	b.WriteString(db.dialect.Quote(m.Table))
	b.WriteString(" (")
	for i, f := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(db.dialect.Quote(f.Column))
	}
	b.WriteString(") FROM STDIN")
	return b.String()
}

// copyRows streams rows into m's table with COPY over the transaction tx
// (lib/pq) or the connection own (pgx), calling progress every so often.
func (b *bulkInsert) copyRows(ctx context.Context, kind copyKind, tx *sql.Tx, own *sql.Conn, cols []*schema.Field, rows []unsafe.Pointer) (int64, error) {
	db, m := b.db, b.m
	text := copySQL(db, m, cols)
	hctx, e := db.before(ctx, "copy", text, nil, tx != nil, NodePrimary)
	var n int64
	var err error
	switch kind {
	case copyPgx:
		if own == nil {
			err = fmt.Errorf("%w: COPY through pgx needs a connection of its own", dialect.ErrUnsupported)
			break
		}
		names := make([]string, len(cols))
		for i, f := range cols {
			names[i] = f.Column
		}
		src := &copySource{b: b, cols: cols, rows: rows, vals: make([]any, len(cols)), i: -1}
		err = own.Raw(func(dc any) error {
			var cerr error
			n, cerr = db.bulkDriver().CopyFrom(hctx, dc, m.Table, names, src)
			return cerr
		})
	case copyPq:
		n, err = b.copyPq(hctx, tx, text, cols, rows)
	default:
		err = fmt.Errorf("%w: COPY needs PostgreSQL through pgx or lib/pq", dialect.ErrUnsupported)
	}
	err = db.dialect.ClassifyError(err)
	db.after(hctx, e, n, err)
	return n, err
}

// copyPq runs a COPY with lib/pq: a statement prepared on the transaction
// takes one Exec per row and an empty Exec that ends the data.
func (b *bulkInsert) copyPq(ctx context.Context, tx *sql.Tx, text string, cols []*schema.Field, rows []unsafe.Pointer) (int64, error) {
	if tx == nil {
		return 0, fmt.Errorf("%w: COPY through lib/pq needs a transaction", dialect.ErrUnsupported)
	}
	st, err := tx.PrepareContext(ctx, text)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	vals := make([]any, len(cols))
	for i, p := range rows {
		if err := fieldValues(cols, p, vals); err != nil {
			return 0, err
		}
		if _, err := st.ExecContext(ctx, vals...); err != nil {
			return 0, err
		}
		b.tick(i + 1)
	}
	res, err := st.ExecContext(ctx)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		n = int64(len(rows))
	}
	return n, nil
}

// copySource feeds objects to pgx's CopyFrom without building all rows
// first: one row of values at a time, in a reused slice.
type copySource struct {
	b    *bulkInsert
	cols []*schema.Field
	rows []unsafe.Pointer
	vals []any
	i    int
	err  error
}

func (s *copySource) Next() bool {
	if s.i >= 0 {
		s.b.tick(s.i + 1)
	}
	s.i++
	if s.i >= len(s.rows) {
		return false
	}
	if err := fieldValues(s.cols, s.rows[s.i], s.vals); err != nil {
		s.err = err
		return false
	}
	return true
}

func (s *copySource) Values() ([]any, error) { return s.vals, nil }
func (s *copySource) Err() error             { return s.err }

// fieldValues writes the column values of the object at p into vals.
func fieldValues(cols []*schema.Field, p unsafe.Pointer, vals []any) error {
	for i, f := range cols {
		v, err := f.Value(p)
		if err != nil {
			return err
		}
		vals[i] = v
	}
	return nil
}
