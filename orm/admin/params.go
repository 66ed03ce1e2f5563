package admin

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ErrBadParam reports a list parameter that names no sortable or filterable
// column, or holds a value of the wrong type: the request is refused with
// 400 and nothing reaches SQL.
var ErrBadParam = errors.New("orm/admin: bad list parameter")

// listParams are the validated parameters of a list page.
type listParams struct {
	Search  string
	Sort    *column
	Desc    bool
	Size    int
	After   string // keyset cursor, an encoded (sort value, key...) tuple
	Page    int    // 0-based page for sorts that cannot use a keyset
	Filters []filter
	where   []orm.Expr
	values  url.Values // the parameters that shape the result, for links
}

// filter is one validated filter: Op is "eq", "min" or "max".
type filter struct {
	Col   *column
	Op    string
	Text  string
	Value any
}

const maxSearch = 200

// sortable reports a column that a list can be sorted on.
func sortable(c *column) bool {
	switch c.f.Kind {
	case schema.KindInt, schema.KindUint, schema.KindFloat, schema.KindBool, schema.KindString, schema.KindTime:
		return !c.hidden && !c.f.JSON
	}
	return false
}

// filterKind returns how a column is filtered: "eq" (bool, enum-like
// columns, foreign keys), "range" (numbers and times) or "" (not filterable).
func filterKind(c *column) string {
	if c.hidden || c.f.JSON || c.f.Version {
		return ""
	}
	switch {
	case c.f.Kind == schema.KindBool, len(c.choices) > 0, c.f.ForeignKey != nil:
		return "eq"
	case c.f.Kind == schema.KindInt, c.f.Kind == schema.KindUint, c.f.Kind == schema.KindFloat, c.f.Kind == schema.KindTime:
		return "range"
	}
	return ""
}

// parseList validates the query string of a list page against the model.
func (m *model) parseList(q url.Values, defaultSize int) (*listParams, error) {
	p := &listParams{Size: defaultSize, values: url.Values{}}
	for name, vs := range q {
		if len(vs) != 1 {
			return nil, fmt.Errorf("%w: %q given %d times", ErrBadParam, name, len(vs))
		}
		if err := m.parseParam(p, name, vs[0]); err != nil {
			return nil, err
		}
	}
	if p.Sort == nil {
		p.Sort = m.byColumn[m.meta.PrimaryKey[0].Column]
	}
	if p.Page > 0 && p.After != "" {
		return nil, fmt.Errorf("%w: page and after together", ErrBadParam)
	}
	if p.Search != "" && len(m.search) > 0 {
		pat := "%" + orm.EscapeLike(p.Search) + "%"
		var or []orm.Expr
		for _, c := range m.search {
			or = append(or, orm.Col(c.f.Column).ILike(pat))
		}
		p.where = append(p.where, orm.Or(or...))
	}
	for _, f := range p.Filters {
		col := orm.Col(f.Col.f.Column)
		switch f.Op {
		case "eq":
			p.where = append(p.where, col.Eq(f.Value))
		case "min":
			p.where = append(p.where, col.Ge(f.Value))
		case "max":
			p.where = append(p.where, col.Le(f.Value))
		}
	}
	return p, nil
}

// parseParam validates one parameter.
func (m *model) parseParam(p *listParams, name, v string) error {
	switch name {
	case "q":
		if len(v) > maxSearch || !utf8.ValidString(v) {
			return fmt.Errorf("%w: search text longer than %d bytes or not UTF-8", ErrBadParam, maxSearch)
		}
		p.Search = strings.TrimSpace(v)
		if p.Search != "" {
			p.values.Set(name, p.Search)
		}
		return nil
	case "sort":
		c := m.byColumn[strings.TrimPrefix(v, "-")]
		if c == nil || !sortable(c) {
			return fmt.Errorf("%w: cannot sort on %q", ErrBadParam, v)
		}
		p.Sort, p.Desc = c, strings.HasPrefix(v, "-")
		p.values.Set(name, v)
		return nil
	case "size":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return fmt.Errorf("%w: size must be 1..%d", ErrBadParam, maxPageSize)
		}
		p.Size = n
		p.values.Set(name, v)
		return nil
	case "after":
		if len(v) > 4096 {
			return fmt.Errorf("%w: cursor too long", ErrBadParam)
		}
		p.After = v
		return nil
	case "page":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return fmt.Errorf("%w: page must be a page number", ErrBadParam)
		}
		p.Page = n
		return nil
	case "saved", "deleted":
		return nil // messages after a redirect
	}
	return m.parseFilter(p, name, v)
}

// parseFilter validates a filter parameter: f.COLUMN (equality),
// f.COLUMN.min and f.COLUMN.max (ranges). An empty value is no filter.
func (m *model) parseFilter(p *listParams, name, v string) error {
	rest, ok := strings.CutPrefix(name, "f.")
	if !ok {
		return fmt.Errorf("%w: unknown parameter %q", ErrBadParam, name)
	}
	colName, op := rest, "eq"
	if base, suffix, cut := strings.Cut(rest, "."); cut {
		colName, op = base, suffix
	}
	c := m.byColumn[colName]
	kind := ""
	if c != nil {
		kind = filterKind(c)
	}
	switch {
	case kind == "":
		return fmt.Errorf("%w: cannot filter on %q", ErrBadParam, colName)
	case kind == "eq" && op != "eq", kind == "range" && op != "min" && op != "max":
		return fmt.Errorf("%w: %q: %s filters take %s", ErrBadParam, name, colName, map[string]string{"eq": "f.COLUMN", "range": "f.COLUMN.min and f.COLUMN.max"}[kind])
	}
	if v == "" {
		return nil
	}
	val, err := parseValue(c.f, v)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadParam, name, err)
	}
	if len(c.choices) > 0 && !c.allows(v) {
		return fmt.Errorf("%w: %s: %q is not one of the choices", ErrBadParam, name, v)
	}
	p.Filters = append(p.Filters, filter{Col: c, Op: op, Text: v, Value: val})
	p.values.Set(name, v)
	return nil
}

// keyset reports whether the list can page by keyset: the sort column is
// NOT NULL (a NULL does not compare).
func (p *listParams) keyset() bool { return !p.Sort.f.Nullable }

// order returns the ORDER BY terms: the sort column, then the primary key
// to make the order total.
func (p *listParams) order(m *model) []string {
	dir := ""
	if p.Desc {
		dir = " DESC"
	}
	out := []string{p.Sort.f.Column + dir}
	for _, f := range m.meta.PrimaryKey {
		if f != p.Sort.f {
			out = append(out, f.Column+dir)
		}
	}
	return out
}

// cursorFields returns the fields of the keyset tuple, in order.
func (p *listParams) cursorFields(m *model) []*schema.Field {
	fs := []*schema.Field{p.Sort.f}
	for _, f := range m.meta.PrimaryKey {
		if f != p.Sort.f {
			fs = append(fs, f)
		}
	}
	return fs
}

// afterCondition returns the condition of the rows after the cursor: the
// tuple (sort, key...) greater (or less, descending) than the cursor's,
// written as nested OR/AND so it works on every database.
func (p *listParams) afterCondition(m *model) (orm.Expr, error) {
	fs := p.cursorFields(m)
	parts, err := decodeKey(p.After, len(fs))
	if err != nil {
		return nil, fmt.Errorf("%w: cursor: %w", ErrBadParam, err)
	}
	vals := make([]any, len(fs))
	for i, f := range fs {
		if vals[i], err = parseValue(f, parts[i]); err != nil {
			return nil, fmt.Errorf("%w: cursor: %w", ErrBadParam, err)
		}
	}
	var cond orm.Expr
	for i := len(fs) - 1; i >= 0; i-- {
		col := orm.Col(fs[i].Column)
		beyond := col.Gt(vals[i])
		if p.Desc {
			beyond = col.Lt(vals[i])
		}
		if cond == nil {
			cond = beyond
			continue
		}
		cond = orm.Or(beyond, orm.And(col.Eq(vals[i]), cond))
	}
	// The leading bound on the sort column alone lets the database range
	// scan its index instead of testing the OR on every row.
	lead := orm.Col(fs[0].Column)
	bound := lead.Ge(vals[0])
	if p.Desc {
		bound = lead.Le(vals[0])
	}
	return orm.And(bound, cond), nil
}

// cursorOf returns the cursor of an object: the text of its keyset tuple.
func (p *listParams) cursorOf(m *model, obj any) string {
	ptr := m.pointer(obj)
	fs := p.cursorFields(m)
	parts := make([]string, len(fs))
	for i, f := range fs {
		v, _ := f.Value(ptr)
		parts[i] = formatValue(f, v)
	}
	return encodeKey(parts)
}
