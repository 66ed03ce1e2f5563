// Package engine is the ORM's connection and statement-execution layer:
// the pool, its dialect, the model registry, the query hooks and logger,
// read replicas, DSN password redaction, and DDL. It knows nothing of
// sessions, identity maps or queries; the unit of work (orm/session) runs
// every statement through it. Applications import orm, whose DB wraps an
// Engine; this package is for the ORM's own layers.
//
// The files:
//
//   - engine.go: Engine, Open and OpenDB, the options (WithRegistry,
//     WithLogger, WithQueryHook), Close, Ping and the accessors.
//   - dsn.go: the DSN settings the ORM depends on (MySQL parseTime and
//     clientFoundRows; SQLite foreign keys, busy timeout, immediate
//     transactions) and SQLite in-memory databases.
//   - redact.go: the pool's connector, which removes the DSN's password
//     from the errors of opening and connecting.
//   - exec.go: Conn, Exec and QueryEach (statements through the hooks, with
//     errors classified by the dialect and times bound in UTC where the
//     database stores them as text), Control for transaction-control steps,
//     and Before/After for statements a caller runs itself (COPY).
//   - hook.go: QueryEvent, QueryHook, AfterQueryFunc and the slog hook of
//     WithLogger, which keeps bound values out of the log below debug level.
//   - observe.go: the optional observer interfaces a QueryHook may also
//     implement (FlushObserver, TxObserver, AttemptObserver), their events,
//     and TableOf and OperationOf, which read a statement's table and verb.
//   - replica.go: read replicas (WithReplicas, WithReplicaDBs), round-robin
//     routing (Reader, ReadFromPrimary, ReadFromReplica), health checks with
//     back-off, and the move of a failed read to another node.
//   - ddl.go: CreateAll and DropAll in foreign-key order, cycles included.
//
// An Engine is safe for concurrent use by many goroutines. Its layer sits
// below orm/session and above orm/dialect and orm/schema; it imports
// neither orm/query nor orm/relations (internal/layering checks this).
package engine
