package session

import (
	"context"
	"database/sql"
	"fmt"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/statement"
)

// update writes the changed columns of one row, WHERE its snapshot key and
// version.
// updateOp is one row's UPDATE, ready to send: the keys of new parents are
// copied in and its version raised.
type updateOp struct {
	r          *row
	set        []*schema.Field // columns to write, the version included
	keySrc     unsafe.Pointer  // where the row's key is read (its snapshot)
	oldVersion any
}

// prepareUpdate readies r's UPDATE; ok is false when there is nothing to
// write.
func (f *flusher) prepareUpdate(m *schema.Model, r *row) (op updateOp, ok bool, err error) {
	op = updateOp{r: r, set: r.changed, keySrc: r.e.snapshot}
	if op.keySrc == nil {
		op.keySrc = r.p
	}
	ver := m.Version
	// Keys of new parents, generated earlier in this flush.
	for _, pr := range r.parents {
		fk, parent := pr.fk, pr.e
		if r.nullFKs[fk] {
			continue // set by a post-update
		}
		f.touch(r)
		if err := copyKey(fk, r.p, parent); err != nil {
			return op, false, &FlushError{Op: "update", Table: m.Table, Key: keyString(m, op.keySrc), Err: err}
		}
	}
	if len(op.set) == 0 && ver == nil {
		return op, false, nil
	}
	if ver != nil {
		f.touch(r)
		ov, err := ver.Value(op.keySrc)
		if err != nil {
			return op, false, &FlushError{Op: "update", Table: m.Table, Err: err}
		}
		op.oldVersion = ov
		if err := ver.Set(r.p, toInt64(ov)+1); err != nil {
			return op, false, &FlushError{Op: "update", Table: m.Table, Err: err}
		}
		if indexOf(op.set, ver) < 0 {
			op.set = append(append([]*schema.Field(nil), op.set...), ver)
		}
	}
	return op, true, nil
}

// updateByKeySQL is UPDATE t SET c = ?, … WHERE pk = ? [AND version = ?],
// cached per column set; when m has a version column, set holds it (its new
// value is a parameter) and the WHERE checks its old value.
func (db *DB) updateByKeySQL(m *schema.Model, set []*schema.Field) string {
	return db.sql.get(sqlKey{model: m, kind: 'u', mask: colMask(m, set), sig: wideSig(m, set)}, func() string {
		where := m.PrimaryKey
		if m.Version != nil {
			where = append(append([]*schema.Field(nil), m.PrimaryKey...), m.Version)
		}
		return statement.UpdateByKey(db.dialect, m.Table, set, where)
	})
}

// updateOne sends one row's UPDATE.
func (f *flusher) updateOne(ctx context.Context, m *schema.Model, op updateOp) error {
	set, ver, keySrc := op.set, m.Version, op.keySrc
	q := f.s.db.updateByKeySQL(m, set)
	args := make([]any, 0, len(set)+len(m.PrimaryKey)+1)
	for _, fl := range set {
		v, err := fl.Value(op.r.p)
		if err != nil {
			return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, keySrc), Err: err}
		}
		args = append(args, v)
	}
	for _, k := range m.PrimaryKey {
		v, _ := k.Value(keySrc)
		args = append(args, v)
	}
	if ver != nil {
		args = append(args, op.oldVersion)
	}
	return f.execCheck(ctx, q, args, func(res sql.Result, err error) error {
		if err != nil {
			return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, keySrc), Err: err}
		}
		if n, err := res.RowsAffected(); err == nil && n != 1 {
			return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, keySrc),
				Err: fmt.Errorf("%w: UPDATE matched %d rows, want 1 (row deleted or version changed)", ErrStaleData, n)}
		}
		return nil
	})
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case uint64:
		return int64(x)
	}
	return 0
}

// postUpdate sets a foreign key that was inserted as NULL to break a cycle.
func (f *flusher) postUpdate(ctx context.Context, pu postUpdate) error {
	r, fk := pu.r, pu.fk
	m := r.e.model
	parent, _ := r.parents.get(fk)
	if err := f.needKeys(ctx); err != nil {
		return err
	}
	f.touch(r)
	if err := copyKey(fk, r.p, parent); err != nil {
		return &FlushError{Op: "update", Table: m.Table, Err: err}
	}
	q := statement.UpdateByKey(f.d, m.Table, fk.Fields, m.PrimaryKey)
	args := make([]any, 0, len(fk.Fields)+len(m.PrimaryKey))
	for _, fl := range fk.Fields {
		v, _ := fl.Value(r.p)
		args = append(args, v)
	}
	for _, k := range m.PrimaryKey {
		v, _ := k.Value(r.p)
		args = append(args, v)
	}
	return f.execCheck(ctx, q, args, failAs("update", m.Table, keyString(m, r.p)))
}

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
	if err := f.needParentKeys(ctx, rows); err != nil {
		return err
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
		// The hooks run once the rows are written.
		if err := f.sync(ctx); err != nil {
			return err
		}
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
	if !statement.BatchUpdatable(f.d, set, m.Version) {
		return 1
	}
	cols, keys := 0, len(m.PrimaryKey)
	for _, fl := range set {
		if fl == m.Version {
			keys++
			continue
		}
		cols++
	}
	perRow := cols*(len(m.PrimaryKey)+1) + keys
	return rowsPerStatement(f.d, perRow, maxBatchUpdateRows)
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
	fromValues := f.d.Features().Has(dialect.UpdateFromValues)
	q := f.s.db.sql.get(sqlKey{model: m, kind: 'U', mask: colMask(m, ops[0].set), sig: wideSig(m, ops[0].set), n: len(ops)}, func() string {
		if fromValues {
			return statement.UpdateFromValues(f.d, m.Table, cols, m.PrimaryKey, ver, len(ops))
		}
		return statement.UpdateBatch(f.d, m.Table, cols, m.PrimaryKey, ver, len(ops))
	})
	args := make([]any, 0, len(cols)*len(ops)*(len(m.PrimaryKey)+1)+len(ops)*len(where))
	var err error
	if fromValues {
		args, err = valuesUpdateArgs(args, m, cols, ops)
	} else {
		args, err = caseUpdateArgs(args, m, cols, ops)
	}
	if err != nil {
		return err
	}
	return f.execCheck(ctx, q, args, func(res sql.Result, err error) error {
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
	})
}

// caseUpdateArgs appends the arguments of statement.UpdateBatch: per
// column, per row, the row's key then its value; then per row its key (and
// the version's old value).
func caseUpdateArgs(args []any, m *schema.Model, cols []*schema.Field, ops []updateOp) ([]any, error) {
	for _, fl := range cols {
		for _, op := range ops {
			args = appendOpKey(args, m, op)
			v, err := fl.Value(op.r.p)
			if err != nil {
				return nil, &FlushError{Op: "update", Table: m.Table, Key: keyString(m, op.keySrc), Err: err}
			}
			args = append(args, v)
		}
	}
	for _, op := range ops {
		args = appendOpKey(args, m, op)
		if m.Version != nil {
			args = append(args, op.oldVersion)
		}
	}
	return args, nil
}

// valuesUpdateArgs appends the arguments of statement.UpdateFromValues:
// per row, its key, its values of cols, and the version's old value.
func valuesUpdateArgs(args []any, m *schema.Model, cols []*schema.Field, ops []updateOp) ([]any, error) {
	for _, op := range ops {
		args = appendOpKey(args, m, op)
		for _, fl := range cols {
			v, err := fl.Value(op.r.p)
			if err != nil {
				return nil, &FlushError{Op: "update", Table: m.Table, Key: keyString(m, op.keySrc), Err: err}
			}
			args = append(args, v)
		}
		if m.Version != nil {
			args = append(args, op.oldVersion)
		}
	}
	return args, nil
}

// appendOpKey appends the key columns of the row op updates.
func appendOpKey(args []any, m *schema.Model, op updateOp) []any {
	for _, k := range m.PrimaryKey {
		v, _ := k.Value(op.keySrc)
		args = append(args, v)
	}
	return args
}

// staleRow names a row of a batched UPDATE that matched nothing: one that
// is gone, or (with a version) whose version is not the one just written.
// It returns "" when it cannot tell; the flush fails either way.
func (f *flusher) staleRow(ctx context.Context, m *schema.Model, ops []updateOp) string {
	cols := m.PrimaryKey
	if m.Version != nil {
		cols = append(append([]*schema.Field(nil), cols...), m.Version)
	}
	q := statement.SelectIn(f.d, m.Table, cols, m.PrimaryKey, len(ops), nil)
	var args []any
	for _, op := range ops {
		for _, k := range m.PrimaryKey {
			v, _ := k.Value(op.keySrc)
			args = append(args, v)
		}
	}
	found := map[idKey]int64{}
	_, err := f.query(ctx, q, args, func(rs *sql.Rows) error {
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
