package dialect

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// classifyPgx classifies a *pgconn.PgError from github.com/jackc/pgx/v5 (also
// what its database/sql driver "pgx" returns) by its SQLSTATE code.
func classifyPgx(err error) (error, bool) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil, false
	}
	kind := sqlstateKind(pe.Code)
	if kind == nil {
		return nil, false
	}
	return newClassified(kind, pe.Code, pe.ConstraintName, pe.TableName, pe.ColumnName, err), true
}
