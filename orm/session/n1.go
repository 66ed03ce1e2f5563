package session

import (
	"fmt"
	"log/slog"
	"runtime"
	"strings"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// N1Stats summarises single lazy loads seen by a session.
type N1Stats struct {
	// TotalLoads counts single lazy loads (LoadLazy, and batch loaders
	// called with one parent).
	TotalLoads int
	// RelationshipsLoaded counts distinct (model, relation) pairs loaded
	// that way.
	RelationshipsLoaded int
	// PotentialN1 counts (model, relation, call site) triples that reached
	// the threshold.
	PotentialN1 int
}

type n1Key struct {
	model *schema.Model
	rel   string
	site  string
}

// n1Tracker counts single lazy loads per (parent type, relation, call site).
type n1Tracker struct {
	disabled  bool
	threshold int
	counts    map[n1Key]int
	rels      map[string]bool
	warned    map[n1Key]bool
	total     int
	potential int
}

// EnableN1Detection turns N+1 detection on (it is on by default, with a
// threshold of 3): a warning is logged once per (parent type, relation, call
// site) when single lazy loads there reach threshold.
func (s *Session) EnableN1Detection(threshold int) {
	s.mustEnter("EnableN1Detection")
	defer s.exit()
	s.n1.disabled = false
	s.n1.threshold = max(1, threshold)
}

// DisableN1Detection stops counting single lazy loads.
func (s *Session) DisableN1Detection() {
	s.mustEnter("DisableN1Detection")
	defer s.exit()
	s.n1.disabled = true
}

// N1DetectionEnabled reports whether N+1 detection is on.
func (s *Session) N1DetectionEnabled() bool {
	s.mustEnter("N1DetectionEnabled")
	defer s.exit()
	return !s.n1.disabled
}

// N1Stats returns the counts since the session began or ResetN1Tracking.
func (s *Session) N1Stats() N1Stats {
	s.mustEnter("N1Stats")
	defer s.exit()
	return s.n1.stats()
}

func (t *n1Tracker) stats() N1Stats {
	return N1Stats{TotalLoads: t.total, RelationshipsLoaded: len(t.rels), PotentialN1: t.potential}
}

// ResetN1Tracking forgets the counts and the warnings given.
func (s *Session) ResetN1Tracking() {
	s.mustEnter("ResetN1Tracking")
	defer s.exit()
	th, dis := s.n1.threshold, s.n1.disabled
	s.n1 = n1Tracker{threshold: th, disabled: dis}
}

// TrackN1 runs fn and returns what N+1 detection saw inside it. fn runs
// as a callback of the session, as with NoAutoFlush.
func (s *Session) TrackN1(fn func()) N1Stats {
	s.mustEnter("TrackN1")
	defer s.exit()
	before := s.n1.stats()
	s.runCallback(fn)
	after := s.n1.stats()
	return N1Stats{
		TotalLoads:          after.TotalLoads - before.TotalLoads,
		RelationshipsLoaded: after.RelationshipsLoaded - before.RelationshipsLoaded,
		PotentialN1:         after.PotentialN1 - before.PotentialN1,
	}
}

// record counts one single lazy load of rel at the caller's call site.
func (t *n1Tracker) record(s *Session, rel *schema.Relation) {
	if t.disabled {
		return
	}
	if t.threshold == 0 {
		t.threshold = 3
	}
	if t.counts == nil {
		t.counts, t.rels, t.warned = map[n1Key]int{}, map[string]bool{}, map[n1Key]bool{}
	}
	k := n1Key{rel.Model, rel.Name, callSite()}
	t.total++
	t.rels[rel.Model.Name+"."+rel.Name] = true
	t.counts[k]++
	if t.counts[k] >= t.threshold && !t.warned[k] {
		t.warned[k] = true
		t.potential++
		loader := "orm.LoadMany"
		switch rel.Kind {
		case schema.OneToMany:
			loader = "orm.LoadOneToMany"
		case schema.ManyToMany:
			loader = "orm.LoadManyToMany"
		}
		s.warnLogger().Warn("orm: possible N+1 query: the same relation is loaded one object at a time",
			slog.String("relation", rel.Model.Name+"."+rel.Name),
			slog.String("call_site", k.site),
			slog.Int("loads", t.counts[k]),
			slog.String("fix", fmt.Sprintf("load it for all parents at once with %s or orm.Preload(ctx, s, parents, %q)", loader, rel.Name)))
	}
}

// callSite is the first caller outside this module's orm packages.
func callSite() string {
	var pcs [16]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.Contains(f.Function, "sqlmodel-go/sqlmodel/orm.") && !strings.Contains(f.Function, "sqlmodel-go/sqlmodel/orm/") {
			return fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		if !more {
			return fmt.Sprintf("%s:%d", f.File, f.Line)
		}
	}
}

// warnLogger is where session warnings go: the session's logger, else the
// DB's when one was given, else slog's default.
func (s *Session) warnLogger() *slog.Logger {
	if s.cfg.Logger != nil {
		return s.cfg.Logger
	}
	if s.db.loggerSet {
		return s.db.logger
	}
	return slog.Default()
}
