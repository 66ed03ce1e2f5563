package session

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/statement"
)

// tupleKey normalises the values of some columns of the object at p into
// one key; ok is false when one of them is NULL.
func tupleKey(fs []*schema.Field, p unsafe.Pointer) (idKey, []any, bool) {
	if len(fs) == 1 {
		if n, ok := fs[0].Int64(p); ok {
			return idKey{kind: 1, n: n}, []any{n}, true
		}
	}
	vals := make([]any, len(fs))
	for i, f := range fs {
		v, err := f.Value(p)
		if err != nil || v == nil {
			return idKey{}, nil, false
		}
		vals[i] = v
	}
	k, err := keyOfValues(vals)
	return k, vals, err == nil
}

// keyOfValues normalises a tuple of driver values into one key.
func keyOfValues(vals []any) (idKey, error) {
	if len(vals) == 1 {
		return normKey(vals[0])
	}
	var b strings.Builder
	for _, v := range vals {
		k, err := normKey(v)
		if err != nil {
			return idKey{}, err
		}
		s := fmt.Sprintf("%d:%s", k.kind, k.String())
		fmt.Fprintf(&b, "%d:%s", len(s), s)
	}
	return idKey{kind: 3, s: b.String()}, nil
}

// loadRelation loads rel for every parent (pointers to rel.Model) whose
// relation is not loaded yet, with one query per chunk of distinct keys,
// through the identity map. It returns the distinct related objects.
func (s *Session) loadRelation(ctx context.Context, rel *schema.Relation, parents []unsafe.Pointer) ([]unsafe.Pointer, error) {
	if s.closed {
		return nil, ErrSessionClosed
	}
	var todo []unsafe.Pointer
	seen := map[unsafe.Pointer]bool{}
	for _, p := range parents {
		if p != nil && !seen[p] && !rel.Loaded(p) {
			seen[p] = true
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	if err := s.autoFlush(ctx); err != nil {
		return nil, err
	}
	switch rel.Kind {
	case schema.ManyToOne:
		return s.loadManyToOne(ctx, rel, todo)
	case schema.OneToOne, schema.OneToMany:
		return s.loadOneToMany(ctx, rel, todo)
	case schema.ManyToMany:
		return s.loadManyToMany(ctx, rel, todo)
	}
	return nil, fmt.Errorf("orm: unknown relation kind %v", rel.Kind)
}

// chunks splits n keys of k columns into runs under the bind limit.
func (s *Session) chunks(n, k int) [][2]int {
	per := rowsPerStatement(s.db.dialect, k, math.MaxInt)
	var out [][2]int
	for i := 0; i < n; i += per {
		out = append(out, [2]int{i, min(n, i+per)})
	}
	return out
}

// loadManyToOne: one IN query on the target's referenced columns for the
// distinct foreign-key values; targets already tracked need no SQL.
func (s *Session) loadManyToOne(ctx context.Context, rel *schema.Relation, parents []unsafe.Pointer) ([]unsafe.Pointer, error) {
	target := rel.Target
	byKey := map[idKey]unsafe.Pointer{}
	var missingVals [][]any
	pending := map[idKey]bool{}
	usesPK := schema.SameFields(rel.RemoteFields, target.PrimaryKey)
	for _, p := range parents {
		k, vals, ok := tupleKey(rel.LocalFields, p)
		if !ok {
			continue
		}
		if _, done := byKey[k]; done || pending[k] {
			continue
		}
		if usesPK {
			if e := s.im.lookupID(identity{target, k}); e != nil && !e.expired {
				byKey[k] = e.ptr()
				continue
			}
		}
		pending[k] = true

		missingVals = append(missingVals, vals)
	}
	err := s.selectIn(ctx, target, rel.RemoteFields, missingVals, nil, func(p unsafe.Pointer) {
		if k, ok := keyOnly(rel.RemoteFields, p); ok {
			byKey[k] = p
		}
	})
	if err != nil {
		return nil, err
	}
	var out []unsafe.Pointer
	got := map[unsafe.Pointer]bool{}
	for _, p := range parents {
		k, ok := keyOnly(rel.LocalFields, p)
		var objs []any
		if ok {
			if t := byKey[k]; t != nil {
				objs = []any{reflect.NewAt(target.Type, t).Interface()}
				if !got[t] {
					got[t] = true
					out = append(out, t)
				}
			}
		}
		rel.SetObjects(p, objs)
		s.loadedRelation(rel, p)
	}
	return out, nil
}

// loadRows runs a SELECT of all target columns (plus extra trailing columns
// scanned into fresh values) and resolves each row through the identity map.
func (s *Session) loadRows(ctx context.Context, m *schema.Model, q string, args []any, extra []*schema.Field, each func(p unsafe.Pointer, extra []any)) error {
	c, inTx := s.readConn(ctx)
	sc := s.db.getScanner(m)
	defer s.db.putScanner(sc)
	dest := sc.dest
	var extraVals []any
	var extraP unsafe.Pointer
	if len(extra) > 0 {
		_, extraP = extra[0].Model.New()
		dest = append(append([]any(nil), sc.dest...), make([]any, len(extra))...)
		for i, f := range extra {
			esc := f.Scanner()
			esc.Bind(extraP)
			dest[len(sc.dest)+i] = esc
		}
		extraVals = make([]any, len(extra))
	}
	_, err := s.db.query(ctx, c, inTx, q, args, func(rows *sql.Rows) error {
		_, p := m.New()
		for _, col := range sc.scanners {
			col.Bind(p)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		obj, err := s.resolveLoaded(ctx, m, p)
		if err != nil {
			return err
		}
		for i, f := range extra {
			extraVals[i], _ = f.Value(extraP)
		}
		each(obj, extraVals)
		return nil
	})
	return err
}

// loadOneToMany: one IN query on the children's foreign key, grouped per
// parent (one-to-one takes the first child).
func (s *Session) loadOneToMany(ctx context.Context, rel *schema.Relation, parents []unsafe.Pointer) ([]unsafe.Pointer, error) {
	target := rel.Target
	groups := map[idKey][]unsafe.Pointer{}
	var out []unsafe.Pointer
	err := s.selectIn(ctx, target, rel.RemoteFields, distinctKeys(rel.LocalFields, parents), rel, func(p unsafe.Pointer) {
		if k, ok := keyOnly(rel.RemoteFields, p); ok {
			groups[k] = append(groups[k], p)
			out = append(out, p)
		}
	})
	if err != nil {
		return nil, err
	}
	if !s.cfg.AutoFlush || s.noAutoFlush > 0 {
		// Nothing was flushed before the query: children whose parent
		// changed in the session since are moved to where the session has
		// them, so that a collection loaded now agrees with the objects.
		s.overlayPendingParents(rel, parents, groups)
	}
	for _, p := range parents {
		k, ok := keyOnly(rel.LocalFields, p)
		var objs []any
		if ok {
			for _, c := range groups[k] {
				objs = append(objs, reflect.NewAt(target.Type, c).Interface())
				if rel.Kind == schema.OneToOne {
					break
				}
			}
		}
		rel.SetObjects(p, objs)
		s.loadedRelation(rel, p)
		if rel.DeleteOrphan {
			s.recordCollection(s.im.lookupPtr(p), rel, p)
		}
	}
	return out, nil
}

// loadManyToMany: one query joining the target with the link table,
// filtered on the link's local columns, grouped per parent.
func (s *Session) loadManyToMany(ctx context.Context, rel *schema.Relation, parents []unsafe.Pointer) ([]unsafe.Pointer, error) {
	target, link := rel.Target, rel.Link
	groups := map[idKey][]unsafe.Pointer{}
	keys := distinctKeys(rel.LocalFields, parents)
	got := map[unsafe.Pointer]bool{}
	var out []unsafe.Pointer
	for _, ch := range s.chunks(len(keys), len(link.LocalColumns)) {
		part := keys[ch[0]:ch[1]]
		q := statement.SelectLinked(s.db.dialect, rel, len(part))
		var args []any
		for _, v := range part {
			args = append(args, v...)
		}
		// The link's local key columns scan into the parent's key fields, so
		// that they normalise exactly like the parents' keys.
		err := s.loadRows(ctx, target, q, args, rel.LocalFields, func(p unsafe.Pointer, ev []any) {
			k, err := keyOfValues(ev)
			if err != nil {
				return
			}
			groups[k] = append(groups[k], p)
			if !got[p] {
				got[p] = true
				out = append(out, p)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for _, p := range parents {
		k, ok := keyOnly(rel.LocalFields, p)
		objs := []any{}
		if ok {
			for _, c := range groups[k] {
				objs = append(objs, reflect.NewAt(target.Type, c).Interface())
			}
		}
		rel.SetObjects(p, objs)
		s.loadedRelation(rel, p)
	}
	return out, nil
}

// distinctKeys returns the distinct non-NULL values of fs over the objects.
func distinctKeys(fs []*schema.Field, objs []unsafe.Pointer) [][]any {
	var keys [][]any
	seen := map[idKey]bool{}
	for _, p := range objs {
		k, vals, ok := tupleKey(fs, p)
		if ok && !seen[k] {
			seen[k] = true
			keys = append(keys, vals)
		}
	}
	return keys
}

// selectIn loads the rows of m whose cols match one of keys, chunked under
// the bind limit, ordered by the relation's order_by when rel is given.
func (s *Session) selectIn(ctx context.Context, m *schema.Model, cols []*schema.Field, keys [][]any, rel *schema.Relation, each func(p unsafe.Pointer)) error {
	for _, ch := range s.chunks(len(keys), len(cols)) {
		part := keys[ch[0]:ch[1]]
		q := statement.SelectIn(s.db.dialect, m.Table, m.Fields, cols, len(part), rel)
		var args []any
		for _, v := range part {
			args = append(args, v...)
		}
		if err := s.loadRows(ctx, m, q, args, nil, func(p unsafe.Pointer, _ []any) { each(p) }); err != nil {
			return err
		}
	}
	return nil
}

// keyOnly is tupleKey without the values, allocation-free for a single
// integer column.
func keyOnly(fs []*schema.Field, p unsafe.Pointer) (idKey, bool) {
	if len(fs) == 1 {
		if n, ok := fs[0].Int64(p); ok {
			return idKey{kind: 1, n: n}, true
		}
	}
	k, _, ok := tupleKey(fs, p)
	return k, ok
}

// overlayPendingParents moves, in the groups of a one-to-many load (children
// by parent key), the tracked children whose parent in the session differs
// from their row's: their foreign key was changed, or their many-to-one
// field was set, and not flushed yet. New children related to a loaded
// parent join its group.
func (s *Session) overlayPendingParents(rel *schema.Relation, parents []unsafe.Pointer, groups map[idKey][]unsafe.Pointer) {
	want := make(map[idKey]bool, len(parents))
	for _, p := range parents {
		if k, ok := keyOnly(rel.LocalFields, p); ok {
			want[k] = true
		}
	}
	back := rel.Back
	var backIdx int
	if back != nil {
		backIdx = relIndex(back)
	}
	s.im.live(func(e *entry, cp unsafe.Pointer) {
		if e.model != rel.Target || e.state == StateDeleted {
			return
		}
		now, nowOK := keyOnly(rel.RemoteFields, cp)
		fkNow := now
		if back != nil && backIdx >= 0 && back.Loaded(cp) && !e.relClean(backIdx, cp) {
			items, _ := relItems(back, cp)
			nowOK = false
			if len(items) > 0 {
				if k, ok := keyOnly(rel.LocalFields, items[0]); ok {
					now, nowOK = k, true
				}
			}
		}
		var was idKey
		wasOK := false
		if e.state == StatePersistent && e.snapshot != nil {
			was, wasOK = keyOnly(rel.RemoteFields, e.snapshot)
		}
		if nowOK == wasOK && (!nowOK || now == was) {
			return
		}
		// The row may have been grouped by its row's key or by the
		// object's: take it out of every group but the session's.
		for _, k := range []idKey{was, fkNow} {
			if g, ok := groups[k]; ok && (!nowOK || k != now) {
				groups[k] = slices.DeleteFunc(g, func(x unsafe.Pointer) bool { return x == cp })
			}
		}
		if nowOK && want[now] && !slices.Contains(groups[now], cp) {
			groups[now] = append(groups[now], cp)
		}
	})
}
