package session

import (
	"context"
	"database/sql"
	"fmt"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/statement"
)

// delete removes rows by key (and version), chunked under the bind limit.
func (f *flusher) delete(ctx context.Context, m *schema.Model, rows []*row) error {
	keys := m.PrimaryKey
	if m.Version != nil {
		keys = append(append([]*schema.Field(nil), keys...), m.Version)
	}
	per := rowsPerStatement(f.d, len(keys), DefaultBulkBatchSize)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(len(rows), start+per)]
		q := f.s.db.sql.get(sqlKey{model: m, kind: 'd', sig: "", n: len(chunk)}, func() string {
			return statement.Delete(f.d, m.Table, keys, len(chunk))
		})
		args := make([]any, 0, len(chunk)*len(keys))
		for _, r := range chunk {
			src := r.e.snapshot
			if src == nil {
				src = r.p
			}
			for _, k := range keys {
				v, err := k.Value(src)
				if err != nil {
					return &FlushError{Op: "delete", Table: m.Table, Err: err}
				}
				args = append(args, v)
			}
		}
		key := ""
		if len(chunk) == 1 {
			key = keyString(m, chunk[0].p)
		}
		want := int64(len(chunk))
		err := f.execCheck(ctx, q, args, func(res sql.Result, err error) error {
			if err != nil {
				return &FlushError{Op: "delete", Table: m.Table, Key: key, Err: err}
			}
			if n, err := res.RowsAffected(); err == nil && n != want {
				return &FlushError{Op: "delete", Table: m.Table, Key: key,
					Err: fmt.Errorf("%w: DELETE matched %d of %d rows (deleted elsewhere or version changed)", ErrStaleData, n, want)}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// failAs returns the check of a statement whose result only its error
// matters: the error becomes a FlushError of op on table.
func failAs(op, table, key string) func(sql.Result, error) error {
	return func(_ sql.Result, err error) error {
		if err != nil {
			return &FlushError{Op: op, Table: table, Key: key, Err: err}
		}
		return nil
	}
}

// unlink sets to NULL a foreign key of a row about to be deleted, to break
// a cycle between rows deleted together. The object is not changed.
func (f *flusher) unlink(ctx context.Context, pu postUpdate) error {
	r, fk := pu.r, pu.fk
	m := r.e.model
	q := statement.UpdateByKey(f.d, m.Table, fk.Fields, m.PrimaryKey)
	args := make([]any, len(fk.Fields), len(fk.Fields)+len(m.PrimaryKey))
	src := r.dbValues()
	for _, k := range m.PrimaryKey {
		v, _ := k.Value(src)
		args = append(args, v)
	}
	return f.execCheck(ctx, q, args, failAs("update", m.Table, keyString(m, src)))
}

// planEndLinks plans the removal of the link rows of objects about to be
// deleted, for every many-to-many relation that has them at either end.
// Rows of a link_model that this flush deletes as objects are left to their
// own DELETE (whose row count is checked); its other tracked rows that
// reference a deleted end leave the session with the end.
func (s *Session) planEndLinks(pl *plan) error {
	pl.endLinks = nil
	for _, t := range pl.tables {
		if len(t.deletes) == 0 {
			continue
		}
		for _, lr := range linkRelations(s.db.registry, t.model) {
			el := endLinkDelete{link: lr.link, cols: lr.cols}
			ends := map[idKey]bool{}
			for _, layer := range t.deletes {
				for _, r := range layer {
					vals := make([]any, len(lr.keyFields))
					for i, kf := range lr.keyFields {
						vals[i], _ = kf.Value(r.dbValues())
					}
					el.keys = append(el.keys, vals)
					if k, err := keyOfValues(vals); err == nil {
						ends[k] = true
					}
				}
			}
			if lr.link.Type != nil {
				s.linkObjectsOfEnds(pl, &el, ends)
			}
			if s.endLinkRows(el) < 1 {
				return &FlushError{Op: "delete", Table: lr.link.Table, Err: fmt.Errorf("too many %s rows deleted together with their ends for one statement; flush them first", lr.link.Name)}
			}
			pl.endLinks = append(pl.endLinks, el)
		}
	}
	return nil
}

// endLinkRows is the number of ends one DELETE of el's link rows carries.
func (s *Session) endLinkRows(el endLinkDelete) int {
	return (s.db.dialect.MaxBindParams() - len(el.except)*len(el.exceptCols)) / max(1, len(el.cols))
}

// deleteEndLinks runs the plan's endLinks.
func (f *flusher) deleteEndLinks(ctx context.Context, pl *plan) error {
	for _, el := range pl.endLinks {
		per := f.s.endLinkRows(el)
		for start := 0; start < len(el.keys); start += per {
			part := el.keys[start:min(len(el.keys), start+per)]
			q := statement.DeleteExcept(f.d, el.link.Table, el.cols, len(part), el.exceptCols, len(el.except))
			var args []any
			for _, v := range part {
				args = append(args, v...)
			}
			for _, v := range el.except {
				args = append(args, v...)
			}
			if err := f.execCheck(ctx, q, args, failAs("delete", el.link.Table, "")); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkObjectsOfEnds looks at the tracked objects of a link_model whose
// columns el.cols reference one of the deleted ends: the primary keys of
// those this flush deletes itself go to el.except (left out of the ends'
// statement), the persistent ones to el.detach (detached after the flush).
func (s *Session) linkObjectsOfEnds(pl *plan, el *endLinkDelete, ends map[idKey]bool) {
	m := el.link
	refs := func(p unsafe.Pointer) bool {
		k, _, ok := tupleKey(el.cols, p)
		return ok && ends[k]
	}
	el.exceptCols = m.PrimaryKey
	for _, t := range pl.tables {
		if t.model != m {
			continue
		}
		for _, layer := range t.deletes {
			for _, r := range layer {
				src := r.dbValues()
				if !refs(src) {
					continue
				}
				vals := make([]any, len(m.PrimaryKey))
				for i, f := range m.PrimaryKey {
					vals[i], _ = f.Value(src)
				}
				el.except = append(el.except, vals)
			}
		}
	}
	s.im.live(func(e *entry, p unsafe.Pointer) {
		if e.model != m || e.state != StatePersistent {
			return
		}
		src := p
		if e.snapshot != nil {
			src = e.snapshot
		}
		if refs(src) {
			el.detach = append(el.detach, e)
		}
	})
}

// endLink is one link table with the columns referencing a model.
type endLink struct {
	link      *schema.Model
	cols      []*schema.Field // link columns referencing the model
	keyFields []*schema.Field // the model's key fields they reference
}

// linkRelations lists the link tables that reference m through a
// many-to-many relation declared on m or on another model, once each.
func linkRelations(reg *schema.Registry, m *schema.Model) []endLink {
	var out []endLink
	seen := map[string]bool{}
	add := func(link *schema.Model, cols, keys []*schema.Field) {
		k := link.Table + ":" + cols[0].Column
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, endLink{link, cols, keys})
	}
	for _, r := range m.Relations {
		if r.Kind == schema.ManyToMany {
			add(r.Link.Model, r.Link.LocalColumns, r.LocalFields)
		}
	}
	for _, other := range reg.Models() {
		for _, r := range other.Relations {
			if r.Kind == schema.ManyToMany && r.Target == m {
				add(r.Link.Model, r.Link.RemoteColumns, r.RemoteFields)
			}
		}
	}
	return out
}

// runNullify sends UPDATE child SET fk = NULL WHERE fk IN (parents).
func (f *flusher) runNullify(ctx context.Context) error {
	for _, n := range f.pl.nullify {
		target := n.rel.Target
		for _, ch := range f.s.chunks(len(n.keys), len(n.rel.RemoteFields)) {
			part := n.keys[ch[0]:ch[1]]
			q := statement.SetNullWhereIn(f.d, target.Table, n.rel.RemoteFields, len(part))
			var args []any
			for _, k := range part {
				args = append(args, k...)
			}
			if err := f.execCheck(ctx, q, args, failAs("update", target.Table, "")); err != nil {
				return err
			}
		}
	}
	return nil
}
