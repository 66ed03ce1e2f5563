package admin

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ModelOption customises how the admin shows one model.
type ModelOption func(*modelSpec)

// modelSpec is a model as given to Model[T], before New checks it.
type modelSpec struct {
	typ      reflect.Type
	ops      adapter
	label    string
	list     []string
	labels   map[string]string
	hidden   []string
	readOnly []string
	search   []string
	choices  map[string][]string
}

// Model adds the model T (registered with the DB) to the admin. Go cannot
// instantiate a generic function from a reflect.Type, so the admin learns
// each model's type here, once, and reaches the session's typed API
// (orm.Select[T], orm.GetByPK[T]) through it.
func Model[T any](opts ...ModelOption) Option {
	return func(c *config) error {
		spec := modelSpec{typ: reflect.TypeFor[T](), ops: typed[T]{}, labels: map[string]string{}, choices: map[string][]string{}}
		if spec.typ.Kind() != reflect.Struct {
			return fmt.Errorf("%w: Model[%s]: T must be a struct type", ErrConfig, spec.typ)
		}
		for _, o := range opts {
			o(&spec)
		}
		c.models = append(c.models, spec)
		return nil
	}
}

// ListColumns chooses the columns of the list page, in order (default: every
// column that is not hidden).
func ListColumns(columns ...string) ModelOption {
	return func(s *modelSpec) { s.list = append(s.list, columns...) }
}

// Label sets the label of a column ("secret_name" → "Secret identity"); the
// default is the column name with spaces for underscores.
func Label(column, label string) ModelOption {
	return func(s *modelSpec) { s.labels[column] = label }
}

// Name sets the name shown for the model (default: its table name).
func Name(name string) ModelOption {
	return func(s *modelSpec) { s.label = name }
}

// Hidden leaves columns out of list pages, forms and exports; they keep
// their values on update and take their Go zero value on create.
func Hidden(columns ...string) ModelOption {
	return func(s *modelSpec) { s.hidden = append(s.hidden, columns...) }
}

// ReadOnly shows columns on forms without letting them be edited.
func ReadOnly(columns ...string) ModelOption {
	return func(s *modelSpec) { s.readOnly = append(s.readOnly, columns...) }
}

// Search sets the text columns the list page's search box looks in
// (default: every string column that is not hidden).
func Search(columns ...string) ModelOption {
	return func(s *modelSpec) { s.search = append(s.search, columns...) }
}

// Choices makes a string column enum-like: its form input is a select of
// these values, a posted value outside them is a field error, and the list
// page filters on them. It overrides the values a named type declares with
// a Values method (see the package documentation).
func Choices(column string, values ...string) ModelOption {
	return func(s *modelSpec) { s.choices[column] = append(s.choices[column], values...) }
}

// adapter reaches the session's generic API for one model type.
type adapter interface {
	get(ctx context.Context, s *orm.Session, pk []any) (any, error)
	find(ctx context.Context, s *orm.Session, where []orm.Expr, order []string, limit, offset int) ([]any, error)
	// count counts the matching rows, at most limit (no bound when limit < 0).
	count(ctx context.Context, s *orm.Session, where []orm.Expr, limit int) (int64, error)
	preload(ctx context.Context, s *orm.Session, objs []any, paths ...string) error
	newObject() any
}

// typed is the adapter of the model type T.
type typed[T any] struct{}

func (typed[T]) get(ctx context.Context, s *orm.Session, pk []any) (any, error) {
	return orm.GetByPK[T](ctx, s, pk...)
}

func (typed[T]) find(ctx context.Context, s *orm.Session, where []orm.Expr, order []string, limit, offset int) ([]any, error) {
	q := orm.Select[T](s).Filter(where...).OrderBy(order...).Limit(limit)
	if offset > 0 {
		q = q.Offset(offset)
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out, nil
}

func (typed[T]) count(ctx context.Context, s *orm.Session, where []orm.Expr, limit int) (int64, error) {
	return orm.Select[T](s).Filter(where...).Limit(limit).Count(ctx)
}

func (typed[T]) preload(ctx context.Context, s *orm.Session, objs []any, paths ...string) error {
	if len(objs) == 0 || len(paths) == 0 {
		return nil
	}
	ps := make([]*T, len(objs))
	for i, o := range objs {
		ps[i] = o.(*T)
	}
	return orm.Preload(ctx, s, ps, paths...)
}

func (typed[T]) newObject() any { return new(T) }

// model is one model of the admin, checked and ready to serve.
type model struct {
	meta     *schema.Model
	ops      adapter
	label    string
	columns  []*column // every column, in declaration order
	list     []*column // the list page's columns
	search   []*column
	m2m      []*m2m
	byColumn map[string]*column
}

// Table returns the model's table name (its URL segment).
func (m *model) Table() string { return m.meta.Table }

// Label returns the model's display name.
func (m *model) Label() string { return m.label }

// column is one column of a model as the admin shows it.
type column struct {
	f        *schema.Field
	label    string
	hidden   bool
	readOnly bool
	choices  []choice // the values of an enum-like column
	ref      *model   // the admin model a foreign key column refers to, nil when none
	refField *schema.Field
}

// Name returns the column name.
func (c *column) Name() string { return c.f.Column }

// Label returns the column's label.
func (c *column) Label() string { return c.label }

// Choices returns the stored values of an enum-like column (nil for
// others).
func (c *column) Choices() []string {
	out := make([]string, len(c.choices))
	for i, ch := range c.choices {
		out[i] = ch.Value
	}
	return out
}

// m2m is a many-to-many relation edited as a multi-select.
type m2m struct {
	rel    *schema.Relation
	target *model
}

// Name returns the relation's Go field name.
func (r *m2m) Name() string { return r.rel.Name }

// build checks a spec against the DB's registry.
func (spec modelSpec) build(db *orm.DB) (*model, error) {
	meta, ok := db.Registry().Lookup(spec.typ)
	if !ok {
		if err := db.Register(reflect.New(spec.typ).Interface()); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrConfig, spec.typ, err)
		}
		meta, _ = db.Registry().Lookup(spec.typ)
	}
	m := &model{meta: meta, ops: spec.ops, label: spec.label, byColumn: map[string]*column{}}
	var err error
	if m.label == "" {
		m.label = meta.Table
	}
	for _, f := range meta.Fields {
		c := &column{f: f, label: strings.ReplaceAll(f.Column, "_", " ")}
		if vals, ok := spec.choices[f.Column]; ok {
			c.choices = stringChoices(vals)
		} else if c.choices, err = enumChoices(f); err != nil {
			return nil, err
		}
		if l, ok := spec.labels[f.Column]; ok {
			c.label = l
		}
		c.hidden = slices.Contains(spec.hidden, f.Column)
		c.readOnly = slices.Contains(spec.readOnly, f.Column) || f.Version
		m.columns = append(m.columns, c)
		m.byColumn[f.Column] = c
	}
	names := map[string][]string{"ListColumns": spec.list, "Hidden": spec.hidden, "ReadOnly": spec.readOnly, "Search": spec.search}
	for opt, cols := range names {
		for _, name := range cols {
			if m.byColumn[name] == nil {
				return nil, fmt.Errorf("%w: %s: %s names unknown column %q", ErrConfig, meta.Name, opt, name)
			}
		}
	}
	for name := range spec.labels {
		if m.byColumn[name] == nil {
			return nil, fmt.Errorf("%w: %s: Label names unknown column %q", ErrConfig, meta.Name, name)
		}
	}
	for name := range spec.choices {
		if c := m.byColumn[name]; c == nil || c.f.Kind != schema.KindString {
			return nil, fmt.Errorf("%w: %s: Choices needs a string column, not %q", ErrConfig, meta.Name, name)
		}
	}
	m.pickColumns(spec)
	return m, nil
}

// pickColumns fills the list and search columns.
func (m *model) pickColumns(spec modelSpec) {
	if len(spec.list) > 0 {
		for _, n := range spec.list {
			m.list = append(m.list, m.byColumn[n])
		}
	} else {
		for _, c := range m.columns {
			if !c.hidden {
				m.list = append(m.list, c)
			}
		}
	}
	if len(spec.search) > 0 {
		for _, n := range spec.search {
			m.search = append(m.search, m.byColumn[n])
		}
		return
	}
	for _, c := range m.columns {
		if !c.hidden && c.f.Kind == schema.KindString && !c.f.JSON && c.f.ForeignKey == nil {
			m.search = append(m.search, c)
		}
	}
}

// link resolves foreign keys and many-to-many relations to the other
// models of the admin; references to models the admin does not show stay
// plain values.
func (m *model) link(all map[string]*model) {
	for _, fk := range m.meta.ForeignKeys {
		if len(fk.Fields) != 1 || fk.RefModel == nil {
			continue
		}
		ref := all[fk.RefModel.Table]
		if ref == nil || len(ref.meta.PrimaryKey) != 1 {
			continue
		}
		c := m.byColumn[fk.Fields[0].Column]
		c.ref, c.refField = ref, ref.meta.PrimaryKey[0]
	}
	for _, rel := range m.meta.Relations {
		if rel.Kind != schema.ManyToMany || rel.Target == nil {
			continue
		}
		if t := all[rel.Target.Table]; t != nil {
			m.m2m = append(m.m2m, &m2m{rel: rel, target: t})
		}
	}
}

// pointer returns the address of an object of the model.
func (m *model) pointer(obj any) unsafe.Pointer {
	p, _ := m.meta.PointerOf(obj)
	return p
}

// keyOf returns the encoded primary key of an object.
func (m *model) keyOf(obj any) string {
	p := m.pointer(obj)
	parts := make([]string, len(m.meta.PrimaryKey))
	for i, f := range m.meta.PrimaryKey {
		v, _ := f.Value(p)
		parts[i] = formatValue(f, v)
	}
	return encodeKey(parts)
}

// display returns the text that names an object: its String method when it
// has one, else its first string column, else its key.
func (m *model) display(obj any) string {
	if s, ok := obj.(fmt.Stringer); ok {
		return s.String()
	}
	p := m.pointer(obj)
	for _, c := range m.columns {
		if c.f.Kind == schema.KindString && !c.f.PrimaryKey && !c.hidden && !c.f.JSON {
			if v, _ := c.f.Value(p); v != nil {
				return fmt.Sprint(v)
			}
		}
	}
	return "#" + decodeForDisplay(m.keyOf(obj))
}
