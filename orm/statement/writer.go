package statement

import (
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Writer builds the text of one statement: quoted identifiers and numbered
// dialect placeholders. The statement functions of this package are built
// on it; loaders with a statement of their own shape use it directly.
type Writer struct {
	d dialect.Dialect
	b strings.Builder
	n int // placeholders written
}

// NewWriter returns an empty Writer for d.
func NewWriter(d dialect.Dialect) *Writer { return &Writer{d: d} }

// String returns the text written so far.
func (w *Writer) String() string { return w.b.String() }

// Params returns the number of placeholders written so far.
func (w *Writer) Params() int { return w.n }

// Raw writes s as it is.
func (w *Writer) Raw(s string) { w.b.WriteString(s) }

// Ident writes a quoted identifier.
func (w *Writer) Ident(s string) { w.b.WriteString(w.d.Quote(s)) }

// Param writes the next placeholder.
func (w *Writer) Param() {
	w.n++
	w.b.WriteString(w.d.Placeholder(w.n))
}

// Columns writes "a, b, c": the quoted columns of fs.
func (w *Writer) Columns(fs []*schema.Field) { w.QualifiedColumns("", fs) }

// QualifiedColumns writes "t.a, t.b": the columns of fs prefixed with the
// quoted table (no prefix when table is "").
func (w *Writer) QualifiedColumns(table string, fs []*schema.Field) {
	for i, f := range fs {
		if i > 0 {
			w.Raw(", ")
		}
		w.column(table, f.Column)
	}
}

func (w *Writer) column(table, col string) {
	if table != "" {
		w.Ident(table)
		w.Raw(".")
	}
	w.Ident(col)
}

// Tuple writes "(?, ?, ?)" for k placeholders.
func (w *Writer) Tuple(k int) {
	w.Raw("(")
	for i := 0; i < k; i++ {
		if i > 0 {
			w.Raw(", ")
		}
		w.Param()
	}
	w.Raw(")")
}

// KeyIn writes "k IN (?, ?)" for n keys of one column, or row values
// "(a, b) IN ((?, ?), (?, ?))" for keys of several columns.
func (w *Writer) KeyIn(keys []*schema.Field, n int) { w.QualifiedKeyIn("", keys, n) }

// QualifiedKeyIn is KeyIn with the columns prefixed by table.
func (w *Writer) QualifiedKeyIn(table string, keys []*schema.Field, n int) {
	if len(keys) == 1 {
		w.column(table, keys[0].Column)
		w.Raw(" IN ")
		w.Tuple(n)
		return
	}
	w.Raw("(")
	w.QualifiedColumns(table, keys)
	w.Raw(") IN (")
	for i := 0; i < n; i++ {
		if i > 0 {
			w.Raw(", ")
		}
		w.Tuple(len(keys))
	}
	w.Raw(")")
}

// KeyEquals writes "a = ? AND b = ?".
func (w *Writer) KeyEquals(keys []*schema.Field) { w.equals(keys, " AND ") }

// Assignments writes "a = ?, b = ?".
func (w *Writer) Assignments(set []*schema.Field) { w.equals(set, ", ") }

// equals writes "col = ?" for each of fs, separated by sep.
func (w *Writer) equals(fs []*schema.Field, sep string) {
	w.each(fs, sep, func(*schema.Field) { w.Param() })
}

// each writes "col = " and then value(f) for each of fs, separated by sep.
func (w *Writer) each(fs []*schema.Field, sep string, value func(f *schema.Field)) {
	for i, f := range fs {
		if i > 0 {
			w.Raw(sep)
		}
		w.Ident(f.Column)
		w.Raw(" = ")
		value(f)
	}
}

// head writes a statement's start: verb (with its trailing keyword, such as
// "UPDATE " or "DELETE FROM ") and the quoted table.
func (w *Writer) head(verb, table string) {
	w.Raw(verb)
	w.Ident(table)
}

// selectFrom writes "SELECT cols FROM table".
func (w *Writer) selectFrom(cols []*schema.Field, table string) {
	w.Raw("SELECT ")
	w.Columns(cols)
	w.Raw(" FROM ")
	w.Ident(table)
}

// OrderBy writes the " ORDER BY …" of a relation's order_by option, the
// columns prefixed by table when it is not ""; nothing without one.
func (w *Writer) OrderBy(rel *schema.Relation, table string) {
	for i, o := range rel.OrderBy {
		if i == 0 {
			w.Raw(" ORDER BY ")
		} else {
			w.Raw(", ")
		}
		w.column(table, o.Field.Column)
		if o.Desc {
			w.Raw(" DESC")
		}
	}
}
