package schema

import (
	"context"
	"reflect"
)

// Model hooks: a model type implements any of these (on its pointer) to run
// code around the statements the session sends for it. A non-nil error from
// a Before hook aborts the flush, which is then undone; an error from an
// After hook aborts it the same way.
type (
	BeforeInserter interface {
		BeforeInsert(ctx context.Context) error
	}
	AfterInserter interface {
		AfterInsert(ctx context.Context) error
	}
	BeforeUpdater interface {
		BeforeUpdate(ctx context.Context) error
	}
	AfterUpdater interface {
		AfterUpdate(ctx context.Context) error
	}
	BeforeDeleter interface {
		BeforeDelete(ctx context.Context) error
	}
	AfterDeleter interface {
		AfterDelete(ctx context.Context) error
	}
	// AfterLoader runs after an object is loaded or reloaded from a row.
	AfterLoader interface {
		AfterLoad(ctx context.Context) error
	}
)

// Hook is a set of model hooks a type implements.
type Hook uint8

// Model hooks, as flags.
const (
	HookBeforeInsert Hook = 1 << iota
	HookAfterInsert
	HookBeforeUpdate
	HookAfterUpdate
	HookBeforeDelete
	HookAfterDelete
	HookAfterLoad
)

// Has reports whether h includes x.
func (h Hook) Has(x Hook) bool { return h&x != 0 }

// hooksOf checks once per type which hook interfaces *T implements.
func hooksOf(t reflect.Type) Hook {
	pt := reflect.PointerTo(t)
	var h Hook
	for _, c := range []struct {
		iface reflect.Type
		flag  Hook
	}{
		{reflect.TypeFor[BeforeInserter](), HookBeforeInsert},
		{reflect.TypeFor[AfterInserter](), HookAfterInsert},
		{reflect.TypeFor[BeforeUpdater](), HookBeforeUpdate},
		{reflect.TypeFor[AfterUpdater](), HookAfterUpdate},
		{reflect.TypeFor[BeforeDeleter](), HookBeforeDelete},
		{reflect.TypeFor[AfterDeleter](), HookAfterDelete},
		{reflect.TypeFor[AfterLoader](), HookAfterLoad},
	} {
		if pt.Implements(c.iface) {
			h |= c.flag
		}
	}
	return h
}
