package query

import (
	"strings"
	"sync"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// quotedModel holds a model's identifiers as one dialect quotes them, so
// that rendering a SELECT does not quote (and allocate) them every time.
type quotedModel struct {
	table   string // the quoted table name
	columns string // every column, quoted, separated by ", "
}

type quotedKey struct {
	m *schema.Model
	d string // dialect name: quoting depends on it alone
}

var quotedCache struct {
	sync.RWMutex
	m map[quotedKey]*quotedModel
}

// quoted returns m's identifiers quoted for d.
func quoted(d dialect.Dialect, m *schema.Model) *quotedModel {
	k := quotedKey{m, d.Name()}
	quotedCache.RLock()
	q := quotedCache.m[k]
	quotedCache.RUnlock()
	if q != nil {
		return q
	}
	var cols strings.Builder
	for i, f := range m.Fields {
		if i > 0 {
			cols.WriteString(", ")
		}
		cols.WriteString(d.Quote(f.Column))
	}
	q = &quotedModel{table: d.Quote(m.Table), columns: cols.String()}
	quotedCache.Lock()
	if quotedCache.m == nil {
		quotedCache.m = map[quotedKey]*quotedModel{}
	}
	quotedCache.m[k] = q
	quotedCache.Unlock()
	return q
}
