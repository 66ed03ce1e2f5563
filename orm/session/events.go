package session

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// EventFunc is a session event handler. An error from a handler of a
// Before event aborts the operation before any SQL is sent.
type EventFunc = func(ctx context.Context) error

// events holds the session's handlers per event, in registration order.
type events struct {
	beforeFlush, afterFlush, beforeCommit, afterCommit, afterRollback []EventFunc
}

// OnBeforeFlush registers fn to run before a flush that has work to do,
// before any SQL. It may add, change or delete objects; the flush plans
// after it. An error aborts the flush.
func (s *Session) OnBeforeFlush(fn EventFunc) {
	s.mustEnter("OnBeforeFlush")
	defer s.exit()
	s.ev.beforeFlush = append(s.ev.beforeFlush, s.callback(fn))
}

// OnAfterFlush registers fn to run after a flush succeeded, inside its
// transaction. An error is returned by Flush; the flush's work stays in
// the transaction.
func (s *Session) OnAfterFlush(fn EventFunc) {
	s.mustEnter("OnAfterFlush")
	defer s.exit()
	s.ev.afterFlush = append(s.ev.afterFlush, s.callback(fn))
}

// OnBeforeCommit registers fn to run at the start of Commit, before its
// flush. An error aborts the commit with no SQL sent.
func (s *Session) OnBeforeCommit(fn EventFunc) {
	s.mustEnter("OnBeforeCommit")
	defer s.exit()
	s.ev.beforeCommit = append(s.ev.beforeCommit, s.callback(fn))
}

// OnAfterCommit registers fn to run after a successful COMMIT.
func (s *Session) OnAfterCommit(fn EventFunc) {
	s.mustEnter("OnAfterCommit")
	defer s.exit()
	s.ev.afterCommit = append(s.ev.afterCommit, s.callback(fn))
}

// OnAfterRollback registers fn to run after a transaction was rolled back
// (by Rollback, Close, or a failed COMMIT).
func (s *Session) OnAfterRollback(fn EventFunc) {
	s.mustEnter("OnAfterRollback")
	defer s.exit()
	s.ev.afterRollback = append(s.ev.afterRollback, s.callback(fn))
}

// firing marks the context given to Before handlers, so that a handler
// calling back into the operation that fires it (Flush from a
// before-flush handler, Commit from a before-commit handler) is an error
// instead of an endless recursion. It names the session's handler list by
// its first element, so that other sessions are not affected.
type firing struct {
	name  string
	first *EventFunc
}

// fireBefore runs handlers in order and stops at the first error.
func fireBefore(ctx context.Context, name string, fns []EventFunc) error {
	if len(fns) == 0 {
		return nil
	}
	key := firing{name, &fns[0]}
	if ctx.Value(key) != nil {
		return fmt.Errorf("orm: %s: called from one of its own handlers", name)
	}
	ctx = context.WithValue(ctx, key, true)
	for i, fn := range fns {
		if err := fn(ctx); err != nil {
			return errwrap.Wrapf(err, "%s handler %d", name, i)
		}
	}
	return nil
}

// fireAfter runs every handler in order and joins their errors.
func fireAfter(ctx context.Context, name string, fns []EventFunc) error {
	var errs []error
	for i, fn := range fns {
		if err := fn(ctx); err != nil {
			errs = append(errs, errwrap.Wrapf(err, "%s handler %d", name, i))
		}
	}
	return errors.Join(errs...)
}

// hook is modelHook for objects of the session: the hook runs as a
// callback of s (see guard.go), so that it may call the session. A nil s
// (queries and bulk operations on a DB) runs it as modelHook does.
func (s *Session) hook(ctx context.Context, m *schema.Model, p unsafe.Pointer, h schema.Hook) error {
	if s == nil || !m.Hooks.Has(h) {
		return modelHook(ctx, m, p, h)
	}
	s.beginCallback()
	defer s.endCallback()
	return modelHook(ctx, m, p, h)
}

// modelHook calls one model hook of the object at p when its type has it.
func modelHook(ctx context.Context, m *schema.Model, p unsafe.Pointer, h schema.Hook) error {
	if !m.Hooks.Has(h) {
		return nil
	}
	obj := newObj(m, p)
	var err error
	switch h {
	case schema.HookBeforeInsert:
		err = obj.(schema.BeforeInserter).BeforeInsert(ctx)
	case schema.HookAfterInsert:
		err = obj.(schema.AfterInserter).AfterInsert(ctx)
	case schema.HookBeforeUpdate:
		err = obj.(schema.BeforeUpdater).BeforeUpdate(ctx)
	case schema.HookAfterUpdate:
		err = obj.(schema.AfterUpdater).AfterUpdate(ctx)
	case schema.HookBeforeDelete:
		err = obj.(schema.BeforeDeleter).BeforeDelete(ctx)
	case schema.HookAfterDelete:
		err = obj.(schema.AfterDeleter).AfterDelete(ctx)
	case schema.HookAfterLoad:
		err = obj.(schema.AfterLoader).AfterLoad(ctx)
	}
	if err != nil {
		return errwrap.Wrapf(err, "%s hook of %s", hookName(h), m.Name)
	}
	return nil
}

func hookName(h schema.Hook) string {
	switch h {
	case schema.HookBeforeInsert:
		return "BeforeInsert"
	case schema.HookAfterInsert:
		return "AfterInsert"
	case schema.HookBeforeUpdate:
		return "BeforeUpdate"
	case schema.HookAfterUpdate:
		return "AfterUpdate"
	case schema.HookBeforeDelete:
		return "BeforeDelete"
	case schema.HookAfterDelete:
		return "AfterDelete"
	}
	return "AfterLoad"
}
