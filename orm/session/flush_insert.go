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
		var ret []*schema.Field
		if returning {
			ret = g.generate
		}
		return statement.Insert(f.d, m.Table, g.write, len(rows), "", ret)
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
	all := append(append([]*schema.Field(nil), m.PrimaryKey...), cols...)
	q := statement.SelectIn(f.d, m.Table, all, m.PrimaryKey, len(rows), nil)
	_, tp := m.New()
	scanners := make([]any, len(all))
	for i, fl := range all {
		sc := fl.Scanner()
		sc.Bind(tp)
		scanners[i] = sc
	}
	_, err := f.s.db.query(ctx, f.c, true, q, args, func(rs *sql.Rows) error {
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
