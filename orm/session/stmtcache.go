package session

import (
	"strconv"
	"strings"
	"sync"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// sqlCache holds the statement texts package statement wrote, per model
// and statement shape. A typed map under a read lock rather than a
// sync.Map: looking a struct key up in a sync.Map boxes it, one allocation
// per statement.
type sqlCache struct {
	mu sync.RWMutex
	m  map[sqlKey]string
}

type sqlKey struct {
	model *schema.Model
	kind  byte   // 'i'/'I' insert (with RETURNING), 'b' bulk insert, 'u' update by key, 'U' batched update, 'd' delete, 's' select by key
	sig   string // column-set signature
	n     int    // rows
	mask  uint64 // column set as a bit mask (models of up to 64 columns)
	ret   uint64 // RETURNING columns as a bit mask (inserts)
}

// colMask is the bit mask of fs among the columns of m, for models of up
// to 64 columns (0 otherwise: then wideSig identifies the set).
func colMask(m *schema.Model, fs []*schema.Field) uint64 {
	if len(m.Fields) > 64 {
		return 0
	}
	var mask uint64
	for _, f := range fs {
		if i := m.FieldIndex(f); i >= 0 {
			mask |= 1 << i
		}
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
