package session

import (
	"strconv"
	"strings"
	"sync"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// sqlCache memoises generated statement text per (model, statement shape).
// sqlCache holds generated statement texts. A typed map under a read lock
// rather than a sync.Map: looking a struct key up in a sync.Map boxes it,
// one allocation per statement.
type sqlCache struct {
	mu sync.RWMutex
	m  map[sqlKey]string
}

type sqlKey struct {
	model *schema.Model
	kind  byte   // 'i' insert, 'u' update, 'd' delete, 's' select by key
	sig   string // column-set signature
	n     int    // rows
	mask  uint64 // column set as a bit mask (models of up to 64 columns)
}

// colMask is the bit mask of fs among the columns of m, for models of up
// to 64 columns (0 otherwise: then wideSig identifies the set).
func colMask(m *schema.Model, fs []*schema.Field) uint64 {
	if len(m.Fields) > 64 {
		return 0
	}
	idx := layoutOf(m).index
	var mask uint64
	for _, f := range fs {
		mask |= 1 << idx[f]
	}
	return mask
}

// wideSig is the column-set signature of models with more than 64 columns.
func wideSig(m *schema.Model, fs []*schema.Field) string {
	if len(m.Fields) <= 64 {
		return ""
	}
	return sigOf(fs, m)
}

func (c *sqlCache) get(k sqlKey, build func() string) string {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	s := build()
	c.mu.Lock()
	if c.m == nil {
		c.m = map[sqlKey]string{}
	}
	c.m[k] = s
	c.mu.Unlock()
	return s
}

// sqlWriter builds one statement with dialect placeholders.
type sqlWriter struct {
	d dialect.Dialect
	b strings.Builder
	n int // placeholders written
}

func (w *sqlWriter) raw(s string)   { w.b.WriteString(s) }
func (w *sqlWriter) ident(s string) { w.b.WriteString(w.d.Quote(s)) }
func (w *sqlWriter) param() {
	w.n++
	w.b.WriteString(w.d.Placeholder(w.n))
}

func (w *sqlWriter) idents(fs []*schema.Field) {
	for i, f := range fs {
		if i > 0 {
			w.raw(", ")
		}
		w.ident(f.Column)
	}
}

// tuple writes "(?, ?, ?)" for k parameters.
func (w *sqlWriter) tuple(k int) {
	w.raw("(")
	for i := 0; i < k; i++ {
		if i > 0 {
			w.raw(", ")
		}
		w.param()
	}
	w.raw(")")
}

// keyMatch writes "pk IN (...)" for n rows of keys: a plain IN for one
// column, row values for several.
func (w *sqlWriter) keyMatch(keys []*schema.Field, n int) {
	if len(keys) == 1 {
		w.ident(keys[0].Column)
		w.raw(" IN ")
		w.tuple(n)
		return
	}
	w.raw("(")
	w.idents(keys)
	w.raw(") IN (")
	for i := 0; i < n; i++ {
		if i > 0 {
			w.raw(", ")
		}
		w.tuple(len(keys))
	}
	w.raw(")")
}

// keyEquals writes "a = ? AND b = ?".
func (w *sqlWriter) keyEquals(keys []*schema.Field) {
	for i, f := range keys {
		if i > 0 {
			w.raw(" AND ")
		}
		w.ident(f.Column)
		w.raw(" = ")
		w.param()
	}
}

func sigOf(fs []*schema.Field, m *schema.Model) string {
	var b strings.Builder
	for _, f := range fs {
		for i, mf := range m.Fields {
			if mf == f {
				b.WriteString(strconv.Itoa(i))
				b.WriteByte(',')
			}
		}
	}
	return b.String()
}

// selectColumns writes "SELECT a, b FROM t".
func selectByKeySQL(d dialect.Dialect, m *schema.Model, lock string) string {
	w := &sqlWriter{d: d}
	w.raw("SELECT ")
	w.idents(m.Fields)
	w.raw(" FROM ")
	w.ident(m.Table)
	w.raw(" WHERE ")
	w.keyEquals(m.PrimaryKey)
	if lock != "" {
		w.raw(" ")
		w.raw(lock)
	}
	return w.b.String()
}

// insertValues writes INSERT INTO table (cols) VALUES and n placeholder
// tuples.
func (w *sqlWriter) insertValues(m *schema.Model, cols []*schema.Field, n int) {
	w.raw("INSERT INTO ")
	w.ident(m.Table)
	w.raw(" (")
	w.idents(cols)
	w.raw(") VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			w.raw(", ")
		}
		w.tuple(len(cols))
	}
}
