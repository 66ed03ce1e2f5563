// Package orm is the everyday entry point of sqlmodel for Go: a
// reflection-driven ORM with a real Session / Unit of Work in the style of
// Python's SQLModel and SQLAlchemy.
//
// Models are plain structs with `sqlmodel:"..."` tags. Open a database,
// create its tables and work through a Session:
//
//	db, err := orm.Open("sqlite3", "file:heroes.db")
//	err = db.CreateAll(ctx, &Team{}, &Hero{})
//
// The package is a thin facade: its types are aliases of the session,
// schema, dialect and relations packages, and its functions are one-line
// wrappers, so errors.Is works with the sentinels of either package.
//
// A *DB is safe for concurrent use. A Session is for one goroutine, like
// *sql.Tx.
package orm
