package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// lookupLimit is the most related rows a lookup lists.
const lookupLimit = 20

// lookupParams are the validated parameters of GET /{table}/lookup.
type lookupParams struct {
	Col  *column // the foreign-key column a row is chosen for
	Q    string  // search text
	Row  string  // the encoded key of the row whose edit form chooses; "" for the new form
	List bool    // the list page's filter chooses
	Part string  // "" (the whole page), "results" (the rows only) or "picker"
	Pick string  // the related key chosen ("picker": the picker re-rendered with it)
}

// picker is the input of a foreign key to a table too large for a select:
// the key as text, the chosen row's name, and a search box that lists
// matching rows (in place with htmx, on the lookup page without).
type picker struct {
	Base    string
	Table   string // the table of the model whose column it is
	Col     string
	Name    string // the input's name: c.COLUMN in forms, f.COLUMN in filters
	Value   string // the key, as typed
	Chosen  string // the related row's name, "" when none
	Missing bool   // a key is given and names no row
	Ref     string // the related model's label
	Row     string
	List    bool
}

// LookupURL returns the lookup route of the picker, with its for, row and
// list parameters.
func (p *picker) LookupURL() string {
	return p.Base + "/" + url.PathEscape(p.Table) + "/lookup?" + p.query().Encode()
}

// query returns the parameters that name the picker.
func (p *picker) query() url.Values {
	v := url.Values{"for": {p.Col}}
	if p.Row != "" {
		v.Set("row", p.Row)
	}
	if p.List {
		v.Set("list", "1")
	}
	return v
}

// ChooseURL returns where choosing key leads without JavaScript: the form
// (or the list page) with the key filled in.
func (p *picker) ChooseURL(key string) string {
	base := p.Base + "/" + url.PathEscape(p.Table)
	switch {
	case p.List:
		return base + "?" + url.Values{"f." + p.Col: {key}}.Encode()
	case p.Row != "":
		return base + "/" + url.PathEscape(p.Row) + "?" + url.Values{"c." + p.Col: {key}}.Encode()
	}
	return base + "/new?" + url.Values{"c." + p.Col: {key}}.Encode()
}

// PickURL returns the htmx request that puts key into the picker.
func (p *picker) PickURL(key string) string {
	v := p.query()
	v.Set("part", "picker")
	v.Set("pick", key)
	return p.Base + "/" + url.PathEscape(p.Table) + "/lookup?" + v.Encode()
}

// newPicker returns the picker of column c holding value; label fills in
// the chosen row's name.
func newPicker(m *model, c *column, value string) *picker {
	return &picker{Table: m.meta.Table, Col: c.f.Column, Name: "c." + c.f.Column, Value: value, Ref: c.ref.label}
}

// label loads the name of the row the picker's key names: one statement,
// none when the key is empty or cannot be a key.
func (p *picker) label(ctx context.Context, s *orm.Session, c *column) error {
	p.Chosen, p.Missing = "", false
	if strings.TrimSpace(p.Value) == "" {
		return nil
	}
	v, err := parseValue(c.refField, p.Value)
	if err != nil {
		p.Missing = true
		return nil
	}
	rows, err := c.ref.ops.find(ctx, s, []orm.Expr{orm.Col(c.refField.Column).Eq(v)}, nil, 1, 0)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		p.Missing = true
		return nil
	}
	p.Chosen = c.ref.display(rows[0])
	return nil
}

// lookupRow is one related row a lookup offers.
type lookupRow struct {
	Key   string // the foreign key's text, as the key input takes it
	Label string
}

// lookupPage is what the lookup templates show.
type lookupPage struct {
	Picker   *picker
	ColLabel string
	Q        string
	Rows     []lookupRow
	More     bool // more rows match than are listed
}

// parseLookup validates the query string of a lookup against the model:
// every parameter known and given once, the column a foreign key to a
// model of the admin, the keys well-formed.
func (m *model) parseLookup(q url.Values) (*lookupParams, error) {
	p := &lookupParams{}
	for name, vs := range q {
		if len(vs) != 1 {
			return nil, fmt.Errorf("%w: %q given %d times", ErrBadParam, name, len(vs))
		}
		v := vs[0]
		switch name {
		case "for":
			c := m.byColumn[v]
			if c == nil || c.ref == nil || c.hidden {
				return nil, fmt.Errorf("%w: %q is not a foreign key to a model of the admin", ErrBadParam, v)
			}
			p.Col = c
		case "q":
			if len(v) > maxSearch || !utf8.ValidString(v) {
				return nil, fmt.Errorf("%w: search text longer than %d bytes or not UTF-8", ErrBadParam, maxSearch)
			}
			p.Q = strings.TrimSpace(v)
		case "row":
			if _, err := m.keyValues(v); err != nil {
				return nil, fmt.Errorf("%w: row: %w", ErrBadParam, err)
			}
			p.Row = v
		case "list":
			if v != "1" {
				return nil, fmt.Errorf("%w: list takes 1", ErrBadParam)
			}
			p.List = true
		case "part":
			if v != "results" && v != "picker" {
				return nil, fmt.Errorf("%w: part is results or picker", ErrBadParam)
			}
			p.Part = v
		case "pick":
			p.Pick = v
		default:
			return nil, fmt.Errorf("%w: unknown parameter %q", ErrBadParam, name)
		}
	}
	return p, p.check()
}

// check refuses combinations that name no form or no row.
func (p *lookupParams) check() error {
	switch {
	case p.Col == nil:
		return fmt.Errorf("%w: for (the foreign-key column) is required", ErrBadParam)
	case p.Row != "" && p.List:
		return fmt.Errorf("%w: row and list together", ErrBadParam)
	case (p.Part == "picker") != (p.Pick != ""):
		return fmt.Errorf("%w: pick goes with part=picker", ErrBadParam)
	}
	if p.Pick != "" {
		if _, err := parseValue(p.Col.refField, p.Pick); err != nil || len(p.Pick) > maxSearch {
			return fmt.Errorf("%w: pick is not a key of %s", ErrBadParam, p.Col.ref.label)
		}
	}
	return nil
}

// lookup serves GET /{table}/lookup: the related rows a foreign-key column
// may be set to, matching q, as a page, as the rows only (htmx) or as the
// picker with a row chosen (htmx). It needs list permission on the related
// model and sends one statement.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request, m *model) {
	p, err := m.parseLookup(r.URL.Query())
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if !h.authorize(w, r, p.Col.ref, ActionList) {
		return
	}
	c := p.Col
	pk := newPicker(m, c, p.Pick)
	pk.Base, pk.Row, pk.List = basePath(r), p.Row, p.List
	if p.List {
		pk.Name = "f." + c.f.Column
	}
	s := orm.NewSession(h.db)
	defer s.Close()
	if p.Part == "picker" {
		if err := pk.label(r.Context(), s, c); err != nil {
			h.internal(w, r, "lookup", err)
			return
		}
		h.renderPart(w, http.StatusOK, "fkpicker", pk)
		return
	}
	page := &lookupPage{Picker: pk, ColLabel: c.label, Q: p.Q}
	if page.Rows, page.More, err = lookupRows(r.Context(), s, c, p.Q); err != nil {
		h.internal(w, r, "lookup", err)
		return
	}
	if p.Part == "results" {
		h.renderPart(w, http.StatusOK, "fkresults", page)
		return
	}
	h.render(w, r, http.StatusOK, "lookup", pageData{Model: m, Page: page})
}

// lookupRows finds the related rows of c matching q: its search columns
// containing q (case-insensitive, LIKE metacharacters literal) or its key
// equal to q; every row when q is empty. At most lookupLimit rows, ordered
// by the first search column and the key; more reports that others match.
func lookupRows(ctx context.Context, s *orm.Session, c *column, q string) ([]lookupRow, bool, error) {
	ref, key := c.ref, c.refField
	var where []orm.Expr
	if q != "" {
		var or []orm.Expr
		pat := "%" + orm.EscapeLike(q) + "%"
		for _, sc := range ref.search {
			or = append(or, orm.Col(sc.f.Column).ILike(pat))
		}
		if v, err := parseValue(key, q); err == nil {
			or = append(or, orm.Col(key.Column).Eq(v))
		}
		if len(or) == 0 {
			return nil, false, nil // nothing can match: no statement
		}
		where = []orm.Expr{orm.Or(or...)}
	}
	var order []string
	if len(ref.search) > 0 && sortable(ref.search[0]) && ref.search[0].f != key {
		order = append(order, ref.search[0].f.Column)
	}
	order = append(order, key.Column)
	objs, err := ref.ops.find(ctx, s, where, order, lookupLimit+1, 0)
	if err != nil {
		return nil, false, err
	}
	more := len(objs) > lookupLimit
	if more {
		objs = objs[:lookupLimit]
	}
	out := make([]lookupRow, len(objs))
	for i, o := range objs {
		v, _ := key.Value(ref.pointer(o))
		out[i] = lookupRow{Key: formatValue(key, v), Label: ref.display(o)}
	}
	return out, more, nil
}
