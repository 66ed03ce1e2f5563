package query

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ErrUnknownColumn reports a column name that is neither a column nor a Go
// field of the model (or of a joined table). It is reported before any SQL
// is built, so names can never carry SQL into a statement.
var ErrUnknownColumn = errors.New("orm/query: unknown column")

// ErrInvalidArgument is matched (errors.Is) by errors about arguments that
// cannot make a statement, such as a placeholder count that differs from
// the argument count. It is the same value as the session's (and orm's)
// ErrInvalidArgument.
var ErrInvalidArgument = errors.New("orm: invalid argument")

// argError is an argument error that keeps its message as written and
// matches ErrInvalidArgument.
type argError struct{ msg string }

func (e *argError) Error() string        { return e.msg }
func (e *argError) Is(target error) bool { return target == ErrInvalidArgument }

func argErrorf(format string, args ...any) error { return &argError{fmt.Sprintf(format, args...)} }

// Tables resolves joined table names to their models.
type Tables func(table string) (*schema.Model, bool)

// Builder accumulates one statement's text and arguments.
type Builder struct {
	d      dialect.Dialect
	model  *schema.Model
	joined []*schema.Model
	tables Tables
	b      strings.Builder
	args   []any
	// qualify prefixes column names with their table (joins present).
	qualify bool
}

func newBuilder(d dialect.Dialect, m *schema.Model, joined []*schema.Model, tables Tables) *Builder {
	return &Builder{d: d, model: m, joined: joined, tables: tables, qualify: len(joined) > 0}
}

// SQL returns the statement text so far.
func (b *Builder) SQL() string { return b.b.String() }

// Args returns the bound arguments so far.
func (b *Builder) Args() []any { return b.args }

func (b *Builder) raw(s string) { b.b.WriteString(s) }

// arg writes a placeholder for v.
func (b *Builder) arg(v any) {
	b.args = append(b.args, v)
	b.b.WriteString(b.d.Placeholder(len(b.args)))
}

// column resolves and writes a column reference: "name", "GoField" or
// "table.column".
func (b *Builder) column(name string) error {
	m, f, err := b.resolve(name)
	if err != nil {
		return err
	}
	if b.qualify {
		b.raw(b.d.Quote(m.Table))
		b.raw(".")
	}
	b.raw(b.d.Quote(f.Column))
	return nil
}

func (b *Builder) resolve(name string) (*schema.Model, *schema.Field, error) {
	if t, c, ok := strings.Cut(name, "."); ok {
		for _, m := range append([]*schema.Model{b.model}, b.joined...) {
			if m.Table == t {
				if f, ok := m.FieldByName(c); ok {
					return m, f, nil
				}
				return nil, nil, fmt.Errorf("%w %q: table %s has no column %q", ErrUnknownColumn, name, t, c)
			}
		}
		// A Go field path through embedded structs ("Base.ID").
		if f, ok := b.model.FieldByName(name); ok {
			return b.model, f, nil
		}
		return nil, nil, fmt.Errorf("%w %q: table %q is not part of the query", ErrUnknownColumn, name, t)
	}
	if f, ok := b.model.FieldByName(name); ok {
		return b.model, f, nil
	}
	return nil, nil, fmt.Errorf("%w %q in %s (table %s)", ErrUnknownColumn, name, b.model.Name, b.model.Table)
}

// fragment writes user SQL, replacing each '?' outside quotes with a
// dialect placeholder; a slice argument expands to a comma-separated list
// of placeholders (for IN (?)); an empty slice becomes NULL, so that
// "x IN (?)" matches nothing.
func (b *Builder) fragment(sql string, args []any) error {
	n := 0
	var quote byte
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			b.b.WriteByte(c)
		case c == '\'' || c == '"' || c == '`':
			quote = c
			b.b.WriteByte(c)
		case c == '?':
			if i+1 < len(sql) && sql[i+1] == '?' { // "??" is a literal '?'
				b.b.WriteByte('?')
				i++
				continue
			}
			if n >= len(args) {
				return argErrorf("orm/query: %q has more placeholders than the %d argument(s)", sql, len(args))
			}
			b.expand(args[n])
			n++
		default:
			b.b.WriteByte(c)
		}
	}
	if n != len(args) {
		return argErrorf("orm/query: %q has %d placeholder(s) for %d argument(s)", sql, n, len(args))
	}
	return nil
}

// Expands reports whether Rebind and the builder turn v into a list of
// placeholders: a slice or array other than []byte.
func Expands(v any) bool {
	switch v.(type) {
	case nil, string, int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8,
		float64, float32, bool, []byte, time.Time:
		return false
	}
	rv := reflect.ValueOf(v)
	return (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Type().Elem().Kind() != reflect.Uint8
}

// expand writes one placeholder, or a list for a slice (not []byte).
func (b *Builder) expand(v any) {
	if Expands(v) {
		rv := reflect.ValueOf(v)
		if rv.Len() == 0 {
			b.raw("NULL")
			return
		}
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				b.raw(", ")
			}
			b.arg(rv.Index(i).Interface())
		}
		return
	}
	b.arg(v)
}

// Rebind rewrites a hand-written statement's '?' placeholders (outside
// quotes; "??" is a literal '?') into the dialect's, expanding slice
// arguments into lists.
func Rebind(d dialect.Dialect, sql string, args []any) (string, []any, error) {
	b := &Builder{d: d}
	if err := b.fragment(sql, args); err != nil {
		return "", nil, err
	}
	return b.SQL(), b.Args(), nil
}
