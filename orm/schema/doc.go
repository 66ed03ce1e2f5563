// Package schema turns Go structs tagged with `sqlmodel:"..."` into model
// metadata: table and column names, Go and SQL types, primary and foreign keys,
// indexes and relationships. It also gives fast access to column values and
// relation fields of a model instance, and orders tables by their foreign
// keys.
//
// The package knows nothing of SQL dialects or sessions; one Registry serves
// every database. A Registry is safe for concurrent use: lookups are
// lock-free, registration is serialised, and a published *Model is never
// modified again. What the metadata lets callers derive (field positions,
// memory layout, the foreign key of a relation, the offset of a relation
// field) is computed once at registration, before the model is published.
//
// Every mistake in a tag or a model is reported by Register as a *TagError
// naming the type, the field and the tag text; Register never panics.
//
// The files, by job:
//
//   - registry.go: Registry, Register, lookups and publication.
//   - model.go, field.go, relation.go: the metadata types (Model, Field,
//     Relation and the relation placeholder interfaces); field.go also
//     classifies Go types into column kinds.
//   - tag.go: splitting a sqlmodel tag into options.
//   - build.go: one registration, from struct types to models: walking
//     fields, validating options, ordering the steps.
//   - build_column.go: turning one struct field into a column, option by option.
//   - resolve.go: resolving many-to-one, one-to-many and one-to-one
//     relations, their shared options and back_populates.
//   - resolve_links.go: many-to-many relations and their link tables.
//   - foreignkeys.go: foreign-key constraints from fk= references.
//   - derive.go: what registration computes once a model is complete
//     (field positions, memory layout, the foreign keys of relations).
//   - layout.go: the memory layout of a model's columns (MemoryLayout).
//   - access.go, convert.go, deepcopy.go: reading, comparing, copying and
//     assigning column values through their address; converting driver
//     values; deep copies for snapshots.
//   - insert.go: the columns an INSERT writes and those the database generates.
//   - relation_access.go: reading and filling relation fields.
//   - fkgraph.go: ordering tables by their foreign keys.
//   - hooks.go, naming.go, errors.go: model hook interfaces, snake_case
//     names, errors.
package schema
