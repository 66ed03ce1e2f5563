package statement

import (
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// SelectByKey is SELECT cols FROM table WHERE k = ? AND … followed by lock
// (a row-locking clause from dialect.LockClause, or "").
func SelectByKey(d dialect.Dialect, table string, cols, key []*schema.Field, lock string) string {
	w := NewWriter(d)
	w.selectFrom(cols, table)
	w.Raw(" WHERE ")
	w.KeyEquals(key)
	if lock != "" {
		w.Raw(" ")
		w.Raw(lock)
	}
	return w.String()
}

// SelectIn is SELECT cols FROM table WHERE keys IN (…) for rows keys,
// ordered by the order_by of rel when rel is not nil.
func SelectIn(d dialect.Dialect, table string, cols, keys []*schema.Field, rows int, rel *schema.Relation) string {
	w := NewWriter(d)
	w.selectFrom(cols, table)
	w.Raw(" WHERE ")
	w.KeyIn(keys, rows)
	if rel != nil {
		w.OrderBy(rel, "")
	}
	return w.String()
}

// SelectLinked loads the targets of a many-to-many relation for rows
// owners: the target's columns and the link's local columns (to tell whose
// target each row is), joined through the link table and filtered on its
// local columns, ordered by the relation's order_by.
func SelectLinked(d dialect.Dialect, rel *schema.Relation, rows int) string {
	target, link := rel.Target, rel.Link
	w := NewWriter(d)
	w.Raw("SELECT ")
	w.QualifiedColumns(target.Table, target.Fields)
	w.Raw(", ")
	w.QualifiedColumns(link.Table(), link.LocalColumns)
	w.Raw(" FROM ")
	w.Ident(target.Table)
	w.Raw(" JOIN ")
	w.Ident(link.Table())
	w.Raw(" ON ")
	for i, f := range link.RemoteColumns {
		if i > 0 {
			w.Raw(" AND ")
		}
		w.column(link.Table(), f.Column)
		w.Raw(" = ")
		w.column(target.Table, target.PrimaryKey[i].Column)
	}
	w.Raw(" WHERE ")
	w.QualifiedKeyIn(link.Table(), link.LocalColumns, rows)
	w.OrderBy(rel, target.Table)
	return w.String()
}
