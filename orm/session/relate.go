package session

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/relations"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ErrLazyRaise reports a single lazy load of a relation declared
// lazy=raise: load it in a batch (LoadMany, Preload) instead.
var ErrLazyRaise = errors.New("orm: lazy load of a lazy=raise relation")

// relationAt finds the relation of model m whose field sits at byte offset
// off in the struct.
func relationAt(m *schema.Model, off uintptr) (*schema.Relation, bool) {
	for _, r := range m.Relations {
		t := m.Type
		var o uintptr
		direct := true
		for i, idx := range r.Index {
			if i > 0 && t.Kind() == reflect.Pointer {
				direct = false
				break
			}
			f := t.Field(idx)
			o += f.Offset
			t = f.Type
		}
		if direct && o == off {
			return r, true
		}
	}
	return nil, false
}

// relationOf resolves the relation an accessor picks on parent.
func relationOf[P any](s *Session, parent *P, fieldAddr unsafe.Pointer) (*schema.Model, *schema.Relation, error) {
	if s == nil {
		return nil, nil, invalid("nil session")
	}
	if s.closed {
		return nil, nil, ErrSessionClosed
	}
	m, ok := s.db.registry.Lookup(reflect.TypeFor[P]())
	if !ok || m.Type != reflect.TypeFor[P]() {
		return nil, nil, fmt.Errorf("%w: %s is not a registered model", ErrUnmapped, reflect.TypeFor[P]())
	}
	off := uintptr(fieldAddr) - uintptr(unsafe.Pointer(parent))
	if uintptr(fieldAddr) < uintptr(unsafe.Pointer(parent)) || off >= m.Type.Size() {
		return nil, nil, invalid("the accessor must return a relation field of the object it is given")
	}
	rel, ok := relationAt(m, off)
	if !ok {
		return nil, nil, invalid("the accessor does not return a relation field of %s", m.Name)
	}
	return m, rel, nil
}

func ptrs[P any](parents []*P) []unsafe.Pointer {
	out := make([]unsafe.Pointer, 0, len(parents))
	for _, p := range parents {
		if p != nil {
			out = append(out, unsafe.Pointer(p))
		}
	}
	return out
}

// LoadMany loads a many-to-one (or one-to-one) relation for every parent
// with one IN query (per chunk of keys under the bind limit) for the
// distinct foreign keys whose targets the session does not already track.
// Parents whose relation is loaded are skipped; a NULL or dangling foreign
// key loads as nil. It returns the number of distinct related objects.
func LoadMany[P, T any](ctx context.Context, s *Session, parents []*P, f func(*P) *relations.Lazy[T]) (int, error) {
	if err := s.enter("LoadMany"); err != nil {
		return 0, err
	}
	defer s.exit()
	if f == nil {
		return 0, invalid("LoadMany needs an accessor")
	}
	return loadBatch(ctx, s, parents, func(p *P) unsafe.Pointer { return unsafe.Pointer(f(p)) }, schema.ManyToOne, schema.OneToOne)
}

// LoadOneToMany loads a one-to-many relation for every parent with one IN
// query on the children's foreign key, grouped per parent and ordered by
// the relation's order_by. It returns the number of children loaded.
func LoadOneToMany[P, T any](ctx context.Context, s *Session, parents []*P, f func(*P) *relations.RelatedMany[T]) (int, error) {
	if err := s.enter("LoadOneToMany"); err != nil {
		return 0, err
	}
	defer s.exit()
	if f == nil {
		return 0, invalid("LoadOneToMany needs an accessor")
	}
	return loadBatch(ctx, s, parents, func(p *P) unsafe.Pointer { return unsafe.Pointer(f(p)) }, schema.OneToMany)
}

// LoadManyToMany loads a many-to-many relation for every parent with one
// query joining the target and the link table. It returns the number of
// distinct related objects.
func LoadManyToMany[P, T any](ctx context.Context, s *Session, parents []*P, f func(*P) *relations.RelatedMany[T]) (int, error) {
	if err := s.enter("LoadManyToMany"); err != nil {
		return 0, err
	}
	defer s.exit()
	if f == nil {
		return 0, invalid("LoadManyToMany needs an accessor")
	}
	return loadBatch(ctx, s, parents, func(p *P) unsafe.Pointer { return unsafe.Pointer(f(p)) }, schema.ManyToMany)
}

func loadBatch[P any](ctx context.Context, s *Session, parents []*P, field func(*P) unsafe.Pointer, kinds ...schema.RelKind) (int, error) {
	ps := ptrs(parents)
	if len(ps) == 0 {
		return 0, nil
	}
	first := (*P)(ps[0])
	_, rel, err := relationOf(s, first, field(first))
	if err != nil {
		return 0, err
	}
	ok := false
	for _, k := range kinds {
		ok = ok || rel.Kind == k
	}
	if !ok {
		return 0, invalid("%s.%s is a %s relation; use the loader for that kind", rel.Model.Name, rel.Name, rel.Kind)
	}
	if len(ps) == 1 {
		s.n1.record(s, rel)
	}
	out, err := s.loadRelation(ctx, rel, ps)
	return len(out), err
}

// LoadLazy loads one to-one relation field of a tracked object: the field
// must belong to an object the session tracks. A NULL foreign key loads
// as nil without SQL, and so does a target already tracked. It reports
// whether a related object exists. Each call is a single lazy load,
// counted for N+1 detection; a lazy=raise relation returns ErrLazyRaise
// without SQL.
func LoadLazy[T any](ctx context.Context, s *Session, l *relations.Lazy[T]) (bool, error) {
	if err := s.enter("LoadLazy"); err != nil {
		return false, err
	}
	defer s.exit()
	if s == nil || l == nil {
		return false, invalid("LoadLazy needs a session and a relation field")
	}
	e, rel, err := s.ownerOf(unsafe.Pointer(l))
	if err != nil {
		return false, err
	}
	if rel.Raise {
		return false, fmt.Errorf("%w: %s.%s (use LoadMany or Preload)", ErrLazyRaise, rel.Model.Name, rel.Name)
	}
	s.n1.record(s, rel)
	if _, err := s.loadRelation(ctx, rel, []unsafe.Pointer{e.ptr()}); err != nil {
		return false, err
	}
	v, _ := l.Get()
	return v != nil, nil
}

// ownerOf finds the tracked object whose relation field lives at addr.
func (s *Session) ownerOf(addr unsafe.Pointer) (*entry, *schema.Relation, error) {
	if s.closed {
		return nil, nil, ErrSessionClosed
	}
	a := uintptr(addr)
	var found *entry
	s.im.live(func(e *entry, p unsafe.Pointer) {
		if found == nil && len(e.model.Relations) > 0 && a >= uintptr(p) && a < uintptr(p)+e.model.Type.Size() {
			found = e
		}
	})
	if found == nil {
		return nil, nil, invalid("the relation field does not belong to an object this session tracks (load or add the object first)")
	}
	rel, ok := relationAt(found.model, a-uintptr(found.ptr()))
	if !ok {
		return nil, nil, invalid("no relation of %s at that field", found.model.Name)
	}
	return found, rel, nil
}

// Preload loads the named relations of parents, batched: one query per
// relation and level (per chunk under the bind limit). Paths nest with dots:
// "Team", "Powers", "Team.Heroes". Relations already loaded are kept. A
// path naming no relation, at any level, is an ErrInvalidArgument returned
// before any SQL.
func Preload[P any](ctx context.Context, s *Session, parents []*P, paths ...string) error {
	if err := s.enter("Preload"); err != nil {
		return err
	}
	defer s.exit()
	if s == nil {
		return invalid("nil session")
	}
	m, ok := s.db.registry.Lookup(reflect.TypeFor[P]())
	if !ok || m.Type != reflect.TypeFor[P]() {
		return fmt.Errorf("%w: %s is not a registered model", ErrUnmapped, reflect.TypeFor[P]())
	}
	if err := checkPreloadPaths(m, paths); err != nil {
		return err
	}
	return s.preload(ctx, m, ptrs(parents), paths)
}

// preload walks the relation paths level by level.
func (s *Session) preload(ctx context.Context, m *schema.Model, parents []unsafe.Pointer, paths []string) error {
	tree := map[string][]string{}
	var order []string
	for _, p := range paths {
		head, rest, nested := cutPath(p)
		if _, ok := tree[head]; !ok {
			order = append(order, head)
			tree[head] = nil
		}
		if nested {
			tree[head] = append(tree[head], rest)
		}
	}
	for _, name := range order {
		rel, ok := m.Relation(name)
		if !ok {
			return fmt.Errorf("%w: %s has no relation %q", ErrInvalidArgument, m.Name, name)
		}
		if _, err := s.loadRelation(ctx, rel, parents); err != nil {
			return errwrap.Wrapf(err, "preload %s.%s", m.Name, name)
		}
		if len(tree[name]) == 0 {
			continue
		}
		// The next level: every related object of these parents, loaded
		// now or before.
		var all []unsafe.Pointer
		for _, p := range parents {
			all, _ = rel.AppendPointers(p, all)
		}
		next := all[:0]
		seen := make(map[unsafe.Pointer]struct{}, len(all))
		for _, op := range all {
			if _, dup := seen[op]; !dup {
				seen[op] = struct{}{}
				next = append(next, op)
			}
		}
		if err := s.preload(ctx, rel.Target, next, tree[name]); err != nil {
			return err
		}
	}
	return nil
}

func cutPath(p string) (head, rest string, nested bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == '.' {
			return p[:i], p[i+1:], true
		}
	}
	return p, "", false
}
