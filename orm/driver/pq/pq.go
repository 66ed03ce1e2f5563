// Package pq registers PostgreSQL through github.com/lib/pq with the ORM,
// under the name "postgres" (and "postgresql"):
//
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/pq"
//
//	db, err := orm.Open("postgres", "postgres://user@localhost:5432/app?sslmode=disable")
//
// Beyond the dialect, it gives the ORM lib/pq's error codes and
// connection failures, and COPY FROM STDIN for bulk inserts. Flushes are
// not pipelined: lib/pq sends one statement at a time (use the pgx
// package for that).
package pq

import (
	"context"
	"database/sql/driver"
	"errors"

	"github.com/lib/pq"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

func init() {
	dialect.RegisterDriver(&dialect.Driver{
		Name:    "postgres",
		Aliases: []string{"postgresql"},
		Dialect: dialect.Postgres(),
		Owns: func(d driver.Driver) bool {
			_, ok := d.(*pq.Driver)
			return ok
		},
		Classify:       classify,
		ConnectionLost: connectionLost,
		ErrorCode:      errorCode,
		Bulk:           bulk{},
	})
}

// classify classifies a *pq.Error by its SQLSTATE code.
func classify(err error) (error, bool) {
	var pe *pq.Error
	if !errors.As(err, &pe) {
		return nil, false
	}
	return dialect.ClassifyPostgres(string(pe.Code), pe.Constraint, pe.Table, pe.Column, err)
}

// connectionLost reports the SQLSTATE codes of a connection that is gone.
func connectionLost(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && dialect.PostgresConnectionLost(string(pe.Code))
}

// bulk is lib/pq's dialect.BulkDriver: COPY through a statement prepared
// on a transaction, no pipelines.
type bulk struct{}

func (bulk) CopyMode() dialect.CopyMode { return dialect.CopyInTx }
func (bulk) CanPipeline(any) bool       { return false }

func (bulk) CopyFrom(context.Context, any, string, []string, dialect.CopySource) (int64, error) {
	return 0, errors.New("orm: lib/pq copies through a prepared statement on a transaction, not a connection")
}

func (bulk) Pipeline(_ context.Context, _ any, stmts []dialect.PipelinedStatement) ([]int64, []error) {
	errs := make([]error, len(stmts))
	for i := range errs {
		errs[i] = dialect.ErrNotRun
	}
	if len(errs) > 0 {
		errs[0] = errors.New("orm: lib/pq has no pipelines")
	}
	return make([]int64, len(stmts)), errs
}

// errorCode is the SQLSTATE of a *pq.Error.
func errorCode(err error) string {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return string(pe.Code)
	}
	return ""
}
