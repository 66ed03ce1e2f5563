package migrate

import (
	"context"
	"fmt"
	"sort"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// RenamedTable announces that the table a model now names newName was
// called oldName: where the database has oldName and not newName, the plan
// renames it (ALTER TABLE ... RENAME TO on every database), a safe
// change that keeps its rows, indexes and the foreign keys of other tables
// pointing at it, instead of dropping oldName and creating newName. Where
// the database has newName and not oldName the rename is done and the
// option changes nothing, so it can stay in the code; where it has neither
// (a new database) newName is created. Both tables present, newName mapped
// by no model, or oldName still mapped by one is an error naming the
// problem. Plan takes it through PlanWith, Generate through GenerateWith.
func RenamedTable(oldName, newName string) Option {
	return func(c *config) { c.tableRenames = append(c.tableRenames, [2]string{oldName, newName}) }
}

// PlanWith is Plan with options: RenamedTable is the one that changes a
// plan (AllowDestructive only matters to Auto).
func PlanWith(ctx context.Context, db *orm.DB, opts []Option, models ...any) (*Changes, error) {
	ms, err := db.Registry().Register(models...)
	if err != nil {
		return nil, err
	}
	return plan(ctx, db.Dialect(), db.SQL(), ms, newConfig(opts))
}

func newConfig(opts []Option) config {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// renameTables adds a RenameTable change for each RenamedTable option that
// applies and renames the table in the catalog as if it had run, so that
// the rest of the diff compares the renamed table with its model.
func (p *planner) renameTables(renames [][2]string, models []*schema.Model) error {
	mapped := map[string]bool{}
	for _, m := range models {
		mapped[m.Table] = true
	}
	seen := map[string]bool{}
	for _, r := range renames {
		old, nw := r[0], r[1]
		what := fmt.Sprintf("orm/migrate: RenamedTable(%q, %q)", old, nw)
		switch {
		case old == "" || nw == "" || old == nw:
			return fmt.Errorf("%s: two different, non-empty names are needed", what)
		case seen[old] || seen[nw]:
			return fmt.Errorf("%s: a table is named by two renames", what)
		case !mapped[nw]:
			return fmt.Errorf("%s: no model maps table %q", what, nw)
		case mapped[old]:
			return fmt.Errorf("%s: a model still maps table %q", what, old)
		}
		seen[old], seen[nw] = true, true
		hasOld, hasNew := p.cat.Table(old) != nil, p.cat.Table(nw) != nil
		if hasOld && hasNew {
			return fmt.Errorf("%s: the database has both tables; drop or rename one of them first", what)
		}
		if !hasOld {
			continue // renamed already, or a new database
		}
		p.add(Change{Kind: RenameTable, Table: nw, Detail: "from " + old, phase: phaseRenameTables, from: old,
			stmts: []string{renameTableSQL(p.d, old, nw)}})
		renameTableInCatalog(p.cat, old, nw)
	}
	return nil
}

// renameTableSQL renames a table: ALTER TABLE ... RENAME TO, which
// PostgreSQL, MySQL/MariaDB and SQLite all accept.
func renameTableSQL(d dialect.Dialect, from, to string) string {
	return "ALTER TABLE " + d.Quote(from) + " RENAME TO " + d.Quote(to)
}

// renameTableInCatalog renames table from to to, in its own entry and in
// the foreign keys that reference it (the databases update those).
func renameTableInCatalog(cat *dialect.Catalog, from, to string) {
	for _, t := range cat.Tables {
		if t.Name == from {
			t.Name = to
		}
		for i := range t.ForeignKeys {
			if t.ForeignKeys[i].RefTable == from {
				t.ForeignKeys[i].RefTable = to
			}
		}
	}
	sort.Slice(cat.Tables, func(i, j int) bool { return cat.Tables[i].Name < cat.Tables[j].Name })
}
