package statement

import (
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Insert is INSERT INTO table (cols) VALUES (…), … for rows rows, followed
// by conflict (an upsert clause from dialect.OnConflict, or "") and, when
// returning is not empty, RETURNING those columns.
func Insert(d dialect.Dialect, table string, cols []*schema.Field, rows int, conflict string, returning []*schema.Field) string {
	w := NewWriter(d)
	w.head("INSERT INTO ", table)
	w.Raw(" (")
	w.Columns(cols)
	w.Raw(") VALUES ")
	for i := 0; i < rows; i++ {
		if i > 0 {
			w.Raw(", ")
		}
		w.Tuple(len(cols))
	}
	w.Raw(conflict)
	if len(returning) > 0 {
		w.Raw(" RETURNING ")
		w.Columns(returning)
	}
	return w.String()
}

// InsertIgnoringDuplicates is Insert of link-table rows where a row that
// already exists is not an error (a pair linked in the database already).
// Other errors (foreign keys, NOT NULL) still fail the statement.
func InsertIgnoringDuplicates(d dialect.Dialect, table string, cols []*schema.Field, rows int) string {
	return Insert(d, table, cols, rows, ignoreDuplicates(d, cols[0].Column), nil)
}
