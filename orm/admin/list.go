package admin

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// listPage is what the list template shows.
type listPage struct {
	Params  *listParams
	Columns []*column
	Headers []header
	Rows    []listRow
	Count   int64
	// More reports that the count stopped at countCap: there are more rows.
	More      bool
	Next      template.URL // "?query" of the next page, "" on the last
	First     template.URL // "?query" of the first page
	Filters   []filterInput
	Query     template.URL // "?query": the parameters that shape the result
	CanCreate bool
	CanDelete bool
	CanExport bool
	Saved     string
	Deleted   string
}

// listRow is one row of a list page.
type listRow struct {
	Key   string
	Cells []cell
}

// filterInput is one filter control of a list page.
type filterInput struct {
	Col     *column
	Kind    string // "choice", "fk", "picker", "range"
	Value   string
	Min     string
	Max     string
	Options []option
	Picker  *picker // Kind "picker": a foreign key to a table too large for a select
}

// option is one choice of a select.
type option struct {
	Value    string
	Label    string
	Selected bool
}

// list serves GET /{table}.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, m *model) {
	if !h.authorize(w, r, m, ActionList) {
		return
	}
	p, err := m.parseList(r.URL.Query(), h.cfg.pageSize)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s := orm.NewSession(h.db)
	defer s.Close()
	page, err := h.loadList(r.Context(), s, m, p, h.listable(r))
	if errors.Is(err, ErrBadParam) {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		h.internal(w, r, "list", err)
		return
	}
	page.CanCreate = h.allowed(r, m, ActionCreate)
	page.CanDelete = h.allowed(r, m, ActionDelete)
	page.CanExport = h.allowed(r, m, ActionExport)
	for _, f := range page.Filters {
		if f.Picker != nil {
			f.Picker.Base = basePath(r)
		}
	}
	page.Saved = r.URL.Query().Get("saved")
	page.Deleted = r.URL.Query().Get("deleted")
	h.render(w, r, http.StatusOK, "list", pageData{Model: m, Page: page})
}

// loadList runs the statements of a list page: the count, the page, one
// batch per foreign-key column shown (the related rows) and one per
// foreign-key filter (its choices; a set picker filter adds one for the
// chosen row's name). Their number does not depend on the
// page size.
func (h *Handler) loadList(ctx context.Context, s *orm.Session, m *model, p *listParams, may func(*model) bool) (*listPage, error) {
	page := &listPage{Params: p, Columns: m.list, Headers: headers(m, p), Query: queryURL(p.values)}
	n, err := m.ops.count(ctx, s, p.where, countCap+1)
	if err != nil {
		return nil, err
	}
	page.Count, page.More = min(n, countCap), n > countCap
	where, offset := p.where, 0
	if p.After != "" {
		cond, err := p.afterCondition(m)
		if err != nil {
			return nil, err
		}
		where = append(where[:len(where):len(where)], cond)
	} else if !p.keyset() {
		offset = p.Page * p.Size
	}
	objs, err := m.ops.find(ctx, s, where, p.order(m), p.Size+1, offset)
	if err != nil {
		return nil, err
	}
	more := len(objs) > p.Size
	if more {
		objs = objs[:p.Size]
	}
	refs, err := loadRefs(ctx, s, m.list, m, objs, may)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		page.Rows = append(page.Rows, m.row(o, m.list, refs))
	}
	page.First, page.Next = queryURL(p.values), ""
	if more {
		next := cloneValues(p.values)
		if p.keyset() {
			next.Set("after", p.cursorOf(m, objs[len(objs)-1]))
		} else {
			next.Set("page", strconv.Itoa(p.Page+1))
		}
		page.Next = queryURL(next)
	}
	page.Filters, err = h.filterInputs(ctx, s, m, p, may)
	return page, err
}

// countCap bounds the count of a list page: counting every row of a large
// table would cost more than the page, so beyond it the page says "more
// than" (the approximate count).
const countCap = 10_000

// refLabels maps, per foreign-key column, the text of a key to the related
// row's display text.
type refLabels map[*column]map[string]string

// loadRefs loads the related rows of the foreign-key columns among cols for
// objs: one SELECT ... WHERE key IN (...) per column, never one per row.
func loadRefs(ctx context.Context, s *orm.Session, cols []*column, m *model, objs []any, may func(*model) bool) (refLabels, error) {
	out := refLabels{}
	for _, c := range cols {
		if c.ref == nil || !may(c.ref) {
			continue // no labels or links: the cell shows the key
		}
		seen := map[string]bool{}
		var keys []any
		for _, o := range objs {
			v := valueOf(c, o, m)
			if v == nil {
				continue
			}
			if t := formatValue(c.f, v); !seen[t] {
				seen[t] = true
				keys = append(keys, v)
			}
		}
		labels := map[string]string{}
		out[c] = labels
		if len(keys) == 0 {
			continue
		}
		related, err := c.ref.ops.find(ctx, s, []orm.Expr{orm.Col(c.refField.Column).In(keys...)}, nil, -1, 0)
		if err != nil {
			return nil, err
		}
		for _, r := range related {
			v, _ := c.refField.Value(c.ref.pointer(r))
			labels[formatValue(c.refField, v)] = c.ref.display(r)
		}
	}
	return out, nil
}

// row returns the cells of an object.
func (m *model) row(obj any, cols []*column, refs refLabels) listRow {
	row := listRow{Key: m.keyOf(obj)}
	for _, c := range cols {
		v := valueOf(c, obj, m)
		cl := cell{Text: formatValue(c.f, v), Null: v == nil}
		if len(c.choices) > 0 && v != nil {
			cl.Text = c.choiceLabel(cl.Text)
		}
		if labels, ok := refs[c]; c.ref != nil && v != nil && ok {
			if l, ok := labels[cl.Text]; ok {
				cl.Text = l
			}
			cl.Href = c.ref.meta.Table + "/" + url.PathEscape(encodeKey([]string{formatValue(c.f, v)}))
		}
		row.Cells = append(row.Cells, cl)
	}
	return row
}

// maxOptions is the most rows a select offers; a larger related table gets
// a key input instead.
const maxOptions = 200

// filterInputs builds the filter controls, loading the choices of
// foreign-key filters (one statement per foreign-key column, and one more
// for the chosen row's name when the related table is too large for a
// select and the filter is set).
func (h *Handler) filterInputs(ctx context.Context, s *orm.Session, m *model, p *listParams, may func(*model) bool) ([]filterInput, error) {
	set := map[string]string{}
	for _, f := range p.Filters {
		set[f.Col.f.Column+"."+f.Op] = f.Text
	}
	var out []filterInput
	for _, c := range m.list {
		switch filterKind(c) {
		case "range":
			out = append(out, filterInput{Col: c, Kind: "range", Min: set[c.f.Column+".min"], Max: set[c.f.Column+".max"]})
		case "eq":
			in := filterInput{Col: c, Value: set[c.f.Column+".eq"]}
			switch {
			case c.f.Kind == schema.KindBool:
				in.Kind = "choice"
				in.Options = markSelected([]option{{Value: "true", Label: "yes"}, {Value: "false", Label: "no"}}, in.Value)
			case len(c.choices) > 0:
				in.Kind = "choice"
				in.Options = markSelected(c.choiceOptions(), in.Value)
			case c.ref != nil && !may(c.ref):
				in.Kind = "fk" // the key, typed: no options or search
			default:
				opts, err := refOptions(ctx, s, c)
				if err != nil {
					return nil, err
				}
				in.Kind, in.Options = "fk", markSelected(opts, in.Value)
				if opts == nil && c.ref != nil {
					in.Kind, in.Picker = "picker", newPicker(m, c, in.Value)
					in.Picker.Name, in.Picker.List = "f."+c.f.Column, true
					if err := in.Picker.label(ctx, s, c); err != nil {
						return nil, err
					}
				}
			}
			out = append(out, in)
		}
	}
	return out, nil
}

// refOptions returns the rows a foreign-key column may point to, as
// options; nil when the related table has more than maxOptions rows or is
// not in the admin.
func refOptions(ctx context.Context, s *orm.Session, c *column) ([]option, error) {
	if c.ref == nil {
		return nil, nil
	}
	rows, err := c.ref.ops.find(ctx, s, nil, []string{c.refField.Column}, maxOptions+1, 0)
	if err != nil || len(rows) > maxOptions {
		return nil, err
	}
	opts := make([]option, 0, len(rows))
	for _, r := range rows {
		v, _ := c.refField.Value(c.ref.pointer(r))
		opts = append(opts, option{Value: formatValue(c.refField, v), Label: c.ref.display(r)})
	}
	return opts, nil
}

func markSelected(opts []option, v string) []option {
	for i := range opts {
		opts[i].Selected = opts[i].Value == v
	}
	return opts
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// internal logs an unexpected error and answers 500 without its text,
// which may quote bound values.
func (h *Handler) internal(w http.ResponseWriter, r *http.Request, op string, err error) {
	h.db.Logger().Error("orm/admin: "+op, "path", r.URL.Path, "err", err)
	h.fail(w, r, http.StatusInternalServerError, "the database reported an error; it has been logged")
}

// queryURL returns "?" and the encoded values: a URL the templates use as
// is (url.Values.Encode escapes every value).
func queryURL(v url.Values) template.URL { return template.URL("?" + v.Encode()) }
