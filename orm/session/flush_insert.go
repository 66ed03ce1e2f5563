package session

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/statement"
)

// syncForeignKeys copies the keys of a row's parents into its foreign-key
// columns, or NULL for keys set later by a post-update.
func (f *flusher) syncForeignKeys(r *row) error {
	for _, pr := range r.parents {
		fk, parent := pr.fk, pr.e
		if r.nullFKs[fk] {
			for _, fl := range fk.Fields {
				fl.SetZero(r.p)
			}
			continue
		}
		if err := copyKey(fk, r.p, parent); err != nil {
			return err
		}
	}
	return nil
}

func copyKey(fk *schema.ForeignKey, p unsafe.Pointer, parent *entry) error {
	pp := parent.ptr()
	for i, fl := range fk.Fields {
		ref, _ := fk.RefModel.FieldByColumn(fk.RefColumns[i])
		if copyIntKey(fl, p, ref, pp) {
			continue
		}
		v, err := ref.Value(pp)
		if err != nil {
			return err
		}
		if v == nil {
			return fmt.Errorf("orm: flush: %s.%s references a %s whose key is not set", fk.Fields[0].Model.Name, fl.Path, fk.RefModel.Name)
		}
		if err := fl.Set(p, v); err != nil {
			return err
		}
	}
	return nil
}

// copyIntKey copies the plain integer column ref of the object at pp into
// the column fl of the object at p, of the same Go type, without boxing
// it; it reports false, copying nothing, for other columns (which copyKey
// copies through Value and Set). A plain integer is never NULL, so the
// "key is not set" check of copyKey has nothing to catch here.
func copyIntKey(fl *schema.Field, p unsafe.Pointer, ref *schema.Field, pp unsafe.Pointer) bool {
	if fl.Type != ref.Type {
		return false
	}
	if _, ok := ref.Int64(pp); !ok {
		return false
	}
	if _, ok := fl.Int64(p); !ok {
		return false
	}
	src, _, _ := ref.Layout()
	dst, size, _ := fl.Layout()
	copy(unsafe.Slice((*byte)(unsafe.Add(p, dst)), size), unsafe.Slice((*byte)(unsafe.Add(pp, src)), size))
	return true
}

// insert writes the rows of one layer of m: their parents' keys and
// initial versions first, then multi-row INSERTs of the rows that write the
// same columns, with the generated columns read back; a group of explicit
// keys moves the key sequence, where the database does not, before the
// next group (see bumpSequence).
func (f *flusher) insert(ctx context.Context, m *schema.Model, rows []*row) error {
	if err := f.needParentKeys(ctx, rows); err != nil {
		return err
	}
	ptrs := make([]unsafe.Pointer, len(rows))
	f.preSlab(m, len(rows))
	for i, r := range rows {
		f.touch(r)
		if err := f.syncForeignKeys(r); err != nil {
			return &FlushError{Op: "insert", Table: m.Table, Err: err}
		}
		if v := m.Version; v != nil && v.IsZero(r.p) {
			if err := v.Set(r.p, int64(1)); err != nil {
				return &FlushError{Op: "insert", Table: m.Table, Err: err}
			}
			r.generated = append(r.generated, v)
		}
		ptrs[i] = r.p
	}
	for _, g := range groupInserts(m, ptrs) {
		per := rowsPerStatement(f.d, len(g.write), DefaultBulkBatchSize)
		for start := 0; start < len(g.idx); start += per {
			part := g.idx[start:min(len(g.idx), start+per)]
			for _, j := range part {
				rows[j].addGenerated(g.generate)
			}
			b := insertBatch{m: m, write: g.write, rows: pick(ptrs, part), back: g.generate, hint: true}
			if _, err := f.insertRows(ctx, b); err != nil {
				return err
			}
		}
		// Before the next group, which may generate keys.
		if g.explicitKeys(m) {
			if err := f.sync(ctx); err != nil {
				return err
			}
			if err := f.s.db.bumpSequence(ctx, f.c, true, m); err != nil {
				return &FlushError{Op: "insert", Table: m.Table, Err: err}
			}
		}
	}
	return nil
}

// needParentKeys sends the pipeline's queue when it holds the INSERT that
// generates the key of a parent of one of rows, which rows copy.
func (f *flusher) needParentKeys(ctx context.Context, rows []*row) error {
	if f.pipe == nil || len(f.pipe.filling) == 0 {
		return nil
	}
	var ps []unsafe.Pointer
	for _, r := range rows {
		for _, pr := range r.parents {
			if p := pr.e.ptr(); p != nil {
				ps = append(ps, p)
			}
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return f.needKeys(ctx, ps...)
}

// insertGroup is consecutive objects of one model that write the same
// columns: they share statements.
type insertGroup struct {
	write, generate []*schema.Field
	idx             []int // positions of the group's objects in the input
}

// groupInserts splits ptrs, objects of m, into groups of consecutive
// objects with the same column set; a change of column set starts a new
// group, so that rows keep their order (and generated keys grow in it).
func groupInserts(m *schema.Model, ptrs []unsafe.Pointer) []*insertGroup {
	var groups []*insertGroup
	var lastMask uint64
	for i, p := range ptrs {
		// The column set as a bit mask: rows like the one before cost no
		// allocation. Models of more than 64 columns compare field lists.
		mask, ok := m.InsertMask(p)
		if len(groups) == 0 || !ok || mask != lastMask {
			write, gen := insertColumns(m, p, mask, ok)
			if len(groups) == 0 || ok || !schema.SameFields(write, groups[len(groups)-1].write) {
				g := &insertGroup{write: write, generate: gen}
				if len(groups) == 0 {
					// Room for every object: most inserts are one group.
					g.idx = make([]int, 0, len(ptrs))
				}
				groups = append(groups, g)
			}
			lastMask = mask
		}
		g := groups[len(groups)-1]
		g.idx = append(g.idx, i)
	}
	return groups
}

// explicitKeys reports whether the group writes m's auto-increment key.
func (g *insertGroup) explicitKeys(m *schema.Model) bool {
	return m.AutoIncrement != nil && indexOf(g.write, m.AutoIncrement) >= 0
}

// insertColumns is m.InsertColumns(p), from the shared cache when the
// object's InsertMask is known (ok).
func insertColumns(m *schema.Model, p unsafe.Pointer, mask uint64, ok bool) (write, generate []*schema.Field) {
	if ok {
		return m.InsertColumnsOf(mask)
	}
	return m.InsertColumns(p)
}

// pick returns the objects of ptrs at the positions idx (a subslice of
// ptrs when the positions are consecutive).
func pick(ptrs []unsafe.Pointer, idx []int) []unsafe.Pointer {
	if n := len(idx); n > 0 && idx[n-1]-idx[0] == n-1 {
		return ptrs[idx[0] : idx[0]+n : idx[0]+n]
	}
	out := make([]unsafe.Pointer, len(idx))
	for i, j := range idx {
		out[i] = ptrs[j]
	}
	return out
}

// rowsPerStatement is the one batch-size rule of multi-row statements
// (INSERT, batched UPDATE, DELETE, link rows, loaders): at most limit rows,
// fewer when their parameters would pass the dialect's bind limit, at least
// one.
func rowsPerStatement(d dialect.Dialect, paramsPerRow, limit int) int {
	return max(1, min(limit, d.MaxBindParams()/max(1, paramsPerRow)))
}

// insertBatch is one multi-row INSERT of objects of one model that write
// the same columns. It is the one INSERT path: the flush and BulkInsert
// both send their rows as insertBatches.
type insertBatch struct {
	m        *schema.Model
	write    []*schema.Field
	rows     []unsafe.Pointer
	conflict string          // upsert clause (dialect.OnConflict), or ""
	back     []*schema.Field // generated columns read back into the objects
	// hint: a primary-key violation gets the Merge hint (flush INSERTs of
	// objects given their keys; see withMergeHint).
	hint bool
}

// insertSQL is the batch's statement text, cached per shape.
func (db *DB) insertSQL(b insertBatch, returning bool) string {
	m := b.m
	key := sqlKey{model: m, kind: 'i', mask: colMask(m, b.write), sig: b.conflict, n: len(b.rows)}
	var ret []*schema.Field
	if returning {
		ret = b.back
		key.kind, key.ret = 'I', colMask(m, ret)
	}
	if len(m.Fields) > 64 {
		key.sig = wideSig(m, b.write) + "|" + wideSig(m, ret) + "|" + b.conflict
	}
	return db.sql.get(key, func() string {
		return statement.Insert(db.dialect, m.Table, b.write, len(b.rows), b.conflict, ret)
	})
}

// insertRows sends b and reads the columns b.back into the objects: by
// RETURNING where the database has it, else by LastInsertId (the
// auto-increment key) and a SELECT by key (other defaults). It returns
// the number of rows the database reports; without an upsert clause that
// must be every row.
func (r *runner) insertRows(ctx context.Context, b insertBatch) (int64, error) {
	m := b.m
	returning := r.db.dialect.Features().Has(dialect.InsertReturning) && len(b.back) > 0
	q := r.db.insertSQL(b, returning)
	k := len(b.write)
	args := make([]any, len(b.rows)*k)
	for i, p := range b.rows {
		if err := fieldValues(b.write, p, args[i*k:(i+1)*k]); err != nil {
			return 0, &FlushError{Op: "insert", Table: m.Table, Key: keyString(m, p), Err: err}
		}
	}
	fail := func(err error) error {
		key := ""
		if len(b.rows) == 1 {
			key = keyString(m, b.rows[0])
		}
		if b.hint {
			err = withMergeHint(m, b.write, err)
		}
		return &FlushError{Op: "insert", Table: m.Table, Key: key, Err: err}
	}
	if len(b.back) == 0 {
		// Nothing to read back: the statement may wait in a pipeline
		// (which then reports every row, as the check requires).
		n := int64(len(b.rows))
		err := r.execCheck(ctx, q, args, func(res sql.Result, err error) error {
			if err != nil {
				return fail(err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return fail(err)
			}
			if b.conflict == "" && k != int64(len(b.rows)) {
				return fail(fmt.Errorf("INSERT affected %d rows, want %d", k, len(b.rows)))
			}
			n = k
			return nil
		})
		return n, err
	}
	if returning {
		return int64(len(b.rows)), r.insertReturning(ctx, b, q, args, fail)
	}
	// Generated columns are read back by LastInsertId and a SELECT: the
	// statements queued before this one are sent first.
	if err := r.sync(ctx); err != nil {
		return 0, err
	}
	res, err := r.exec(ctx, q, args...)
	if err != nil {
		return 0, fail(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fail(err)
	}
	if b.conflict == "" && n != int64(len(b.rows)) {
		return 0, fail(fmt.Errorf("INSERT affected %d rows, want %d", n, len(b.rows)))
	}
	if err := r.assignInsertIDs(ctx, b, res); err != nil {
		return 0, fail(err)
	}
	if err := r.readBack(ctx, m, b.back, b.rows); err != nil {
		return 0, fail(err)
	}
	return n, nil
}

// insertReturning runs an INSERT … RETURNING, scanning the generated
// columns straight into the objects: RETURNING lists rows in VALUES order
// on every database we support; should one ever list them otherwise, the
// keys are put back in order by reorderGenerated. fail makes the flush's
// error of the statement's. In a pipeline the statement is queued
// (queryCheck).
func (r *runner) insertReturning(ctx context.Context, b insertBatch, q string, args []any, fail func(error) error) error {
	dest := make([]any, len(b.back))
	scanners := make([]*schema.ColumnScanner, len(b.back))
	for j, fl := range b.back {
		scanners[j] = fl.Scanner()
		dest[j] = scanners[j]
	}
	i := 0
	row := func(scan func(...any) error) error {
		if i >= len(b.rows) {
			return fmt.Errorf("INSERT RETURNING gave more rows than the %d inserted", len(b.rows))
		}
		for _, sc := range scanners {
			sc.Bind(b.rows[i])
		}
		i++
		return scan(dest...)
	}
	return r.queryCheck(ctx, q, args, b.rows, row, func(_ sql.Result, err error) error {
		if err != nil {
			return fail(err)
		}
		if i != len(b.rows) {
			return fail(fmt.Errorf("INSERT RETURNING gave %d rows for %d", i, len(b.rows)))
		}
		if err := reorderGenerated(b.m, b.back, b.rows); err != nil {
			return fail(err)
		}
		return nil
	})
}

// assignInsertIDs sets the auto-increment keys of the rows, when b reads
// them back, from LastInsertId: consecutive rows got keys step apart.
func (r *runner) assignInsertIDs(ctx context.Context, b insertBatch, res sql.Result) error {
	ai := b.m.AutoIncrement
	if indexOf(b.back, ai) < 0 {
		return nil
	}
	first, err := res.LastInsertId()
	if err != nil {
		return err
	}
	step, err := r.db.autoIncrementStep(ctx, r.c)
	if err != nil {
		return err
	}
	for i, p := range b.rows {
		if err := ai.Set(p, first+int64(i)*step); err != nil {
			return err
		}
	}
	return nil
}

// readBack loads the server-generated defaults of back (all but the
// auto-increment key) where INSERT cannot return them.
func (r *runner) readBack(ctx context.Context, m *schema.Model, back []*schema.Field, rows []unsafe.Pointer) error {
	var cols []*schema.Field
	for _, fl := range back {
		if fl != m.AutoIncrement {
			cols = append(cols, fl)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	byKey := make(map[identity]unsafe.Pointer, len(rows))
	args := make([]any, 0, len(rows)*len(m.PrimaryKey))
	for _, p := range rows {
		id, ok, err := keyOf(m, p)
		if err != nil || !ok {
			return fmt.Errorf("read back defaults: row without key")
		}
		byKey[id] = p
		for _, k := range m.PrimaryKey {
			v, _ := k.Value(p)
			args = append(args, v)
		}
	}
	all := append(append([]*schema.Field(nil), m.PrimaryKey...), cols...)
	q := statement.SelectIn(r.db.dialect, m.Table, all, m.PrimaryKey, len(rows), nil)
	_, tp := m.New()
	scanners := make([]any, len(all))
	for i, fl := range all {
		sc := fl.Scanner()
		sc.Bind(tp)
		scanners[i] = sc
	}
	_, err := r.query(ctx, q, args, func(rs *sql.Rows) error {
		if err := rs.Scan(scanners...); err != nil {
			return err
		}
		id, _, err := keyOf(m, tp)
		if err != nil {
			return err
		}
		if p := byKey[id]; p != nil {
			for _, fl := range cols {
				fl.Copy(p, tp)
			}
		}
		return nil
	})
	return err
}

func indexOf(fs []*schema.Field, f *schema.Field) int {
	if f == nil {
		return -1
	}
	for i, x := range fs {
		if x == f {
			return i
		}
	}
	return -1
}

func lessKey(a, b any) bool {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return x < y
		}
	case uint64:
		if y, ok := b.(uint64); ok {
			return x < y
		}
	}
	return false
}

// keysGrow reports whether the key ai grows strictly along rows: read as
// int64 without boxing where the column allows (Field.Int64), else
// compared as lessKey compares boxed values.
func keysGrow(ai *schema.Field, rows []unsafe.Pointer) bool {
	if prev, ok := ai.Int64(rows[0]); ok {
		for _, p := range rows[1:] {
			n, ok := ai.Int64(p)
			if !ok {
				return keysGrowBoxed(ai, rows)
			}
			if n <= prev {
				return false
			}
			prev = n
		}
		return true
	}
	return keysGrowBoxed(ai, rows)
}

func keysGrowBoxed(ai *schema.Field, rows []unsafe.Pointer) bool {
	prev, _ := ai.Value(rows[0])
	for _, p := range rows[1:] {
		v, _ := ai.Value(p)
		if !lessKey(prev, v) {
			return false
		}
		prev = v
	}
	return true
}

// reorderGenerated makes generated keys grow in VALUES order when the
// database listed RETURNING rows in another order: the generated values of
// the rows are sorted by key and handed out again in row order.
func reorderGenerated(m *schema.Model, gen []*schema.Field, rows []unsafe.Pointer) error {
	ai := indexOf(gen, m.AutoIncrement)
	if ai < 0 || len(rows) < 2 {
		return nil
	}
	if keysGrow(m.AutoIncrement, rows) {
		return nil
	}
	vals := make([][]any, len(rows))
	for i, p := range rows {
		vals[i] = make([]any, len(gen))
		for j, fl := range gen {
			v, err := fl.Value(p)
			if err != nil {
				return err
			}
			vals[i][j] = v
		}
	}
	sort.SliceStable(vals, func(i, j int) bool { return lessKey(vals[i][ai], vals[j][ai]) })
	for i, p := range rows {
		for j, fl := range gen {
			if err := fl.Set(p, vals[i][j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// bumpSequence moves the PostgreSQL sequence of m's identity column past
// the largest key in the table, after rows were inserted with explicit
// keys, so that later generated keys do not collide. Only ever forward:
// sequences are not transactional, and moving one back to the largest key
// this transaction sees would hand out again keys that other transactions
// hold. Other databases move their counters themselves.
func (db *DB) bumpSequence(ctx context.Context, c conn, inTx bool, m *schema.Model) error {
	q, args := db.dialect.SequenceReset(m)
	if q == "" {
		return nil
	}
	_, err := db.query(ctx, c, inTx, q, args, func(*sql.Rows) error { return nil })
	return err
}

// resetsSequence reports whether inserting explicit keys into m's
// autoincrement column is followed by bumpSequence's statement.
func resetsSequence(d dialect.Dialect, m *schema.Model) bool {
	q, _ := d.SequenceReset(m)
	return q != ""
}
