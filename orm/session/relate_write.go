package session

import (
	"context"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/relations"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// RelateToOne relates child to parent through a many-to-one relation: it
// sets the Lazy field and the foreign-key fields (at flush, from the
// parent's generated key, when the parent is still pending), adds a new
// parent to the session when the child is tracked, and keeps the loaded
// collections of back_populates in step (the child leaves its old parent's
// collection and joins the new one's). A nil parent is UnrelateFromOne.
func RelateToOne[C, P any](s *Session, child *C, f func(*C) *relations.Lazy[P], parent *P) error {
	if child == nil || f == nil {
		return invalid("RelateToOne needs a child and an accessor")
	}
	if parent == nil {
		return UnrelateFromOne(s, child, f)
	}
	if err := s.enter("RelateToOne"); err != nil {
		return err
	}
	defer s.exit()
	l := f(child)
	_, rel, err := relationOf(s, child, unsafe.Pointer(l))
	if err != nil {
		return err
	}
	if rel.Kind != schema.ManyToOne {
		return invalid("%s.%s is %s: relate from the side that holds the foreign key", rel.Model.Name, rel.Name, rel.Kind)
	}
	cp, pp := unsafe.Pointer(child), unsafe.Pointer(parent)
	if s.im.lookupPtr(cp) != nil && s.im.lookupPtr(pp) == nil {
		if err := s.addObj(parent); err != nil {
			return err
		}
	}
	old := currentParent(s, rel, l, cp)
	// Copy the key now when the parent has one; a pending parent's key is
	// copied by the flush, which finds the parent through the Lazy.
	if _, keyed, _ := keyOf(rel.Target, pp); keyed {
		for i, fk := range rel.LocalFields {
			v, err := rel.RemoteFields[i].Value(pp)
			if err != nil {
				return err
			}
			if err := fk.Set(cp, v); err != nil {
				return err
			}
		}
	}
	l.Set(parent)
	if rel.Back != nil {
		if old != nil && old != pp {
			removeFromCollection(rel.Back, old, cp)
		}
		appendToCollection(rel.Back, pp, cp)
	}
	return nil
}

// UnrelateFromOne clears a many-to-one relation: the Lazy is set to nil and
// the foreign key to NULL (an error, changing nothing, when it is NOT
// NULL), and the child leaves the old parent's loaded collection.
func UnrelateFromOne[C, P any](s *Session, child *C, f func(*C) *relations.Lazy[P]) error {
	if err := s.enter("UnrelateFromOne"); err != nil {
		return err
	}
	defer s.exit()
	if child == nil || f == nil {
		return invalid("UnrelateFromOne needs a child and an accessor")
	}
	l := f(child)
	_, rel, err := relationOf(s, child, unsafe.Pointer(l))
	if err != nil {
		return err
	}
	if rel.Kind != schema.ManyToOne {
		return invalid("%s.%s is %s: unrelate from the side that holds the foreign key", rel.Model.Name, rel.Name, rel.Kind)
	}
	for _, fk := range rel.LocalFields {
		if !fk.Nullable {
			return invalid("%s.%s is NOT NULL: delete the %s or relate it to another parent", rel.Model.Name, fk.Path, rel.Model.Name)
		}
	}
	cp := unsafe.Pointer(child)
	old := currentParent(s, rel, l, cp)
	for _, fk := range rel.LocalFields {
		fk.SetZero(cp)
	}
	l.Set(nil)
	if rel.Back != nil && old != nil {
		removeFromCollection(rel.Back, old, cp)
	}
	return nil
}

// currentParent is the object the child at cp is related to through the
// many-to-one rel: the loaded Lazy's object, else the tracked object its
// foreign key references (found in the identity map, without SQL), so that
// a parent's loaded collection is kept in step even when the child's Lazy
// was never loaded (the usual case after loading the parent's collection).
func currentParent[P any](s *Session, rel *schema.Relation, l *relations.Lazy[P], cp unsafe.Pointer) unsafe.Pointer {
	if v, loaded := l.Get(); loaded {
		return unsafe.Pointer(v)
	}
	if !schema.SameFields(rel.RemoteFields, rel.Target.PrimaryKey) {
		return nil
	}
	k, _, ok := tupleKey(rel.LocalFields, cp)
	if !ok {
		return nil
	}
	if e := s.im.lookupID(identity{rel.Target, k}); e != nil {
		return e.ptr()
	}
	return nil
}

// RelateManyToMany links right to left's many-to-many collection: the link
// row is written by the next flush (after both ends exist), once even when
// both sides are related; the other side's loaded collection gains left.
func RelateManyToMany[L, R any](s *Session, left *L, f func(*L) *relations.RelatedMany[R], right *R) error {
	if err := s.enter("RelateManyToMany"); err != nil {
		return err
	}
	defer s.exit()
	coll, rel, err := manyToMany(s, left, f, right)
	if err != nil {
		return err
	}
	if s.im.lookupPtr(unsafe.Pointer(left)) != nil && s.im.lookupPtr(unsafe.Pointer(right)) == nil {
		if err := s.addObj(right); err != nil {
			return err
		}
	}
	if rel.Back != nil && relinkCollection(rel.Back, unsafe.Pointer(right), unsafe.Pointer(left)) {
		// The pair was only unlinked, not yet written, from the other
		// side: dropping that unlink (and any on this side) is the link.
		coll.Relink(right)
		return nil
	}
	coll.Link(right)
	if rel.Back != nil {
		appendToCollection(rel.Back, unsafe.Pointer(right), unsafe.Pointer(left))
	}
	return nil
}

// relinker is implemented by many-to-many collections (RelatedMany) that
// can undo a pending Unlink.
type relinker interface{ Relink(obj any) bool }

// relinkCollection undoes pending Unlink calls of obj on owner's side of
// the many-to-many relation rel, putting obj back into its loaded items.
// It reports whether there was one.
func relinkCollection(rel *schema.Relation, owner, obj unsafe.Pointer) bool {
	fv, err := rel.FieldValue(owner)
	if err != nil {
		return false
	}
	rl, ok := fv.Interface().(relinker)
	return ok && rl.Relink(reflect.NewAt(rel.Target.Type, obj).Interface())
}

// UnrelateManyToMany unlinks right from left's collection: the link row is
// deleted by the next flush, and the other side's loaded collection loses
// left. Relating and unrelating the same pair before a flush cancel out.
func UnrelateManyToMany[L, R any](s *Session, left *L, f func(*L) *relations.RelatedMany[R], right *R) error {
	if err := s.enter("UnrelateManyToMany"); err != nil {
		return err
	}
	defer s.exit()
	coll, rel, err := manyToMany(s, left, f, right)
	if err != nil {
		return err
	}
	if rel.Back != nil && removeFromCollection(rel.Back, unsafe.Pointer(right), unsafe.Pointer(left)) {
		// The pair was only linked, not yet written, from the other side:
		// dropping that link is the whole unlink.
		coll.Remove(right)
		return nil
	}
	coll.Unlink(right)
	return nil
}

func manyToMany[L, R any](s *Session, left *L, f func(*L) *relations.RelatedMany[R], right *R) (*relations.RelatedMany[R], *schema.Relation, error) {
	if left == nil || right == nil || f == nil {
		return nil, nil, invalid("many-to-many relate needs both ends and an accessor")
	}
	coll := f(left)
	_, rel, err := relationOf(s, left, unsafe.Pointer(coll))
	if err != nil {
		return nil, nil, err
	}
	if rel.Kind != schema.ManyToMany {
		return nil, nil, invalid("%s.%s is %s, not many-to-many", rel.Model.Name, rel.Name, rel.Kind)
	}
	return coll, rel, nil
}

// FlushRelatedMany writes pending link operations now. Link rows are
// written by every flush; this flushes the session, for code that wants
// the rows in the database before it goes on.
func FlushRelatedMany[L, R any](ctx context.Context, s *Session, left *L, f func(*L) *relations.RelatedMany[R]) error {
	if err := s.enter("FlushRelatedMany"); err != nil {
		return err
	}
	defer s.exit()
	if left == nil || f == nil {
		return invalid("FlushRelatedMany needs an object and an accessor")
	}
	if _, _, err := relationOf(s, left, unsafe.Pointer(f(left))); err != nil {
		return err
	}
	return s.flush(ctx)
}

// appendToCollection adds obj to the loaded collection rel of owner (no
// link operation: the other side records that).
func appendToCollection(rel *schema.Relation, owner, obj unsafe.Pointer) {
	objs, loaded := rel.Objects(owner)
	if !loaded {
		return
	}
	for _, o := range objs {
		if reflect.ValueOf(o).UnsafePointer() == obj {
			return
		}
	}
	if rel.Kind == schema.ManyToOne || rel.Kind == schema.OneToOne {
		rel.SetObjects(owner, []any{reflect.NewAt(rel.Target.Type, obj).Interface()})
		return
	}
	rel.SetObjects(owner, append(objs, reflect.NewAt(rel.Target.Type, obj).Interface()))
}

// removeFromCollection takes obj out of the loaded collection rel of owner.
// It reports whether that dropped a pending Link of obj on owner's side.
func removeFromCollection(rel *schema.Relation, owner, obj unsafe.Pointer) bool {
	fv, err := rel.FieldValue(owner)
	if err != nil {
		return false
	}
	return fv.Interface().(schema.RelationEditor).Remove(reflect.NewAt(rel.Target.Type, obj).Interface())
}
