// Package otel traces and measures an orm.DB with OpenTelemetry: a span
// per statement, per flush, per transaction and per RunInTx attempt, and
// the db.client.operation.duration histogram, following the stable
// database semantic conventions (db.system.name, db.namespace,
// db.collection.name, db.operation.name, db.query.text,
// db.operation.batch.size, db.response.status_code, error.type,
// server.address, server.port).
//
// It is a module of its own (github.com/sqlmodel-go/sqlmodel/orm/otel), so
// that programs that do not use it do not download OpenTelemetry.
//
// # Use
//
// Instrument an open DB:
//
//	db, err := orm.Open("pgx", dsn)
//	...
//	db, err = otel.Instrument(ctx, db, otel.WithTracerProvider(tp), otel.WithMeterProvider(mp))
//
// or give a Hook to Open, with the database's details as options:
//
//	db, err := orm.Open("pgx", dsn, orm.WithQueryHook(otel.NewHook(
//		otel.WithTracerProvider(tp), otel.WithMeterProvider(mp),
//		otel.WithDatabase("postgres", "app.public"), otel.WithServerAddress("db.internal", 5432))))
//
// # Spans
//
// A statement's span (kind client) is named after its operation and table
// ("INSERT hero", "SELECT hero", "COMMIT") and carries the statement's
// text, the node that served it (NodeKey: "primary" or a replica, see
// orm.WithReplicas) and the rows it affected or read (RowsKey). A flush's
// span (FlushSpanName) carries its statement and row counts, in all and
// per table; a transaction's span (TxSpanName) lasts from BEGIN to COMMIT
// or ROLLBACK; a RunInTx attempt's span (AttemptSpanName) carries its
// number and, for a retry, the reason (RetryReasonKey). They nest:
//
//	caller's span
//	└─ sqlmodel.attempt (1, then 2 with sqlmodel.retry.reason)
//	   └─ sqlmodel.transaction
//	      ├─ BEGIN
//	      ├─ sqlmodel.flush
//	      │  └─ INSERT hero
//	      └─ COMMIT
//
// A flush that begins its own transaction (a Commit with none open) holds
// that transaction's span, and the statements run in it.
//
// # Values
//
// Bound parameter values never reach a span, an event or the metric. A
// failure is described by its classification: error.type and
// db.response.status_code (SQLSTATE, MySQL error number, SQLite extended
// code) and a status message naming the kind, constraint, table and
// column, never the driver's message, which may quote values. The ORM
// binds every value it sends; SQL you write yourself (Raw, Exec) carries
// in db.query.text the literals you write into it (WithoutQueryText
// leaves the text out).
package otel
