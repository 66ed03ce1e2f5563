package query

import (
	"database/sql/driver"
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

// ErrMissingWhere reports a set-based Update or Delete (Query.Update,
// Query.Delete) without any condition, which would change or empty the
// whole table. Nothing is sent. Add a condition, or call AllRows on the
// query to mean every row.
var ErrMissingWhere = errors.New("orm: Update or Delete without a condition")

// ErrInvalidArgument is matched (errors.Is) by errors about arguments that
// cannot make a statement, such as a placeholder count that differs from
// the argument count. It is dialect.ErrInvalidArgument, the same value as
// the engine's, the session's and orm's ErrInvalidArgument.
var ErrInvalidArgument = dialect.ErrInvalidArgument

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
// dialect placeholder; a list argument (see Expands) becomes a
// comma-separated list of placeholders, for "IN (?)". An empty list
// standing alone in "IN (?)" or "NOT IN (?)" makes that predicate false or
// true (see emptyList); anywhere else it is an error.
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
			if l, ok := list(args[n]); ok && l.Len() == 0 {
				end, err := b.emptyList(sql, i)
				if err != nil {
					return err
				}
				i = end
			} else if ok {
				for j := 0; j < l.Len(); j++ {
					if j > 0 {
						b.raw(", ")
					}
					b.arg(l.Index(j).Interface())
				}
			} else {
				b.arg(args[n])
			}
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

// emptyList writes an empty list given for the '?' at sql[at]. SQL has no
// empty list, so "x IN (?)" becomes "x IN (NULL) IS NOT NULL", which is
// false for every x (x IN (NULL) is always NULL), and "x NOT IN (?)"
// becomes "x NOT IN (NULL) IS NULL", which is true for every x, NULL
// included: what an empty set means, and what the typed In and NotIn do.
// IS binds more loosely than IN on every dialect, so the suffix applies to
// the whole predicate whatever its left operand, and "NOT x IN (?)" is
// true as it should be. It returns the index of the closing parenthesis,
// the last byte of sql it consumed. An empty list anywhere else (a list of
// several placeholders, a function's arguments) is an error: no constant
// can stand for "nothing" there.
func (b *Builder) emptyList(sql string, at int) (int, error) {
	end := at + 1
	for end < len(sql) && isSpace(sql[end]) {
		end++
	}
	not, ok := inBefore(b.b.String())
	if !ok || end >= len(sql) || sql[end] != ')' {
		return 0, argErrorf("orm/query: %q: an empty list can stand only alone in IN (?) or NOT IN (?)", sql)
	}
	if not {
		b.raw("NULL) IS NULL")
	} else {
		b.raw("NULL) IS NOT NULL")
	}
	return end, nil
}

// inBefore reports whether s ends with "IN (" (any case, any spacing, IN a
// whole word), and whether that IN is "NOT IN".
func inBefore(s string) (not, ok bool) {
	s = strings.TrimRight(s, " \t\r\n")
	if !strings.HasSuffix(s, "(") {
		return false, false
	}
	s = strings.TrimRight(s[:len(s)-1], " \t\r\n")
	w, rest := lastWord(s)
	if !strings.EqualFold(w, "IN") {
		return false, false
	}
	w, _ = lastWord(strings.TrimRight(rest, " \t\r\n"))
	return strings.EqualFold(w, "NOT"), true
}

// lastWord splits off the identifier characters at the end of s.
func lastWord(s string) (word, rest string) {
	i := len(s)
	for i > 0 && isWordByte(s[i-1]) {
		i--
	}
	return s[i:], s[:i]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// List is a list of values for a hand-written "IN (?)": it always expands
// into one placeholder per element. Any other slice or array expands too,
// except a byte slice ([]byte, which Go cannot tell from []uint8: it is one
// value, as a bytes column wants) and a driver.Valuer (such as
// pq.StringArray: one value). ListOf([]uint8{1, 2}) expands small numbers.
type List []any

// ListOf returns the elements of a slice or array as a List, whatever their
// type (ListOf([]uint8{1, 2}) is List{uint8(1), uint8(2)}). Anything else
// is a List of that one value; nil is an empty List.
func ListOf(values any) List {
	if values == nil {
		return List{}
	}
	if l, ok := values.(List); ok {
		return l
	}
	rv := reflect.ValueOf(values)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return List{values}
	}
	out := make(List, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out
}

// Expands reports whether Rebind and the builder turn v into a list of
// placeholders: a List, or a slice or array that is neither a byte slice nor
// a driver.Valuer.
func Expands(v any) bool {
	_, ok := list(v)
	return ok
}

// list returns v as a list to expand, if it is one.
func list(v any) (reflect.Value, bool) {
	switch v.(type) {
	case nil, string, int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8,
		float64, float32, bool, []byte, time.Time, driver.Valuer:
		return reflect.Value{}, false
	case List:
		return reflect.ValueOf(v), true
	}
	rv := reflect.ValueOf(v)
	if (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Type().Elem().Kind() != reflect.Uint8 {
		return rv, true
	}
	return reflect.Value{}, false
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
