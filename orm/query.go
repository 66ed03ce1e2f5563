package orm

import (
	"context"
	"database/sql"

	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/session"
)

// Querier is a *Session or a *DB; see session.Querier.
type Querier = session.Querier

// Query is a typed SELECT; see session.Query.
type Query[T any] = session.Query[T]

// Expr is a query condition; see query.Expr.
type Expr = query.Expr

// Column names a column in a condition; see query.Column.
type Column = query.Column

// Lock is a row-locking mode for Query.ForUpdate.
type Lock = query.Lock

// Row-locking modes.
const (
	SkipLocked = query.SkipLocked
	NoWait     = query.NoWait
)

// RawOption changes how Raw maps columns.
type RawOption = session.RawOption

// Select starts a query for model T on a *Session (identity map) or a *DB.
func Select[T any](q Querier) *Query[T] { return session.Select[T](q) }

// Col returns a checked column reference for conditions: Col("age").Gt(30).
func Col(name string) Column { return query.Col(name) }

// And joins conditions with AND.
func And(conds ...Expr) Expr { return query.And(conds...) }

// Or joins conditions with OR.
func Or(conds ...Expr) Expr { return query.Or(conds...) }

// Not negates a condition.
func Not(cond Expr) Expr { return query.Not(cond) }

// SQL is a hand-written condition with '?' placeholders, for Filter, Join
// and LeftJoin.
func SQL(sql string, args ...any) Expr { return query.Raw(sql, args...) }

// List is a list of values for a hand-written "IN (?)" that always expands
// into one placeholder per element; see query.List. A []byte argument is
// one value (Go cannot tell it from []uint8): write orm.ListOf(small) for
// a list of uint8 numbers.
type List = query.List

// ListOf returns the elements of a slice or array as a List, whatever their
// type: orm.ListOf([]uint8{1, 2}).
func ListOf(values any) List { return query.ListOf(values) }

// EscapeLike escapes '%', '_' and '\' in s, so that a Like or ILike pattern
// built from it matches s literally: orm.Col("name").Like(orm.EscapeLike(s) + "%").
func EscapeLike(s string) string { return query.EscapeLike(s) }

// Scalars returns one column of a query's rows, converted to V.
func Scalars[V, T any](ctx context.Context, q *Query[T], col string) ([]V, error) {
	return session.Scalars[V](ctx, q, col)
}

// Raw runs a hand-written SELECT and maps its columns to fields of T: a
// model (tracked on a session), any other struct (by column name,
// untracked) or a scalar from a one-column result; see session.Raw.
func Raw[T any](ctx context.Context, q Querier, sql string, args ...any) ([]*T, error) {
	return session.Raw[T](ctx, q, sql, args...)
}

// RawValue runs a hand-written SELECT of exactly one row and returns it as
// a scalar (a count, a sum) or a struct that is not a model; see
// session.RawValue.
func RawValue[T any](ctx context.Context, q Querier, sql string, args ...any) (T, error) {
	return session.RawValue[T](ctx, q, sql, args...)
}

// RawWithOptions is Raw with options such as IgnoreUnknownColumns.
func RawWithOptions[T any](ctx context.Context, q Querier, opts []RawOption, sql string, args ...any) ([]*T, error) {
	return session.RawWithOptions[T](ctx, q, opts, sql, args...)
}

// IgnoreUnknownColumns lets Raw skip result columns that are not model columns.
func IgnoreUnknownColumns() RawOption { return session.IgnoreUnknownColumns() }

// Exec runs a hand-written statement on a session or a DB.
func Exec(ctx context.Context, q Querier, sqlText string, args ...any) (sql.Result, error) {
	return session.Exec(ctx, q, sqlText, args...)
}
