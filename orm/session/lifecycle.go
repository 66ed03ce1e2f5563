package session

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/statement"
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
	if err := s.checkAborted(); err != nil {
		return err
	}
	if !s.autoFlushing() {
		return nil
	}
	return s.flush(ctx)
}

// autoFlushing reports whether reads flush first now: AutoFlush is on, and
// no NoAutoFlush scope (or flush, or merge) suspends it.
func (s *Session) autoFlushing() bool { return s.cfg.AutoFlush && s.noAutoFlush == 0 }

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
	if isDirty(e, p) {
		// Changes wait to be written over what this reads: the primary.
		s.forWrite++
		defer func() { s.forWrite-- }()
	}
	s.expireEntry(e)
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
	q := statement.SelectByKey(s.db.dialect, m.Table, cols, m.PrimaryKey, "")
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
	n, err := s.db.query(ctx, c, inTx, q, args, func(rows *sql.Rows) error { return rows.Scan(dest...) })
	if err != nil {
		return errwrap.Wrapf(err, "reload %s %v", m.Name, e.id)
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
