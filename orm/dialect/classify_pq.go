package dialect

import (
	"errors"

	"github.com/lib/pq"
)

// classifyPQ classifies a *pq.Error from github.com/lib/pq by its SQLSTATE
// code. PostgreSQL reports the constraint, table and column as separate
// fields of the error message, so no message parsing is needed.
func classifyPQ(err error) (error, bool) {
	var pe *pq.Error
	if !errors.As(err, &pe) {
		return nil, false
	}
	code := string(pe.Code)
	kind := sqlstateKind(code)
	if kind == nil {
		return nil, false
	}
	return newClassified(kind, code, pe.Constraint, pe.Table, pe.Column, err), true
}
