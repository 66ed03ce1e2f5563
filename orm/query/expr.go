package query

import (
	"database/sql/driver"
	"reflect"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Expr is a condition for Where, Having or a join.
type Expr interface {
	build(b *Builder) error
}

// Column names a column in an expression: a column name, a Go field name,
// or "table.column" for a joined table. Unknown names are an error when the
// statement is built.
type Column struct{ name string }

// Col returns a column reference.
func Col(name string) Column { return Column{name} }

type binary struct {
	col Column
	op  string
	v   any
}

func (e binary) build(b *Builder) error {
	if (e.op == "=" || e.op == "<>") && isNull(e.v) {
		// "= NULL" is never true: compare with NULL the way SQL can.
		return nullCheck{e.col, e.op == "="}.build(b)
	}
	if err := b.column(e.col.name); err != nil {
		return err
	}
	b.raw(" " + e.op + " ")
	b.arg(e.v)
	return nil
}

// isNull reports whether v binds as NULL: nil, a nil pointer, or a
// driver.Valuer whose value is nil (sql.NullString{}, ...).
func isNull(v any) bool {
	if v == nil {
		return true
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return true
	}
	if vr, ok := v.(driver.Valuer); ok {
		val, err := vr.Value()
		return err == nil && val == nil
	}
	return false
}

// Eq is "col = v"; with nil (or a nil pointer, or a NULL sql.Null*) it is
// "col IS NULL".
func (c Column) Eq(v any) Expr { return binary{c, "=", v} }

// Ne is "col <> v"; with nil (or a nil pointer, or a NULL sql.Null*) it is
// "col IS NOT NULL".
func (c Column) Ne(v any) Expr { return binary{c, "<>", v} }

// Lt is "col < v".
func (c Column) Lt(v any) Expr { return binary{c, "<", v} }

// Le is "col <= v".
func (c Column) Le(v any) Expr { return binary{c, "<=", v} }

// Gt is "col > v".
func (c Column) Gt(v any) Expr { return binary{c, ">", v} }

// Ge is "col >= v".
func (c Column) Ge(v any) Expr { return binary{c, ">=", v} }

// Like is "col LIKE pattern ESCAPE '\'": '%' matches any run of
// characters, '_' any one character, and a backslash makes the character
// after it literal, on every dialect (SQLite has no escape character unless
// told). Build patterns from user text with EscapeLike:
// Col("name").Like(EscapeLike(s) + "%").
func (c Column) Like(pattern string) Expr { return like{c, pattern, false} }

// ILike is a case-insensitive Like: ILIKE on PostgreSQL, and elsewhere
// LOWER(col) LIKE LOWER(pattern), with a Unicode-aware lower-casing
// function on SQLite databases opened by orm.Open (see
// dialect.SQLiteDriverName); SQLite's own LOWER folds ASCII letters only.
func (c Column) ILike(pattern string) Expr { return like{c, pattern, true} }

// EscapeLike escapes the LIKE wildcards '%' and '_' and the escape
// character '\' in s, so that a Like or ILike pattern built from it
// matches s literally.
func EscapeLike(s string) string {
	if !strings.ContainsAny(s, `\%_`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '%', '_':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

type like struct {
	col     Column
	pattern string
	fold    bool // case-insensitive
}

func (e like) build(b *Builder) error {
	switch {
	case !e.fold || b.d.Features().Has(dialect.ILike):
		if err := b.column(e.col.name); err != nil {
			return err
		}
		if e.fold {
			b.raw(" ILIKE ")
		} else {
			b.raw(" LIKE ")
		}
		b.arg(e.pattern)
	default:
		lower := b.d.CaseFoldFunc()
		b.raw(lower + "(")
		if err := b.column(e.col.name); err != nil {
			return err
		}
		b.raw(") LIKE " + lower + "(")
		b.arg(e.pattern)
		b.raw(")")
	}
	b.raw(" ESCAPE " + b.d.LikeEscape())
	return nil
}

// IsNull is "col IS NULL".
func (c Column) IsNull() Expr { return nullCheck{c, true} }

// IsNotNull is "col IS NOT NULL".
func (c Column) IsNotNull() Expr { return nullCheck{c, false} }

type nullCheck struct {
	col  Column
	null bool
}

func (e nullCheck) build(b *Builder) error {
	if err := b.column(e.col.name); err != nil {
		return err
	}
	if e.null {
		b.raw(" IS NULL")
	} else {
		b.raw(" IS NOT NULL")
	}
	return nil
}

// Between is "col BETWEEN lo AND hi".
func (c Column) Between(lo, hi any) Expr { return between{c, lo, hi} }

type between struct {
	col    Column
	lo, hi any
}

func (e between) build(b *Builder) error {
	if err := b.column(e.col.name); err != nil {
		return err
	}
	b.raw(" BETWEEN ")
	b.arg(e.lo)
	b.raw(" AND ")
	b.arg(e.hi)
	return nil
}

// In is "col IN (values...)"; values is a slice (or several arguments). An
// empty list is false. A single byte slice ([]byte and []uint8 are one type
// in Go) is one value, except on a column of numbers, where it is a list of
// small numbers: In([]uint8{1, 2}) on an integer column is IN (1, 2).
func (c Column) In(values ...any) Expr { return in{c, values, false} }

// NotIn is "col NOT IN (values...)", with values as for In. An empty list
// is true.
func (c Column) NotIn(values ...any) Expr { return in{c, values, true} }

// flatten returns the values of In or NotIn on column f: a single slice
// argument stands for its elements.
func flatten(values []any, f *schema.Field) []any {
	if len(values) != 1 {
		return values
	}
	l, ok := list(values[0])
	if !ok && isByteSlice(values[0]) && (f.Kind == schema.KindInt || f.Kind == schema.KindUint || f.Kind == schema.KindFloat) {
		l, ok = reflect.ValueOf(values[0]), true
	}
	if !ok {
		return values
	}
	out := make([]any, l.Len())
	for i := range out {
		out[i] = l.Index(i).Interface()
	}
	return out
}

// isByteSlice reports a slice or array of bytes that is not a
// driver.Valuer.
func isByteSlice(v any) bool {
	if _, ok := v.(driver.Valuer); ok || v == nil {
		return false
	}
	rv := reflect.ValueOf(v)
	return (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Type().Elem().Kind() == reflect.Uint8
}

type in struct {
	col    Column
	values []any
	not    bool
}

func (e in) build(b *Builder) error {
	_, f, err := b.resolve(e.col.name)
	if err != nil {
		return err
	}
	values := flatten(e.values, f)
	if len(values) == 0 {
		if e.not {
			b.raw("1 = 1")
		} else {
			b.raw("1 = 0")
		}
		return nil
	}
	if err := b.column(e.col.name); err != nil {
		return err
	}
	if e.not {
		b.raw(" NOT")
	}
	b.raw(" IN (")
	for i, v := range values {
		if i > 0 {
			b.raw(", ")
		}
		b.arg(v)
	}
	b.raw(")")
	return nil
}

// And joins conditions with AND; with none it is true.
func And(es ...Expr) Expr { return junction{"AND", es} }

// Or joins conditions with OR; with none it is false.
func Or(es ...Expr) Expr { return junction{"OR", es} }

type junction struct {
	op string
	es []Expr
}

func (j junction) build(b *Builder) error {
	if len(j.es) == 0 {
		if j.op == "AND" {
			b.raw("1 = 1")
		} else {
			b.raw("1 = 0")
		}
		return nil
	}
	b.raw("(")
	for i, e := range j.es {
		if i > 0 {
			b.raw(" " + j.op + " ")
		}
		if err := e.build(b); err != nil {
			return err
		}
	}
	b.raw(")")
	return nil
}

// Not negates a condition.
func Not(e Expr) Expr { return not{e} }

type not struct{ e Expr }

func (n not) build(b *Builder) error {
	b.raw("NOT (")
	if err := n.e.build(b); err != nil {
		return err
	}
	b.raw(")")
	return nil
}

// Raw is a SQL fragment with '?' placeholders; slice arguments expand into
// lists. Column names inside it are not checked: never build it from user
// input.
func Raw(sql string, args ...any) Expr { return rawExpr{sql, args} }

type rawExpr struct {
	sql  string
	args []any
}

func (r rawExpr) build(b *Builder) error {
	b.raw("(")
	if err := b.fragment(r.sql, r.args); err != nil {
		return err
	}
	b.raw(")")
	return nil
}
