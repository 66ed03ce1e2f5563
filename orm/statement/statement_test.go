package statement_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/relations"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
	"github.com/sqlmodel-go/sqlmodel/orm/statement"
)

// update rewrites the golden file instead of comparing with it:
//
//	go test ./orm/statement/ -update
var update = flag.Bool("update", false, "rewrite testdata/<dialect>.sql")

type stTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Budget *float64                      `sqlmodel:"default=0"`
	Heroes relations.RelatedMany[stHero] `sqlmodel:"back_populates=Team,order_by=name"`
}

type stHero struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	TeamID  *int64                         `sqlmodel:"fk=st_team.id"`
	Version int64                          `sqlmodel:"version"`
	Team    relations.Lazy[stTeam]         `sqlmodel:"back_populates=Heroes"`
	Powers  relations.RelatedMany[stPower] `sqlmodel:"link=st_hero_power,order_by=name"`
}

type stPower struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

// stMembership has a composite key.
type stMembership struct {
	TeamID int64 `sqlmodel:"pk"`
	HeroID int64 `sqlmodel:"pk"`
	Role   string
}

func models(t *testing.T) map[string]*schema.Model {
	t.Helper()
	ms, err := schema.NewRegistry().Register(&stTeam{}, &stHero{}, &stPower{}, &stMembership{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*schema.Model{}
	for _, m := range ms {
		out[m.Table] = m
	}
	return out
}

func field(t *testing.T, m *schema.Model, name string) *schema.Field {
	t.Helper()
	f, ok := m.FieldByName(name)
	if !ok {
		t.Fatalf("%s has no field %s", m.Name, name)
	}
	return f
}

// TestGolden writes every statement kind for each dialect into
// testdata/<dialect>.sql, one per line after its label, and compares.
func TestGolden(t *testing.T) {
	ms := models(t)
	team, hero, member := ms["st_team"], ms["st_hero"], ms["st_membership"]
	name, teamID, version := field(t, hero, "name"), field(t, hero, "team_id"), hero.Version
	var powers *schema.Relation
	for _, r := range hero.Relations {
		if r.Name == "Powers" {
			powers = r
		}
	}
	var heroes *schema.Relation
	for _, r := range team.Relations {
		if r.Name == "Heroes" {
			heroes = r
		}
	}
	for _, d := range []dialect.Dialect{dialect.Postgres(), dialect.MySQL(), dialect.MariaDB(), dialect.SQLite()} {
		t.Run(d.Flavor(), func(t *testing.T) {
			var b strings.Builder
			add := func(label, q string) { b.WriteString("-- " + label + "\n" + q + "\n") }
			add("insert 2 rows", statement.Insert(d, hero.Table, []*schema.Field{name, teamID, version}, 2, "", nil))
			add("insert returning", statement.Insert(d, team.Table, []*schema.Field{field(t, team, "name")}, 1, "", []*schema.Field{team.PrimaryKey[0], field(t, team, "budget")}))
			conflict, err := dialect.OnConflict(d, team.Table, dialect.Conflict{Target: []string{"id"}, Update: []string{"name"}})
			if err != nil {
				t.Fatal(err)
			}
			add("upsert", statement.Insert(d, team.Table, team.Fields[:2], 1, conflict, nil))
			add("link rows ignoring duplicates", statement.InsertIgnoringDuplicates(d, powers.Link.Table(), powers.Link.Model.Fields, 2))
			add("update by key with version", statement.UpdateByKey(d, hero.Table, []*schema.Field{name, version}, []*schema.Field{hero.PrimaryKey[0], version}))
			add("batched update", statement.UpdateBatch(d, hero.Table, []*schema.Field{name, teamID}, hero.PrimaryKey, version, 2))
			add("batched update, composite key", statement.UpdateBatch(d, member.Table, []*schema.Field{field(t, member, "role")}, member.PrimaryKey, nil, 2))
			if d.Features().Has(dialect.UpdateFromValues) {
				add("batched update from values", statement.UpdateFromValues(d, hero.Table, []*schema.Field{name, teamID}, hero.PrimaryKey, version, 2))
				add("batched update from values, composite key", statement.UpdateFromValues(d, member.Table, []*schema.Field{field(t, member, "role")}, member.PrimaryKey, nil, 2))
			}
			add("set null", statement.SetNullWhereIn(d, hero.Table, []*schema.Field{teamID}, 3))
			add("delete", statement.Delete(d, hero.Table, []*schema.Field{hero.PrimaryKey[0], version}, 2))
			add("delete composite except", statement.DeleteExcept(d, member.Table, member.PrimaryKey[:1], 2, member.PrimaryKey, 1))
			add("select by key", statement.SelectByKey(d, hero.Table, hero.Fields, hero.PrimaryKey, ""))
			add("select in, ordered", statement.SelectIn(d, hero.Table, hero.Fields, []*schema.Field{teamID}, 2, heroes))
			add("select linked", statement.SelectLinked(d, powers, 2))
			golden(t, filepath.Join("testdata", d.Flavor()+".sql"), b.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./orm/statement/ -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (rerun with -update if intended)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// TestPlaceholdersMatchArguments checks that the placeholder count of each
// statement is the argument count its documentation promises.
func TestPlaceholdersMatchArguments(t *testing.T) {
	ms := models(t)
	hero, member := ms["st_hero"], ms["st_membership"]
	name := field(t, hero, "name")
	d := dialect.Postgres()
	for _, c := range []struct {
		q    string
		want int
	}{
		{statement.Insert(d, hero.Table, hero.Fields, 3, "", nil), 3 * len(hero.Fields)},
		{statement.UpdateByKey(d, hero.Table, []*schema.Field{name}, hero.PrimaryKey), 2},
		// per column, per row: key + value; per row: key (+ version).
		{statement.UpdateBatch(d, hero.Table, []*schema.Field{name}, hero.PrimaryKey, hero.Version, 4), 4*2 + 4*2},
		{statement.UpdateBatch(d, member.Table, member.Fields[2:], member.PrimaryKey, nil, 3), 3*3 + 3*2},
		// per row: key, values (+ old version).
		{statement.UpdateFromValues(d, hero.Table, []*schema.Field{name}, hero.PrimaryKey, hero.Version, 4), 4 * 3},
		{statement.UpdateFromValues(d, member.Table, member.Fields[2:], member.PrimaryKey, nil, 3), 3 * (2 + len(member.Fields[2:]))},
		{statement.Delete(d, member.Table, member.PrimaryKey, 5), 10},
		{statement.DeleteExcept(d, member.Table, member.PrimaryKey[:1], 2, member.PrimaryKey, 3), 2 + 6},
	} {
		if got := strings.Count(c.q, "$"); got != c.want {
			t.Errorf("%s: %d placeholders, want %d", c.q, got, c.want)
		}
	}
}
