// Package relations provides the relationship field types of models:
// Lazy[T] for to-one relations (many-to-one, one-to-one) and RelatedMany[T]
// for to-many relations (one-to-many, many-to-many).
//
// Their zero values are valid and mean "not loaded". Loading is explicit:
// the session's loaders fill them (Go cannot intercept field reads). The
// schema package recognises these types through schema.RelationField, so
// it never imports this package. Both also implement
// schema.RelationPointers, through which the session's batch loaders fill
// and read them with object addresses instead of boxing every object into
// an interface; a placeholder type of one's own needs only RelationValue
// and RelationSetter.
//
// Like the models that hold them, these values are not safe for concurrent
// use.
package relations
