package relations

import (
	"bytes"
	"encoding/json"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Lazy holds the related object of a to-one relation once it is loaded.
// The zero value is "not loaded".
type Lazy[T any] struct {
	value  *T
	loaded bool
}

// Get returns the related object and whether the relation is loaded. A loaded
// relation whose foreign key is NULL returns (nil, true).
func (l *Lazy[T]) Get() (*T, bool) { return l.value, l.loaded }

// IsLoaded reports whether the relation has been loaded or set.
func (l *Lazy[T]) IsLoaded() bool { return l.loaded }

// Set stores obj (nil for "no related object") and marks the relation loaded.
// On an object a session tracks, the next flush writes the change: the
// foreign key takes obj's key (or NULL), and the other side's loaded
// collection follows. RelateToOne does the same and updates the other side
// at once.
func (l *Lazy[T]) Set(obj *T) { l.value, l.loaded = obj, true }

// Clear sets the relation to "no related object" (loaded, nil): in a
// session the next flush sets the foreign key to NULL.
func (l *Lazy[T]) Clear() { l.value, l.loaded = nil, true }

// Reset forgets the loaded object; the relation is "not loaded" again.
func (l *Lazy[T]) Reset() { l.value, l.loaded = nil, false }

// RelationShape implements schema.RelationField.
func (*Lazy[T]) RelationShape() schema.Shape { return schema.ToOne }

// RelationTarget implements schema.RelationField.
func (*Lazy[T]) RelationTarget() reflect.Type { return reflect.TypeFor[T]() }

// RelatedObjects implements schema.RelationValue.
func (l *Lazy[T]) RelatedObjects() ([]any, bool) {
	if l.value == nil {
		return nil, l.loaded
	}
	return []any{l.value}, l.loaded
}

// SetRelated implements schema.RelationSetter.
func (l *Lazy[T]) SetRelated(objs []any) {
	if len(objs) == 0 || objs[0] == nil {
		l.Set(nil)
		return
	}
	l.Set(objs[0].(*T))
}

// AppendRelatedPointers implements schema.RelationPointers: the address of
// the related object (none when it is nil), appended to dst.
func (l *Lazy[T]) AppendRelatedPointers(dst []unsafe.Pointer) ([]unsafe.Pointer, bool) {
	if l.value != nil {
		dst = append(dst, unsafe.Pointer(l.value))
	}
	return dst, l.loaded
}

// SetRelatedPointers implements schema.RelationPointers: the first address
// (a T value) becomes the related object; none sets nil.
func (l *Lazy[T]) SetRelatedPointers(ptrs []unsafe.Pointer) {
	if len(ptrs) == 0 || ptrs[0] == nil {
		l.Set(nil)
		return
	}
	l.Set((*T)(ptrs[0]))
}

// Unload implements schema.RelationEditor: the relation is "not loaded".
func (l *Lazy[T]) Unload() { l.Reset() }

// Remove implements schema.RelationEditor: a Lazy holding obj lets go of it
// (loaded, nil).
func (l *Lazy[T]) Remove(obj any) bool {
	if t, ok := obj.(*T); ok && l.value == t {
		l.value = nil
	}
	return false
}

// IsZero reports whether the relation is not loaded, so that a field
// tagged `json:",omitzero"` leaves an unloaded relation out.
func (l Lazy[T]) IsZero() bool { return !l.loaded }

// MarshalJSON encodes the related object, or null when there is none or
// the relation is not loaded.
func (l Lazy[T]) MarshalJSON() ([]byte, error) {
	if !l.loaded || l.value == nil {
		return []byte("null"), nil
	}
	return json.Marshal(l.value)
}

// UnmarshalJSON decodes an object into a loaded relation. null (like a
// missing key) leaves it not loaded, so that decoding a partial document
// and merging it never clears a relation the document does not carry.
func (l *Lazy[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		l.Reset()
		return nil
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	l.Set(v)
	return nil
}
