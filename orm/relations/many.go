package relations

import (
	"reflect"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// RelatedMany holds the related objects of a to-many relation once they are
// loaded. The zero value is "not loaded".
type RelatedMany[T any] struct {
	items  []*T
	loaded bool
}

// Get returns the related objects and whether the relation is loaded. A
// loaded relation without related rows returns an empty, non-nil slice.
func (r *RelatedMany[T]) Get() ([]*T, bool) { return r.items, r.loaded }

// Items returns the loaded objects, or nil when the relation is not loaded.
func (r *RelatedMany[T]) Items() []*T { return r.items }

// Len returns the number of loaded objects.
func (r *RelatedMany[T]) Len() int { return len(r.items) }

// IsLoaded reports whether the relation has been loaded or set.
func (r *RelatedMany[T]) IsLoaded() bool { return r.loaded }

// Set replaces the loaded objects and marks the relation loaded.
func (r *RelatedMany[T]) Set(items []*T) {
	if items == nil {
		items = []*T{}
	}
	r.items, r.loaded = items, true
}

// Reset forgets the loaded objects; the relation is "not loaded" again.
func (r *RelatedMany[T]) Reset() { r.items, r.loaded = nil, false }

// RelationShape implements schema.RelationField.
func (*RelatedMany[T]) RelationShape() schema.Shape { return schema.ToMany }

// RelationTarget implements schema.RelationField.
func (*RelatedMany[T]) RelationTarget() reflect.Type { return reflect.TypeFor[T]() }

// RelatedObjects implements schema.RelationValue.
func (r *RelatedMany[T]) RelatedObjects() ([]any, bool) {
	out := make([]any, len(r.items))
	for i, it := range r.items {
		out[i] = it
	}
	return out, r.loaded
}
