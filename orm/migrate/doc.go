// Package migrate keeps a database's schema in step with the models.
//
// Plan introspects the live database (PostgreSQL's catalog in the current
// schema, MySQL/MariaDB's information_schema of the current database,
// SQLite's pragma functions), compares it with the registered models and
// returns the Changes that would give the database the models' shape, each
// classified safe or destructive. Auto applies them under a migration lock
// that dies with the connection holding it (pg_advisory_lock, GET_LOCK,
// SQLite's BEGIN IMMEDIATE), in one transaction where DDL is transactional,
// and refuses destructive changes unless AllowDestructive is given.
// Renames are changes only when declared: a column by the renamed_from=OLD
// tag option, a table by the RenamedTable option (PlanWith, Auto,
// GenerateWith); anything else renamed is a drop and a create.
//
// Generate, Up, Status and Down keep versioned migration files in goose's
// format. Main is an application's cmd/migrate command (diff, generate, up,
// down, status, and schema, which prints the models' DDL without a database
// for Atlas's external_schema data source).
//
// See docs/migrations.md for the rules and the workflow.
package migrate
