package query

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Lock is a row-locking mode for ForUpdate.
type Lock uint8

// Row-locking modes.
const (
	Wait       Lock = iota // FOR UPDATE
	SkipLocked             // FOR UPDATE SKIP LOCKED
	NoWait                 // FOR UPDATE NOWAIT
)

type order struct {
	col  string
	desc bool
}

type join struct {
	kind  string
	table string
	on    Expr
}

// Select is a SELECT over one model's table.
type Select struct {
	Model    *schema.Model
	Tables   Tables
	where    []Expr
	orders   []order
	limit    int64
	offset   int64
	distinct bool
	joins    []join
	groupBy  []string
	having   []Expr
	lock     *Lock
	// allRows lets a set-based Update or Delete without conditions run.
	allRows bool
}

// New returns a SELECT of every column of m. tables resolves joined tables
// (nil when joins are not used).
func New(m *schema.Model, tables Tables) *Select { return &Select{Model: m, Tables: tables, limit: -1} }

// Clone returns an independent copy.
func (q *Select) Clone() *Select {
	c := *q
	c.where = append([]Expr(nil), q.where...)
	c.orders = append([]order(nil), q.orders...)
	c.joins = append([]join(nil), q.joins...)
	c.groupBy = append([]string(nil), q.groupBy...)
	c.having = append([]Expr(nil), q.having...)
	return &c
}

// Where adds a condition (ANDed with the others).
func (q *Select) Where(e Expr) { q.where = append(q.where, e) }

// OrderBy adds sort columns: "name" or "name ASC" sorts ascending, "-name"
// or "name DESC" descending (the direction in any case, after one or more
// spaces). What remains must be a column, or building fails with
// ErrUnknownColumn.
func (q *Select) OrderBy(cols ...string) {
	for _, c := range cols {
		q.orders = append(q.orders, parseOrder(c))
	}
}

// parseOrder splits a sort term into its column and direction. Only a
// leading '-' or a trailing ASC or DESC word is taken off; anything else
// stays part of the name, which then resolves or is refused.
func parseOrder(c string) order {
	if strings.HasPrefix(c, "-") {
		return order{c[1:], true}
	}
	i := strings.LastIndexAny(c, " \t\r\n")
	if i < 0 {
		return order{c, false}
	}
	name := strings.TrimRight(c[:i], " \t\r\n")
	switch dir := c[i+1:]; {
	case name == "":
	case strings.EqualFold(dir, "asc"):
		return order{name, false}
	case strings.EqualFold(dir, "desc"):
		return order{name, true}
	}
	return order{c, false}
}

// OrderDir adds one sort column with an explicit direction.
func (q *Select) OrderDir(col string, desc bool) { q.orders = append(q.orders, order{col, desc}) }

// Limit sets LIMIT; a negative n removes it.
func (q *Select) Limit(n int64) { q.limit = n }

// LimitValue returns the LIMIT set, or a negative number when there is none.
func (q *Select) LimitValue() int64 { return q.limit }

// Offset sets OFFSET.
func (q *Select) Offset(n int64) { q.offset = max(0, n) }

// AllRows lets a set-based Update or Delete without conditions change every
// row; without it they fail with ErrMissingWhere.
func (q *Select) AllRows() { q.allRows = true }

// Distinct makes it SELECT DISTINCT.
func (q *Select) Distinct() { q.distinct = true }

// Join adds an INNER JOIN of table ON cond.
func (q *Select) Join(table string, on Expr) { q.joins = append(q.joins, join{"JOIN", table, on}) }

// LeftJoin adds a LEFT JOIN of table ON cond.
func (q *Select) LeftJoin(table string, on Expr) {
	q.joins = append(q.joins, join{"LEFT JOIN", table, on})
}

// GroupBy adds GROUP BY columns.
func (q *Select) GroupBy(cols ...string) { q.groupBy = append(q.groupBy, cols...) }

// Having adds a HAVING condition.
func (q *Select) Having(e Expr) { q.having = append(q.having, e) }

// ForUpdate adds a row-locking clause.
func (q *Select) ForUpdate(l Lock) { q.lock = &l }

// Locks reports whether the statement locks rows.
func (q *Select) Locks() bool { return q.lock != nil }

func (q *Select) builder(d dialect.Dialect) (*Builder, error) {
	var joined []*schema.Model
	for _, j := range q.joins {
		if q.Tables == nil {
			return nil, argErrorf("orm/query: join of %q without a table registry", j.table)
		}
		m, ok := q.Tables(j.table)
		if !ok {
			return nil, argErrorf("orm/query: join of unknown table %q", j.table)
		}
		joined = append(joined, m)
	}
	return newBuilder(d, q.Model, joined, q.Tables), nil
}

// Build renders the SELECT of all the model's columns.
func (q *Select) Build(d dialect.Dialect) (string, []any, error) {
	return q.build(d, nil, true)
}

// BuildColumns renders a SELECT of the given columns only.
func (q *Select) BuildColumns(d dialect.Dialect, cols []string) (string, []any, error) {
	return q.build(d, cols, true)
}

func (q *Select) build(d dialect.Dialect, cols []string, full bool) (string, []any, error) {
	b, err := q.builder(d)
	if err != nil {
		return "", nil, err
	}
	b.raw("SELECT ")
	if q.distinct {
		b.raw("DISTINCT ")
	}
	if cols == nil && !b.qualify {
		b.b.Grow(128)
		b.raw(quoted(d, q.Model).columns)
	} else if cols == nil {
		for i, f := range q.Model.Fields {
			if i > 0 {
				b.raw(", ")
			}
			if b.qualify {
				b.raw(d.Quote(q.Model.Table) + ".")
			}
			b.raw(d.Quote(f.Column))
		}
	} else {
		for i, c := range cols {
			if i > 0 {
				b.raw(", ")
			}
			if err := b.column(c); err != nil {
				return "", nil, err
			}
		}
	}
	if err := q.from(b); err != nil {
		return "", nil, err
	}
	if full {
		if err := q.tail(b); err != nil {
			return "", nil, err
		}
	}
	return b.SQL(), b.Args(), nil
}

// from writes FROM, joins, WHERE, GROUP BY and HAVING.
func (q *Select) from(b *Builder) error {
	d := b.d
	b.raw(" FROM ")
	b.raw(quoted(d, q.Model).table)
	for i, j := range q.joins {
		b.raw(" " + j.kind + " " + d.Quote(b.joined[i].Table) + " ON ")
		if err := j.on.build(b); err != nil {
			return err
		}
	}
	if err := conds(b, " WHERE ", q.where); err != nil {
		return err
	}
	if len(q.groupBy) > 0 {
		b.raw(" GROUP BY ")
		for i, c := range q.groupBy {
			if i > 0 {
				b.raw(", ")
			}
			if err := b.column(c); err != nil {
				return err
			}
		}
	}
	return conds(b, " HAVING ", q.having)
}

func conds(b *Builder, kw string, es []Expr) error {
	for i, e := range es {
		if i == 0 {
			b.raw(kw)
		} else {
			b.raw(" AND ")
		}
		if err := e.build(b); err != nil {
			return err
		}
	}
	return nil
}

// tail writes ORDER BY, LIMIT, OFFSET and the lock clause.
func (q *Select) tail(b *Builder) error {
	d := b.d
	for i, o := range q.orders {
		if i == 0 {
			b.raw(" ORDER BY ")
		} else {
			b.raw(", ")
		}
		if err := b.column(o.col); err != nil {
			return err
		}
		if o.desc {
			b.raw(" DESC")
		} else {
			b.raw(" ASC")
		}
	}
	b.raw(d.LimitOffset(q.limit, q.offset))
	if q.lock != nil {
		clause, err := d.LockClause(*q.lock == SkipLocked, *q.lock == NoWait)
		if err != nil {
			return err
		}
		b.raw(" " + clause)
	}
	return nil
}

// BuildCount renders SELECT COUNT(*) of the rows the query would return,
// ignoring ORDER BY and the lock clause. With a LIMIT or OFFSET it counts
// the rows of that window (a subquery keeps them), as All would return
// them: Limit(2) counts at most 2.
func (q *Select) BuildCount(d dialect.Dialect) (string, []any, error) {
	if q.windowed() || q.distinct && len(q.groupBy) == 0 {
		s, args, err := q.window(d)
		if err != nil {
			return "", nil, err
		}
		return "SELECT COUNT(*) FROM (" + s + ") AS " + d.Quote("sqlm_count"), args, nil
	}
	b, err := q.builder(d)
	if err != nil {
		return "", nil, err
	}
	if len(q.groupBy) > 0 {
		// One row per group. The inner SELECT must not name ungrouped
		// columns (PostgreSQL and ONLY_FULL_GROUP_BY refuse them), and
		// groups are distinct already, so DISTINCT changes nothing.
		b.raw("SELECT COUNT(*) FROM (SELECT 1 AS " + d.Quote("sqlm_one"))
		if err := q.from(b); err != nil {
			return "", nil, err
		}
		b.raw(") AS " + d.Quote("sqlm_count"))
		return b.SQL(), b.Args(), nil
	}
	b.raw("SELECT COUNT(*)")
	if err := q.from(b); err != nil {
		return "", nil, err
	}
	return b.SQL(), b.Args(), nil
}

// windowed reports a LIMIT or an OFFSET.
func (q *Select) windowed() bool { return q.limit >= 0 || q.offset > 0 }

// window renders the rows of the query for counting in a subquery, with
// LIMIT and OFFSET but without ORDER BY (which does not change how many
// rows a window holds) or lock: one constant column per row, or every
// column under DISTINCT (which counts distinct rows).
func (q *Select) window(d dialect.Dialect) (string, []any, error) {
	inner := q.Clone()
	inner.orders, inner.lock = nil, nil
	if inner.distinct && len(inner.groupBy) == 0 {
		return inner.Build(d)
	}
	b, err := inner.builder(d)
	if err != nil {
		return "", nil, err
	}
	b.raw("SELECT 1 AS " + d.Quote("sqlm_one"))
	if err := inner.from(b); err != nil {
		return "", nil, err
	}
	if err := inner.tail(b); err != nil {
		return "", nil, err
	}
	return b.SQL(), b.Args(), nil
}

// BuildExists renders a SELECT 1 ... LIMIT 1 of the query's rows. With a
// LIMIT or OFFSET it looks within that window, as All would return it:
// Limit(0) never has a row, Offset(n) needs more than n rows.
func (q *Select) BuildExists(d dialect.Dialect) (string, []any, error) {
	if q.windowed() {
		s, args, err := q.window(d)
		if err != nil {
			return "", nil, err
		}
		return "SELECT 1 FROM (" + s + ") AS " + d.Quote("sqlm_exists") + " LIMIT 1", args, nil
	}
	b, err := q.builder(d)
	if err != nil {
		return "", nil, err
	}
	b.raw("SELECT 1")
	if err := q.from(b); err != nil {
		return "", nil, err
	}
	b.raw(" LIMIT 1")
	return b.SQL(), b.Args(), nil
}

func (q *Select) setBased(op string) error {
	if len(q.joins) > 0 || len(q.groupBy) > 0 || q.distinct || q.limit >= 0 || q.offset > 0 || len(q.orders) > 0 {
		return fmt.Errorf("orm/query: %s by query takes only Where conditions (no joins, grouping, ordering, limit or offset)", op)
	}
	return nil
}

// needWhere refuses a set-based statement without conditions unless
// AllRows was called.
func (q *Select) needWhere(op string) error {
	if len(q.where) == 0 && !q.allRows {
		return fmt.Errorf("%w: %s would change every row of %s (add a condition, or call AllRows to mean every row)", ErrMissingWhere, op, q.Model.Table)
	}
	return nil
}

// BuildUpdate renders UPDATE ... SET col = ? ... WHERE (the query's
// conditions). Columns are set in sorted order; unknown columns are an
// error, and so is a query without conditions (ErrMissingWhere) unless
// AllRows was called.
func (q *Select) BuildUpdate(d dialect.Dialect, set map[string]any) (string, []any, []*schema.Field, error) {
	if err := q.setBased("Update"); err != nil {
		return "", nil, nil, err
	}
	if len(set) == 0 {
		return "", nil, nil, argErrorf("orm/query: Update with no columns")
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	b := newBuilder(d, q.Model, nil, nil)
	b.raw("UPDATE " + d.Quote(q.Model.Table) + " SET ")
	var fields []*schema.Field
	for i, n := range names {
		_, f, err := b.resolve(n)
		if err != nil {
			return "", nil, nil, err
		}
		if i > 0 {
			b.raw(", ")
		}
		b.raw(d.Quote(f.Column) + " = ")
		b.arg(set[n])
		fields = append(fields, f)
	}
	if err := q.needWhere("Update"); err != nil {
		return "", nil, nil, err
	}
	if err := conds(b, " WHERE ", q.where); err != nil {
		return "", nil, nil, err
	}
	return b.SQL(), b.Args(), fields, nil
}

// BuildDelete renders DELETE FROM ... WHERE (the query's conditions); a
// query without conditions is ErrMissingWhere unless AllRows was called.
func (q *Select) BuildDelete(d dialect.Dialect) (string, []any, error) {
	if err := q.setBased("Delete"); err != nil {
		return "", nil, err
	}
	if err := q.needWhere("Delete"); err != nil {
		return "", nil, err
	}
	b := newBuilder(d, q.Model, nil, nil)
	b.raw("DELETE FROM " + d.Quote(q.Model.Table))
	if err := conds(b, " WHERE ", q.where); err != nil {
		return "", nil, err
	}
	return b.SQL(), b.Args(), nil
}
