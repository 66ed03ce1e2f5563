// Package schema turns Go structs tagged with `sqlmodel:"..."` into model
// metadata: table and column names, Go and SQL types, primary and foreign keys,
// indexes and relationships. It also gives fast access to column values of a
// model instance and orders tables by their foreign keys.
//
// The package knows nothing of SQL dialects or sessions; one Registry serves
// every database. A Registry is safe for concurrent use: lookups are
// lock-free, registration is serialised, and a published *Model is never
// modified again.
//
// Every mistake in a tag or a model is reported by Register as a *TagError
// naming the type, the field and the tag text; Register never panics.
package schema
