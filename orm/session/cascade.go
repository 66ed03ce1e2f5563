package session

import (
	"context"
	"reflect"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// nullifyOp sets a nullable foreign key to NULL in every row that still
// references parents about to be deleted (children without cascade).
type nullifyOp struct {
	rel  *schema.Relation // one-to-many or one-to-one, declared on the parent
	keys [][]any          // the parents' referenced values
}

// collKey names one loaded collection, for delete_orphan bookkeeping.
type collKey struct {
	owner *entry
	rel   *schema.Relation
}

// recordCollection remembers the items of a delete_orphan collection as
// loaded, so that items later removed from it can be deleted.
func (s *Session) recordCollection(e *entry, rel *schema.Relation, p unsafe.Pointer) {
	if !rel.DeleteOrphan || e == nil {
		return
	}
	objs, loaded := relationObjects(rel, p)
	if !loaded {
		return
	}
	if s.colls == nil {
		s.colls = map[collKey][]unsafe.Pointer{}
	}
	items := make([]unsafe.Pointer, len(objs))
	for i, o := range objs {
		items[i] = reflect.ValueOf(o).UnsafePointer()
	}
	s.colls[collKey{e, rel}] = items
}

// cascade applies delete cascades before planning: orphans removed from
// delete_orphan collections are deleted; children of deleted parents are
// deleted (cascade_delete, loading unloaded ones), left to the database
// (passive_deletes, or an ON DELETE rule) or have their nullable foreign
// key set to NULL. Everything it changes is undone if the flush fails.
func (f *flusher) cascade(ctx context.Context) error {
	s := f.s
	mark := func(e *entry) {
		if e.state == StatePersistent {
			f.cascaded = append(f.cascaded, cascaded{e, e.state, e.strong})
			e.state = StateDeleted
			e.strong = e.ptr()
		}
	}
	for k, items := range s.colls {
		if !k.owner.tracked || k.owner.state == StateDeleted {
			continue
		}
		cur := map[unsafe.Pointer]bool{}
		objs, _ := relationObjects(k.rel, k.owner.ptr())
		for _, o := range objs {
			cur[reflect.ValueOf(o).UnsafePointer()] = true
		}
		for _, it := range items {
			if !cur[it] {
				if e := s.im.lookupPtr(it); e != nil {
					mark(e)
				}
			}
		}
	}
	var queue []*entry
	s.im.live(func(e *entry, _ unsafe.Pointer) {
		if e.state == StateDeleted {
			queue = append(queue, e)
		}
	})
	done := map[*entry]bool{}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		if done[e] {
			continue
		}
		done[e] = true
		p := e.ptr()
		for _, rel := range e.model.Relations {
			if rel.Kind != schema.OneToMany && rel.Kind != schema.OneToOne {
				continue
			}
			fk := foreignKeyOf(rel.Target, rel.RemoteFields)
			onDelete := ""
			if fk != nil {
				onDelete = fk.OnDelete
			}
			dbHandles := onDelete == "CASCADE" || onDelete == "SET NULL" || onDelete == "SET DEFAULT"
			switch {
			case rel.CascadeDelete && (rel.PassiveDeletes || onDelete == "CASCADE"):
				// The database deletes the rows; loaded children leave
				// the session after the flush.
				objs, _ := relationObjects(rel, p)
				for _, o := range objs {
					if ce := s.im.lookupPtr(reflect.ValueOf(o).UnsafePointer()); ce != nil && ce.state == StatePersistent {
						f.detach = append(f.detach, ce)
					}
				}
			case rel.CascadeDelete:
				if !isLoaded(rel, p) {
					if _, err := s.loadRelation(ctx, rel, []unsafe.Pointer{p}); err != nil {
						return err
					}
				}
				objs, _ := relationObjects(rel, p)
				for _, o := range objs {
					if ce := s.im.lookupPtr(reflect.ValueOf(o).UnsafePointer()); ce != nil {
						mark(ce)
						queue = append(queue, ce)
					}
				}
			case dbHandles:
				objs, _ := relationObjects(rel, p)
				for _, o := range objs {
					if ce := s.im.lookupPtr(reflect.ValueOf(o).UnsafePointer()); ce != nil && ce.state == StatePersistent {
						if onDelete == "CASCADE" {
							f.detach = append(f.detach, ce)
						} else {
							f.expire = append(f.expire, ce)
						}
					}
				}
			default:
				nullable := true
				for _, rf := range rel.RemoteFields {
					nullable = nullable && rf.Nullable
				}
				if !nullable || onDelete != "" {
					continue // NOT NULL or RESTRICT/NO ACTION: the DELETE fails, atomically
				}
				// Loaded children let go of the parent in memory (an
				// UPDATE each); rows not loaded are set NULL in bulk.
				objs, _ := relationObjects(rel, p)
				for _, o := range objs {
					op := reflect.ValueOf(o).UnsafePointer()
					ce := s.im.lookupPtr(op)
					if ce == nil || ce.state != StatePersistent {
						continue
					}
					f.touch(&row{e: ce, p: op})
					for _, rf := range rel.RemoteFields {
						rf.SetZero(op)
					}
				}
				src := e.snapshot
				if src == nil {
					src = p
				}
				vals := make([]any, len(rel.LocalFields))
				for i, lf := range rel.LocalFields {
					vals[i], _ = lf.Value(src)
				}
				f.addNullify(rel, vals)
			}
		}
	}
	return nil
}

// cascaded records a state the cascade changed, to undo it.
type cascaded struct {
	e      *entry
	state  ObjectState
	strong unsafe.Pointer
}

func (f *flusher) addNullify(rel *schema.Relation, keys []any) {
	for i := range f.nullify {
		if f.nullify[i].rel == rel {
			f.nullify[i].keys = append(f.nullify[i].keys, keys)
			return
		}
	}
	f.nullify = append(f.nullify, nullifyOp{rel: rel, keys: [][]any{keys}})
}

// runNullify sends UPDATE child SET fk = NULL WHERE fk IN (parents).
func (f *flusher) runNullify(ctx context.Context) error {
	for _, n := range f.nullify {
		target := n.rel.Target
		for _, ch := range f.s.chunks(len(n.keys), len(n.rel.RemoteFields)) {
			part := n.keys[ch[0]:ch[1]]
			w := &sqlWriter{d: f.d}
			w.raw("UPDATE ")
			w.ident(target.Table)
			w.raw(" SET ")
			for i, rf := range n.rel.RemoteFields {
				if i > 0 {
					w.raw(", ")
				}
				w.ident(rf.Column)
				w.raw(" = NULL")
			}
			w.raw(" WHERE ")
			w.keyMatch(n.rel.RemoteFields, len(part))
			var args []any
			for _, k := range part {
				args = append(args, k...)
			}
			if _, err := f.exec(ctx, w.b.String(), args...); err != nil {
				return &FlushError{Op: "update", Table: target.Table, Err: err}
			}
		}
	}
	return nil
}

// undoCascade puts back the states the cascade changed.
func (f *flusher) undoCascade() {
	for i := len(f.cascaded) - 1; i >= 0; i-- {
		c := f.cascaded[i]
		c.e.state, c.e.strong = c.state, c.strong
	}
	f.cascaded = nil
}
