package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// ---- models ----

type flTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes orm.RelatedMany[flHero]
}

func (flTeam) TableName() string { return "fl_team" }

// flHero references flTeam through a NOT NULL foreign key without ON
// DELETE, so deleting the team before the hero fails.
type flHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID int64            `sqlmodel:"fk=fl_team.id"`
	Team   orm.Lazy[flTeam] `sqlmodel:"fk=TeamID"`
}

func (flHero) TableName() string { return "fl_hero" }

// flNode is a self-referencing tree.
type flNode struct {
	ID       int64 `sqlmodel:"pk"`
	Name     string
	ParentID *int64           `sqlmodel:"fk=fl_node.id"`
	Parent   orm.Lazy[flNode] `sqlmodel:"fk=ParentID"`
}

func (flNode) TableName() string { return "fl_node" }

// flCycA and flCycB reference each other: A.b_id is nullable, B.a_id is NOT
// NULL, so a pair of rows pointing at each other is inserted as A (b_id
// NULL), B, then UPDATE A.
type flCycA struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	BID  *int64           `sqlmodel:"fk=fl_cyc_b.id,column=b_id"`
	B    orm.Lazy[flCycB] `sqlmodel:"fk=BID"`
}

func (flCycA) TableName() string { return "fl_cyc_a" }

type flCycB struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	AID  int64            `sqlmodel:"fk=fl_cyc_a.id,column=a_id"`
	A    orm.Lazy[flCycA] `sqlmodel:"fk=AID"`
}

func (flCycB) TableName() string { return "fl_cyc_b" }

// flRing is a self-referencing table whose foreign key is NOT NULL: two rows
// pointing at each other can never be inserted.
type flRing struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	NextID int64            `sqlmodel:"fk=fl_ring.id"`
	Next   orm.Lazy[flRing] `sqlmodel:"fk=NextID"`
}

func (flRing) TableName() string { return "fl_ring" }

// ---- helpers shared by the fl* tests ----

func flCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func flOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func flCreate(t *testing.T, db *orm.DB, models ...any) {
	t.Helper()
	flOK(t, db.CreateAll(flCtx(t), models...), "CreateAll")
}

// flData returns the recorded statements that are not transaction control.
func flData(rec *testkit.Recorder) []orm.QueryEvent {
	var out []orm.QueryEvent
	for _, e := range rec.Events() {
		if e.Op == "exec" || e.Op == "query" {
			out = append(out, e)
		}
	}
	return out
}

// flKind summarises a statement as "INSERT t", "UPDATE t", "DELETE t" or
// "SELECT".
func flKind(q string) string {
	unq := func(s string) string {
		s = strings.TrimSpace(s)
		if i := strings.IndexAny(s, " (\t\n"); i > 0 {
			s = s[:i]
		}
		return strings.Trim(s, "\"`")
	}
	switch {
	case strings.HasPrefix(q, "INSERT INTO "):
		return "INSERT " + unq(q[len("INSERT INTO "):])
	case strings.HasPrefix(q, "UPDATE "):
		return "UPDATE " + unq(q[len("UPDATE "):])
	case strings.HasPrefix(q, "DELETE FROM "):
		return "DELETE " + unq(q[len("DELETE FROM "):])
	case strings.HasPrefix(q, "SELECT"):
		return "SELECT"
	}
	return q
}

// flKinds summarises the recorded data statements.
func flKinds(rec *testkit.Recorder) []string {
	var out []string
	for _, e := range flData(rec) {
		out = append(out, flKind(e.Query))
	}
	return out
}

// flWrites is flKinds without SELECTs (PostgreSQL moves a sequence with a
// SELECT after explicit keys; the MySQL dialect reads back defaults).
func flWrites(rec *testkit.Recorder) []string {
	var out []string
	for _, k := range flKinds(rec) {
		if k != "SELECT" {
			out = append(out, k)
		}
	}
	return out
}

// flQ rewrites '?' placeholders into the dialect's and quotes nothing else.
func flQ(db *orm.DB, q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString(db.Dialect().Placeholder(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// flExec runs a raw statement on the pool, outside any session.
func flExec(t *testing.T, db *orm.DB, q string, args ...any) sql.Result {
	t.Helper()
	res, err := db.SQL().ExecContext(flCtx(t), flQ(db, q), args...)
	flOK(t, err, q)
	return res
}

func flFormat(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// flDump returns every row of table, columns joined by "|", ordered by the
// first column, read on the pool.
func flDump(t *testing.T, db *orm.DB, table string, cols ...string) []string {
	t.Helper()
	d := db.Dialect()
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = d.Quote(c)
	}
	rows, err := db.SQL().QueryContext(flCtx(t), "SELECT "+strings.Join(q, ", ")+" FROM "+d.Quote(table)+" ORDER BY "+q[0])
	flOK(t, err, "dump "+table)
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		flOK(t, rows.Scan(ptrs...), "scan "+table)
		s := make([]string, len(vals))
		for i, v := range vals {
			s[i] = flFormat(v)
		}
		out = append(out, strings.Join(s, "|"))
	}
	flOK(t, rows.Err(), "rows "+table)
	return out
}

func flCount(t *testing.T, db *orm.DB, table string) int {
	t.Helper()
	var n int
	err := db.SQL().QueryRowContext(flCtx(t), "SELECT COUNT(*) FROM "+db.Dialect().Quote(table)).Scan(&n)
	flOK(t, err, "count "+table)
	return n
}

func flEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func flState(t *testing.T, s *orm.Session, obj any, want orm.ObjectState, wantTracked bool, what string) {
	t.Helper()
	st, ok := s.ObjectState(obj)
	if ok != wantTracked || (ok && st != want) {
		t.Fatalf("%s: ObjectState = %v, tracked %v; want %v, tracked %v", what, st, ok, want, wantTracked)
	}
}

func flIndex(list []string, v string) int { return slices.Index(list, v) }

// ---- tests ----

// A hero whose team is only reachable through its Lazy relation: Add of the
// hero cascades to the team, the team is inserted first and the hero's
// team_id is filled from the generated key.
func TestFlushOrderLazyParentAddedByCascade(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flTeam{}, &flHero{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()

		team := flTeam{Name: "Preventers"}
		hero := flHero{Name: "Rusty-Man"}
		hero.Team.Set(&team)
		flOK(t, s.Add(&hero), "Add hero")
		flState(t, s, &team, orm.StateNew, true, "team after cascade")
		if n := s.PendingNewCount(); n != 2 {
			t.Fatalf("PendingNewCount = %d, want 2 (hero + cascaded team)", n)
		}
		flOK(t, s.Flush(ctx), "Flush")
		flEqual(t, "statements", flKinds(rec), []string{"INSERT fl_team", "INSERT fl_hero"})
		if team.ID == 0 || hero.ID == 0 {
			t.Fatalf("keys not filled: team %d hero %d", team.ID, hero.ID)
		}
		if hero.TeamID != team.ID {
			t.Fatalf("hero.TeamID = %d, want team key %d", hero.TeamID, team.ID)
		}
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "fl_hero", flDump(t, db, "fl_hero", "id", "name", "team_id"),
			[]string{fmt.Sprintf("%d|Rusty-Man|%d", hero.ID, team.ID)})
	})
}

// A hero whose team_id holds the explicit key of a team added after it:
// the team is inserted first.
func TestFlushOrderPlainForeignKeyValue(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flTeam{}, &flHero{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()

		hero := flHero{Name: "Deadpond", TeamID: 77}
		team := flTeam{ID: 77, Name: "Z-Force"}
		flOK(t, s.AddAll(&hero, &team), "AddAll")
		flOK(t, s.Commit(ctx), "Commit")
		w := flWrites(rec)
		flEqual(t, "writes", w, []string{"INSERT fl_team", "INSERT fl_hero"})
		if team.ID != 77 || hero.TeamID != 77 {
			t.Fatalf("team.ID = %d, hero.TeamID = %d; want 77", team.ID, hero.TeamID)
		}
		flEqual(t, "fl_team", flDump(t, db, "fl_team", "id", "name"), []string{"77|Z-Force"})
		flEqual(t, "fl_hero", flDump(t, db, "fl_hero", "id", "name", "team_id"),
			[]string{fmt.Sprintf("%d|Deadpond|77", hero.ID)})
	})
}

// Deleting a team and its hero in one flush deletes the hero first (team_id
// is NOT NULL without ON DELETE: the other order fails).
func TestFlushOrderDeleteChildFirst(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flTeam{}, &flHero{})
		s0 := orm.NewSession(db)
		team := flTeam{Name: "T"}
		hero := flHero{Name: "H"}
		hero.Team.Set(&team)
		flOK(t, s0.Add(&hero), "Add")
		flOK(t, s0.Commit(ctx), "Commit setup")
		flOK(t, s0.Close(), "Close setup")

		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		tm, err := orm.Get[flTeam](ctx, s, team.ID)
		flOK(t, err, "Get team")
		h, err := orm.Get[flHero](ctx, s, hero.ID)
		flOK(t, err, "Get hero")
		rec.Reset()
		// Parent deleted first in call order.
		flOK(t, s.Delete(tm), "Delete team")
		flOK(t, s.Delete(h), "Delete hero")
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "statements", flKinds(rec), []string{"DELETE fl_hero", "DELETE fl_team"})
		if n := flCount(t, db, "fl_team") + flCount(t, db, "fl_hero"); n != 0 {
			t.Fatalf("%d rows left", n)
		}
		flState(t, s, tm, orm.StateDetached, false, "deleted team")
	})
}

// A three-level tree added leaf first is inserted root first, one INSERT per
// level, with every parent_id right; deleted in one flush, leaves go first.
func TestFlushOrderSelfReferencingTree(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flNode{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()

		root := flNode{Name: "root"}
		mid := flNode{Name: "mid"}
		leaf := flNode{Name: "leaf"}
		leaf2 := flNode{Name: "leaf2"}
		mid.Parent.Set(&root)
		leaf.Parent.Set(&mid)
		leaf2.Parent.Set(&mid)
		flOK(t, s.AddAll(&leaf, &leaf2, &mid, &root), "AddAll leaf first")
		flOK(t, s.Flush(ctx), "Flush")
		ev := flData(rec)
		flEqual(t, "statements", flKinds(rec), []string{"INSERT fl_node", "INSERT fl_node", "INSERT fl_node"})
		// Layer by layer: root, then mid, then both leaves in add order.
		names := func(e orm.QueryEvent) []string {
			var out []string
			for _, a := range e.Args {
				if s, ok := a.(string); ok {
					out = append(out, s)
				}
			}
			return out
		}
		flEqual(t, "layer 1", names(ev[0]), []string{"root"})
		flEqual(t, "layer 2", names(ev[1]), []string{"mid"})
		flEqual(t, "layer 3", names(ev[2]), []string{"leaf", "leaf2"})
		if root.ParentID != nil || mid.ParentID == nil || *mid.ParentID != root.ID ||
			leaf.ParentID == nil || *leaf.ParentID != mid.ID || leaf2.ParentID == nil || *leaf2.ParentID != mid.ID {
			t.Fatalf("parent ids wrong: root %v mid %v leaf %v leaf2 %v", root.ParentID, mid.ParentID, leaf.ParentID, leaf2.ParentID)
		}
		if !(root.ID < mid.ID && mid.ID < leaf.ID && leaf.ID < leaf2.ID) {
			t.Fatalf("keys not in insert order: root %d mid %d leaf %d leaf2 %d", root.ID, mid.ID, leaf.ID, leaf2.ID)
		}
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "fl_node", flDump(t, db, "fl_node", "id", "name", "parent_id"), []string{
			fmt.Sprintf("%d|root|NULL", root.ID),
			fmt.Sprintf("%d|mid|%d", mid.ID, root.ID),
			fmt.Sprintf("%d|leaf|%d", leaf.ID, mid.ID),
			fmt.Sprintf("%d|leaf2|%d", leaf2.ID, mid.ID),
		})

		// Delete the whole tree in one flush, root first in call order, from
		// a fresh session that loads the rows.
		s2 := orm.NewSession(rdb)
		defer s2.Close()
		var loaded []*flNode
		for _, id := range []int64{root.ID, mid.ID, leaf.ID, leaf2.ID} {
			n, err := orm.Get[flNode](ctx, s2, id)
			flOK(t, err, "Get node")
			loaded = append(loaded, n)
		}
		// An in-memory change to a deleted row does not change what the
		// database references: leaf still goes before mid.
		loaded[2].ParentID = nil
		rec.Reset()
		for _, n := range loaded {
			flOK(t, s2.Delete(n), "Delete node")
		}
		flOK(t, s2.Commit(ctx), "Commit delete")
		ev = flData(rec)
		flEqual(t, "delete statements", flKinds(rec), []string{"DELETE fl_node", "DELETE fl_node", "DELETE fl_node"})
		keys := func(e orm.QueryEvent) []string {
			var out []string
			for _, a := range e.Args {
				out = append(out, flFormat(a))
			}
			slices.Sort(out)
			return out
		}
		leaves := []string{flFormat(leaf.ID), flFormat(leaf2.ID)}
		slices.Sort(leaves)
		flEqual(t, "delete layer 1 (leaves)", keys(ev[0]), leaves)
		flEqual(t, "delete layer 2", keys(ev[1]), []string{flFormat(mid.ID)})
		flEqual(t, "delete layer 3 (root)", keys(ev[2]), []string{flFormat(root.ID)})
		if n := flCount(t, db, "fl_node"); n != 0 {
			t.Fatalf("%d nodes left", n)
		}
	})
}

// Two rows of one table pointing at each other through a nullable key: the
// cycle is broken by inserting one with NULL and setting it afterwards.
func TestFlushOrderSelfReferencingNullableCycle(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flNode{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		x := flNode{Name: "x"}
		y := flNode{Name: "y"}
		x.Parent.Set(&y)
		y.Parent.Set(&x)
		flOK(t, s.Add(&x), "Add")
		flOK(t, s.Commit(ctx), "Commit")
		k := flKinds(rec)
		if len(k) != 3 || k[2] != "UPDATE fl_node" || k[0] != "INSERT fl_node" || k[1] != "INSERT fl_node" {
			t.Fatalf("statements = %q, want two INSERTs then one UPDATE", k)
		}
		if x.ParentID == nil || *x.ParentID != y.ID || y.ParentID == nil || *y.ParentID != x.ID {
			t.Fatalf("struct keys wrong: x %d->%v, y %d->%v", x.ID, x.ParentID, y.ID, y.ParentID)
		}
		lo, hi := min(x.ID, y.ID), max(x.ID, y.ID)
		flEqual(t, "fl_node", flDump(t, db, "fl_node", "id", "parent_id"), []string{
			fmt.Sprintf("%d|%d", lo, hi), fmt.Sprintf("%d|%d", hi, lo),
		})

		// Deleting both: one reference is set to NULL first, then the rows
		// go one at a time, the one still referencing the other first.
		s2 := orm.NewSession(rdb)
		defer s2.Close()
		gx, err := orm.Get[flNode](ctx, s2, x.ID)
		flOK(t, err, "Get x")
		gy, err := orm.Get[flNode](ctx, s2, y.ID)
		flOK(t, err, "Get y")
		rec.Reset()
		flOK(t, s2.Delete(gx), "Delete x")
		flOK(t, s2.Delete(gy), "Delete y")
		flOK(t, s2.Commit(ctx), "Commit delete")
		flEqual(t, "delete statements", flKinds(rec), []string{"UPDATE fl_node", "DELETE fl_node", "DELETE fl_node"})
		if n := flCount(t, db, "fl_node"); n != 0 {
			t.Fatalf("%d rows left", n)
		}
	})
}

// A and B reference each other, A.b_id nullable and B.a_id NOT NULL: A goes
// in with b_id NULL, then B, then an UPDATE sets A.b_id.
func TestFlushOrderTwoTableCycle(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flCycA{}, &flCycB{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()

		a := flCycA{Name: "a"}
		b := flCycB{Name: "b"}
		a.B.Set(&b)
		b.A.Set(&a)
		flOK(t, s.Add(&b), "Add b (cascades to a)")
		flOK(t, s.Flush(ctx), "Flush")
		ev := flData(rec)
		flEqual(t, "statements", flKinds(rec), []string{"INSERT fl_cyc_a", "INSERT fl_cyc_b", "UPDATE fl_cyc_a"})
		// A's INSERT wrote b_id as NULL.
		if !slices.Contains(ev[0].Args, any(nil)) {
			t.Fatalf("INSERT fl_cyc_a args %v: want b_id NULL", ev[0].Args)
		}
		if !strings.Contains(ev[2].Query, db.Dialect().Quote("b_id")) {
			t.Fatalf("post-update %q does not set b_id", ev[2].Query)
		}
		if a.BID == nil || *a.BID != b.ID || b.AID != a.ID || a.ID == 0 || b.ID == 0 {
			t.Fatalf("structs: a %d b_id %v, b %d a_id %d", a.ID, a.BID, b.ID, b.AID)
		}
		if n := s.PendingDirtyCount(); n != 0 {
			t.Fatalf("PendingDirtyCount after flush = %d, want 0 (post-update must refresh the snapshot)\n%s", n, s.DebugState())
		}
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "fl_cyc_a", flDump(t, db, "fl_cyc_a", "id", "name", "b_id"), []string{fmt.Sprintf("%d|a|%d", a.ID, b.ID)})
		flEqual(t, "fl_cyc_b", flDump(t, db, "fl_cyc_b", "id", "name", "a_id"), []string{fmt.Sprintf("%d|b|%d", b.ID, a.ID)})
		// A second flush has nothing to do.
		rec.Reset()
		flOK(t, s.Flush(ctx), "empty Flush")
		if n := rec.Count(); n != 0 {
			t.Fatalf("empty flush sent %d statements:\n%s", n, rec.Dump())
		}

		// Deleting both rows: A's nullable reference is dropped first, then
		// B (which references A) goes, then A.
		s2 := orm.NewSession(rdb)
		defer s2.Close()
		ga, err := orm.Get[flCycA](ctx, s2, a.ID)
		flOK(t, err, "Get a")
		gb, err := orm.Get[flCycB](ctx, s2, b.ID)
		flOK(t, err, "Get b")
		rec.Reset()
		flOK(t, s2.Delete(ga), "Delete a")
		flOK(t, s2.Delete(gb), "Delete b")
		flOK(t, s2.Commit(ctx), "Commit delete")
		flEqual(t, "delete statements", flKinds(rec), []string{"UPDATE fl_cyc_a", "DELETE fl_cyc_b", "DELETE fl_cyc_a"})
		if n := flCount(t, db, "fl_cyc_a") + flCount(t, db, "fl_cyc_b"); n != 0 {
			t.Fatalf("%d rows left", n)
		}
	})
}

// A persistent object related (through its Lazy, or through a new
// parent's RelatedMany) to a new object takes the key generated for it:
// its foreign key is updated after the parent's INSERT, in the same flush.
func TestFlushOrderPersistentChildTakesNewParentKey(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flTeam{}, &flHero{})
		s0 := orm.NewSession(db)
		old := &flTeam{Name: "old"}
		h1 := &flHero{Name: "h1"}
		h1.Team.Set(old)
		h2 := &flHero{Name: "h2"}
		h2.Team.Set(old)
		flOK(t, s0.AddAll(h1, h2), "setup")
		flOK(t, s0.Commit(ctx), "setup Commit")
		flOK(t, s0.Close(), "setup Close")

		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		g1, err := orm.Get[flHero](ctx, s, h1.ID)
		flOK(t, err, "Get h1")
		g2, err := orm.Get[flHero](ctx, s, h2.ID)
		flOK(t, err, "Get h2")
		viaLazy := &flTeam{Name: "via-lazy"}
		g1.Team.Set(viaLazy)
		flOK(t, s.Add(g1), "Add h1 (cascades to its new team)")
		viaMany := &flTeam{Name: "via-many"}
		viaMany.Heroes.Set([]*flHero{g2})
		flOK(t, s.Add(viaMany), "Add team holding h2")
		if n := s.PendingNewCount(); n != 2 {
			t.Fatalf("PendingNewCount = %d, want 2", n)
		}
		rec.Reset()
		flOK(t, s.Flush(ctx), "Flush")
		// Both heroes take a new team key: one batched UPDATE.
		flEqual(t, "statements", flKinds(rec), []string{"INSERT fl_team", "UPDATE fl_hero"})
		if g1.TeamID != viaLazy.ID || g2.TeamID != viaMany.ID || viaLazy.ID == 0 || viaMany.ID == 0 {
			t.Fatalf("team ids: h1 %d (want %d), h2 %d (want %d)", g1.TeamID, viaLazy.ID, g2.TeamID, viaMany.ID)
		}
		if s.IsModified(g1) || s.IsModified(g2) {
			t.Fatal("heroes still modified after the flush")
		}
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "fl_hero", flDump(t, db, "fl_hero", "id", "name", "team_id"), []string{
			fmt.Sprintf("%d|h1|%d", h1.ID, viaLazy.ID), fmt.Sprintf("%d|h2|%d", h2.ID, viaMany.ID),
		})
	})
}

// The same when the parent's table comes later (the nullable side of a
// cycle between tables): the persistent row gets the key by a post-update.
func TestFlushOrderPersistentRowTakesKeyByPostUpdate(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flCycA{}, &flCycB{})
		s0 := orm.NewSession(db)
		a := &flCycA{Name: "a"}
		flOK(t, s0.Add(a), "setup")
		flOK(t, s0.Commit(ctx), "setup Commit")
		flOK(t, s0.Close(), "setup Close")

		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		ga, err := orm.Get[flCycA](ctx, s, a.ID)
		flOK(t, err, "Get a")
		b := &flCycB{Name: "b"}
		b.A.Set(ga)
		ga.B.Set(b)
		flOK(t, s.Add(b), "Add b")
		rec.Reset()
		flOK(t, s.Flush(ctx), "Flush")
		flEqual(t, "statements", flKinds(rec), []string{"INSERT fl_cyc_b", "UPDATE fl_cyc_a"})
		if b.AID != a.ID || ga.BID == nil || *ga.BID != b.ID {
			t.Fatalf("b.a_id %d (want %d), a.b_id %v (want %d)", b.AID, a.ID, ga.BID, b.ID)
		}
		if s.PendingDirtyCount() != 0 {
			t.Fatalf("dirty after flush:\n%s", s.DebugState())
		}
		flOK(t, s.Commit(ctx), "Commit")
		flEqual(t, "fl_cyc_a", flDump(t, db, "fl_cyc_a", "id", "name", "b_id"), []string{fmt.Sprintf("%d|a|%d", a.ID, b.ID)})
	})
}

// Two rows whose NOT NULL keys point at each other cannot be ordered: the
// flush fails with ErrCircularDependency before sending anything, and the
// session keeps its pending objects.
func TestFlushOrderUnbreakableCycle(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := flCtx(t)
		flCreate(t, db, &flRing{})
		rdb, rec := testkit.Record(db)
		s := orm.NewSession(rdb)
		defer s.Close()
		x := flRing{Name: "x"}
		y := flRing{Name: "y"}
		x.Next.Set(&y)
		y.Next.Set(&x)
		flOK(t, s.Add(&x), "Add")
		err := s.Flush(ctx)
		if !errors.Is(err, orm.ErrCircularDependency) {
			t.Fatalf("Flush = %v, want ErrCircularDependency", err)
		}
		if n := rec.Count(); n != 0 {
			t.Fatalf("%d statements recorded, want none (not even BEGIN):\n%s", n, rec.Dump())
		}
		if s.InTransaction() {
			t.Fatal("a transaction was opened")
		}
		if n := s.PendingNewCount(); n != 2 {
			t.Fatalf("PendingNewCount = %d, want 2", n)
		}
		flState(t, s, &y, orm.StateNew, true, "y")
		if x.ID != 0 || y.ID != 0 || x.NextID != 0 || y.NextID != 0 {
			t.Fatalf("keys written: %+v %+v", x, y)
		}
		// Commit fails the same way, still without SQL.
		if err := s.Commit(ctx); !errors.Is(err, orm.ErrCircularDependency) {
			t.Fatalf("Commit = %v, want ErrCircularDependency", err)
		}
		if n := rec.Count(); n != 0 {
			t.Fatalf("%d statements recorded after Commit", n)
		}
	})
}
