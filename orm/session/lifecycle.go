package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// newObj returns the object at p as a *T in an interface.
func newObj(m *schema.Model, p unsafe.Pointer) any { return reflect.NewAt(m.Type, p).Interface() }

// IsExpired reports whether obj is tracked and has expired values.
func (s *Session) IsExpired(obj any) bool {
	s.mustEnter("IsExpired")
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return false
	}
	e := s.im.lookupPtr(p)
	return e != nil && e.state == StatePersistent && e.expired
}

// ExpiredAttributes returns the expired column names of obj, in field
// order: all its columns when it is wholly expired, none when it is not
// expired or not persistent (as IsExpired reports).
func (s *Session) ExpiredAttributes(obj any) []string {
	s.mustEnter("ExpiredAttributes")
	defer s.exit()
	_, p, err := s.resolve(obj)
	if err != nil {
		return nil
	}
	e := s.im.lookupPtr(p)
	if e == nil || e.state != StatePersistent || !e.expired {
		return nil
	}
	var out []string
	for _, f := range e.model.Fields {
		if e.expiredCols == nil || e.expiredCols[f.Column] {
			out = append(out, f.Column)
		}
	}
	return out
}

// NoAutoFlush runs fn with AutoFlush suspended, for code that reads while
// objects are half-built. fn runs as a callback of the session: its calls
// on the session are allowed, and calls from other goroutines while it
// runs are not detected.
func (s *Session) NoAutoFlush(fn func()) {
	s.mustEnter("NoAutoFlush")
	defer s.exit()
	s.noAutoFlush++
	defer func() { s.noAutoFlush-- }()
	s.runCallback(fn)
}

// autoFlush flushes before a read when AutoFlush is on and not suspended.
func (s *Session) autoFlush(ctx context.Context) error {
	if !s.cfg.AutoFlush || s.noAutoFlush > 0 {
		return nil
	}
	return s.flush(ctx)
}

// Refresh reloads obj from its row now, in place. Unflushed changes are kept
// and stay dirty (as with any reload of an expired object). obj must be
// persistent (ErrNotPersistent otherwise); a row that no longer exists is
// ErrNotFound and obj is expunged.
func Refresh[T any](ctx context.Context, s *Session, obj *T) error {
	if err := s.enter("Refresh"); err != nil {
		return err
	}
	defer s.exit()
	m, p, err := s.resolve(obj)
	if err != nil {
		return err
	}
	e := s.im.lookupPtr(p)
	if e == nil || e.state != StatePersistent {
		return fmt.Errorf("%w: Refresh of a %s that is not persistent", ErrNotPersistent, m.Name)
	}
	if err := s.autoFlush(ctx); err != nil {
		return err
	}
	e.expired, e.expiredCols = true, nil
	return s.reloadExpired(ctx, e)
}

// reloadExpired reloads the expired columns of e (all of them, or the
// partial set) with one SELECT of just those columns.
func (s *Session) reloadExpired(ctx context.Context, e *entry) error {
	m := e.model
	cols := m.Fields
	if e.expiredCols != nil {
		cols = nil
		for _, f := range m.Fields {
			if e.expiredCols[f.Column] {
				cols = append(cols, f)
			}
		}
	}
	src := e.snapshot
	if src == nil {
		src = e.ptr()
	}
	w := &sqlWriter{d: s.db.dialect}
	w.raw("SELECT ")
	w.idents(cols)
	w.raw(" FROM ")
	w.ident(m.Table)
	w.raw(" WHERE ")
	w.keyEquals(m.PrimaryKey)
	args := make([]any, len(m.PrimaryKey))
	for i, f := range m.PrimaryKey {
		args[i], _ = f.Value(src)
	}
	_, fresh := m.New()
	// Columns not reloaded keep their snapshot values in fresh, so that
	// apply leaves them as they are.
	if e.snapshot != nil {
		for _, f := range m.Fields {
			f.Copy(fresh, e.snapshot)
		}
	}
	dest := make([]any, len(cols))
	for i, f := range cols {
		sc := f.Scanner()
		sc.Bind(fresh)
		dest[i] = sc
	}
	c, inTx := s.readConn(ctx)
	n, err := s.db.query(ctx, c, inTx, w.b.String(), args, func(rows *sql.Rows) error { return rows.Scan(dest...) })
	if err != nil {
		return fmt.Errorf("orm: reload %s %v: %w", m.Name, e.id, err)
	}
	if n == 0 {
		s.im.drop(e)
		if s.tx != nil {
			s.tx.forget(e)
		}
		e.state = StateDetached
		return fmt.Errorf("%w: %s %v no longer exists", ErrNotFound, m.Name, e.id)
	}
	s.apply(e, fresh)
	return s.hook(ctx, m, e.ptr(), schema.HookAfterLoad)
}

// Merge brings the state of obj into the session and returns the tracked
// instance for its key:
//   - key already tracked: obj's column values are copied onto the tracked
//     instance, which is returned (no SQL);
//   - not tracked and load: the row is loaded, obj's values are laid over
//     it, and the loaded instance is returned (dirty in the columns that
//     differ);
//   - no key, or load and no row: obj is added as New and returned.
//
// Without load (see MergeWithoutLoad) an untracked obj with a key is
// attached as Persistent and clean, taken to match its row. An obj that
// another session tracks is never attached itself: a copy of its column
// values takes its place in all of the above.
func Merge[T any](ctx context.Context, s *Session, obj *T, load bool) (*T, error) {
	if err := s.enter("Merge"); err != nil {
		return nil, err
	}
	defer s.exit()
	return merge(ctx, s, obj, load)
}

// merge is Merge without the guard.
func merge[T any](ctx context.Context, s *Session, obj *T, load bool) (*T, error) {
	m, p, err := s.resolve(obj)
	if err != nil {
		return nil, err
	}
	if e := s.im.lookupPtr(p); e != nil {
		return obj, nil
	}
	if trackedElsewhere(uintptr(p), s.im.tag) {
		// Another session tracks obj: this one works on a copy of its
		// column values, so that no object is tracked twice.
		p = takeSnapshot(m, p)
		obj = (*T)(p)
	}
	id, keyed, err := keyOf(m, p)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if !keyed {
		if err := s.addObj(obj); err != nil {
			return nil, err
		}
		return obj, nil
	}
	if e := s.im.lookupID(id); e != nil {
		if e.state == StateDeleted {
			return nil, fmt.Errorf("%w: Merge of %s %v, which is deleted in this session", ErrNotPersistent, m.Name, id)
		}
		if e.expired {
			if err := s.reloadExpired(ctx, e); err != nil {
				return nil, err
			}
		}
		overlay(m, e.ptr(), p)
		e.strong = e.ptr()
		return (*T)(e.ptr()), nil
	}
	if !load {
		e := s.im.track(m, p, StatePersistent)
		s.im.setID(e, id)
		e.snapshot = takeSnapshot(m, p)
		s.im.settle(e, true)
		return obj, nil
	}
	pks := make([]any, len(m.PrimaryKey))
	for i, f := range m.PrimaryKey {
		pks[i], _ = f.Value(p)
	}
	tp, err := s.get(ctx, m, GetOptions{}, pks)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			if err := s.addObj(obj); err != nil {
				return nil, err
			}
			return obj, nil
		}
		return nil, err
	}
	overlay(m, tp, p)
	if e := s.im.lookupPtr(tp); e != nil {
		e.strong = tp
	}
	return (*T)(tp), nil
}

// MergeWithoutLoad is Merge with load false: no SQL is sent.
func MergeWithoutLoad[T any](ctx context.Context, s *Session, obj *T) (*T, error) {
	if err := s.enter("MergeWithoutLoad"); err != nil {
		return nil, err
	}
	defer s.exit()
	return merge(ctx, s, obj, false)
}

// overlay copies every column of src onto dst.
func overlay(m *schema.Model, dst, src unsafe.Pointer) {
	for _, f := range m.Fields {
		f.Copy(dst, src)
	}
}
