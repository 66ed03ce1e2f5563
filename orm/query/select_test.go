package query_test

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// update rewrites the golden files instead of comparing with them:
//
//	go test ./orm/query/ -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// Models of the rendering tests. Nothing here touches a database.

type qyTeam struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=100"`
}

func (qyTeam) TableName() string { return "qy_team" }

type qyHero struct {
	ID         int64 `sqlmodel:"pk"`
	Name       string
	SecretName string
	Age        *int
	TeamID     *int64 `sqlmodel:"fk=qy_team.id"`
}

func (qyHero) TableName() string { return "qy_hero" }

// qyDialects are the dialects of the golden files, by file suffix.
var qyDialects = []struct {
	name string
	d    dialect.Dialect
}{
	{"postgres", dialect.Postgres()},
	{"mysql", dialect.MySQL()},
	{"mariadb", dialect.MariaDB()},
	{"sqlite", dialect.SQLite()},
}

type qyModels struct {
	reg        *schema.Registry
	hero, team *schema.Model
}

func qyRegister(t *testing.T) qyModels {
	t.Helper()
	reg := schema.NewRegistry()
	ms, err := reg.Register(&qyHero{}, &qyTeam{})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	return qyModels{reg: reg, hero: ms[0], team: ms[1]}
}

func (m qyModels) heroes() *query.Select { return query.New(m.hero, m.reg.Table) }
func (m qyModels) teams() *query.Select  { return query.New(m.team, m.reg.Table) }

// render is one way of turning a query into a statement.
type render func(q *query.Select, d dialect.Dialect) (string, []any, error)

func buildSelect(q *query.Select, d dialect.Dialect) (string, []any, error) { return q.Build(d) }
func buildCount(q *query.Select, d dialect.Dialect) (string, []any, error)  { return q.BuildCount(d) }
func buildExists(q *query.Select, d dialect.Dialect) (string, []any, error) {
	return q.BuildExists(d)
}
func buildDelete(q *query.Select, d dialect.Dialect) (string, []any, error) {
	return q.BuildDelete(d)
}

func buildColumns(cols ...string) render {
	return func(q *query.Select, d dialect.Dialect) (string, []any, error) { return q.BuildColumns(d, cols) }
}

func buildUpdate(set map[string]any) render {
	return func(q *query.Select, d dialect.Dialect) (string, []any, error) {
		s, args, _, err := q.BuildUpdate(d, set)
		return s, args, err
	}
}

// formatStatement is the golden form of a rendered statement: the SQL, then
// its bound arguments, or the error.
func formatStatement(sql string, args []any, err error) string {
	if err != nil {
		return "-- error: " + err.Error() + "\n"
	}
	var b strings.Builder
	b.WriteString(sql)
	b.WriteString(";\n")
	if len(args) > 0 {
		b.WriteString("-- args:")
		for _, a := range args {
			fmt.Fprintf(&b, " %#v", a)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// golden compares got with testdata/golden/<top-level test>/<file>, or
// rewrites it with -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	name := strings.SplitN(t.Name(), "/", 2)[0]
	path := filepath.Join("testdata", "golden", name, file)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./orm/query/ -run %s -update` to create it)", err, name)
	}
	if string(want) != got {
		t.Errorf("%s differs from the rendered statement (rerun with -update if the change is intended)\n--- want\n%s--- got\n%s", path, want, got)
	}
}

var pgPlaceholder = regexp.MustCompile(`\$[0-9]+`)

type goldenCase struct {
	name  string
	team  bool // query qy_team instead of qy_hero
	setup func(q *query.Select)
	build render // buildSelect when nil
}

func goldenCases() []goldenCase {
	col := query.Col
	onTeam := query.Raw("qy_team.id = qy_hero.team_id")
	return []goldenCase{
		{name: "all_columns"},
		{name: "where_raw_args", setup: func(q *query.Select) { q.Where(query.Raw("age > ? AND name <> ?", 30, "x")) }},
		{name: "where_raw_slice", setup: func(q *query.Select) { q.Where(query.Raw("id IN (?)", []int64{1, 2, 3})) }},
		{name: "where_raw_empty_slice", setup: func(q *query.Select) { q.Where(query.Raw("id IN (?)", []int64{})) }},
		{name: "where_raw_not_in_empty_slice", setup: func(q *query.Select) { q.Where(query.Raw("id NOT IN (?)", []int64{})) }},
		{name: "where_raw_uint8_list", setup: func(q *query.Select) { q.Where(query.Raw("age IN (?)", query.ListOf([]uint8{1, 2}))) }},
		{name: "where_raw_slice_and_scalar", setup: func(q *query.Select) {
			q.Where(query.Raw("name IN (?) AND age > ?", []string{"a", "b"}, 7))
		}},
		{name: "where_raw_bytes_not_expanded", setup: func(q *query.Select) { q.Where(query.Raw("name = ?", []byte("ab"))) }},
		{name: "where_double_question_literal", setup: func(q *query.Select) { q.Where(query.Raw("secret_name ?? 'k' AND id = ?", 1)) }},
		{name: "where_question_inside_quotes", setup: func(q *query.Select) {
			q.Where(query.Raw(`name <> '?' AND secret_name <> "?" AND id = ?`, 1))
		}},
		{name: "where_two_conditions", setup: func(q *query.Select) {
			q.Where(query.Raw("age > ?", 1))
			q.Where(col("name").Eq("x"))
		}},
		{name: "eq", setup: func(q *query.Select) { q.Where(col("name").Eq("Deadpond")) }},
		{name: "ne", setup: func(q *query.Select) { q.Where(col("team_id").Ne(1)) }},
		{name: "lt", setup: func(q *query.Select) { q.Where(col("age").Lt(36)) }},
		{name: "le", setup: func(q *query.Select) { q.Where(col("age").Le(36)) }},
		{name: "gt", setup: func(q *query.Select) { q.Where(col("age").Gt(48)) }},
		{name: "ge_go_field_name", setup: func(q *query.Select) { q.Where(col("Age").Ge(48)) }},
		{name: "in_values", setup: func(q *query.Select) { q.Where(col("id").In(1, 3, 5)) }},
		{name: "in_slice", setup: func(q *query.Select) { q.Where(col("id").In([]int64{1, 3, 5})) }},
		{name: "in_empty", setup: func(q *query.Select) { q.Where(col("id").In()) }},
		{name: "in_empty_slice", setup: func(q *query.Select) { q.Where(col("id").In([]int64{})) }},
		{name: "not_in", setup: func(q *query.Select) { q.Where(col("id").NotIn([]int{1, 2})) }},
		{name: "not_in_empty", setup: func(q *query.Select) { q.Where(col("id").NotIn()) }},
		{name: "like", setup: func(q *query.Select) { q.Where(col("name").Like("%-Man")) }},
		{name: "ilike", setup: func(q *query.Select) { q.Where(col("name").ILike("%-man")) }},
		{name: "like_escaped", setup: func(q *query.Select) { q.Where(col("name").Like(query.EscapeLike(`50%_off\`) + "%")) }},
		{name: "eq_nil", setup: func(q *query.Select) { q.Where(col("age").Eq(nil)) }},
		{name: "ne_nil_pointer", setup: func(q *query.Select) { q.Where(col("age").Ne((*int)(nil))) }},
		{name: "in_uint8_on_int_column", setup: func(q *query.Select) { q.Where(col("age").In([]uint8{1, 2})) }},
		{name: "is_null", setup: func(q *query.Select) { q.Where(col("age").IsNull()) }},
		{name: "is_not_null", setup: func(q *query.Select) { q.Where(col("TeamID").IsNotNull()) }},
		{name: "between", setup: func(q *query.Select) { q.Where(col("age").Between(35, 48)) }},
		{name: "and_or_not", setup: func(q *query.Select) {
			q.Where(query.Or(
				query.And(col("team_id").Eq(1), col("age").Gt(40)),
				query.Not(col("team_id").IsNotNull()),
			))
		}},
		{name: "and_empty", setup: func(q *query.Select) { q.Where(query.And()) }},
		{name: "or_empty", setup: func(q *query.Select) { q.Where(query.Or()) }},
		{name: "order_by", setup: func(q *query.Select) { q.OrderBy("name", "-age") }},
		{name: "order_by_sql_direction", setup: func(q *query.Select) { q.OrderBy("name DESC", "age asc", "ID  Desc") }},
		{name: "order_dir", setup: func(q *query.Select) {
			q.OrderDir("age", true)
			q.OrderDir("SecretName", false)
		}},
		{name: "limit", setup: func(q *query.Select) { q.Limit(10) }},
		{name: "limit_zero", setup: func(q *query.Select) { q.Limit(0) }},
		{name: "limit_offset", setup: func(q *query.Select) {
			q.Limit(2)
			q.Offset(3)
		}},
		{name: "offset_without_limit", setup: func(q *query.Select) {
			q.OrderBy("id")
			q.Offset(5)
		}},
		{name: "negative_offset_ignored", setup: func(q *query.Select) { q.Offset(-3) }},
		{name: "distinct", setup: func(q *query.Select) { q.Distinct() }},
		{name: "join", setup: func(q *query.Select) {
			q.Join("qy_team", onTeam)
			q.Where(col("qy_team.name").Eq("Preventers"))
			q.OrderBy("id")
		}},
		{name: "left_join", setup: func(q *query.Select) {
			q.LeftJoin("qy_team", onTeam)
			q.Where(col("qy_team.id").IsNull())
		}},
		{name: "distinct_join_teams", team: true, setup: func(q *query.Select) {
			q.Distinct()
			q.Join("qy_hero", query.Raw("qy_hero.team_id = qy_team.id"))
			q.OrderBy("name")
		}},
		{name: "group_by_having_columns", build: buildColumns("team_id"), setup: func(q *query.Select) {
			q.GroupBy("team_id")
			q.Having(query.Raw("COUNT(*) > ?", 2))
			q.OrderBy("team_id")
		}},
		{name: "for_update", setup: func(q *query.Select) {
			q.Where(col("id").Eq(1))
			q.ForUpdate(query.Wait)
		}},
		{name: "for_update_skip_locked", setup: func(q *query.Select) {
			q.Limit(5)
			q.ForUpdate(query.SkipLocked)
		}},
		{name: "for_update_nowait", setup: func(q *query.Select) { q.ForUpdate(query.NoWait) }},
		{name: "everything", setup: func(q *query.Select) {
			q.Distinct()
			q.Join("qy_team", onTeam)
			q.Where(query.Raw("qy_hero.age > ?", 1))
			q.Where(col("qy_team.name").In("a", "b"))
			q.OrderBy("-qy_team.name", "Name")
			q.Limit(3)
			q.Offset(1)
		}},
		{name: "count", build: buildCount, setup: func(q *query.Select) {
			q.Where(col("age").Gt(30))
			q.OrderBy("name")
			q.Limit(2)
			q.Offset(1)
			q.ForUpdate(query.Wait)
		}},
		{name: "count_no_window", build: buildCount, setup: func(q *query.Select) {
			q.Where(col("age").Gt(30))
			q.OrderBy("name")
		}},
		{name: "count_distinct", build: buildCount, setup: func(q *query.Select) {
			q.Distinct()
			q.OrderBy("name")
			q.Limit(2)
		}},
		{name: "count_group_by", build: buildCount, setup: func(q *query.Select) {
			q.GroupBy("team_id")
			q.Having(query.Raw("COUNT(*) > ?", 1))
			q.OrderBy("team_id")
		}},
		{name: "count_join", build: buildCount, setup: func(q *query.Select) {
			q.Join("qy_team", onTeam)
			q.Where(col("qy_team.name").Eq("Preventers"))
		}},
		{name: "exists", build: buildExists, setup: func(q *query.Select) {
			q.Where(col("name").Eq("Deadpond"))
			q.OrderBy("name")
		}},
		{name: "exists_window", build: buildExists, setup: func(q *query.Select) {
			q.Where(col("name").Eq("Deadpond"))
			q.OrderBy("name")
			q.Limit(7)
			q.Offset(2)
		}},
		{name: "exists_offset_only", build: buildExists, setup: func(q *query.Select) { q.Offset(100) }},
		{name: "exists_distinct_window", build: buildExists, setup: func(q *query.Select) {
			q.Distinct()
			q.Limit(0)
		}},
		{name: "scalars_column", build: buildColumns("SecretName"), setup: func(q *query.Select) {
			q.Where(col("team_id").Eq(2))
			q.OrderBy("name")
		}},
		{name: "update", build: buildUpdate(map[string]any{"age": 50, "SecretName": "x"}), setup: func(q *query.Select) {
			q.Where(col("team_id").Eq(2))
		}},
		{name: "update_all_rows", build: buildUpdate(map[string]any{"name": "y"}), setup: func(q *query.Select) { q.AllRows() }},
		{name: "update_missing_where", build: buildUpdate(map[string]any{"name": "y"})},
		{name: "delete", build: buildDelete, setup: func(q *query.Select) {
			q.Where(col("age").Lt(35))
			q.Where(query.Raw("name <> ?", "keep"))
		}},
		{name: "delete_all_rows", build: buildDelete, setup: func(q *query.Select) { q.AllRows() }},
		{name: "delete_missing_where", build: buildDelete},
	}
}

// TestSelectGolden renders every builder method and expression on every
// dialect and compares the statement with its golden file.
func TestSelectGolden(t *testing.T) {
	ms := qyRegister(t)
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			for _, dc := range qyDialects {
				q := ms.heroes()
				if tc.team {
					q = ms.teams()
				}
				if tc.setup != nil {
					tc.setup(q)
				}
				build := tc.build
				if build == nil {
					build = buildSelect
				}
				s, args, err := build(q, dc.d)
				if err == nil && dc.name == "postgres" && len(pgPlaceholder.FindAllString(s, -1)) != len(args) {
					t.Errorf("%s: %d argument(s) for %q", dc.name, len(args), s)
				}
				golden(t, tc.name+"."+dc.name+".sql", formatStatement(s, args, err))
			}
		})
	}
}

// TestSelectRendersExpectedSQL pins the rules behind the golden files, so
// that an -update cannot silently accept a wrong statement.
func TestSelectRendersExpectedSQL(t *testing.T) {
	ms := qyRegister(t)
	const cols = `"id", "name", "secret_name", "age", "team_id"`
	pg, my, lite := dialect.Postgres(), dialect.MySQL(), dialect.SQLite()
	three := 3
	tests := []struct {
		name  string
		d     dialect.Dialect
		setup func(q *query.Select)
		build render
		sql   string
		args  []any
	}{
		{name: "postgres_numbered_placeholders", d: pg, setup: func(q *query.Select) {
			q.Where(query.Raw("age > ? AND id IN (?)", 30, []int64{4, 5}))
			q.Where(query.Col("name").Eq("x"))
		}, sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE (age > $1 AND id IN ($2, $3)) AND "name" = $4`, args: []any{30, int64(4), int64(5), "x"}},
		{name: "mysql_backticks", d: my, setup: func(q *query.Select) { q.OrderBy("name", "-age") },
			sql: "SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` ORDER BY `name` ASC, `age` DESC"},
		{name: "empty_in_is_false", d: pg, setup: func(q *query.Select) { q.Where(query.Col("id").In([]int{})) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE 1 = 0`},
		{name: "empty_not_in_is_true", d: pg, setup: func(q *query.Select) { q.Where(query.Col("id").NotIn()) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE 1 = 1`},
		{name: "slice_in_where_expands", d: lite, setup: func(q *query.Select) { q.Where(query.Raw("id IN (?)", []string{"a", "b", "c"})) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE (id IN (?, ?, ?))`, args: []any{"a", "b", "c"}},
		{name: "empty_slice_in_where_is_false", d: pg, setup: func(q *query.Select) { q.Where(query.Raw("id IN (?)", []int{})) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE (id IN (NULL) IS NOT NULL)`},
		{name: "empty_slice_in_where_not_in_is_true", d: my, setup: func(q *query.Select) {
			q.Where(query.Raw("age > ? AND id not\n in(  ? ) AND name <> ?", 1, []int{}, "x"))
		}, sql: "SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` WHERE (age > ? AND id not\n in(  NULL) IS NULL AND name <> ?)", args: []any{1, "x"}},
		{name: "uint8_list_expands", d: pg, setup: func(q *query.Select) { q.Where(query.Raw("age IN (?)", query.ListOf([]uint8{7, 9}))) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE (age IN ($1, $2))`, args: []any{uint8(7), uint8(9)}},
		{name: "typed_in_uint8_on_int_column_expands", d: lite, setup: func(q *query.Select) { q.Where(query.Col("age").In([]uint8{7, 9})) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "age" IN (?, ?)`, args: []any{uint8(7), uint8(9)}},
		{name: "typed_not_in_uint8_on_int_column_expands", d: pg, setup: func(q *query.Select) { q.Where(query.Col("age").NotIn([]byte{7})) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "age" NOT IN ($1)`, args: []any{uint8(7)}},
		{name: "typed_in_bytes_on_string_column_is_one_value", d: pg, setup: func(q *query.Select) { q.Where(query.Col("name").In([]byte("ab"))) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "name" IN ($1)`, args: []any{[]byte("ab")}},
		{name: "eq_nil_is_null", d: pg, setup: func(q *query.Select) { q.Where(query.Col("age").Eq(nil)) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "age" IS NULL`},
		{name: "eq_nil_pointer_is_null", d: pg, setup: func(q *query.Select) { q.Where(query.Col("age").Eq((*int)(nil))) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "age" IS NULL`},
		{name: "eq_null_valuer_is_null", d: pg, setup: func(q *query.Select) { q.Where(query.Col("age").Eq(sql.NullInt64{})) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "age" IS NULL`},
		{name: "eq_valid_valuer_binds", d: pg, setup: func(q *query.Select) { q.Where(query.Col("age").Eq(sql.NullInt64{Int64: 3, Valid: true})) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "age" = $1`, args: []any{sql.NullInt64{Int64: 3, Valid: true}}},
		{name: "ne_nil_is_not_null", d: my, setup: func(q *query.Select) { q.Where(query.Col("age").Ne(nil)) },
			sql: "SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` WHERE `age` IS NOT NULL"},
		{name: "ne_pointer_binds", d: pg, setup: func(q *query.Select) { q.Where(query.Col("age").Ne(&three)) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "age" <> $1`, args: []any{&three}},
		{name: "lt_nil_stays_a_comparison", d: pg, setup: func(q *query.Select) { q.Where(query.Col("age").Lt(nil)) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "age" < $1`, args: []any{nil}},
		{name: "like_escape_postgres", d: pg, setup: func(q *query.Select) { q.Where(query.Col("name").Like("a\\%%")) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "name" LIKE $1 ESCAPE E'\\'`, args: []any{"a\\%%"}},
		{name: "like_escape_mysql", d: dialect.MariaDB(), setup: func(q *query.Select) { q.Where(query.Col("name").Like("a%")) },
			sql: "SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` WHERE `name` LIKE ? ESCAPE CHAR(92)", args: []any{"a%"}},
		{name: "like_escape_sqlite", d: lite, setup: func(q *query.Select) { q.Where(query.Col("name").Like("a%")) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "name" LIKE ? ESCAPE '\'`, args: []any{"a%"}},
		{name: "ilike_sqlite_with_functions", d: dialect.SQLiteWithFunctions(), setup: func(q *query.Select) { q.Where(query.Col("name").ILike("%É%")) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE sqlm_lower("name") LIKE sqlm_lower(?) ESCAPE '\'`, args: []any{"%É%"}},
		{name: "order_by_sql_direction", d: pg, setup: func(q *query.Select) { q.OrderBy("name DESC", "Age asc", "id\tdesc", "-team_id") },
			sql: `SELECT ` + cols + ` FROM "qy_hero" ORDER BY "name" DESC, "age" ASC, "id" DESC, "team_id" DESC`},
		{name: "count_window", d: pg, build: buildCount, setup: func(q *query.Select) {
			q.Where(query.Col("age").Gt(30))
			q.OrderBy("name")
			q.Limit(2)
			q.Offset(1)
			q.ForUpdate(query.Wait)
		}, sql: `SELECT COUNT(*) FROM (SELECT 1 AS "sqlm_one" FROM "qy_hero" WHERE "age" > $1 LIMIT 2 OFFSET 1) AS "sqlm_count"`, args: []any{30}},
		{name: "count_offset_only_mysql", d: my, build: buildCount, setup: func(q *query.Select) { q.Offset(3) },
			sql: "SELECT COUNT(*) FROM (SELECT 1 AS `sqlm_one` FROM `qy_hero` LIMIT 18446744073709551615 OFFSET 3) AS `sqlm_count`"},
		{name: "exists_limit_zero", d: lite, build: buildExists, setup: func(q *query.Select) { q.Limit(0) },
			sql: `SELECT 1 FROM (SELECT 1 AS "sqlm_one" FROM "qy_hero" LIMIT 0) AS "sqlm_exists" LIMIT 1`},
		{name: "exists_offset", d: lite, build: buildExists, setup: func(q *query.Select) { q.Offset(100); q.OrderBy("name") },
			sql: `SELECT 1 FROM (SELECT 1 AS "sqlm_one" FROM "qy_hero" LIMIT -1 OFFSET 100) AS "sqlm_exists" LIMIT 1`},
		{name: "exists_without_window", d: pg, build: buildExists, setup: func(q *query.Select) { q.OrderBy("name") },
			sql: `SELECT 1 FROM "qy_hero" LIMIT 1`},
		{name: "delete_all_rows_opted_in", d: pg, build: buildDelete, setup: func(q *query.Select) { q.AllRows() },
			sql: `DELETE FROM "qy_hero"`},
		{name: "double_question_is_literal", d: pg, setup: func(q *query.Select) { q.Where(query.Raw("data ?? 'k' AND id = ?", 1)) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE (data ? 'k' AND id = $1)`, args: []any{1}},
		{name: "question_inside_quotes_untouched", d: pg, setup: func(q *query.Select) {
			q.Where(query.Raw("name <> '?' AND \"secret_name\" <> 'a''?' AND `x?` = ?", 1))
		}, sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE (name <> '?' AND "secret_name" <> 'a''?' AND ` + "`x?`" + ` = $1)`, args: []any{1}},
		{name: "ilike_postgres", d: pg, setup: func(q *query.Select) { q.Where(query.Col("name").ILike("%A%")) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE "name" ILIKE $1 ESCAPE E'\\'`, args: []any{"%A%"}},
		{name: "ilike_mysql_lower", d: my, setup: func(q *query.Select) { q.Where(query.Col("name").ILike("%A%")) },
			sql: "SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` WHERE LOWER(`name`) LIKE LOWER(?) ESCAPE CHAR(92)", args: []any{"%A%"}},
		{name: "ilike_sqlite_lower", d: lite, setup: func(q *query.Select) { q.Where(query.Col("name").ILike("%A%")) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" WHERE LOWER("name") LIKE LOWER(?) ESCAPE '\'`, args: []any{"%A%"}},
		{name: "offset_without_limit_postgres", d: pg, setup: func(q *query.Select) { q.Offset(5) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" OFFSET 5`},
		{name: "offset_without_limit_mysql", d: my, setup: func(q *query.Select) { q.Offset(5) },
			sql: "SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` LIMIT 18446744073709551615 OFFSET 5"},
		{name: "offset_without_limit_mariadb", d: dialect.MariaDB(), setup: func(q *query.Select) { q.Offset(5) },
			sql: "SELECT `id`, `name`, `secret_name`, `age`, `team_id` FROM `qy_hero` LIMIT 18446744073709551615 OFFSET 5"},
		{name: "offset_without_limit_sqlite", d: lite, setup: func(q *query.Select) { q.Offset(5) },
			sql: `SELECT ` + cols + ` FROM "qy_hero" LIMIT -1 OFFSET 5`},
		{name: "count_drops_order_and_lock", d: pg, build: buildCount, setup: func(q *query.Select) {
			q.Where(query.Col("age").Gt(30))
			q.OrderBy("name")
			q.ForUpdate(query.Wait)
		}, sql: `SELECT COUNT(*) FROM "qy_hero" WHERE "age" > $1`, args: []any{30}},
		{name: "join_qualifies_columns", d: pg, setup: func(q *query.Select) {
			q.Join("qy_team", query.Raw("qy_team.id = qy_hero.team_id"))
			q.Where(query.Col("qy_team.name").Eq("P"))
			q.OrderBy("id")
		}, sql: `SELECT "qy_hero"."id", "qy_hero"."name", "qy_hero"."secret_name", "qy_hero"."age", "qy_hero"."team_id" FROM "qy_hero" JOIN "qy_team" ON (qy_team.id = qy_hero.team_id) WHERE "qy_team"."name" = $1 ORDER BY "qy_hero"."id" ASC`, args: []any{"P"}},
		{name: "update_sorted_columns", d: pg, build: buildUpdate(map[string]any{"name": "n", "age": 3}), setup: func(q *query.Select) {
			q.Where(query.Col("id").In(1, 2))
		}, sql: `UPDATE "qy_hero" SET "age" = $1, "name" = $2 WHERE "id" IN ($3, $4)`, args: []any{3, "n", 1, 2}},
		{name: "delete", d: my, build: buildDelete, setup: func(q *query.Select) { q.Where(query.Col("age").Lt(35)) },
			sql: "DELETE FROM `qy_hero` WHERE `age` < ?", args: []any{35}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := ms.heroes()
			tc.setup(q)
			build := tc.build
			if build == nil {
				build = buildSelect
			}
			s, args, err := build(q, tc.d)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if s != tc.sql {
				t.Errorf("sql:\n got  %s\n want %s", s, tc.sql)
			}
			if fmt.Sprintf("%#v", args) != fmt.Sprintf("%#v", tc.args) && !(len(args) == 0 && len(tc.args) == 0) {
				t.Errorf("args: got %#v, want %#v", args, tc.args)
			}
		})
	}
}

// TestSelectErrors checks that unsafe or inconsistent input is refused when
// the statement is built, on every dialect, with no statement text.
func TestSelectErrors(t *testing.T) {
	ms := qyRegister(t)
	injected := []string{"name; DROP TABLE hero", `"name"`, "`name`", "name --", "nope", "qy_hero.nope", "qy_team.name", "qy_hero.name; --", ""}
	type errCase struct {
		name    string
		setup   func(q *query.Select)
		build   render
		unknown bool   // wants ErrUnknownColumn
		msg     string // a substring of the error otherwise
	}
	var cases []errCase
	for _, bad := range injected {
		cases = append(cases,
			errCase{name: "order_by/" + bad, unknown: true, setup: func(q *query.Select) { q.OrderBy(bad) }},
			errCase{name: "order_dir/" + bad, unknown: true, setup: func(q *query.Select) { q.OrderDir(bad, true) }},
			errCase{name: "group_by/" + bad, unknown: true, build: buildColumns("id"), setup: func(q *query.Select) { q.GroupBy(bad) }},
			errCase{name: "count_group_by/" + bad, unknown: true, build: buildCount, setup: func(q *query.Select) { q.GroupBy(bad) }},
			errCase{name: "col_eq/" + bad, unknown: true, setup: func(q *query.Select) { q.Where(query.Col(bad).Eq(1)) }},
			errCase{name: "col_in/" + bad, unknown: true, setup: func(q *query.Select) { q.Where(query.Col(bad).In(1)) }},
			errCase{name: "col_in_empty/" + bad, unknown: true, setup: func(q *query.Select) { q.Where(query.Col(bad).In()) }},
			errCase{name: "col_not_in_empty/" + bad, unknown: true, setup: func(q *query.Select) { q.Where(query.Col(bad).NotIn()) }},
			errCase{name: "col_like/" + bad, unknown: true, setup: func(q *query.Select) { q.Where(query.Col(bad).Like("x")) }},
			errCase{name: "col_ilike/" + bad, unknown: true, setup: func(q *query.Select) { q.Where(query.Col(bad).ILike("x")) }},
			errCase{name: "col_is_null/" + bad, unknown: true, setup: func(q *query.Select) { q.Where(query.Col(bad).IsNull()) }},
			errCase{name: "col_between/" + bad, unknown: true, setup: func(q *query.Select) { q.Where(query.Col(bad).Between(1, 2)) }},
			errCase{name: "col_nested/" + bad, unknown: true, setup: func(q *query.Select) {
				q.Where(query.Not(query.Or(query.Col("id").Eq(1), query.And(query.Col(bad).Gt(1)))))
			}},
			errCase{name: "count_where/" + bad, unknown: true, build: buildCount, setup: func(q *query.Select) { q.Where(query.Col(bad).Eq(1)) }},
			errCase{name: "exists_where/" + bad, unknown: true, build: buildExists, setup: func(q *query.Select) { q.Where(query.Col(bad).Eq(1)) }},
			errCase{name: "scalars_column/" + bad, unknown: true, build: buildColumns(bad)},
			errCase{name: "update_key/" + bad, unknown: true, build: buildUpdate(map[string]any{"name": "x", bad: 1})},
			errCase{name: "update_where/" + bad, unknown: true, build: buildUpdate(map[string]any{"name": "x"}), setup: func(q *query.Select) { q.Where(query.Col(bad).Eq(1)) }},
			errCase{name: "delete_where/" + bad, unknown: true, build: buildDelete, setup: func(q *query.Select) { q.Where(query.Col(bad).Eq(1)) }},
		)
	}
	cases = append(cases,
		errCase{name: "more_placeholders_than_args", msg: "more placeholders", setup: func(q *query.Select) { q.Where(query.Raw("id = ? AND age = ?", 1)) }},
		errCase{name: "more_args_than_placeholders", msg: "1 placeholder(s) for 2 argument(s)", setup: func(q *query.Select) { q.Where(query.Raw("id = ?", 1, 2)) }},
		errCase{name: "args_without_placeholders", msg: "0 placeholder(s) for 1 argument(s)", setup: func(q *query.Select) { q.Where(query.Raw("id = 1", 1)) }},
		errCase{name: "placeholder_in_quotes_does_not_count", msg: "0 placeholder(s) for 1 argument(s)", setup: func(q *query.Select) { q.Where(query.Raw("name = '?'", 1)) }},
		errCase{name: "double_question_does_not_count", msg: "more placeholders", setup: func(q *query.Select) { q.Where(query.Raw("a ?? b AND id = ?")) }},
		errCase{name: "having_args_mismatch", msg: "placeholder", build: buildColumns("team_id"), setup: func(q *query.Select) {
			q.GroupBy("team_id")
			q.Having(query.Raw("COUNT(*) > ?"))
		}},
		errCase{name: "join_unknown_table", msg: `join of unknown table "qy_villain"`, setup: func(q *query.Select) { q.Join("qy_villain", query.Raw("1 = 1")) }},
		errCase{name: "join_injected_table", msg: "join of unknown table", setup: func(q *query.Select) { q.Join("qy_team; DROP TABLE x", query.Raw("1 = 1")) }},
		errCase{name: "join_without_registry", msg: "without a table registry", setup: nil, build: func(_ *query.Select, d dialect.Dialect) (string, []any, error) {
			q := query.New(ms.hero, nil)
			q.Join("qy_team", query.Raw("1 = 1"))
			return q.Build(d)
		}},
		errCase{name: "join_on_args_mismatch", msg: "placeholder", setup: func(q *query.Select) { q.Join("qy_team", query.Raw("qy_team.id = ?")) }},
		errCase{name: "update_no_columns", msg: "no columns", build: buildUpdate(map[string]any{})},
		errCase{name: "update_with_join", msg: "Update by query", build: buildUpdate(map[string]any{"name": "x"}), setup: func(q *query.Select) { q.Join("qy_team", query.Raw("1 = 1")) }},
		errCase{name: "update_with_limit", msg: "Update by query", build: buildUpdate(map[string]any{"name": "x"}), setup: func(q *query.Select) { q.Limit(1) }},
		errCase{name: "update_with_limit_zero", msg: "Update by query", build: buildUpdate(map[string]any{"name": "x"}), setup: func(q *query.Select) { q.Limit(0) }},
		errCase{name: "update_with_offset", msg: "Update by query", build: buildUpdate(map[string]any{"name": "x"}), setup: func(q *query.Select) { q.Offset(1) }},
		errCase{name: "update_with_order", msg: "Update by query", build: buildUpdate(map[string]any{"name": "x"}), setup: func(q *query.Select) { q.OrderBy("id") }},
		errCase{name: "update_with_group_by", msg: "Update by query", build: buildUpdate(map[string]any{"name": "x"}), setup: func(q *query.Select) { q.GroupBy("id") }},
		errCase{name: "update_with_distinct", msg: "Update by query", build: buildUpdate(map[string]any{"name": "x"}), setup: func(q *query.Select) { q.Distinct() }},
		errCase{name: "delete_with_join", msg: "Delete by query", build: buildDelete, setup: func(q *query.Select) { q.LeftJoin("qy_team", query.Raw("1 = 1")) }},
		errCase{name: "delete_with_limit", msg: "Delete by query", build: buildDelete, setup: func(q *query.Select) { q.Limit(10) }},
		errCase{name: "delete_with_offset", msg: "Delete by query", build: buildDelete, setup: func(q *query.Select) { q.Offset(10) }},
		errCase{name: "delete_with_order", msg: "Delete by query", build: buildDelete, setup: func(q *query.Select) { q.OrderBy("-id") }},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, dc := range qyDialects {
				q := ms.heroes()
				if tc.setup != nil {
					tc.setup(q)
				}
				build := tc.build
				if build == nil {
					build = buildSelect
				}
				s, args, err := build(q, dc.d)
				if err == nil {
					t.Fatalf("%s: no error; rendered %q %v", dc.name, s, args)
				}
				if s != "" || args != nil {
					t.Errorf("%s: an error came with a statement: %q %v", dc.name, s, args)
				}
				if tc.unknown {
					if !errors.Is(err, query.ErrUnknownColumn) {
						t.Errorf("%s: error %v does not match ErrUnknownColumn", dc.name, err)
					}
				} else {
					if errors.Is(err, query.ErrUnknownColumn) {
						t.Errorf("%s: error %v should not be ErrUnknownColumn", dc.name, err)
					}
					if !strings.Contains(err.Error(), tc.msg) {
						t.Errorf("%s: error %q does not mention %q", dc.name, err, tc.msg)
					}
				}
			}
		})
	}
}

// TestSelectLockOnSQLite: row locks are a clear error on SQLite and render
// on the others.
func TestSelectLockOnSQLite(t *testing.T) {
	ms := qyRegister(t)
	for _, l := range []query.Lock{query.Wait, query.SkipLocked, query.NoWait} {
		for _, dc := range qyDialects {
			q := ms.heroes()
			q.ForUpdate(l)
			if !q.Locks() {
				t.Fatal("Locks() is false after ForUpdate")
			}
			s, _, err := q.Build(dc.d)
			if dc.name == "sqlite" {
				if !errors.Is(err, dialect.ErrUnsupported) || s != "" {
					t.Errorf("lock %d on sqlite: %q, %v; want ErrUnsupported", l, s, err)
				}
				continue
			}
			want := map[query.Lock]string{query.Wait: " FOR UPDATE", query.SkipLocked: " FOR UPDATE SKIP LOCKED", query.NoWait: " FOR UPDATE NOWAIT"}[l]
			if err != nil || !strings.HasSuffix(s, want) {
				t.Errorf("lock %d on %s: %q, %v; want suffix %q", l, dc.name, s, err, want)
			}
		}
	}
}

// valuerList is a slice type that is a driver.Valuer (as pq.StringArray
// is): one value, never a list.
type valuerList []string

func (v valuerList) Value() (driver.Value, error) { return strings.Join(v, ","), nil }

// TestRebind covers hand-written statements: placeholders per dialect,
// slices expanded, "??" as a literal, quotes left alone, count mismatches.
func TestRebind(t *testing.T) {
	tests := []struct {
		name    string
		sql     string
		args    []any
		pg, lit string // postgres and '?' dialects
		out     []any
		err     string
	}{
		{name: "plain", sql: "SELECT * FROM t WHERE a = ? AND b = ?", args: []any{1, "x"},
			pg: "SELECT * FROM t WHERE a = $1 AND b = $2", lit: "SELECT * FROM t WHERE a = ? AND b = ?", out: []any{1, "x"}},
		{name: "slice", sql: "a IN (?) AND b = ?", args: []any{[]int{1, 2, 3}, 4},
			pg: "a IN ($1, $2, $3) AND b = $4", lit: "a IN (?, ?, ?) AND b = ?", out: []any{1, 2, 3, 4}},
		{name: "array", sql: "a IN (?)", args: []any{[2]string{"p", "q"}},
			pg: "a IN ($1, $2)", lit: "a IN (?, ?)", out: []any{"p", "q"}},
		{name: "empty_slice", sql: "a IN (?)", args: []any{[]string{}}, pg: "a IN (NULL) IS NOT NULL", lit: "a IN (NULL) IS NOT NULL"},
		{name: "empty_slice_not_in", sql: "DELETE FROM t WHERE a NOT IN (?) AND b = ?", args: []any{[]string{}, 2},
			pg: "DELETE FROM t WHERE a NOT IN (NULL) IS NULL AND b = $1", lit: "DELETE FROM t WHERE a NOT IN (NULL) IS NULL AND b = ?", out: []any{2}},
		{name: "empty_slice_join_is_not_in", sql: "SELECT * FROM a JOIN (?)", args: []any{[]int{}}, err: "an empty list can stand only alone in IN (?) or NOT IN (?)"},
		{name: "empty_slice_in_a_longer_list", sql: "a IN (?, ?)", args: []any{[]int{}, 1}, err: "an empty list can stand only alone"},
		{name: "empty_slice_not_in_parentheses", sql: "a = ANY(?)", args: []any{[]int{}}, err: "an empty list can stand only alone"},
		{name: "empty_list_value", sql: "a NOT IN (?)", args: []any{query.List{}}, pg: "a NOT IN (NULL) IS NULL", lit: "a NOT IN (NULL) IS NULL"},
		{name: "uint8_list", sql: "a IN (?)", args: []any{query.ListOf([]uint8{1, 2})}, pg: "a IN ($1, $2)", lit: "a IN (?, ?)", out: []any{uint8(1), uint8(2)}},
		{name: "list_literal", sql: "a IN (?)", args: []any{query.List{1, "x"}}, pg: "a IN ($1, $2)", lit: "a IN (?, ?)", out: []any{1, "x"}},
		{name: "valuer_slice_is_one_value", sql: "a = ?", args: []any{valuerList{"p", "q"}}, pg: "a = $1", lit: "a = ?", out: []any{valuerList{"p", "q"}}},
		{name: "bytes_stay_one_value", sql: "a = ?", args: []any{[]byte{1, 2}}, pg: "a = $1", lit: "a = ?", out: []any{[]byte{1, 2}}},
		{name: "nil_arg", sql: "a IS ?", args: []any{nil}, pg: "a IS $1", lit: "a IS ?", out: []any{nil}},
		{name: "double_question", sql: "a ?? 'k' AND b ?| c AND d = ?", args: []any{1}, err: "more placeholders"},
		{name: "double_question_literal", sql: "a ?? 'k' AND d = ?", args: []any{1},
			pg: "a ? 'k' AND d = $1", lit: "a ? 'k' AND d = ?", out: []any{1}},
		{name: "quotes", sql: `SELECT '?', "?", ` + "`?`" + `, 'it''s ?', ? FROM t`, args: []any{9},
			pg: `SELECT '?', "?", ` + "`?`" + `, 'it''s ?', $1 FROM t`, lit: `SELECT '?', "?", ` + "`?`" + `, 'it''s ?', ? FROM t`, out: []any{9}},
		{name: "too_few_args", sql: "a = ? AND b = ?", args: []any{1}, err: "more placeholders than the 1 argument(s)"},
		{name: "too_many_args", sql: "a = ?", args: []any{1, 2}, err: "1 placeholder(s) for 2 argument(s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, dc := range qyDialects {
				s, args, err := query.Rebind(dc.d, tc.sql, tc.args)
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Errorf("%s: err = %v, want %q", dc.name, err, tc.err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", dc.name, err)
				}
				want := tc.lit
				if dc.name == "postgres" {
					want = tc.pg
				}
				if s != want {
					t.Errorf("%s: got %q, want %q", dc.name, s, want)
				}
				if fmt.Sprintf("%#v", args) != fmt.Sprintf("%#v", tc.out) && !(len(args) == 0 && len(tc.out) == 0) {
					t.Errorf("%s: args %#v, want %#v", dc.name, args, tc.out)
				}
			}
		})
	}
}

// TestSelectCloneIsIndependent: a clone branches the query; builders never
// share state.
func TestSelectCloneIsIndependent(t *testing.T) {
	ms := qyRegister(t)
	d := dialect.Postgres()
	q := ms.heroes()
	q.Where(query.Col("age").Gt(1))
	q.OrderBy("name")
	before, _, err := q.Build(d)
	if err != nil {
		t.Fatal(err)
	}
	c := q.Clone()
	c.Where(query.Col("name").Eq("x"))
	c.OrderBy("-age")
	c.GroupBy("id")
	c.Having(query.Raw("1 = 1"))
	c.Join("qy_team", query.Raw("1 = 1"))
	c.Limit(1)
	c.Offset(2)
	c.Distinct()
	c.ForUpdate(query.NoWait)
	after, _, err := q.Build(d)
	if err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("changing the clone changed the original:\n before %s\n after  %s", before, after)
	}
	if q.Locks() {
		t.Error("the original locks after the clone's ForUpdate")
	}
	// Building twice gives the same statement (Build does not consume).
	again, _, _ := q.Build(d)
	if again != before {
		t.Errorf("second Build differs: %s", again)
	}
	cs, _, err := c.Build(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cs, `"qy_hero"."name" = $2`) || !strings.HasSuffix(cs, "LIMIT 1 OFFSET 2 FOR UPDATE NOWAIT") {
		t.Errorf("clone: %s", cs)
	}
}

// TestSelectQuotesIdentifiersWithQuotes: identifiers come from metadata and
// are quoted by the dialect, never from the caller's spelling.
func TestSelectQuotesIdentifiersWithQuotes(t *testing.T) {
	ms := qyRegister(t)
	q := ms.heroes()
	q.OrderBy("SecretName")
	q.Where(query.Col("secret_name").Eq(`"; DROP TABLE x; --`))
	for _, dc := range qyDialects {
		s, args, err := q.Build(dc.d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(s, "DROP") || len(args) != 1 || args[0] != `"; DROP TABLE x; --` {
			t.Errorf("%s: value reached the SQL text: %s %v", dc.name, s, args)
		}
		if want := dc.d.Quote("secret_name"); !strings.Contains(s, "ORDER BY "+want+" ASC") {
			t.Errorf("%s: %s does not order by %s", dc.name, s, want)
		}
	}
}
