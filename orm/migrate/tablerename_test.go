package migrate_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

type TrSquad struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=20,unique"`
}

func (TrSquad) TableName() string { return "tr_squad" }

type TrTeam struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=20,unique"`
}

func (TrTeam) TableName() string { return "tr_team" }

type TrHero struct {
	ID     int64  `sqlmodel:"pk"`
	Name   string `sqlmodel:"size=20,index"`
	TeamID int64  `sqlmodel:"fk=tr_squad.id,ondelete=cascade"`
}

func (TrHero) TableName() string { return "tr_hero" }

type TrMember struct {
	ID       int64  `sqlmodel:"pk"`
	FullName string `sqlmodel:"size=20,index,renamed_from=name"`
	TeamID   int64  `sqlmodel:"fk=tr_team.id,ondelete=cascade"`
}

func (TrMember) TableName() string { return "tr_member" }

func trRenames() []migrate.Option {
	return []migrate.Option{migrate.RenamedTable("tr_squad", "tr_team"), migrate.RenamedTable("tr_hero", "tr_member")}
}

// RenamedTable renames two tables, one referencing the other, and a column
// of the renamed table: the rows, the indexes and the foreign key (its
// action included) stay, and the key is still enforced.
func TestRenamedTable(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		sc := scenario{
			v1: []any{&TrSquad{}, &TrHero{}}, v2: []any{&TrTeam{}, &TrMember{}}, opts: trRenames(),
			seed: func(t *testing.T, s *orm.Session) {
				add(t, s, &TrSquad{ID: 1, Name: "a"}, &TrSquad{ID: 2, Name: "b"},
					&TrHero{ID: 10, Name: "Deadpond", TeamID: 1}, &TrHero{ID: 11, Name: "Rusty", TeamID: 2})
			},
			kinds: []migrate.Kind{migrate.RenameTable, migrate.RenameColumn},
			check: func(t *testing.T, cat *migrate.Catalog) {
				if cat.Table("tr_squad") != nil || cat.Table("tr_hero") != nil {
					t.Errorf("a former table is still there: %v", cat.Tables)
				}
				if !hasIndex(cat, "tr_team", true, "name") || !hasIndex(cat, "tr_member", false, "full_name") {
					t.Errorf("indexes: %+v %+v", cat.Table("tr_team").Indexes, cat.Table("tr_member").Indexes)
				}
				fks := cat.Table("tr_member").ForeignKeys
				if len(fks) != 1 || fks[0].RefTable != "tr_team" || fks[0].OnDelete != "CASCADE" {
					t.Errorf("foreign keys: %+v", fks)
				}
			},
			rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
				if m := get[TrMember](t, ctx, db, int64(10)); m.FullName != "Deadpond" || m.TeamID != 1 {
					t.Errorf("renamed row: %+v", m)
				}
				if tm := get[TrTeam](t, ctx, db, int64(2)); tm.Name != "b" {
					t.Errorf("renamed row: %+v", tm)
				}
				save(t, ctx, db, &TrTeam{ID: 3, Name: "c"}, &TrMember{ID: 12, FullName: "Snow", TeamID: 3})
				s := orm.NewSession(db)
				defer s.Close()
				if err := s.Add(&TrMember{ID: 13, FullName: "Nobody", TeamID: 99}); err != nil {
					t.Fatal(err)
				}
				if err := s.Commit(ctx); err == nil {
					t.Error("a member of a missing team was saved: the foreign key is gone")
				}
				if _, err := db.SQL().ExecContext(ctx, "DELETE FROM tr_team WHERE id = 2"); err != nil {
					t.Fatal(err)
				}
				if n := count(t, db, "SELECT COUNT(*) FROM tr_member"); n != 2 {
					t.Errorf("tr_member rows after deleting team 2: %d, want 2 (ON DELETE CASCADE kept)", n)
				}
			},
		}
		sc.run(t, db)
	})
}

// The option is an error when it cannot be applied as said; where the
// rename is done, or the database is new, it changes nothing.
func TestRenamedTableErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		v2 := []any{&TrTeam{}, &TrMember{}}
		if err := migrate.Auto(ctx, version(t, db), v2, trRenames()...); err != nil {
			t.Fatalf("Auto on a new database with the option: %v", err)
		}
		mustEmpty(t, version(t, db), v2...)
		if ch, err := migrate.PlanWith(ctx, version(t, db), trRenames(), v2...); err != nil || !ch.Empty() {
			t.Fatalf("PlanWith once the tables have their new names: %v\n%s", err, ch)
		}
		for _, c := range []struct {
			opt    migrate.Option
			models []any
			want   string
		}{
			{migrate.RenamedTable("tr_gone", "tr_elsewhere"), v2, `no model maps table "tr_elsewhere"`},
			{migrate.RenamedTable("tr_team", "tr_member"), v2, `a model still maps table "tr_team"`},
			{migrate.RenamedTable("tr_x", "tr_x"), v2, "two different, non-empty names"},
		} {
			if _, err := migrate.PlanWith(ctx, version(t, db), []migrate.Option{c.opt}, c.models...); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("PlanWith: %v, want an error naming %q", err, c.want)
			}
		}
		if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE tr_squad (id INTEGER NOT NULL PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		err := migrate.Auto(ctx, version(t, db), v2, append(trRenames(), migrate.AllowDestructive())...)
		if err == nil || !strings.Contains(err.Error(), `RenamedTable("tr_squad", "tr_team"): the database has both tables`) {
			t.Errorf("Auto with both tables present: %v, want an error naming them", err)
		}
		if cat, err := migrate.Inspect(ctx, db); err != nil || cat.Table("tr_squad") == nil {
			t.Errorf("the refused Auto changed the schema: %v", err)
		}
	})
}

// GenerateWith writes the rename into a file whose Down renames back.
func TestGenerateRenamedTable(t *testing.T) {
	eachDB(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		db1, db2 := version(t, db), version(t, db)
		if err := migrate.Auto(ctx, db1, []any{&TrSquad{}, &TrHero{}}); err != nil {
			t.Fatal(err)
		}
		save(t, ctx, db1, &TrSquad{ID: 1, Name: "a"})
		p, err := migrate.GenerateWith(ctx, db2, dir, "rename", trRenames(), &TrTeam{}, &TrMember{})
		if err != nil {
			t.Fatal(err)
		}
		text := string(must(os.ReadFile(p)))
		if strings.Contains(text, "DROP TABLE") || strings.Contains(text, "not reversed") {
			t.Errorf("generated file:\n%s", text)
		}
		if _, err := migrate.Up(ctx, db, os.DirFS(dir)); err != nil {
			t.Fatalf("Up: %v\n%s", err, text)
		}
		mustEmpty(t, db2, &TrTeam{}, &TrMember{})
		if tm := get[TrTeam](t, ctx, db2, int64(1)); tm.Name != "a" {
			t.Errorf("row after Up: %+v", tm)
		}
		if err := migrate.Down(ctx, db, os.DirFS(dir), 1); err != nil {
			t.Fatalf("Down: %v\n%s", err, text)
		}
		mustEmpty(t, db1, &TrSquad{}, &TrHero{})
		if sq := get[TrSquad](t, ctx, db1, int64(1)); sq.Name != "a" {
			t.Errorf("row after Down: %+v", sq)
		}
	})
}
