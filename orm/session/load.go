package session

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
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

// keyOfValues normalises a tuple of driver values into one key: for
// several values, the length-prefixed "kind:value" of each, as keyOfMode
// encodes composite primary keys.
func keyOfValues(vals []any) (idKey, error) {
	if len(vals) == 1 {
		return normKey(vals[0])
	}
	var b []byte
	for _, v := range vals {
		k, err := normKey(v)
		if err != nil {
			return idKey{}, err
		}
		s := k.String()
		kind := strconv.Itoa(int(k.kind))
		b = strconv.AppendInt(b, int64(len(kind)+1+len(s)), 10)
		b = append(b, ':')
		b = append(b, kind...)
		b = append(b, ':')
		b = append(b, s...)
	}
	return idKey{kind: 3, s: string(b)}, nil
}

// loadRelation loads rel for every parent (pointers to rel.Model) whose
// relation is not loaded yet, with one query per chunk of distinct keys,
// through the identity map. It returns the distinct related objects.
func (s *Session) loadRelation(ctx context.Context, rel *schema.Relation, parents []unsafe.Pointer) ([]unsafe.Pointer, error) {
	if s.closed {
		return nil, ErrSessionClosed
	}
	var todo []unsafe.Pointer
	seen := make(map[unsafe.Pointer]bool, len(parents))
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
	pk := keysOf(rel.LocalFields, parents)
	targets := make([]unsafe.Pointer, pk.ix.n)
	var missing []any
	usesPK := schema.SameFields(rel.RemoteFields, target.PrimaryKey)
	for sl := range pk.ix.n {
		if usesPK {
			if e := s.im.lookupID(identity{target, pk.keys[sl]}); e != nil && !e.expired {
				targets[sl] = e.ptr()
				continue
			}
		}
		missing = append(missing, pk.keyArgs(sl)...)
	}
	rows, err := s.selectIn(ctx, target, rel.RemoteFields, missing, nil)
	if err != nil {
		return nil, err
	}
	for _, p := range rows {
		if k, ok := keyOnly(rel.RemoteFields, p); ok {
			if sl, ok := pk.ix.slot(k); ok {
				targets[sl] = p
			}
		}
	}
	var out []unsafe.Pointer
	got := make(map[unsafe.Pointer]bool, len(targets))
	var one [1]unsafe.Pointer
	for i, p := range parents {
		var items []unsafe.Pointer
		if sl := pk.slots[i]; sl >= 0 {
			if t := targets[sl]; t != nil {
				one[0] = t
				items = one[:]
				if !got[t] {
					got[t] = true
					out = append(out, t)
				}
			}
		}
		s.setLoaded(rel, p, items)
	}
	return out, nil
}

// loadRows runs a SELECT of all target columns (plus extra trailing
// columns, of one model) and resolves the rows through the identity map
// once all are read, so that the map grows once. It returns the resolved
// objects in row order and, with extra columns, the key of each row's
// extra columns.
func (s *Session) loadRows(ctx context.Context, m *schema.Model, q string, args []any, extra []*schema.Field) ([]unsafe.Pointer, []rowKey, error) {
	c, inTx := s.readConn(ctx)
	return s.loadRowsOn(ctx, c, inTx, m, q, args, extra, len(extra) == 0)
}

// loadRowsOn is loadRows on a connection already chosen; distinct tells
// that the rows are distinct rows of one table (see resolveRows).
func (s *Session) loadRowsOn(ctx context.Context, c conn, inTx bool, m *schema.Model, q string, args []any, extra []*schema.Field, distinct bool) ([]unsafe.Pointer, []rowKey, error) {
	sc := s.db.getScanner(m)
	defer s.db.putScanner(sc)
	dest := sc.dest
	var extraP unsafe.Pointer
	if len(extra) > 0 {
		_, extraP = extra[0].Model.New()
		dest = append(append([]any(nil), sc.dest...), make([]any, len(extra))...)
		for i, f := range extra {
			esc := f.Scanner()
			esc.Bind(extraP)
			dest[len(sc.dest)+i] = esc
		}
	}
	var rows []unsafe.Pointer
	var keys []rowKey
	var slab *objSlab
	if !s.im.weak {
		slab = newObjSlab(m)
	}
	_, err := s.db.query(ctx, c, inTx, q, args, func(r *sql.Rows) error {
		var p unsafe.Pointer
		if slab != nil {
			p = slab.alloc()
		} else {
			_, p = m.New()
		}
		for _, col := range sc.scanners {
			col.Bind(p)
		}
		if err := r.Scan(dest...); err != nil {
			return err
		}
		if slab == nil {
			rows = append(rows, p)
		}
		if extraP != nil {
			k, ok := keyOnly(extra, extraP)
			keys = append(keys, rowKey{k, ok})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var snaps []unsafe.Pointer
	if slab != nil {
		rows, snaps = slab.objects(), slab.snapshots()
	}
	if err := s.resolveRows(ctx, m, rows, snaps, distinct); err != nil {
		return nil, nil, err
	}
	return rows, keys, nil
}

// rowKey is the key of a row's extra columns; ok is false when one of them
// is NULL.
type rowKey struct {
	k  idKey
	ok bool
}

// loadOneToMany: one IN query on the children's foreign key, grouped per
// parent in the query's order (one-to-one takes the first child).
func (s *Session) loadOneToMany(ctx context.Context, rel *schema.Relation, parents []unsafe.Pointer) ([]unsafe.Pointer, error) {
	pk := keysOf(rel.LocalFields, parents)
	rows, err := s.selectIn(ctx, rel.Target, rel.RemoteFields, pk.args, rel)
	if err != nil {
		return nil, err
	}
	hits := make([]hit, 0, len(rows))
	out := rows[:0] // the children with a foreign key, in place
	for _, p := range rows {
		if k, ok := keyOnly(rel.RemoteFields, p); ok {
			out = append(out, p)
			if sl, ok := pk.ix.slot(k); ok {
				hits = append(hits, hit{sl, p})
			}
		}
	}
	groups := groupHits(hits, pk.ix.n)
	if !s.cfg.AutoFlush || s.noAutoFlush > 0 {
		// Nothing was flushed before the query: children whose parent
		// changed in the session since are moved to where the session has
		// them, so that a collection loaded now agrees with the objects.
		s.overlayPendingParents(rel, &pk.ix, groups)
	}
	for i, p := range parents {
		var items []unsafe.Pointer
		if sl := pk.slots[i]; sl >= 0 {
			items = groups[sl]
			if rel.Kind == schema.OneToOne && len(items) > 1 {
				items = items[:1]
			}
		}
		s.setLoaded(rel, p, items)
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
	pk := keysOf(rel.LocalFields, parents)
	got := map[unsafe.Pointer]bool{}
	var out []unsafe.Pointer
	var hits []hit
	for _, ch := range s.chunks(int(pk.ix.n), len(link.LocalColumns)) {
		q := statement.SelectLinked(s.db.dialect, rel, ch[1]-ch[0])
		// The link's local key columns scan into the parent's key fields, so
		// that they normalise exactly like the parents' keys.
		rows, keys, err := s.loadRows(ctx, target, q, pk.args[ch[0]*pk.width:ch[1]*pk.width], rel.LocalFields)
		if err != nil {
			return nil, err
		}
		for i, p := range rows {
			if !keys[i].ok {
				continue
			}
			if sl, ok := pk.ix.slot(keys[i].k); ok {
				hits = append(hits, hit{sl, p})
			}
			if !got[p] {
				got[p] = true
				out = append(out, p)
			}
		}
	}
	groups := groupHits(hits, pk.ix.n)
	for i, p := range parents {
		var items []unsafe.Pointer
		if sl := pk.slots[i]; sl >= 0 {
			items = groups[sl]
		}
		s.setLoaded(rel, p, items)
	}
	return out, nil
}

// selectIn loads the rows of m whose cols match one of the keys in args
// (len(cols) values per key), chunked under the bind limit, ordered by the
// relation's order_by when rel is given, and returns them resolved.
func (s *Session) selectIn(ctx context.Context, m *schema.Model, cols []*schema.Field, args []any, rel *schema.Relation) ([]unsafe.Pointer, error) {
	w := len(cols)
	var all []unsafe.Pointer
	for _, ch := range s.chunks(len(args)/w, w) {
		q := statement.SelectIn(s.db.dialect, m.Table, m.Fields, cols, ch[1]-ch[0], rel)
		rows, _, err := s.loadRows(ctx, m, q, args[ch[0]*w:ch[1]*w], nil)
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = rows
		} else {
			all = append(all, rows...)
		}
	}
	return all, nil
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
