package orm_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Delete cascades (issue 6 item 4, DESIGN §3 and §5.10): cascade_delete,
// passive_deletes with ON DELETE rules, delete_orphan, NULLing the nullable
// foreign keys of children without cascade, refusing (atomically) to leave
// NOT NULL children behind, and the link rows of deleted many-to-many ends.

// ---- models ----

// Country -> City -> Street, each one-to-many with cascade_delete, through
// NOT NULL foreign keys without ON DELETE.
type rwCountry struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Cities orm.RelatedMany[rwCity] `sqlmodel:"back_populates=Country,cascade_delete"`
}

func (rwCountry) TableName() string { return "rw_country" }

type rwCity struct {
	ID        int64 `sqlmodel:"pk"`
	Name      string
	CountryID int64                     `sqlmodel:"fk=rw_country.id"`
	Country   orm.Lazy[rwCountry]       `sqlmodel:"fk=CountryID,back_populates=Cities"`
	Streets   orm.RelatedMany[rwStreet] `sqlmodel:"cascade_delete"`
}

func (rwCity) TableName() string { return "rw_city" }

type rwStreet struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	CityID int64 `sqlmodel:"fk=rw_city.id"`
}

func (rwStreet) TableName() string { return "rw_street" }

// rwMonument references a country through a NOT NULL key that no relation
// of rwCountry knows: deleting a country with monuments fails.
type rwMonument struct {
	ID        int64 `sqlmodel:"pk"`
	Name      string
	CountryID int64 `sqlmodel:"fk=rw_country.id"`
}

func (rwMonument) TableName() string { return "rw_monument" }

func rwCountryOf(c *rwCity) *orm.Lazy[rwCountry]       { return &c.Country }
func rwCitiesOf(c *rwCountry) *orm.RelatedMany[rwCity] { return &c.Cities }

func rwCascadeModels() []any { return []any{&rwCountry{}, &rwCity{}, &rwStreet{}} }

// rwGuild's members are deleted by the database (ON DELETE CASCADE).
type rwGuild struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	Members orm.RelatedMany[rwMember] `sqlmodel:"cascade_delete,passive_deletes"`
}

func (rwGuild) TableName() string { return "rw_guild" }

type rwMember struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	GuildID int64 `sqlmodel:"fk=rw_guild.id,ondelete=cascade"`
}

func (rwMember) TableName() string { return "rw_member" }

// rwOrder deletes the lines removed from its collection.
type rwOrder struct {
	ID    int64 `sqlmodel:"pk"`
	Name  string
	Lines orm.RelatedMany[rwLine] `sqlmodel:"back_populates=Order,delete_orphan"`
}

func (rwOrder) TableName() string { return "rw_order" }

type rwLine struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	OrderID *int64            `sqlmodel:"fk=rw_order.id"`
	Order   orm.Lazy[rwOrder] `sqlmodel:"fk=OrderID,back_populates=Lines"`
}

func (rwLine) TableName() string { return "rw_line" }

func rwOrderOf(l *rwLine) *orm.Lazy[rwOrder]        { return &l.Order }
func rwLinesOf(o *rwOrder) *orm.RelatedMany[rwLine] { return &o.Lines }

// rwClub's fans have a nullable key without cascade and without ON DELETE:
// deleting the club sets it NULL.
type rwClub struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	Fans orm.RelatedMany[rwFan]
}

func (rwClub) TableName() string { return "rw_club" }

type rwFan struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	ClubID *int64           `sqlmodel:"fk=rw_club.id"`
	Club   orm.Lazy[rwClub] `sqlmodel:"fk=ClubID"`
}

func (rwFan) TableName() string { return "rw_fan" }

func rwFansOf(c *rwClub) *orm.RelatedMany[rwFan] { return &c.Fans }
func rwClubOf(f *rwFan) *orm.Lazy[rwClub]        { return &f.Club }

// rwVault's gems have a NOT NULL key without cascade: deleting a vault that
// still has gems fails.
type rwVault struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	Gems orm.RelatedMany[rwGem]
}

func (rwVault) TableName() string { return "rw_vault" }

type rwGem struct {
	ID      int64 `sqlmodel:"pk"`
	Name    string
	VaultID int64 `sqlmodel:"fk=rw_vault.id"`
}

func (rwGem) TableName() string { return "rw_gem" }

// rwSeed writes objs (and what their loaded relations hold) with one Commit
// in a session of its own.
func rwSeed(t *testing.T, db *orm.DB, objs ...any) {
	t.Helper()
	// Without ExpireOnCommit the seeded objects keep their keys and loaded
	// relations readable after the commit.
	cfg := orm.DefaultSessionConfig()
	cfg.ExpireOnCommit = false
	s := orm.NewSessionWithConfig(db, cfg)
	defer s.Close()
	rwOK(t, s.AddAll(objs...), "seed AddAll")
	rwOK(t, s.Commit(rwCtx(t)), "seed Commit")
}

// rwSeedGeography writes France (Paris: Rivoli, Montmartre; Lyon:
// Bellecour) and Spain (Madrid: Gran Via) through the collections only.
func rwSeedGeography(t *testing.T, db *orm.DB) (france, spain *rwCountry) {
	t.Helper()
	paris := &rwCity{Name: "Paris"}
	paris.Streets.Set([]*rwStreet{{Name: "Rivoli"}, {Name: "Montmartre"}})
	lyon := &rwCity{Name: "Lyon"}
	lyon.Streets.Set([]*rwStreet{{Name: "Bellecour"}})
	madrid := &rwCity{Name: "Madrid"}
	madrid.Streets.Set([]*rwStreet{{Name: "Gran Via"}})
	france = &rwCountry{Name: "France"}
	france.Cities.Set([]*rwCity{paris, lyon})
	spain = &rwCountry{Name: "Spain"}
	spain.Cities.Set([]*rwCity{madrid})
	rwSeed(t, db, france, spain)
	return france, spain
}

// rwGeography dumps the three tables as names with their parent's name.
func rwGeography(t *testing.T, db *orm.DB) []string {
	t.Helper()
	var out []string
	out = append(out, rwRows(t, db, `SELECT 'country', "name", '' FROM "rw_country"`)...)
	out = append(out, rwRows(t, db, `SELECT 'city', "c"."name", "k"."name" FROM "rw_city" "c" JOIN "rw_country" "k" ON "k"."id" = "c"."country_id"`)...)
	out = append(out, rwRows(t, db, `SELECT 'street', "s"."name", "c"."name" FROM "rw_street" "s" JOIN "rw_city" "c" ON "c"."id" = "s"."city_id"`)...)
	return out
}

// rwIndexOf is the position of the first statement of kind k, -1 if none.
func rwIndexOf(kinds []string, k string) int { return slices.Index(kinds, k) }

// ---- tests ----

// cascade_delete three levels deep, children not loaded: the flush loads
// each unloaded level with a SELECT, deletes streets, then cities, then the
// country, and every object it deleted is detached.
func TestRwCascadeDeleteThreeLevels(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwCascadeModels()...)
		france, spain := rwSeedGeography(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		fr := rwGet[rwCountry](t, s, france.ID)
		if fr.Cities.IsLoaded() {
			t.Fatal("cities loaded by Get")
		}
		rec.Reset()
		rwOK(t, s.Delete(fr), "Delete")
		rwOK(t, s.Flush(ctx), "Flush")
		rwStatements(t, rec, "SELECT rw_city", "SELECT rw_street", "DELETE rw_street", "DELETE rw_city", "DELETE rw_country")
		data := rwData(rec)
		// One SELECT per level (the streets of both cities in one IN), one
		// DELETE per table: 3 streets, 2 cities, 1 country.
		if want := rwQ(db, `SELECT "id", "name", "city_id" FROM "rw_street" WHERE "city_id" IN (?, ?)`); data[1].Query != want {
			t.Fatalf("streets load:\n got  %s\n want %s", data[1].Query, want)
		}
		if want := rwQ(db, `DELETE FROM "rw_street" WHERE "id" IN (?, ?, ?)`); data[2].Query != want {
			t.Fatalf("streets delete:\n got  %s\n want %s", data[2].Query, want)
		}
		for i, want := range map[int]int{2: 3, 3: 2, 4: 1} {
			if got := len(data[i].Args); got != want {
				t.Errorf("%s: %d keys, want %d", data[i].Query, got, want)
			}
		}

		// The cascade loaded the collections; everything it deleted is
		// detached.
		cities := fr.Cities.Items()
		rwEqual(t, "loaded cities", rwNames(cities, func(c *rwCity) string { return c.Name }), []string{"Paris", "Lyon"})
		rwState(t, s, fr, orm.StateDetached, "France")
		for _, c := range cities {
			rwState(t, s, c, orm.StateDetached, c.Name)
			for _, st := range c.Streets.Items() {
				rwState(t, s, st, orm.StateDetached, st.Name)
			}
		}
		if n := cities[0].Streets.Len() + cities[1].Streets.Len(); n != 3 {
			t.Fatalf("%d streets loaded by the cascade, want 3", n)
		}
		if s.PendingDeleteCount() != 0 || s.TrackedCount() != 0 {
			t.Fatalf("after the flush: %d pending deletes, %d tracked", s.PendingDeleteCount(), s.TrackedCount())
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "rows left", rwGeography(t, db), []string{"country|Spain|", "city|Madrid|Spain", "street|Gran Via|Madrid"})
		_ = spain
	})
}

// cascade_delete with children already loaded: no SELECT, the same
// children-first DELETEs.
func TestRwCascadeDeleteLoadedChildren(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwCascadeModels()...)
		france, _ := rwSeedGeography(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		fr := rwGet[rwCountry](t, s, france.ID)
		rwOK(t, orm.Preload(ctx, s, []*rwCountry{fr}, "Cities.Streets"), "Preload")
		rec.Reset()
		rwOK(t, s.Delete(fr), "Delete")
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "DELETE rw_street", "DELETE rw_city", "DELETE rw_country")
		rwEqual(t, "rows left", rwGeography(t, db), []string{"country|Spain|", "city|Madrid|Spain", "street|Gran Via|Madrid"})
	})
}

// passive_deletes with the database's ON DELETE CASCADE: only the parent
// DELETE is sent; the loaded children leave the session.
func TestRwPassiveDeletesOnDeleteCascade(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &rwGuild{}, &rwMember{})
		g1 := &rwGuild{Name: "Avengers"}
		g1.Members.Set([]*rwMember{{Name: "Thor"}, {Name: "Hulk"}})
		g2 := &rwGuild{Name: "X-Men"}
		g2.Members.Set([]*rwMember{{Name: "Storm"}})
		g3 := &rwGuild{Name: "Defenders"}
		g3.Members.Set([]*rwMember{{Name: "Luke"}})
		rwSeed(t, db, g1, g2, g3)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		// Avengers with its members loaded, Defenders without; Luke, a
		// Defender, is tracked through a query.
		av := rwGet[rwGuild](t, s, g1.ID)
		de := rwGet[rwGuild](t, s, g3.ID)
		luke, err := orm.Select[rwMember](s).Where("name = ?", "Luke").One(ctx)
		rwOK(t, err, "select Luke")
		_, err = orm.LoadOneToMany(ctx, s, []*rwGuild{av}, func(g *rwGuild) *orm.RelatedMany[rwMember] { return &g.Members })
		rwOK(t, err, "LoadOneToMany")
		members := av.Members.Items()
		if len(members) != 2 {
			t.Fatalf("%d members loaded", len(members))
		}
		rec.Reset()
		rwOK(t, s.Delete(av), "Delete Avengers")
		rwOK(t, s.Delete(de), "Delete Defenders")
		rwOK(t, s.Flush(ctx), "Flush")
		rwStatements(t, rec, "DELETE rw_guild")
		if got := len(rwData(rec)[0].Args); got != 2 {
			t.Fatalf("guild DELETE with %d keys, want 2", got)
		}
		for _, m := range append(members, luke) {
			rwState(t, s, m, orm.StateDetached, m.Name)
		}
		rwState(t, s, av, orm.StateDetached, "Avengers")
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "members left", rwRows(t, db, `SELECT "name" FROM "rw_member"`), []string{"Storm"})
		rwEqual(t, "guilds left", rwRows(t, db, `SELECT "name" FROM "rw_guild"`), []string{"X-Men"})
	})
}

// ON DELETE SET NULL on the child's key, no cascade on the relation: only
// the parent DELETE is sent; loaded children are expired and reload with
// team_id NULL.
func TestRwOnDeleteSetNull(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		pre := rwGet[rwTeam](t, s, w.preventers)
		_, err := orm.LoadOneToMany(ctx, s, []*rwTeam{pre}, rwHeroesOfTeam)
		rwOK(t, err, "LoadOneToMany")
		heroes := pre.Heroes.Items()
		rwEqual(t, "Preventers", rwHeroNames(heroes), []string{"Rusty-Man", "Tarantula"})
		_, err = orm.LoadMany(ctx, s, heroes, rwTeamOf)
		rwOK(t, err, "LoadMany")
		// Z-Force's collection is not loaded, but Deadpond is tracked.
		z := rwGet[rwTeam](t, s, w.zforce)
		dp := rwGet[rwHero](t, s, w.deadpond)
		rec.Reset()
		rwOK(t, s.Delete(pre), "Delete")
		rwOK(t, s.Delete(z), "Delete")
		rwOK(t, s.Flush(ctx), "Flush")
		rwStatements(t, rec, "DELETE rw_team")
		if n := len(rwData(rec)[0].Args); n != 2 {
			t.Fatalf("team DELETE with %d keys, want 2", n)
		}
		if !s.IsExpired(dp) {
			t.Fatal("Deadpond (tracked, not in a loaded collection) is not expired after his team was deleted")
		}
		for _, h := range heroes {
			if !s.IsExpired(h) {
				t.Fatalf("%s is not expired after its team was deleted", h.Name)
			}
			if h.Team.IsLoaded() {
				t.Fatalf("%s's Team is still loaded (the deleted team) after ON DELETE SET NULL", h.Name)
			}
		}
		rec.Reset()
		rm, err := orm.Get[rwHero](ctx, s, w.rusty)
		rwOK(t, err, "Get")
		if rm != heroes[0] && rm != heroes[1] {
			t.Fatal("Get returned another instance")
		}
		if rm.TeamID != nil {
			t.Fatalf("team_id after reload = %d, want NULL", *rm.TeamID)
		}
		if ok, err := orm.LoadLazy(ctx, s, &rm.Team); err != nil || ok {
			t.Fatalf("LoadLazy after reload: %v, %v; want no team", ok, err)
		}
		rwStatements(t, rec, "SELECT rw_hero")
		rwOK(t, orm.Refresh(ctx, s, dp), "Refresh")
		if dp.TeamID != nil {
			t.Fatalf("Deadpond's team_id after reload = %d, want NULL", *dp.TeamID)
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "db", rwRows(t, db, `SELECT "name", "team_id" FROM "rw_hero"`),
			[]string{"Deadpond|NULL", "Rusty-Man|NULL", "Spider-Boy|NULL", "Tarantula|NULL"})
		rwEqual(t, "teams", rwRows(t, db, `SELECT "name" FROM "rw_team"`), nil)
	})
}

// delete_orphan: a line taken out of its order's loaded collection (by
// UnrelateFromOne, through back_populates) is deleted by the flush; a line
// moved to another order is not an orphan.
func TestRwDeleteOrphan(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &rwOrder{}, &rwLine{})
		o1 := &rwOrder{Name: "first"}
		o1.Lines.Set([]*rwLine{{Name: "apple"}, {Name: "pear"}, {Name: "plum"}})
		o2 := &rwOrder{Name: "second"}
		rwSeed(t, db, o1, o2)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		first := rwGet[rwOrder](t, s, o1.ID)
		second := rwGet[rwOrder](t, s, o2.ID)
		_, err := orm.LoadOneToMany(ctx, s, []*rwOrder{first, second}, rwLinesOf)
		rwOK(t, err, "LoadOneToMany")
		lines := first.Lines.Items()
		var pear, plum *rwLine
		for _, l := range lines {
			switch l.Name {
			case "pear":
				pear = l
			case "plum":
				plum = l
			}
		}
		rec.Reset()
		rwOK(t, orm.UnrelateFromOne(s, pear, rwOrderOf), "UnrelateFromOne")
		rwEqual(t, "first's lines", rwNames(first.Lines.Items(), func(l *rwLine) string { return l.Name }), []string{"apple", "plum"})
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "DELETE rw_line")
		if ev := rwData(rec)[0]; fmt.Sprint(ev.Args) != fmt.Sprint([]any{pear.ID}) {
			t.Fatalf("DELETE args %v, want [%d]", ev.Args, pear.ID)
		}
		rwState(t, s, pear, orm.StateDetached, "orphan")
		rwEqual(t, "lines", rwRows(t, db, `SELECT "name" FROM "rw_line"`), []string{"apple", "plum"})

		// The commit unloaded the collections (ExpireOnCommit): load
		// them again. Moving plum to the second order re-parents it: one
		// UPDATE.
		if first.Lines.IsLoaded() || second.Lines.IsLoaded() {
			t.Fatal("collections still loaded after a commit with ExpireOnCommit")
		}
		_, err = orm.LoadOneToMany(ctx, s, []*rwOrder{first, second}, rwLinesOf)
		rwOK(t, err, "LoadOneToMany again")
		rec.Reset()
		rwOK(t, orm.RelateToOne(s, plum, rwOrderOf, second), "RelateToOne")
		if !s.IsModified(plum) {
			t.Fatal("moved line not modified")
		}
		rwEqual(t, "first's lines", rwNames(first.Lines.Items(), func(l *rwLine) string { return l.Name }), []string{"apple"})
		rwEqual(t, "second's lines", rwNames(second.Lines.Items(), func(l *rwLine) string { return l.Name }), []string{"plum"})
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "UPDATE rw_line")
		rwState(t, s, plum, orm.StateExpired, "moved line")
		rwEqual(t, "lines", rwRows(t, db, `SELECT "l"."name", "o"."name" FROM "rw_line" "l" JOIN "rw_order" "o" ON "o"."id" = "l"."order_id"`),
			[]string{"apple|first", "plum|second"})

		// Replacing the collection drops apple, whose key still points at
		// the first order: an orphan too.
		_, err = orm.LoadOneToMany(ctx, s, []*rwOrder{first}, rwLinesOf)
		rwOK(t, err, "LoadOneToMany after commit")
		apple := first.Lines.Items()[0]
		rec.Reset()
		first.Lines.Set(nil)
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "DELETE rw_line")
		rwState(t, s, apple, orm.StateDetached, "apple")
		rwEqual(t, "lines", rwRows(t, db, `SELECT "name" FROM "rw_line"`), []string{"plum"})
	})
}

// A nullable foreign key without cascade and without ON DELETE: deleting
// the parent sets the children's key NULL with one UPDATE ... WHERE fk IN
// (...) before the parent's DELETE; the children stay.
func TestRwNullifyNullableForeignKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &rwClub{}, &rwFan{})
		c1 := &rwClub{Name: "Arsenal"}
		c1.Fans.Set([]*rwFan{{Name: "Ann"}, {Name: "Bob"}})
		c2 := &rwClub{Name: "Chelsea"}
		c2.Fans.Set([]*rwFan{{Name: "Cid"}})
		c3 := &rwClub{Name: "Everton"}
		c3.Fans.Set([]*rwFan{{Name: "Dan"}})
		rwSeed(t, db, c1, c2, c3)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		ars := rwGet[rwClub](t, s, c1.ID)
		eve := rwGet[rwClub](t, s, c3.ID)
		rec.Reset()
		rwOK(t, s.Delete(ars), "Delete")
		rwOK(t, s.Delete(eve), "Delete")
		rwOK(t, s.Flush(ctx), "Flush")
		rwStatements(t, rec, "UPDATE rw_fan", "DELETE rw_club")
		ev := rwData(rec)[0]
		if want := rwQ(db, `UPDATE "rw_fan" SET "club_id" = NULL WHERE "club_id" IN (?, ?)`); ev.Query != want {
			t.Fatalf("nullify:\n got  %s\n want %s", ev.Query, want)
		}
		if fmt.Sprint(ev.Args) != fmt.Sprint([]any{c1.ID, c3.ID}) {
			t.Fatalf("nullify args %v", ev.Args)
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "fans", rwRows(t, db, `SELECT "f"."name", "c"."name" FROM "rw_fan" "f" LEFT JOIN "rw_club" "c" ON "c"."id" = "f"."club_id"`),
			[]string{"Ann|NULL", "Bob|NULL", "Cid|Chelsea", "Dan|NULL"})
	})
}

// The same with the children loaded: they let go of the parent in memory
// too (key NULL, Lazy loaded as nil), and the database agrees. A failed
// flush puts the keys and the Lazy back.
func TestRwNullifyLoadedChildren(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &rwClub{}, &rwFan{})
		c1 := &rwClub{Name: "Arsenal"}
		c1.Fans.Set([]*rwFan{{Name: "Ann"}, {Name: "Bob"}})
		c2 := &rwClub{Name: "Chelsea"}
		c2.Fans.Set([]*rwFan{{Name: "Cid"}})
		rwSeed(t, db, c1, c2)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		ars := rwGet[rwClub](t, s, c1.ID)
		_, err := orm.LoadOneToMany(ctx, s, []*rwClub{ars}, rwFansOf)
		rwOK(t, err, "LoadOneToMany")
		fans := ars.Fans.Items()
		_, err = orm.LoadMany(ctx, s, fans, rwClubOf)
		rwOK(t, err, "LoadMany")
		rwOK(t, s.Delete(ars), "Delete")

		// First a flush that fails (a fan whose key is taken).
		dup := &rwFan{ID: c2.Fans.Items()[0].ID, Name: "dup"}
		rwOK(t, s.Add(dup), "Add dup")
		if err := s.Flush(ctx); !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("Flush: %v, want ErrUniqueViolation", err)
		}
		for _, f := range fans {
			c, ok := f.Club.Get()
			if f.ClubID == nil || *f.ClubID != c1.ID || !ok || c != ars || s.IsModified(f) {
				t.Fatalf("%s after the failed flush: club_id %v, Club %v %v, modified %v", f.Name, f.ClubID, c, ok, s.ModifiedAttributes(f))
			}
		}
		rwState(t, s, ars, orm.StateDeleted, "Arsenal after the failed flush")
		rwOK(t, s.Expunge(dup), "Expunge")

		rec.Reset()
		rwOK(t, s.Flush(ctx), "Flush")
		// The bulk NULL (after the loaded fans' own UPDATEs), then the
		// club.
		kinds := rwKinds(rec)
		data := rwData(rec)
		if len(data) < 2 || kinds[len(kinds)-1] != "DELETE rw_club" ||
			data[len(data)-2].Query != rwQ(db, `UPDATE "rw_fan" SET "club_id" = NULL WHERE "club_id" IN (?)`) {
			t.Fatalf("statements:\n%s", rec.Dump())
		}
		for _, f := range fans {
			if f.ClubID != nil {
				t.Fatalf("%s still points at club %d", f.Name, *f.ClubID)
			}
			if c, ok := f.Club.Get(); c != nil || !ok {
				t.Fatalf("%s: Club = %v, %v; want loaded nil", f.Name, c, ok)
			}
			if s.IsModified(f) {
				t.Fatalf("%s is modified after the flush: %v", f.Name, s.ModifiedAttributes(f))
			}
			rwState(t, s, f, orm.StatePersistent, f.Name)
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "fans", rwRows(t, db, `SELECT "name", "club_id" FROM "rw_fan"`), []string{"Ann|NULL", "Bob|NULL", "Cid|" + fmt.Sprint(c2.ID)})
		t.Logf("statements: %q", kinds)
	})
}

// A tracked child that no loaded collection holds lets go of the deleted
// parent in memory as well: its key is NULL after the flush and it is not
// left dirty.
func TestRwNullifyTrackedChildNotInCollection(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &rwClub{}, &rwFan{})
		c1 := &rwClub{Name: "Arsenal"}
		c1.Fans.Set([]*rwFan{{Name: "Ann"}, {Name: "Bob"}})
		rwSeed(t, db, c1)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		ars := rwGet[rwClub](t, s, c1.ID)
		ann, err := orm.Select[rwFan](s).Where("name = ?", "Ann").One(ctx)
		rwOK(t, err, "select Ann")
		rec.Reset()
		rwOK(t, s.Delete(ars), "Delete")
		rwOK(t, s.Flush(ctx), "Flush")
		rwStatements(t, rec, "UPDATE rw_fan", "UPDATE rw_fan", "DELETE rw_club")
		if ann.ClubID != nil || s.IsModified(ann) {
			t.Fatalf("Ann after the flush: club_id %v, modified %v", ann.ClubID, s.ModifiedAttributes(ann))
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "fans", rwRows(t, db, `SELECT "name", "club_id" FROM "rw_fan"`), []string{"Ann|NULL", "Bob|NULL"})
	})
}

// A loaded child whose key the caller pointed at another parent before the
// old parent is deleted keeps its new parent: only the children still
// referencing the deleted parent are set NULL.
func TestRwNullifyKeepsRepointedChild(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &rwClub{}, &rwFan{})
		c1 := &rwClub{Name: "Arsenal"}
		c1.Fans.Set([]*rwFan{{Name: "Ann"}, {Name: "Bob"}})
		c2 := &rwClub{Name: "Chelsea"}
		rwSeed(t, db, c1, c2)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		ars := rwGet[rwClub](t, s, c1.ID)
		_, err := orm.LoadOneToMany(ctx, s, []*rwClub{ars}, rwFansOf)
		rwOK(t, err, "LoadOneToMany")
		var ann, bob *rwFan
		for _, f := range ars.Fans.Items() {
			if f.Name == "Ann" {
				ann = f
			} else {
				bob = f
			}
		}
		chelsea := c2.ID
		ann.ClubID = &chelsea
		rec.Reset()
		rwOK(t, s.Delete(ars), "Delete")
		rwOK(t, s.Commit(ctx), "Commit")
		if ann.ClubID == nil || *ann.ClubID != chelsea {
			t.Fatalf("Ann's club = %v, want %d", ann.ClubID, chelsea)
		}
		if bob.ClubID != nil {
			t.Fatalf("Bob's club = %d, want NULL", *bob.ClubID)
		}
		rwEqual(t, "fans", rwRows(t, db, `SELECT "f"."name", "c"."name" FROM "rw_fan" "f" LEFT JOIN "rw_club" "c" ON "c"."id" = "f"."club_id"`),
			[]string{"Ann|Chelsea", "Bob|NULL"})
		kinds := rwKinds(rec)
		if kinds[len(kinds)-1] != "DELETE rw_club" {
			t.Fatalf("statements %q", kinds)
		}
	})
}

// A NOT NULL foreign key without cascade: the flush fails with
// ErrForeignKeyViolation, nothing is deleted (other deletes of the flush
// included) and the session is as before.
func TestRwNotNullForeignKeyWithoutCascadeFails(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &rwVault{}, &rwGem{})
		v1 := &rwVault{Name: "Fort Knox"}
		v1.Gems.Set([]*rwGem{{Name: "ruby"}, {Name: "opal"}})
		v2 := &rwVault{Name: "Gringotts"}
		v2.Gems.Set([]*rwGem{{Name: "jade"}})
		v3 := &rwVault{Name: "empty"}
		rwSeed(t, db, v1, v2, v3)
		dumpV, dumpG := rwDump(t, db, "rw_vault"), rwDump(t, db, "rw_gem")
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		knox := rwGet[rwVault](t, s, v1.ID)
		empty := rwGet[rwVault](t, s, v3.ID)
		jade := rwGet[rwGem](t, s, v2.Gems.Items()[0].ID)
		_, err := orm.LoadOneToMany(ctx, s, []*rwVault{knox}, func(v *rwVault) *orm.RelatedMany[rwGem] { return &v.Gems })
		rwOK(t, err, "LoadOneToMany")
		gems := knox.Gems.Items()
		rwOK(t, s.Delete(knox), "Delete Fort Knox")
		rwOK(t, s.Delete(empty), "Delete empty")
		rwOK(t, s.Delete(jade), "Delete jade")
		before := s.DebugState()
		rec.Reset()
		err = s.Flush(ctx)
		if !errors.Is(err, orm.ErrForeignKeyViolation) {
			t.Fatalf("Flush: %v, want ErrForeignKeyViolation\n%s", err, rec.Dump())
		}
		kinds := rwKinds(rec)
		if rwIndexOf(kinds, "UPDATE rw_gem") >= 0 {
			t.Fatalf("a NOT NULL key was nullified: %q", kinds)
		}
		rwEqual(t, "vaults", rwDump(t, db, "rw_vault"), dumpV)
		rwEqual(t, "gems", rwDump(t, db, "rw_gem"), dumpG)
		for _, o := range []any{knox, empty, jade} {
			rwState(t, s, o, orm.StateDeleted, fmt.Sprintf("%T", o))
		}
		for _, g := range gems {
			rwState(t, s, g, orm.StatePersistent, g.Name)
			if g.VaultID != knox.ID || s.IsModified(g) {
				t.Fatalf("%s changed: vault %d, modified %v", g.Name, g.VaultID, s.ModifiedAttributes(g))
			}
		}
		if n := s.PendingDeleteCount(); n != 3 {
			t.Fatalf("PendingDeleteCount = %d, want 3", n)
		}
		if after := s.DebugState(); after != before {
			t.Fatalf("session changed by the failed flush:\n before %s\n after  %s", before, after)
		}
		// Fixing the cause: the flush goes through.
		for _, g := range gems {
			rwOK(t, s.Delete(g), "Delete gem")
		}
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "vaults", rwRows(t, db, `SELECT "name" FROM "rw_vault"`), []string{"Gringotts"})
		if n := rwCount(t, db, "rw_gem"); n != 0 {
			t.Fatalf("%d gems left", n)
		}
	})
}

// Deleting either end of a many-to-many deletes its link rows (in every
// link table, link_model included) before the end's own DELETE.
func TestRwDeleteManyToManyEnd(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rwSeed(t, db, &rwHeroTraining{HeroID: w.rusty, PowerID: w.flight, IsTraining: true},
			&rwHeroTraining{HeroID: w.spider, PowerID: w.web})
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		// The hero's end.
		rm := rwGet[rwHero](t, s, w.rusty)
		rec.Reset()
		rwOK(t, s.Delete(rm), "Delete hero")
		rwOK(t, s.Commit(ctx), "Commit")
		kinds := rwKinds(rec)
		rwEqual(t, "statements", slices.Sorted(slices.Values(kinds)), []string{"DELETE rw_hero", "DELETE rw_hero_power", "DELETE rw_hero_training"})
		if kinds[len(kinds)-1] != "DELETE rw_hero" {
			t.Fatalf("the hero is deleted before its link rows: %q", kinds)
		}
		for _, ev := range rwData(rec) {
			if rwKind(ev.Query) == "DELETE rw_hero_power" {
				if want := rwQ(db, `DELETE FROM "rw_hero_power" WHERE "rw_hero_id" IN (?)`); ev.Query != want {
					t.Fatalf("link delete:\n got  %s\n want %s", ev.Query, want)
				}
			}
		}
		rwEqual(t, "links", rwHeroPowers(t, db), []string{"Deadpond|Regeneration", "Spider-Boy|Web"})
		rwEqual(t, "trainings", rwTrainings(t, db), []string{"Spider-Boy|Web|0"})

		// The power's end.
		wb := rwGet[rwPower](t, s, w.web)
		rec.Reset()
		rwOK(t, s.Delete(wb), "Delete power")
		rwOK(t, s.Commit(ctx), "Commit")
		kinds = rwKinds(rec)
		rwEqual(t, "statements", slices.Sorted(slices.Values(kinds)), []string{"DELETE rw_hero_power", "DELETE rw_hero_training", "DELETE rw_power"})
		if kinds[len(kinds)-1] != "DELETE rw_power" {
			t.Fatalf("the power is deleted before its link rows: %q", kinds)
		}
		rwEqual(t, "links", rwHeroPowers(t, db), []string{"Deadpond|Regeneration"})
		rwEqual(t, "trainings", rwTrainings(t, db), nil)
		rwEqual(t, "powers", rwRows(t, db, `SELECT "name" FROM "rw_power"`), []string{"Flight", "Regeneration", "Super Strength"})
		rwEqual(t, "heroes", rwRows(t, db, `SELECT "name" FROM "rw_hero"`), []string{"Deadpond", "Spider-Boy", "Tarantula"})
	})
}

// Deleting a many-to-many end together with link_model objects that
// reference it: the objects the flush deletes keep their own (checked)
// DELETE, the end's statement takes the other rows, and tracked link
// objects whose rows it removed leave the session.
func TestRwDeleteManyToManyEndWithLinkObjects(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, rwWorldModels()...)
		w := rwSeedWorld(t, db)
		rwSeed(t, db, &rwHeroTraining{HeroID: w.rusty, PowerID: w.flight, IsTraining: true},
			&rwHeroTraining{HeroID: w.rusty, PowerID: w.superForce},
			&rwHeroTraining{HeroID: w.rusty, PowerID: w.web},
			&rwHeroTraining{HeroID: w.spider, PowerID: w.web})
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		rm := rwGet[rwHero](t, s, w.rusty)
		flight, err := orm.GetByPK[rwHeroTraining](ctx, s, w.rusty, w.flight)
		rwOK(t, err, "GetByPK")
		strength, err := orm.GetByPK[rwHeroTraining](ctx, s, w.rusty, w.superForce)
		rwOK(t, err, "GetByPK")
		spider, err := orm.GetByPK[rwHeroTraining](ctx, s, w.spider, w.web)
		rwOK(t, err, "GetByPK")
		rec.Reset()
		rwOK(t, s.Delete(rm), "Delete hero")
		rwOK(t, s.Delete(flight), "Delete training")
		rwOK(t, s.Flush(ctx), "Flush")
		kinds := rwKinds(rec)
		if kinds[len(kinds)-1] != "DELETE rw_hero" {
			t.Fatalf("statements %q", kinds)
		}
		rwState(t, s, flight, orm.StateDetached, "deleted training")
		rwState(t, s, strength, orm.StateDetached, "training of the deleted hero")
		rwState(t, s, spider, orm.StatePersistent, "other hero's training")
		rwOK(t, s.Commit(ctx), "Commit")
		rwEqual(t, "trainings", rwTrainings(t, db), []string{"Spider-Boy|Web|0"})
	})
}

// A cascade whose flush fails (a monument, unknown to the country's
// relations, still references it) is atomic: the cascaded cities and
// streets are Persistent again, nothing is deleted; removing the cause
// lets the same delete go through.
func TestRwCascadeDeleteFailureIsAtomic(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, append(rwCascadeModels(), &rwMonument{})...)
		france, _ := rwSeedGeography(t, db)
		tower := &rwMonument{Name: "Eiffel Tower", CountryID: france.ID}
		rwSeed(t, db, tower)
		before := rwGeography(t, db)
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)

		fr := rwGet[rwCountry](t, s, france.ID)
		rwOK(t, s.Delete(fr), "Delete")
		rec.Reset()
		err := s.Flush(ctx)
		if !errors.Is(err, orm.ErrForeignKeyViolation) {
			t.Fatalf("Flush: %v, want ErrForeignKeyViolation\n%s", err, rec.Dump())
		}
		kinds := rwKinds(rec)
		if rwIndexOf(kinds, "DELETE rw_street") < 0 || rwIndexOf(kinds, "DELETE rw_country") < 0 {
			t.Fatalf("statements %q: the cascade did not run up to the failing DELETE", kinds)
		}
		rwEqual(t, "rows", rwGeography(t, db), before)
		rwState(t, s, fr, orm.StateDeleted, "France")
		var cascaded int
		for _, c := range fr.Cities.Items() {
			rwState(t, s, c, orm.StatePersistent, c.Name)
			cascaded++
			for _, st := range c.Streets.Items() {
				rwState(t, s, st, orm.StatePersistent, st.Name)
				cascaded++
			}
		}
		if cascaded != 5 {
			t.Fatalf("%d cascaded objects tracked, want 5 (2 cities, 3 streets)", cascaded)
		}
		if n := s.PendingDeleteCount(); n != 1 {
			t.Fatalf("PendingDeleteCount = %d, want 1", n)
		}
		// Remove the cause; the same delete now cascades and succeeds.
		// The Get must not autoflush the delete that fails.
		var m *rwMonument
		s.NoAutoFlush(func() { m = rwGet[rwMonument](t, s, tower.ID) })
		rwOK(t, s.Delete(m), "Delete monument")
		rec.Reset()
		rwOK(t, s.Commit(ctx), "Commit")
		rwStatements(t, rec, "DELETE rw_monument", "DELETE rw_street", "DELETE rw_city", "DELETE rw_country")
		rwEqual(t, "rows left", rwGeography(t, db), []string{"country|Spain|", "city|Madrid|Spain", "street|Gran Via|Madrid"})
	})
}
