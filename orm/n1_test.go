package orm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// N+1 detection (issue 6, DESIGN §5.10): every single lazy load records
// (parent type, relation, call site); a warning goes through the session's
// slog logger once per triple when it reaches the threshold. Models are
// those of relations_load_test.go.

// rlN1World creates the tutorial tables with 3 teams and 12 heroes, hero i
// in team i%3+1.
func rlN1World(t *testing.T, db *orm.DB) context.Context {
	t.Helper()
	ctx := rlCreate(t, db)
	rlSeed(t, ctx, db,
		&rlTeam{ID: 1, Name: "Preventers"},
		&rlTeam{ID: 2, Name: "Z-Force"},
		&rlTeam{ID: 3, Name: "Avengers"},
	)
	var heroes []any
	for i := int64(1); i <= 12; i++ {
		heroes = append(heroes, &rlHero{ID: i, Name: fmt.Sprintf("Hero %02d", i), SecretName: "s", TeamID: rlI64(i%3 + 1)})
	}
	rlSeed(t, ctx, db, heroes...)
	return ctx
}

// rlN1Session opens a session whose logger writes JSON into the returned
// buffer.
func rlN1Session(t *testing.T, db *orm.DB) (*orm.Session, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	cfg := orm.DefaultSessionConfig()
	cfg.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	s := orm.NewSessionWithConfig(db, cfg)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("session Close: %v", err)
		}
	})
	return s, &buf
}

// rlWarnings decodes the WARN records written so far.
func rlWarnings(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["level"] == "WARN" {
			out = append(out, rec)
		}
	}
	return out
}

// rlMark stores the file:line it is called from in *site and returns ctx,
// so that a loader call written on one line records its own call site:
// orm.LoadLazy(rlMark(&site, ctx), s, &h.Team).
func rlMark(site *string, ctx context.Context) context.Context {
	_, file, line, _ := runtime.Caller(1)
	*site = fmt.Sprintf("%s:%d", file, line)
	return ctx
}

func rlN1Heroes(t *testing.T, ctx context.Context, s *orm.Session) []*rlHero {
	t.Helper()
	hs := rlHeroes(t, ctx, s)
	if len(hs) != 12 {
		t.Fatalf("%d heroes, want 12", len(hs))
	}
	return hs
}

func rlWantStats(t *testing.T, s *orm.Session, want orm.N1Stats) {
	t.Helper()
	if got := s.N1Stats(); got != want {
		t.Errorf("N1Stats = %+v, want %+v", got, want)
	}
}

// rlWantWarning checks one warning record.
func rlWantWarning(t *testing.T, w map[string]any, site string, loads int) {
	t.Helper()
	if msg, _ := w["msg"].(string); !strings.Contains(msg, "N+1") {
		t.Errorf("warning message %q does not say N+1", msg)
	}
	if rel, _ := w["relation"].(string); !strings.HasSuffix(rel, "rlHero.Team") {
		t.Errorf("warning relation = %q, want …rlHero.Team", rel)
	}
	if got, _ := w["call_site"].(string); got != site {
		t.Errorf("warning call_site = %q, want %q", got, site)
	}
	if !strings.Contains(site, "n1_test.go:") {
		t.Errorf("call site %q is not in this test file", site)
	}
	if got, _ := w["loads"].(float64); int(got) != loads {
		t.Errorf("warning loads = %v, want %d", w["loads"], loads)
	}
	if fix, _ := w["fix"].(string); !strings.Contains(fix, "orm.LoadMany") || !strings.Contains(fix, `orm.Preload(ctx, s, parents, "Team")`) {
		t.Errorf("warning fix = %q, want the batch loaders named", fix)
	}
}

func TestRlN1LoopWarnsOnce(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlN1World(t, db)
		s, buf := rlN1Session(t, db)
		if !s.N1DetectionEnabled() {
			t.Fatal("N+1 detection is off by default")
		}
		heroes := rlN1Heroes(t, ctx, s)
		var site string
		for _, h := range heroes[:10] {
			if _, err := orm.LoadLazy(rlMark(&site, ctx), s, &h.Team); err != nil {
				t.Fatal(err)
			}
		}
		rlWantStats(t, s, orm.N1Stats{TotalLoads: 10, RelationshipsLoaded: 1, PotentialN1: 1})
		ws := rlWarnings(t, buf)
		if len(ws) != 1 {
			t.Fatalf("%d warnings, want 1:\n%s", len(ws), buf)
		}
		rlWantWarning(t, ws[0], site, 3)
		for _, h := range heroes[:10] {
			if team := rlTeamOf(t, h); team == nil || team.ID != *h.TeamID {
				t.Errorf("hero %d: team %+v", h.ID, team)
			}
		}
	})
}

func TestRlN1TwoCallSites(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlN1World(t, db)
		s, buf := rlN1Session(t, db)
		heroes := rlN1Heroes(t, ctx, s)
		var siteA, siteB string
		for i, h := range heroes[:10] {
			var err error
			if i%2 == 0 {
				_, err = orm.LoadLazy(rlMark(&siteA, ctx), s, &h.Team)
			} else {
				_, err = orm.LoadLazy(rlMark(&siteB, ctx), s, &h.Team)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rlWantStats(t, s, orm.N1Stats{TotalLoads: 10, RelationshipsLoaded: 1, PotentialN1: 2})
		ws := rlWarnings(t, buf)
		if len(ws) != 2 {
			t.Fatalf("%d warnings, want 2:\n%s", len(ws), buf)
		}
		if siteA == siteB {
			t.Fatalf("call sites %q and %q should differ", siteA, siteB)
		}
		rlWantWarning(t, ws[0], siteA, 3)
		rlWantWarning(t, ws[1], siteB, 3)
	})
}

func TestRlN1Disable(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlN1World(t, db)
		s, buf := rlN1Session(t, db)
		heroes := rlN1Heroes(t, ctx, s)
		s.DisableN1Detection()
		if s.N1DetectionEnabled() {
			t.Fatal("N1DetectionEnabled after DisableN1Detection")
		}
		var site string
		for _, h := range heroes[:10] {
			if _, err := orm.LoadLazy(rlMark(&site, ctx), s, &h.Team); err != nil {
				t.Fatal(err)
			}
		}
		rlWantStats(t, s, orm.N1Stats{})
		if ws := rlWarnings(t, buf); len(ws) != 0 {
			t.Errorf("warnings while disabled:\n%s", buf)
		}
		if !heroes[9].Team.IsLoaded() {
			t.Error("loads did not happen while detection was off")
		}

		s.EnableN1Detection(3)
		if !s.N1DetectionEnabled() {
			t.Fatal("N1DetectionEnabled false after EnableN1Detection")
		}
		for _, h := range heroes[9:] {
			if _, err := orm.LoadLazy(rlMark(&site, ctx), s, &h.Team); err != nil {
				t.Fatal(err)
			}
		}
		rlWantStats(t, s, orm.N1Stats{TotalLoads: 3, RelationshipsLoaded: 1, PotentialN1: 1})
		if ws := rlWarnings(t, buf); len(ws) != 1 {
			t.Errorf("%d warnings after enabling again, want 1:\n%s", len(ws), buf)
		} else {
			rlWantWarning(t, ws[0], site, 3)
		}
	})
}

func TestRlN1ResetN1Tracking(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlN1World(t, db)
		s, buf := rlN1Session(t, db)
		heroes := rlN1Heroes(t, ctx, s)
		var site string
		for _, h := range heroes[:5] {
			if _, err := orm.LoadLazy(rlMark(&site, ctx), s, &h.Team); err != nil {
				t.Fatal(err)
			}
		}
		rlWantStats(t, s, orm.N1Stats{TotalLoads: 5, RelationshipsLoaded: 1, PotentialN1: 1})
		s.ResetN1Tracking()
		rlWantStats(t, s, orm.N1Stats{})
		if !s.N1DetectionEnabled() {
			t.Error("ResetN1Tracking turned detection off")
		}
		// The warning given is forgotten too: the same site warns again.
		for _, h := range heroes[5:8] {
			if _, err := orm.LoadLazy(rlMark(&site, ctx), s, &h.Team); err != nil {
				t.Fatal(err)
			}
		}
		rlWantStats(t, s, orm.N1Stats{TotalLoads: 3, RelationshipsLoaded: 1, PotentialN1: 1})
		ws := rlWarnings(t, buf)
		if len(ws) != 2 {
			t.Fatalf("%d warnings, want 2 (one before and one after the reset):\n%s", len(ws), buf)
		}
		rlWantWarning(t, ws[1], site, 3)
	})
}

func TestRlN1TrackN1(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlN1World(t, db)
		s, buf := rlN1Session(t, db)
		heroes := rlN1Heroes(t, ctx, s)
		var site string
		got := s.TrackN1(func() {
			for _, h := range heroes[:4] {
				if _, err := orm.LoadLazy(rlMark(&site, ctx), s, &h.Team); err != nil {
					t.Error(err)
				}
			}
		})
		if want := (orm.N1Stats{TotalLoads: 4, RelationshipsLoaded: 1, PotentialN1: 1}); got != want {
			t.Errorf("TrackN1 of 4 lazy loads = %+v, want %+v", got, want)
		}
		if len(rlWarnings(t, buf)) != 1 {
			t.Errorf("want one warning from inside the scope:\n%s", buf)
		}

		// A second scope reports only its own work: one per-parent
		// one-to-many load of another relation.
		team, err := orm.Get[rlTeam](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		got = s.TrackN1(func() {
			if _, err := orm.LoadOneToMany(ctx, s, []*rlTeam{team}, func(t *rlTeam) *orm.RelatedMany[rlHero] { return &t.Heroes }); err != nil {
				t.Error(err)
			}
		})
		if want := (orm.N1Stats{TotalLoads: 1, RelationshipsLoaded: 1}); got != want {
			t.Errorf("TrackN1 of one per-parent load = %+v, want %+v", got, want)
		}
		// Nothing inside: zero.
		if got := s.TrackN1(func() {}); got != (orm.N1Stats{}) {
			t.Errorf("TrackN1 of nothing = %+v", got)
		}
		// Batches inside: zero.
		got = s.TrackN1(func() {
			if err := orm.Preload(ctx, s, heroes, "Team", "Powers"); err != nil {
				t.Error(err)
			}
		})
		if got != (orm.N1Stats{}) {
			t.Errorf("TrackN1 of a Preload = %+v, want zero", got)
		}
		rlWantStats(t, s, orm.N1Stats{TotalLoads: 5, RelationshipsLoaded: 2, PotentialN1: 1})
	})
}

func TestRlN1Threshold(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlN1World(t, db)
		s, buf := rlN1Session(t, db)
		heroes := rlN1Heroes(t, ctx, s)
		s.EnableN1Detection(5)
		var site string
		load := func(hs []*rlHero) {
			t.Helper()
			for _, h := range hs {
				if _, err := orm.LoadLazy(rlMark(&site, ctx), s, &h.Team); err != nil {
					t.Fatal(err)
				}
			}
		}
		load(heroes[:4])
		if ws := rlWarnings(t, buf); len(ws) != 0 {
			t.Fatalf("warning below the threshold of 5:\n%s", buf)
		}
		rlWantStats(t, s, orm.N1Stats{TotalLoads: 4, RelationshipsLoaded: 1})
		load(heroes[4:5])
		ws := rlWarnings(t, buf)
		if len(ws) != 1 {
			t.Fatalf("%d warnings at the threshold of 5, want 1:\n%s", len(ws), buf)
		}
		rlWantWarning(t, ws[0], site, 5)
		rlWantStats(t, s, orm.N1Stats{TotalLoads: 5, RelationshipsLoaded: 1, PotentialN1: 1})

		// ResetN1Tracking keeps the threshold.
		s.ResetN1Tracking()
		load(heroes[5:9])
		if n := len(rlWarnings(t, buf)); n != 1 {
			t.Fatalf("4 loads after the reset warned (threshold 5 lost):\n%s", buf)
		}
		load(heroes[9:10])
		if n := len(rlWarnings(t, buf)); n != 2 {
			t.Fatalf("%d warnings, want 2 after the 5th load since the reset:\n%s", n, buf)
		}
	})
}

func TestRlN1LoweredThresholdWarns(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlN1World(t, db)
		s, buf := rlN1Session(t, db)
		heroes := rlN1Heroes(t, ctx, s)
		s.EnableN1Detection(5)
		var site string
		for i, h := range heroes[:6] {
			if i == 4 {
				s.EnableN1Detection(3)
			}
			if _, err := orm.LoadLazy(rlMark(&site, ctx), s, &h.Team); err != nil {
				t.Fatal(err)
			}
		}
		if ws := rlWarnings(t, buf); len(ws) != 1 {
			t.Fatalf("orm/session/n1.go (*n1Tracker).record warns only when counts[k] == threshold: "+
				"after EnableN1Detection lowers the threshold below a count already reached (4 loads at threshold 5, "+
				"then EnableN1Detection(3)), later loads at that site never warn (%d warnings after 6 loads, want 1). "+
				"Fix: warn when counts[k] >= threshold (the warned map already keeps it to once per triple)", len(ws))
		}
		rlWantStats(t, s, orm.N1Stats{TotalLoads: 6, RelationshipsLoaded: 1, PotentialN1: 1})
	})
}

func TestRlN1BatchLoadersNotCounted(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rlN1World(t, db)
		s, buf := rlN1Session(t, db)
		heroes := rlN1Heroes(t, ctx, s)
		teams, err := orm.Select[rlTeam](s).OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			// Several parents per call, repeated at one call site.
			if _, err := orm.LoadMany(ctx, s, heroes[2*i:2*i+2], func(h *rlHero) *orm.Lazy[rlTeam] { return &h.Team }); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := orm.LoadOneToMany(ctx, s, teams, func(t *rlTeam) *orm.RelatedMany[rlHero] { return &t.Heroes }); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.LoadManyToMany(ctx, s, heroes, func(h *rlHero) *orm.RelatedMany[rlPower] { return &h.Powers }); err != nil {
			t.Fatal(err)
		}
		if err := orm.Preload(ctx, s, heroes, "Team.Heroes", "Powers"); err != nil {
			t.Fatal(err)
		}
		s2, buf2 := rlN1Session(t, db)
		for i := 0; i < 4; i++ {
			// A Preload of a query with one result is still a batch.
			if _, err := orm.Select[rlHero](s2).Where("id = ?", i+1).Preload("Team", "Powers").All(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, x := range []*orm.Session{s, s2} {
			rlWantStats(t, x, orm.N1Stats{})
		}
		if len(rlWarnings(t, buf)) != 0 || len(rlWarnings(t, buf2)) != 0 {
			t.Errorf("batch loaders warned:\n%s%s", buf, buf2)
		}
		if !heroes[11].Team.IsLoaded() || !teams[0].Heroes.IsLoaded() {
			t.Error("batch loads did not load")
		}
	})
}
