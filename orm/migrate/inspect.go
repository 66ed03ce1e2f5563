package migrate

import (
	"context"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// Catalog is the shape of the live database; see dialect.Catalog.
type Catalog = dialect.Catalog

// Table is one table of a Catalog.
type Table = dialect.CatalogTable

// Column is one column of a Table, its type and default normalised.
type Column = dialect.CatalogColumn

// Index is an index or UNIQUE constraint of a Table.
type Index = dialect.CatalogIndex

// ForeignKey is a foreign-key constraint of a Table.
type ForeignKey = dialect.CatalogForeignKey

// Inspect reads the tables of the current schema (PostgreSQL), database
// (MySQL/MariaDB) or main database (SQLite): columns with normalised types,
// nullability and defaults, primary keys, foreign keys with their actions,
// UNIQUE constraints and indexes.
func Inspect(ctx context.Context, db *orm.DB) (*Catalog, error) {
	return db.Dialect().Migrator().Inspect(ctx, db.SQL())
}
