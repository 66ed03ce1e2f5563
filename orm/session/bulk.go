package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/statement"
)

// Defaults of the bulk operations.
const (
	// DefaultBulkBatchSize is the number of rows per multi-row INSERT
	// when BulkBatchSize is not given (fewer when the dialect's bind
	// limit is reached first).
	DefaultBulkBatchSize = 1000
	// DefaultCopyThreshold is the number of rows from which BulkInsert
	// uses COPY on PostgreSQL when neither BulkCopy nor BulkNoCopy is given.
	DefaultCopyThreshold = 5000
)

// BulkOption configures BulkInsert and BulkUpdate.
type BulkOption func(*bulkConfig)

type bulkConfig struct {
	batch         int
	copyMode      int // 0 automatic, 1 always, -1 never
	copyThreshold int
	returnKeys    bool
	progress      func(done, total int)
	conflict      *conflictOpt
	columns       []string
	skipMissing   bool
	onMissing     func(key []any)
}

type conflictOpt struct {
	target    []string
	doNothing bool
	update    []string // nil: every written column but the target
}

// BulkBatchSize sets the number of rows per INSERT statement (clamped to
// at least 1, and lowered to fit the dialect's bind limit).
func BulkBatchSize(n int) BulkOption { return func(c *bulkConfig) { c.batch = max(1, n) } }

// BulkCopy makes BulkInsert use COPY on PostgreSQL whatever the number of
// rows; it fails with dialect.ErrUnsupported where COPY is not available
// (other databases, a driver other than pgx or lib/pq, upserts, key
// read-back).
func BulkCopy() BulkOption { return func(c *bulkConfig) { c.copyMode = 1 } }

// BulkNoCopy makes BulkInsert use multi-row INSERT statements only.
func BulkNoCopy() BulkOption { return func(c *bulkConfig) { c.copyMode = -1 } }

// BulkCopyThreshold sets the number of rows from which BulkInsert uses COPY
// on PostgreSQL (default DefaultCopyThreshold).
func BulkCopyThreshold(rows int) BulkOption {
	return func(c *bulkConfig) { c.copyThreshold = max(1, rows) }
}

// BulkReturnKeys writes generated keys back into the objects: through
// RETURNING on PostgreSQL, SQLite and MariaDB, through LastInsertId on
// MySQL. It rules out COPY and upserts (rows an upsert skips or updates
// have no new key to map).
func BulkReturnKeys() BulkOption { return func(c *bulkConfig) { c.returnKeys = true } }

// BulkProgress calls fn with the number of rows written so far and the
// total, after every statement (every 10,000 rows of a COPY).
func BulkProgress(fn func(done, total int)) BulkOption {
	return func(c *bulkConfig) { c.progress = fn }
}

// OnConflictDoNothing makes BulkInsert keep existing rows whose key (the
// primary key, or the columns given) is taken. On MySQL and MariaDB any
// unique key counts and the columns are ignored.
func OnConflictDoNothing(target ...string) BulkOption {
	return func(c *bulkConfig) { c.conflict = &conflictOpt{target: target, doNothing: true} }
}

// OnConflictUpdate makes BulkInsert update the given columns of existing
// rows whose primary key is taken (an upsert); with no columns, every
// column it writes except the key. A version column is raised by one.
// Combine with OnConflictTarget for a unique key other than the primary key.
func OnConflictUpdate(columns ...string) BulkOption {
	return func(c *bulkConfig) {
		target := []string(nil)
		if c.conflict != nil {
			target = c.conflict.target
		}
		c.conflict = &conflictOpt{target: target, update: columns}
	}
}

// OnConflictTarget names the columns of the unique key an upsert is about
// (PostgreSQL and SQLite; MySQL and MariaDB use every unique key). The
// default is the primary key.
func OnConflictTarget(columns ...string) BulkOption {
	return func(c *bulkConfig) {
		if c.conflict == nil {
			c.conflict = &conflictOpt{}
		}
		c.conflict.target = columns
	}
}

// BulkColumns limits BulkUpdate to the given columns (column or Go field
// names). Zero values are written like any other value.
func BulkColumns(columns ...string) BulkOption { return func(c *bulkConfig) { c.columns = columns } }

// BulkSkipMissing makes BulkUpdate go on past objects whose row is gone
// (or whose version changed) instead of failing; report, when not nil,
// receives the key of each.
func BulkSkipMissing(report func(key []any)) BulkOption {
	return func(c *bulkConfig) { c.skipMissing, c.onMissing = true, report }
}

// MissingRowsError reports objects that BulkUpdate found no row for: the
// row was deleted, or its version changed. It matches ErrStaleData.
type MissingRowsError struct {
	Table string
	Keys  [][]any
}

func (e *MissingRowsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "orm: bulk update %s: %d object(s) matched no row (deleted, or version changed):", e.Table, len(e.Keys))
	for i, k := range e.Keys {
		if i == 5 {
			fmt.Fprintf(&b, " … and %d more", len(e.Keys)-5)
			break
		}
		fmt.Fprintf(&b, " %v", k)
	}
	return b.String()
}

// Unwrap makes the error match ErrStaleData.
func (e *MissingRowsError) Unwrap() error { return ErrStaleData }

// bulkTarget checks the arguments every bulk operation shares.
func bulkTarget[T any](q Querier, op string, objs []*T) (*DB, *Session, *schema.Model, []unsafe.Pointer, error) {
	if q == nil || reflect.ValueOf(q).IsNil() {
		return nil, nil, nil, nil, invalid("%s on a nil Session or DB", op)
	}
	db, s := q.queryTarget()
	if s != nil && s.closed {
		return nil, nil, nil, nil, ErrSessionClosed
	}
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil, nil, nil, nil, fmt.Errorf("%w: %s[%s]: the type parameter must be a model struct", ErrUnmapped, op, t)
	}
	m, ok := db.registry.Lookup(t)
	if !ok {
		return nil, nil, nil, nil, fmt.Errorf("%w: %s is not registered (call db.Register or db.CreateAll with it)", ErrUnmapped, t)
	}
	ptrs := make([]unsafe.Pointer, len(objs))
	for i, o := range objs {
		if o == nil {
			return nil, nil, nil, nil, invalid("%s: object %d is a nil *%s", op, i, t)
		}
		ptrs[i] = unsafe.Pointer(o)
	}
	return db, s, m, ptrs, nil
}

func newBulkConfig(opts []BulkOption) *bulkConfig {
	c := &bulkConfig{batch: DefaultBulkBatchSize, copyThreshold: DefaultCopyThreshold}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// bulkTx is where a bulk operation's statements run.
type bulkTx struct {
	c    conn
	inTx bool
	tx   *sql.Tx   // nil when running on the pool
	own  *sql.Conn // the transaction's own connection, if any
}

// runBulk runs fn atomically: in the session's transaction under a
// savepoint (opening the transaction as a flush would), or in a
// transaction of its own on a *DB. single says fn sends one statement, which
// on a *DB needs no transaction; needConn asks for a connection of its
// own (pgx COPY). undo restores the objects fn changed when it fails.
func runBulk(ctx context.Context, db *DB, s *Session, single, needConn bool, fn func(bt bulkTx) error, undo func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s != nil {
		if err := s.autoFlush(ctx); err != nil {
			return err
		}
		s.wrote = true
		err := s.inFlushTx(ctx, func(c conn) error {
			return fn(bulkTx{c: c, inTx: true, tx: s.tx.tx, own: s.tx.conn})
		}, undo)
		if err != nil {
			undo()
		}
		return err
	}
	if single && !needConn {
		err := fn(bulkTx{c: db.x})
		if err != nil {
			undo()
		}
		return err
	}
	var own *sql.Conn
	var tx *sql.Tx
	err := db.control(ctx, "begin", "BEGIN", func(ctx context.Context) error {
		var err error
		if !needConn {
			tx, err = db.x.BeginTx(ctx, nil)
			return err
		}
		if own, err = db.x.Conn(ctx); err != nil {
			return err
		}
		if tx, err = own.BeginTx(ctx, nil); err != nil {
			_ = own.Close()
			own = nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("orm: begin: %w", err)
	}
	defer func() {
		if own != nil {
			_ = own.Close()
		}
	}()
	if err := fn(bulkTx{c: tx, inTx: true, tx: tx, own: own}); err != nil {
		rbErr := db.control(context.WithoutCancel(ctx), "rollback", "ROLLBACK", func(context.Context) error { return tx.Rollback() })
		undo()
		if rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("orm: rollback: %w", rbErr))
		}
		return err
	}
	if err := db.control(ctx, "commit", "COMMIT", func(context.Context) error { return tx.Commit() }); err != nil {
		undo()
		return fmt.Errorf("orm: commit: %w", err)
	}
	return nil
}

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
	// prepared holds statements prepared on the transaction when the same
	// text runs again and again (full chunks): one parse for all of them
	// on drivers that would otherwise send the text each time.
	prepared map[string]*sql.Stmt
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

// insertGroupOf is a run of consecutive objects with the same columns.
type bulkGroup struct {
	write []*schema.Field
	gen   []*schema.Field
	rows  []unsafe.Pointer
}

func (b *bulkInsert) run(ctx context.Context, ptrs []unsafe.Pointer) (int64, error) {
	m, cfg, d := b.m, b.cfg, b.db.dialect
	conflict, err := b.conflictClause()
	if err != nil {
		return 0, err
	}
	if cfg.returnKeys && conflict != "" {
		return 0, invalid("BulkReturnKeys cannot be combined with an upsert (rows it skips or updates have no new key)")
	}
	if s := b.s; s != nil {
		for _, p := range ptrs {
			if s.im.lookupPtr(p) != nil {
				return 0, invalid("BulkInsert: a %s is already tracked by this session (use Add and Flush for tracked objects)", m.Name)
			}
		}
	}
	kind := b.db.copyDriver()
	useCopy := false
	switch cfg.copyMode {
	case 1:
		switch {
		case kind == copyNone:
			return 0, fmt.Errorf("%w: BulkCopy needs PostgreSQL through pgx or lib/pq (dialect %s)", dialect.ErrUnsupported, d.Name())
		case conflict != "" || cfg.returnKeys:
			return 0, fmt.Errorf("%w: BulkCopy cannot upsert or return keys", dialect.ErrUnsupported)
		}
		useCopy = true
	case 0:
		useCopy = kind != copyNone && conflict == "" && !cfg.returnKeys && len(ptrs) >= cfg.copyThreshold
	}
	// Hooks and initial versions first: a hook that fails stops the call
	// before any SQL.
	for _, p := range ptrs {
		if err := b.s.hook(ctx, m, p, schema.HookBeforeInsert); err != nil {
			b.undo()
			return 0, fmt.Errorf("orm: bulk insert %s: %w", m.Table, err)
		}
		if v := m.Version; v != nil && v.IsZero(p) {
			if err := v.Set(p, int64(1)); err != nil {
				b.undo()
				return 0, fmt.Errorf("orm: bulk insert %s: %w", m.Table, err)
			}
			b.set = append(b.set, setField{p, v})
		}
	}
	var groups []*bulkGroup
	var lastMask uint64
	for _, p := range ptrs {
		mask, ok := insertMask(m, p)
		if len(groups) == 0 || !ok || mask != lastMask {
			write, gen := insertColumns(m, p)
			if len(groups) == 0 || ok || !sameFieldList(write, groups[len(groups)-1].write) {
				groups = append(groups, &bulkGroup{write: write, gen: gen})
			}
			lastMask = mask
		}
		g := groups[len(groups)-1]
		g.rows = append(g.rows, p)
	}
	statements := 0
	for _, g := range groups {
		statements += (len(g.rows) + b.perStatement(g) - 1) / b.perStatement(g)
	}
	explicitKeys := false
	for _, g := range groups {
		if m.AutoIncrement != nil && indexOf(g.write, m.AutoIncrement) >= 0 {
			explicitKeys = true
		}
	}
	single := !useCopy && statements == 1 && !explicitKeys && !m.Hooks.Has(schema.HookAfterInsert)
	var n int64
	err = runBulk(ctx, b.db, b.s, single, useCopy && kind == copyPgx, func(bt bulkTx) error {
		n = 0
		if bt.tx != nil && statements > 2 {
			b.prepared = map[string]*sql.Stmt{}
			defer func() {
				for _, st := range b.prepared {
					_ = st.Close()
				}
				b.prepared = nil
			}()
		}
		done := 0
		for _, g := range groups {
			if useCopy {
				k, err := b.copyRows(ctx, kind, bt.tx, bt.own, g.write, g.rows)
				if err != nil {
					return &FlushError{Op: "copy", Table: m.Table, Err: err}
				}
				n += k
				done += len(g.rows)
				continue
			}
			per := b.perStatement(g)
			for start := 0; start < len(g.rows); start += per {
				chunk := g.rows[start:min(len(g.rows), start+per)]
				k, err := b.insertChunk(ctx, bt, g, chunk, conflict)
				if err != nil {
					return err
				}
				n += k
				done += len(chunk)
				if cfg.progress != nil {
					cfg.progress(done, b.total)
				}
			}
		}
		if explicitKeys {
			if err := b.db.bumpSequence(ctx, bt.c, bt.inTx, m); err != nil {
				return &FlushError{Op: "insert", Table: m.Table, Err: err}
			}
		}
		for _, p := range ptrs {
			if err := b.s.hook(ctx, m, p, schema.HookAfterInsert); err != nil {
				return fmt.Errorf("orm: bulk insert %s: %w", m.Table, err)
			}
		}
		return nil
	}, b.undo)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// perStatement is the number of rows of g one INSERT carries.
func (b *bulkInsert) perStatement(g *bulkGroup) int {
	return max(1, min(b.cfg.batch, b.db.dialect.MaxBindParams()/max(1, len(g.write))))
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

// insertChunk sends one multi-row INSERT and returns the rows it wrote.
func (b *bulkInsert) insertChunk(ctx context.Context, bt bulkTx, g *bulkGroup, rows []unsafe.Pointer, conflict string) (int64, error) {
	m, d := b.m, b.db.dialect
	keyed := b.cfg.returnKeys && m.AutoIncrement != nil && indexOf(g.gen, m.AutoIncrement) >= 0
	returning := keyed && d.Features().Has(dialect.InsertReturning)
	sig := "B" + sigOf(g.write, m) + "|" + conflict
	if returning {
		sig += "|R"
	}
	q := b.db.sql.get(sqlKey{model: m, kind: 'b', sig: sig, n: len(rows)}, func() string {
		var ret []*schema.Field
		if returning {
			ret = []*schema.Field{m.AutoIncrement}
		}
		return statement.Insert(d, m.Table, g.write, len(rows), conflict, ret)
	})
	args := make([]any, len(rows)*len(g.write))
	for i, p := range rows {
		if err := fieldValues(g.write, p, args[i*len(g.write):(i+1)*len(g.write)]); err != nil {
			return 0, &FlushError{Op: "insert", Table: m.Table, Key: keyString(m, p), Err: err}
		}
	}
	fail := func(err error) error { return &FlushError{Op: "insert", Table: m.Table, Err: err} }
	c := bt.c
	if b.prepared != nil {
		st, ok := b.prepared[q]
		if !ok {
			var err error
			if st, err = bt.tx.PrepareContext(ctx, q); err != nil {
				st = nil // run unprepared
			}
			b.prepared[q] = st
		}
		if st != nil {
			c = stmtConn{st}
		}
	}
	if returning {
		keys := make([]any, 0, len(rows))
		if _, err := b.db.query(ctx, c, bt.inTx, q, args, func(rs *sql.Rows) error {
			var v any
			if err := rs.Scan(&v); err != nil {
				return err
			}
			keys = append(keys, v)
			return nil
		}); err != nil {
			return 0, fail(err)
		}
		if len(keys) != len(rows) {
			return 0, fail(fmt.Errorf("INSERT RETURNING gave %d rows for %d", len(keys), len(rows)))
		}
		// Generated keys grow in VALUES order, whatever order RETURNING
		// lists them in.
		sort.Slice(keys, func(i, j int) bool { return lessKey(keys[i], keys[j]) })
		for i, p := range rows {
			if err := m.AutoIncrement.Set(p, keys[i]); err != nil {
				return 0, fail(err)
			}
			b.set = append(b.set, setField{p, m.AutoIncrement})
		}
		return int64(len(rows)), nil
	}
	res, err := b.db.exec(ctx, c, bt.inTx, q, args...)
	if err != nil {
		return 0, fail(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fail(err)
	}
	if keyed {
		first, err := res.LastInsertId()
		if err != nil {
			return 0, fail(err)
		}
		step, err := b.db.autoIncrementStep(ctx, bt.c)
		if err != nil {
			return 0, fail(err)
		}
		for i, p := range rows {
			if err := m.AutoIncrement.Set(p, first+int64(i)*step); err != nil {
				return 0, fail(err)
			}
			b.set = append(b.set, setField{p, m.AutoIncrement})
		}
	}
	return n, nil
}

// BulkUpdate writes every column of objs (or those of BulkColumns) to
// their rows by primary key, with one prepared UPDATE run per object, in
// one transaction: the session's, under a savepoint, or one of its own on a
// *DB. Version columns are checked and raised as in a flush. An object
// whose row is gone fails the whole call with a *MissingRowsError
// (ErrStaleData) and nothing written, unless BulkSkipMissing is given.
// Objects the session tracks under the same keys are brought up to date:
// the object passed is marked clean, other instances are expired. It
// returns the number of rows updated; an empty objs sends nothing.
func BulkUpdate[T any](ctx context.Context, q Querier, objs []*T, opts ...BulkOption) (int64, error) {
	if err := sessionOf(q).enter("BulkUpdate"); err != nil {
		return 0, err
	}
	defer sessionOf(q).exit()
	db, s, m, ptrs, err := bulkTarget(q, "BulkUpdate", objs)
	if err != nil {
		return 0, err
	}
	if len(ptrs) == 0 {
		return 0, nil
	}
	cfg := newBulkConfig(opts)
	if len(m.PrimaryKey) == 0 {
		return 0, invalid("BulkUpdate: %s has no primary key", m.Name)
	}
	var set []*schema.Field
	if cfg.columns == nil {
		for _, f := range m.Fields {
			if !f.PrimaryKey && f != m.Version {
				set = append(set, f)
			}
		}
	} else {
		for _, name := range cfg.columns {
			f, ok := m.FieldByName(name)
			if !ok {
				return 0, fmt.Errorf("%w %q: BulkColumns of %s", query.ErrUnknownColumn, name, m.Table)
			}
			if f.PrimaryKey {
				return 0, invalid("BulkUpdate: %q is a primary-key column; keys are not updated", name)
			}
			if f != m.Version {
				set = append(set, f)
			}
		}
	}
	if len(set) == 0 && m.Version == nil {
		return 0, invalid("BulkUpdate: no columns to update in %s", m.Table)
	}
	for i, p := range ptrs {
		if _, ok, err := keyOf(m, p); err != nil || !ok {
			return 0, invalid("BulkUpdate: object %d has no primary key value", i)
		}
	}
	// The flush's statement: the version's new value is a parameter, its
	// old value is checked.
	written := set
	if m.Version != nil {
		written = append(append([]*schema.Field(nil), set...), m.Version)
	}
	text := db.updateByKeySQL(m, written)
	for _, p := range ptrs {
		if err := s.hook(ctx, m, p, schema.HookBeforeUpdate); err != nil {
			return 0, fmt.Errorf("orm: bulk update %s: %w", m.Table, err)
		}
	}
	type bumped struct {
		p   unsafe.Pointer
		old int64
	}
	var versions []bumped
	undo := func() {
		for _, v := range versions {
			_ = m.Version.Set(v.p, v.old)
		}
		versions = nil
	}
	var n int64
	var updated []unsafe.Pointer
	err = runBulk(ctx, db, s, len(ptrs) == 1 && !m.Hooks.Has(schema.HookAfterUpdate) && s == nil, false, func(bt bulkTx) error {
		n, updated = 0, updated[:0]
		c := bt.c
		if bt.tx != nil && len(ptrs) > 1 {
			if st, err := bt.tx.PrepareContext(ctx, text); err == nil {
				defer st.Close()
				c = stmtConn{st}
			}
		}
		keyAt := len(written)
		args := make([]any, keyAt+len(m.PrimaryKey), keyAt+len(m.PrimaryKey)+1)
		if m.Version != nil {
			args = args[:len(args)+1]
		}
		var missing [][]any
		for _, p := range ptrs {
			if err := fieldValues(set, p, args); err != nil {
				return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, p), Err: err}
			}
			if err := fieldValues(m.PrimaryKey, p, args[keyAt:]); err != nil {
				return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, p), Err: err}
			}
			if v := m.Version; v != nil {
				old, _ := v.Int64(p)
				args[len(set)], args[len(args)-1] = old+1, old
			}
			res, err := db.exec(ctx, c, bt.inTx, text, args...)
			if err != nil {
				return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, p), Err: err}
			}
			k, err := res.RowsAffected()
			if err != nil {
				return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, p), Err: err}
			}
			if k == 0 {
				key := make([]any, len(m.PrimaryKey))
				copy(key, args[keyAt:keyAt+len(m.PrimaryKey)])
				missing = append(missing, key)
				continue
			}
			n += k
			updated = append(updated, p)
			if v := m.Version; v != nil {
				old, _ := v.Int64(p)
				if err := v.Set(p, old+1); err != nil {
					return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, p), Err: err}
				}
				versions = append(versions, bumped{p, old})
			}
		}
		if len(missing) > 0 {
			if !cfg.skipMissing {
				return &MissingRowsError{Table: m.Table, Keys: missing}
			}
			if cfg.onMissing != nil {
				s.runCallback(func() {
					for _, k := range missing {
						cfg.onMissing(k)
					}
				})
			}
		}
		for _, p := range updated {
			if err := s.hook(ctx, m, p, schema.HookAfterUpdate); err != nil {
				return fmt.Errorf("orm: bulk update %s: %w", m.Table, err)
			}
		}
		if s != nil {
			s.afterBulkUpdate(m, set, updated)
		}
		return nil
	}, undo)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// afterBulkUpdate brings tracked objects up to date with rows BulkUpdate
// wrote: the instance that was passed becomes clean, another instance of
// the same key has the written columns expired. Both are journalled, so a
// rollback puts them back.
func (s *Session) afterBulkUpdate(m *schema.Model, set []*schema.Field, updated []unsafe.Pointer) {
	if !s.tracks(m) {
		return
	}
	var cols []string
	for _, p := range updated {
		id, ok, err := keyOf(m, p)
		if err != nil || !ok {
			continue
		}
		e := s.im.lookupID(id)
		if e == nil || e.state != StatePersistent {
			continue
		}
		if s.tx != nil && e.snapshot != nil {
			s.tx.record(e)
		}
		if e.ptr() == p {
			// What was written is now the row: those columns are clean,
			// changes to others stay pending.
			if e.snapshot != nil {
				snap := takeSnapshot(m, e.snapshot)
				for _, f := range set {
					f.Copy(snap, p)
				}
				if m.Version != nil {
					m.Version.Copy(snap, p)
				}
				e.snapshot = snap
			}
			continue
		}
		if cols == nil {
			for _, f := range set {
				cols = append(cols, f.Column)
			}
			if m.Version != nil {
				cols = append(cols, m.Version.Column)
			}
		}
		if e.snapshot != nil {
			e.snapshot = takeSnapshot(m, e.snapshot)
		}
		s.expire(e, cols)
	}
}
