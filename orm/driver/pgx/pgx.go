// Package pgx registers PostgreSQL through github.com/jackc/pgx/v5's
// database/sql driver with the ORM, under the names "pgx" and "pgx/v5":
//
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"
//
//	db, err := orm.Open("pgx", "postgres://user@localhost:5432/app")
//
// Beyond the dialect, it gives the ORM pgx's error codes and connection
// failures, COPY FROM STDIN for bulk inserts and pipelined flushes (the
// statements of one flush step in one round trip).
package pgx

import (
	"database/sql/driver"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

func init() {
	dialect.RegisterDriver(&dialect.Driver{
		Name:    "pgx",
		Aliases: []string{"pgx/v5"},
		Dialect: dialect.Postgres(),
		Owns: func(d driver.Driver) bool {
			_, ok := d.(*stdlib.Driver)
			return ok
		},
		Classify:       classify,
		ConnectionLost: connectionLost,
		SentNothing:    pgconn.SafeToRetry,
		ErrorCode:      errorCode,
		Bulk:           bulk{},
	})
}

// classify classifies a *pgconn.PgError by its SQLSTATE code.
func classify(err error) (error, bool) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil, false
	}
	return dialect.ClassifyPostgres(pe.Code, pe.ConstraintName, pe.TableName, pe.ColumnName, err)
}

// connectionLost reports pgx's closed connection and the SQLSTATE codes of
// a connection that is gone.
func connectionLost(err error) bool {
	if errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && dialect.PostgresConnectionLost(pe.Code)
}

// errorCode is the SQLSTATE of a *pgconn.PgError.
func errorCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
