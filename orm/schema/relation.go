package schema

import (
	"reflect"
	"strconv"
	"unsafe"
)

// Shape is what a relation placeholder type holds: one object or many.
type Shape uint8

// Shapes of relation placeholder types.
const (
	ToOne  Shape = iota + 1 // Lazy[T]
	ToMany                  // RelatedMany[T]
)

// RelationField is implemented, on their pointer, by the relation placeholder
// types (relations.Lazy[T], relations.RelatedMany[T]). The registry recognises
// relation fields through it, so schema never imports the relations package.
type RelationField interface {
	RelationShape() Shape
	RelationTarget() reflect.Type
}

var typeRelationField = reflect.TypeFor[RelationField]()

// RelKind is the kind of a relationship.
type RelKind uint8

// Relationship kinds.
const (
	ManyToOne  RelKind = iota + 1 // Lazy[T] with the foreign key in this model
	OneToOne                      // Lazy[T] with the foreign key in T
	OneToMany                     // RelatedMany[T] with the foreign key in T
	ManyToMany                    // RelatedMany[T] through a link table
)

func (k RelKind) String() string {
	switch k {
	case ManyToOne:
		return "many-to-one"
	case OneToOne:
		return "one-to-one"
	case OneToMany:
		return "one-to-many"
	case ManyToMany:
		return "many-to-many"
	}
	return "RelKind(" + strconv.Itoa(int(k)) + ")"
}

// Relation is a relationship field of a model.
type Relation struct {
	Name   string // Go field name
	Index  []int  // reflect field index path
	Kind   RelKind
	Model  *Model // the model declaring the field
	Target *Model
	// For ManyToOne, LocalFields are the foreign-key fields of Model and
	// RemoteFields the referenced fields of Target. For OneToOne and
	// OneToMany, LocalFields are the referenced fields of Model and
	// RemoteFields the foreign-key fields of Target. For ManyToMany,
	// LocalFields and RemoteFields are the primary keys of Model and Target.
	LocalFields  []*Field
	RemoteFields []*Field
	// Link describes the link table of a ManyToMany relation.
	Link *LinkTable
	// ForeignKey is the constraint the relation follows, resolved at
	// registration: for ManyToOne the foreign key of Model made of
	// LocalFields, for OneToMany and OneToOne the foreign key of Target made
	// of RemoteFields (see Model.ForeignKeyOf). It is nil for ManyToMany,
	// and when no one constraint is made of exactly those fields.
	ForeignKey *ForeignKey

	BackPopulates string
	// Back is the relation on Target named by BackPopulates, nil when none.
	Back           *Relation
	CascadeDelete  bool
	PassiveDeletes bool
	DeleteOrphan   bool
	OrderBy        []OrderTerm
	// Raise forbids lazy single loads of this relation (lazy=raise).
	Raise bool
	Tag   string

	fieldType reflect.Type // the placeholder type of the field, e.g. Lazy[T]
	offset    uintptr      // byte offset of the field from the struct start; valid when direct
	direct    bool         // the field is reachable without following an embedded pointer
}

// OrderTerm is one column of an order_by option.
type OrderTerm struct {
	Field *Field
	Desc  bool
}

// LinkTable describes the table between the two ends of a many-to-many
// relation. LocalColumns reference the declaring model's primary key and
// RemoteColumns the target's, in primary-key order.
type LinkTable struct {
	Model         *Model // the link table's own model (synthesised, or the link_model struct)
	LocalColumns  []*Field
	RemoteColumns []*Field
	// Declared reports a link_model= struct, whose rows are ordinary tracked
	// objects with columns of their own.
	Declared bool
}

// Table returns the link table's name.
func (l *LinkTable) Table() string { return l.Model.Table }

// RelationValue is implemented, on their pointer, by the relation
// placeholder types to expose what is loaded: the related object of a Lazy
// (none when it is nil) or the items of a RelatedMany.
type RelationValue interface {
	RelatedObjects() (objs []any, loaded bool)
}

// RelationSetter is implemented, on their pointer, by the relation
// placeholder types so that loaders can fill them without knowing T: objs
// holds *T values (at most one for a Lazy; none means "loaded, empty").
type RelationSetter interface {
	SetRelated(objs []any)
}

// RelationPointers is implemented, on their pointer, by the relation
// placeholder types so that loaders and the session's bookkeeping can read
// and fill them with addresses of T values, without boxing each object into
// an interface: the batch loaders set thousands of relations at a time.
// Types that implement only RelationValue and RelationSetter still work,
// through those.
type RelationPointers interface {
	// AppendRelatedPointers appends the addresses of the related objects
	// (the object of a Lazy, none when it is nil; the items of a
	// RelatedMany) to dst and reports whether the relation is loaded.
	AppendRelatedPointers(dst []unsafe.Pointer) ([]unsafe.Pointer, bool)
	// SetRelatedPointers is SetRelated for addresses of T values (at most
	// one for a Lazy; none means "loaded, empty"). The relation may keep
	// ptrs as its storage: the caller must not use it afterwards.
	SetRelatedPointers(ptrs []unsafe.Pointer)
}

// LinkOps is implemented by RelatedMany to hand its pending Link and
// Unlink operations to the session's flush.
type LinkOps interface {
	// PendingLinks returns the objects linked and unlinked since the last
	// flush, in order.
	PendingLinks() (link, unlink []any)
	// ClearPending forgets the pending operations (after a flush wrote them).
	ClearPending()
}

// RelationEditor is implemented, on their pointer, by the relation
// placeholder types for the session's bookkeeping: Unload forgets what is
// loaded; Remove takes one object out of a loaded collection together with
// any pending Link of it, and reports whether it dropped such a Link.
type RelationEditor interface {
	Unload()
	Remove(obj any) (droppedLink bool)
}
