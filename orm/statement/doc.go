// Package statement writes the text of every data statement the session
// sends on its own: INSERT (multi-row, with RETURNING or an upsert clause),
// UPDATE by key, batched UPDATE, DELETE, link-table rows, bulk NULLs of
// foreign keys and the SELECTs that read rows back or load relations.
//
// Each function is pure: its text depends only on the dialect, the table,
// the columns and the number of rows, never on values, which the caller
// binds in the order the text lists its placeholders. The session caches
// texts per shape; a change to how a statement is written has this package
// as its one home. SELECTs of user queries are built by package query, DDL
// and upsert clauses by package dialect.
//
// Files: writer.go holds Writer (identifiers, placeholders, key matches);
// insert.go, update.go, delete.go and select.go the statements of each kind.
package statement
