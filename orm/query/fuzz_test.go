package query_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Fuzz target of the column validation of the builder (issue 8, item 5).
// Seeds live in testdata/fuzz/FuzzColumnNames; run it with
//
//	go test -run '^$' -fuzz '^FuzzColumnNames$' -fuzztime 30s ./orm/query

// qzHero has columns whose names would break SQL if they were not quoted.
type qzHero struct {
	ID     int64  `sqlmodel:"pk"`
	Name   string `sqlmodel:"index"`
	Semi   string "sqlmodel:\"column=sel;ect --\""
	Tick   string "sqlmodel:\"column=back`tick\""
	Space  string `sqlmodel:"column=a b"`
	Umlaut string `sqlmodel:"column=größe"`
	Order  int    // the column "order", a reserved word
}

func (qzHero) TableName() string { return "qz hero" }

// qzSQLShape is what a statement may contain once the quoted identifiers
// of the model and the placeholders are removed: keywords, punctuation and
// numbers (LIMIT), never a name or a value.
var qzSQLShape = regexp.MustCompile(`^[A-Z0-9 ,()=<>*.]*$`)

var qzPlaceholder = regexp.MustCompile(`\$[0-9]+|\?`)

// qzEscape is the backslash literal of a LIKE's ESCAPE clause, per dialect
// ('\', E'\\' or CHAR(92)), and qzFunc the case-folding function of
// SQLite with the ORM's functions: fixed text, never a name or a value.
var (
	qzEscape = regexp.MustCompile(` ESCAPE (?:'\\'|E'\\\\'|CHAR\(92\))`)
	qzFunc   = regexp.MustCompile(`\bsqlm_lower\(`)
)

// qzDirection is the SQL spelling of a sort direction that OrderBy takes
// off a name: whitespace, then ASC or DESC in any case, at the end.
var qzDirection = regexp.MustCompile(`(?i)^(.*\S)[ \t\r\n]+(asc|desc)$`)

// FuzzColumnNames: a column name given to Col (Where), OrderBy, GroupBy or
// Update is either a column of the model (by column name, Go field name
// or table.column) and then appears in the statement only quoted by the
// dialect, or it is rejected with ErrUnknownColumn before any SQL is
// built. Values are always bound, never spliced.
func FuzzColumnNames(f *testing.F) {
	for _, c := range []struct {
		where, order, set, value string
		op                       uint8
	}{
		{"name", "id", "name", "x", 0},
		{"Name", "-ID", "Order", "x", 1},
		{"qz hero.name", "qz hero.order", "a b", "'; DROP TABLE t; --", 2},
		{"sel;ect --", "back`tick", "größe", "%", 3},
		{`name" OR 1=1 --`, "id; DROP TABLE x", "name = name", "", 4},
		{"nAme", "", "", "x", 5},
		{"order", "-order", "Umlaut", "\x00", 0},
		{"id`", "`id`", `"id"`, "?", 1},
		{"other.id", "qz hero.", ".name", "$1", 2},
		{"Semi", "Tick", "Space", "y", 6},
		{"name", "name DESC", "id", "50\\%", 1},
		{"id", "Order\tasc", "name", "x", 5},
		{"id", "name desc desc", "name", "x", 0},
		{"id", " desc", "name", "x", 0},
		{"id", "-name asc", "name", "x", 0},
		{"id", "a b DESC", "name", "x", 0},
	} {
		f.Add(c.where, c.order, c.set, c.value, c.op)
	}
	reg := schema.NewRegistry()
	ms, err := reg.Register(&qzHero{})
	if err != nil {
		f.Fatal(err)
	}
	m := ms[0]
	dialects := []dialect.Dialect{dialect.Postgres(), dialect.MySQL(), dialect.MariaDB(), dialect.SQLite(), dialect.SQLiteWithFunctions()}
	known := func(name string) bool {
		if _, ok := m.FieldByName(name); ok {
			return true
		}
		t, c, ok := strings.Cut(name, ".")
		if !ok || t != m.Table {
			return false
		}
		_, ok = m.FieldByName(c)
		return ok
	}
	// The quoted identifiers that may appear, longest first so that none
	// is removed from inside another.
	idents := append([]string{m.Table, "sqlm_count", "sqlm_one"}, m.Columns()...)
	slices.SortFunc(idents, func(a, b string) int { return len(b) - len(a) })

	f.Fuzz(func(t *testing.T, whereCol, orderCol, setCol, value string, op uint8) {
		var cond query.Expr
		withValue := true
		switch op % 7 {
		case 0:
			cond = query.Col(whereCol).Eq(value)
		case 1:
			cond = query.Col(whereCol).Like(value)
		case 2:
			cond = query.Col(whereCol).In(value, value+"2")
		case 3:
			cond, withValue = query.Col(whereCol).IsNull(), false
		case 4:
			cond = query.Col(whereCol).Between(value, value+"2")
		case 5:
			cond = query.Col(whereCol).ILike(value)
		default:
			cond = query.Not(query.Or(query.Col(whereCol).Ne(value), query.Col(whereCol).Lt(value)))
		}
		orderName := strings.TrimPrefix(orderCol, "-")
		if m := qzDirection.FindStringSubmatch(orderCol); m != nil && !strings.HasPrefix(orderCol, "-") {
			orderName = m[1]
		}

		for _, d := range dialects {
			check := func(what string, ok bool, sql string, args []any, err error) {
				t.Helper()
				if !ok {
					if !errors.Is(err, query.ErrUnknownColumn) || sql != "" || args != nil {
						t.Fatalf("%s %s (where %q, order %q, set %q): %q, %v, %v; want ErrUnknownColumn and no SQL",
							d.Name(), what, whereCol, orderCol, setCol, sql, args, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s %s (where %q, order %q, set %q): %v", d.Name(), what, whereCol, orderCol, setCol, err)
				}
				rest := sql
				for _, id := range idents {
					rest = strings.ReplaceAll(rest, d.Quote(id), "")
				}
				rest = qzPlaceholder.ReplaceAllString(rest, "")
				rest = qzEscape.ReplaceAllString(rest, "")
				rest = qzFunc.ReplaceAllString(rest, "(")
				if !qzSQLShape.MatchString(rest) {
					t.Fatalf("%s %s: %q contains more than quoted model identifiers, placeholders and keywords: %q", d.Name(), what, sql, rest)
				}
				if withValue && !slices.Contains(args, any(value)) {
					t.Fatalf("%s %s: value %q is not a bound argument of %q (%v)", d.Name(), what, value, sql, args)
				}
			}

			q := query.New(m, reg.Table)
			q.Where(cond)
			q.OrderBy(orderCol)
			sql, args, err := q.Build(d)
			check("Build", known(whereCol) && known(orderName), sql, args, err)

			g := query.New(m, reg.Table)
			g.Where(cond)
			g.GroupBy(orderName)
			sql, args, err = g.BuildColumns(d, []string{orderName})
			check("GroupBy", known(whereCol) && known(orderName), sql, args, err)
			sql, args, err = g.BuildCount(d)
			check("Count", known(whereCol) && known(orderName), sql, args, err)

			u := query.New(m, reg.Table)
			u.Where(cond)
			sql, args, _, err = u.BuildUpdate(d, map[string]any{setCol: value})
			check("Update", known(whereCol) && known(setCol), sql, args, err)
			sql, args, err = u.BuildDelete(d)
			check("Delete", known(whereCol), sql, args, err)
		}
	})
}
