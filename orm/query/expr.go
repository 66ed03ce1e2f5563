package query

import (
	"reflect"
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
	if err := b.column(e.col.name); err != nil {
		return err
	}
	b.raw(" " + e.op + " ")
	b.arg(e.v)
	return nil
}

// Eq is "col = v".
func (c Column) Eq(v any) Expr { return binary{c, "=", v} }

// Ne is "col <> v".
func (c Column) Ne(v any) Expr { return binary{c, "<>", v} }

// Lt is "col < v".
func (c Column) Lt(v any) Expr { return binary{c, "<", v} }

// Le is "col <= v".
func (c Column) Le(v any) Expr { return binary{c, "<=", v} }

// Gt is "col > v".
func (c Column) Gt(v any) Expr { return binary{c, ">", v} }

// Ge is "col >= v".
func (c Column) Ge(v any) Expr { return binary{c, ">=", v} }

// Like is "col LIKE pattern".
func (c Column) Like(pattern string) Expr { return binary{c, "LIKE", pattern} }

// ILike is a case-insensitive LIKE: ILIKE on PostgreSQL,
// LOWER(col) LIKE LOWER(pattern) elsewhere.
func (c Column) ILike(pattern string) Expr { return ilike{c, pattern} }

type ilike struct {
	col     Column
	pattern string
}

func (e ilike) build(b *Builder) error {
	if b.d.Name() == "postgres" {
		return binary{e.col, "ILIKE", e.pattern}.build(b)
	}
	b.raw("LOWER(")
	if err := b.column(e.col.name); err != nil {
		return err
	}
	b.raw(") LIKE LOWER(")
	b.arg(e.pattern)
	b.raw(")")
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
// empty list is false.
func (c Column) In(values ...any) Expr { return in{c, flatten(values), false} }

// NotIn is "col NOT IN (values...)". An empty list is true.
func (c Column) NotIn(values ...any) Expr { return in{c, flatten(values), true} }

func flatten(values []any) []any {
	if len(values) == 1 {
		rv := reflect.ValueOf(values[0])
		if values[0] != nil && (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Type().Elem().Kind() != reflect.Uint8 {
			out := make([]any, rv.Len())
			for i := range out {
				out[i] = rv.Index(i).Interface()
			}
			return out
		}
	}
	return values
}

type in struct {
	col    Column
	values []any
	not    bool
}

func (e in) build(b *Builder) error {
	if _, _, err := b.resolve(e.col.name); err != nil {
		return err
	}
	if len(e.values) == 0 {
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
	for i, v := range e.values {
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
