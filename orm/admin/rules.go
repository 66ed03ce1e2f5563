package admin

import (
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// deleter is who deletes a row, which decides what happens to the rows
// that refer to it. The session applies its relation rules before its
// DELETE (cascade_delete, setting a nullable key NULL, removing
// many-to-many link rows); a row the database deletes by ON DELETE CASCADE
// only gets the database's rules, since the session never sees it.
type deleter uint8

const (
	bySession deleter = iota + 1
	byDatabase
)

// What a delete does to a row that refers to a deleted one.
const (
	whatDeleted  = "deleted"
	whatUnlinked = "unlinked"
	whatNull     = "set to NULL"
	whatDefault  = "set to its default"
	whatBlocks   = "blocks the delete"
)

// refAction is what deleting one row does to the rows referring to it
// through one foreign key.
type refAction struct {
	what string
	by   deleter // who does it; for whatBlocks the database, which refuses
	why  string  // the rule that applies, as shown on the page
}

// deletes reports whether the referring rows are deleted.
func (a refAction) deletes() bool { return a.what == whatDeleted || a.what == whatUnlinked }

// who names a.by on the page.
func (a refAction) who() string {
	if a.what == whatBlocks {
		return "the database refuses"
	}
	if a.by == bySession {
		return "the session"
	}
	return "the database"
}

// ruleFor is what deleting a row of parent, deleted by d, does to the rows
// of child referring to it through fk: the session's rules first when the
// session deletes the parent (docs/relationships.md#cascades, as in
// orm/session's flush cascade), else the foreign key's ON DELETE.
func ruleFor(reg []*schema.Model, parent, child *schema.Model, fk *schema.ForeignKey, d deleter) refAction {
	if d == bySession {
		if sessionUnlinks(reg, parent, child, fk) {
			return refAction{whatUnlinked, bySession, "many-to-many link rows, deleted before their end"}
		}
		related, cascade, passive, name := false, false, false, ""
		for _, r := range parent.Relations {
			if r.Target != child || (r.Kind != schema.OneToMany && r.Kind != schema.OneToOne) || !schema.SameFields(r.RemoteFields, fk.Fields) {
				continue
			}
			related = true
			if r.CascadeDelete {
				cascade, name = true, r.Name
				passive = passive || r.PassiveDeletes
			}
		}
		switch {
		case cascade && !passive && fk.OnDelete != "CASCADE":
			return refAction{whatDeleted, bySession, "cascade_delete on " + parent.Table + "." + name}
		case related && !cascade && fk.OnDelete == "" && fk.Nullable():
			return refAction{whatNull, bySession, "nullable key without ON DELETE, related from " + parent.Table}
		}
	}
	return databaseRule(child, fk, d)
}

// databaseRule is what the database does by itself to the rows of child
// that refer to a deleted row through fk.
func databaseRule(child *schema.Model, fk *schema.ForeignKey, d deleter) refAction {
	what := whatDeleted
	if child.Link {
		what = whatUnlinked
	}
	switch fk.OnDelete {
	case "CASCADE":
		return refAction{what, byDatabase, "ON DELETE CASCADE"}
	case "SET NULL":
		return refAction{whatNull, byDatabase, "ON DELETE SET NULL"}
	case "SET DEFAULT":
		return refAction{whatDefault, byDatabase, "ON DELETE SET DEFAULT"}
	case "RESTRICT", "NO ACTION":
		return refAction{whatBlocks, byDatabase, "ON DELETE " + fk.OnDelete}
	}
	switch {
	case !fk.Nullable():
		return refAction{whatBlocks, byDatabase, "NOT NULL key without ON DELETE"}
	case d == byDatabase:
		return refAction{whatBlocks, byDatabase, "key without ON DELETE, and the row it refers to is deleted by the database, not the session"}
	}
	return refAction{whatBlocks, byDatabase, "key without ON DELETE, and no relation for the session to set it NULL"}
}

// sessionUnlinks reports whether the session deletes the rows of child
// that refer to a deleted parent through fk, as the link rows of a
// many-to-many relation with parent at either end.
func sessionUnlinks(reg []*schema.Model, parent, child *schema.Model, fk *schema.ForeignKey) bool {
	for _, m := range reg {
		for _, r := range m.Relations {
			if r.Kind != schema.ManyToMany || r.Link == nil || r.Link.Model != child {
				continue
			}
			if m == parent && schema.SameFields(r.Link.LocalColumns, fk.Fields) {
				return true
			}
			if r.Target == parent && schema.SameFields(r.Link.RemoteColumns, fk.Fields) {
				return true
			}
		}
	}
	return false
}
