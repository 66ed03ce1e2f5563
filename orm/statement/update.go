package statement

import (
	"strconv"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// UpdateByKey is UPDATE table SET a = ?, … WHERE k = ? AND …: the set
// columns' values first, then those of where (the key, and a version's old
// value when the caller checks it).
func UpdateByKey(d dialect.Dialect, table string, set, where []*schema.Field) string {
	w := NewWriter(d)
	w.head("UPDATE ", table)
	w.Raw(" SET ")
	w.Assignments(set)
	w.Raw(" WHERE ")
	w.KeyEquals(where)
	return w.String()
}

// UpdateBatch writes several rows' changes to the same columns in one
// statement:
//
//	UPDATE t SET c = CASE WHEN k = ? THEN ? … ELSE c END, …[, v = v + 1]
//	WHERE k IN (…)            -- or (k, v) IN ((…), …) with a version
//
// Arguments: per column, per row, the row's key then its value; then per
// row its key (and the version's old value). Parameters in CASE branches
// are cast to the column's type where the dialect needs it.
func UpdateBatch(d dialect.Dialect, table string, cols, key []*schema.Field, version *schema.Field, rows int) string {
	w := NewWriter(d)
	w.head("UPDATE ", table)
	w.Raw(" SET ")
	w.each(cols, ", ", func(f *schema.Field) {
		w.Raw("CASE")
		for range rows {
			w.Raw(" WHEN ")
			w.KeyEquals(key)
			w.Raw(" THEN ")
			w.castParam(f)
		}
		w.Raw(" ELSE ")
		w.Ident(f.Column)
		w.Raw(" END")
	})
	where := key
	if version != nil {
		if len(cols) > 0 {
			w.Raw(", ")
		}
		w.Ident(version.Column)
		w.Raw(" = ")
		w.Ident(version.Column)
		w.Raw(" + 1")
		where = append(append([]*schema.Field(nil), key...), version)
	}
	w.Raw(" WHERE ")
	w.KeyIn(where, rows)
	return w.String()
}

// UpdateFromValues is UpdateBatch for dialects with UpdateFromValues: the
// rows' keys and new values joined as a VALUES list,
//
//	UPDATE t SET c = "_v"."column2", …[, v = t.v + 1]
//	FROM (VALUES (?, ?, …), …) AS "_v"
//	WHERE t.k = "_v"."column1" AND …[ AND t.v = "_v"."columnN"]
//
// Arguments: per row, its key, its values of cols in order, then (with a
// version) the version's old value. The target's columns are qualified
// with its table, so that a column named like a VALUES column (column1,
// …) is not ambiguous.
func UpdateFromValues(d dialect.Dialect, table string, cols, key []*schema.Field, version *schema.Field, rows int) string {
	const alias = "_v"
	w := NewWriter(d)
	w.head("UPDATE ", table)
	w.Raw(" SET ")
	valueCol := func(i int) { // the i-th column (from 0) of the VALUES list
		w.column(alias, "column"+strconv.Itoa(i+1))
	}
	for i, f := range cols {
		if i > 0 {
			w.Raw(", ")
		}
		w.Ident(f.Column)
		w.Raw(" = ")
		valueCol(len(key) + i)
	}
	perRow := len(key) + len(cols)
	if version != nil {
		if len(cols) > 0 {
			w.Raw(", ")
		}
		w.Ident(version.Column)
		w.Raw(" = ")
		w.column(table, version.Column)
		w.Raw(" + 1")
		perRow++
	}
	w.Raw(" FROM (VALUES ")
	for r := range rows {
		if r > 0 {
			w.Raw(", ")
		}
		w.Tuple(perRow)
	}
	w.Raw(") AS ")
	w.Ident(alias)
	w.Raw(" WHERE ")
	for i, k := range key {
		if i > 0 {
			w.Raw(" AND ")
		}
		w.column(table, k.Column)
		w.Raw(" = ")
		valueCol(i)
	}
	if version != nil {
		w.Raw(" AND ")
		w.column(table, version.Column)
		w.Raw(" = ")
		valueCol(perRow - 1)
	}
	return w.String()
}

// castParam writes a placeholder for a value of f, cast where the dialect
// cannot infer its type.
func (w *Writer) castParam(f *schema.Field) {
	typ, _ := caseParam(w.d, f)
	if typ == "" {
		w.Param()
		return
	}
	w.Raw("CAST(")
	w.Param()
	w.Raw(" AS " + typ + ")")
}

// BatchUpdatable reports whether UpdateBatch can write the columns set
// (the version column aside, which it raises by one): false where the
// dialect must cast CASE parameters and cannot name a column's type.
func BatchUpdatable(d dialect.Dialect, set []*schema.Field, version *schema.Field) bool {
	for _, f := range set {
		if f == version {
			continue
		}
		if typ, typed := caseParam(d, f); typed && typ == "" {
			return false
		}
	}
	return true
}

// SetNullWhereIn is UPDATE table SET a = NULL, … WHERE (a, …) IN (…) for
// rows tuples of cols: the foreign keys of the children of deleted parents.
func SetNullWhereIn(d dialect.Dialect, table string, cols []*schema.Field, rows int) string {
	w := NewWriter(d)
	w.head("UPDATE ", table)
	w.Raw(" SET ")
	w.each(cols, ", ", func(*schema.Field) { w.Raw("NULL") })
	w.Raw(" WHERE ")
	w.KeyIn(cols, rows)
	return w.String()
}
