package orm

import (
	"context"

	"github.com/sqlmodel-go/sqlmodel/orm/session"
)

// N1Stats summarises single lazy loads; see Session.N1Stats.
type N1Stats = session.N1Stats

// ErrLazyRaise reports a single lazy load of a lazy=raise relation.
var ErrLazyRaise = session.ErrLazyRaise

// LoadLazy loads one to-one relation field of a tracked object; see
// session.LoadLazy.
func LoadLazy[T any](ctx context.Context, s *Session, l *Lazy[T]) (bool, error) {
	return session.LoadLazy(ctx, s, l)
}

// LoadMany loads a many-to-one relation for all parents with one IN query.
func LoadMany[P, T any](ctx context.Context, s *Session, parents []*P, f func(*P) *Lazy[T]) (int, error) {
	return session.LoadMany(ctx, s, parents, f)
}

// LoadOneToMany loads a one-to-many relation for all parents with one query.
func LoadOneToMany[P, T any](ctx context.Context, s *Session, parents []*P, f func(*P) *RelatedMany[T]) (int, error) {
	return session.LoadOneToMany(ctx, s, parents, f)
}

// LoadManyToMany loads a many-to-many relation for all parents with one
// query through the link table.
func LoadManyToMany[P, T any](ctx context.Context, s *Session, parents []*P, f func(*P) *RelatedMany[T]) (int, error) {
	return session.LoadManyToMany(ctx, s, parents, f)
}

// Preload loads relations by name ("Team", "Powers", "Team.Heroes") for all
// parents, one query per relation and level.
func Preload[P any](ctx context.Context, s *Session, parents []*P, paths ...string) error {
	return session.Preload(ctx, s, parents, paths...)
}

// RelateToOne relates child to parent through a many-to-one relation
// (foreign key, Lazy and back_populates); see session.RelateToOne.
func RelateToOne[C, P any](s *Session, child *C, f func(*C) *Lazy[P], parent *P) error {
	return session.RelateToOne(s, child, f, parent)
}

// UnrelateFromOne clears a many-to-one relation; see session.UnrelateFromOne.
func UnrelateFromOne[C, P any](s *Session, child *C, f func(*C) *Lazy[P]) error {
	return session.UnrelateFromOne(s, child, f)
}

// RelateManyToMany links right to left's many-to-many collection.
func RelateManyToMany[L, R any](s *Session, left *L, f func(*L) *RelatedMany[R], right *R) error {
	return session.RelateManyToMany(s, left, f, right)
}

// UnrelateManyToMany unlinks right from left's many-to-many collection.
func UnrelateManyToMany[L, R any](s *Session, left *L, f func(*L) *RelatedMany[R], right *R) error {
	return session.UnrelateManyToMany(s, left, f, right)
}

// FlushRelatedMany writes pending link operations now (it flushes the session).
func FlushRelatedMany[L, R any](ctx context.Context, s *Session, left *L, f func(*L) *RelatedMany[R]) error {
	return session.FlushRelatedMany(ctx, s, left, f)
}
