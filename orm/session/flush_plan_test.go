package session

import (
	"context"
	"strings"
	"testing"
	"unsafe"

	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite"

	"github.com/sqlmodel-go/sqlmodel/orm/relations"
)

type fpTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes relations.RelatedMany[fpHero] `sqlmodel:"back_populates=Team"`
}

type fpHero struct {
	ID       int64 `sqlmodel:"pk"`
	Name     string
	TeamID   *int64                 `sqlmodel:"fk=fp_team.id"`
	Team     relations.Lazy[fpTeam] `sqlmodel:"back_populates=Heroes"`
	MentorID *int64                 `sqlmodel:"fk=fp_hero.id"`
	Mentor   relations.Lazy[fpHero]
	Powers   relations.RelatedMany[fpPower] `sqlmodel:"link=fp_hero_power"`
}

type fpPower struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func planDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateAll(context.Background(), &fpTeam{}, &fpHero{}, &fpPower{}); err != nil {
		t.Fatal(err)
	}
	return db
}

// planOf computes the plan a flush of s would run, then undoes what
// planning changed, so that the session can flush for real.
func planOf(t *testing.T, s *Session) *plan {
	t.Helper()
	f := &flusher{s: s, d: s.db.dialect, pl: &plan{}, pre: map[*entry]unsafe.Pointer{}}
	s.noAutoFlush++
	defer func() { s.noAutoFlush-- }()
	pl, err := f.prepare(context.Background())
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return pl
}

func wantPlan(t *testing.T, pl *plan, want string) {
	t.Helper()
	want = strings.TrimLeft(want, "\n")
	if got := pl.String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	if again := pl.String(); again != pl.String() {
		t.Errorf("plan prints differently twice")
	}
}

func TestPlanInsertsParentsFirstInLayers(t *testing.T) {
	db := planDB(t)
	s := NewSession(db)
	ctx := context.Background()
	team := &fpTeam{Name: "T"}
	boss := &fpHero{Name: "boss"}
	boss.Team.Set(team)
	pupil := &fpHero{Name: "pupil"}
	pupil.Mentor.Set(boss)
	pupil.Team.Set(team)
	fly := &fpPower{Name: "fly"}
	pupil.Powers.Set([]*fpPower{fly})
	// Added child first: the plan still inserts the team, then the mentor
	// layer, then the pupil.
	for _, o := range []any{pupil, boss, team, fly} {
		if err := s.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	wantPlan(t, planOf(t, s), `
insert fp_team layer 0: new
insert fp_hero layer 0: new
insert fp_hero layer 1: new
insert fp_power layer 0: new
link fp_hero_power new -> new
`)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if pupil.MentorID == nil || *pupil.MentorID != boss.ID || boss.TeamID == nil || *boss.TeamID != team.ID {
		t.Fatalf("keys not linked: pupil %+v boss %+v team %+v", pupil, boss, team)
	}
}

func TestPlanUpdatesDeletesAndCascadeInOrder(t *testing.T) {
	db := planDB(t)
	ctx := context.Background()
	s := NewSession(db)
	team := &fpTeam{Name: "T"}
	a, b := &fpHero{Name: "a"}, &fpHero{Name: "b"}
	a.Team.Set(team)
	b.Team.Set(team)
	fly := &fpPower{Name: "fly"}
	a.Powers.Set([]*fpPower{fly})
	for _, o := range []any{team, a, b, fly} {
		if err := s.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	s2 := NewSession(db)
	ga, err := Get[fpHero](ctx, s2, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := Get[fpHero](ctx, s2, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	gb.Name = "b2"
	if err := s2.Delete(ga); err != nil {
		t.Fatal(err)
	}
	pl := planOf(t, s2)
	wantPlan(t, pl, `
update fp_hero: 2
delete links fp_hero_power.fp_hero_id of 1 deleted row(s)
delete fp_hero layer 0: 1
`)
	// The plan is complete before it runs: running it changes none of it.
	before := planShape(pl)
	if err := s2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if after := planShape(pl); after != before {
		t.Errorf("plan changed while it ran: %s -> %s", before, after)
	}
}

// planShape counts what a plan holds.
func planShape(pl *plan) string {
	var b strings.Builder
	for _, t := range pl.tables {
		b.WriteString(t.model.Table)
		for _, l := range t.inserts {
			b.WriteString(" i" + string(rune('0'+len(l))))
		}
		b.WriteString(" u" + string(rune('0'+len(t.updates))))
		for _, l := range t.deletes {
			b.WriteString(" d" + string(rune('0'+len(l))))
		}
		b.WriteString(";")
	}
	b.WriteString(" post" + string(rune('0'+len(pl.post))) + " links" + string(rune('0'+len(pl.links))) + " ends" + string(rune('0'+len(pl.endLinks))))
	return b.String()
}

func TestPlanEmptyAndDeterministic(t *testing.T) {
	db := planDB(t)
	s := NewSession(db)
	if pl := planOf(t, s); !pl.empty() || pl.String() != "" {
		t.Fatalf("empty session planned %q", pl.String())
	}
	// The same work planned twice prints the same text.
	for i := 0; i < 3; i++ {
		if err := s.Add(&fpPower{Name: "p"}); err != nil {
			t.Fatal(err)
		}
	}
	first := planOf(t, s).String()
	for i := 0; i < 5; i++ {
		if got := planOf(t, s).String(); got != first {
			t.Fatalf("plan %d = %q, first %q", i, got, first)
		}
	}
	if first != "insert fp_power layer 0: new new new\n" {
		t.Fatalf("plan = %q", first)
	}
}
