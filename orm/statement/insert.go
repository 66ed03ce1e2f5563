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
	w.Raw("INSERT INTO ")
	w.Ident(table)
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

// SequenceBump moves the sequence behind m's auto-increment column past
// the largest key in the table, after rows were inserted with explicit
// keys, where the database does not do that itself; it returns "" where
// nothing is needed. It only moves the sequence forward: sequences are not
// transactional, and moving one back would hand out again keys other
// transactions hold.
func SequenceBump(d dialect.Dialect, m *schema.Model) (query string, args []any) {
	if m.AutoIncrement == nil || !sequenceBehindExplicitKeys(d) {
		return "", nil
	}
	w := NewWriter(d)
	w.Raw("SELECT setval(q.seq, q.top) FROM (SELECT pg_get_serial_sequence(")
	w.Param()
	w.Raw(", ")
	w.Param()
	w.Raw(")::regclass AS seq, (SELECT MAX(")
	w.Ident(m.AutoIncrement.Column)
	w.Raw(") FROM ")
	w.Ident(m.Table)
	w.Raw(") AS top) q WHERE q.top > COALESCE(pg_sequence_last_value(q.seq), 0)")
	return w.String(), []any{d.Quote(m.Table), m.AutoIncrement.Column}
}
