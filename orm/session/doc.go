// Package session is the ORM's unit of work: the Session (with an
// identity map), its flush, transactions and savepoints, typed queries,
// relationship loaders, bulk operations and RunInTx, over the DB handle.
// The orm package re-exports all of it under shorter names; import orm, not
// this package, in applications.
//
// Connections and statement execution are not here but in orm/engine:
// the pool, hooks, logging, replicas, DSN redaction and DDL. A DB (db.go)
// wraps an *engine.Engine, forwards its public methods and options, and
// holds the unit of work's caches (statement texts, Raw column bindings,
// row scanners, MySQL's auto-increment step). engine.go adapts the engine
// to the names the session code calls (db.exec, db.query, db.control,
// db.readerFor, ...) and decides which reads of a session may go to a
// replica.
//
// A Session tracks the objects added to it or loaded through it, one
// instance per (type, primary key). At flush it compares each persistent
// object with the snapshot taken when it was loaded or last flushed, and
// writes every pending INSERT, UPDATE (only the changed columns) and DELETE,
// plus link-table rows, in foreign-key order inside a transaction, batched
// into multi-row statements. A flush that fails is undone in the database
// and in memory.
//
// The flush reads top to bottom through the files that share its prefix:
//
//	flush.go           Flush: prepare the plan, execute it, afterFlush
//	flush_plan.go      the plan (everything the flush will do) and the named
//	                   steps that build it; plan.String prints it
//	flush_order.go     parents of new rows (linkParents) and row layers
//	flush_relations.go relation changes turned into foreign keys, and the
//	                   graph in memory after the flush
//	flush_cascade.go   the save cascade and the delete cascade
//	flush_links.go     many-to-many link rows
//	flush_exec.go      the flusher: undo records, hooks, run, finalize
//	flush_insert.go    the one INSERT path (also BulkInsert's)
//	flush_update.go    UPDATE by key, batched UPDATE, post-updates
//	flush_delete.go    DELETE, cycle unlinks, link rows of deleted ends
//
// The statement texts come from package orm/statement; runner.go sends
// them (preparing repeated texts) and stmtcache.go caches them per shape.
// Other files: session*.go (the Session, Add/Delete/Expunge, inspection and
// expiry), identity.go and tracker.go (identity map, snapshots), tx.go and
// savepoint.go (transactions and the undo journal), get.go, query*.go and
// iter.go (reads), load.go and relate*.go (relationship loaders and
// writers), relhistory.go (relation bases and gone objects), merge*.go,
// bulk*.go and copy.go, runintx.go, guard.go and owners.go (one goroutine,
// one session per object).
//
// Relationships load explicitly and in batches (LoadLazy, LoadMany,
// LoadOneToMany, LoadManyToMany, Preload), always through the identity
// map; single lazy loads are counted for N+1 detection.
//
// Bulk operations (BulkInsert, BulkUpdate) write many rows without
// tracking them, for volumes an identity map should not hold. A DB opened
// with read replicas (WithReplicas) sends reads made outside a transaction
// to them, and writes, locking reads and every statement of a transaction
// to the primary (routing and failover: orm/engine's replica.go).
//
// A DB is safe for concurrent use by many goroutines and sessions. A
// Session, its Query values and its Savepoints are for one goroutine, like
// *sql.Tx: a call on a session that overlaps a call on it from another
// goroutine is refused with ErrConcurrentUse (guard.go).
package session
