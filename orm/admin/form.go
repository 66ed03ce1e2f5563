package admin

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// formPage is what the form template shows.
type formPage struct {
	Key       string // "" for a new row
	KeyText   string
	Fields    []formField
	M2M       []m2mField
	Version   string
	Conflict  []conflictValue
	FormError string
	CanDelete bool
	CanSave   bool
}

// formField is one input of a form.
type formField struct {
	Col      *column
	Input    string // "text", "number", "checkbox", "datetime-local", "textarea", "select", "nullbool", "picker"
	Value    string
	Null     bool
	Nullable bool
	NullBox  bool
	ReadOnly bool
	Step     string
	Options  []option
	Picker   *picker // the key input and search of a foreign key to a large table
	Error    string
}

// m2mField is the multi-select of a many-to-many relation.
type m2mField struct {
	Rel     *m2m
	Options []option
	Error   string
}

// conflictValue is a column's value now in the database, shown when
// someone else changed the row since the form was opened.
type conflictValue struct {
	Label string
	Value string
	Mine  string
}

// editable reports whether the form writes the column.
func editable(c *column, isNew bool) bool {
	f := c.f
	switch {
	case c.hidden, c.readOnly, f.Version:
		return false
	case f.PrimaryKey && !isNew:
		return false // a key is not changed through the admin
	case f.AutoIncrement && isNew:
		return false
	}
	return true
}

// inputOf picks the input of a column.
func inputOf(c *column) (input, step string) {
	switch {
	case len(c.choices) > 0, c.ref != nil:
		return "select", ""
	case c.f.JSON || c.f.Kind == schema.KindJSON:
		return "textarea", ""
	}
	switch c.f.Kind {
	case schema.KindBool:
		if c.f.Nullable {
			return "nullbool", ""
		}
		return "checkbox", ""
	case schema.KindInt, schema.KindUint:
		return "number", "1"
	case schema.KindFloat:
		return "number", "any"
	case schema.KindTime:
		return "datetime-local", "0.001"
	}
	return "text", ""
}

// keyInput is the input of a foreign key typed as its key.
func keyInput(c *column) (input, step string) {
	if k := c.refField.Kind; k == schema.KindInt || k == schema.KindUint {
		return "number", "1"
	}
	return "text", ""
}

// buildForm fills the inputs from obj, or from the posted values when the
// form comes back with errors.
func (h *Handler) buildForm(ctx context.Context, s *orm.Session, m *model, obj any, posted url.Values, isNew bool, errs map[string]string, may func(*model) bool) (*formPage, error) {
	page := &formPage{}
	if !isNew {
		page.Key = m.keyOf(obj)
		page.KeyText = decodeForDisplay(page.Key)
		if m.meta.Version != nil {
			v, _ := m.meta.Version.Value(m.pointer(obj))
			page.Version = formatValue(m.meta.Version, v)
		}
	}
	for _, c := range m.columns {
		if c.hidden || (isNew && (c.f.AutoIncrement || c.f.Version)) || (c.f.Version && !isNew) {
			continue
		}
		in, step := inputOf(c)
		v := valueOf(c, obj, m)
		ff := formField{Col: c, Input: in, Step: step, Value: formatValue(c.f, v), Null: v == nil && c.f.Nullable && !isNew,
			Nullable: c.f.Nullable, NullBox: nullBox(c), ReadOnly: !editable(c, isNew), Error: errs[c.f.Column]}
		if posted != nil && !ff.ReadOnly && onForm(posted, c.f.Column) {
			ff.Value = posted.Get("c." + c.f.Column)
			ff.Null = posted.Get("null."+c.f.Column) == "on"
		}
		if c.ref != nil && len(c.choices) == 0 && !may(c.ref) {
			// The related rows are not the request's to see: the key.
			ff.Input, ff.Step = keyInput(c)
			page.Fields = append(page.Fields, ff)
			continue
		}
		opts, err := h.selectOptions(ctx, s, c)
		if err != nil {
			return nil, err
		}
		if in == "select" && opts == nil && len(c.choices) == 0 {
			// Too many related rows for a select: the key, with a search.
			ff.Input, ff.Picker = "picker", newPicker(m, c, ff.Value)
			if !isNew {
				ff.Picker.Row = page.Key
			}
			if err := ff.Picker.label(ctx, s, c); err != nil {
				return nil, err
			}
		}
		ff.Options = markSelected(opts, ff.Value)
		page.Fields = append(page.Fields, ff)
	}
	for _, r := range m.m2m {
		if !may(r.target) {
			continue // its rows are not the request's to see or choose
		}
		mf, err := m2mInput(ctx, s, m, r, obj, posted)
		if err != nil {
			return nil, err
		}
		mf.Error = errs["m2m."+r.rel.Name]
		page.M2M = append(page.M2M, mf)
	}
	page.FormError = errs[""]
	return page, nil
}

// onForm reports whether a posted (or prefilled) form holds the column:
// its input, its checkbox marker or its NULL box.
func onForm(form url.Values, col string) bool {
	for _, prefix := range []string{"c.", "has.", "null."} {
		if _, ok := form[prefix+col]; ok {
			return true
		}
	}
	return false
}

// prefill returns the c.COLUMN parameters of a form page's query string
// (where choosing a row on the lookup page leads), nil when there are
// none. They only fill inputs; nothing is written until the form is saved.
func prefill(q url.Values) url.Values {
	var out url.Values
	for k, vs := range q {
		if strings.HasPrefix(k, "c.") && len(vs) > 0 {
			if out == nil {
				out = url.Values{}
			}
			out.Set(k, vs[0])
		}
	}
	return out
}

// setBase gives the form's pickers the admin's mount point.
func (p *formPage) setBase(base string) {
	for _, f := range p.Fields {
		if f.Picker != nil {
			f.Picker.Base = base
		}
	}
}

// selectOptions returns the choices of a select input: Choices values or
// the related rows of a foreign key.
func (h *Handler) selectOptions(ctx context.Context, s *orm.Session, c *column) ([]option, error) {
	if len(c.choices) > 0 {
		return c.choiceOptions(), nil
	}
	return refOptions(ctx, s, c)
}

// m2mInput lists the rows of the relation's target, the linked ones
// selected.
func m2mInput(ctx context.Context, s *orm.Session, m *model, r *m2m, obj any, posted url.Values) (m2mField, error) {
	mf := m2mField{Rel: r}
	t := r.target
	pk := t.meta.PrimaryKey[0]
	rows, err := t.ops.find(ctx, s, nil, []string{pk.Column}, maxOptions, 0)
	if err != nil {
		return mf, err
	}
	selected := map[string]bool{}
	_, hasLinks := posted["m2m."+r.rel.Name]
	_, hasMarker := posted["has.m2m."+r.rel.Name]
	if hasLinks || hasMarker {
		for _, k := range posted["m2m."+r.rel.Name] {
			selected[k] = true
		}
	} else if linked, ok := r.rel.Objects(m.pointer(obj)); ok {
		for _, o := range linked {
			selected[t.keyOf(o)] = true
			rows = appendMissing(rows, t, o)
		}
	}
	for _, o := range rows {
		k := t.keyOf(o)
		mf.Options = append(mf.Options, option{Value: k, Label: t.display(o), Selected: selected[k]})
	}
	return mf, nil
}

// appendMissing adds o to rows unless a row with its key is there.
func appendMissing(rows []any, t *model, o any) []any {
	k := t.keyOf(o)
	for _, r := range rows {
		if t.keyOf(r) == k {
			return rows
		}
	}
	return append(rows, o)
}

// errRequired is the error of an empty input of a NOT NULL non-text column.
var errRequired = errors.New("required")

// errValueAndNull is the error of a value typed while NULL is ticked:
// which one was meant is not guessed.
var errValueAndNull = errors.New("clear the value or untick NULL, not both")

// errNotChoice is the error of a value outside an enum-like column's
// choices; nothing is sent to the database.
func errNotChoice(text string) error {
	if text == "" {
		return errRequired
	}
	return fmt.Errorf("%q is not one of the choices", text)
}

// nullBox reports a column whose form has an explicit NULL checkbox: a
// nullable text column that is not enum-like (whose select offers NULL), where an empty input is the empty string. For
// other nullable columns an empty input is NULL.
func nullBox(c *column) bool {
	return c.f.Nullable && c.ref == nil && len(c.choices) == 0 && (c.f.Kind == schema.KindString || c.f.Kind == schema.KindBytes || c.f.Kind == schema.KindJSON || c.f.JSON)
}

// applyForm writes the posted values into obj and returns the errors per
// column ("" for the whole form). It changes only editable columns, and
// only those the posted form has: an unchecked checkbox is known by its
// has.COLUMN marker, so a column missing from the form keeps its value.
func applyForm(m *model, obj any, form url.Values, isNew bool) map[string]string {
	errs := map[string]string{}
	p := m.pointer(obj)
	for _, c := range m.columns {
		if !editable(c, isNew) {
			continue
		}
		name := c.f.Column
		raw, present := form["c."+name]
		checkbox := c.f.Kind == schema.KindBool && !c.f.Nullable
		if !present && !(checkbox && form.Get("has."+name) != "") && form.Get("null."+name) == "" {
			continue // not on the form that was posted: keep the value
		}
		text := ""
		if present {
			text = raw[0]
		}
		var v any
		var err error
		switch {
		case c.f.Nullable && form.Get("null."+name) == "on" && text != "":
			err = errValueAndNull
		case c.f.Nullable && form.Get("null."+name) == "on":
			v = nil
		case checkbox:
			v = present && text != "" && text != "false"
		case text == "" && c.f.Nullable && (c.f.Kind != schema.KindString || c.ref != nil || len(c.choices) > 0):
			v = nil
		case text == "" && c.f.Kind != schema.KindString && c.f.Kind != schema.KindBytes:
			if isNew && c.f.PrimaryKey && c.f.AutoIncrement {
				continue
			}
			err = errRequired
		default:
			v, err = parseValue(c.f, text)
			if err == nil && len(c.choices) > 0 && !c.allows(text) {
				err = errNotChoice(text)
			}
		}
		if err == nil {
			err = c.f.Set(p, v)
		}
		if err != nil {
			errs[name] = plainError(err)
		}
	}
	return errs
}

// plainError returns the last part of an error's text, without the
// package prefixes.
func plainError(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// applyLinks sets the many-to-many relations of obj to the posted keys,
// loading the targets in one statement per relation. It returns the keys
// before and after per relation, for the audit log.
func applyLinks(ctx context.Context, s *orm.Session, m *model, obj any, form url.Values, errs map[string]string, may func(*model) bool) (map[string][2][]string, error) {
	changes := map[string][2][]string{}
	p := m.pointer(obj)
	for _, r := range m.m2m {
		t := r.target
		var before []string
		if linked, ok := r.rel.Objects(p); ok {
			for _, o := range linked {
				before = append(before, t.keyOf(o))
			}
		}
		keys, present := form["m2m."+r.rel.Name]
		if !present && form.Get("has.m2m."+r.rel.Name) == "" {
			continue // not on the form that was posted: keep the links
		}
		if !may(t) {
			// The form has no such field for this request: the error
			// goes at its top.
			errs[""] = fmt.Sprintf("%s: not allowed to list %s", r.rel.Name, t.label)
			continue
		}
		vals := make([]any, 0, len(keys))
		for _, k := range keys {
			kv, err := t.keyValues(k)
			if err != nil {
				errs["m2m."+r.rel.Name] = "unknown row " + k
				continue
			}
			vals = append(vals, kv[0])
		}
		var objs []any
		if len(vals) > 0 {
			var err error
			objs, err = t.ops.find(ctx, s, []orm.Expr{orm.Col(t.meta.PrimaryKey[0].Column).In(vals...)}, nil, -1, 0)
			if err != nil {
				return nil, err
			}
		}
		if len(objs) != len(vals) {
			errs["m2m."+r.rel.Name] = "some of the chosen rows no longer exist"
		}
		after := make([]string, len(objs))
		for i, o := range objs {
			after[i] = t.keyOf(o)
		}
		sort.Strings(before)
		sort.Strings(after)
		if fmt.Sprint(before) != fmt.Sprint(after) {
			changes[r.rel.Name] = [2][]string{before, after}
			r.rel.SetObjects(p, objs)
		}
	}
	return changes, nil
}
