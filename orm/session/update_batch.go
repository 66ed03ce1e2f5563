package session

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// maxBatchUpdateRows bounds the rows one batched UPDATE carries: its CASE
// expressions grow with every row, and planners slow down on very long ones.
const maxBatchUpdateRows = 200

// updates writes the changed rows of one table. Rows that change the same
// columns share statements:
//
//	UPDATE t SET c = CASE WHEN id = ? THEN ? … ELSE c END, …, version = version + 1
//	WHERE id IN (…)            -- or (id, version) IN ((…), …) with a version
//
// one round trip for many rows instead of one each. A lone row keeps the
// plain UPDATE … WHERE id = ?. After hooks run once the rows are written.
func (f *flusher) updates(ctx context.Context, m *schema.Model, rows []*row) error {
	type colSet struct {
		mask uint64
		sig  string
	}
	var groups [][]updateOp
	index := map[colSet]int{}
	for _, r := range rows {
		op, ok, err := f.prepareUpdate(m, r)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		k := colSet{colMask(m, op.set), wideSig(m, op.set)}
		i, seen := index[k]
		if !seen {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], op)
	}
	for _, g := range groups {
		per := f.batchRows(m, g[0].set)
		for start := 0; start < len(g); start += per {
			chunk := g[start:min(len(g), start+per)]
			var err error
			if len(chunk) == 1 {
				err = f.updateOne(ctx, m, chunk[0])
			} else {
				err = f.updateBatch(ctx, m, chunk)
			}
			if err != nil {
				return err
			}
		}
	}
	if m.Hooks.Has(schema.HookAfterUpdate) {
		for _, g := range groups {
			for _, op := range g {
				if err := f.s.hook(ctx, m, op.r.p, schema.HookAfterUpdate); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// batchRows is the number of rows one batched UPDATE of set carries; 1
// turns batching off (PostgreSQL columns whose type cannot be named for the
// casts the CASE needs).
func (f *flusher) batchRows(m *schema.Model, set []*schema.Field) int {
	cols, keys := 0, len(m.PrimaryKey)
	for _, fl := range set {
		if fl == m.Version {
			keys++
			continue
		}
		cols++
		if f.d.Features().Has(dialect.TypedCaseParams) {
			if _, err := f.d.ColumnType(fl); err != nil {
				return 1
			}
		}
	}
	perRow := cols*(len(m.PrimaryKey)+1) + keys
	return max(1, min(maxBatchUpdateRows, f.d.MaxBindParams()/max(1, perRow)))
}

// updateBatch sends one UPDATE for several rows changing the same columns.
func (f *flusher) updateBatch(ctx context.Context, m *schema.Model, ops []updateOp) error {
	ver := m.Version
	var cols []*schema.Field
	for _, fl := range ops[0].set {
		if fl != ver {
			cols = append(cols, fl)
		}
	}
	where := m.PrimaryKey
	if ver != nil {
		where = append(append([]*schema.Field(nil), m.PrimaryKey...), ver)
	}
	q := f.s.db.sql.get(sqlKey{model: m, kind: 'U', mask: colMask(m, ops[0].set), sig: wideSig(m, ops[0].set), n: len(ops)}, func() string {
		w := &sqlWriter{d: f.d}
		w.raw("UPDATE ")
		w.ident(m.Table)
		w.raw(" SET ")
		for i, fl := range cols {
			if i > 0 {
				w.raw(", ")
			}
			w.ident(fl.Column)
			w.raw(" = CASE")
			cast := ""
			if f.d.Features().Has(dialect.TypedCaseParams) {
				// Parameters in CASE branches have no type PostgreSQL
				// can infer: name the column's.
				cast, _ = f.d.ColumnType(fl)
			}
			for range ops {
				w.raw(" WHEN ")
				w.keyEquals(m.PrimaryKey)
				w.raw(" THEN ")
				if cast != "" {
					w.raw("CAST(")
					w.param()
					w.raw(" AS " + cast + ")")
				} else {
					w.param()
				}
			}
			w.raw(" ELSE ")
			w.ident(fl.Column)
			w.raw(" END")
		}
		if ver != nil {
			if len(cols) > 0 {
				w.raw(", ")
			}
			w.ident(ver.Column)
			w.raw(" = ")
			w.ident(ver.Column)
			w.raw(" + 1")
		}
		w.raw(" WHERE ")
		w.keyMatch(where, len(ops))
		return w.b.String()
	})
	args := make([]any, 0, len(cols)*len(ops)*(len(m.PrimaryKey)+1)+len(ops)*len(where))
	for _, fl := range cols {
		for _, op := range ops {
			for _, k := range m.PrimaryKey {
				v, _ := k.Value(op.keySrc)
				args = append(args, v)
			}
			v, err := fl.Value(op.r.p)
			if err != nil {
				return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, op.keySrc), Err: err}
			}
			args = append(args, v)
		}
	}
	for _, op := range ops {
		for _, k := range m.PrimaryKey {
			v, _ := k.Value(op.keySrc)
			args = append(args, v)
		}
		if ver != nil {
			args = append(args, op.oldVersion)
		}
	}
	res, err := f.exec(ctx, q, args...)
	if err != nil {
		key := ""
		if len(ops) == 1 {
			key = keyString(m, ops[0].keySrc)
		}
		return &FlushError{Op: "update", Table: m.Table, Key: key, Err: err}
	}
	n, err := res.RowsAffected()
	if err != nil || n == int64(len(ops)) {
		return nil
	}
	stale := f.staleRow(ctx, m, ops)
	return &FlushError{Op: "update", Table: m.Table, Key: stale,
		Err: fmt.Errorf("%w: UPDATE of %d rows matched %d (a row deleted or its version changed)", ErrStaleData, len(ops), n)}
}

// staleRow names a row of a batched UPDATE that matched nothing: one that
// is gone, or (with a version) whose version is not the one just written.
// It returns "" when it cannot tell; the flush fails either way.
func (f *flusher) staleRow(ctx context.Context, m *schema.Model, ops []updateOp) string {
	cols := m.PrimaryKey
	if m.Version != nil {
		cols = append(append([]*schema.Field(nil), cols...), m.Version)
	}
	w := &sqlWriter{d: f.d}
	w.raw("SELECT ")
	w.idents(cols)
	w.raw(" FROM ")
	w.ident(m.Table)
	w.raw(" WHERE ")
	w.keyMatch(m.PrimaryKey, len(ops))
	var args []any
	for _, op := range ops {
		for _, k := range m.PrimaryKey {
			v, _ := k.Value(op.keySrc)
			args = append(args, v)
		}
	}
	found := map[idKey]int64{}
	_, err := f.s.db.query(ctx, f.c, !f.auto, w.b.String(), args, func(rs *sql.Rows) error {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return err
		}
		var v int64
		if m.Version != nil {
			v = toInt64(vals[len(cols)-1])
		}
		k, err := keyOfValues(vals[:len(m.PrimaryKey)])
		if err != nil {
			return err
		}
		found[k] = v
		return nil
	})
	if err != nil {
		return ""
	}
	for _, op := range ops {
		kv := make([]any, len(m.PrimaryKey))
		for i, k := range m.PrimaryKey {
			kv[i], _ = k.Value(op.keySrc)
		}
		k, err := keyOfValues(kv)
		if err != nil {
			return ""
		}
		v, ok := found[k]
		if !ok || (m.Version != nil && v != toInt64(op.oldVersion)+1) {
			return keyString(m, op.keySrc)
		}
	}
	return ""
}
