package migrate

import (
	"sort"
	"strings"
)

// Kind says what a Change does.
type Kind string

// The kinds of change Plan finds.
const (
	CreateTable    Kind = "create table"
	DropTable      Kind = "drop table"
	AddColumn      Kind = "add column"
	DropColumn     Kind = "drop column"
	AlterColumn    Kind = "alter column"
	RenameColumn   Kind = "rename column"
	RenameTable    Kind = "rename table"
	SetPrimaryKey  Kind = "set primary key"
	CreateIndex    Kind = "create index"
	DropIndex      Kind = "drop index"
	AddUnique      Kind = "add unique"
	DropUnique     Kind = "drop unique"
	AddForeignKey  Kind = "add foreign key"
	DropForeignKey Kind = "drop foreign key"
)

// Change is one difference between the database and the models.
type Change struct {
	Kind  Kind
	Table string
	// Name is the column, index or constraint changed; "" for tables.
	Name string
	// Detail describes the change ("integer -> bigint (widening)").
	Detail string
	// Destructive reports a change that may lose data or fail on the data
	// the table holds; Reason says why.
	Destructive bool
	Reason      string

	phase phase
	stmts []string
	from  string // the former name of a renamed column or table
}

// String describes the change in one line.
func (c Change) String() string {
	s := string(c.Kind) + " " + c.Table
	if c.Name != "" {
		s += "." + c.Name
	}
	if c.Detail != "" {
		s += ": " + c.Detail
	}
	if c.Destructive {
		s += " [destructive: " + c.Reason + "]"
	}
	return s
}

// phase orders the statements of a plan: what makes room first, then what
// builds, then what removes.
type phase int

const (
	phaseRenameTables    phase = iota // RenamedTable options
	phaseDropConstraints              // foreign keys and indexes that go or change
	phaseRenames                      // renamed_from columns
	phaseCreateTables
	phaseColumns // add and alter columns, primary keys, SQLite rebuilds
	phaseConstraints
	phaseDropColumns
	phaseDropTables
)

// Changes is the result of Plan: the differences between the database and
// the models, and the statements that remove them.
type Changes struct {
	list []Change
}

// Empty reports whether the database already has the models' shape.
func (c *Changes) Empty() bool { return len(c.list) == 0 }

// All returns every change, in the order Plan found them.
func (c *Changes) All() []Change { return append([]Change(nil), c.list...) }

// Destructive returns the changes that may lose data.
func (c *Changes) Destructive() []Change {
	var out []Change
	for _, ch := range c.list {
		if ch.Destructive {
			out = append(out, ch)
		}
	}
	return out
}

// Statements returns the SQL that applies every change, destructive ones
// included, in the order it must run. Auto runs them inside the migration
// lock (and on SQLite with foreign keys off, then checked); on SQLite a
// rebuilt table needs PRAGMA foreign_keys = OFF around them.
func (c *Changes) Statements() []string {
	var out []string
	for _, ch := range c.ordered() {
		out = append(out, ch.stmts...)
	}
	return out
}

// ordered returns the changes in the order their statements run.
func (c *Changes) ordered() []Change {
	out := append([]Change(nil), c.list...)
	sort.SliceStable(out, func(a, b int) bool { return out[a].phase < out[b].phase })
	return out
}

// String lists the changes, one a line.
func (c *Changes) String() string {
	lines := make([]string, len(c.list))
	for i, ch := range c.list {
		lines[i] = ch.String()
	}
	return strings.Join(lines, "\n")
}
