package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/admin"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// The models of the delete preview tests. A league's clubs are deleted by
// the session (cascade_delete, no ON DELETE); a club's players by the
// database (ON DELETE CASCADE, which the session leaves to it); a club's
// fans are set NULL by the session (a relation and a nullable key without
// ON DELETE), which it cannot do for a follower of a player the database
// deletes. Below a player: link rows, contracts (CASCADE), agents (SET
// NULL) and injuries (RESTRICT).
type League struct {
	ID    int64                 `sqlmodel:"pk"`
	Name  string                `sqlmodel:"size=50"`
	Clubs orm.RelatedMany[Club] `sqlmodel:"cascade_delete"`
}

type Club struct {
	ID       int64                   `sqlmodel:"pk"`
	Name     string                  `sqlmodel:"size=50"`
	LeagueID int64                   `sqlmodel:"fk=league.id"`
	Players  orm.RelatedMany[Player] `sqlmodel:"cascade_delete"`
	Fans     orm.RelatedMany[Fan]
}

type Player struct {
	ID        int64                  `sqlmodel:"pk"`
	Name      string                 `sqlmodel:"size=50"`
	ClubID    int64                  `sqlmodel:"fk=club.id,ondelete=cascade"`
	Skills    orm.RelatedMany[Skill] `sqlmodel:"link=player_skill"`
	Followers orm.RelatedMany[Fan]
}

type Skill struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=50"`
}

type Fan struct {
	ID       int64  `sqlmodel:"pk"`
	Name     string `sqlmodel:"size=50"`
	ClubID   *int64 `sqlmodel:"fk=club.id"`
	PlayerID *int64 `sqlmodel:"fk=player.id"`
}

type Contract struct {
	ID       int64  `sqlmodel:"pk"`
	Name     string `sqlmodel:"size=50"`
	PlayerID int64  `sqlmodel:"fk=player.id,ondelete=cascade"`
}

type Agent struct {
	ID       int64  `sqlmodel:"pk"`
	Name     string `sqlmodel:"size=50"`
	PlayerID *int64 `sqlmodel:"fk=player.id,ondelete=set null"`
}

type Injury struct {
	ID       int64  `sqlmodel:"pk"`
	Name     string `sqlmodel:"size=50"`
	PlayerID int64  `sqlmodel:"fk=player.id,ondelete=restrict"`
}

// Employee refers to itself: deleting a manager deletes the reports.
type Employee struct {
	ID        int64  `sqlmodel:"pk"`
	Name      string `sqlmodel:"size=50"`
	ManagerID *int64 `sqlmodel:"fk=employee.id,ondelete=cascade"`
}

// Project, Task and Note make a diamond: a note refers to its project
// and to its task, both deleted with the project.
type Project struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=50"`
}

type Task struct {
	ID        int64  `sqlmodel:"pk"`
	Name      string `sqlmodel:"size=50"`
	ProjectID int64  `sqlmodel:"fk=project.id,ondelete=cascade"`
}

type Note struct {
	ID        int64  `sqlmodel:"pk"`
	Name      string `sqlmodel:"size=50"`
	ProjectID int64  `sqlmodel:"fk=project.id,ondelete=cascade"`
	TaskID    int64  `sqlmodel:"fk=task.id,ondelete=cascade"`
}

// Seat has a composite key that Booking refers to with a composite
// foreign key.
type Seat struct {
	Tier int64  `sqlmodel:"pk"`
	Slot string `sqlmodel:"pk,size=20"`
}

type Booking struct {
	ID       int64  `sqlmodel:"pk"`
	Name     string `sqlmodel:"size=50"`
	SeatTier int64  `sqlmodel:"fk=seat.tier,ondelete=cascade"`
	SeatSlot string `sqlmodel:"fk=seat.slot,size=20,ondelete=cascade"`
}

var previewModels = []any{&League{}, &Club{}, &Player{}, &Skill{}, &Fan{}, &Contract{}, &Agent{}, &Injury{},
	&Employee{}, &Project{}, &Task{}, &Note{}, &Seat{}, &Booking{}, &admin.AuditEntry{}}

// newPreviewEnv is an admin over the preview models, allowing everything.
func newPreviewEnv(t *testing.T, db *orm.DB) *env {
	t.Helper()
	if err := db.CreateAll(context.Background(), previewModels...); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, deny: map[string]bool{}}
	h, err := admin.New(db,
		admin.Models(admin.Model[League](), admin.Model[Club](), admin.Model[Player](), admin.Model[Skill](), admin.Model[Fan](),
			admin.Model[Contract](), admin.Model[Agent](), admin.Model[Injury](), admin.Model[Employee](), admin.Model[Project](),
			admin.Model[Task](), admin.Model[Note](), admin.Model[Seat](), admin.Model[Booking]()),
		admin.Authorize(func(*http.Request, string, admin.Action) bool { return true }),
		admin.AuditLog(func(*http.Request) string { return "tester" }))
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", h))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// line is one line of a delete preview.
type line struct {
	level int
	table string
	count int
	what  string
	by    string
}

func (l line) String() string {
	return fmt.Sprintf("L%d %s %d %s by %s", l.level, l.table, l.count, l.what, l.by)
}

var lineRE = regexp.MustCompile(`<tr class="effect[^"]*" data-level="\d+"><td>(\d+)</td><td>([^<]*)</td><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>`)

// lines returns the preview's lines, in page order.
func lines(t *testing.T, body string) []line {
	t.Helper()
	var out []line
	for _, m := range lineRE.FindAllStringSubmatch(body, -1) {
		lv, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[3])
		out = append(out, line{lv, m[2], n, m[4], m[5]})
	}
	return out
}

// wantLines fails unless the preview has exactly these lines.
func wantLines(t *testing.T, body string, want ...line) {
	t.Helper()
	got := lines(t, body)
	if !slices.Equal(got, want) {
		t.Fatalf("preview lines:\n  %v\nwant\n  %v\npage:\n%s", got, want, clip(body))
	}
}

// count counts the rows of a table matching where ("" for all).
func count(t *testing.T, db *orm.DB, table, where string) int {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + db.Dialect().Quote(table)
	if where != "" {
		q += " WHERE " + where
	}
	n, err := orm.RawValue[int64](context.Background(), db, q)
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// league seeds a league with two clubs; the first club has two players
// and the second one, each with a skill link, a contract and an agent;
// each club has a fan. Other rows (another league) must not be counted.
func seedLeague(t *testing.T, db *orm.DB, name string) (*League, []*Club, []*Player) {
	t.Helper()
	lg := &League{Name: name}
	seed(t, db, lg)
	clubs := []*Club{{Name: name + " club A", LeagueID: lg.ID}, {Name: name + " club B", LeagueID: lg.ID}}
	seed(t, db, clubs[0], clubs[1])
	sk := &Skill{Name: name + " skill"} // inserted with the players
	var players []*Player
	for i, c := range []*Club{clubs[0], clubs[0], clubs[1]} {
		p := &Player{Name: fmt.Sprintf("%s player %d", name, i), ClubID: c.ID}
		p.Skills.Set([]*Skill{sk})
		players = append(players, p)
	}
	seed(t, db, players[0], players[1], players[2])
	var rest []any
	for _, p := range players {
		rest = append(rest, &Contract{Name: p.Name + " contract", PlayerID: p.ID}, &Agent{Name: p.Name + " agent", PlayerID: &p.ID})
	}
	for _, c := range clubs {
		rest = append(rest, &Fan{Name: c.Name + " fan", ClubID: &c.ID})
	}
	seed(t, db, rest...)
	return lg, clubs, players
}

func TestDeletePreviewFollowsEveryLevel(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newPreviewEnv(t, db)
		lg, _, _ := seedLeague(t, db, "North")
		seedLeague(t, db, "South")
		path := fmt.Sprintf("/league/%d/delete", lg.ID)
		r := e.get(path)
		r.want(t, http.StatusOK, "North club A", "North player 0", "North player 2", "In all, <strong>11</strong> more rows are deleted.")
		wantLines(t, r.body,
			line{1, "club", 2, "deleted", "the session"},
			line{2, "fan", 2, "set to NULL", "the session"},
			line{2, "player", 3, "deleted", "the database"},
			line{3, "agent", 3, "set to NULL", "the database"},
			line{3, "contract", 3, "deleted", "the database"},
			line{3, "player_skill", 3, "unlinked", "the database"},
		)
		if strings.Contains(r.body, `id="blocked"`) || strings.Contains(r.body, "disabled") || strings.Contains(r.body, "preview-capped") {
			t.Fatalf("preview of an allowed delete blocked or capped:\n%s", clip(r.body))
		}
		// Confirm, and compare with what the delete really did.
		before := map[string]int{}
		for _, tb := range []string{"club", "player", "contract", "player_skill", "skill"} {
			before[tb] = count(t, db, tb, "")
		}
		if r := e.post(path, url.Values{}); r.code != http.StatusSeeOther {
			t.Fatalf("delete: %d\n%s", r.code, clip(r.body))
		}
		for tb, deleted := range map[string]int{"club": 2, "player": 3, "contract": 3, "player_skill": 3, "skill": 0} {
			if n := before[tb] - count(t, db, tb, ""); n != deleted {
				t.Errorf("%s: %d rows deleted, the preview said %d", tb, n, deleted)
			}
		}
		if n := count(t, db, "fan", "club_id IS NULL"); n != 2 {
			t.Errorf("%d fans with club_id NULL, the preview said 2", n)
		}
		if n := count(t, db, "agent", "player_id IS NULL"); n != 3 {
			t.Errorf("%d agents with player_id NULL, the preview said 3", n)
		}
		if n := count(t, db, "league", ""); n != 1 {
			t.Errorf("%d leagues left, want 1", n)
		}
	})
}

func TestDeletePreviewShowsDeepBlocksBeforeConfirming(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newPreviewEnv(t, db)
		_, clubs, players := seedLeague(t, db, "North")
		seed(t, db, &Injury{Name: "knee", PlayerID: players[0].ID})
		// Level 2 RESTRICT: the club's player is deleted by the database,
		// the injury refuses it.
		path := fmt.Sprintf("/club/%d/delete", clubs[0].ID)
		r := e.get(path)
		r.want(t, http.StatusOK, `id="blocked"`, "disabled", "ON DELETE RESTRICT", "knee")
		wantLines(t, r.body,
			line{1, "fan", 1, "set to NULL", "the session"},
			line{1, "player", 2, "deleted", "the database"},
			line{2, "agent", 2, "set to NULL", "the database"},
			line{2, "contract", 2, "deleted", "the database"},
			line{2, "injury", 1, "blocks the delete", "the database refuses"},
			line{2, "player_skill", 2, "unlinked", "the database"},
		)
		assertRefused(t, e, db, path)
	})
}

// assertRefused posts the delete anyway and checks that it was refused
// with the error shown and nothing changed.
func assertRefused(t *testing.T, e *env, db *orm.DB, path string) {
	t.Helper()
	tables := []string{"league", "club", "player", "contract", "player_skill", "injury", "fan", "agent"}
	before := map[string]int{}
	for _, tb := range tables {
		before[tb] = count(t, db, tb, "")
	}
	nulls := count(t, db, "fan", "club_id IS NULL") + count(t, db, "fan", "player_id IS NULL") + count(t, db, "agent", "player_id IS NULL")
	audits0 := len(audits(t, db))
	e.post(path, url.Values{}).want(t, http.StatusConflict, `id="delete-error"`, `id="blocked"`)
	for _, tb := range tables {
		if n := count(t, db, tb, ""); n != before[tb] {
			t.Errorf("%s: %d rows after a refused delete, %d before", tb, n, before[tb])
		}
	}
	if n := count(t, db, "fan", "club_id IS NULL") + count(t, db, "fan", "player_id IS NULL") + count(t, db, "agent", "player_id IS NULL"); n != nulls {
		t.Errorf("NULL keys after a refused delete: %d, before %d", n, nulls)
	}
	if n := len(audits(t, db)); n != audits0 {
		t.Errorf("%d audit entries after a refused delete, %d before", n, audits0)
	}
}

func TestDeletePreviewTellsSessionFromDatabase(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newPreviewEnv(t, db)
		_, clubs, players := seedLeague(t, db, "North")
		seed(t, db, &Fan{Name: "follower", PlayerID: &players[2].ID})
		// Deleting the player itself: the session sets the follower's
		// key NULL (Player.Followers, nullable key, no ON DELETE).
		r := e.get(fmt.Sprintf("/player/%d/delete", players[2].ID))
		r.want(t, http.StatusOK, "follower")
		if got := lines(t, r.body); !slices.Contains(got, line{1, "fan", 1, "set to NULL", "the session"}) || strings.Contains(r.body, `id="blocked"`) {
			t.Fatalf("player delete preview: %v", got)
		}
		// Deleting its club: the database deletes the player and, having
		// no rule for the follower's key, refuses.
		path := fmt.Sprintf("/club/%d/delete", clubs[1].ID)
		r = e.get(path)
		r.want(t, http.StatusOK, `id="blocked"`, "deleted by the database, not the session")
		if got := lines(t, r.body); !slices.Contains(got, line{2, "fan", 1, "blocks the delete", "the database refuses"}) {
			t.Fatalf("club delete preview: %v", got)
		}
		assertRefused(t, e, db, path)
		if r := e.post(fmt.Sprintf("/player/%d/delete", players[2].ID), url.Values{}); r.code != http.StatusSeeOther {
			t.Fatalf("player delete: %d\n%s", r.code, clip(r.body))
		}
		if n := count(t, db, "fan", "name = 'follower' AND player_id IS NULL"); n != 1 {
			t.Errorf("follower after its player's delete: %d rows with player_id NULL, want 1", n)
		}
	})
}

func TestDeletePreviewSelfReferenceCycle(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newPreviewEnv(t, db)
		// boss → a, b; a → c; and c manages boss: a cycle. Another team
		// (x → y) stays.
		boss, x := &Employee{Name: "boss"}, &Employee{Name: "x"}
		seed(t, db, boss, x)
		a, b, y := &Employee{Name: "a", ManagerID: &boss.ID}, &Employee{Name: "b", ManagerID: &boss.ID}, &Employee{Name: "y", ManagerID: &x.ID}
		seed(t, db, a, b, y)
		c := &Employee{Name: "c", ManagerID: &a.ID}
		seed(t, db, c)
		if _, err := orm.Exec(context.Background(), db, "UPDATE employee SET manager_id = ? WHERE id = ?", c.ID, boss.ID); err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/employee/%d/delete", boss.ID)
		r := e.get(path)
		r.want(t, http.StatusOK, "In all, <strong>3</strong> more rows are deleted.")
		wantLines(t, r.body,
			line{1, "employee", 2, "deleted", "the database"},
			line{2, "employee", 1, "deleted", "the database"},
		)
		if r := e.post(path, url.Values{}); r.code != http.StatusSeeOther {
			t.Fatalf("delete: %d\n%s", r.code, clip(r.body))
		}
		if n := count(t, db, "employee", ""); n != 2 {
			t.Errorf("%d employees left, want 2 (x, y)", n)
		}
	})
}

func TestDeletePreviewDepthCap(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newPreviewEnv(t, db)
		// A chain of 13 employees: the preview stops at 10 levels, and says so.
		chain := []*Employee{{Name: "e0"}}
		seed(t, db, chain[0])
		for i := 1; i < 13; i++ {
			next := &Employee{Name: fmt.Sprintf("e%d", i), ManagerID: &chain[i-1].ID}
			seed(t, db, next)
			chain = append(chain, next)
		}
		r := e.get(fmt.Sprintf("/employee/%d/delete", chain[0].ID))
		r.want(t, http.StatusOK, `id="preview-capped"`, "at 10 levels of references")
		if got := lines(t, r.body); len(got) != 10 || got[9] != (line{10, "employee", 1, "deleted", "the database"}) {
			t.Fatalf("capped preview: %v", got)
		}
		// A chain that ends within the cap is not reported as capped.
		r = e.get(fmt.Sprintf("/employee/%d/delete", chain[7].ID))
		r.want(t, http.StatusOK)
		if strings.Contains(r.body, "preview-capped") || len(lines(t, r.body)) != 5 {
			t.Fatalf("preview of a 5-level chain: %v\n%s", lines(t, r.body), clip(r.body))
		}
	})
}

func TestDeletePreviewDiamondCountedOnce(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newPreviewEnv(t, db)
		p := &Project{Name: "apollo"}
		seed(t, db, p)
		t1, t2 := &Task{Name: "t1", ProjectID: p.ID}, &Task{Name: "t2", ProjectID: p.ID}
		seed(t, db, t1, t2)
		// Each note is reached from the project and from its task.
		seed(t, db, &Note{Name: "n1", ProjectID: p.ID, TaskID: t1.ID}, &Note{Name: "n2", ProjectID: p.ID, TaskID: t1.ID}, &Note{Name: "n3", ProjectID: p.ID, TaskID: t2.ID})
		path := fmt.Sprintf("/project/%d/delete", p.ID)
		r := e.get(path)
		r.want(t, http.StatusOK, "In all, <strong>5</strong> more rows are deleted.")
		wantLines(t, r.body,
			line{1, "note", 3, "deleted", "the database"},
			line{1, "task", 2, "deleted", "the database"},
		)
		if r := e.post(path, url.Values{}); r.code != http.StatusSeeOther {
			t.Fatalf("delete: %d\n%s", r.code, clip(r.body))
		}
		if n := count(t, db, "note", "") + count(t, db, "task", ""); n != 0 {
			t.Errorf("%d notes and tasks left, want 0", n)
		}
	})
}

func TestDeletePreviewCompositeKeysInBulk(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newPreviewEnv(t, db)
		seats := []any{&Seat{Tier: 1, Slot: "a"}, &Seat{Tier: 1, Slot: "b"}, &Seat{Tier: 2, Slot: "a"}, &Seat{Tier: 2, Slot: "b"}}
		seed(t, db, seats...)
		// Bookings of (1,a) and (2,b) go with them; those of (1,b) and
		// (2,a) match each column of the chosen keys but not a key.
		seed(t, db, &Booking{Name: "bk-ann", SeatTier: 1, SeatSlot: "a"}, &Booking{Name: "bk-bob", SeatTier: 1, SeatSlot: "a"},
			&Booking{Name: "bk-cid", SeatTier: 2, SeatSlot: "b"}, &Booking{Name: "bk-dan", SeatTier: 1, SeatSlot: "b"}, &Booking{Name: "bk-eve", SeatTier: 2, SeatSlot: "a"})
		form := url.Values{"action": {"delete"}, "key": {"1,a", "2,b"}}
		r := e.post("/seat/bulk", form)
		r.want(t, http.StatusOK, "Delete 2 seat rows?", "bk-ann", "bk-cid")
		wantLines(t, r.body, line{1, "booking", 3, "deleted", "the database"})
		if strings.Contains(r.body, "bk-dan") || strings.Contains(r.body, "bk-eve") {
			t.Fatalf("preview names bookings of other seats:\n%s", clip(r.body))
		}
		form.Set("confirm", "1")
		if r := e.post("/seat/bulk", form); r.code != http.StatusSeeOther {
			t.Fatalf("bulk delete: %d\n%s", r.code, clip(r.body))
		}
		if n := count(t, db, "booking", ""); n != 2 {
			t.Errorf("%d bookings left, want 2 (bk-dan, bk-eve)", n)
		}
	})
}

func TestDeletePreviewBulkOfSeveralRows(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newPreviewEnv(t, db)
		n, _, _ := seedLeague(t, db, "North")
		s, _, _ := seedLeague(t, db, "South")
		w, _, _ := seedLeague(t, db, "West")
		form := url.Values{"action": {"delete"}, "key": {fmt.Sprint(n.ID), fmt.Sprint(s.ID)}}
		r := e.post("/league/bulk", form)
		r.want(t, http.StatusOK, "Delete 2 league rows?", "In all, <strong>22</strong> more rows are deleted.")
		wantLines(t, r.body,
			line{1, "club", 4, "deleted", "the session"},
			line{2, "fan", 4, "set to NULL", "the session"},
			line{2, "player", 6, "deleted", "the database"},
			line{3, "agent", 6, "set to NULL", "the database"},
			line{3, "contract", 6, "deleted", "the database"},
			line{3, "player_skill", 6, "unlinked", "the database"},
		)
		form.Set("confirm", "1")
		if r := e.post("/league/bulk", form); r.code != http.StatusSeeOther {
			t.Fatalf("bulk delete: %d\n%s", r.code, clip(r.body))
		}
		if c, p := count(t, db, "club", ""), count(t, db, "player", ""); c != 2 || p != 3 {
			t.Errorf("%d clubs and %d players left, want 2 and 3 (the West league's)", c, p)
		}
		if c := count(t, db, "club", fmt.Sprintf("league_id = %d", w.ID)); c != 2 {
			t.Errorf("the West league has %d clubs left, want 2", c)
		}
	})
}

func TestDeletePreviewStatementCountIndependentOfRows(t *testing.T) {
	ormtest.EachTarget(t, func(t *testing.T, tg ormtest.Target) {
		db, rec := ormtest.Record(tg.OpenORM(t))
		e := newPreviewEnv(t, db)
		var counts []int
		for i, leagues := range []int{1, 6} {
			form := url.Values{"action": {"delete"}}
			for j := range leagues {
				lg, _, _ := seedLeague(t, db, fmt.Sprintf("L%d-%d", i, j))
				form.Add("key", fmt.Sprint(lg.ID))
			}
			rec.Reset()
			r := e.post("/league/bulk", form)
			r.want(t, http.StatusOK, fmt.Sprintf("In all, <strong>%d</strong> more", 11*leagues))
			counts = append(counts, len(rec.SQL()))
		}
		// One query loads the chosen rows; the preview reads them again,
		// then runs one query per (level, foreign key) reached and one
		// sample query per table it names: 1 + 1 + 8 (league→club,
		// club→fan and player, player→agent, contract, fan, injury and
		// player_skill) + 5 (club, fan, player, agent, contract).
		if counts[0] != counts[1] || counts[0] != 15 {
			t.Errorf("statements of the bulk delete page for 1 and 6 leagues: %v; want 15 both times", counts)
		}
		t.Logf("statements of the bulk delete page for 1 and 6 leagues: %v", counts)
	})
}

func TestDeletePreviewRowCap(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		e := newPreviewEnv(t, db)
		lg := &League{Name: "big"}
		seed(t, db, lg)
		club := &Club{Name: "crowded", LeagueID: lg.ID}
		seed(t, db, club)
		// More players than the preview reads: it stops, says so, and
		// still lets the database decide.
		players := make([]*Player, 10_050)
		for i := range players {
			players[i] = &Player{Name: fmt.Sprintf("p%05d", i), ClubID: club.ID}
		}
		if _, err := orm.BulkInsert(ctx, db, players); err != nil {
			t.Fatal(err)
		}
		r := e.get(fmt.Sprintf("/club/%d/delete", club.ID))
		r.want(t, http.StatusOK, `id="preview-capped"`, "after reading 10000 rows", "the counts are lower bounds")
		if got := lines(t, r.body); len(got) != 1 || got[0].table != "player" || got[0].count != 9999 {
			// The chosen club is the first row read.
			t.Fatalf("capped preview: %v", got)
		}
		if strings.Contains(r.body, "disabled") {
			t.Fatalf("a capped preview disables the delete:\n%s", clip(r.body))
		}
	})
}
