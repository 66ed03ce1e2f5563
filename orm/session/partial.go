package session

import (
	"context"
	"fmt"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Partial rows: a query that returns only some of a model's columns (Raw
// with "SELECT id, name") loads only those. The others are unloaded on a
// new object (expired, and refused by the flush until loaded) and left
// untouched on an object the session already tracks.

// resolvePartial is resolveLoaded for a row that holds only some columns;
// missing are the others. A row without its primary key cannot be
// identified: the object is returned untracked.
func (s *Session) resolvePartial(ctx context.Context, m *schema.Model, p unsafe.Pointer, missing []*schema.Field) (unsafe.Pointer, error) {
	for _, f := range missing {
		if f.PrimaryKey {
			return p, s.hook(ctx, m, p, schema.HookAfterLoad)
		}
	}
	id, keyed, err := rowKeyOf(m, p)
	if err != nil {
		return nil, err
	}
	if !keyed {
		return p, s.hook(ctx, m, p, schema.HookAfterLoad)
	}
	lost := make(map[string]bool, len(missing))
	for _, f := range missing {
		lost[f.Column] = true
	}
	if e := s.im.lookupID(id); e != nil {
		if !e.expired {
			return e.ptr(), nil // loaded values are kept, as for any row
		}
		// Reload the expired columns the row has; the rest stay expired.
		was := e.expiredCols
		if was == nil {
			e.expiredCols = map[string]bool{}
			for _, f := range m.Fields {
				e.expiredCols[f.Column] = true
			}
		}
		keep := map[string]bool{}
		for c := range e.expiredCols {
			if lost[c] {
				keep[c] = true
			}
		}
		s.apply(e, p) // clears the expiry of what it copied
		if len(keep) > 0 {
			e.expired, e.expiredCols = true, keep
		}
		return e.ptr(), s.hook(ctx, m, e.ptr(), schema.HookAfterLoad)
	}
	out, err := s.track(ctx, m, p, false)
	if err != nil {
		return nil, err
	}
	if e := s.im.lookupPtr(out); e != nil && out == p {
		e.expired, e.expiredCols, e.unloaded = true, lost, make(map[string]bool, len(lost))
		for c := range lost {
			e.unloaded[c] = true
		}
	}
	return out, s.hook(ctx, m, out, schema.HookAfterLoad)
}

// checkUnloaded refuses an update that would write a column the session
// never loaded.
func checkUnloaded(e *entry, changed []*schema.Field) error {
	if len(e.unloaded) == 0 {
		return nil
	}
	var bad []string
	for _, f := range changed {
		if e.unloaded[f.Column] {
			bad = append(bad, f.Column)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s %v: %s changed but never loaded (a partial query left it out); Get or Refresh the object before changing it, or write it with a set-based Update", ErrNotLoaded, e.model.Name, e.id, strings.Join(bad, ", "))
}
