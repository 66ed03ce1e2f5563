package session

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// flusher executes one plan and remembers how to undo its changes to the
// objects if the flush fails.
type flusher struct {
	s   *Session
	c   conn
	d   dialect.Dialect
	pre map[*entry]unsafe.Pointer // copies of objects the flush changes, taken before it changes them
	// generated lists, per inserted entry, the columns the database filled.
	generated map[*entry][]*schema.Field
	// uses counts executions per statement text; a text run a second time
	// is prepared on the transaction and reused for the rest of the flush
	// (one parse for a thousand UPDATEs, where drivers would otherwise
	// prepare every time).
	uses  map[string]int
	stmts map[string]*sql.Stmt
	// The delete cascade's work: states it changed (undone on failure),
	// bulk NULLs, children the database deletes or changes itself.
	cascaded []cascaded
	nullify  []nullifyOp
	detach   []*entry
	expire   []*entry
	// moves are the relation changes syncRelations turned into foreign
	// keys, applied to the other sides in memory after the flush.
	moves []relMove
	// auto reports a flush of one statement run on the pool without a
	// transaction (see singleStatement).
	auto bool
}

// stmtConn runs a prepared statement through the conn interface, so that
// it still passes through the query hooks and error classification.
type stmtConn struct{ st *sql.Stmt }

func (c stmtConn) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return c.st.ExecContext(ctx, args...)
}

func (c stmtConn) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return c.st.QueryContext(ctx, args...)
}

// exec runs a data statement of the flush, prepared once it repeats.
func (f *flusher) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if f.uses == nil {
		f.uses, f.stmts = map[string]int{}, map[string]*sql.Stmt{}
	}
	f.uses[q]++
	st := f.stmts[q]
	if st == nil && f.uses[q] == 2 {
		if p, ok := f.c.(interface {
			PrepareContext(context.Context, string) (*sql.Stmt, error)
		}); ok {
			if prepared, err := p.PrepareContext(ctx, q); err == nil {
				st = prepared
				f.stmts[q] = st
			}
		}
	}
	if st != nil {
		return f.s.db.exec(ctx, stmtConn{st}, !f.auto, q, args...)
	}
	return f.s.db.exec(ctx, f.c, !f.auto, q, args...)
}

// close releases the statements the flush prepared.
func (f *flusher) close() {
	for _, st := range f.stmts {
		_ = st.Close()
	}
	f.stmts = nil
}

// touch records an object's pre-flush values before the flush writes into it.
func (f *flusher) touch(r *row) {
	if _, ok := f.pre[r.e]; !ok {
		f.pre[r.e] = takeSnapshot(r.e.model, r.p)
	}
}

// touchEntry is touch for an object that is not (yet) a row of the plan.
func (f *flusher) touchEntry(e *entry, p unsafe.Pointer) {
	if _, ok := f.pre[e]; !ok {
		f.pre[e] = takeSnapshot(e.model, p)
	}
}

// undo restores every object the flush changed. It runs once: later calls
// do nothing.
func (f *flusher) undo() {
	for e, pre := range f.pre {
		if p := e.ptr(); p != nil {
			for _, fl := range e.model.Fields {
				fl.Copy(p, pre)
			}
		}
	}
	f.pre = nil
}

func keyString(m *schema.Model, p unsafe.Pointer) string {
	id, ok, _ := keyOf(m, p)
	if !ok {
		return ""
	}
	return id.String()
}

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

// insertColumns splits the columns of a row to insert into those it writes
// and those the database generates (a zero autoincrement key, a nil pointer
// with a server default).
func insertColumns(m *schema.Model, p unsafe.Pointer) (write, generate []*schema.Field) {
	write = make([]*schema.Field, 0, len(m.Fields))
	for _, fl := range m.Fields {
		switch {
		case fl == m.AutoIncrement && fl.IsZero(p):
			generate = append(generate, fl)
		case fl.HasDefault && fl.Pointer && fl.IsZero(p):
			generate = append(generate, fl)
		default:
			write = append(write, fl)
		}
	}
	return write, generate
}

// insertMask is the set of columns insertColumns writes for the object at
// p, as a bit mask over the model's fields; ok is false for models of more
// than 64 columns.
func insertMask(m *schema.Model, p unsafe.Pointer) (mask uint64, ok bool) {
	if len(m.Fields) > 64 {
		return 0, false
	}
	for i, fl := range m.Fields {
		switch {
		case fl == m.AutoIncrement && fl.IsZero(p):
		case fl.HasDefault && fl.Pointer && fl.IsZero(p):
		default:
			mask |= 1 << i
		}
	}
	return mask, true
}

type insertGroup struct {
	write, generate []*schema.Field
	rows            []*row
}

func (f *flusher) insert(ctx context.Context, m *schema.Model, rows []*row) error {
	// Consecutive rows with the same column set share statements; a change
	// of column set starts a new group, so that rows keep add order (and
	// generated keys grow in it).
	var groups []*insertGroup
	var lastMask uint64
	for _, r := range rows {
		f.touch(r)
		if err := f.syncForeignKeys(r); err != nil {
			return &FlushError{Op: "insert", Table: m.Table, Err: err}
		}
		if v := m.Version; v != nil && v.IsZero(r.p) {
			if err := v.Set(r.p, int64(1)); err != nil {
				return &FlushError{Op: "insert", Table: m.Table, Err: err}
			}
			f.generated[r.e] = append(f.generated[r.e], v)
		}
		// The column set as a bit mask: rows like the one before cost no
		// allocation. Models of more than 64 columns compare field lists.
		mask, ok := insertMask(m, r.p)
		if len(groups) == 0 || !ok || mask != lastMask {
			write, gen := insertColumns(m, r.p)
			if len(groups) == 0 || ok || !sameFieldList(write, groups[len(groups)-1].write) {
				groups = append(groups, &insertGroup{write: write, generate: gen})
			}
			lastMask = mask
		}
		g := groups[len(groups)-1]
		g.rows = append(g.rows, r)
	}
	for _, g := range groups {
		per := max(1, min(1000, f.d.MaxBindParams()/max(1, len(g.write))))
		for start := 0; start < len(g.rows); start += per {
			chunk := g.rows[start:min(len(g.rows), start+per)]
			if err := f.insertChunk(ctx, m, g, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *flusher) insertChunk(ctx context.Context, m *schema.Model, g *insertGroup, rows []*row) error {
	returning := f.d.Features().Has(dialect.InsertReturning) && len(g.generate) > 0
	// The written columns determine the generated ones (the rest).
	kind := byte('i')
	if returning {
		kind = 'I'
	}
	q := f.s.db.sql.get(sqlKey{model: m, kind: kind, mask: colMask(m, g.write), sig: wideSig(m, g.write), n: len(rows)}, func() string {
		w := &sqlWriter{d: f.d}
		w.insertValues(m, g.write, len(rows))
		if returning {
			w.raw(" RETURNING ")
			w.idents(g.generate)
		}
		return w.b.String()
	})
	k := len(g.write)
	args := make([]any, len(rows)*k)
	for i, r := range rows {
		if err := fieldValues(g.write, r.p, args[i*k:(i+1)*k]); err != nil {
			return &FlushError{Op: "insert", Table: m.Table, Key: keyString(m, r.p), Err: err}
		}
	}
	fail := func(err error) error {
		key := ""
		if len(rows) == 1 {
			key = keyString(m, rows[0].p)
		}
		return &FlushError{Op: "insert", Table: m.Table, Key: key, Err: err}
	}
	for _, r := range rows {
		f.generated[r.e] = append(f.generated[r.e], g.generate...)
	}
	switch {
	case returning:
		// Scan straight into the objects' fields: RETURNING lists rows in
		// VALUES order on every database we support; should one ever list
		// them otherwise, the keys are put back in order below.
		dest := make([]any, len(g.generate))
		scanners := make([]*schema.ColumnScanner, len(g.generate))
		for j, fl := range g.generate {
			scanners[j] = fl.Scanner()
			dest[j] = scanners[j]
		}
		i := 0
		_, err := f.s.db.query(ctx, f.c, !f.auto, q, args, func(rs *sql.Rows) error {
			if i >= len(rows) {
				return fmt.Errorf("INSERT RETURNING gave more rows than the %d inserted", len(rows))
			}
			for _, sc := range scanners {
				sc.Bind(rows[i].p)
			}
			i++
			return rs.Scan(dest...)
		})
		if err != nil {
			return fail(err)
		}
		if i != len(rows) {
			return fail(fmt.Errorf("INSERT RETURNING gave %d rows for %d", i, len(rows)))
		}
		if err := reorderGenerated(m, g.generate, rows); err != nil {
			return fail(err)
		}
	default:
		res, err := f.exec(ctx, q, args...)
		if err != nil {
			return fail(err)
		}
		if n, err := res.RowsAffected(); err == nil && n != int64(len(rows)) {
			return fail(fmt.Errorf("INSERT affected %d rows, want %d", n, len(rows)))
		}
		if indexOf(g.generate, m.AutoIncrement) >= 0 {
			first, err := res.LastInsertId()
			if err != nil {
				return fail(err)
			}
			step, err := f.s.db.autoIncrementStep(ctx, f.c)
			if err != nil {
				return fail(err)
			}
			for i, r := range rows {
				if err := m.AutoIncrement.Set(r.p, first+int64(i)*step); err != nil {
					return fail(err)
				}
			}
		}
		if err := f.readBack(ctx, m, g, rows); err != nil {
			return fail(err)
		}
	}
	if m.AutoIncrement != nil && indexOf(g.write, m.AutoIncrement) >= 0 {
		if err := f.s.db.bumpSequence(ctx, f.c, true, m); err != nil {
			return fail(err)
		}
	}
	return nil
}

// readBack loads server-generated defaults where INSERT cannot return them.
func (f *flusher) readBack(ctx context.Context, m *schema.Model, g *insertGroup, rows []*row) error {
	var cols []*schema.Field
	for _, fl := range g.generate {
		if fl != m.AutoIncrement {
			cols = append(cols, fl)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	byKey := map[identity]*row{}
	args := make([]any, 0, len(rows)*len(m.PrimaryKey))
	for _, r := range rows {
		id, ok, err := keyOf(m, r.p)
		if err != nil || !ok {
			return fmt.Errorf("read back defaults: row without key")
		}
		byKey[id] = r
		for _, k := range m.PrimaryKey {
			v, _ := k.Value(r.p)
			args = append(args, v)
		}
	}
	w := &sqlWriter{d: f.d}
	w.raw("SELECT ")
	all := append(append([]*schema.Field(nil), m.PrimaryKey...), cols...)
	w.idents(all)
	w.raw(" FROM ")
	w.ident(m.Table)
	w.raw(" WHERE ")
	w.keyMatch(m.PrimaryKey, len(rows))
	tmp, tp := m.New()
	_ = tmp
	scanners := make([]any, len(all))
	for i, fl := range all {
		sc := fl.Scanner()
		sc.Bind(tp)
		scanners[i] = sc
	}
	_, err := f.s.db.query(ctx, f.c, true, w.b.String(), args, func(rs *sql.Rows) error {
		if err := rs.Scan(scanners...); err != nil {
			return err
		}
		id, _, err := keyOf(m, tp)
		if err != nil {
			return err
		}
		r := byKey[id]
		if r == nil {
			return nil
		}
		for _, fl := range cols {
			fl.Copy(r.p, tp)
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
		w := &sqlWriter{d: db.dialect}
		w.raw("UPDATE ")
		w.ident(m.Table)
		w.raw(" SET ")
		for i, fl := range set {
			if i > 0 {
				w.raw(", ")
			}
			w.ident(fl.Column)
			w.raw(" = ")
			w.param()
		}
		w.raw(" WHERE ")
		where := m.PrimaryKey
		if m.Version != nil {
			where = append(append([]*schema.Field(nil), m.PrimaryKey...), m.Version)
		}
		w.keyEquals(where)
		return w.b.String()
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
	res, err := f.exec(ctx, q, args...)
	if err != nil {
		return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, keySrc), Err: err}
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, keySrc),
			Err: fmt.Errorf("%w: UPDATE matched %d rows, want 1 (row deleted or version changed)", ErrStaleData, n)}
	}
	return nil
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
	f.touch(r)
	if err := copyKey(fk, r.p, parent); err != nil {
		return &FlushError{Op: "update", Table: m.Table, Err: err}
	}
	w := &sqlWriter{d: f.d}
	w.raw("UPDATE ")
	w.ident(m.Table)
	w.raw(" SET ")
	var args []any
	for i, fl := range fk.Fields {
		if i > 0 {
			w.raw(", ")
		}
		w.ident(fl.Column)
		w.raw(" = ")
		w.param()
		v, _ := fl.Value(r.p)
		args = append(args, v)
	}
	w.raw(" WHERE ")
	w.keyEquals(m.PrimaryKey)
	for _, k := range m.PrimaryKey {
		v, _ := k.Value(r.p)
		args = append(args, v)
	}
	if _, err := f.exec(ctx, w.b.String(), args...); err != nil {
		return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, r.p), Err: err}
	}
	return nil
}

// unlink sets to NULL a foreign key of a row about to be deleted, to break
// a cycle between rows deleted together. The object is not changed.
func (f *flusher) unlink(ctx context.Context, pu postUpdate) error {
	r, fk := pu.r, pu.fk
	m := r.e.model
	w := &sqlWriter{d: f.d}
	w.raw("UPDATE ")
	w.ident(m.Table)
	w.raw(" SET ")
	args := make([]any, 0, len(fk.Fields)+len(m.PrimaryKey))
	for i, fl := range fk.Fields {
		if i > 0 {
			w.raw(", ")
		}
		w.ident(fl.Column)
		w.raw(" = ")
		w.param()
		args = append(args, nil)
	}
	w.raw(" WHERE ")
	w.keyEquals(m.PrimaryKey)
	src := r.dbValues()
	for _, k := range m.PrimaryKey {
		v, _ := k.Value(src)
		args = append(args, v)
	}
	if _, err := f.exec(ctx, w.b.String(), args...); err != nil {
		return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, src), Err: err}
	}
	return nil
}

// delete removes rows by key (and version), chunked under the bind limit.
func (f *flusher) delete(ctx context.Context, m *schema.Model, rows []*row) error {
	keys := m.PrimaryKey
	if m.Version != nil {
		keys = append(append([]*schema.Field(nil), keys...), m.Version)
	}
	per := max(1, min(1000, f.d.MaxBindParams()/len(keys)))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(len(rows), start+per)]
		q := f.s.db.sql.get(sqlKey{model: m, kind: 'd', sig: "", n: len(chunk)}, func() string {
			w := &sqlWriter{d: f.d}
			w.raw("DELETE FROM ")
			w.ident(m.Table)
			w.raw(" WHERE ")
			w.keyMatch(keys, len(chunk))
			return w.b.String()
		})
		args := make([]any, 0, len(chunk)*len(keys))
		for _, r := range chunk {
			src := r.e.snapshot
			if src == nil {
				src = r.p
			}
			for _, k := range keys {
				v, err := k.Value(src)
				if err != nil {
					return &FlushError{Op: "delete", Table: m.Table, Err: err}
				}
				args = append(args, v)
			}
		}
		res, err := f.exec(ctx, q, args...)
		key := ""
		if len(chunk) == 1 {
			key = keyString(m, chunk[0].p)
		}
		if err != nil {
			return &FlushError{Op: "delete", Table: m.Table, Key: key, Err: err}
		}
		if n, err := res.RowsAffected(); err == nil && n != int64(len(chunk)) {
			return &FlushError{Op: "delete", Table: m.Table, Key: key,
				Err: fmt.Errorf("%w: DELETE matched %d of %d rows (deleted elsewhere or version changed)", ErrStaleData, n, len(chunk))}
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

// reorderGenerated makes generated keys grow in VALUES order when the
// database listed RETURNING rows in another order: the generated values of
// the rows are sorted by key and handed out again in row order.
func reorderGenerated(m *schema.Model, gen []*schema.Field, rows []*row) error {
	ai := indexOf(gen, m.AutoIncrement)
	if ai < 0 || len(rows) < 2 {
		return nil
	}
	sorted := true
	prev, _ := m.AutoIncrement.Value(rows[0].p)
	for _, r := range rows[1:] {
		v, _ := m.AutoIncrement.Value(r.p)
		if !lessKey(prev, v) {
			sorted = false
			break
		}
		prev = v
	}
	if sorted {
		return nil
	}
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = make([]any, len(gen))
		for j, fl := range gen {
			v, err := fl.Value(r.p)
			if err != nil {
				return err
			}
			vals[i][j] = v
		}
	}
	sort.SliceStable(vals, func(i, j int) bool { return lessKey(vals[i][ai], vals[j][ai]) })
	for i, r := range rows {
		for j, fl := range gen {
			if err := fl.Set(r.p, vals[i][j]); err != nil {
				return err
			}
		}
	}
	return nil
}
