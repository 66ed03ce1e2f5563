package session

import (
	"github.com/sqlmodel-go/sqlmodel/orm/query"
)

// rebind turns '?' placeholders into the dialect's and expands slices.
// Statements without slice arguments always come out the same for the same
// text, so their rewritten text is cached by the text and argument count:
// a repeated Exec or Raw costs a map lookup instead of a parse.
func rebind(db *DB, sqlText string, args []any) (string, []any, error) {
	if !expandable(args) {
		k := sqlKey{kind: 'R', sig: sqlText, n: len(args)}
		db.sql.mu.RLock()
		text, ok := db.sql.m[k]
		db.sql.mu.RUnlock()
		if ok {
			return text, args, nil
		}
		text, bound, err := query.Rebind(db.dialect, sqlText, args)
		if err != nil {
			return "", nil, err
		}
		db.sql.get(k, func() string { return text })
		return text, bound, nil
	}
	return query.Rebind(db.dialect, sqlText, args)
}

// expandable reports whether any argument is a list that Rebind expands.
func expandable(args []any) bool {
	for _, a := range args {
		if query.Expands(a) {
			return true
		}
	}
	return false
}
