package session

import (
	"context"
	"database/sql"
	"errors"

	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// maxPipelined bounds the statements one pipeline carries: a longer queue
// is sent before the next statement joins it.
const maxPipelined = 1000

// ErrNotRun is what the query hooks see (QueryEvent.Err) for a statement of
// a pipeline that the database skipped because an earlier statement of the
// pipeline failed. The flush fails with the earlier statement's error.
var ErrNotRun = dialect.ErrNotRun

// pipeline holds the statements of a flush whose results the flush only
// checks (rows affected), to send them together as one pgx batch: one
// round trip for the lot instead of one each. It is used only on
// PostgreSQL through pgx stdlib, in a transaction the session holds on a
// connection of its own (see pipelineOn).
type pipeline struct {
	own   *sql.Conn
	queue []queued
	// filling are the objects whose generated columns a queued INSERT …
	// RETURNING will fill: a statement that needs their keys waits for
	// the queue to be sent (see needKeys).
	filling map[unsafe.Pointer]bool
}

// queued is one statement waiting in a pipeline, with the check that turns
// its result into the flush's error (the same FlushError the statement
// would give if it ran alone). A statement that returns rows has row,
// called with each row's Scan; its result's RowsAffected is then the
// number of rows read.
type queued struct {
	q     string
	args  []any
	row   func(scan func(...any) error) error
	check func(sql.Result, error) error
}

// pipeResult is the sql.Result of a pipelined statement.
type pipeResult int64

func (n pipeResult) RowsAffected() (int64, error) { return int64(n), nil }
func (pipeResult) LastInsertId() (int64, error) {
	return 0, errors.New("orm: LastInsertId is not available on PostgreSQL")
}

// pipelineOn returns a pipeline on the session transaction's own
// connection when its driver connection is pgx's, else nil (the statements
// then run one by one: lib/pq, MySQL, SQLite, or a wrapping driver).
func (db *DB) pipelineOn(t *txState) *pipeline {
	if t == nil || t.conn == nil || db.copyDriver() != copyPgx {
		return nil
	}
	bd, can := db.bulkDriver(), false
	_ = t.conn.Raw(func(dc any) error {
		can = bd.CanPipeline(dc)
		return nil
	})
	if !can {
		return nil
	}
	return &pipeline{own: t.conn}
}

// execCheck runs a statement whose result the flush only checks: check
// gets its result and error and returns the flush's error. In a pipeline
// the statement is queued and checked when the pipeline is sent (sync);
// else it runs now.
func (r *runner) execCheck(ctx context.Context, q string, args []any, check func(sql.Result, error) error) error {
	if r.pipe == nil {
		res, err := r.exec(ctx, q, args...)
		return check(res, err)
	}
	r.pipe.queue = append(r.pipe.queue, queued{q: q, args: args, check: check})
	if len(r.pipe.queue) >= maxPipelined {
		return r.sync(ctx)
	}
	return nil
}

// queryCheck runs a statement that returns rows, calling row with each
// row's Scan, and then check with the number of rows read (as an
// sql.Result) and the error. In a pipeline the statement is queued like
// execCheck's; fills lists the objects its rows are scanned into.
func (r *runner) queryCheck(ctx context.Context, q string, args []any, fills []unsafe.Pointer, row func(scan func(...any) error) error, check func(sql.Result, error) error) error {
	if r.pipe == nil {
		// One method value per result set, not one per row.
		var cur *sql.Rows
		var scan func(...any) error
		n, err := r.query(ctx, q, args, func(rs *sql.Rows) error {
			if rs != cur {
				cur, scan = rs, rs.Scan
			}
			return row(scan)
		})
		return check(pipeResult(n), err)
	}
	if r.pipe.filling == nil {
		r.pipe.filling = map[unsafe.Pointer]bool{}
	}
	for _, p := range fills {
		r.pipe.filling[p] = true
	}
	r.pipe.queue = append(r.pipe.queue, queued{q: q, args: args, row: row, check: check})
	if len(r.pipe.queue) >= maxPipelined {
		return r.sync(ctx)
	}
	return nil
}

// needKeys sends the queue when a queued statement fills the generated
// columns of one of ps, whose values the caller is about to read; with no
// ps, when any queued statement fills objects.
func (r *runner) needKeys(ctx context.Context, ps ...unsafe.Pointer) error {
	if r.pipe == nil || len(r.pipe.filling) == 0 {
		return nil
	}
	if len(ps) == 0 {
		return r.sync(ctx)
	}
	for _, p := range ps {
		if r.pipe.filling[p] {
			return r.sync(ctx)
		}
	}
	return nil
}

// sync sends the queued statements as one batch and checks their results
// in order; it returns the first statement's error, as the statement would
// have returned it alone. The hooks see every statement sent: BeforeQuery
// before the batch, AfterQuery with its own rows and error once the batch
// is read. Statements the database skipped after a failure carry ErrNotRun
// and are not checked.
func (r *runner) sync(ctx context.Context) error {
	if r.pipe == nil || len(r.pipe.queue) == 0 {
		return nil
	}
	qs := r.pipe.queue
	r.pipe.queue, r.pipe.filling = nil, nil
	hctxs := make([]context.Context, len(qs))
	evs := make([]*QueryEvent, len(qs))
	for i, x := range qs {
		op := "exec"
		if x.row != nil {
			op = "query"
		}
		hctxs[i], evs[i] = r.db.before(ctx, op, x.q, x.args, true, NodePrimary)
	}
	tags, errs := r.pipe.send(ctx, r.db.bulkDriver(), qs)
	for i := range qs {
		if errs[i] != nil && errs[i] != ErrNotRun {
			errs[i] = r.db.eng.Classify(hctxs[i], errs[i])
		}
		n := tags[i]
		if errs[i] != nil {
			n = -1
		}
		r.db.after(hctxs[i], evs[i], n, errs[i])
	}
	for i, x := range qs {
		if errs[i] == ErrNotRun {
			continue
		}
		var res sql.Result
		if errs[i] == nil {
			res = pipeResult(tags[i])
		}
		if err := x.check(res, errs[i]); err != nil {
			return err
		}
	}
	return nil
}

// send runs qs as one pipeline of the driver bd on the pipeline's
// connection and returns each statement's rows affected and error. After
// the first failure the database skips the rest (ErrNotRun); a failure
// before anything ran (the transaction is gone, a statement could not be
// prepared or its arguments encoded) is given to the statement it concerns.
func (p *pipeline) send(ctx context.Context, bd dialect.BulkDriver, qs []queued) ([]int64, []error) {
	if err := ctx.Err(); err != nil {
		return notRun(len(qs), err)
	}
	stmts := make([]dialect.PipelinedStatement, len(qs))
	for i, x := range qs {
		stmts[i] = dialect.PipelinedStatement{Query: x.q, Args: x.args, Row: x.row}
	}
	var tags []int64
	var errs []error
	rawErr := p.own.Raw(func(dc any) error {
		tags, errs = bd.Pipeline(ctx, dc, stmts)
		return nil
	})
	if rawErr != nil {
		return notRun(len(qs), rawErr)
	}
	return tags, errs
}

// notRun is the result of a pipeline that failed before it was sent: err
// for the first statement, ErrNotRun for the others.
func notRun(n int, err error) ([]int64, []error) {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = ErrNotRun
	}
	errs[0] = err
	return make([]int64, n), errs
}
