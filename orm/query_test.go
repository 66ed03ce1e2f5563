package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
)

// Models of the query tests. Every name starts with "qy" so that other test
// files of the package can declare their own.

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

// qyHeroSelect is the SELECT of every hero column, written with "double
// quotes" and ? placeholders (see qySQL).
const qyHeroSelect = `SELECT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero"`

// qySetup creates the tables and seeds three teams and seven heroes:
//
//	1 Deadpond              48  Z-Force
//	2 Spider-Boy            --  Preventers
//	3 Rusty-Man             48  Preventers
//	4 Tarantula             32  Preventers
//	5 Black Lion            35  --
//	6 Dr. Weird             36  Z-Force
//	7 Captain North America 93  Preventers
//
// Team 3 (Empty Team) has no heroes.
func qySetup(t *testing.T, db *orm.DB) context.Context {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateAll(ctx, &qyTeam{}, &qyHero{}); err != nil {
		t.Fatalf("CreateAll: %v", err)
	}
	if _, err := orm.Exec(ctx, db, `INSERT INTO qy_team (id, name) VALUES (?, ?), (?, ?), (?, ?)`,
		1, "Preventers", 2, "Z-Force", 3, "Empty Team"); err != nil {
		t.Fatalf("seed teams: %v", err)
	}
	if _, err := orm.Exec(ctx, db, `INSERT INTO qy_hero (id, name, secret_name, age, team_id) VALUES
		(?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)`,
		1, "Deadpond", "Dive Wilson", 48, 2,
		2, "Spider-Boy", "Pedro Parqueador", nil, 1,
		3, "Rusty-Man", "Tommy Sharp", 48, 1,
		4, "Tarantula", "Natalia Roman-on", 32, 1,
		5, "Black Lion", "Trevor Challa", 35, nil,
		6, "Dr. Weird", "Steve Weird", 36, 2,
		7, "Captain North America", "Esteban Rogelios", 93, 1,
	); err != nil {
		t.Fatalf("seed heroes: %v", err)
	}
	return ctx
}

// qySQL turns a statement written with "double-quoted" identifiers and ?
// placeholders into the dialect's form; text inside 'single quotes' is left
// alone.
func qySQL(db *orm.DB, s string) string {
	name := db.Dialect().Name()
	var b strings.Builder
	n := 0
	inLit := false
	for _, r := range s {
		switch {
		case r == '\'':
			inLit = !inLit
		case inLit:
		case r == '"' && name == "mysql":
			b.WriteRune('`')
			continue
		case r == '?' && name == "postgres":
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// qyRecord returns a recording copy of db.
func qyRecord(db *orm.DB) (*orm.DB, *testkit.Recorder) { return testkit.Record(db) }

// qySession returns a session on db, closed at the end of the test.
func qySession(t *testing.T, db *orm.DB) *orm.Session {
	t.Helper()
	s := orm.NewSession(db)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("session Close: %v", err)
		}
	})
	return s
}

// qyStatements returns the recorded statements that are not transaction
// control.
func qyStatements(rec *testkit.Recorder) []orm.QueryEvent {
	var out []orm.QueryEvent
	for _, e := range rec.Events() {
		if e.Op == "exec" || e.Op == "query" {
			out = append(out, e)
		}
	}
	return out
}

// qyOnly returns the single statement recorded since the last Reset.
func qyOnly(t *testing.T, rec *testkit.Recorder) orm.QueryEvent {
	t.Helper()
	evs := qyStatements(rec)
	if len(evs) != 1 {
		t.Fatalf("%d statements, want 1:\n%s", len(evs), rec.Dump())
	}
	return evs[0]
}

// qyWantSQL checks that exactly one statement was sent, with the given text
// (neutral form, see qySQL) and arguments.
func qyWantSQL(t *testing.T, db *orm.DB, rec *testkit.Recorder, neutral string, args ...any) orm.QueryEvent {
	t.Helper()
	e := qyOnly(t, rec)
	if want := qySQL(db, neutral); e.Query != want {
		t.Errorf("SQL:\n got  %s\n want %s", e.Query, want)
	}
	want := append([]any(nil), args...)
	if fmt.Sprint(e.Args) != fmt.Sprint(want) && !(len(e.Args) == 0 && len(want) == 0) {
		t.Errorf("args: got %v, want %v", e.Args, want)
	}
	return e
}

// qyWantNoSQL checks that nothing at all reached the database.
func qyWantNoSQL(t *testing.T, rec *testkit.Recorder, what string) {
	t.Helper()
	if n := rec.Count(); n != 0 {
		t.Errorf("%s sent %d statement(s), want none:\n%s", what, n, rec.Dump())
	}
}

func qyIDs[T any](objs []*T) []int64 {
	out := make([]int64, len(objs))
	for i, o := range objs {
		out[i] = reflect.ValueOf(o).Elem().FieldByName("ID").Int()
	}
	return out
}

func qyInts(ids ...int64) []int64 { return ids }

// qyAge returns a hero's age, -1 for NULL.
func qyAge(h *qyHero) int {
	if h.Age == nil {
		return -1
	}
	return *h.Age
}

// qyHeroRow reads one hero as the database has it, outside any session.
func qyHeroRow(t *testing.T, ctx context.Context, db *orm.DB, id int64) *qyHero {
	t.Helper()
	h, err := orm.Select[qyHero](db).Filter(orm.Col("id").Eq(id)).OneOrNone(ctx)
	if err != nil {
		t.Fatalf("read hero %d: %v", id, err)
	}
	return h
}

// TestQueryBuilderOnDatabase runs every builder method and expression on
// every database, checking the statement sent and the rows returned.
func TestQueryBuilderOnDatabase(t *testing.T) {
	col := orm.Col
	onTeam := orm.SQL("qy_team.id = qy_hero.team_id")
	type qCase struct {
		name string
		q    func(q *orm.Query[qyHero]) *orm.Query[qyHero]
		sql  string            // neutral form
		per  map[string]string // per-dialect neutral form
		args []any
		want []int64
	}
	const joined = `SELECT "qy_hero"."id", "qy_hero"."name", "qy_hero"."secret_name", "qy_hero"."age", "qy_hero"."team_id" FROM "qy_hero"`
	cases := []qCase{
		{name: "all", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.OrderBy("id") },
			sql: qyHeroSelect + ` ORDER BY "id" ASC`, want: qyInts(1, 2, 3, 4, 5, 6, 7)},
		{name: "where_args", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Where("age > ? AND age < ?", 35, 50).OrderBy("id")
		}, sql: qyHeroSelect + ` WHERE (age > ? AND age < ?) ORDER BY "id" ASC`, args: []any{35, 50}, want: qyInts(1, 3, 6)},
		{name: "where_slice", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Where("id IN (?)", []int64{2, 4, 6}).OrderBy("id")
		}, sql: qyHeroSelect + ` WHERE (id IN (?, ?, ?)) ORDER BY "id" ASC`, args: []any{2, 4, 6}, want: qyInts(2, 4, 6)},
		{name: "where_slice_and_scalar", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Where("name IN (?) AND age > ?", []string{"Deadpond", "Tarantula", "Spider-Boy"}, 40).OrderBy("id")
		}, sql: qyHeroSelect + ` WHERE (name IN (?, ?, ?) AND age > ?) ORDER BY "id" ASC`, args: []any{"Deadpond", "Tarantula", "Spider-Boy", 40}, want: qyInts(1)},
		{name: "where_empty_slice", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Where("id IN (?)", []int64{})
		}, sql: qyHeroSelect + ` WHERE (id IN (NULL) IS NOT NULL)`, want: qyInts()},
		{name: "where_question_in_quotes", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Where("name <> '?' AND id = ?", 1)
		}, sql: qyHeroSelect + ` WHERE (name <> '?' AND id = ?)`, args: []any{1}, want: qyInts(1)},
		{name: "where_twice", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Where("age > ?", 40).Where("team_id = ?", 1).OrderBy("id")
		}, sql: qyHeroSelect + ` WHERE (age > ?) AND (team_id = ?) ORDER BY "id" ASC`, args: []any{40, 1}, want: qyInts(3, 7)},
		{name: "eq", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("name").Eq("Deadpond")) },
			sql: qyHeroSelect + ` WHERE "name" = ?`, args: []any{"Deadpond"}, want: qyInts(1)},
		{name: "ne", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("team_id").Ne(1)).OrderBy("id") },
			sql: qyHeroSelect + ` WHERE "team_id" <> ? ORDER BY "id" ASC`, args: []any{1}, want: qyInts(1, 6)},
		{name: "lt", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("age").Lt(36)).OrderBy("id") },
			sql: qyHeroSelect + ` WHERE "age" < ? ORDER BY "id" ASC`, args: []any{36}, want: qyInts(4, 5)},
		{name: "le", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("age").Le(36)).OrderBy("id") },
			sql: qyHeroSelect + ` WHERE "age" <= ? ORDER BY "id" ASC`, args: []any{36}, want: qyInts(4, 5, 6)},
		{name: "gt", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("age").Gt(48)) },
			sql: qyHeroSelect + ` WHERE "age" > ?`, args: []any{48}, want: qyInts(7)},
		{name: "ge_go_field_name", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("Age").Ge(48)).OrderBy("ID") },
			sql: qyHeroSelect + ` WHERE "age" >= ? ORDER BY "id" ASC`, args: []any{48}, want: qyInts(1, 3, 7)},
		{name: "in_values", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("id").In(1, 3, 5)).OrderBy("id") },
			sql: qyHeroSelect + ` WHERE "id" IN (?, ?, ?) ORDER BY "id" ASC`, args: []any{1, 3, 5}, want: qyInts(1, 3, 5)},
		{name: "in_slice", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(col("name").In([]string{"Spider-Boy", "Dr. Weird"})).OrderBy("id")
		}, sql: qyHeroSelect + ` WHERE "name" IN (?, ?) ORDER BY "id" ASC`, args: []any{"Spider-Boy", "Dr. Weird"}, want: qyInts(2, 6)},
		{name: "in_empty", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("id").In([]int64{})) },
			sql: qyHeroSelect + ` WHERE 1 = 0`, want: qyInts()},
		{name: "not_in", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(col("id").NotIn([]int{1, 2, 3, 4})).OrderBy("id")
		}, sql: qyHeroSelect + ` WHERE "id" NOT IN (?, ?, ?, ?) ORDER BY "id" ASC`, args: []any{1, 2, 3, 4}, want: qyInts(5, 6, 7)},
		{name: "not_in_empty", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("id").NotIn()).OrderBy("id") },
			sql: qyHeroSelect + ` WHERE 1 = 1 ORDER BY "id" ASC`, want: qyInts(1, 2, 3, 4, 5, 6, 7)},
		{name: "like", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("name").Like("%-Man")) },
			sql: qyHeroSelect + ` WHERE "name" LIKE ? ESCAPE '\'`, per: map[string]string{
				"postgres": qyHeroSelect + ` WHERE "name" LIKE ? ESCAPE E'\\'`,
				"mysql":    qyHeroSelect + ` WHERE "name" LIKE ? ESCAPE CHAR(92)`,
			}, args: []any{"%-Man"}, want: qyInts(3)},
		{name: "ilike_upper_pattern", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("name").ILike("%-MAN")) },
			sql: qyHeroSelect + ` WHERE sqlm_lower("name") LIKE sqlm_lower(?) ESCAPE '\'`, per: map[string]string{
				"postgres": qyHeroSelect + ` WHERE "name" ILIKE ? ESCAPE E'\\'`,
				"mysql":    qyHeroSelect + ` WHERE LOWER("name") LIKE LOWER(?) ESCAPE CHAR(92)`,
			}, args: []any{"%-MAN"}, want: qyInts(3)},
		{name: "ilike_lower_pattern", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(col("SecretName").ILike("%weird%"))
		}, sql: qyHeroSelect + ` WHERE sqlm_lower("secret_name") LIKE sqlm_lower(?) ESCAPE '\'`, per: map[string]string{
			"postgres": qyHeroSelect + ` WHERE "secret_name" ILIKE ? ESCAPE E'\\'`,
			"mysql":    qyHeroSelect + ` WHERE LOWER("secret_name") LIKE LOWER(?) ESCAPE CHAR(92)`,
		}, args: []any{"%weird%"}, want: qyInts(6)},
		{name: "is_null", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Filter(col("age").IsNull()) },
			sql: qyHeroSelect + ` WHERE "age" IS NULL`, want: qyInts(2)},
		{name: "is_not_null", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(col("TeamID").IsNotNull()).OrderBy("id")
		},
			sql: qyHeroSelect + ` WHERE "team_id" IS NOT NULL ORDER BY "id" ASC`, want: qyInts(1, 2, 3, 4, 6, 7)},
		{name: "between", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(col("age").Between(35, 48)).OrderBy("id")
		},
			sql: qyHeroSelect + ` WHERE "age" BETWEEN ? AND ? ORDER BY "id" ASC`, args: []any{35, 48}, want: qyInts(1, 3, 5, 6)},
		{name: "and_or_not", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(orm.Or(
				orm.And(col("team_id").Eq(1), col("age").Gt(40)),
				orm.Not(col("team_id").IsNotNull()),
			)).OrderBy("id")
		}, sql: qyHeroSelect + ` WHERE (("team_id" = ? AND "age" > ?) OR NOT ("team_id" IS NOT NULL)) ORDER BY "id" ASC`, args: []any{1, 40}, want: qyInts(3, 5, 7)},
		{name: "not_and", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(orm.Not(orm.And(col("age").Ge(36), col("team_id").Eq(1))), col("age").IsNotNull()).OrderBy("id")
		}, sql: qyHeroSelect + ` WHERE NOT (("age" >= ? AND "team_id" = ?)) AND "age" IS NOT NULL ORDER BY "id" ASC`, args: []any{36, 1}, want: qyInts(1, 4, 5, 6)},
		{name: "filter_sql", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(orm.SQL("age + ? > ?", 10, 100))
		}, sql: qyHeroSelect + ` WHERE (age + ? > ?)`, args: []any{10, 100}, want: qyInts(7)},
		{name: "order_by_name_then_age_desc", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.OrderBy("name", "-age") },
			sql: qyHeroSelect + ` ORDER BY "name" ASC, "age" DESC`, want: qyInts(5, 7, 1, 6, 3, 2, 4)},
		{name: "order_by_age_desc_then_name", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(col("age").IsNotNull()).OrderBy("-age", "name")
		}, sql: qyHeroSelect + ` WHERE "age" IS NOT NULL ORDER BY "age" DESC, "name" ASC`, want: qyInts(7, 1, 3, 6, 5, 4)},
		{name: "desc_asc", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(col("age").IsNotNull()).Desc("Age").Asc("id")
		}, sql: qyHeroSelect + ` WHERE "age" IS NOT NULL ORDER BY "age" DESC, "id" ASC`, want: qyInts(7, 1, 3, 6, 5, 4)},
		{name: "asc", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Filter(col("team_id").Eq(2)).Asc("secret_name")
		},
			sql: qyHeroSelect + ` WHERE "team_id" = ? ORDER BY "secret_name" ASC`, args: []any{2}, want: qyInts(1, 6)},
		{name: "limit", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.OrderBy("id").Limit(3) },
			sql: qyHeroSelect + ` ORDER BY "id" ASC LIMIT 3`, want: qyInts(1, 2, 3)},
		{name: "limit_zero", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.Limit(0) },
			sql: qyHeroSelect + ` LIMIT 0`, want: qyInts()},
		{name: "limit_offset", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.OrderBy("id").Limit(2).Offset(3) },
			sql: qyHeroSelect + ` ORDER BY "id" ASC LIMIT 2 OFFSET 3`, want: qyInts(4, 5)},
		{name: "offset_without_limit", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.OrderBy("id").Offset(5) },
			sql: qyHeroSelect + ` ORDER BY "id" ASC OFFSET 5`, per: map[string]string{
				"mysql":  qyHeroSelect + ` ORDER BY "id" ASC LIMIT 18446744073709551615 OFFSET 5`,
				"sqlite": qyHeroSelect + ` ORDER BY "id" ASC LIMIT -1 OFFSET 5`,
			}, want: qyInts(6, 7)},
		{name: "offset_past_end", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] { return q.OrderBy("id").Limit(5).Offset(50) },
			sql: qyHeroSelect + ` ORDER BY "id" ASC LIMIT 5 OFFSET 50`, want: qyInts()},
		{name: "join_filter_on_joined_column", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Join("qy_team", onTeam).Filter(col("qy_team.name").Eq("Preventers")).OrderBy("id")
		}, sql: joined + ` JOIN "qy_team" ON (qy_team.id = qy_hero.team_id) WHERE "qy_team"."name" = ? ORDER BY "qy_hero"."id" ASC`,
			args: []any{"Preventers"}, want: qyInts(2, 3, 4, 7)},
		{name: "join_where_on_joined_column", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Join("qy_team", onTeam).Where("qy_team.name = ?", "Z-Force").OrderBy("-qy_hero.id")
		}, sql: joined + ` JOIN "qy_team" ON (qy_team.id = qy_hero.team_id) WHERE (qy_team.name = ?) ORDER BY "qy_hero"."id" DESC`,
			args: []any{"Z-Force"}, want: qyInts(6, 1)},
		{name: "join_order_by_joined_column", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Join("qy_team", onTeam).Filter(col("age").Gt(40)).OrderBy("-qy_team.name", "id")
		}, sql: joined + ` JOIN "qy_team" ON (qy_team.id = qy_hero.team_id) WHERE "qy_hero"."age" > ? ORDER BY "qy_team"."name" DESC, "qy_hero"."id" ASC`,
			args: []any{40}, want: qyInts(1, 3, 7)},
		{name: "left_join_missing", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.LeftJoin("qy_team", onTeam).Filter(col("qy_team.id").IsNull())
		}, sql: joined + ` LEFT JOIN "qy_team" ON (qy_team.id = qy_hero.team_id) WHERE "qy_team"."id" IS NULL`, want: qyInts(5)},
		{name: "left_join_or_missing", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.LeftJoin("qy_team", onTeam).Filter(orm.Or(col("qy_team.name").Eq("Z-Force"), col("qy_team.id").IsNull())).OrderBy("id")
		}, sql: joined + ` LEFT JOIN "qy_team" ON (qy_team.id = qy_hero.team_id) WHERE ("qy_team"."name" = ? OR "qy_team"."id" IS NULL) ORDER BY "qy_hero"."id" ASC`,
			args: []any{"Z-Force"}, want: qyInts(1, 5, 6)},
		{name: "join_on_with_args", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Join("qy_team", orm.SQL("qy_team.id = qy_hero.team_id AND qy_team.name <> ?", "Preventers")).Filter(col("age").Lt(40))
		}, sql: joined + ` JOIN "qy_team" ON (qy_team.id = qy_hero.team_id AND qy_team.name <> ?) WHERE "qy_hero"."age" < ?`,
			args: []any{"Preventers", 40}, want: qyInts(6)},
		{name: "distinct", q: func(q *orm.Query[qyHero]) *orm.Query[qyHero] {
			return q.Distinct().Filter(col("team_id").Eq(2)).OrderBy("id")
		}, sql: `SELECT DISTINCT "id", "name", "secret_name", "age", "team_id" FROM "qy_hero" WHERE "team_id" = ? ORDER BY "id" ASC`,
			args: []any{2}, want: qyInts(1, 6)},
	}
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				neutral := tc.sql
				if s, ok := tc.per[db.Dialect().Name()]; ok {
					neutral = s
				}
				// On a *DB.
				rec.Reset()
				got, err := tc.q(orm.Select[qyHero](rdb)).All(ctx)
				if err != nil {
					t.Fatalf("All: %v\n%s", err, rec.Dump())
				}
				if ids := qyIDs(got); !slices.Equal(ids, tc.want) {
					t.Errorf("DB rows: got %v, want %v", ids, tc.want)
				}
				if got == nil {
					t.Error("All returned a nil slice")
				}
				e := qyWantSQL(t, db, rec, neutral, tc.args...)
				if e.InTx {
					t.Error("a *DB query ran in a transaction")
				}
				// The same query through a session, inside a transaction.
				rec.Reset()
				s := qySession(t, rdb)
				if err := s.Begin(ctx); err != nil {
					t.Fatal(err)
				}
				rec.Reset()
				got2, err := tc.q(orm.Select[qyHero](s)).All(ctx)
				if err != nil {
					t.Fatalf("session All: %v", err)
				}
				if ids := qyIDs(got2); !slices.Equal(ids, tc.want) {
					t.Errorf("session rows: got %v, want %v", ids, tc.want)
				}
				if e := qyWantSQL(t, db, rec, neutral, tc.args...); !e.InTx {
					t.Error("a session query did not run in the session's transaction")
				}
				if s.TrackedCount() != len(slices.Compact(slices.Sorted(slices.Values(tc.want)))) {
					t.Errorf("TrackedCount = %d after loading %v", s.TrackedCount(), tc.want)
				}
				if err := s.Rollback(ctx); err != nil {
					t.Fatal(err)
				}
			})
		}
		// The values of one row are all read.
		h, err := orm.Select[qyHero](db).Filter(orm.Col("id").Eq(1)).One(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != "Deadpond" || h.SecretName != "Dive Wilson" || qyAge(h) != 48 || h.TeamID == nil || *h.TeamID != 2 {
			t.Errorf("hero 1 = %+v", h)
		}
		h2, err := orm.Select[qyHero](db).Filter(orm.Col("id").Eq(5)).One(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h2.Name != "Black Lion" || h2.TeamID != nil || qyAge(h2) != 35 {
			t.Errorf("hero 5 = %+v", h2)
		}
	})
}

// TestQueryDistinctJoin: a join that repeats rows, and Distinct removing the
// repetitions, also in Count.
func TestQueryDistinctJoin(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		on := orm.SQL("qy_hero.team_id = qy_team.id")
		const teamCols = `SELECT "qy_team"."id", "qy_team"."name" FROM "qy_team" JOIN "qy_hero" ON (qy_hero.team_id = qy_team.id) ORDER BY "qy_team"."id" ASC`

		all, err := orm.Select[qyTeam](rdb).Join("qy_hero", on).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ids := qyIDs(all); !slices.Equal(ids, qyInts(1, 1, 1, 1, 2, 2)) {
			t.Errorf("join rows: %v", ids)
		}
		if all[0] == all[1] {
			t.Error("a *DB query returned one pointer for two rows")
		}
		qyWantSQL(t, db, rec, teamCols)

		rec.Reset()
		distinct, err := orm.Select[qyTeam](rdb).Distinct().Join("qy_hero", on).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ids := qyIDs(distinct); !slices.Equal(ids, qyInts(1, 2)) {
			t.Errorf("distinct rows: %v", ids)
		}
		qyWantSQL(t, db, rec, strings.Replace(teamCols, "SELECT ", "SELECT DISTINCT ", 1))

		rec.Reset()
		n, err := orm.Select[qyTeam](rdb).Distinct().Join("qy_hero", on).OrderBy("id").Count(ctx)
		if err != nil || n != 2 {
			t.Errorf("distinct Count = %d, %v; want 2", n, err)
		}
		qyWantSQL(t, db, rec, `SELECT COUNT(*) FROM (SELECT DISTINCT "qy_team"."id", "qy_team"."name" FROM "qy_team" JOIN "qy_hero" ON (qy_hero.team_id = qy_team.id)) AS "sqlm_count"`)

		// With a LIMIT, Count counts the window All returns.
		rec.Reset()
		n, err = orm.Select[qyTeam](rdb).Distinct().Join("qy_hero", on).OrderBy("id").Limit(1).Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("distinct Count with Limit(1) = %d, %v; want 1", n, err)
		}
		qyWantSQL(t, db, rec, `SELECT COUNT(*) FROM (SELECT DISTINCT "qy_team"."id", "qy_team"."name" FROM "qy_team" JOIN "qy_hero" ON (qy_hero.team_id = qy_team.id) LIMIT 1) AS "sqlm_count"`)

		rec.Reset()
		n, err = orm.Select[qyTeam](rdb).Join("qy_hero", on).Count(ctx)
		if err != nil || n != 6 {
			t.Errorf("join Count = %d, %v; want 6", n, err)
		}
		qyWantSQL(t, db, rec, `SELECT COUNT(*) FROM "qy_team" JOIN "qy_hero" ON (qy_hero.team_id = qy_team.id)`)

		// Through a session the repeated rows are one tracked object.
		s := qySession(t, rdb)
		tracked, err := orm.Select[qyTeam](s).Join("qy_hero", on).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(tracked) != 6 || tracked[0] != tracked[3] || tracked[4] != tracked[5] || tracked[0] == tracked[4] || s.TrackedCount() != 2 {
			t.Errorf("session join: %d rows, TrackedCount %d", len(tracked), s.TrackedCount())
		}
	})
}

// TestQueryTerminals covers All, First, One, OneOrNone, Count, Exists and
// Scalars, with the statements they send.
func TestQueryTerminals(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		sel := func() *orm.Query[qyHero] { return orm.Select[qyHero](rdb) }
		nobody := orm.Col("name").Eq("nobody")

		t.Run("all_empty", func(t *testing.T) {
			rec.Reset()
			got, err := sel().Filter(nobody).All(ctx)
			if err != nil || got == nil || len(got) != 0 {
				t.Fatalf("All = %#v, %v; want an empty non-nil slice", got, err)
			}
			qyWantSQL(t, db, rec, qyHeroSelect+` WHERE "name" = ?`, "nobody")
			s := qySession(t, rdb)
			got, err = orm.Select[qyHero](s).Filter(nobody).All(ctx)
			if err != nil || got == nil || len(got) != 0 {
				t.Fatalf("session All = %#v, %v; want an empty non-nil slice", got, err)
			}
		})
		t.Run("first", func(t *testing.T) {
			rec.Reset()
			h, err := sel().OrderBy("name").First(ctx)
			if err != nil || h == nil || h.ID != 5 {
				t.Fatalf("First = %+v, %v; want hero 5", h, err)
			}
			qyWantSQL(t, db, rec, qyHeroSelect+` ORDER BY "name" ASC LIMIT 1`)
		})
		t.Run("first_keeps_offset", func(t *testing.T) {
			rec.Reset()
			h, err := sel().OrderBy("id").Offset(2).First(ctx)
			if err != nil || h == nil || h.ID != 3 {
				t.Fatalf("First = %+v, %v; want hero 3", h, err)
			}
			qyWantSQL(t, db, rec, qyHeroSelect+` ORDER BY "id" ASC LIMIT 1 OFFSET 2`)
		})
		t.Run("first_not_found", func(t *testing.T) {
			rec.Reset()
			h, err := sel().Filter(nobody).First(ctx)
			if h != nil || !errors.Is(err, orm.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
				t.Fatalf("First = %+v, %v; want nil, ErrNotFound", h, err)
			}
			qyWantSQL(t, db, rec, qyHeroSelect+` WHERE "name" = ? LIMIT 1`, "nobody")
		})
		t.Run("one", func(t *testing.T) {
			rec.Reset()
			h, err := sel().Filter(orm.Col("name").Eq("Deadpond")).One(ctx)
			if err != nil || h == nil || h.ID != 1 {
				t.Fatalf("One = %+v, %v; want hero 1", h, err)
			}
			qyWantSQL(t, db, rec, qyHeroSelect+` WHERE "name" = ? LIMIT 2`, "Deadpond")
		})
		t.Run("one_not_found", func(t *testing.T) {
			h, err := sel().Filter(nobody).One(ctx)
			if h != nil || !errors.Is(err, orm.ErrNotFound) {
				t.Fatalf("One = %+v, %v; want nil, ErrNotFound", h, err)
			}
		})
		t.Run("one_multiple", func(t *testing.T) {
			h, err := sel().Filter(orm.Col("team_id").Eq(1)).One(ctx)
			if h != nil || !errors.Is(err, orm.ErrMultipleRows) || errors.Is(err, orm.ErrNotFound) {
				t.Fatalf("One = %+v, %v; want nil, ErrMultipleRows", h, err)
			}
		})
		t.Run("one_or_none", func(t *testing.T) {
			h, err := sel().Filter(nobody).OneOrNone(ctx)
			if h != nil || err != nil {
				t.Fatalf("OneOrNone(none) = %+v, %v; want nil, nil", h, err)
			}
			h, err = sel().Filter(orm.Col("id").Eq(4)).OneOrNone(ctx)
			if err != nil || h == nil || h.Name != "Tarantula" {
				t.Fatalf("OneOrNone(one) = %+v, %v", h, err)
			}
			rec.Reset()
			h, err = sel().Filter(orm.Col("age").Eq(48)).OneOrNone(ctx)
			if h != nil || !errors.Is(err, orm.ErrMultipleRows) {
				t.Fatalf("OneOrNone(two) = %+v, %v; want ErrMultipleRows", h, err)
			}
			qyWantSQL(t, db, rec, qyHeroSelect+` WHERE "age" = ? LIMIT 2`, 48)
		})
		t.Run("count_drops_order_counts_window", func(t *testing.T) {
			rec.Reset()
			n, err := sel().OrderBy("name").Count(ctx)
			if err != nil || n != 7 {
				t.Fatalf("Count = %d, %v; want 7", n, err)
			}
			e := qyWantSQL(t, db, rec, `SELECT COUNT(*) FROM "qy_hero"`)
			if strings.Contains(e.Query, "ORDER BY") {
				t.Errorf("Count sent ORDER BY: %s", e.Query)
			}
			// Limit and Offset: the window All returns (2 rows).
			rec.Reset()
			n, err = sel().OrderBy("name").Limit(2).Offset(1).Count(ctx)
			if err != nil || n != 2 {
				t.Fatalf("Count with Limit(2).Offset(1) = %d, %v; want 2", n, err)
			}
			e = qyOnly(t, rec)
			if strings.Contains(e.Query, "ORDER BY") || !strings.Contains(e.Query, "LIMIT 2 OFFSET 1") {
				t.Errorf("Count of a window sent %s", e.Query)
			}
			rec.Reset()
			n, err = sel().Filter(orm.Col("team_id").Eq(1)).Desc("id").Count(ctx)
			if err != nil || n != 4 {
				t.Fatalf("Count(team 1) = %d, %v; want 4", n, err)
			}
			qyWantSQL(t, db, rec, `SELECT COUNT(*) FROM "qy_hero" WHERE "team_id" = ?`, 1)
			n, err = sel().Filter(nobody).Count(ctx)
			if err != nil || n != 0 {
				t.Fatalf("Count(none) = %d, %v", n, err)
			}
		})
		t.Run("exists", func(t *testing.T) {
			rec.Reset()
			ok, err := sel().Filter(orm.Col("name").Eq("Deadpond")).OrderBy("id").Exists(ctx)
			if err != nil || !ok {
				t.Fatalf("Exists = %v, %v; want true", ok, err)
			}
			qyWantSQL(t, db, rec, `SELECT 1 FROM "qy_hero" WHERE "name" = ? LIMIT 1`, "Deadpond")
			ok, err = sel().Filter(nobody).Exists(ctx)
			if err != nil || ok {
				t.Fatalf("Exists(none) = %v, %v; want false", ok, err)
			}
		})
		t.Run("scalars_string", func(t *testing.T) {
			rec.Reset()
			names, err := orm.Scalars[string](ctx, sel().Filter(orm.Col("team_id").Eq(2)).OrderBy("name"), "name")
			if err != nil || !slices.Equal(names, []string{"Deadpond", "Dr. Weird"}) {
				t.Fatalf("Scalars = %q, %v", names, err)
			}
			qyWantSQL(t, db, rec, `SELECT "name" FROM "qy_hero" WHERE "team_id" = ? ORDER BY "name" ASC`, 2)
		})
		t.Run("scalars_int64_go_field", func(t *testing.T) {
			rec.Reset()
			ages, err := orm.Scalars[int64](ctx, sel().Filter(orm.Col("age").IsNotNull()).OrderBy("id"), "Age")
			if err != nil || !slices.Equal(ages, []int64{48, 48, 32, 35, 36, 93}) {
				t.Fatalf("Scalars = %v, %v", ages, err)
			}
			qyWantSQL(t, db, rec, `SELECT "age" FROM "qy_hero" WHERE "age" IS NOT NULL ORDER BY "id" ASC`)
		})
		t.Run("scalars_nullable", func(t *testing.T) {
			ages, err := orm.Scalars[sql.NullInt64](ctx, sel().Filter(orm.Col("id").In(1, 2)).OrderBy("id"), "age")
			if err != nil || len(ages) != 2 || !ages[0].Valid || ages[0].Int64 != 48 || ages[1].Valid {
				t.Fatalf("Scalars = %v, %v", ages, err)
			}
		})
		t.Run("scalars_distinct", func(t *testing.T) {
			rec.Reset()
			teams, err := orm.Scalars[int64](ctx, sel().Distinct().Filter(orm.Col("team_id").IsNotNull()).OrderBy("team_id"), "TeamID")
			if err != nil || !slices.Equal(teams, []int64{1, 2}) {
				t.Fatalf("Scalars = %v, %v", teams, err)
			}
			qyWantSQL(t, db, rec, `SELECT DISTINCT "team_id" FROM "qy_hero" WHERE "team_id" IS NOT NULL ORDER BY "team_id" ASC`)
		})
		t.Run("scalars_empty", func(t *testing.T) {
			names, err := orm.Scalars[string](ctx, sel().Filter(nobody), "name")
			if err != nil || names == nil || len(names) != 0 {
				t.Fatalf("Scalars = %#v, %v; want an empty non-nil slice", names, err)
			}
		})
		t.Run("iter", func(t *testing.T) {
			rec.Reset()
			var ids []int64
			for h, err := range sel().Filter(orm.Col("age").Gt(40)).OrderBy("id").Iter(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, h.ID)
			}
			if !slices.Equal(ids, qyInts(1, 3, 7)) {
				t.Fatalf("Iter = %v", ids)
			}
			qyWantSQL(t, db, rec, qyHeroSelect+` WHERE "age" > ? ORDER BY "id" ASC`, 40)
		})
		t.Run("build_without_database", func(t *testing.T) {
			rec.Reset()
			s, args, err := sel().Filter(orm.Col("age").Gt(40)).OrderBy("-id").Limit(2).Build()
			if err != nil || s != qySQL(db, qyHeroSelect+` WHERE "age" > ? ORDER BY "id" DESC LIMIT 2`) || fmt.Sprint(args) != "[40]" {
				t.Fatalf("Build = %q %v %v", s, args, err)
			}
			qyWantNoSQL(t, rec, "Build")
		})
		t.Run("clone", func(t *testing.T) {
			base := sel().Filter(orm.Col("team_id").Eq(1))
			young := base.Clone().Filter(orm.Col("age").Lt(40))
			n1, err1 := base.Count(ctx)
			n2, err2 := young.Count(ctx)
			if err1 != nil || err2 != nil || n1 != 4 || n2 != 1 {
				t.Fatalf("Count base = %d (%v), clone = %d (%v); want 4, 1", n1, err1, n2, err2)
			}
		})
	})
}

// TestQueryGroupByHaving groups with Scalars and Count.
func TestQueryGroupByHaving(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)

		teams, err := orm.Scalars[int64](ctx, orm.Select[qyHero](rdb).Filter(orm.Col("team_id").IsNotNull()).
			GroupBy("team_id").Having("COUNT(*) > ?", 2).OrderBy("team_id"), "team_id")
		if err != nil || !slices.Equal(teams, []int64{1}) {
			t.Fatalf("teams with more than 2 heroes: %v, %v", teams, err)
		}
		qyWantSQL(t, db, rec, `SELECT "team_id" FROM "qy_hero" WHERE "team_id" IS NOT NULL GROUP BY "team_id" HAVING (COUNT(*) > ?) ORDER BY "team_id" ASC`, 2)

		teams, err = orm.Scalars[int64](ctx, orm.Select[qyHero](rdb).Filter(orm.Col("team_id").IsNotNull()).
			GroupBy("TeamID").Having("COUNT(*) >= ?", 2).Desc("team_id"), "team_id")
		if err != nil || !slices.Equal(teams, []int64{2, 1}) {
			t.Fatalf("teams with at least 2 heroes: %v, %v", teams, err)
		}

		// Grouping by a joined column.
		rec.Reset()
		names, err := orm.Scalars[string](ctx, orm.Select[qyHero](rdb).Join("qy_team", orm.SQL("qy_team.id = qy_hero.team_id")).
			GroupBy("qy_team.name").Having("COUNT(*) = ?", 2), "qy_team.name")
		if err != nil || !slices.Equal(names, []string{"Z-Force"}) {
			t.Fatalf("team names with 2 heroes: %q, %v", names, err)
		}
		qyWantSQL(t, db, rec, `SELECT "qy_team"."name" FROM "qy_hero" JOIN "qy_team" ON (qy_team.id = qy_hero.team_id) GROUP BY "qy_team"."name" HAVING (COUNT(*) = ?)`, 2)

		// Count counts groups: 1, 2 and NULL.
		rec.Reset()
		n, err := orm.Select[qyHero](rdb).GroupBy("team_id").OrderBy("team_id").Count(ctx)
		if err != nil || n != 3 {
			t.Fatalf("Count of groups = %d, %v; want 3\n%s", n, err, rec.Dump())
		}
		e := qyWantSQL(t, db, rec, `SELECT COUNT(*) FROM (SELECT 1 AS "sqlm_one" FROM "qy_hero" GROUP BY "team_id") AS "sqlm_count"`)
		if strings.Contains(e.Query, "ORDER BY") || strings.Contains(e.Query, "LIMIT") {
			t.Errorf("Count sent ORDER BY or LIMIT: %s", e.Query)
		}
		// With a LIMIT, the groups of the window.
		if n, err := orm.Select[qyHero](rdb).GroupBy("team_id").OrderBy("team_id").Limit(2).Count(ctx); err != nil || n != 2 {
			t.Fatalf("Count of groups with Limit(2) = %d, %v; want 2", n, err)
		}
		n, err = orm.Select[qyHero](rdb).GroupBy("team_id").Having("COUNT(*) > ?", 1).Count(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Count of groups with more than one hero = %d, %v; want 2", n, err)
		}
		n, err = orm.Select[qyHero](rdb).Filter(orm.Col("age").Ge(40)).GroupBy("age").Count(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Count of distinct ages >= 40 = %d, %v; want 2", n, err)
		}
	})
}

// TestQueryForUpdate locks rows inside the session's transaction
// (SKIP LOCKED skips them, NOWAIT fails at once), and is a clear error on
// SQLite before any SQL.
func TestQueryForUpdate(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		s1 := qySession(t, rdb)
		if db.Dialect().Name() == "sqlite" {
			for _, q := range []*orm.Query[qyHero]{
				orm.Select[qyHero](s1).ForUpdate(orm.SkipLocked),
				orm.Select[qyHero](s1).ForUpdate(orm.NoWait),
				orm.Select[qyHero](s1).Filter(orm.Col("id").Eq(1)).ForUpdate(),
			} {
				rec.Reset()
				got, err := q.All(ctx)
				if got != nil || !errors.Is(err, orm.ErrUnsupported) || !strings.Contains(err.Error(), "SQLite has no row locks") {
					t.Errorf("FOR UPDATE on SQLite = %v, %v; want ErrUnsupported", got, err)
				}
				qyWantNoSQL(t, rec, "FOR UPDATE on SQLite")
				if s1.InTransaction() {
					t.Error("a refused FOR UPDATE opened a transaction")
				}
			}
			if _, err := orm.Select[qyHero](s1).ForUpdate().First(ctx); !errors.Is(err, orm.ErrUnsupported) {
				t.Errorf("First FOR UPDATE on SQLite: %v", err)
			}
			return
		}

		// s1 locks hero 1 in a transaction it opens itself.
		rec.Reset()
		h1, err := orm.Select[qyHero](s1).Filter(orm.Col("id").Eq(1)).ForUpdate().One(ctx)
		if err != nil || h1.ID != 1 {
			t.Fatalf("lock hero 1: %+v, %v", h1, err)
		}
		if !s1.InTransaction() {
			t.Fatal("FOR UPDATE did not open a transaction")
		}
		evs := rec.Events()
		if len(evs) != 2 || evs[0].Op != "begin" || !evs[1].InTx || evs[1].Query != qySQL(db, qyHeroSelect+` WHERE "id" = ? LIMIT 2 FOR UPDATE`) {
			t.Fatalf("locking statements:\n%s", rec.Dump())
		}

		// s2 skips the locked row.
		s2 := qySession(t, rdb)
		if err := s2.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		got, err := orm.Select[qyHero](s2).Filter(orm.Col("id").In(1, 2, 3)).OrderBy("id").ForUpdate(orm.SkipLocked).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ids := qyIDs(got); !slices.Equal(ids, qyInts(2, 3)) {
			t.Errorf("SKIP LOCKED rows: %v, want [2 3]", ids)
		}
		if e := qyWantSQL(t, db, rec, qyHeroSelect+` WHERE "id" IN (?, ?, ?) ORDER BY "id" ASC FOR UPDATE SKIP LOCKED`, 1, 2, 3); !e.InTx {
			t.Error("SKIP LOCKED query outside the session's transaction")
		}

		// s3 does not wait for hero 1.
		s3 := qySession(t, rdb)
		rec.Reset()
		_, err = orm.Select[qyHero](s3).Filter(orm.Col("id").Eq(1)).ForUpdate(orm.NoWait).All(ctx)
		if !errors.Is(err, orm.ErrLockTimeout) {
			t.Errorf("NOWAIT on a locked row: %v, want ErrLockTimeout", err)
		}
		if e := qyOnly(t, rec); !strings.HasSuffix(e.Query, " FOR UPDATE NOWAIT") {
			t.Errorf("NOWAIT statement: %s", e.Query)
		}
		for _, s := range []*orm.Session{s3, s2, s1} {
			if err := s.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Once released, the row can be locked again without waiting.
		s4 := qySession(t, rdb)
		if h, err := orm.Select[qyHero](s4).Filter(orm.Col("id").Eq(1)).ForUpdate(orm.NoWait).One(ctx); err != nil || h.ID != 1 {
			t.Fatalf("lock after release: %+v, %v", h, err)
		}
		if err := s4.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestQueryUpdateDeleteOnDB runs set-based UPDATE and DELETE on a *DB.
func TestQueryUpdateDeleteOnDB(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)

		n, err := orm.Select[qyHero](rdb).Filter(orm.Col("team_id").Eq(2)).Update(ctx, map[string]any{"age": 50, "SecretName": "Someone"})
		if err != nil || n != 2 {
			t.Fatalf("Update = %d, %v; want 2", n, err)
		}
		qyWantSQL(t, db, rec, `UPDATE "qy_hero" SET "secret_name" = ?, "age" = ? WHERE "team_id" = ?`, "Someone", 50, 2)
		for _, id := range []int64{1, 6} {
			if h := qyHeroRow(t, ctx, db, id); qyAge(h) != 50 || h.SecretName != "Someone" {
				t.Errorf("hero %d after Update: %+v", id, h)
			}
		}
		if h := qyHeroRow(t, ctx, db, 3); qyAge(h) != 48 || h.SecretName != "Tommy Sharp" {
			t.Errorf("hero 3 changed by an Update of team 2: %+v", h)
		}
		// Rows that match but do not change still count (matched rows).
		n, err = orm.Select[qyHero](rdb).Filter(orm.Col("team_id").Eq(2)).Update(ctx, map[string]any{"age": 50})
		if err != nil || n != 2 {
			t.Errorf("Update to the same value = %d, %v; want 2 (rows matched)", n, err)
		}
		n, err = orm.Select[qyHero](rdb).Filter(orm.Col("name").Eq("nobody")).Update(ctx, map[string]any{"age": 1})
		if err != nil || n != 0 {
			t.Errorf("Update of no rows = %d, %v", n, err)
		}
		// Setting NULL.
		n, err = orm.Select[qyHero](rdb).Where("id IN (?)", []int64{3, 4}).Update(ctx, map[string]any{"team_id": nil})
		if err != nil || n != 2 {
			t.Errorf("Update to NULL = %d, %v", n, err)
		}
		if h := qyHeroRow(t, ctx, db, 4); h.TeamID != nil {
			t.Errorf("hero 4 team after Update to NULL: %v", *h.TeamID)
		}

		rec.Reset()
		n, err = orm.Select[qyHero](rdb).Filter(orm.Col("age").Lt(35)).Delete(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Delete = %d, %v; want 1", n, err)
		}
		qyWantSQL(t, db, rec, `DELETE FROM "qy_hero" WHERE "age" < ?`, 35)
		if h := qyHeroRow(t, ctx, db, 4); h != nil {
			t.Errorf("hero 4 still there: %+v", h)
		}
		rec.Reset()
		n, err = orm.Select[qyHero](rdb).Where("id IN (?)", []int64{5, 6, 99}).Delete(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Delete IN = %d, %v; want 2", n, err)
		}
		qyWantSQL(t, db, rec, `DELETE FROM "qy_hero" WHERE (id IN (?, ?, ?))`, 5, 6, 99)
		if c, err := orm.Select[qyHero](db).Count(ctx); err != nil || c != 4 {
			t.Errorf("heroes left: %d, %v; want 4", c, err)
		}

		// Set-based statements take only conditions.
		for name, q := range map[string]*orm.Query[qyHero]{
			"limit":     orm.Select[qyHero](rdb).Limit(1),
			"offset":    orm.Select[qyHero](rdb).Offset(1),
			"order":     orm.Select[qyHero](rdb).OrderBy("id"),
			"join":      orm.Select[qyHero](rdb).Join("qy_team", orm.SQL("qy_team.id = qy_hero.team_id")),
			"left_join": orm.Select[qyHero](rdb).LeftJoin("qy_team", orm.SQL("qy_team.id = qy_hero.team_id")),
			"group_by":  orm.Select[qyHero](rdb).GroupBy("team_id"),
			"distinct":  orm.Select[qyHero](rdb).Distinct(),
		} {
			rec.Reset()
			if n, err := q.Clone().Update(ctx, map[string]any{"age": 1}); err == nil || n != 0 || !strings.Contains(err.Error(), "Update by query") {
				t.Errorf("Update with %s = %d, %v; want an error", name, n, err)
			}
			if n, err := q.Clone().Delete(ctx); err == nil || n != 0 || !strings.Contains(err.Error(), "Delete by query") {
				t.Errorf("Delete with %s = %d, %v; want an error", name, n, err)
			}
			qyWantNoSQL(t, rec, "Update/Delete with "+name)
		}
		rec.Reset()
		if _, err := orm.Select[qyHero](rdb).Update(ctx, nil); err == nil {
			t.Error("Update with no columns succeeded")
		}
		qyWantNoSQL(t, rec, "Update with no columns")
		if c, err := orm.Select[qyHero](db).Count(ctx); err != nil || c != 4 {
			t.Errorf("heroes left after refused statements: %d, %v; want 4", c, err)
		}
	})
}

// TestQueryInjectionRejected: names that are not columns of the model never
// reach SQL, whatever method carries them.
func TestQueryInjectionRejected(t *testing.T) {
	bad := []string{"name; DROP TABLE qy_hero", `"name"`, "`name`", "name --", "name) OR (1=1", "qy_hero.name; DROP TABLE qy_hero", "qy_team.name", "Name ", "unknown"}
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		s := qySession(t, rdb)
		for _, name := range bad {
			for _, q := range []orm.Querier{rdb, s} {
				ops := map[string]func() error{
					"OrderBy": func() error { _, err := orm.Select[qyHero](q).OrderBy(name).All(ctx); return err },
					"OrderBy-": func() error {
						_, err := orm.Select[qyHero](q).OrderBy("-" + name).All(ctx)
						return err
					},
					"Asc":       func() error { _, err := orm.Select[qyHero](q).Asc(name).All(ctx); return err },
					"Desc":      func() error { _, err := orm.Select[qyHero](q).Desc(name).First(ctx); return err },
					"GroupBy":   func() error { _, err := orm.Select[qyHero](q).GroupBy(name).Count(ctx); return err },
					"GroupByS":  func() error { _, err := orm.Scalars[int64](ctx, orm.Select[qyHero](q).GroupBy(name), "id"); return err },
					"Col.Eq":    func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).Eq(1)).All(ctx); return err },
					"Col.Ne":    func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).Ne(1)).One(ctx); return err },
					"Col.Lt":    func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).Lt(1)).Count(ctx); return err },
					"Col.Le":    func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).Le(1)).Exists(ctx); return err },
					"Col.Gt":    func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).Gt(1)).OneOrNone(ctx); return err },
					"Col.Ge":    func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).Ge(1)).All(ctx); return err },
					"Col.In":    func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).In(1, 2)).All(ctx); return err },
					"Col.In()":  func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).In()).All(ctx); return err },
					"Col.NotIn": func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).NotIn()).All(ctx); return err },
					"Col.Like":  func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).Like("x")).All(ctx); return err },
					"Col.ILike": func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).ILike("x")).All(ctx); return err },
					"Col.IsNull": func() error {
						_, err := orm.Select[qyHero](q).Filter(orm.Not(orm.Col(name).IsNull())).All(ctx)
						return err
					},
					"Col.IsNotNull": func() error {
						_, err := orm.Select[qyHero](q).Filter(orm.Or(orm.Col(name).IsNotNull())).All(ctx)
						return err
					},
					"Col.Between": func() error {
						_, err := orm.Select[qyHero](q).Filter(orm.And(orm.Col(name).Between(1, 2))).All(ctx)
						return err
					},
					"Scalars": func() error { _, err := orm.Scalars[string](ctx, orm.Select[qyHero](q), name); return err },
					"Update": func() error {
						_, err := orm.Select[qyHero](q).Filter(orm.Col("id").Eq(1)).Update(ctx, map[string]any{name: "x"})
						return err
					},
					"Update.Where": func() error {
						_, err := orm.Select[qyHero](q).Filter(orm.Col(name).Eq(1)).Update(ctx, map[string]any{"name": "x"})
						return err
					},
					"Delete.Where": func() error { _, err := orm.Select[qyHero](q).Filter(orm.Col(name).Eq(1)).Delete(ctx); return err },
					"Iter": func() error {
						for _, err := range orm.Select[qyHero](q).OrderBy(name).Iter(ctx) {
							return err
						}
						return errors.New("Iter yielded nothing")
					},
				}
				for op, run := range ops {
					rec.Reset()
					err := run()
					if !errors.Is(err, query.ErrUnknownColumn) {
						t.Errorf("%s(%q) on %T: %v; want ErrUnknownColumn", op, name, q, err)
					}
					qyWantNoSQL(t, rec, fmt.Sprintf("%s(%q)", op, name))
				}
			}
		}
		if s.InTransaction() {
			t.Error("refused statements opened a transaction")
		}
		if n, err := orm.Select[qyHero](db).Count(ctx); err != nil || n != 7 {
			t.Fatalf("heroes after the attempts: %d, %v; want 7", n, err)
		}
		// A joined table's columns are accepted only when it is joined.
		rec.Reset()
		if _, err := orm.Select[qyHero](rdb).OrderBy("qy_team.name").All(ctx); !errors.Is(err, query.ErrUnknownColumn) {
			t.Errorf("ORDER BY a table not in the query: %v", err)
		}
		if _, err := orm.Select[qyHero](rdb).Join("qy_team", orm.SQL("qy_team.id = qy_hero.team_id")).OrderBy("qy_team.nope").All(ctx); !errors.Is(err, query.ErrUnknownColumn) {
			t.Errorf("ORDER BY an unknown column of a joined table: %v", err)
		}
		if _, err := orm.Select[qyHero](rdb).Join("qy_team; DROP TABLE qy_hero", orm.SQL("1 = 1")).All(ctx); err == nil {
			t.Error("Join of an injected table name succeeded")
		}
		qyWantNoSQL(t, rec, "joined-column checks")
	})
}

// TestQueryValuesStoredVerbatim: values are bound parameters, so quotes,
// backslashes and SQL in them are stored and found as they are.
func TestQueryValuesStoredVerbatim(t *testing.T) {
	values := []string{
		`O'Brien`,
		`'; DROP TABLE x; --`,
		`Robert'); DROP TABLE qy_hero;--`,
		`back\slash \' \\`,
		`"double" and ` + "`back`",
		`? and ?? and $1 and :name`,
		`100% _under_`,
		"tab\tnew\nline",
		`ünïcødé ✓`,
	}
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		s := qySession(t, db)
		for i, v := range values {
			h := &qyHero{ID: int64(100 + i), Name: v, SecretName: v + v}
			if err := s.Add(h); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		for i, v := range values {
			id := int64(100 + i)
			h, err := orm.Select[qyHero](db).Filter(orm.Col("name").Eq(v)).One(ctx)
			if err != nil || h.ID != id || h.Name != v || h.SecretName != v+v {
				t.Errorf("Filter Eq %q: %+v, %v", v, h, err)
			}
			h, err = orm.Select[qyHero](db).Where("name = ? AND secret_name = ?", v, v+v).One(ctx)
			if err != nil || h.ID != id {
				t.Errorf("Where %q: %+v, %v", v, h, err)
			}
			hs, err := orm.Raw[qyHero](ctx, db, `SELECT id, name, secret_name, age, team_id FROM qy_hero WHERE name IN (?)`, []string{v, "nobody"})
			if err != nil || len(hs) != 1 || hs[0].Name != v {
				t.Errorf("Raw %q: %v, %v", v, hs, err)
			}
			names, err := orm.Scalars[string](ctx, orm.Select[qyHero](db).Filter(orm.Col("id").Eq(id)), "name")
			if err != nil || len(names) != 1 || names[0] != v {
				t.Errorf("Scalars %q: %q, %v", v, names, err)
			}
			// Set-based UPDATE with the value as the new one.
			n, err := orm.Select[qyHero](db).Filter(orm.Col("name").Eq(v)).Update(ctx, map[string]any{"secret_name": v})
			if err != nil || n != 1 {
				t.Errorf("Update %q: %d, %v", v, n, err)
			}
			if h := qyHeroRow(t, ctx, db, id); h == nil || h.SecretName != v {
				t.Errorf("after Update %q: %+v", v, h)
			}
		}
		// LIKE takes the pattern as a value, wildcards included.
		hs, err := orm.Select[qyHero](db).Filter(orm.Col("name").Like("%DROP TABLE%")).OrderBy("id").All(ctx)
		if err != nil || !slices.Equal(qyIDs(hs), qyInts(101, 102)) {
			t.Errorf("LIKE %%DROP TABLE%%: %v, %v", qyIDs(hs), err)
		}
		if n, err := orm.Select[qyHero](db).Count(ctx); err != nil || n != int64(7+len(values)) {
			t.Errorf("heroes: %d, %v", n, err)
		}
		if n, err := orm.Select[qyTeam](db).Count(ctx); err != nil || n != 3 {
			t.Errorf("teams: %d, %v", n, err)
		}
	})
}

// TestQueryInvalidTargets: misuse of Select is an error from the terminal
// method, without SQL.
func TestQueryInvalidTargets(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qySetup(t, db)
		rdb, rec := qyRecord(db)
		type qyNotRegistered struct {
			ID int64 `sqlmodel:"pk"`
		}
		if _, err := orm.Select[qyNotRegistered](rdb).All(ctx); !errors.Is(err, orm.ErrUnmapped) {
			t.Errorf("Select of an unregistered type: %v", err)
		}
		if _, err := orm.Select[*qyHero](rdb).Count(ctx); !errors.Is(err, orm.ErrUnmapped) {
			t.Errorf("Select[*T]: %v", err)
		}
		var nilDB *orm.DB
		if _, err := orm.Select[qyHero](nilDB).All(ctx); err == nil {
			t.Error("Select on a nil DB succeeded")
		}
		var nilS *orm.Session
		if _, err := orm.Select[qyHero](nilS).First(ctx); err == nil {
			t.Error("Select on a nil Session succeeded")
		}
		s := orm.NewSession(rdb)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.Select[qyHero](s).All(ctx); !errors.Is(err, orm.ErrSessionClosed) {
			t.Errorf("Select on a closed session: %v", err)
		}
		qyWantNoSQL(t, rec, "invalid Select")
	})
}
