package session

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/internal/topo"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// linkParents finds, for each row to insert, the tracked objects its
// foreign keys must reference: through its loaded Lazy relations, through
// the loaded RelatedMany of tracked parents, or through a foreign-key value
// equal to the key of a tracked object. It returns rows for the persistent
// objects that the loaded relations relate to new objects, whose foreign
// keys must take the keys generated for those.
func (s *Session) linkParents(inserts []*row, entries []*entry) []*row {
	if len(inserts) == 0 {
		return nil
	}
	children := collectionOwners(entries, len(inserts))
	// Room for one parent per row in one allocation: most rows have one.
	refs := make([]parentRef, len(inserts))
	for i, r := range inserts {
		if r.parents == nil {
			r.parents = refs[i : i : i+1]
		}
		s.parentsOfNew(r, children)
	}
	return s.relinkPersistent(inserts, entries, children)
}

// childOwner is the parent whose loaded collection holds a child, and the
// child's foreign key to it.
type childOwner struct {
	parent *entry
	fk     *schema.ForeignKey
}

// collectionOwners maps the children held in the loaded one-to-many
// relations of tracked objects to their parents.
func collectionOwners(entries []*entry, size int) map[unsafe.Pointer]childOwner {
	if len(entries) == 0 {
		return nil
	}
	children := make(map[unsafe.Pointer]childOwner, size)
	var buf []unsafe.Pointer // one collection's items, reused
	for _, e := range entries {
		if e.state == StateDeleted {
			continue
		}
		for _, r := range e.model.Relations {
			if r.Kind != schema.OneToMany && r.Kind != schema.OneToOne {
				continue
			}
			fk := r.ForeignKey
			if fk == nil {
				continue
			}
			buf, _ = r.AppendPointers(e.ptr(), buf[:0])
			for _, op := range buf {
				children[op] = childOwner{e, fk}
			}
		}
	}
	return children
}

// parentsOfNew sets the parents of a row to insert: the owner of a
// collection holding it, its loaded many-to-one targets, and new objects
// whose key its foreign-key values name.
func (s *Session) parentsOfNew(r *row, children map[unsafe.Pointer]childOwner) {
	m := r.e.model
	set := func(fk *schema.ForeignKey, parent *entry) {
		if parent != nil && parent != r.e {
			r.parents.set(fk, parent)
		}
	}
	if o, ok := children[r.p]; ok {
		set(o.fk, o.parent)
	}
	for _, rel := range m.Relations {
		if rel.Kind != schema.ManyToOne {
			continue
		}
		objs, loaded := rel.Objects(r.p)
		if !loaded || len(objs) == 0 {
			continue
		}
		if fk := rel.ForeignKey; fk != nil {
			set(fk, s.im.lookupPtr(reflect.ValueOf(objs[0]).UnsafePointer()))
		}
	}
	for _, fk := range m.ForeignKeys {
		if _, ok := r.parents.get(fk); ok {
			continue
		}
		if id, ok := refIdentity(fk, r.p); ok {
			if pe := s.im.lookupID(id); pe != nil && pe.state == StateNew {
				set(fk, pe)
			}
		}
	}
}

// relinkPersistent returns rows for the persistent objects whose loaded
// relations hold new objects: they take the keys generated for those.
func (s *Session) relinkPersistent(inserts []*row, entries []*entry, children map[unsafe.Pointer]childOwner) []*row {
	newModels := map[*schema.Model]bool{}
	for _, r := range inserts {
		newModels[r.e.model] = true
	}
	var relinked []*row
	for _, e := range entries {
		if e.state != StatePersistent {
			continue
		}
		p := e.ptr()
		var r *row
		set := func(fk *schema.ForeignKey, parent *entry) {
			if parent == nil || parent == e || parent.state != StateNew {
				return
			}
			if r == nil {
				r = &row{e: e, p: p}
				relinked = append(relinked, r)
			}
			r.parents.set(fk, parent)
		}
		if o, ok := children[p]; ok {
			set(o.fk, o.parent)
		}
		for _, rel := range e.model.Relations {
			if rel.Kind != schema.ManyToOne || !newModels[rel.Target] {
				continue
			}
			objs, loaded := rel.Objects(p)
			if !loaded || len(objs) == 0 {
				continue
			}
			if fk := rel.ForeignKey; fk != nil {
				set(fk, s.im.lookupPtr(reflect.ValueOf(objs[0]).UnsafePointer()))
			}
		}
	}
	return relinked
}

// dbValues is the struct holding the row's values as the database has
// them: its snapshot, or the object itself when it has none.
func (r *row) dbValues() unsafe.Pointer {
	if r.e.snapshot != nil {
		return r.e.snapshot
	}
	return r.p
}

// deleteParents links rows to delete of a self-referencing table to the
// deleted rows they reference in the database (their snapshots), so that
// children are deleted first.
func (s *Session) deleteParents(m *schema.Model, rows []*row) {
	for _, r := range rows {
		for _, fk := range m.ForeignKeys {
			if fk.RefModel != m {
				continue
			}
			if id, ok := refIdentity(fk, r.dbValues()); ok {
				if pe := s.im.lookupID(id); pe != nil && pe.state == StateDeleted && pe != r.e {
					r.parents.set(fk, pe)
				}
			}
		}
	}
}

// refIdentity is the identity of the row the foreign key of the struct at
// p references, when the key references the primary key and is not NULL.
func refIdentity(fk *schema.ForeignKey, p unsafe.Pointer) (identity, bool) {
	ref := fk.RefModel
	if ref.Type == nil || len(ref.PrimaryKey) != len(fk.Fields) {
		return identity{}, false
	}
	tmp := reflect.New(ref.Type).UnsafePointer()
	for i, f := range fk.Fields {
		if ref.PrimaryKey[i].Column != fk.RefColumns[i] {
			return identity{}, false
		}
		v, err := f.Value(p)
		if err != nil || v == nil {
			return identity{}, false
		}
		if err := ref.PrimaryKey[i].Set(tmp, v); err != nil {
			return identity{}, false
		}
	}
	id, ok, err := keyOf(ref, tmp)
	return id, ok && err == nil
}

// layerRows orders the rows of one table so that a row comes after the rows
// of the same table it references. Rows are grouped in layers (a layer
// references only earlier layers), keeping add order inside a layer. A
// cycle among rows is broken at a nullable foreign key, returned as a
// post-update: for inserts the key is inserted as NULL and set afterwards,
// for deletes it is set to NULL before the deletes. A cycle of NOT NULL keys
// is ErrCircularDependency.
func layerRows(m *schema.Model, rows []*row) ([][]*row, []postUpdate, error) {
	self := false
	for _, r := range rows {
		for _, pr := range r.parents {
			parent := pr.e
			if parent.model == m {
				self = true
			}
		}
	}
	if !self {
		return [][]*row{rows}, nil, nil
	}
	index := map[*entry]int{}
	for i, r := range rows {
		index[r.e] = i
	}
	var post []postUpdate
	for {
		deps := make([][]int, len(rows))
		for i, r := range rows {
			for _, pr := range r.parents {
				fk, parent := pr.fk, pr.e
				if j, ok := index[parent]; ok && !r.nullFKs[fk] {
					deps[i] = append(deps[i], j)
				}
			}
		}
		order, err := topo.Sort(len(rows), deps, func(i int) string { return fmt.Sprintf("%s#%d", m.Table, i) })
		if err == nil {
			// Layer = 1 + deepest dependency layer.
			level := make([]int, len(rows))
			maxLevel := 0
			for _, i := range order {
				for _, d := range deps[i] {
					if d != i && level[d]+1 > level[i] {
						level[i] = level[d] + 1
					}
				}
				maxLevel = max(maxLevel, level[i])
			}
			layers := make([][]*row, maxLevel+1)
			for i, r := range rows {
				layers[level[i]] = append(layers[level[i]], r)
			}
			return layers, post, nil
		}
		var ce *topo.CycleError
		if !errors.As(err, &ce) {
			return nil, nil, fmt.Errorf("%w: rows of %s reference each other in a cycle", ErrCircularDependency, m.Table)
		}
		// Break the cycle at its first row whose key in the cycle is nullable.
		broken := false
		for _, name := range ce.Cycle {
			var i int
			fmt.Sscanf(name[strings.LastIndexByte(name, '#')+1:], "%d", &i)
			r := rows[i]
			for _, pr := range r.parents {
				fk, parent := pr.fk, pr.e
				if _, in := index[parent]; in && fk.Nullable() && !r.nullFKs[fk] {
					if r.nullFKs == nil {
						r.nullFKs = map[*schema.ForeignKey]bool{}
					}
					r.nullFKs[fk] = true
					post = append(post, postUpdate{r, fk})
					broken = true
					break
				}
			}
			if broken {
				break
			}
		}
		if !broken {
			return nil, nil, fmt.Errorf("%w: rows of %s reference each other through NOT NULL foreign keys", ErrCircularDependency, m.Table)
		}
	}
}

// parentRef is one foreign key of a row and the entry whose key it takes.
type parentRef struct {
	fk *schema.ForeignKey
	e  *entry
}

// parentRefs holds a row's parents: a short list (rows have a few foreign
// keys), cheaper than a map per row.
type parentRefs []parentRef

func (l parentRefs) get(fk *schema.ForeignKey) (*entry, bool) {
	for _, r := range l {
		if r.fk == fk {
			return r.e, true
		}
	}
	return nil, false
}

func (l *parentRefs) set(fk *schema.ForeignKey, e *entry) {
	for i := range *l {
		if (*l)[i].fk == fk {
			(*l)[i].e = e
			return
		}
	}
	*l = append(*l, parentRef{fk, e})
}
