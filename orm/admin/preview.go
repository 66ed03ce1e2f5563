package admin

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Bounds of the delete preview.
const (
	previewDepth   = 10     // levels of references followed below the chosen rows
	previewRows    = 10_000 // rows read in all, over every level
	previewSamples = 5      // rows named per line of the preview
	previewColumns = 16     // columns one preview query reads per row
)

// node is a row the preview reached: deleted, or (in a group's refs)
// changed or blocking.
type node struct {
	model *schema.Model
	vals  []any  // the values of the previewer's columns of model
	key   string // of the primary key values
	by    deleter
	level int
	group *group // where a deleted row is counted; nil for the chosen rows
}

// group is one line of the preview: the rows of one table that refer,
// through one foreign key, to rows deleted one level up by one deleter.
type group struct {
	level  int
	child  *schema.Model
	fk     *schema.ForeignKey
	parent deleter
	act    refAction
	nodes  []*node // deleted rows first reached here (moved away when a later level upgrades them)
	refs   []ref   // other effects: the referring row and the row it refers to
}

type ref struct {
	row    *node
	parent *node
}

type groupKey struct {
	level int
	fk    *schema.ForeignKey
	by    deleter
}

// previewer walks the references of the rows a delete removes, level by
// level, with one query per (level, foreign key) whatever the number of
// rows (more only past the dialect's bind parameter limit).
type previewer struct {
	h         *Handler
	ctx       context.Context
	reg       []*schema.Model
	cols      map[string][]string // per table: the primary key, then every column a foreign key references
	deleted   map[string]map[string]*node
	groups    map[groupKey]*group
	order     []*group
	read      int
	truncated bool // previewRows was reached
	deep      bool // references continue below previewDepth
}

func newPreviewer(ctx context.Context, h *Handler) *previewer {
	p := &previewer{h: h, ctx: ctx, reg: h.db.Registry().Models(), cols: map[string][]string{},
		deleted: map[string]map[string]*node{}, groups: map[groupKey]*group{}}
	for _, m := range p.reg {
		var cs []string
		for _, f := range m.PrimaryKey {
			cs = append(cs, f.Column)
		}
		for _, c := range p.reg {
			for _, fk := range c.ForeignKeys {
				if fk.RefModel == nil || fk.RefModel.Table != m.Table {
					continue
				}
				for _, rc := range fk.RefColumns {
					if !slices.Contains(cs, rc) {
						cs = append(cs, rc)
					}
				}
			}
		}
		p.cols[m.Table] = cs
	}
	return p
}

// run previews the delete of objs, rows of m deleted by the session.
func (p *previewer) run(m *schema.Model, objs []any) error {
	roots, err := p.roots(m, objs)
	if err != nil {
		return err
	}
	frontier := map[string][]*node{m.Table: roots}
	for level := 1; len(frontier) > 0 && !p.truncated; level++ {
		if level > previewDepth {
			p.deep = p.referred(frontier)
			break
		}
		next := map[string][]*node{}
		for _, child := range p.reg {
			for _, fk := range child.ForeignKeys {
				if fk.RefModel == nil || p.truncated {
					continue
				}
				if parents := frontier[fk.RefModel.Table]; len(parents) > 0 {
					if err := p.follow(level, child, fk, parents, next); err != nil {
						return err
					}
				}
			}
		}
		frontier = next
	}
	return nil
}

// referred reports whether a foreign key refers to a table of frontier.
func (p *previewer) referred(frontier map[string][]*node) bool {
	for _, c := range p.reg {
		for _, fk := range c.ForeignKeys {
			if fk.RefModel != nil && len(frontier[fk.RefModel.Table]) > 0 {
				return true
			}
		}
	}
	return false
}

// roots reads the chosen rows again, by primary key, so that every value
// the preview compares comes from the same driver.
func (p *previewer) roots(m *schema.Model, objs []any) ([]*node, error) {
	keys := make([][]any, 0, len(objs))
	pk := make([]string, len(m.PrimaryKey))
	for i, f := range m.PrimaryKey {
		pk[i] = f.Column
	}
	for _, o := range objs {
		ptr, ok := m.PointerOf(o)
		if !ok {
			return nil, fmt.Errorf("orm/admin: delete preview: %T is not a %s", o, m.Name)
		}
		vals := make([]any, len(m.PrimaryKey))
		for i, f := range m.PrimaryKey {
			v, err := f.Value(ptr)
			if err != nil {
				return nil, fmt.Errorf("orm/admin: delete preview: %s: %w", f.Column, err)
			}
			vals[i] = v
		}
		keys = append(keys, vals)
	}
	rows, err := p.fetch(m, pk, keys)
	if err != nil {
		return nil, err
	}
	n := len(p.cols[m.Table])
	out := make([]*node, 0, len(rows))
	p.deleted[m.Table] = map[string]*node{}
	for _, vals := range rows {
		r := &node{model: m, vals: vals[:n], key: keyOf(vals[:len(pk)]), by: bySession}
		if p.deleted[m.Table][r.key] == nil {
			p.deleted[m.Table][r.key] = r
			out = append(out, r)
		}
	}
	return out, nil
}

// follow reads the rows of child whose fk refers to parents (one level)
// and files them: deleted rows join next, the others are kept as refs.
func (p *previewer) follow(level int, child *schema.Model, fk *schema.ForeignKey, parents []*node, next map[string][]*node) error {
	byRef := map[string]*node{}
	var keys [][]any
	for _, pn := range parents {
		ref := p.valuesOf(pn, fk.RefColumns)
		if ref == nil {
			continue
		}
		if k := keyOf(ref); byRef[k] == nil {
			byRef[k] = pn
			keys = append(keys, ref)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	rows, err := p.fetch(child, fk.Columns, keys)
	if err != nil {
		return err
	}
	n := len(p.cols[child.Table])
	if p.deleted[child.Table] == nil {
		p.deleted[child.Table] = map[string]*node{}
	}
	for _, vals := range rows {
		pn := byRef[keyOf(vals[n:])]
		g := p.group(level, child, fk, pn)
		cn := &node{model: child, vals: vals[:n], key: keyOf(vals[:len(child.PrimaryKey)]), by: g.act.by, level: level, group: g}
		if !g.act.deletes() {
			g.refs = append(g.refs, ref{row: cn, parent: pn})
			continue
		}
		old := p.deleted[child.Table][cn.key]
		switch {
		case old == nil:
			p.deleted[child.Table][cn.key] = cn
		case old.by == byDatabase && cn.by == bySession && old.group != nil:
			// The session deletes it itself, before the database would:
			// its own references get the session's rules.
			old.by, old.level, old.group = bySession, level, g
			cn = old
		default:
			continue // reached before: counted once
		}
		g.nodes = append(g.nodes, cn)
		next[child.Table] = append(next[child.Table], cn)
	}
	return nil
}

// group returns the line of the rows of child referring through fk to
// rows deleted at level-1 the way parent was.
func (p *previewer) group(level int, child *schema.Model, fk *schema.ForeignKey, parent *node) *group {
	k := groupKey{level, fk, parent.by}
	if g := p.groups[k]; g != nil {
		return g
	}
	g := &group{level: level, child: child, fk: fk, parent: parent.by, act: ruleFor(p.reg, parent.model, child, fk, parent.by)}
	p.groups[k] = g
	p.order = append(p.order, g)
	return g
}

// valuesOf returns the values of columns of a row, nil when one is NULL.
func (p *previewer) valuesOf(n *node, columns []string) []any {
	cs := p.cols[n.model.Table]
	out := make([]any, len(columns))
	for i, c := range columns {
		for j, have := range cs {
			if have == c {
				out[i] = n.vals[j]
			}
		}
		if out[i] == nil {
			return nil
		}
	}
	return out
}

// rows returns the rows a group's line counts: the deleted rows it
// reached first, or the referring rows that the delete does not remove,
// referring to rows deleted one level up the way the line assumes.
func (p *previewer) rows(g *group) []*node {
	var out []*node
	if g.act.deletes() {
		for _, n := range g.nodes {
			if n.group == g {
				out = append(out, n)
			}
		}
		return out
	}
	seen := map[string]bool{}
	for _, r := range g.refs {
		if p.deleted[g.child.Table][r.row.key] != nil || seen[r.row.key] {
			continue
		}
		if r.parent.level+1 != g.level || r.parent.by != g.parent {
			continue // the parent was deleted otherwise after all
		}
		seen[r.row.key] = true
		out = append(out, r.row)
	}
	return out
}

// keyOf is a comparable text of driver values: the values of one key read
// by the same driver give the same text.
func keyOf(vals []any) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(0x1f)
		}
		switch x := v.(type) {
		case nil:
			b.WriteString("\x00")
		case []byte:
			b.Write(x)
		case string:
			b.WriteString(x)
		case time.Time:
			b.WriteString(x.UTC().Format(time.RFC3339Nano))
		default:
			fmt.Fprint(&b, x)
		}
	}
	return b.String()
}

// keyRow is one row of a preview query: its columns by position, aliased
// k0, k1, ...
type keyRow struct {
	K0  any `db:"k0"`
	K1  any `db:"k1"`
	K2  any `db:"k2"`
	K3  any `db:"k3"`
	K4  any `db:"k4"`
	K5  any `db:"k5"`
	K6  any `db:"k6"`
	K7  any `db:"k7"`
	K8  any `db:"k8"`
	K9  any `db:"k9"`
	K10 any `db:"k10"`
	K11 any `db:"k11"`
	K12 any `db:"k12"`
	K13 any `db:"k13"`
	K14 any `db:"k14"`
	K15 any `db:"k15"`
}

func (r *keyRow) values(n int) []any {
	all := []any{r.K0, r.K1, r.K2, r.K3, r.K4, r.K5, r.K6, r.K7, r.K8, r.K9, r.K10, r.K11, r.K12, r.K13, r.K14, r.K15}
	return all[:n]
}

// fetch reads the previewer's columns of m, then the where columns, of the
// rows whose where columns hold one of keys: one statement per chunk of
// keys under the bind parameter limit. A composite key is matched by one
// IN list per column, and the rows read that match none of the keys are
// dropped. Reading stops at previewRows rows in all.
func (p *previewer) fetch(m *schema.Model, where []string, keys [][]any) ([][]any, error) {
	d := p.h.db.Dialect()
	cols := append(append([]string(nil), p.cols[m.Table]...), where...)
	if len(cols) > previewColumns {
		return nil, fmt.Errorf("orm/admin: delete preview of %s needs %d key columns, more than %d", m.Table, len(cols), previewColumns)
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = d.Quote(c) + " AS k" + strconv.Itoa(i)
	}
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[keyOf(k)] = true
	}
	per := max(1, d.MaxBindParams()/len(where))
	var out [][]any
	for start := 0; start < len(keys) && !p.truncated; start += per {
		remaining := previewRows - p.read
		if remaining <= 0 {
			p.truncated = true
			break
		}
		chunk := keys[start:min(len(keys), start+per)]
		conds := make([]string, len(where))
		args := make([]any, len(where))
		for i, c := range where {
			conds[i] = d.Quote(c) + " IN (?)"
			args[i] = distinctColumn(chunk, i)
		}
		q := "SELECT " + strings.Join(sel, ", ") + " FROM " + d.Quote(m.Table) + " WHERE " + strings.Join(conds, " AND ") + " LIMIT " + strconv.Itoa(remaining+1)
		rows, err := orm.Raw[keyRow](p.ctx, p.h.db, q, args...)
		if err != nil {
			return nil, fmt.Errorf("orm/admin: delete preview of %s: %w", m.Table, err)
		}
		if len(rows) > remaining {
			rows, p.truncated = rows[:remaining], true
		}
		p.read += len(rows)
		for _, r := range rows {
			vals := r.values(len(cols))
			if want[keyOf(vals[len(cols)-len(where):])] {
				out = append(out, vals)
			}
		}
	}
	return out, nil
}

// distinctColumn returns the distinct values of column i of keys.
func distinctColumn(keys [][]any, i int) []any {
	seen := make(map[string]bool, len(keys))
	var out []any
	for _, k := range keys {
		if t := keyOf(k[i : i+1]); !seen[t] {
			seen[t] = true
			out = append(out, k[i])
		}
	}
	return out
}
