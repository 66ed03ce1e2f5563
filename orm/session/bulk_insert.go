package session

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// bulkInsert is one BulkInsert call.
type bulkInsert struct {
	db    *DB
	s     *Session
	m     *schema.Model
	cfg   *bulkConfig
	total int
	// set lists the fields the call filled in (generated keys, initial
	// versions), all zero before: undo zeroes them again.
	set []setField
}

type setField struct {
	p unsafe.Pointer
	f *schema.Field
}

func (b *bulkInsert) tick(done int) {
	if b.cfg.progress != nil && (done == b.total || done%10000 == 0) {
		b.s.runCallback(func() { b.cfg.progress(done, b.total) })
	}
}

func (b *bulkInsert) undo() {
	for _, sf := range b.set {
		sf.f.SetZero(sf.p)
	}
	b.set = nil
}

// BulkInsert inserts objs with multi-row INSERTs (or COPY on PostgreSQL)
// without tracking them: they stay transient, and no snapshot is taken. On
// a *Session the rows are written in its transaction (begun if needed, as a
// flush would, after an autoflush), under a savepoint; on a *DB in a
// transaction of its own. Either way a failure writes nothing and leaves
// the objects as they were. Before/AfterInsert hooks run; relations are not
// followed. It returns the number of rows inserted (for upserts, what the
// database reports: see OnConflictDoNothing and OnConflictUpdate). An empty
// objs sends nothing.
func BulkInsert[T any](ctx context.Context, q Querier, objs []*T, opts ...BulkOption) (int64, error) {
	return bulkInsertOf(ctx, q, "BulkInsert", objs, opts)
}

func bulkInsertOf[T any](ctx context.Context, q Querier, op string, objs []*T, opts []BulkOption) (int64, error) {
	if err := sessionOf(q).enter(op); err != nil {
		return 0, err
	}
	defer sessionOf(q).exit()
	db, s, m, ptrs, err := bulkTarget(q, op, objs)
	if err != nil {
		return 0, err
	}
	if len(ptrs) == 0 {
		return 0, nil
	}
	b := &bulkInsert{db: db, s: s, m: m, cfg: newBulkConfig(opts), total: len(ptrs)}
	return b.run(ctx, ptrs)
}

// BulkInsertWithBatchSize is BulkInsert with BulkBatchSize(batchSize).
func BulkInsertWithBatchSize[T any](ctx context.Context, q Querier, objs []*T, batchSize int, opts ...BulkOption) (int64, error) {
	return bulkInsertOf(ctx, q, "BulkInsertWithBatchSize", objs, append(opts, BulkBatchSize(batchSize)))
}

func (b *bulkInsert) run(ctx context.Context, ptrs []unsafe.Pointer) (int64, error) {
	conflict, err := b.conflictClause()
	if err != nil {
		return 0, err
	}
	kind, useCopy, err := b.checkAndChoose(conflict, ptrs)
	if err != nil {
		return 0, err
	}
	if err := b.beforeInsert(ctx, ptrs); err != nil {
		b.undo()
		return 0, err
	}
	m := b.m
	groups := groupInserts(m, ptrs)
	statements, explicitKeys := 0, false
	for _, g := range groups {
		per := b.perStatement(g)
		statements += (len(g.idx) + per - 1) / per
		explicitKeys = explicitKeys || g.explicitKeys(m)
	}
	single := !useCopy && statements == 1 && !explicitKeys && !m.Hooks.Has(schema.HookAfterInsert)
	var n int64
	err = runBulk(ctx, b.db, b.s, single, useCopy && kind == copyPgx, func(bt bulkTx) error {
		x := &runner{db: b.db, c: bt.c, inTx: bt.inTx}
		defer x.close()
		var err error
		if useCopy {
			n, err = b.copyGroups(ctx, kind, bt, groups, ptrs)
		} else {
			n, err = b.insertGroups(ctx, x, groups, ptrs, conflict)
		}
		if err != nil {
			return err
		}
		for _, p := range ptrs {
			if err := b.s.hook(ctx, m, p, schema.HookAfterInsert); err != nil {
				return errwrap.Wrapf(err, "bulk insert %s", m.Table)
			}
		}
		return nil
	}, b.undo)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// checkAndChoose refuses what the call cannot do before any SQL and
// chooses between COPY and multi-row INSERTs.
func (b *bulkInsert) checkAndChoose(conflict string, ptrs []unsafe.Pointer) (kind copyKind, useCopy bool, err error) {
	cfg := b.cfg
	if cfg.returnKeys && conflict != "" {
		return 0, false, invalid("BulkReturnKeys cannot be combined with an upsert (rows it skips or updates have no new key)")
	}
	if s := b.s; s != nil {
		for _, p := range ptrs {
			if s.im.lookupPtr(p) != nil {
				return 0, false, invalid("BulkInsert: a %s is already tracked by this session (use Add and Flush for tracked objects)", b.m.Name)
			}
		}
	}
	kind = b.db.copyDriver()
	switch cfg.copyMode {
	case 1:
		switch {
		case kind == copyNone:
			return 0, false, fmt.Errorf("%w: BulkCopy needs PostgreSQL through pgx or lib/pq (dialect %s)", dialect.ErrUnsupported, b.db.dialect.Name())
		case conflict != "" || cfg.returnKeys:
			return 0, false, fmt.Errorf("%w: BulkCopy cannot upsert or return keys", dialect.ErrUnsupported)
		}
		return kind, true, nil
	case 0:
		return kind, kind != copyNone && conflict == "" && !cfg.returnKeys && len(ptrs) >= cfg.copyThreshold, nil
	}
	return kind, false, nil
}

// beforeInsert runs the BeforeInsert hooks and sets initial versions: a
// hook that fails stops the call before any SQL.
func (b *bulkInsert) beforeInsert(ctx context.Context, ptrs []unsafe.Pointer) error {
	m := b.m
	for _, p := range ptrs {
		if err := b.s.hook(ctx, m, p, schema.HookBeforeInsert); err != nil {
			return errwrap.Wrapf(err, "bulk insert %s", m.Table)
		}
		if v := m.Version; v != nil && v.IsZero(p) {
			if err := v.Set(p, int64(1)); err != nil {
				return errwrap.Wrapf(err, "bulk insert %s", m.Table)
			}
			b.set = append(b.set, setField{p, v})
		}
	}
	return nil
}

// copyGroups streams each group's rows with COPY.
func (b *bulkInsert) copyGroups(ctx context.Context, kind copyKind, bt bulkTx, groups []*insertGroup, ptrs []unsafe.Pointer) (int64, error) {
	var n int64
	for _, g := range groups {
		k, err := b.copyRows(ctx, kind, bt.tx, bt.own, g.write, pick(ptrs, g.idx))
		if err != nil {
			return n, &FlushError{Op: "copy", Table: b.m.Table, Err: err}
		}
		n += k
		if g.explicitKeys(b.m) {
			if err := b.db.bumpSequence(ctx, bt.c, bt.inTx, b.m); err != nil {
				return n, &FlushError{Op: "insert", Table: b.m.Table, Err: err}
			}
		}
	}
	return n, nil
}

// insertGroups sends each group's rows as multi-row INSERTs (the flush's
// insert path), reading generated keys back with BulkReturnKeys.
func (b *bulkInsert) insertGroups(ctx context.Context, x *runner, groups []*insertGroup, ptrs []unsafe.Pointer, conflict string) (int64, error) {
	m := b.m
	var n int64
	done := 0
	for _, g := range groups {
		var back []*schema.Field
		if b.cfg.returnKeys && m.AutoIncrement != nil && indexOf(g.generate, m.AutoIncrement) >= 0 {
			back = []*schema.Field{m.AutoIncrement}
		}
		per := b.perStatement(g)
		for start := 0; start < len(g.idx); start += per {
			rows := pick(ptrs, g.idx[start:min(len(g.idx), start+per)])
			for _, p := range rows {
				if back != nil {
					// Recorded before the statement: a failure part way
					// through zeroes what it set.
					b.set = append(b.set, setField{p, m.AutoIncrement})
				}
			}
			k, err := x.insertRows(ctx, insertBatch{m: m, write: g.write, rows: rows, conflict: conflict, back: back})
			if err != nil {
				return n, err
			}
			n += k
			done += len(rows)
			if b.cfg.progress != nil {
				b.cfg.progress(done, b.total)
			}
		}
		// Before the next group, which may generate keys.
		if g.explicitKeys(m) {
			if err := b.db.bumpSequence(ctx, x.c, x.inTx, m); err != nil {
				return n, &FlushError{Op: "insert", Table: m.Table, Err: err}
			}
		}
	}
	return n, nil
}

// perStatement is the number of rows of g one INSERT carries.
func (b *bulkInsert) perStatement(g *insertGroup) int {
	return rowsPerStatement(b.db.dialect, len(g.write), b.cfg.batch)
}

// conflictClause renders the upsert clause of the call, or "".
func (b *bulkInsert) conflictClause() (string, error) {
	c := b.cfg.conflict
	if c == nil {
		return "", nil
	}
	m := b.m
	resolve := func(names []string, what string) ([]string, error) {
		out := make([]string, len(names))
		for i, n := range names {
			f, ok := m.FieldByName(n)
			if !ok {
				return nil, fmt.Errorf("%w %q: %s of %s", query.ErrUnknownColumn, n, what, m.Table)
			}
			out[i] = f.Column
		}
		return out, nil
	}
	target, err := resolve(c.target, "conflict target")
	if err != nil {
		return "", err
	}
	if len(target) == 0 {
		for _, f := range m.PrimaryKey {
			target = append(target, f.Column)
		}
	}
	spec := dialect.Conflict{Target: target, DoNothing: c.doNothing}
	if !c.doNothing {
		if c.update == nil {
			inTarget := map[string]bool{}
			for _, t := range target {
				inTarget[t] = true
			}
			for _, f := range m.Fields {
				if !inTarget[f.Column] && !f.PrimaryKey && f != m.Version {
					spec.Update = append(spec.Update, f.Column)
				}
			}
		} else if spec.Update, err = resolve(c.update, "upsert column"); err != nil {
			return "", err
		}
		if m.Version != nil {
			spec.Increment = m.Version.Column
			for i, u := range spec.Update {
				if u == m.Version.Column {
					spec.Update = append(spec.Update[:i:i], spec.Update[i+1:]...)
					break
				}
			}
		}
	}
	clause, err := dialect.OnConflict(b.db.dialect, m.Table, spec)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	return clause, nil
}
