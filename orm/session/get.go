package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/statement"
)

// GetOptions modify Get.
type GetOptions struct {
	// ForUpdate always queries, with SELECT ... FOR UPDATE, inside the
	// session's transaction (opened if needed), and refreshes the tracked
	// object's unchanged columns. It is an error on SQLite.
	ForUpdate bool
	// SkipLocked adds SKIP LOCKED (and wins over NoWait): a row locked by
	// another transaction is skipped, so Get reports ErrNotFound. It needs
	// ForUpdate.
	SkipLocked bool
	// NoWait adds NOWAIT: a row locked by another transaction is an error
	// at once instead of a wait. It needs ForUpdate.
	NoWait bool
}

// Get returns the object of type T with primary key pk. An object the
// session tracks is returned as is, without SQL (reloaded in place first
// if it is Expired); otherwise it is loaded and tracked. A row that does not
// exist is ErrNotFound. An object deleted in this session but not flushed
// yet answers as queries do: ErrNotFound while AutoFlush is on (the flush
// before a query would delete its row; Get sends no SQL for it), and the
// tracked instance, still StateDeleted, while it is off (its row is still
// in the database).
func Get[T any](ctx context.Context, s *Session, pk any) (*T, error) {
	if err := s.enter("Get"); err != nil {
		return nil, err
	}
	defer s.exit()
	if p := s.hit(reflect.TypeFor[T](), pk); p != nil {
		return (*T)(p), nil
	}
	return getWithOptions[T](ctx, s, GetOptions{}, []any{pk})
}

// hit is Get's fast path: a tracked, live, unexpired object for a
// single-column key, found without allocating. Anything else (misses,
// wrong key types, expired or deleted objects) takes the full path, which
// reports errors.
func (s *Session) hit(t reflect.Type, pk any) unsafe.Pointer {
	if s == nil || s.closed {
		return nil
	}
	m := s.lastModel
	if m == nil || m.Type != t {
		var ok bool
		if m, ok = s.db.registry.Lookup(t); !ok || m.Type != t {
			return nil
		}
		s.lastModel = m
	}
	if len(m.PrimaryKey) != 1 {
		return nil
	}
	k, err := normKey(pk)
	if err != nil {
		return nil
	}
	e := s.im.byID.get(identity{m, k})
	if e == nil || e.state == StateDeleted || e.expired {
		return nil
	}
	return e.ptr()
}

// GetByPK is Get for composite primary keys: one value per key column, in
// field order.
func GetByPK[T any](ctx context.Context, s *Session, pk ...any) (*T, error) {
	if err := s.enter("GetByPK"); err != nil {
		return nil, err
	}
	defer s.exit()
	return getWithOptions[T](ctx, s, GetOptions{}, pk)
}

// GetWithOptions is GetByPK with options such as row locking.
func GetWithOptions[T any](ctx context.Context, s *Session, opts GetOptions, pk ...any) (*T, error) {
	if err := s.enter("GetWithOptions"); err != nil {
		return nil, err
	}
	defer s.exit()
	return getWithOptions[T](ctx, s, opts, pk)
}

// getWithOptions is GetWithOptions without the guard.
func getWithOptions[T any](ctx context.Context, s *Session, opts GetOptions, pk []any) (*T, error) {
	if s == nil {
		return nil, invalid("nil session")
	}
	if s.closed {
		return nil, ErrSessionClosed
	}
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		// Lookup also accepts *Model, which would make the result a
		// **Model pointing at a Model.
		return nil, fmt.Errorf("%w: %s is not a struct type (use Get[Model], not Get[*Model])", ErrUnmapped, t)
	}
	m, ok := s.db.registry.Lookup(t)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not registered (call db.Register or db.CreateAll with it)", ErrUnmapped, t)
	}
	if (opts.SkipLocked || opts.NoWait) && !opts.ForUpdate {
		return nil, invalid("GetOptions: SkipLocked and NoWait need ForUpdate")
	}
	p, err := s.get(ctx, m, opts, pk)
	if err != nil {
		return nil, err
	}
	return (*T)(p), nil
}

// keyProbe builds a zero instance holding the given key values, converted
// to the key fields' types.
func keyProbe(m *schema.Model, pk []any) (unsafe.Pointer, error) {
	if len(pk) != len(m.PrimaryKey) {
		return nil, invalid("%s has a %d-column primary key, got %d value(s)", m.Name, len(m.PrimaryKey), len(pk))
	}
	_, p := m.New()
	for i, f := range m.PrimaryKey {
		v, err := plainValue(pk[i])
		if err != nil {
			return nil, invalid("key value for %s.%s: %v", m.Name, f.Path, err)
		}
		if !keyFits(f, v) {
			return nil, invalid("key value %#v (%T) does not fit %s.%s (%s)", pk[i], pk[i], m.Name, f.Path, f.Type)
		}
		if err := f.Set(p, v); err != nil {
			return nil, invalid("key value %v for %s.%s: %v", pk[i], m.Name, f.Path, err)
		}
	}
	return p, nil
}

// keyFits reports whether a key value (as plainValue returns it) is of the
// kind of the key field: an integer for an integer key, a string for a
// string key, and so on. It refuses what Field.Set would otherwise convert
// silently, such as "42" or true for an integer key. Fields with Scanner
// types decide for themselves.
func keyFits(f *schema.Field, v any) bool {
	if f.Valuer || f.JSON || f.Kind == schema.KindCustom {
		return true
	}
	switch v.(type) {
	case int64, uint64:
		return f.Kind == schema.KindInt || f.Kind == schema.KindUint || f.Kind == schema.KindFloat
	case float64:
		return f.Kind == schema.KindFloat
	case string:
		return f.Kind == schema.KindString || f.Kind == schema.KindBytes
	case []byte:
		return f.Kind == schema.KindBytes
	case bool:
		return f.Kind == schema.KindBool
	case time.Time:
		return f.Kind == schema.KindTime
	}
	return false
}

// plainValue turns a user-supplied key value (named types, int, Valuer)
// into a driver value.
func plainValue(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, fmt.Errorf("nil")
	case int64, string, []byte, time.Time, bool, float64:
		return x, nil
	case driver.Valuer:
		return x.Value()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint(), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, fmt.Errorf("nil")
		}
		return plainValue(rv.Elem().Interface())
	}
	return nil, fmt.Errorf("unsupported key type %T", v)
}

func (s *Session) get(ctx context.Context, m *schema.Model, opts GetOptions, pk []any) (unsafe.Pointer, error) {
	probe, err := keyProbe(m, pk)
	if err != nil {
		return nil, err
	}
	id, keyed, err := rowKeyOf(m, probe)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if keyed && !opts.ForUpdate {
		if e := s.im.lookupID(id); e != nil {
			switch {
			case e.state == StateDeleted && s.autoFlushing():
				return nil, fmt.Errorf("%w: %s %v is deleted in this session", ErrNotFound, m.Name, id)
			case e.expired:
				if err := s.reloadExpired(ctx, e); err != nil {
					return nil, err
				}
			}
			return e.ptr(), nil
		}
	}
	if err := s.autoFlush(ctx); err != nil {
		return nil, err
	}
	lock := ""
	if opts.ForUpdate {
		if lock, err = s.db.dialect.LockClause(opts.SkipLocked, opts.NoWait); err != nil {
			return nil, err
		}
		if s.tx == nil {
			if err := s.begin(context.WithoutCancel(ctx), s.cfg.TxOptions); err != nil {
				return nil, err
			}
		}
	}
	q := s.db.sql.get(sqlKey{model: m, kind: 's', sig: lock, n: 1}, func() string { return statement.SelectByKey(s.db.dialect, m.Table, m.Fields, m.PrimaryKey, lock) })
	args := make([]any, len(m.PrimaryKey))
	for i, f := range m.PrimaryKey {
		args[i], _ = f.Value(probe)
	}
	var out unsafe.Pointer
	var loadErr error
	c, inTx := s.readConn(ctx)
	sc := s.db.getScanner(m)
	defer s.db.putScanner(sc)
	n, err := s.db.query(ctx, c, inTx, q, args, func(rows *sql.Rows) error {
		p, err := sc.scan(rows)
		if err != nil {
			return err
		}
		out, loadErr = s.track(ctx, m, p, opts.ForUpdate)
		return nil
	})
	if err != nil {
		return nil, errwrap.Wrapf(err, "get %s %v", m.Name, pk)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: %s %v", ErrNotFound, m.Name, pk)
	}
	if loadErr != nil {
		return nil, loadErr
	}
	if err := s.hook(ctx, m, out, schema.HookAfterLoad); err != nil {
		return nil, err
	}
	return out, nil
}

// rowScanner scans result rows of all columns of a model into new
// instances, reusing its column scanners.
type rowScanner struct {
	m        *schema.Model
	scanners []*schema.ColumnScanner
	dest     []any
}

// getScanner takes a row scanner for m from the DB's pool; putScanner
// returns it. Scanners hold no row data between queries.
func (db *DB) getScanner(m *schema.Model) *rowScanner {
	v, ok := db.scanners.Load(m)
	if !ok {
		v, _ = db.scanners.LoadOrStore(m, &sync.Pool{New: func() any { return newRowScanner(m) }})
	}
	return v.(*sync.Pool).Get().(*rowScanner)
}

func (db *DB) putScanner(rs *rowScanner) {
	if v, ok := db.scanners.Load(rs.m); ok {
		v.(*sync.Pool).Put(rs)
	}
}

func newRowScanner(m *schema.Model) *rowScanner {
	rs := &rowScanner{m: m, scanners: make([]*schema.ColumnScanner, len(m.Fields)), dest: make([]any, len(m.Fields))}
	for i, f := range m.Fields {
		rs.scanners[i] = f.Scanner()
		rs.dest[i] = rs.scanners[i]
	}
	return rs
}

func (rs *rowScanner) scan(rows *sql.Rows) (unsafe.Pointer, error) {
	_, p := rs.m.New()
	for _, sc := range rs.scanners {
		sc.Bind(p)
	}
	if err := rows.Scan(rs.dest...); err != nil {
		return nil, err
	}
	return p, nil
}

// track resolves a freshly loaded row through the identity map: a tracked
// object, whatever its state, is returned (refreshed in place when
// Expired, or when refresh is set and it has no unflushed changes); an
// untracked row becomes Persistent with a snapshot.
func (s *Session) track(ctx context.Context, m *schema.Model, fresh unsafe.Pointer, refresh bool) (unsafe.Pointer, error) {
	id, keyed, err := rowKeyOf(m, fresh)
	if err != nil {
		return nil, err
	}
	if keyed {
		if e := s.im.lookupID(id); e != nil {
			if e.expired || refresh {
				s.apply(e, fresh)
			}
			return e.ptr(), nil
		}
	}
	return s.trackNew(m, fresh, id, keyed), nil
}

// reserveRows makes room in the identity map for n more rows at once (their
// keys and addresses), rather than growing both maps step by step while a
// large load tracks them. Maps larger than n are left to grow as they do,
// so that the copy costs at most the rows being added.
func (im *identityMap) reserveRows(m *schema.Model, n int) {
	if n < 64 {
		return
	}
	im.list = slices.Grow(im.list, n)
	im.reserveKeys(m, n)
	im.byPtr.Reserve(n)
}

// resolveLoaded is track for the rows of queries and loaders: a row whose
// key the session tracks is returned as the tracked instance, whatever its
// state (an object deleted in the session but not flushed still has its
// row, so it is returned, as in SQLAlchemy; with AutoFlush the delete was
// flushed before the query and the row is gone). AfterLoad runs for rows
// that became or refreshed tracked objects.
func (s *Session) resolveLoaded(ctx context.Context, m *schema.Model, p unsafe.Pointer) (unsafe.Pointer, error) {
	var out unsafe.Pointer
	if zeroGeneratedKey(m, p) {
		// A row with key 0 (see rowKeyOf): track finds or tracks it.
		var err error
		if out, err = s.track(ctx, m, p, false); err != nil {
			return nil, err
		}
	} else {
		// One key and one lookup: otherwise keyOf gives rowKeyOf's answer.
		id, keyed, err := rowKeyOf(m, p)
		if err != nil {
			return nil, err
		}
		if keyed {
			if e := s.im.lookupID(id); e != nil {
				if e.expired {
					s.apply(e, p)
					if err := s.hook(ctx, m, e.ptr(), schema.HookAfterLoad); err != nil {
						return nil, err
					}
				}
				return e.ptr(), nil
			}
		}
		out = s.trackNew(m, p, id, keyed)
	}
	return out, s.hook(ctx, m, out, schema.HookAfterLoad)
}

// zeroGeneratedKey reports whether the object at p has a single generated
// key column holding its zero value: where keyOf and rowKeyOf differ.
func zeroGeneratedKey(m *schema.Model, p unsafe.Pointer) bool {
	if len(m.PrimaryKey) != 1 || !m.PrimaryKey[0].AutoIncrement {
		return false
	}
	f := m.PrimaryKey[0]
	if n, ok := f.Int64(p); ok {
		return n == 0
	}
	return f.IsZero(p)
}

// trackNew tracks a row whose key (id, when keyed) the session does not
// track yet: it becomes Persistent with a snapshot.
func (s *Session) trackNew(m *schema.Model, fresh unsafe.Pointer, id identity, keyed bool) unsafe.Pointer {
	e := s.im.track(m, fresh, StatePersistent)
	if keyed {
		s.im.setID(e, id)
	}
	e.snapshot = s.im.snapshot(m, fresh)
	s.im.settle(e, true)
	return fresh
}

// apply loads database values into a tracked object in place: columns
// with unflushed changes keep them (and stay dirty against the new
// snapshot); a partial expiry reloads only its columns.
func (s *Session) apply(e *entry, fresh unsafe.Pointer) {
	p := e.ptr()
	if e.snapshot == nil {
		e.snapshot = takeSnapshot(e.model, fresh)
	}
	for _, f := range e.model.Fields {
		if e.expiredCols != nil && !e.expiredCols[f.Column] {
			continue
		}
		if f.Equal(p, e.snapshot) || e.unloaded[f.Column] {
			// Unchanged since loaded, or never loaded: the database's
			// value is the one to have.
			f.Copy(p, fresh)
		}
		f.Copy(e.snapshot, fresh)
		delete(e.unloaded, f.Column)
	}
	if len(e.unloaded) == 0 {
		e.unloaded = nil
	}
	e.expired, e.expiredCols = false, nil
	// A to-one relation whose foreign key the reload changed no longer
	// holds the right object: it becomes "not loaded".
	for _, rel := range e.model.Relations {
		if rel.Kind != schema.ManyToOne || !rel.Loaded(p) {
			continue
		}
		objs, _ := rel.Objects(p)
		want, _, okWant := tupleKey(rel.LocalFields, p)
		var have idKey
		okHave := false
		if len(objs) == 1 {
			have, _, okHave = tupleKey(rel.RemoteFields, reflect.ValueOf(objs[0]).UnsafePointer())
		}
		if okWant != okHave || (okWant && want != have) {
			if fv, err := rel.FieldValue(p); err == nil {
				fv.Interface().(schema.RelationEditor).Unload()
			}
		}
	}
}
