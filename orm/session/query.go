package session

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Querier is what queries run against: a *Session (results resolved
// through its identity map, inside its transaction when one is open) or a
// *DB (plain objects, nothing tracked).
type Querier interface {
	queryTarget() (*DB, *Session)
}

func (db *DB) queryTarget() (*DB, *Session)     { return db, nil }
func (s *Session) queryTarget() (*DB, *Session) { return s.db, s }

// Query is a typed SELECT over the table of T. Builder methods change the
// query and return it; terminal methods (All, One, Count, ...) run it. A
// Query is for one goroutine; use Clone to branch one.
type Query[T any] struct {
	db      *DB
	s       *Session
	sel     *query.Select
	err     error
	preload []string
}

// Preload loads the named relations (nested with dots: "Team.Heroes") of
// the results of All, First, One and OneOrNone, one query per relation and
// level. It needs a *Session (loaded objects go through its identity map);
// on a *DB the terminal returns an error. A path naming no relation, at
// any level, is an ErrInvalidArgument that every terminal returns before
// sending any SQL (autoflush included), whether or not rows would match.
func (q *Query[T]) Preload(paths ...string) *Query[T] {
	if q.err == nil && q.sel != nil {
		q.err = checkPreloadPaths(q.sel.Model, paths)
	}
	q.preload = append(q.preload, paths...)
	return q
}

// afterLoad runs the query's preloads on its results.
func (q *Query[T]) afterLoad(ctx context.Context, out []*T) error {
	if len(q.preload) == 0 {
		return nil
	}
	if q.s == nil {
		return invalid("Preload needs a Session, not a DB")
	}
	if len(out) == 0 {
		return nil
	}
	return q.s.preload(ctx, q.sel.Model, ptrs(out), q.preload)
}

// checkPreloadPaths reports a path of Preload naming no relation, at any
// level ("Team.Headquarters.City").
func checkPreloadPaths(m *schema.Model, paths []string) error {
	for _, p := range paths {
		cur := m
		for rest, more := p, true; more; {
			var name string
			name, rest, more = cutPath(rest)
			rel, ok := cur.Relation(name)
			if !ok {
				return fmt.Errorf("%w: Preload(%q): %s has no relation %q", ErrInvalidArgument, p, cur.Name, name)
			}
			cur = rel.Target
		}
	}
	return nil
}

// Select starts a query for model T on a *Session or a *DB.
func Select[T any](q Querier) *Query[T] {
	out := &Query[T]{}
	if q == nil || reflect.ValueOf(q).IsNil() {
		out.err = invalid("Select on a nil Session or DB")
		return out
	}
	out.db, out.s = q.queryTarget()
	if reflect.TypeFor[T]().Kind() != reflect.Struct {
		out.err = fmt.Errorf("%w: Select[%s]: the type parameter must be a model struct, not a pointer or other type", ErrUnmapped, reflect.TypeFor[T]())
		return out
	}
	m, ok := out.db.registry.Lookup(reflect.TypeFor[T]())
	if !ok {
		out.err = fmt.Errorf("%w: %s is not registered (call db.Register or db.CreateAll with it)", ErrUnmapped, reflect.TypeFor[T]())
		return out
	}
	out.sel = query.New(m, out.db.registry.Table)
	return out
}

// Clone returns an independent copy of the query.
func (q *Query[T]) Clone() *Query[T] {
	c := *q
	if q.sel != nil {
		c.sel = q.sel.Clone()
	}
	c.preload = append([]string(nil), q.preload...)
	return &c
}

// Where adds a SQL condition with '?' placeholders (rebound for the
// dialect; a slice argument expands for IN (?), except []byte, which is one
// value: use query.List or query.ListOf for a list of bytes). An empty list
// in IN (?) is false, in NOT IN (?) true. Conditions are ANDed.
func (q *Query[T]) Where(sql string, args ...any) *Query[T] {
	if q.sel != nil {
		q.sel.Where(query.Raw(sql, args...))
	}
	return q
}

// Filter adds typed conditions such as query.Col("age").Gt(30); column
// names are checked against the model.
func (q *Query[T]) Filter(conds ...query.Expr) *Query[T] {
	if q.sel != nil {
		for _, c := range conds {
			q.sel.Where(c)
		}
	}
	return q
}

// OrderBy sorts by columns (column or Go field names); "-name" or
// "name DESC" sorts descending, "name" or "name ASC" ascending (direction
// in any case). Unknown names are an error when the query runs.
func (q *Query[T]) OrderBy(cols ...string) *Query[T] {
	if q.sel != nil {
		q.sel.OrderBy(cols...)
	}
	return q
}

// Asc sorts ascending by col.
func (q *Query[T]) Asc(col string) *Query[T] {
	if q.sel != nil {
		q.sel.OrderDir(col, false)
	}
	return q
}

// Desc sorts descending by col.
func (q *Query[T]) Desc(col string) *Query[T] {
	if q.sel != nil {
		q.sel.OrderDir(col, true)
	}
	return q
}

// Limit limits the number of rows (All, First, One, Count and Exists all
// honour it); a negative n removes the limit.
func (q *Query[T]) Limit(n int) *Query[T] {
	if q.sel != nil {
		q.sel.Limit(int64(n))
	}
	return q
}

// AllRows lets Update and Delete change every row of the table; without
// it, an Update or Delete without conditions (Where, Filter) fails with
// ErrMissingWhere and sends nothing. It changes nothing else.
func (q *Query[T]) AllRows() *Query[T] {
	if q.sel != nil {
		q.sel.AllRows()
	}
	return q
}

// Offset skips rows.
func (q *Query[T]) Offset(n int) *Query[T] {
	if q.sel != nil {
		q.sel.Offset(int64(n))
	}
	return q
}

// Distinct removes duplicate rows.
func (q *Query[T]) Distinct() *Query[T] {
	if q.sel != nil {
		q.sel.Distinct()
	}
	return q
}

// Join adds an INNER JOIN of a registered table ON a condition (typically
// query.Raw with qualified column names).
func (q *Query[T]) Join(table string, on query.Expr) *Query[T] {
	if q.sel != nil {
		q.sel.Join(table, on)
	}
	return q
}

// LeftJoin adds a LEFT JOIN of a registered table ON a condition.
func (q *Query[T]) LeftJoin(table string, on query.Expr) *Query[T] {
	if q.sel != nil {
		q.sel.LeftJoin(table, on)
	}
	return q
}

// GroupBy groups by columns.
func (q *Query[T]) GroupBy(cols ...string) *Query[T] {
	if q.sel != nil {
		q.sel.GroupBy(cols...)
	}
	return q
}

// Having adds a HAVING condition with '?' placeholders.
func (q *Query[T]) Having(sql string, args ...any) *Query[T] {
	if q.sel != nil {
		q.sel.Having(query.Raw(sql, args...))
	}
	return q
}

// ForUpdate locks the selected rows (query.SkipLocked or query.NoWait as an
// option); inside a session it runs in the session's transaction, opening
// one if needed. It is an error on SQLite.
func (q *Query[T]) ForUpdate(mode ...query.Lock) *Query[T] {
	if q.sel != nil {
		l := query.Wait
		if len(mode) > 0 {
			l = mode[0]
		}
		q.sel.ForUpdate(l)
	}
	return q
}

// Build renders the statement without running it.
func (q *Query[T]) Build() (string, []any, error) {
	if q.err != nil {
		return "", nil, q.err
	}
	return q.sel.Build(q.db.dialect)
}

// prepare checks the query, autoflushes and returns the connection to use.
func (q *Query[T]) prepare(ctx context.Context) (conn, bool, error) {
	if q.err != nil {
		return nil, false, q.err
	}
	if q.s == nil {
		return q.db.x, false, nil
	}
	if q.s.closed {
		return nil, false, ErrSessionClosed
	}
	if err := q.s.autoFlush(ctx); err != nil {
		return nil, false, err
	}
	if q.sel.Locks() && q.s.tx == nil {
		if err := q.s.begin(context.WithoutCancel(ctx), q.s.cfg.TxOptions); err != nil {
			return nil, false, err
		}
	}
	c, inTx := q.s.conn()
	return c, inTx, nil
}

// prepareRead is prepare for reads: outside a transaction they may run on
// a replica (see readerFor); row-locking reads stay on the primary.
func (q *Query[T]) prepareRead(ctx context.Context) (conn, bool, error) {
	c, inTx, err := q.prepare(ctx)
	if err != nil || inTx || q.sel.Locks() {
		return c, inTx, err
	}
	return q.db.readerFor(ctx, q.s, c), false, nil
}

// run executes the SELECT and calls each with every resolved object.
func (q *Query[T]) run(ctx context.Context, sqlText string, args []any, each func(*T) error) error {
	c, inTx, err := q.prepareRead(ctx)
	if err != nil {
		return err
	}
	return q.runOn(ctx, c, inTx, sqlText, args, each)
}

// runOn is run on a connection already chosen.
func (q *Query[T]) runOn(ctx context.Context, c conn, inTx bool, sqlText string, args []any, each func(*T) error) error {
	m := q.sel.Model
	sc := q.db.getScanner(m)
	defer q.db.putScanner(sc)
	_, err := q.db.query(ctx, c, inTx, sqlText, args, func(rows *sql.Rows) error {
		return q.scanRow(ctx, m, sc, rows, each)
	})
	return err
}

// scanRow scans the current row into a new object, resolves it and passes
// it on.
func (q *Query[T]) scanRow(ctx context.Context, m *schema.Model, sc *rowScanner, rows *sql.Rows, each func(*T) error) error {
	p, err := sc.scan(rows)
	if err != nil {
		return err
	}
	out, err := q.resolve(ctx, m, p)
	if err != nil {
		return err
	}
	return each((*T)(out))
}

// resolve passes a scanned row through the identity map (session) or the
// AfterLoad hook (DB).
func (q *Query[T]) resolve(ctx context.Context, m *schema.Model, p unsafe.Pointer) (unsafe.Pointer, error) {
	if q.s == nil {
		return p, modelHook(ctx, m, p, schema.HookAfterLoad)
	}
	return q.s.resolveLoaded(ctx, m, p)
}

// All returns every matching object.
func (q *Query[T]) All(ctx context.Context) ([]*T, error) {
	if err := q.enter("Query.All"); err != nil {
		return nil, err
	}
	defer q.exit()
	return q.all(ctx)
}

// enter takes the guard of the query's session, if it runs on one, for
// the terminal op; exit gives it back.
func (q *Query[T]) enter(op string) error { return q.s.enter(op) }

func (q *Query[T]) exit() { q.s.exit() }

func (q *Query[T]) all(ctx context.Context) ([]*T, error) {
	s, args, err := q.Build()
	if err != nil {
		return nil, err
	}
	var out []*T
	if q.s != nil && !q.s.im.weak {
		out, err = q.allTracked(ctx, s, args)
	} else {
		err = q.run(ctx, s, args, func(t *T) error { out = append(out, t); return nil })
	}
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []*T{}
	}
	if err := q.afterLoad(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// First returns the first matching object (LIMIT 1, after the query's
// Offset; with Limit(0) there is none), or ErrNotFound.
func (q *Query[T]) First(ctx context.Context) (*T, error) {
	if err := q.enter("Query.First"); err != nil {
		return nil, err
	}
	defer q.exit()
	rows, err := q.limited(ctx, 1)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no %s matches", ErrNotFound, q.modelName())
	}
	return rows[0], nil
}

// limited returns up to n objects with LIMIT n, within the query's own
// LIMIT when it has a smaller one (its OFFSET applies as set): every row is
// returned (see resolveLoaded), so one LIMIT is all it takes.
func (q *Query[T]) limited(ctx context.Context, n int64) ([]*T, error) {
	if q.sel == nil {
		return q.all(ctx) // reports the builder's error
	}
	// The query's own LIMIT is put back afterwards (rather than running a
	// clone: two allocations fewer on every First and One).
	saved := q.sel.LimitValue()
	defer q.sel.Limit(saved)
	if saved >= 0 && saved < n {
		n = saved
	}
	q.sel.Limit(n)
	return q.all(ctx)
}

// One returns the only matching object: ErrNotFound when there is none,
// ErrMultipleRows when there are several. It reads at most two rows, within
// the query's Limit and Offset: with Limit(1) a second row is never seen.
func (q *Query[T]) One(ctx context.Context) (*T, error) {
	if err := q.enter("Query.One"); err != nil {
		return nil, err
	}
	defer q.exit()
	t, err := q.oneOrNone(ctx)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, fmt.Errorf("%w: no %s matches", ErrNotFound, q.modelName())
	}
	return t, nil
}

// OneOrNone returns the only matching object, nil when there is none, and
// ErrMultipleRows when there are several.
func (q *Query[T]) OneOrNone(ctx context.Context) (*T, error) {
	if err := q.enter("Query.OneOrNone"); err != nil {
		return nil, err
	}
	defer q.exit()
	return q.oneOrNone(ctx)
}

func (q *Query[T]) oneOrNone(ctx context.Context) (*T, error) {
	rows, err := q.limited(ctx, 2)
	if err != nil {
		return nil, err
	}
	switch len(rows) {
	case 0:
		return nil, nil
	case 1:
		return rows[0], nil
	}
	return nil, fmt.Errorf("%w: more than one %s matches", ErrMultipleRows, q.modelName())
}

func (q *Query[T]) modelName() string {
	if q.sel == nil {
		return reflect.TypeFor[T]().String()
	}
	return q.sel.Model.Name
}

// Count returns the number of rows All would return (ORDER BY ignored):
// with Limit or Offset, the rows of that window. To count every match,
// count the query without them (Clone().Limit(-1).Offset(0)).
func (q *Query[T]) Count(ctx context.Context) (int64, error) {
	if err := q.enter("Query.Count"); err != nil {
		return 0, err
	}
	defer q.exit()
	if q.err != nil {
		return 0, q.err
	}
	s, args, err := q.sel.BuildCount(q.db.dialect)
	if err != nil {
		return 0, err
	}
	var n int64
	err = q.scalar(ctx, s, args, &n)
	return n, err
}

// Exists reports whether All would return a row: within Limit and Offset
// when set (Limit(0) never has one).
func (q *Query[T]) Exists(ctx context.Context) (bool, error) {
	if err := q.enter("Query.Exists"); err != nil {
		return false, err
	}
	defer q.exit()
	if q.err != nil {
		return false, q.err
	}
	s, args, err := q.sel.BuildExists(q.db.dialect)
	if err != nil {
		return false, err
	}
	c, inTx, err := q.prepareRead(ctx)
	if err != nil {
		return false, err
	}
	n, err := q.db.query(ctx, c, inTx, s, args, func(*sql.Rows) error { return nil })
	return n > 0, err
}

func (q *Query[T]) scalar(ctx context.Context, s string, args []any, dest any) error {
	c, inTx, err := q.prepareRead(ctx)
	if err != nil {
		return err
	}
	_, err = q.db.query(ctx, c, inTx, s, args, func(rows *sql.Rows) error { return rows.Scan(dest) })
	return err
}

// Iter streams matching objects without loading them all; stop early by
// breaking out of the loop, which releases the connection. An error ends
// the sequence as its last element. On a session, Iter holds the
// session's guard while it reads rows but not while the loop body runs, so
// the body may use the session (Get, Add, ...).
func (q *Query[T]) Iter(ctx context.Context) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if err := q.enter("Query.Iter"); err != nil {
			yield(nil, err)
			return
		}
		held := true
		defer func() {
			if held {
				q.exit()
			}
		}()
		s, args, err := q.Build()
		if err != nil {
			held = false
			q.exit()
			yield(nil, err)
			return
		}
		stopped := false
		err = q.iterate(ctx, s, args, func(t *T) error {
			held = false
			q.exit()
			if !yield(t, nil) {
				// The rows are closed without the guard: they are the
				// iteration's own, not the session's state.
				stopped = true
				return errStop
			}
			if err := q.enter("Query.Iter"); err != nil {
				return err
			}
			held = true
			return nil
		})
		if held {
			held = false
			q.exit()
		}
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// Scalars returns one column of the matching rows, converted to V.
func Scalars[V, T any](ctx context.Context, q *Query[T], col string) ([]V, error) {
	if q == nil {
		return nil, invalid("Scalars of a nil query")
	}
	if err := q.enter("Scalars"); err != nil {
		return nil, err
	}
	defer q.exit()
	if q.err != nil {
		return nil, q.err
	}
	s, args, err := q.sel.BuildColumns(q.db.dialect, []string{col})
	if err != nil {
		return nil, err
	}
	c, inTx, err := q.prepareRead(ctx)
	if err != nil {
		return nil, err
	}
	out := []V{}
	_, err = q.db.query(ctx, c, inTx, s, args, func(rows *sql.Rows) error {
		var v V
		if err := rows.Scan(&v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

func (s *Session) tracks(m *schema.Model) bool {
	for _, e := range s.im.byPtr.All() {
		if e.model == m {
			return true
		}
	}
	return false
}
