package migrate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// tableDiff gathers what diffTable learns about one existing table.
type tableDiff struct {
	m       *schema.Model
	t       *dialect.CatalogTable
	changes []Change
	rebuild bool              // SQLite: ALTER TABLE cannot do one of the changes
	fill    map[string]string // column -> value written where it is NULL
	kept    []dialect.CatalogIndex
	rows    int64 // rows of the table, -1 until counted
}

func (p *planner) diffTable(m *schema.Model, t *dialect.CatalogTable) error {
	td := &tableDiff{m: m, t: t, fill: map[string]string{}, rows: -1}
	for _, f := range m.Fields {
		if err := p.diffColumn(td, f); err != nil {
			return err
		}
	}
	for _, c := range t.Columns {
		if _, ok := m.FieldByColumn(c.Name); !ok {
			td.add(Change{Kind: DropColumn, Table: t.Name, Name: c.Name, Destructive: true,
				Reason: "the column's values are lost", phase: phaseDropColumns}, p.mig.DropColumn(t.Name, c.Name))
		}
	}
	if want := columnsOf(m.PrimaryKey); !slices.Equal(want, t.PrimaryKey) {
		td.add(Change{Kind: SetPrimaryKey, Table: t.Name, Detail: fmt.Sprintf("(%s) -> (%s)", join(t.PrimaryKey), join(want)),
			Destructive: true, Reason: "rows that repeat the new key are rejected", phase: phaseColumns},
			p.mig.SetPrimaryKey(t, want))
	}
	p.diffIndexes(td)
	p.diffForeignKeys(td)
	if p.mig.RebuildsTables() && td.rebuild {
		stmts, err := p.rebuild(td)
		if err != nil {
			return err
		}
		for i := range td.changes {
			td.changes[i].stmts = nil
		}
		td.changes[0].stmts = stmts
		td.changes[0].phase = phaseColumns
	}
	p.out.list = append(p.out.list, td.changes...)
	return nil
}

// add records c with its statement; an empty statement means the database
// rebuilds the table instead.
func (td *tableDiff) add(c Change, stmts ...string) {
	for _, s := range stmts {
		if s == "" {
			td.rebuild = true
			stmts = nil
			break
		}
	}
	c.stmts = stmts
	td.changes = append(td.changes, c)
}

func (p *planner) tableRows(td *tableDiff) (int64, error) {
	if td.rows < 0 {
		n, err := p.count(td.t.Name, "")
		if err != nil {
			return 0, err
		}
		td.rows = n
	}
	return td.rows, nil
}

func (p *planner) diffColumn(td *tableDiff, f *schema.Field) error {
	typ, err := p.d.ColumnType(f)
	if err != nil {
		return err
	}
	c, ok := td.t.Column(f.Column)
	if !ok {
		return p.addColumn(td, f, typ)
	}
	wantType, wantNull := p.mig.NormalizeType(typ), f.Nullable && !f.PrimaryKey
	wantDef := ""
	if f.HasDefault {
		wantDef = p.mig.NormalizeDefault(f.Default)
	}
	ch := Change{Kind: AlterColumn, Table: td.t.Name, Name: f.Column, phase: phaseColumns}
	var details, reasons []string
	if c.Type != wantType {
		widening, how := typeChange(c.Type, wantType)
		details = append(details, fmt.Sprintf("type %s -> %s (%s)", c.Type, wantType, how))
		if !widening {
			reasons = append(reasons, how+" may not keep every value")
		}
	}
	var stmts []string
	if c.Nullable != wantNull {
		if wantNull {
			details = append(details, "NULL allowed")
		} else {
			details = append(details, "NOT NULL")
			nulls, err := p.count(td.t.Name, p.d.Quote(f.Column)+" IS NULL")
			if err != nil {
				return err
			}
			if nulls > 0 {
				fill := fillValue(f)
				reasons = append(reasons, fmt.Sprintf("%d rows hold NULL, which become %s", nulls, fill))
				td.fill[f.Column] = fill
				stmts = append(stmts, "UPDATE "+p.d.Quote(td.t.Name)+" SET "+p.d.Quote(f.Column)+" = "+fill+
					" WHERE "+p.d.Quote(f.Column)+" IS NULL")
			}
		}
	}
	if !c.Identity && (c.HasDefault != f.HasDefault || c.Default != wantDef) {
		details = append(details, fmt.Sprintf("default %s -> %s", orNone(c.HasDefault, c.Default), orNone(f.HasDefault, wantDef)))
	}
	if len(details) == 0 {
		return nil
	}
	ch.Detail = strings.Join(details, ", ")
	ch.Destructive, ch.Reason = len(reasons) > 0, strings.Join(reasons, "; ")
	alter, err := p.mig.AlterColumn(f)
	if err != nil {
		return err
	}
	if len(alter) == 0 {
		alter = []string{""}
	}
	td.add(ch, append(stmts, alter...)...)
	return nil
}

func (p *planner) addColumn(td *tableDiff, f *schema.Field, typ string) error {
	def, err := p.mig.ColumnDefinition(f)
	if err != nil {
		return err
	}
	ch := Change{Kind: AddColumn, Table: td.t.Name, Name: f.Column, Detail: typ, phase: phaseColumns}
	add := "ALTER TABLE " + p.d.Quote(td.t.Name) + " ADD COLUMN "
	simple := f.ForeignKey == nil && !f.Unique && !f.PrimaryKey && f != f.Model.AutoIncrement
	switch {
	case f.Nullable || f.HasDefault || f == f.Model.AutoIncrement:
		if !simple && p.mig.RebuildsTables() {
			td.add(ch, "") // elsewhere keys and UNIQUE are added as constraints
			return nil
		}
		td.add(ch, add+def)
	case zeroValue(f) != "":
		// Rows present get the Go zero value, as a session would read them.
		ch.Detail += ", existing rows get " + zeroValue(f)
		td.add(ch, add+def+" DEFAULT "+zeroValue(f),
			"ALTER TABLE "+p.d.Quote(td.t.Name)+" ALTER COLUMN "+p.d.Quote(f.Column)+" DROP DEFAULT")
		if p.mig.RebuildsTables() {
			td.rebuild = true
		}
	default:
		rows, err := p.tableRows(td)
		if err != nil {
			return err
		}
		if rows > 0 {
			ch.Destructive = true
			ch.Reason = fmt.Sprintf("the table has %d rows and the column is NOT NULL with no default and no zero value", rows)
		}
		td.add(ch, add+def)
		if p.mig.RebuildsTables() {
			td.rebuild = true
		}
	}
	return nil
}

// zeroValue is the SQL literal of the Go zero value of f, "" when its type
// has none the ORM knows (a custom type=).
func zeroValue(f *schema.Field) string {
	switch f.Kind {
	case schema.KindInt, schema.KindUint, schema.KindFloat:
		return "0"
	case schema.KindBool:
		return "FALSE"
	case schema.KindString, schema.KindBytes:
		return "''"
	case schema.KindJSON:
		return "'null'"
	case schema.KindTime:
		return "'0001-01-01 00:00:00'"
	}
	return ""
}

// fillValue is what replaces NULL when a column becomes NOT NULL: its
// default, else its zero value, else NULL (and the change then fails).
func fillValue(f *schema.Field) string {
	if f.HasDefault {
		return f.Default
	}
	if z := zeroValue(f); z != "" {
		return z
	}
	return "NULL"
}

func orNone(has bool, s string) string {
	if !has {
		return "none"
	}
	return s
}

func columnsOf(fs []*schema.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Column
	}
	return out
}

func join(s []string) string { return strings.Join(s, ", ") }
