package migrate

import (
	"context"
	"fmt"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Plan compares the live database with the models (pointers to model
// structs, as for CreateAll; the models they reference and the link tables
// of their many-to-many relations come along) and returns the changes that
// would give the database the models' shape. The models stand for the whole
// schema: a table no model maps is a DropTable change. Plan only reads.
// PlanWith takes options (RenamedTable).
func Plan(ctx context.Context, db *orm.DB, models ...any) (*Changes, error) {
	return PlanWith(ctx, db, nil, models...)
}

// planner diffs one catalog against one model set.
type planner struct {
	ctx context.Context
	d   dialect.Dialect
	mig dialect.Migrator
	q   dialect.Querier
	cat *dialect.Catalog
	out *Changes
}

func plan(ctx context.Context, d dialect.Dialect, q dialect.Querier, ms []*schema.Model, cfg config) (*Changes, error) {
	mig := d.Migrator()
	cat, err := mig.Inspect(ctx, q)
	if err != nil {
		return nil, err
	}
	ordered, deferred, err := schema.DependencyOrder(schema.Closure(ms))
	if err != nil {
		return nil, err
	}
	p := &planner{ctx: ctx, d: d, mig: mig, q: q, cat: cat, out: &Changes{}}
	known := map[string]bool{}
	isDeferred := map[*schema.ForeignKey]bool{}
	for _, fk := range deferred {
		isDeferred[fk] = d.Features().Has(dialect.AlterForeignKeys)
	}
	if err := p.renameTables(cfg.tableRenames, ordered); err != nil {
		return nil, err
	}
	p.renames(ordered)
	for _, m := range ordered {
		known[m.Table] = true
		t := cat.Table(m.Table)
		if t == nil {
			err = p.createTable(m, isDeferred)
		} else {
			err = p.diffTable(m, t)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, t := range cat.Tables {
		if !known[t.Name] && t.Name != VersionTable {
			p.dropTable(t)
		}
	}
	return p.out, nil
}

func (p *planner) add(c Change) { p.out.list = append(p.out.list, c) }

func (p *planner) createTable(m *schema.Model, deferred map[*schema.ForeignKey]bool) error {
	stmts, err := p.d.CreateTable(m, func(fk *schema.ForeignKey) bool { return deferred[fk] })
	if err != nil {
		return err
	}
	p.add(Change{Kind: CreateTable, Table: m.Table, phase: phaseCreateTables, stmts: stmts})
	for _, fk := range m.ForeignKeys {
		if deferred[fk] {
			p.add(Change{Kind: AddForeignKey, Table: m.Table, Name: fk.Name, Detail: fkDetail(fk.Columns, fk.RefTable, fk.RefColumns),
				phase: phaseConstraints, stmts: []string{p.d.AddForeignKey(m, fk)}})
		}
	}
	return nil
}

func (p *planner) dropTable(t *dialect.CatalogTable) {
	for _, fk := range t.ForeignKeys {
		if s := p.mig.DropForeignKey(t.Name, fk.Name); s != "" {
			p.add(Change{Kind: DropForeignKey, Table: t.Name, Name: fk.Name, Detail: "its table is dropped",
				phase: phaseDropConstraints, stmts: []string{s}})
		}
	}
	n, err := p.count(t.Name, "")
	reason := fmt.Sprintf("no model maps the table; its %d rows are lost", n)
	if err != nil {
		reason = "no model maps the table; its rows are lost"
	}
	p.add(Change{Kind: DropTable, Table: t.Name, Destructive: true, Reason: reason,
		phase: phaseDropTables, stmts: []string{"DROP TABLE " + p.d.Quote(t.Name)}})
}

// count returns the number of rows of table, of those matching where if
// where is not "".
func (p *planner) count(table, where string) (int64, error) {
	q := "SELECT COUNT(*) FROM " + p.d.Quote(table)
	if where != "" {
		q += " WHERE " + where
	}
	rows, err := p.q.QueryContext(p.ctx, q)
	if err != nil {
		return 0, fmt.Errorf("orm/migrate: %w", err)
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("orm/migrate: %w", err)
		}
	}
	return n, rows.Err()
}

func fkDetail(cols []string, ref string, refCols []string) string {
	return fmt.Sprintf("(%s) -> %s(%s)", join(cols), ref, join(refCols))
}
