package statement

import (
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ignoreDuplicates is the clause after VALUES that makes a duplicate row a
// no-op (keep is the column MySQL assigns to itself).
func ignoreDuplicates(d dialect.Dialect, keep string) string {
	// OnConflict refuses DoNothing only without Keep or a target; a plain
	// INSERT would then fail loudly on a duplicate, never skip one.
	clause, _ := dialect.OnConflict(d, "", dialect.Conflict{DoNothing: true, Keep: keep})
	return clause
}

// caseParam is the type a CASE parameter for f is cast to, "" for none;
// typed reports whether the dialect needs the cast (dialect.TypedCaseParams).
func caseParam(d dialect.Dialect, f *schema.Field) (typ string, typed bool) {
	if !d.Features().Has(dialect.TypedCaseParams) {
		return "", false
	}
	t, _ := d.ColumnType(f)
	return t, true
}
