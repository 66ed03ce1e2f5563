package schema_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// register registers models in a fresh registry and fails the test on error.
func register(t testing.TB, models ...any) (*schema.Registry, []*schema.Model) {
	t.Helper()
	r := schema.NewRegistry()
	ms, err := r.Register(models...)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if len(ms) != len(models) {
		t.Fatalf("Register returned %d models for %d arguments", len(ms), len(models))
	}
	for i, m := range ms {
		if m == nil {
			t.Fatalf("Register returned a nil model for argument %d (%T)", i, models[i])
		}
	}
	return r, ms
}

// registerOne registers one model in a fresh registry.
func registerOne(t testing.TB, model any) *schema.Model {
	t.Helper()
	_, ms := register(t, model)
	return ms[0]
}

// safeRegister calls Register and turns a panic into an error, so that a
// table test can report which case panicked.
func safeRegister(r *schema.Registry, models ...any) (ms []*schema.Model, err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	ms, err = r.Register(models...)
	return ms, err, nil
}

// tagErrors flattens a (possibly joined) registration error into its
// *schema.TagError parts; any other part fails the test.
func tagErrors(t testing.TB, err error) []*schema.TagError {
	t.Helper()
	var out []*schema.TagError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if te, ok := e.(*schema.TagError); ok {
			out = append(out, te)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if u := errors.Unwrap(e); u != nil {
			walk(u)
			return
		}
		t.Errorf("error part %T (%v) is not a *schema.TagError", e, e)
	}
	walk(err)
	return out
}

// field returns the field of a Go name or column, failing when missing.
func field(t testing.TB, m *schema.Model, name string) *schema.Field {
	t.Helper()
	f, ok := m.FieldByName(name)
	if !ok {
		t.Fatalf("%s has no field %q (columns %v)", m.Name, name, m.Columns())
	}
	return f
}

// relation returns the relation of a Go field name, failing when missing.
func relation(t testing.TB, m *schema.Model, name string) *schema.Relation {
	t.Helper()
	r, ok := m.Relation(name)
	if !ok {
		t.Fatalf("%s has no relation %q", m.Name, name)
	}
	return r
}

func columnsOf(fs []*schema.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Column
	}
	return out
}

func tablesOf(ms []*schema.Model) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Table
	}
	return out
}

func eq[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.String()
}

func ptr[T any](v T) *T { return &v }

func mustContain(t testing.TB, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%q does not contain %q", s, p)
		}
	}
}

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v) }
