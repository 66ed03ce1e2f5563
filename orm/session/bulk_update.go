package session

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

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
	if err != nil || len(ptrs) == 0 {
		return 0, err
	}
	u := &bulkUpdate{db: db, s: s, m: m, cfg: newBulkConfig(opts), ptrs: ptrs}
	if err := u.check(); err != nil {
		return 0, err
	}
	for _, p := range ptrs {
		if err := s.hook(ctx, m, p, schema.HookBeforeUpdate); err != nil {
			return 0, errwrap.Wrapf(err, "bulk update %s", m.Table)
		}
	}
	var n int64
	single := len(ptrs) == 1 && !m.Hooks.Has(schema.HookAfterUpdate) && s == nil
	err = runBulk(ctx, db, s, single, false, func(bt bulkTx) error {
		var err error
		n, err = u.run(ctx, bt)
		return err
	}, u.undo)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// bulkUpdate is one BulkUpdate call.
type bulkUpdate struct {
	db   *DB
	s    *Session
	m    *schema.Model
	cfg  *bulkConfig
	ptrs []unsafe.Pointer
	set  []*schema.Field // columns written (the version aside)
	// text is the flush's UPDATE by key: the version's new value is a
	// parameter, its old value is checked.
	text string
	// versions are the versions the call raised, restored by undo.
	versions []bumpedVersion
	args     []any // one statement's arguments, reused
}

type bumpedVersion struct {
	p   unsafe.Pointer
	old int64
}

// check resolves the columns to write and refuses what cannot be updated,
// before any SQL.
func (u *bulkUpdate) check() error {
	m := u.m
	if len(m.PrimaryKey) == 0 {
		return invalid("BulkUpdate: %s has no primary key", m.Name)
	}
	if u.cfg.columns == nil {
		for _, f := range m.Fields {
			if !f.PrimaryKey && f != m.Version {
				u.set = append(u.set, f)
			}
		}
	}
	for _, name := range u.cfg.columns {
		f, ok := m.FieldByName(name)
		if !ok {
			return fmt.Errorf("%w %q: BulkColumns of %s", query.ErrUnknownColumn, name, m.Table)
		}
		if f.PrimaryKey {
			return invalid("BulkUpdate: %q is a primary-key column; keys are not updated", name)
		}
		if f != m.Version {
			u.set = append(u.set, f)
		}
	}
	if len(u.set) == 0 && m.Version == nil {
		return invalid("BulkUpdate: no columns to update in %s", m.Table)
	}
	for i, p := range u.ptrs {
		if _, ok, err := keyOf(m, p); err != nil || !ok {
			return invalid("BulkUpdate: object %d has no primary key value", i)
		}
	}
	written := u.set
	if m.Version != nil {
		written = append(append([]*schema.Field(nil), u.set...), m.Version)
	}
	u.text = u.db.updateByKeySQL(m, written)
	return nil
}

func (u *bulkUpdate) undo() {
	for _, v := range u.versions {
		_ = u.m.Version.Set(v.p, v.old)
	}
	u.versions = nil
}

// run sends one UPDATE per object (prepared from the second on), collects
// the objects whose row is gone, runs the AfterUpdate hooks and brings
// the session's tracked objects up to date.
func (u *bulkUpdate) run(ctx context.Context, bt bulkTx) (int64, error) {
	m, s := u.m, u.s
	x := &runner{db: u.db, c: bt.c, inTx: bt.inTx}
	defer x.close()
	var n int64
	var updated []unsafe.Pointer
	var missing [][]any
	for _, p := range u.ptrs {
		k, key, err := u.updateOne(ctx, x, p)
		if err != nil {
			return 0, err
		}
		if k == 0 {
			missing = append(missing, key)
			continue
		}
		n += k
		updated = append(updated, p)
	}
	if len(missing) > 0 {
		if !u.cfg.skipMissing {
			return 0, &MissingRowsError{Table: m.Table, Keys: missing}
		}
		if u.cfg.onMissing != nil {
			s.runCallback(func() {
				for _, k := range missing {
					u.cfg.onMissing(k)
				}
			})
		}
	}
	for _, p := range updated {
		if err := s.hook(ctx, m, p, schema.HookAfterUpdate); err != nil {
			return 0, errwrap.Wrapf(err, "bulk update %s", m.Table)
		}
	}
	if s != nil {
		s.afterBulkUpdate(m, u.set, updated)
	}
	return n, nil
}

// updateOne writes the object at p and raises its version; it returns the
// rows matched (0: the row is gone or its version changed) and the key.
func (u *bulkUpdate) updateOne(ctx context.Context, x *runner, p unsafe.Pointer) (int64, []any, error) {
	m := u.m
	keyAt := len(u.set)
	if m.Version != nil {
		keyAt++
	}
	if u.args == nil {
		u.args = make([]any, keyAt+len(m.PrimaryKey), keyAt+len(m.PrimaryKey)+1)
	}
	args := u.args[:keyAt+len(m.PrimaryKey)]
	fail := func(err error) error {
		return &FlushError{Op: "update", Table: m.Table, Key: keyString(m, p), Err: err}
	}
	if err := fieldValues(u.set, p, args); err != nil {
		return 0, nil, fail(err)
	}
	if err := fieldValues(m.PrimaryKey, p, args[keyAt:]); err != nil {
		return 0, nil, fail(err)
	}
	var old int64
	if v := m.Version; v != nil {
		old, _ = v.Int64(p)
		args = append(args, old)
		args[len(u.set)] = old + 1
	}
	res, err := x.exec(ctx, u.text, args...)
	if err != nil {
		return 0, nil, fail(err)
	}
	k, err := res.RowsAffected()
	if err != nil {
		return 0, nil, fail(err)
	}
	if k == 0 {
		return 0, append([]any(nil), args[keyAt:keyAt+len(m.PrimaryKey)]...), nil
	}
	if v := m.Version; v != nil {
		if err := v.Set(p, old+1); err != nil {
			return 0, nil, fail(err)
		}
		u.versions = append(u.versions, bumpedVersion{p, old})
	}
	return k, nil, nil
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
