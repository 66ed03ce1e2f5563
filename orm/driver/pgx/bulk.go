package pgx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	pgxv5 "github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// bulk is pgx's dialect.BulkDriver: CopyFrom through the driver
// connection and pipelines as pgx batches.
type bulk struct{}

func (bulk) CopyMode() dialect.CopyMode { return dialect.CopyOnConn }

func (bulk) CanPipeline(conn any) bool {
	_, ok := conn.(*stdlib.Conn)
	return ok
}

func (bulk) CopyFrom(ctx context.Context, conn any, table string, columns []string, src dialect.CopySource) (int64, error) {
	c, ok := conn.(*stdlib.Conn)
	if !ok {
		return 0, fmt.Errorf("%w: COPY: driver connection is %T, not pgx", dialect.ErrUnsupported, conn)
	}
	return c.Conn().CopyFrom(ctx, pgxv5.Identifier{table}, columns, src)
}

func (bulk) Pipeline(ctx context.Context, conn any, stmts []dialect.PipelinedStatement) ([]int64, []error) {
	tags := make([]int64, len(stmts))
	errs := make([]error, len(stmts))
	for i := range errs {
		errs[i] = dialect.ErrNotRun
	}
	c, ok := conn.(*stdlib.Conn)
	if !ok {
		errs[0] = fmt.Errorf("orm: pipeline: driver connection is %T, not pgx", conn)
		return tags, errs
	}
	if st := c.Conn().PgConn().TxStatus(); st == 'I' {
		// The transaction ended under us (its context was cancelled):
		// the statements must not run outside it.
		errs[0] = sql.ErrTxDone
		return tags, errs
	}
	b := &pgxv5.Batch{QueuedQueries: make([]*pgxv5.QueuedQuery, 0, len(stmts))}
	for _, x := range stmts {
		b.Queue(x.Query, x.Args...)
	}
	br := c.Conn().SendBatch(ctx, b)
	for i, x := range stmts {
		n, err := result(br, x.Row)
		if err != nil {
			var pe pgxv5.ErrPreprocessingBatch
			if errors.As(err, &pe) {
				errs[indexOfSQL(stmts, pe.SQL())] = err
			} else {
				errs[i] = err
			}
			break
		}
		tags[i], errs[i] = n, nil
	}
	if err := br.Close(); err != nil && !failed(errs) {
		errs[len(stmts)-1] = err
	}
	return tags, errs
}

// result reads the next result of br: the rows affected of a statement
// without rows, or the rows read (each given to row) of one with rows.
func result(br pgxv5.BatchResults, row func(scan func(...any) error) error) (int64, error) {
	if row == nil {
		tag, err := br.Exec()
		return tag.RowsAffected(), err
	}
	rows, err := br.Query()
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		n++
		if err := row(rows.Scan); err != nil {
			return n, err
		}
	}
	rows.Close()
	return n, rows.Err()
}

// failed reports whether a statement of the batch failed.
func failed(errs []error) bool {
	for _, err := range errs {
		if err != nil && err != dialect.ErrNotRun {
			return true
		}
	}
	return false
}

// indexOfSQL is the first statement of stmts with the text q (0 if none).
func indexOfSQL(stmts []dialect.PipelinedStatement, q string) int {
	for i, x := range stmts {
		if x.Query == q {
			return i
		}
	}
	return 0
}
