package statement

import (
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ignoreDuplicates is the clause after VALUES that makes a duplicate row a
// no-op.
func ignoreDuplicates(d dialect.Dialect, keep string) string {
	if d.Name() == "mysql" {
		q := d.Quote(keep)
		return " ON DUPLICATE KEY UPDATE " + q + " = " + q
	}
	return " ON CONFLICT DO NOTHING"
}

// caseParam is the type a CASE parameter for f is cast to, "" for none;
// typed reports whether the dialect needs the cast.
func caseParam(d dialect.Dialect, f *schema.Field) (typ string, typed bool) {
	if d.Name() != "postgres" {
		return "", false
	}
	t, _ := d.ColumnType(f)
	return t, true
}

// sequenceBehindExplicitKeys reports whether explicit keys leave the
// key sequence behind.
func sequenceBehindExplicitKeys(d dialect.Dialect) bool { return d.Name() == "postgres" }
