package schema

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
)

// Registry holds the metadata of registered models. It is safe for
// concurrent use: lookups read published, immutable values without locking;
// Register serialises builders with a mutex and publishes a whole set of
// related models at once, or nothing when any of them is invalid.
type Registry struct {
	mu     sync.Mutex                        // serialises Register
	models sync.Map                          // reflect.Type -> *Model
	tables atomic.Pointer[map[string]*Model] // table name -> *Model, replaced on publish
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	r := &Registry{}
	empty := map[string]*Model{}
	r.tables.Store(&empty)
	return r
}

// Register builds and publishes the metadata of the given models (each a
// struct value, a pointer to one, or a reflect.Type of either) and of every
// model their relation fields reach. Models registered before are returned
// from the cache. The result is in argument order. Every problem found is
// reported, joined into one error whose parts are *TagError values; then
// nothing is published.
func (r *Registry) Register(models ...any) ([]*Model, error) {
	types := make([]reflect.Type, len(models))
	for i, m := range models {
		t, err := structType(m)
		if err != nil {
			return nil, err
		}
		types[i] = t
	}
	out := make([]*Model, len(types))
	missing := false
	for i, t := range types {
		if m, ok := r.Lookup(t); ok {
			out[i] = m
		} else {
			missing = true
		}
	}
	if !missing {
		return out, nil
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	b := &builder{reg: r, pending: map[reflect.Type]*Model{}}
	for _, t := range types {
		b.enqueue(t)
	}
	b.run()
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	r.publish(b.order)
	for i, t := range types {
		out[i], _ = r.Lookup(t)
	}
	return out, nil
}

// Lookup returns the published model of a struct type (or pointer to one).
func (r *Registry) Lookup(t reflect.Type) (*Model, bool) {
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	v, ok := r.models.Load(t)
	if !ok {
		return nil, false
	}
	return v.(*Model), true
}

// ModelOf returns the model of obj, which must be a non-nil pointer to a
// registered struct. The error matches ErrUnmapped.
func (r *Registry) ModelOf(obj any) (*Model, error) {
	if obj == nil {
		return nil, fmt.Errorf("%w: nil value", ErrUnmapped)
	}
	t := reflect.TypeOf(obj)
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: %s is not a pointer to a struct", ErrUnmapped, t)
	}
	if reflect.ValueOf(obj).IsNil() {
		return nil, fmt.Errorf("%w: nil %s", ErrUnmapped, t)
	}
	m, ok := r.Lookup(t.Elem())
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a registered model", ErrUnmapped, t.Elem())
	}
	return m, nil
}

// Table returns the model (or link table) of a table name.
func (r *Registry) Table(name string) (*Model, bool) {
	m, ok := (*r.tables.Load())[name]
	return m, ok
}

// Models returns every published model and link table, sorted by table name.
func (r *Registry) Models() []*Model {
	tables := *r.tables.Load()
	out := make([]*Model, 0, len(tables))
	for _, m := range tables {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Table < out[j].Table })
	return out
}

func (r *Registry) publish(models []*Model) {
	old := *r.tables.Load()
	next := make(map[string]*Model, len(old)+len(models))
	for k, v := range old {
		next[k] = v
	}
	for _, m := range models {
		next[m.Table] = m
	}
	for _, m := range models {
		if m.Type != nil {
			r.models.Store(m.Type, m)
		}
	}
	r.tables.Store(&next)
}

// structType accepts T, *T, reflect.Type of T or *T.
func structType(v any) (reflect.Type, error) {
	if v == nil {
		return nil, fmt.Errorf("%w: nil model", ErrUnmapped)
	}
	t, ok := v.(reflect.Type)
	if !ok {
		t = reflect.TypeOf(v)
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: %s is not a struct", ErrUnmapped, t)
	}
	return t, nil
}
