package statement

import (
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Delete is DELETE FROM table WHERE keys IN (…) for rows keys.
func Delete(d dialect.Dialect, table string, keys []*schema.Field, rows int) string {
	return DeleteExcept(d, table, keys, rows, nil, 0)
}

// DeleteExcept is Delete that keeps the rows whose except columns match one
// of exceptRows tuples: … AND NOT (except IN (…)). With exceptRows 0 it is
// Delete.
func DeleteExcept(d dialect.Dialect, table string, keys []*schema.Field, rows int, except []*schema.Field, exceptRows int) string {
	w := NewWriter(d)
	w.head("DELETE FROM ", table)
	w.Raw(" WHERE ")
	w.KeyIn(keys, rows)
	if exceptRows > 0 {
		w.Raw(" AND NOT (")
		w.KeyIn(except, exceptRows)
		w.Raw(")")
	}
	return w.String()
}
