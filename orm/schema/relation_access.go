package schema

import (
	"reflect"
	"unsafe"
)

// FieldValue returns the address of the relation field in the struct p
// points to, as a reflect.Value of type *P where P is the placeholder type
// (Lazy[T], RelatedMany[T]); its Interface() implements the relation
// interfaces of this package. The field's offset is recorded at
// registration; only a field behind an embedded pointer is reached by
// reflect, and when that pointer is nil the error is reflect's.
func (r *Relation) FieldValue(p unsafe.Pointer) (reflect.Value, error) {
	if r.direct {
		return reflect.NewAt(r.fieldType, unsafe.Add(p, r.offset)), nil
	}
	fv, err := reflect.NewAt(r.Model.Type, p).Elem().FieldByIndexErr(r.Index)
	if err != nil {
		return reflect.Value{}, err
	}
	return fv.Addr(), nil
}

// Objects returns what the relation field of the struct p points to holds
// (see RelationValue) and whether it is loaded; nil and false when the
// field is unreachable or its type does not implement RelationValue.
func (r *Relation) Objects(p unsafe.Pointer) ([]any, bool) {
	fv, err := r.FieldValue(p)
	if err != nil {
		return nil, false
	}
	rv, ok := fv.Interface().(RelationValue)
	if !ok {
		return nil, false
	}
	return rv.RelatedObjects()
}

// Loaded reports whether the relation field of the struct p points to is
// loaded: its IsLoaded method when it has one, otherwise what
// RelatedObjects reports. An unreachable field is not loaded.
func (r *Relation) Loaded(p unsafe.Pointer) bool {
	fv, err := r.FieldValue(p)
	if err != nil {
		return false
	}
	if l, ok := fv.Interface().(interface{ IsLoaded() bool }); ok {
		return l.IsLoaded()
	}
	_, loaded := fv.Interface().(RelationValue).RelatedObjects()
	return loaded
}

// SetObjects fills the relation field of the struct p points to through
// RelationSetter: objs holds *T values (at most one for a to-one relation;
// none means loaded and empty). An unreachable field is left alone.
func (r *Relation) SetObjects(p unsafe.Pointer, objs []any) {
	if fv, err := r.FieldValue(p); err == nil {
		fv.Interface().(RelationSetter).SetRelated(objs)
	}
}

// AppendPointers appends the addresses of the objects the relation field of
// the struct p points to holds to dst, and reports whether it is loaded:
// without boxing when the field's type implements RelationPointers, through
// RelationValue otherwise. Nil objects are left out.
func (r *Relation) AppendPointers(p unsafe.Pointer, dst []unsafe.Pointer) ([]unsafe.Pointer, bool) {
	fv, err := r.FieldValue(p)
	if err != nil {
		return dst, false
	}
	switch v := fv.Interface().(type) {
	case RelationPointers:
		return v.AppendRelatedPointers(dst)
	case RelationValue:
		objs, loaded := v.RelatedObjects()
		for _, o := range objs {
			if op := reflect.ValueOf(o).UnsafePointer(); op != nil {
				dst = append(dst, op)
			}
		}
		return dst, loaded
	}
	return dst, false
}

// SetPointers is SetObjects for addresses of r.Target values: without
// boxing when the field's type implements RelationPointers (which may keep
// ptrs as its storage), through RelationSetter otherwise.
func (r *Relation) SetPointers(p unsafe.Pointer, ptrs []unsafe.Pointer) {
	fv, err := r.FieldValue(p)
	if err != nil {
		return
	}
	switch v := fv.Interface().(type) {
	case RelationPointers:
		v.SetRelatedPointers(ptrs)
	case RelationSetter:
		objs := make([]any, len(ptrs))
		for i, op := range ptrs {
			objs[i] = reflect.NewAt(r.Target.Type, op).Interface()
		}
		v.SetRelated(objs)
	}
}
