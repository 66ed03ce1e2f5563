// Package orm is the everyday entry point of sqlmodel for Go: a
// reflection-driven ORM with a real Session / Unit of Work in the style of
// Python's SQLModel and SQLAlchemy, on PostgreSQL, MySQL/MariaDB and SQLite.
//
// Models are plain structs with `sqlmodel:"..."` tags; relations are
// Lazy[T] (to-one) and RelatedMany[T] (to-many) fields. Open a database,
// create its tables and work through a Session:
//
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3" // or driver/pgx, driver/pq, driver/mysql, driver/sqlite
//
//	db, err := orm.Open("sqlite3", "file:heroes.db") // or "pgx", "postgres", "mysql", "sqlite"
//	err = db.CreateAll(ctx, &Team{}, &Hero{})
//
//	s := orm.NewSession(db)
//	defer s.Close()
//	err = s.Add(&Hero{Name: "Deadpond"})
//	err = s.Commit(ctx)                    // INSERT; the generated key is filled in
//
//	h, err := orm.Get[Hero](ctx, s, 1)     // the tracked pointer, one SELECT at most
//	h.Name = "Deadpond 2"                  // noticed by comparing with a snapshot
//	err = s.Commit(ctx)                    // UPDATE "hero" SET "name" = ... only
//
//	heroes, err := orm.Select[Hero](s).Where("age > ?", 30).Preload("Team").All(ctx)
//	err = orm.RunInTx(ctx, db, func(s *orm.Session) error { ... }) // retried on serialization failures
//
// The session keeps one instance per primary key (identity map), updates
// only the columns that changed, and writes all pending work in foreign-key
// order in one transaction when it flushes; a failed flush is undone in the
// database and in memory. Relations load explicitly and in batches
// (Preload, LoadMany, LoadOneToMany, LoadManyToMany), and the session warns
// through log/slog when a loop loads them one at a time.
//
// The package is a thin facade: its types are aliases of the session,
// schema, query, dialect and relations packages, and its functions are
// one-line wrappers, so errors.Is works with the sentinels of either
// package.
//
// A *DB is safe for concurrent use. A Session, and the Query values built on
// it, are for one goroutine, like *sql.Tx; a call that overlaps a call on the
// same session from another goroutine fails with ErrConcurrentUse.
//
// The guides are in the repository's docs directory (models, session,
// queries, relationships, transactions, dialects, coming from GORM), and
// `go run ./examples/heroes` runs the SQLModel tutorial with no setup.
package orm
