package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// A model-based randomised test of the session's object graph (issue 14).
//
// A seeded generator runs random sequences of operations on a session —
// adds (related to existing objects or not), deletes, column and primary
// key changes, relation writes (Lazy.Set, moves between loaded
// collections, RelateToOne, Link/Unlink, RelatedMany.Set), expunge,
// merge, Get, loads, expire/refresh, flush, savepoints, commit and
// rollback — and after every step compares the session (ObjectState, Get,
// the fields and the loaded relations of every object) and the database
// (the rows of the three tables and of the link table, read inside the
// session's transaction) with a plain in-memory reference model.
//
// GM_SEED=n replays one run; GM_STEPS=n changes the length of a run;
// GM_RUNS=n the number of runs per database. A failure prints the seed,
// the step and the operations that led to it.
//
// What the model leaves out, because the expected outcome is ambiguous
// (neither DESIGN.md nor the SQLAlchemy reference decides it), is said
// where the generator refuses the combination ("ambiguous:").
//
// Every name of this file starts with "gm", every table with "gm_".

// Gates: the parts of the intended semantics that main does not implement
// yet (issue 14's list). An operation behind a false gate is not generated.
const (
	// gmRelationHistory: raw Lazy.Set and RelatedMany.Set (one-to-many
	// moves and removals, many-to-many Set) are written by the flush
	// (semantics 1).
	gmRelationHistory = true
	// gmReachDetachedFails: a flush that reaches an expunged or deleted
	// object through a relation fails and changes nothing (semantics 2).
	gmReachDetachedFails = true
	// gmRollbackRestoresGraph: rollback and savepoint rollback put Lazy
	// and RelatedMany back (or unload them) and take rolled-back objects
	// out of them (semantics 3).
	gmRollbackRestoresGraph = true
	// gmDeleteLeavesRelations: the flush that deletes an object takes it
	// out of every loaded collection and Lazy of tracked objects
	// (semantics 2). Off, the test takes them out itself after the flush.
	gmDeleteLeavesRelations = true
	// gmRollbackRestoresKeys: rollback and savepoint rollback put back
	// the identity keys of primary-key changes flushed inside them
	// (semantics 3). Off, no rollback covers a flushed key change.
	gmRollbackRestoresKeys = true
	// gmRelinkAcrossSides: linking a pair again, before a flush, after it
	// was unlinked from the other side (or the reverse) links it: the last
	// operation wins, in the database and in both loaded collections.
	// Off, a pair is linked or unlinked at most once between flushes.
	gmRelinkAcrossSides = true
	// gmAddKeepsDeleted: Add's save cascade, walking the loaded relations
	// of tracked objects, leaves a deleted object it meets deleted (it
	// does not "re-add" it). Off, the test deletes such objects again
	// after every Add.
	gmAddKeepsDeleted = true
	// gmRollbackRestoresDeletedInRelations: a rollback that brings back an
	// object deleted inside the scope puts it back into the loaded
	// relations the delete's flush took it out of, and its own relations
	// as they were (or unloads them). Off, the test unloads those
	// relations itself.
	gmRollbackRestoresDeletedInRelations = true
	// gmLeaveDeletedParent: a hero related (Lazy.Set, RelateToOne, a
	// move) to another team while its old team is deleted, in the same
	// flush, keeps the new relation (the delete's ON DELETE SET NULL
	// bookkeeping must not clobber it). Off, such moves are not made.
	gmLeaveDeletedParent = true
	// gmExpireUnloadsRelations: Expire, ExpireAll, Refresh and commit
	// unload relations (semantics 4).
	gmExpireUnloadsRelations = true
)

// ---- models ----

type gmTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes orm.RelatedMany[gmHero] `sqlmodel:"back_populates=Team"`
}

func (gmTeam) TableName() string { return "gm_team" }

type gmHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	N      int
	TeamID *int64                   `sqlmodel:"fk=gm_team.id,ondelete=set null"`
	Team   orm.Lazy[gmTeam]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers orm.RelatedMany[gmPower] `sqlmodel:"link=gm_hero_power,back_populates=Heroes"`
}

func (gmHero) TableName() string { return "gm_hero" }

type gmPower struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes orm.RelatedMany[gmHero] `sqlmodel:"link=gm_hero_power,back_populates=Powers"`
}

func (gmPower) TableName() string { return "gm_power" }

func gmTeamOf(h *gmHero) *orm.Lazy[gmTeam]                { return &h.Team }
func gmPowersOf(h *gmHero) *orm.RelatedMany[gmPower]      { return &h.Powers }
func gmHeroesOfPower(p *gmPower) *orm.RelatedMany[gmHero] { return &p.Heroes }
func gmHeroesOfTeam(t *gmTeam) *orm.RelatedMany[gmHero]   { return &t.Heroes }

// ---- the reference model ----

type gmKind uint8

const (
	gmKTeam gmKind = iota
	gmKHero
	gmKPower
)

func (k gmKind) String() string { return [...]string{"team", "hero", "power"}[k] }

// gmSt is the state the model expects an object to have.
type gmSt uint8

const (
	gmTransient  gmSt = iota // never tracked, or transient again after a rollback
	gmNew                    // pending INSERT
	gmPersistent             // tracked with a row
	gmDeleted                // Delete called, not flushed
	gmDetached               // untracked with a key: expunged, or deleted by a flush
)

func (s gmSt) String() string {
	return [...]string{"transient", "new", "persistent", "deleted", "detached"}[s]
}

// gmTri is a flag the model knows, or knows to be one of two values until
// the next check observes it (where the intended semantics allow both).
type gmTri uint8

const (
	gmNo gmTri = iota
	gmYes
	gmEither
)

// gmRelSt is what the model knows of a relation field.
type gmRelSt uint8

const (
	gmUnloaded gmRelSt = iota
	gmLoaded
	gmMaybe // unloaded, or loaded with exactly items
)

type gmRel struct {
	st    gmRelSt
	items []*gmObj // a set; a Lazy holds at most one (none: loaded nil)
	// touched: changed by the test (or by a helper on the other side)
	// since it was loaded or flushed.
	touched bool
}

func (r *gmRel) has(o *gmObj) bool { return slices.Contains(r.items, o) }

func (r *gmRel) add(o *gmObj) {
	r.touched = true
	if !r.has(o) {
		r.items = append(r.items, o)
	}
}

func (r *gmRel) remove(o *gmObj) {
	r.touched = true
	r.items = slices.DeleteFunc(slices.Clone(r.items), func(x *gmObj) bool { return x == o })
}

// gmVals are the column values of an object (Team 0 is NULL; keys are
// positive).
type gmVals struct {
	ID   int64
	Name string
	N    int
	Team int64
}

type gmObj struct {
	label string // t3, h7, p2: its creation order
	kind  gmKind
	ptr   any // *gmTeam, *gmHero or *gmPower
	st    gmSt
	exp   gmTri
	// valsUnknown: while expired, the struct's values are not specified
	// (a rollback may or may not have put them back); a reload sets them.
	valsUnknown bool
	// key is the identity key (New with an explicit key, Persistent,
	// Deleted) or the last key (Detached).
	key         int64
	explicitKey int64
	cur         gmVals // what the struct holds
	flushed     gmVals // the session's snapshot
	// tgt (heroes) is the team the row references after the next flush.
	tgt  *gmObj
	lazy gmRel // hero.Team
	coll gmRel // team.Heroes, hero.Powers, power.Heroes
	// rawSet: coll was replaced by RelatedMany.Set since the last flush;
	// ops: Link/Unlink/Relate touched it since the last flush.
	rawSet, ops bool
	// Flush sequence numbers: INSERT, last write of the row by the
	// session, relation rows changed, ON DELETE SET NULL by the database.
	insertSeq, writeSeq, relSeq, setNullSeq uint64
	loadKey                                 int64 // key when it entered the session by a load
	rolledBack, deletedFlushed, expunged    bool
	pkChanged                               bool // its key was changed by the test
	expungedInTx                            int  // scope generation of the Expunge
	version                                 int  // names: label.version
}

func (o *gmObj) tracked() bool { return o.st == gmNew || o.st == gmPersistent || o.st == gmDeleted }

// live: tracked and not deleted.
func (o *gmObj) live() bool { return o.st == gmNew || o.st == gmPersistent }

// brandNew: never tracked and never rolled back (the save cascade may add
// it).
func (o *gmObj) brandNew() bool {
	return o.st == gmTransient && !o.rolledBack && !o.expunged && o.key == 0
}

func (o *gmObj) pkPending() bool { return o.st == gmPersistent && o.cur.ID != o.key }

func (o *gmObj) String() string { return o.label }

type gmDB struct {
	teams, heroes, powers map[int64]gmVals
	links                 map[[2]int64]bool // hero key, power key
}

func (d *gmDB) clone() gmDB {
	return gmDB{teams: cloneMap(d.teams), heroes: cloneMap(d.heroes), powers: cloneMap(d.powers), links: cloneMap(d.links)}
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (d *gmDB) table(k gmKind) map[int64]gmVals {
	switch k {
	case gmKTeam:
		return d.teams
	case gmKHero:
		return d.heroes
	}
	return d.powers
}

// gmScope is a transaction (explicit Begin) or a savepoint, with the
// model as it was when it began.
type gmScope struct {
	sp   *orm.Savepoint
	seq  uint64 // flush sequence number at its start
	db   gmDB
	objs map[*gmObj]gmObj
	gen  int
}

type gmPair struct{ h, p *gmObj }

// gmRun is one seeded run against one database.
type gmRun struct {
	t     *testing.T
	ctx   context.Context
	db    *orm.DB
	rec   *testkit.Recorder
	s     *orm.Session
	rng   *rand.Rand
	seed  uint64
	steps int

	objs  []*gmObj
	byPtr map[any]*gmObj
	n     [3]int // labels per kind
	mdb   gmDB
	// pend are many-to-many pairs whose linked state the next flush sets.
	pend   map[gmPair]bool
	scopes []*gmScope
	gen    int // scope generations (for expunge bookkeeping)
	seq    uint64
	nextPK int64 // keys given by primary-key changes and re-adds
	known  [3]map[int64]bool
	log    []string
	step   int
	trace  bool // GM_TRACE: log each step's statements and the session
	// noSelfCheck skips the clean-session self-check (a deliberately bad
	// relation is in place).
	noSelfCheck bool
}

func (r *gmRun) logf(format string, args ...any) {
	r.log = append(r.log, fmt.Sprintf("%4d: ", r.step)+fmt.Sprintf(format, args...))
}

func (r *gmRun) fail(format string, args ...any) {
	r.t.Helper()
	from := max(0, len(r.log)-gmEnvInt("GM_LOG", 60))
	r.t.Fatalf("graph model: seed %d (GM_SEED=%d GM_STEPS=%d), step %d: %s\n\nrecent operations:\n%s\n\n%s",
		r.seed, r.seed, r.steps, r.step, fmt.Sprintf(format, args...), strings.Join(r.log[from:], "\n"), r.s.DebugState())
}

func (r *gmRun) ok(err error, what string) {
	r.t.Helper()
	if err != nil {
		r.fail("%s: unexpected error: %v", what, err)
	}
}

// ---- objects ----

func (r *gmRun) newObj(k gmKind) *gmObj {
	r.n[k]++
	o := &gmObj{label: fmt.Sprintf("%c%d", "thp"[k], r.n[k]), kind: k}
	o.cur.Name = o.label
	switch k {
	case gmKTeam:
		o.ptr = &gmTeam{Name: o.cur.Name}
	case gmKHero:
		o.cur.N = r.rng.IntN(1000)
		o.ptr = &gmHero{Name: o.cur.Name, N: o.cur.N}
	case gmKPower:
		o.ptr = &gmPower{Name: o.cur.Name}
	}
	r.objs = append(r.objs, o)
	r.byPtr[o.ptr] = o
	return o
}

// adopt makes a model object for an object the session loaded.
func (r *gmRun) adopt(k gmKind, ptr any) *gmObj {
	o := &gmObj{kind: k, ptr: ptr, st: gmPersistent}
	v := gmActual(ptr)
	row, ok := r.mdb.table(k)[v.ID]
	if !ok {
		r.fail("the session loaded %s %d, which has no row", k, v.ID)
	}
	r.n[k]++
	o.label = fmt.Sprintf("%c%d", "thp"[k], r.n[k])
	o.key, o.loadKey, o.cur, o.flushed = v.ID, v.ID, row, row
	if k == gmKHero {
		o.tgt = r.teamByKey(row.Team)
	}
	r.objs = append(r.objs, o)
	r.byPtr[ptr] = o
	if k == gmKTeam {
		// Heroes referencing the row through an untracked team object
		// now reference the tracked one.
		for _, h := range r.objs {
			if h.kind == gmKHero && h.tgt != nil && h.tgt != o && !h.tgt.tracked() && h.tgt.key == o.key {
				h.tgt = o
			}
		}
	}
	return o
}

func gmActual(ptr any) gmVals {
	switch p := ptr.(type) {
	case *gmTeam:
		return gmVals{ID: p.ID, Name: p.Name}
	case *gmHero:
		v := gmVals{ID: p.ID, Name: p.Name, N: p.N}
		if p.TeamID != nil {
			v.Team = *p.TeamID
		}
		return v
	case *gmPower:
		return gmVals{ID: p.ID, Name: p.Name}
	}
	panic("gm: unknown object")
}

func (o *gmObj) hero() *gmHero   { return o.ptr.(*gmHero) }
func (o *gmObj) team() *gmTeam   { return o.ptr.(*gmTeam) }
func (o *gmObj) power() *gmPower { return o.ptr.(*gmPower) }

// tracked returns the tracked object with identity key k.
func (r *gmRun) trackedByKey(kind gmKind, k int64) *gmObj {
	if k == 0 {
		return nil
	}
	for _, o := range r.objs {
		if o.kind == kind && o.tracked() && o.key == k {
			return o
		}
	}
	return nil
}

// teamByKey returns the team object a foreign key value stands for: the
// tracked one, else the last object that had the key.
func (r *gmRun) teamByKey(k int64) *gmObj {
	if k == 0 {
		return nil
	}
	if o := r.trackedByKey(gmKTeam, k); o != nil {
		return o
	}
	for i := len(r.objs) - 1; i >= 0; i-- {
		if o := r.objs[i]; o.kind == gmKTeam && o.key == k {
			return o
		}
	}
	r.fail("model: no team object for key %d", k)
	return nil
}

func (o *gmObj) tgtKey() int64 {
	if o.tgt == nil {
		return 0
	}
	return o.tgt.key
}

// dbTeam is the team key of a hero's row (0: NULL or no row).
func (r *gmRun) dbTeam(h *gmObj) int64 {
	if h.st != gmPersistent && h.st != gmDeleted {
		return 0
	}
	return r.mdb.heroes[h.key].Team
}

// linked reports whether the pair is linked as the session shows it now.
func (r *gmRun) linked(h, p *gmObj) bool {
	if v, ok := r.pend[gmPair{h, p}]; ok {
		return v
	}
	if h.st != gmPersistent || p.st != gmPersistent {
		return false
	}
	return r.mdb.links[[2]int64{h.key, p.key}]
}

func (r *gmRun) pendWith(o *gmObj) bool {
	for pr := range r.pend {
		if pr.h == o || pr.p == o {
			return true
		}
	}
	return false
}

// heroDirty: the hero's row has relation work for the next flush.
func (r *gmRun) heroDirty(h *gmObj) bool {
	if h.st == gmNew {
		return true
	}
	return h.tgtKey() != r.dbTeam(h) || h.tgt != nil && h.tgt.st != gmPersistent || h.cur.Team != h.flushed.Team || r.pendWith(h) || h.pkPending()
}

// objRelDirty: relation work involving o waits for the next flush.
func (r *gmRun) objRelDirty(o *gmObj) bool {
	switch o.kind {
	case gmKHero:
		return r.heroDirty(o)
	case gmKTeam:
		if o.pkPending() || o.st == gmNew {
			return true
		}
		for _, h := range r.objs {
			if h.kind == gmKHero && (h.live() || h.brandNew()) && (h.tgt == o) != (r.dbTeam(h) == o.key && o.key != 0) {
				return true
			}
		}
		return false
	}
	return o.pkPending() || o.st == gmNew || r.pendWith(o)
}

// relDirty: the next flush has relation or identity work (inserts,
// deletes, foreign keys, link rows, key changes).
func (r *gmRun) relDirty() bool {
	if len(r.pend) > 0 {
		return true
	}
	for _, o := range r.objs {
		if o.st == gmNew || o.st == gmDeleted || o.pkPending() {
			return true
		}
		if o.kind == gmKHero && o.st == gmPersistent && r.heroDirty(o) {
			return true
		}
	}
	return len(r.reachable(true)) > 0
}

// clean: the next flush has nothing to do.
func (r *gmRun) clean() bool {
	if r.relDirty() {
		return false
	}
	for _, o := range r.objs {
		if o.st == gmPersistent && !o.valsUnknown && o.cur != o.flushed {
			return false
		}
	}
	return true
}

// heldBy reports whether a loaded relation of a tracked object, a pending
// link or a hero's target holds o.
func (r *gmRun) held(o *gmObj) bool {
	for _, x := range r.objs {
		// (Objects deleted by a flush count: a rollback brings them back
		// with their relations.)
		if !x.tracked() && !x.brandNew() && !x.deletedFlushed {
			continue
		}
		if x.lazy.st != gmUnloaded && x.lazy.has(o) || x.coll.st != gmUnloaded && x.coll.has(o) || x.tgt == o && x.live() {
			return true
		}
	}
	return r.pendWith(o)
}

// reachable returns the brand-new objects the save cascade adds: through
// the loaded relations of tracked objects and, at flush, their pending
// links.
func (r *gmRun) reachable(flush bool) []*gmObj {
	var out []*gmObj
	seen := map[*gmObj]bool{}
	var visit func(o *gmObj)
	visit = func(o *gmObj) {
		for _, x := range append(slices.Clone(o.lazy.items), o.coll.items...) {
			if x.brandNew() && !seen[x] {
				seen[x] = true
				out = append(out, x)
				visit(x)
			}
		}
	}
	for _, o := range r.objs {
		if o.live() {
			visit(o)
		}
	}
	if flush {
		for pr := range r.pend {
			for _, x := range []*gmObj{pr.h, pr.p} {
				if x.brandNew() && !seen[x] {
					seen[x] = true
					out = append(out, x)
					visit(x)
				}
			}
		}
	}
	return out
}

// addClosure is what Add(o) tracks: o and the brand-new objects its loaded
// relations hold, recursively.
func (r *gmRun) addClosure(o *gmObj) {
	if o.brandNew() {
		o.st = gmNew
		o.exp = gmNo
	}
	for _, x := range append(slices.Clone(o.lazy.items), o.coll.items...) {
		if x.brandNew() {
			r.addClosure(x)
		}
	}
}

func (r *gmRun) pick(pred func(o *gmObj) bool) *gmObj {
	var c []*gmObj
	for _, o := range r.objs {
		if pred(o) {
			c = append(c, o)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[r.rng.IntN(len(c))]
}

func (r *gmRun) pickN(n int, pred func(o *gmObj) bool) []*gmObj {
	var c []*gmObj
	for _, o := range r.objs {
		if pred(o) {
			c = append(c, o)
		}
	}
	r.rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	return c[:min(n, len(c))]
}

func (r *gmRun) chance(p float64) bool { return r.rng.Float64() < p }

func (r *gmRun) rename(o *gmObj) string {
	o.version++
	return o.label + "." + strconv.Itoa(o.version)
}

// freshKey returns a key for a primary-key change: far above every key
// the table has had, so that keys the database generates later (SQLite
// and MySQL continue after the largest key; PostgreSQL's sequence does
// not move) never meet it.
func (r *gmRun) freshKey(k gmKind) int64 {
	for key := range r.known[k] {
		r.nextPK = max(r.nextPK, key)
	}
	r.nextPK += 1_000_000 + int64(r.rng.IntN(5))
	return r.nextPK
}

// ---- writing relations on the real objects (and in the model) ----

func gmHeroes(objs []*gmObj) []*gmHero {
	out := make([]*gmHero, len(objs))
	for i, o := range objs {
		out[i] = o.hero()
	}
	return out
}

func gmPowers(objs []*gmObj) []*gmPower {
	out := make([]*gmPower, len(objs))
	for i, o := range objs {
		out[i] = o.power()
	}
	return out
}

// setColl replaces o's collection with RelatedMany.Set.
func (r *gmRun) setColl(o *gmObj, items []*gmObj) {
	items = slices.Clone(items)
	switch o.kind {
	case gmKTeam:
		o.team().Heroes.Set(gmHeroes(items))
	case gmKHero:
		o.hero().Powers.Set(gmPowers(items))
	case gmKPower:
		o.power().Heroes.Set(gmHeroes(items))
	}
	o.coll = gmRel{st: gmLoaded, items: items, touched: true}
	o.rawSet = true
}

func (r *gmRun) collWith(o, x *gmObj) {
	if o.coll.st == gmLoaded && !o.coll.has(x) {
		r.setColl(o, append(slices.Clone(o.coll.items), x))
	}
}

func (r *gmRun) collWithout(o, x *gmObj) {
	if o.coll.st == gmLoaded && o.coll.has(x) {
		items := slices.Clone(o.coll.items)
		items = slices.DeleteFunc(items, func(y *gmObj) bool { return y == x })
		r.setColl(o, items)
	}
}

// setLazy sets hero.Team with Lazy.Set.
func (r *gmRun) setLazy(h, t *gmObj) {
	if t == nil {
		h.hero().Team.Set(nil)
		h.lazy = gmRel{st: gmLoaded, touched: true}
		return
	}
	h.hero().Team.Set(t.team())
	h.lazy = gmRel{st: gmLoaded, items: []*gmObj{t}, touched: true}
}

// canRelate: o may be the other end of a new relation (tracked and not
// deleted, or never tracked; no pending key change; values known).
func (r *gmRun) canRelate(o *gmObj) bool {
	return (o.live() || o.brandNew()) && !o.pkPending() && !o.valsUnknown
}

// editableHero: a hero whose relations the generator may change. Its
// foreign-key field is unchanged since the last flush: ambiguous, a
// relation set back to its base while the key field changed (which wins?).
func (r *gmRun) editableHero(h *gmObj) bool {
	return r.editableHero2(h) && h.cur.Team == h.flushed.Team
}

// settledHero: a hero whose relation to its team has no unflushed change
// (a raw move or removal is then unambiguous: the library compares
// collections with what they held when loaded).
func (r *gmRun) settledHero(h *gmObj) bool {
	if h.st == gmNew {
		return h.lazy.st == gmLoaded || h.tgt == nil
	}
	return h.tgtKey() == r.dbTeam(h) && (h.tgt == nil || h.tgt.st == gmPersistent)
}

// editableHero2: a hero RelateToOne may relate (the helper sets the key
// field and the Lazy together).
func (r *gmRun) editableHero2(h *gmObj) bool {
	if !gmLeaveDeletedParent && h.st == gmPersistent {
		if t := r.trackedByKey(gmKTeam, r.dbTeam(h)); t != nil && t.st == gmDeleted {
			return false
		}
	}
	return h.kind == gmKHero && h.live() && h.exp == gmNo && !h.pkPending() && !h.valsUnknown
}

// pickTeamTarget returns a team a hero may be related to: tracked and not
// deleted, or a new one (brand new: the save cascade adds it).
func (r *gmRun) pickTeamTarget() *gmObj {
	if r.chance(0.2) {
		return r.newObj(gmKTeam)
	}
	return r.pick(func(o *gmObj) bool { return o.kind == gmKTeam && o.live() && !o.pkPending() && !o.valsUnknown })
}

// preFlush runs before every call that flushes. Without
// gmAddKeepsDeleted, the flush's own save cascade would re-add deleted
// objects: the test adds the new objects the cascade would reach itself.
func (r *gmRun) preFlush() {
	if gmAddKeepsDeleted {
		return
	}
	deleted := false
	for _, o := range r.objs {
		deleted = deleted || o.st == gmDeleted
	}
	if !deleted {
		return
	}
	for _, o := range r.reachable(true) {
		if o.brandNew() {
			r.ok(r.s.Add(o.ptr), "Add")
			r.addClosure(o)
			r.logf("  (workaround: add %s before the flush)", o)
			r.added()
		}
	}
}

// autoFlushed applies, after a call that may autoflush, the flush the
// session ran (it sent INSERT, UPDATE or DELETE statements since the
// recorder held n events).
func (r *gmRun) autoFlushed(n int, reached []*gmObj) {
	for _, e := range r.rec.Events()[n:] {
		q := strings.TrimSpace(e.Query)
		if strings.HasPrefix(q, "INSERT") || strings.HasPrefix(q, "UPDATE") || strings.HasPrefix(q, "DELETE") {
			r.logf("  (autoflush)")
			r.afterFlush(reached)
			return
		}
	}
}

// added is called after every call that may run Add's save cascade.
func (r *gmRun) added() {
	if gmAddKeepsDeleted {
		return
	}
	for _, o := range r.objs {
		if st, _ := r.s.ObjectState(o.ptr); o.st == gmDeleted && st != orm.StateDeleted {
			r.ok(r.s.Delete(o.ptr), "Delete again")
			r.logf("  (workaround: delete %s again, the cascade re-added it)", o)
		}
	}
}

// ---- operations ----

func (r *gmRun) opAddHero() bool {
	h := r.newObj(gmKHero)
	desc := "add hero " + h.label
	var t *gmObj
	switch r.rng.IntN(5) {
	case 1, 2: // Lazy.Set, and the team's loaded collection kept in step
		if t = r.pickTeamTarget(); t != nil {
			r.setLazy(h, t)
			h.tgt = t
			r.collWith(t, h)
			desc += " Team.Set(" + t.label + ")"
		}
	case 3: // the foreign key only (ambiguous: with the team's collection loaded, which would be stale)
		t = r.pick(func(o *gmObj) bool {
			return o.kind == gmKTeam && o.st == gmPersistent && !o.pkPending() && o.coll.st == gmUnloaded
		})
		if t != nil {
			k := t.key
			h.hero().TeamID = &k
			h.cur.Team, h.tgt = k, t
			desc += fmt.Sprintf(" TeamID=%d(%s)", k, t.label)
		}
	case 4: // RelateToOne before Add
		if t = r.pickTeamTarget(); t != nil {
			r.ok(orm.RelateToOne(r.s, h.hero(), gmTeamOf, t.team()), "RelateToOne")
			r.added()
			h.lazy = gmRel{st: gmLoaded, items: []*gmObj{t}, touched: true}
			h.tgt = t
			if t.key != 0 { // RelateToOne copies a key the parent has
				h.cur.Team = t.key
			}
			if t.coll.st == gmLoaded {
				t.coll.add(h)
			}
			desc += " RelateToOne(" + t.label + ")"
		}
	}
	for _, p := range r.pickN(r.rng.IntN(3), func(o *gmObj) bool {
		return o.kind == gmKPower && r.canRelate(o) && !o.rawSet && (o.live() || o.coll.st == gmUnloaded)
	}) {
		r.ok(orm.RelateManyToMany(r.s, h.hero(), gmPowersOf, p.power()), "RelateManyToMany")
		r.added()
		r.pend[gmPair{h, p}] = true
		h.ops, p.ops = true, true
		if p.coll.st == gmLoaded {
			p.coll.add(h)
		}
		desc += " link(" + p.label + ")"
	}
	// Reached through a loaded collection of a tracked team or power: the
	// flush's save cascade adds it.
	reached := t != nil && t.live() && t.coll.st == gmLoaded && t.coll.has(h)
	for pr := range r.pend {
		if pr.h == h && pr.p.live() && pr.p.coll.st == gmLoaded {
			reached = true
		}
	}
	if reached && r.chance(0.5) {
		r.logf("%s (not added: reached by the save cascade)", desc)
		return true
	}
	r.ok(r.s.Add(h.hero()), "Add")
	r.added()
	r.addClosure(h)
	r.logf("%s; Add", desc)
	return true
}

func (r *gmRun) opAddTeam() bool {
	t := r.newObj(gmKTeam)
	desc := "add team " + t.label
	switch r.rng.IntN(3) {
	case 1:
		t.team().Heroes.Set([]*gmHero{})
		t.coll = gmRel{st: gmLoaded}
		desc += " Heroes.Set([])"
	case 2:
		var hs []*gmObj
		if gmRelationHistory {
			hs = r.pickN(1+r.rng.IntN(2), func(o *gmObj) bool { return r.editableHero(o) && r.settledHero(o) })
		}
		for _, h := range hs {
			if h.tgt != nil {
				r.collWithout(h.tgt, h)
			}
			if h.lazy.st == gmLoaded {
				r.setLazy(h, t)
			}
			h.tgt = t
		}
		r.setColl(t, hs)
		desc += fmt.Sprintf(" Heroes.Set(%v)", hs)
	}
	r.ok(r.s.Add(t.team()), "Add")
	r.added()
	r.addClosure(t)
	r.logf("%s; Add", desc)
	return true
}

func (r *gmRun) opAddPower() bool {
	p := r.newObj(gmKPower)
	desc := "add power " + p.label
	if r.chance(0.5) {
		p.power().Heroes.Set([]*gmHero{})
		p.coll = gmRel{st: gmLoaded}
		desc += " Heroes.Set([])"
	}
	for _, h := range r.pickN(r.rng.IntN(3), func(o *gmObj) bool {
		return o.kind == gmKHero && o.live() && !o.pkPending() && !o.rawSet
	}) {
		r.ok(orm.RelateManyToMany(r.s, p.power(), gmHeroesOfPower, h.hero()), "RelateManyToMany")
		r.added()
		r.pend[gmPair{h, p}] = true
		h.ops, p.ops = true, true
		if p.coll.st == gmLoaded {
			p.coll.add(h)
		}
		if h.coll.st == gmLoaded {
			h.coll.add(p)
		}
		desc += " relate(" + h.label + ")"
	}
	r.ok(r.s.Add(p.power()), "Add")
	r.added()
	r.addClosure(p)
	r.logf("%s; Add", desc)
	return true
}

// opReAdd adds a new object with the key of an object deleted by a flush.
func (r *gmRun) opReAdd() bool {
	d := r.pick(func(o *gmObj) bool {
		if o.st != gmDetached || !o.deletedFlushed {
			return false
		}
		if _, ok := r.mdb.table(o.kind)[o.key]; ok || r.trackedByKey(o.kind, o.key) != nil {
			return false
		}
		// Below the largest key of the table: SQLite generates the largest
		// key + 1 (a user reusing that key races the database).
		below := false
		for k := range r.mdb.table(o.kind) {
			below = below || k > o.key
		}
		if !below {
			return false
		}
		for _, x := range r.objs {
			if x.kind == o.kind && x.tracked() && x.cur.ID == o.key {
				return false
			}
		}
		return true
	})
	if d == nil {
		return false
	}
	o := r.newObj(d.kind)
	o.explicitKey, o.cur.ID, o.key = d.key, d.key, d.key
	switch o.kind {
	case gmKTeam:
		o.team().ID = d.key
	case gmKHero:
		o.hero().ID = d.key
	case gmKPower:
		o.power().ID = d.key
	}
	r.ok(r.s.Add(o.ptr), "Add")
	r.added()
	o.st = gmNew
	r.logf("add %s %s with the key %d of deleted %s; Add", o.kind, o.label, d.key, d.label)
	return true
}

func (r *gmRun) opDelete() bool {
	inSavepoint := len(r.scopes) > 1
	o := r.pick(func(o *gmObj) bool {
		switch o.st {
		case gmNew:
			// ambiguous: deleting a new object that a relation still holds
			// (forgotten, or inserted again by the save cascade?).
			return !r.held(o)
		case gmPersistent:
			if r.objRelDirty(o) || o.valsUnknown || o.cur != o.flushed {
				return false
			}
			if o.kind == gmKTeam && inSavepoint {
				// ambiguous: ON DELETE SET NULL inside a savepoint changes
				// rows the session never wrote; whether its rollback
				// expires them is not decided.
				for _, row := range r.mdb.heroes {
					if row.Team == o.key {
						return false
					}
				}
			}
			return true
		}
		return false
	})
	if o == nil {
		return false
	}
	r.ok(r.s.Delete(o.ptr), "Delete")
	if o.st == gmPersistent && o.exp == gmEither {
		o.exp = gmYes
	}
	if o.st == gmNew {
		o.st = gmTransient
		o.expunged = true // not used again
	} else {
		o.st = gmDeleted
	}
	r.logf("delete %s", o)
	return true
}

func (r *gmRun) opChangeColumn() bool {
	o := r.pick(func(o *gmObj) bool { return o.live() && !o.valsUnknown })
	if o == nil {
		return false
	}
	if o.kind == gmKHero && r.chance(0.4) {
		o.cur.N = r.rng.IntN(1000)
		o.hero().N = o.cur.N
		r.logf("set %s.N = %d", o, o.cur.N)
		return true
	}
	o.cur.Name = r.rename(o)
	switch o.kind {
	case gmKTeam:
		o.team().Name = o.cur.Name
	case gmKHero:
		o.hero().Name = o.cur.Name
	case gmKPower:
		o.power().Name = o.cur.Name
	}
	r.logf("set %s.Name = %q", o, o.cur.Name)
	return true
}

func (r *gmRun) opChangePK() bool {
	o := r.pick(func(o *gmObj) bool {
		if o.st != gmPersistent || o.exp != gmNo || o.valsUnknown || o.pkPending() || r.objRelDirty(o) || r.held(o) && o.kind != gmKHero {
			return false
		}
		// Referenced rows would fail their foreign keys (no ON UPDATE rule).
		switch o.kind {
		case gmKTeam:
			for _, row := range r.mdb.heroes {
				if row.Team == o.key {
					return false
				}
			}
			for _, h := range r.objs {
				if h.kind == gmKHero && h.tgt == o && (h.live() || h.brandNew()) {
					return false
				}
			}
		case gmKHero:
			for l := range r.mdb.links {
				if l[0] == o.key {
					return false
				}
			}
		case gmKPower:
			for l := range r.mdb.links {
				if l[1] == o.key {
					return false
				}
			}
		}
		return true
	})
	if o == nil {
		return false
	}
	k := r.freshKey(o.kind)
	switch o.kind {
	case gmKTeam:
		o.team().ID = k
	case gmKHero:
		o.hero().ID = k
	case gmKPower:
		o.power().ID = k
	}
	o.cur.ID, o.pkChanged = k, true
	r.logf("set %s.ID = %d (was %d)", o, k, o.key)
	return true
}

// opSetTeam is hero.Team.Set on a tracked hero (relation history), or
// RelateToOne / UnrelateFromOne.
func (r *gmRun) opSetTeam() bool {
	raw := gmRelationHistory && r.chance(0.6)
	h := r.pick(func(o *gmObj) bool {
		if !r.editableHero(o) && (raw || !r.editableHero2(o)) {
			return false
		}
		if raw {
			return o.st == gmPersistent
		}
		// RelateToOne finds the old parent through the Lazy, or through the
		// foreign key when the Lazy is not loaded: after a raw move the two
		// disagree (ambiguous).
		return o.lazy.st == gmLoaded || o.tgt == nil && o.cur.Team == 0 || o.tgt != nil && o.tgt.key != 0 && o.cur.Team == o.tgt.key
	})
	if h == nil {
		return false
	}
	var t *gmObj
	if r.chance(0.8) {
		if t = r.pickTeamTarget(); t == nil {
			return false
		}
	}
	old := h.tgt
	if !raw {
		if t == nil {
			r.ok(orm.UnrelateFromOne(r.s, h.hero(), gmTeamOf), "UnrelateFromOne")
			h.cur.Team = 0
		} else {
			r.ok(orm.RelateToOne(r.s, h.hero(), gmTeamOf, t.team()), "RelateToOne")
			r.added()
			if t.key != 0 { // RelateToOne copies a key the parent has
				h.cur.Team = t.key
			}
			if t.brandNew() {
				r.addClosure(t)
			}
		}
		h.lazy = gmRel{st: gmLoaded, touched: true}
		if t != nil {
			h.lazy.items = []*gmObj{t}
		}
		if old != nil && old != t && old.coll.st == gmLoaded {
			old.coll.remove(h)
		}
		if t != nil && t.coll.st == gmLoaded {
			t.coll.add(h)
		}
		h.tgt = t
		r.logf("RelateToOne(%s, %v) (was %v)", h, t, old)
		return true
	}
	if old != nil && old != t {
		r.collWithout(old, h)
	}
	r.setLazy(h, t)
	h.tgt = t
	if t != nil {
		r.collWith(t, h)
	}
	desc := fmt.Sprintf("%s.Team.Set(%v) (was %v)", h, t, old)
	newKey := int64(-1) // a new team: differs from every row's key
	if t == nil {
		newKey = 0
	} else if t.st == gmPersistent {
		newKey = t.key
	}
	if r.chance(0.3) && old != t && newKey != r.dbTeam(h) {
		// The foreign key changed too: the relation wins. (Ambiguous when
		// the relation is set to what it already was.)
		other := r.pick(func(o *gmObj) bool { return o.kind == gmKTeam && o.st == gmPersistent && o != t && !o.pkPending() })
		var k int64
		if other != nil {
			k = other.key
			h.hero().TeamID = &k
		} else {
			h.hero().TeamID = nil
		}
		h.cur.Team = k
		desc += fmt.Sprintf(" and TeamID=%d", k)
	}
	r.logf("%s", desc)
	return true
}

// opSetTeamID changes hero.TeamID only (the relations not loaded: with a
// loaded Lazy or collection the outcome is ambiguous).
func (r *gmRun) opSetTeamID() bool {
	h := r.pick(func(o *gmObj) bool {
		return r.editableHero(o) && o.lazy.st == gmUnloaded && o.cur.Team == o.tgtKey() &&
			(o.tgt == nil || o.tgt.coll.st == gmUnloaded)
	})
	if h == nil {
		return false
	}
	t := r.pick(func(o *gmObj) bool {
		return o.kind == gmKTeam && o.st == gmPersistent && !o.pkPending() && o.coll.st == gmUnloaded
	})
	if t == nil || r.chance(0.2) {
		h.hero().TeamID = nil
		h.cur.Team, h.tgt = 0, nil
		r.logf("set %s.TeamID = nil", h)
		return true
	}
	k := t.key
	h.hero().TeamID = &k
	h.cur.Team, h.tgt = k, t
	r.logf("set %s.TeamID = %d (%s)", h, k, t)
	return true
}

// opMoveHero moves a hero into another loaded team.Heroes with
// RelatedMany.Set (out of its old team's loaded collection, if any).
func (r *gmRun) opMoveHero() bool {
	if !gmRelationHistory {
		return false
	}
	t2 := r.pick(func(o *gmObj) bool { return o.kind == gmKTeam && o.live() && o.coll.st == gmLoaded && !o.pkPending() })
	if t2 == nil {
		return false
	}
	h := r.pick(func(o *gmObj) bool { return r.editableHero(o) && r.settledHero(o) && o.tgt != t2 })
	if h == nil {
		return false
	}
	old := h.tgt
	if old != nil {
		r.collWithout(old, h)
	}
	r.collWith(t2, h)
	if h.lazy.st == gmLoaded {
		r.setLazy(h, t2)
	}
	h.tgt = t2
	r.logf("move %s from %v to %s (Heroes.Set on both loaded collections; Lazy %v)", h, old, t2, h.lazy.st == gmLoaded)
	return true
}

// opRemoveHero takes a hero out of a loaded team.Heroes.
func (r *gmRun) opRemoveHero() bool {
	if !gmRelationHistory {
		return false
	}
	t := r.pick(func(o *gmObj) bool {
		if o.kind != gmKTeam || !o.live() || o.coll.st != gmLoaded || o.pkPending() {
			return false
		}
		for _, h := range o.coll.items {
			if r.editableHero(h) && r.settledHero(h) {
				return true
			}
		}
		return false
	})
	if t == nil {
		return false
	}
	var hs []*gmObj
	for _, h := range t.coll.items {
		if r.editableHero(h) && r.settledHero(h) {
			hs = append(hs, h)
		}
	}
	h := hs[r.rng.IntN(len(hs))]
	r.collWithout(t, h)
	if h.lazy.st == gmLoaded {
		r.setLazy(h, nil)
	}
	h.tgt = nil
	r.logf("remove %s from %s.Heroes (Set)", h, t)
	return true
}

// opLink links or unlinks a hero and a power: RelateManyToMany /
// UnrelateManyToMany from either side, Link/Unlink on one side (the other
// side's collection not loaded: it would be stale) or on both sides.
func (r *gmRun) opLink() bool {
	h := r.pick(func(o *gmObj) bool { return o.kind == gmKHero && o.live() && !o.pkPending() && !o.rawSet })
	if h == nil {
		return false
	}
	p := r.pick(func(o *gmObj) bool {
		return o.kind == gmKPower && r.canRelate(o) && !o.rawSet && (o.live() || !r.linked(h, o))
	})
	if p == nil {
		return false
	}
	if _, again := r.pend[gmPair{h, p}]; again && !gmRelinkAcrossSides {
		return false
	}
	link := !r.linked(h, p)
	verb := map[bool]string{true: "link", false: "unlink"}[link]
	variant := r.rng.IntN(4)
	if p.brandNew() && variant != 3 {
		// A new power is reached through the tracked hero's side only.
		variant = 0
	}
	switch variant {
	case 0:
		if link {
			r.ok(orm.RelateManyToMany(r.s, h.hero(), gmPowersOf, p.power()), "RelateManyToMany")
			r.added()
			if p.brandNew() {
				r.addClosure(p)
			}
		} else {
			r.ok(orm.UnrelateManyToMany(r.s, h.hero(), gmPowersOf, p.power()), "UnrelateManyToMany")
		}
		r.logf("%s %s-%s (Relate from the hero)", verb, h, p)
	case 1:
		if link {
			r.ok(orm.RelateManyToMany(r.s, p.power(), gmHeroesOfPower, h.hero()), "RelateManyToMany")
			r.added()
		} else {
			r.ok(orm.UnrelateManyToMany(r.s, p.power(), gmHeroesOfPower, h.hero()), "UnrelateManyToMany")
		}
		r.logf("%s %s-%s (Relate from the power)", verb, h, p)
	case 2:
		switch {
		case p.coll.st == gmUnloaded:
			if link {
				h.hero().Powers.Link(p.power())
			} else {
				h.hero().Powers.Unlink(p.power())
			}
			r.logf("%s %s-%s (hero.Powers only)", verb, h, p)
		case h.coll.st == gmUnloaded:
			if link {
				p.power().Heroes.Link(h.hero())
			} else {
				p.power().Heroes.Unlink(h.hero())
			}
			r.logf("%s %s-%s (power.Heroes only)", verb, h, p)
		default:
			return false
		}
	case 3:
		if link {
			h.hero().Powers.Link(p.power())
			p.power().Heroes.Link(h.hero())
		} else {
			h.hero().Powers.Unlink(p.power())
			p.power().Heroes.Unlink(h.hero())
		}
		r.logf("%s %s-%s (Link/Unlink on both sides)", verb, h, p)
	}
	r.pend[gmPair{h, p}] = link
	h.ops, p.ops = true, true
	for _, side := range [][2]*gmObj{{h, p}, {p, h}} {
		if c := side[0]; c.coll.st == gmLoaded {
			if link {
				c.coll.add(side[1])
			} else {
				c.coll.remove(side[1])
			}
		}
	}
	return true
}

// opSetLinks replaces a loaded many-to-many collection with
// RelatedMany.Set (the other sides' loaded collections kept in step).
func (r *gmRun) opSetLinks() bool {
	if !gmRelationHistory {
		return false
	}
	o := r.pick(func(o *gmObj) bool {
		return (o.kind == gmKHero || o.kind == gmKPower) && o.live() && o.coll.st == gmLoaded && !o.ops && !o.pkPending()
	})
	if o == nil {
		return false
	}
	other := gmKPower
	if o.kind == gmKPower {
		other = gmKHero
	}
	cand := func(x *gmObj) bool {
		return x.kind == other && x.live() && !x.pkPending() && (x.coll.st == gmUnloaded || !x.ops)
	}
	var next []*gmObj
	for _, x := range o.coll.items {
		if !cand(x) || r.chance(0.5) {
			next = append(next, x)
		}
	}
	for _, x := range r.pickN(r.rng.IntN(3), cand) {
		if !slices.Contains(next, x) {
			next = append(next, x)
		}
	}
	prev := slices.Clone(o.coll.items)
	for _, x := range append(slices.Clone(prev), next...) {
		in := slices.Contains(next, x)
		if in == slices.Contains(prev, x) {
			continue
		}
		pair := gmPair{o, x}
		if o.kind == gmKPower {
			pair = gmPair{x, o}
		}
		r.pend[pair] = in
		if in {
			r.collWith(x, o)
		} else {
			r.collWithout(x, o)
		}
	}
	r.setColl(o, next)
	r.logf("%s.%s.Set(%v) (was %v)", o, map[gmKind]string{gmKHero: "Powers", gmKPower: "Heroes"}[o.kind], next, prev)
	return true
}

func (r *gmRun) opExpunge() bool {
	tx := r.scopes[0].seq
	o := r.pick(func(o *gmObj) bool {
		// ambiguous: expunging an object the current transaction wrote
		// (does its rollback restore or forget it?), or one a relation
		// holds (an error at flush, or cascaded back?).
		return (o.st == gmPersistent || o.st == gmNew) && !r.held(o) && !r.objRelDirty(o) &&
			o.writeSeq <= tx && o.relSeq <= tx && o.setNullSeq <= tx && o.insertSeq <= tx
	})
	if o == nil {
		return false
	}
	r.ok(r.s.Expunge(o.ptr), "Expunge")
	if o.st == gmNew {
		o.st = gmTransient
	} else {
		o.st = gmDetached
	}
	o.expunged = true
	r.logf("expunge %s", o)
	return true
}

// opMerge merges a detached copy (another struct with the same key) with
// load.
func (r *gmRun) opMerge() bool {
	k := gmKind(r.rng.IntN(3))
	var keys []int64
	for key := range r.mdb.table(k) {
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return false
	}
	slices.Sort(keys)
	key := keys[r.rng.IntN(len(keys))]
	target := r.trackedByKey(k, key)
	if target != nil && (target.st != gmPersistent || r.objRelDirty(target)) {
		return false
	}
	for _, x := range r.objs {
		if x.kind == k && x.pkPending() && x.cur.ID == key {
			return false
		}
	}
	row := r.mdb.table(k)[key]
	team := row.Team
	if target != nil {
		if target.exp != gmNo {
			r.reload(target)
		}
		team = target.cur.Team
	}
	name := fmt.Sprintf("m%d.%d", key, r.step)
	n := r.rng.IntN(1000)
	var res any
	var err error
	n0, reached := r.rec.Count(), r.reachable(true)
	r.preFlush()
	switch k {
	case gmKTeam:
		res, err = orm.Merge(r.ctx, r.s, &gmTeam{ID: key, Name: name}, true)
	case gmKHero:
		c := &gmHero{ID: key, Name: name, N: n}
		if team != 0 {
			c.TeamID = &team
		}
		res, err = orm.Merge(r.ctx, r.s, c, true)
	case gmKPower:
		res, err = orm.Merge(r.ctx, r.s, &gmPower{ID: key, Name: name}, true)
	}
	r.ok(err, "Merge")
	r.autoFlushed(n0, reached)
	o := target
	if o != nil {
		if r.byPtr[res] != o {
			r.fail("Merge of %s %d returned %T %p, want the tracked %s", k, key, res, res, o)
		}
		o.exp = gmNo
	} else {
		if r.byPtr[res] != nil {
			r.fail("Merge of untracked %s %d returned %s, which is not tracked", k, key, r.byPtr[res])
		}
		o = r.adopt(k, res)
	}
	o.cur.Name = name
	if k == gmKHero {
		o.cur.N = n
	}
	r.logf("merge a copy of %s %d (name %q) -> %s", k, key, name, o)
	return true
}

// reload applies a reload from the row: columns without unflushed
// changes take the row's values.
func (r *gmRun) reload(o *gmObj) {
	row, ok := r.mdb.table(o.kind)[o.key]
	if !ok {
		r.fail("model: reload of %s, whose row %d is gone", o, o.key)
	}
	if o.valsUnknown {
		o.cur = row
	} else {
		if o.cur.Name == o.flushed.Name {
			o.cur.Name = row.Name
		}
		if o.cur.N == o.flushed.N {
			o.cur.N = row.N
		}
		if o.cur.Team == o.flushed.Team {
			o.cur.Team = row.Team
		}
	}
	o.flushed, o.valsUnknown, o.exp = row, false, gmNo
}

func (r *gmRun) get(k gmKind, key int64) (any, error) {
	switch k {
	case gmKTeam:
		return orm.Get[gmTeam](r.ctx, r.s, key)
	case gmKHero:
		return orm.Get[gmHero](r.ctx, r.s, key)
	}
	return orm.Get[gmPower](r.ctx, r.s, key)
}

func (r *gmRun) opGet() bool {
	k := gmKind(r.rng.IntN(3))
	var keys []int64
	for key := range r.known[k] {
		keys = append(keys, key)
	}
	keys = append(keys, 1<<40)
	slices.Sort(keys)
	key := keys[r.rng.IntN(len(keys))]
	o := r.trackedByKey(k, key)
	if o != nil && o.st == gmNew {
		return false // ambiguous: Get of a pending object's key (no autoflush)
	}
	n, reached := r.rec.Count(), r.reachable(true)
	r.preFlush()
	res, err := r.get(k, key)
	r.autoFlushed(n, reached)
	if o == nil {
		// The autoflush of a miss may have inserted the key.
		o = r.trackedByKey(k, key)
	}
	_, hasRow := r.mdb.table(k)[key]
	switch {
	case o != nil && o.st == gmDeleted && !r.s.Config().AutoFlush:
		// Without AutoFlush the deleted instance answers (its row is
		// still there).
		if err != nil || r.byPtr[res] != o {
			r.fail("Get %s %d (deleted, no autoflush) = %p, %v; want %s", k, key, res, err, o)
		}
		r.logf("get %s %d -> %s (deleted)", k, key, o)
	case o != nil && o.st == gmDeleted, o == nil && !hasRow:
		if !isNotFound(err) {
			r.fail("Get %s %d: %v, %v; want ErrNotFound", k, key, res, err)
		}
		r.logf("get %s %d: not found", k, key)
	case o != nil:
		r.ok(err, "Get")
		if r.byPtr[res] != o {
			r.fail("Get %s %d returned %p, want %s", k, key, res, o)
		}
		if o.exp != gmNo {
			r.reload(o)
		}
		r.logf("get %s %d -> %s", k, key, o)
	default:
		r.ok(err, fmt.Sprintf("Get %s %d", k, key))
		if r.byPtr[res] != nil {
			r.fail("Get %s %d returned %s, which the model has untracked", k, key, r.byPtr[res])
		}
		o = r.adopt(k, res)
		r.logf("get %s %d -> loads %s", k, key, o)
	}
	return true
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, orm.ErrNotFound) }

// opLoad loads relations with the batch loaders. With relation work
// pending it flushes first (ambiguous: loading a collection whose rows the
// session changed in memory).
func (r *gmRun) opLoad() bool {
	var parents []*gmObj
	variant := r.rng.IntN(5)
	want := []gmKind{gmKTeam, gmKHero, gmKPower, gmKHero, gmKHero}[variant]
	ok := func(o *gmObj) bool {
		if o.kind != want || o.st != gmPersistent {
			return false
		}
		if variant >= 3 {
			return o.exp == gmNo && !o.valsUnknown && o.lazy.st == gmUnloaded
		}
		return o.coll.st == gmUnloaded
	}
	parents = r.pickN(1+r.rng.IntN(3), ok)
	if len(parents) == 0 {
		return false
	}
	if variant == 4 {
		parents = parents[:1]
	}
	if r.relDirty() {
		r.flush("flush (before a load)")
		r.check()
		// The flush may have expired some (ON DELETE SET NULL).
		parents = slices.DeleteFunc(parents, func(o *gmObj) bool { return !ok(o) })
		if len(parents) == 0 {
			return true
		}
	}
	var err error
	var what string
	n, reached := r.rec.Count(), r.reachable(true)
	r.preFlush()
	switch variant {
	case 0:
		ts := make([]*gmTeam, len(parents))
		for i, o := range parents {
			ts[i] = o.team()
		}
		_, err = orm.LoadOneToMany(r.ctx, r.s, ts, gmHeroesOfTeam)
		what = "LoadOneToMany Heroes"
	case 1:
		_, err = orm.LoadManyToMany(r.ctx, r.s, gmHeroes(parents), gmPowersOf)
		what = "LoadManyToMany Powers"
	case 2:
		_, err = orm.LoadManyToMany(r.ctx, r.s, gmPowers(parents), gmHeroesOfPower)
		what = "LoadManyToMany Heroes"
	case 3:
		_, err = orm.LoadMany(r.ctx, r.s, gmHeroes(parents), gmTeamOf)
		what = "LoadMany Team"
	case 4:
		_, err = orm.LoadLazy(r.ctx, r.s, &parents[0].hero().Team)
		what = "LoadLazy Team"
	}
	r.ok(err, what)
	r.autoFlushed(n, reached)
	// Objects the load brought into the session.
	for _, o := range parents {
		var items []any
		if variant >= 3 {
			if t, _ := o.hero().Team.Get(); t != nil {
				items = append(items, t)
			}
		} else {
			items = gmCollItems(o)
		}
		for _, it := range items {
			if r.byPtr[it] == nil {
				k := map[string]gmKind{"*orm_test.gmTeam": gmKTeam, "*orm_test.gmHero": gmKHero, "*orm_test.gmPower": gmKPower}[fmt.Sprintf("%T", it)]
				key := gmActual(it).ID
				if x := r.trackedByKey(k, key); x != nil {
					r.fail("%s: %s %d loaded as a second instance (tracked: %s)", what, k, key, x)
				}
				r.adopt(k, it)
			}
		}
	}
	for _, o := range parents {
		items, ok := r.truth(o, variant >= 3)
		if !ok {
			r.fail("model: %s of %s: a related row has no tracked object", what, o)
		}
		rel := &o.coll
		if variant >= 3 {
			rel = &o.lazy
		}
		*rel = gmRel{st: gmLoaded, items: items}
		for _, x := range items {
			if x.exp == gmYes {
				// A load may reload an expired object in place.
				x.exp = gmEither
			}
		}
		if o.exp == gmYes {
			o.exp = gmEither
		}
	}
	r.logf("%s of %v", what, parents)
	return true
}

func gmCollItems(o *gmObj) []any {
	var out []any
	switch p := o.ptr.(type) {
	case *gmTeam:
		for _, h := range p.Heroes.Items() {
			out = append(out, h)
		}
	case *gmHero:
		for _, x := range p.Powers.Items() {
			out = append(out, x)
		}
	case *gmPower:
		for _, h := range p.Heroes.Items() {
			out = append(out, h)
		}
	}
	return out
}

// truth is what a relation of o holds according to the database rows
// (mapped to tracked objects); false when a related row has no tracked
// object.
func (r *gmRun) truth(o *gmObj, lazy bool) ([]*gmObj, bool) {
	var out []*gmObj
	addKey := func(k gmKind, key int64) bool {
		x := r.trackedByKey(k, key)
		if x == nil {
			return false
		}
		out = append(out, x)
		return true
	}
	switch {
	case lazy:
		if t := r.mdb.heroes[o.key].Team; t != 0 && !addKey(gmKTeam, t) {
			return nil, false
		}
	case o.kind == gmKTeam:
		for key, row := range r.mdb.heroes {
			if row.Team == o.key && !addKey(gmKHero, key) {
				return nil, false
			}
		}
	case o.kind == gmKHero:
		for l := range r.mdb.links {
			if l[0] == o.key && !addKey(gmKPower, l[1]) {
				return nil, false
			}
		}
	case o.kind == gmKPower:
		for l := range r.mdb.links {
			if l[1] == o.key && !addKey(gmKHero, l[0]) {
				return nil, false
			}
		}
	}
	return out, true
}

// unloadAfterExpire is what Expire / Refresh / commit do to relations.
func (o *gmObj) unloadAfterExpire() {
	if gmExpireUnloadsRelations {
		// A relation set since the last flush may be kept (with no net
		// change, is it "changed and not yet flushed"? ambiguous).
		for _, rel := range []*gmRel{&o.lazy, &o.coll} {
			if rel.touched && rel.st == gmLoaded {
				rel.st = gmMaybe
			} else {
				*rel = gmRel{}
			}
		}
		return
	}
	if o.lazy.st == gmLoaded {
		o.lazy.st = gmMaybe
	}
	if o.coll.st == gmLoaded {
		o.coll.st = gmMaybe
	}
}

func (r *gmRun) opExpire() bool {
	switch r.rng.IntN(4) {
	case 0:
		if r.relDirty() {
			return false
		}
		r.s.ExpireAll()
		for _, o := range r.objs {
			if o.st == gmPersistent {
				o.exp = gmYes
				o.unloadAfterExpire()
			}
		}
		r.logf("ExpireAll")
	case 1, 2:
		o := r.pick(func(o *gmObj) bool { return o.st == gmPersistent && !r.objRelDirty(o) })
		if o == nil {
			return false
		}
		r.s.Expire(o.ptr)
		o.exp = gmYes
		o.unloadAfterExpire()
		r.logf("expire %s", o)
	default:
		o := r.pick(func(o *gmObj) bool { return o.st == gmPersistent && !r.objRelDirty(o) })
		if o == nil {
			return false
		}
		var err error
		n, reached := r.rec.Count(), r.reachable(true)
		r.preFlush()
		switch p := o.ptr.(type) {
		case *gmTeam:
			err = orm.Refresh(r.ctx, r.s, p)
		case *gmHero:
			err = orm.Refresh(r.ctx, r.s, p)
		case *gmPower:
			err = orm.Refresh(r.ctx, r.s, p)
		}
		r.ok(err, "Refresh")
		r.autoFlushed(n, reached)
		r.reload(o)
		o.unloadAfterExpire()
		r.logf("refresh %s", o)
	}
	return true
}

// ---- flush, transactions, savepoints ----

// flush runs Session.Flush and applies it to the model.
func (r *gmRun) flush(desc string) {
	r.preFlush()
	reached := r.reachable(true)
	if err := r.s.Flush(r.ctx); err != nil {
		r.logf("%s", desc)
		r.fail("Flush: unexpected error: %v", err)
	}
	r.logf("%s", desc)
	r.afterFlush(reached)
}

// afterFlush applies a successful flush to the model: the save cascade's
// objects and the new ones are inserted (keys read from the structs), rows
// and foreign keys written (the relation wins over the foreign-key field),
// link rows set, deleted objects' rows removed (their link rows with them,
// ON DELETE SET NULL for their heroes) and deleted objects taken out of
// every loaded relation.
func (r *gmRun) afterFlush(reached []*gmObj) {
	r.seq++
	seq := r.seq
	for _, o := range reached {
		o.st, o.exp = gmNew, gmNo
	}
	// Keys of the inserted objects.
	for _, o := range r.objs {
		if o.st != gmNew {
			continue
		}
		k := gmActual(o.ptr).ID
		if k <= 0 || o.explicitKey != 0 && k != o.explicitKey {
			r.fail("inserted %s %s has key %d (explicit key %d)", o.kind, o, k, o.explicitKey)
		}
		if x := r.trackedByKey(o.kind, k); x != nil && x != o {
			r.fail("inserted %s %s got key %d, which %s has", o.kind, o, k, x)
		}
		o.key = k
		o.cur.ID = k
		r.known[o.kind][k] = true
	}
	// Rows: inserts and updates (teams first, for the heroes' keys). An
	// UPDATE writes the columns that differ from the snapshot; a hero's
	// foreign key follows its relation when the relation or the key field
	// changed.
	for _, kind := range []gmKind{gmKTeam, gmKPower, gmKHero} {
		tab := r.mdb.table(kind)
		for _, o := range r.objs {
			if o.kind != kind || !o.live() {
				continue
			}
			if o.st == gmNew {
				if kind == gmKHero {
					o.cur.Team = o.tgtKey()
					if o.tgt != nil {
						o.tgt.relSeq = seq
					}
				}
				tab[o.key] = o.cur
				o.st, o.flushed, o.insertSeq, o.writeSeq = gmPersistent, o.cur, seq, seq
				continue
			}
			old := tab[o.key]
			if kind == gmKHero && (o.tgtKey() != old.Team || o.cur.Team != o.flushed.Team) {
				o.cur.Team = o.tgtKey()
			}
			if o.cur == o.flushed {
				continue
			}
			row := old
			if o.cur.ID != o.flushed.ID {
				row.ID = o.cur.ID
			}
			if o.cur.Name != o.flushed.Name {
				row.Name = o.cur.Name
			}
			if o.cur.N != o.flushed.N {
				row.N = o.cur.N
			}
			if o.cur.Team != o.flushed.Team {
				row.Team = o.cur.Team
			}
			if old.Team != row.Team {
				if t := r.teamByKey(old.Team); t != nil {
					t.relSeq = seq
				}
				if o.tgt != nil {
					o.tgt.relSeq = seq
				}
			}
			delete(tab, o.key)
			tab[row.ID] = row
			r.known[kind][row.ID] = true
			o.key, o.flushed, o.writeSeq = row.ID, o.cur, seq
		}
	}
	// Link rows.
	for pr, want := range r.pend {
		l := [2]int64{pr.h.key, pr.p.key}
		if pr.h.st != gmPersistent || pr.p.st != gmPersistent {
			r.fail("model: pending link %s-%s with an end %s/%s", pr.h, pr.p, pr.h.st, pr.p.st)
		}
		if r.mdb.links[l] != want {
			pr.h.relSeq, pr.p.relSeq = seq, seq
		}
		if want {
			r.mdb.links[l] = true
		} else {
			delete(r.mdb.links, l)
		}
	}
	// Deletes.
	var gone []*gmObj
	for _, o := range r.objs {
		if o.st != gmDeleted {
			continue
		}
		gone = append(gone, o)
		delete(r.mdb.table(o.kind), o.key)
		for l := range r.mdb.links {
			if o.kind == gmKHero && l[0] == o.key || o.kind == gmKPower && l[1] == o.key {
				delete(r.mdb.links, l)
			}
		}
		if o.kind == gmKTeam {
			for hk, row := range r.mdb.heroes {
				if row.Team != o.key {
					continue
				}
				row.Team = 0
				r.mdb.heroes[hk] = row
				if h := r.trackedByKey(gmKHero, hk); h != nil && h.st == gmPersistent {
					// The database set the key NULL: the hero shows it
					// now, or is expired and reloads it.
					h.setNullSeq, h.tgt = seq, nil
					if h.exp == gmNo {
						h.exp = gmEither
					}
				}
			}
		}
		o.st, o.deletedFlushed, o.writeSeq = gmDetached, true, seq
	}
	for _, o := range r.objs {
		if !o.live() {
			continue
		}
		o.rawSet, o.ops = false, false
		for _, g := range gone {
			if o.coll.st != gmUnloaded && o.coll.has(g) {
				if !gmDeleteLeavesRelations {
					// The test's workaround: take it out by hand.
					r.setColl(o, slices.DeleteFunc(slices.Clone(o.coll.items), func(x *gmObj) bool { return x == g }))
					o.rawSet = false
				}
				o.coll.remove(g)
				o.coll.st = gmMaybe // without it, or not loaded
			}
			if o.lazy.st != gmUnloaded && o.lazy.has(g) {
				o.lazy = gmRel{st: gmMaybe} // loaded nil, or not loaded
			}
		}
		// A flush that deletes may unload (rather than edit) collections
		// of the deleted objects' kind: not loaded holds nothing wrong.
		for _, g := range gone {
			if o.coll.st == gmLoaded && o.kind != g.kind && (o.kind == gmKTeam) == (g.kind == gmKHero) || o.kind == gmKHero && g.kind == gmKPower && o.coll.st == gmLoaded {
				o.coll.st = gmMaybe
			}
			if o.kind == gmKHero && g.kind == gmKTeam && o.lazy.st == gmLoaded {
				o.lazy.st = gmMaybe
			}
		}
		o.coll.touched, o.lazy.touched = false, false
	}
	r.pend = map[gmPair]bool{}
}

func (r *gmRun) snapshot(sp *orm.Savepoint) *gmScope {
	r.gen++
	sc := &gmScope{sp: sp, seq: r.seq, db: r.mdb.clone(), objs: map[*gmObj]gmObj{}, gen: r.gen}
	for _, o := range r.objs {
		sc.objs[o] = *o
	}
	return sc
}

func (r *gmRun) begin() {
	r.ok(r.s.Begin(r.ctx), "Begin")
	r.scopes = []*gmScope{r.snapshot(nil)}
}

func (r *gmRun) opFlush() bool {
	r.flush("flush")
	return true
}

func (r *gmRun) opCommit() bool {
	r.preFlush()
	reached := r.reachable(true)
	err := r.s.Commit(r.ctx)
	r.logf("commit")
	r.ok(err, "Commit")
	r.afterFlush(reached)
	for _, o := range r.objs {
		if o.st == gmPersistent {
			o.exp = gmYes
			o.unloadAfterExpire()
		}
	}
	r.begin()
	return true
}

func (r *gmRun) opBeginNested() bool {
	if len(r.scopes) >= 4 {
		return false
	}
	r.preFlush()
	reached := r.reachable(true)
	sp, err := r.s.BeginNested(r.ctx)
	r.logf("begin savepoint %d", len(r.scopes))
	r.ok(err, "BeginNested")
	r.afterFlush(reached)
	r.scopes = append(r.scopes, r.snapshot(sp))
	return true
}

func (r *gmRun) opRelease() bool {
	if len(r.scopes) < 2 {
		return false
	}
	sc := r.scopes[len(r.scopes)-1]
	r.preFlush()
	reached := r.reachable(true)
	err := sc.sp.Commit(r.ctx)
	r.logf("release savepoint %d", len(r.scopes)-1)
	r.ok(err, "Savepoint.Commit")
	r.afterFlush(reached)
	r.scopes = r.scopes[:len(r.scopes)-1]
	return true
}

// opRollback rolls back the transaction or a savepoint (and those opened
// inside it). The session is flushed first: ambiguous, what a rollback
// does to changes never flushed (relation contents "go back to the
// scope's start", column changes "stay"; pending objects: transient or
// still pending?).
func (r *gmRun) opRollback() bool {
	i := 0
	if len(r.scopes) > 1 && r.chance(0.7) {
		i = 1 + r.rng.IntN(len(r.scopes)-1)
	}
	if !gmRollbackRestoresKeys {
		sc := r.scopes[i]
		for _, o := range r.objs {
			if o.pkPending() || o.pkChanged && o.writeSeq > sc.seq && o.insertSeq <= sc.seq {
				return false
			}
			// A key deleted and inserted again inside the scope.
			if o.deletedFlushed && o.writeSeq > sc.seq {
				for _, x := range r.objs {
					if x != o && x.kind == o.kind && x.key == o.key && (x.insertSeq > sc.seq || x.st == gmNew) {
						return false
					}
				}
			}
		}
	}
	if !r.clean() {
		r.flush("flush (before a rollback)")
		r.check()
	}
	sc := r.scopes[i]
	if i == 0 {
		err := r.s.Rollback(r.ctx)
		r.logf("rollback")
		r.ok(err, "Rollback")
	} else {
		err := sc.sp.Rollback(r.ctx)
		r.logf("rollback to savepoint %d", i)
		r.ok(err, "Savepoint.Rollback")
	}
	r.restore(sc, i == 0)
	r.scopes = r.scopes[:i]
	if i == 0 {
		r.begin()
	}
	return true
}

// restore applies a rollback of scope sc to the model (the session was
// clean): the database is as at its start; objects inserted in it are
// transient again (generated keys reset); objects deleted in it are
// tracked again; objects written in it get back their values and key and
// are expired (after a transaction rollback every persistent object is);
// every loaded relation is unloaded or holds what the rows say.
func (r *gmRun) restore(sc *gmScope, tx bool) {
	r.mdb = sc.db.clone()
	var undeleted []*gmObj
	for _, o := range r.objs {
		snap, had := sc.objs[o]
		key := o.loadKey
		if had && snap.key != 0 {
			key = snap.key
		}
		switch {
		case o.insertSeq > sc.seq:
			o.st, o.rolledBack, o.deletedFlushed = gmTransient, true, false
			o.key, o.exp, o.tgt, o.valsUnknown = 0, gmNo, nil, false
			o.cur.ID = o.explicitKey
			o.lazy, o.coll = gmRel{}, gmRel{}
			continue
		case o.st == gmDetached && o.deletedFlushed && o.writeSeq > sc.seq:
			o.st, o.deletedFlushed = gmPersistent, false
			undeleted = append(undeleted, o)
			r.restoreVals(o, key)
			o.exp = gmYes
			if !tx {
				o.exp = gmEither
			}
		case o.st == gmPersistent:
			written := o.writeSeq > sc.seq || had && snap.key != o.key
			switch {
			case written:
				r.restoreVals(o, key)
				o.exp = gmYes
			case tx:
				o.exp = gmYes
				if o.setNullSeq > sc.seq {
					// Reloaded or not since the database set its key
					// NULL, and put back or not by the rollback.
					o.valsUnknown = true
					row := r.mdb.heroes[o.key]
					o.cur, o.flushed = row, row
				}
			case o.exp == gmNo:
				// Objects a savepoint's flushes changed are expired; others
				// may be (their relations were put back).
				o.exp = gmEither
			}
		}
	}
	for _, o := range r.objs {
		if o.kind == gmKHero && o.st == gmPersistent {
			o.tgt = r.teamByKey(r.mdb.heroes[o.key].Team)
		}
	}
	for _, o := range r.objs {
		if !o.live() {
			continue
		}
		o.rawSet, o.ops = false, false
		if !gmRollbackRestoresGraph {
			// Without the graph restored, the test unloads the relations
			// itself (a workaround a user would need).
			switch p := o.ptr.(type) {
			case *gmTeam:
				p.Heroes.Reset()
			case *gmHero:
				p.Team.Reset()
				p.Powers.Reset()
				p.Powers.ClearPending()
			case *gmPower:
				p.Heroes.Reset()
				p.Heroes.ClearPending()
			}
			o.lazy, o.coll = gmRel{}, gmRel{}
			continue
		}
		// A field set since the last flush keeps that (net unchanged)
		// value, and stays "changed" for a later expiry.
		lt, ct := o.lazy.touched, o.coll.touched
		if o.kind == gmKHero {
			if items, ok := r.truth(o, true); ok {
				o.lazy = gmRel{st: gmMaybe, items: items, touched: lt}
			} else {
				o.lazy = gmRel{}
			}
		}
		if items, ok := r.truth(o, false); ok {
			o.coll = gmRel{st: gmMaybe, items: items, touched: ct}
		} else {
			o.coll = gmRel{}
		}
		if !gmRollbackRestoresDeletedInRelations {
			// Workaround: unload the relations that should hold an
			// object the rollback brought back.
			back := slices.Contains(undeleted, o) // its own relations too
			if o.kind == gmKHero && (back || slices.ContainsFunc(o.lazy.items, func(x *gmObj) bool { return slices.Contains(undeleted, x) })) {
				o.hero().Team.Reset()
				o.lazy = gmRel{}
			}
			if back || slices.ContainsFunc(o.coll.items, func(x *gmObj) bool { return slices.Contains(undeleted, x) }) {
				switch p := o.ptr.(type) {
				case *gmTeam:
					p.Heroes.Reset()
				case *gmHero:
					p.Powers.Reset()
				case *gmPower:
					p.Heroes.Reset()
				}
				o.coll = gmRel{}
			}
		}
	}
	r.pend = map[gmPair]bool{}
}

// restoreVals puts back an object's key; it is expired, and its values
// are those of the row once it reloads. (The struct's values before that
// are not specified: the session puts back its own snapshot, which differs
// from the row where the database changed the row itself, ON DELETE SET
// NULL.)
func (r *gmRun) restoreVals(o *gmObj, key int64) {
	row, ok := r.mdb.table(o.kind)[key]
	if !ok {
		r.fail("model: restore of %s: no row %d", o, key)
	}
	o.key = key
	o.cur, o.flushed, o.valsUnknown = row, row, true
}

// opReachDetached relates a tracked object to an expunged or deleted
// (flushed) object and flushes: the flush must fail and change nothing.
// The relation is then taken back.
func (r *gmRun) opReachDetached() bool {
	if !gmReachDetachedFails {
		return false
	}
	b := r.pick(func(o *gmObj) bool { return o.st == gmDetached && o.key != 0 })
	if b == nil {
		return false
	}
	var undo func()
	var desc string
	switch b.kind {
	case gmKTeam:
		h := r.pick(r.editableHero)
		if h == nil {
			return false
		}
		prev, loaded := h.hero().Team.Get()
		prevRel := h.lazy
		h.hero().Team.Set(b.team())
		h.lazy = gmRel{st: gmLoaded, items: []*gmObj{b}}
		desc = fmt.Sprintf("%s.Team.Set(%s %s)", h, b.st, b)
		undo = func() {
			if loaded {
				h.hero().Team.Set(prev)
			} else {
				h.hero().Team.Reset()
			}
			h.lazy = prevRel
		}
	case gmKPower:
		h := r.pick(func(o *gmObj) bool { return o.kind == gmKHero && o.live() && !o.pkPending() && !o.rawSet })
		if h == nil {
			return false
		}
		h.hero().Powers.Link(b.power())
		prevRel := h.coll
		if h.coll.st == gmLoaded {
			h.coll = gmRel{st: gmLoaded, items: append(slices.Clone(h.coll.items), b)}
		}
		desc = fmt.Sprintf("%s.Powers.Link(%s %s)", h, b.st, b)
		undo = func() {
			h.hero().Powers.Unlink(b.power())
			h.coll = prevRel
		}
	case gmKHero:
		t := r.pick(func(o *gmObj) bool { return o.kind == gmKTeam && o.live() && o.coll.st == gmLoaded })
		if t == nil {
			return false
		}
		prev := t.team().Heroes.Items()
		prevRel := t.coll
		t.team().Heroes.Set(append(slices.Clone(prev), b.hero()))
		t.coll = gmRel{st: gmLoaded, items: append(slices.Clone(t.coll.items), b)}
		desc = fmt.Sprintf("%s.Heroes.Set(+%s %s)", t, b.st, b)
		undo = func() {
			t.team().Heroes.Set(prev)
			t.coll = prevRel
		}
	}
	r.logf("%s; flush (must fail)", desc)
	err := r.s.Flush(r.ctx)
	if err == nil {
		r.fail("Flush succeeded after %s: an object that is not tracked any more was written through a relation", desc)
	}
	r.noSelfCheck = true
	r.check()
	r.noSelfCheck = false
	undo()
	r.logf("  flush failed as it must (%v); relation taken back", gmShort(err))
	return true
}

func gmShort(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// ---- checks ----

// readDB reads the four tables inside the session's transaction (Scalars
// resolve nothing through the identity map).
func (r *gmRun) readDB() gmDB {
	d := gmDB{teams: map[int64]gmVals{}, heroes: map[int64]gmVals{}, powers: map[int64]gmVals{}, links: map[[2]int64]bool{}}
	ids := func(ids []int64, err error) []int64 {
		r.ok(err, "read ids")
		return ids
	}
	names := func(n []string, err error) []string {
		r.ok(err, "read names")
		return n
	}
	{
		q := func() *orm.Query[gmTeam] { return orm.Select[gmTeam](r.s).OrderBy("id") }
		is, ns := ids(orm.Scalars[int64](r.ctx, q(), "id")), names(orm.Scalars[string](r.ctx, q(), "name"))
		for i, id := range is {
			d.teams[id] = gmVals{ID: id, Name: ns[i]}
		}
	}
	{
		q := func() *orm.Query[gmPower] { return orm.Select[gmPower](r.s).OrderBy("id") }
		is, ns := ids(orm.Scalars[int64](r.ctx, q(), "id")), names(orm.Scalars[string](r.ctx, q(), "name"))
		for i, id := range is {
			d.powers[id] = gmVals{ID: id, Name: ns[i]}
		}
	}
	{
		q := func() *orm.Query[gmHero] { return orm.Select[gmHero](r.s).OrderBy("id") }
		is, ns := ids(orm.Scalars[int64](r.ctx, q(), "id")), names(orm.Scalars[string](r.ctx, q(), "name"))
		nn := ids(orm.Scalars[int64](r.ctx, q(), "n"))
		tt, err := orm.Scalars[sql.NullInt64](r.ctx, q(), "team_id")
		r.ok(err, "read team ids")
		for i, id := range is {
			d.heroes[id] = gmVals{ID: id, Name: ns[i], N: int(nn[i]), Team: tt[i].Int64}
		}
	}
	{
		q := func() *orm.Query[gmHero] {
			return orm.Select[gmHero](r.s).Join("gm_hero_power", orm.SQL("gm_hero_power.gm_hero_id = gm_hero.id")).
				OrderBy("gm_hero_power.gm_hero_id", "gm_hero_power.gm_power_id")
		}
		hs := ids(orm.Scalars[int64](r.ctx, q(), "gm_hero_power.gm_hero_id"))
		ps := ids(orm.Scalars[int64](r.ctx, q(), "gm_hero_power.gm_power_id"))
		for i := range hs {
			d.links[[2]int64{hs[i], ps[i]}] = true
		}
	}
	return d
}

func gmDiffRows(what string, got, want map[int64]gmVals) []string {
	var out []string
	keys := map[int64]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var ks []int64
	for k := range keys {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	for _, k := range ks {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			out = append(out, fmt.Sprintf("db %s %d missing, want %+v", what, k, w))
		case !wok:
			out = append(out, fmt.Sprintf("db %s %d = %+v, want no row", what, k, g))
		case g != w:
			out = append(out, fmt.Sprintf("db %s %d = %+v, want %+v", what, k, g, w))
		}
	}
	return out
}

func (r *gmRun) sameSet(a, b []*gmObj) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// checkRel compares one relation field with the model, resolving gmMaybe.
func (r *gmRun) checkRel(o *gmObj, name string, rel *gmRel, actual []any, loaded bool, bad func(string, ...any)) {
	var got []*gmObj
	for _, a := range actual {
		x := r.byPtr[a]
		if x == nil {
			bad("%s.%s holds %s %d, an object the model does not know", o, name, fmt.Sprintf("%T", a), gmActual(a).ID)
			return
		}
		if slices.Contains(got, x) {
			bad("%s.%s holds %s twice", o, name, x)
		}
		got = append(got, x)
	}
	switch rel.st {
	case gmUnloaded:
		if loaded {
			bad("%s.%s is loaded with %v, want not loaded", o, name, got)
		}
	case gmLoaded:
		if !loaded {
			bad("%s.%s is not loaded, want %v", o, name, rel.items)
		} else if !r.sameSet(got, rel.items) {
			bad("%s.%s = %v, want %v", o, name, got, rel.items)
		}
	case gmMaybe:
		switch {
		case !loaded:
			*rel = gmRel{}
		case r.sameSet(got, rel.items):
			rel.st = gmLoaded
		default:
			bad("%s.%s = %v, want %v or not loaded", o, name, got, rel.items)
		}
	}
}

var gmStates = map[gmSt]orm.ObjectState{gmNew: orm.StateNew, gmDeleted: orm.StateDeleted}

// check compares the session and the database with the model (with
// AutoFlush suspended: its reads must not change what they look at).
func (r *gmRun) check() {
	r.t.Helper()
	var errs []string
	r.s.NoAutoFlush(func() { errs = r.check1() })
	if len(errs) > 0 {
		sort.Strings(errs)
		r.fail("the session or the database differs from the model:\n  %s", strings.Join(errs, "\n  "))
	}
}

func (r *gmRun) check1() []string {
	r.t.Helper()
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	reach := r.reachable(false)
	for _, o := range r.objs {
		st, tracked := r.s.ObjectState(o.ptr)
		if o.st == gmTransient && tracked && st == orm.StateNew && slices.Contains(reach, o) {
			// Add cascades through the loaded relations of objects
			// already tracked too (the reference stops at them): a new
			// object they reach is New now, or at the flush.
			o.st = gmNew
		}
		switch o.st {
		case gmTransient, gmDetached:
			if tracked {
				bad("%s (%s %s): state %v, want untracked", o, o.kind, o.st, st)
			}
		case gmNew, gmDeleted:
			if !tracked || st != gmStates[o.st] {
				bad("%s: state %v (tracked %v), want %v", o, st, tracked, gmStates[o.st])
			}
		case gmPersistent:
			switch {
			case !tracked:
				bad("%s: not tracked, want persistent (expired %v)", o, o.exp)
			case st == orm.StateExpired && o.exp != gmNo:
				o.exp = gmYes
			case st == orm.StatePersistent && o.exp == gmEither:
				r.reload(o)
			case st == orm.StatePersistent && o.exp == gmNo:
			default:
				bad("%s: state %v, want persistent (expired %v)", o, st, o.exp)
			}
		}
		if o.rolledBack && !o.pkChanged {
			// (Ambiguous after a key change inside the scope: is the
			// key a generated value to reset?)
			if id := gmActual(o.ptr).ID; id != o.explicitKey {
				bad("%s (rolled back): ID %d, want %d", o, id, o.explicitKey)
			}
		}
		// (A deleted object that was expired may have been reloaded: its
		// values do not matter any more.)
		if o.tracked() && !(o.exp == gmYes && o.valsUnknown) && !(o.st == gmDeleted && o.exp != gmNo) {
			if got := gmActual(o.ptr); got != o.cur {
				bad("%s: fields %+v, want %+v", o, got, o.cur)
			}
		}
		if !o.live() {
			continue
		}
		switch p := o.ptr.(type) {
		case *gmTeam:
			items, loaded := p.Heroes.Get()
			r.checkRel(o, "Heroes", &o.coll, anys(items), loaded, bad)
		case *gmHero:
			t, loaded := p.Team.Get()
			var items []any
			if t != nil {
				items = append(items, t)
			}
			r.checkRel(o, "Team", &o.lazy, items, loaded, bad)
			ps, loaded := p.Powers.Get()
			r.checkRel(o, "Powers", &o.coll, anys(ps), loaded, bad)
		case *gmPower:
			items, loaded := p.Heroes.Get()
			r.checkRel(o, "Heroes", &o.coll, anys(items), loaded, bad)
		}
	}
	// Identity: Get of a tracked key returns the tracked object without SQL;
	// of a deleted one, ErrNotFound.
	for _, o := range r.objs {
		switch {
		case o.st == gmPersistent && o.exp == gmNo:
			n := r.rec.Count()
			got, err := r.get(o.kind, o.key)
			if err != nil || r.byPtr[got] != o {
				bad("Get %s %d = %p, %v; want %s", o.kind, o.key, got, err, o)
			} else if r.rec.Count() != n {
				bad("Get %s %d (%s, tracked) sent SQL", o.kind, o.key, o)
			}
		case o.st == gmDeleted:
			// Without AutoFlush (the check suspends it) Get answers as a
			// query would: the row is still there, the instance is
			// tracked (and still deleted).
			if got, err := r.get(o.kind, o.key); err != nil || r.byPtr[got] != o {
				bad("Get %s %d (%s, deleted, no autoflush) = %p, %v; want %s", o.kind, o.key, o, got, err, o)
			}
		}
	}
	// A few keys with neither a tracked object nor a row.
	for k := range gmKind(3) {
		var absent []int64
		for key := range r.known[k] {
			if _, ok := r.mdb.table(k)[key]; !ok && r.trackedByKey(k, key) == nil {
				absent = append(absent, key)
			}
		}
		slices.Sort(absent)
		r.rng.Shuffle(len(absent), func(i, j int) { absent[i], absent[j] = absent[j], absent[i] })
		for _, key := range absent[:min(2, len(absent))] {
			if got, err := r.get(k, key); !isNotFound(err) {
				bad("Get %s %d (no row, not tracked) = %p, %v; want ErrNotFound", k, key, got, err)
			}
		}
	}
	// The database.
	got := r.readDB()
	errs = append(errs, gmDiffRows("team", got.teams, r.mdb.teams)...)
	errs = append(errs, gmDiffRows("hero", got.heroes, r.mdb.heroes)...)
	errs = append(errs, gmDiffRows("power", got.powers, r.mdb.powers)...)
	for l := range got.links {
		if !r.mdb.links[l] {
			bad("db link hero %d - power %d, want none", l[0], l[1])
		}
	}
	for l := range r.mdb.links {
		if !got.links[l] {
			bad("db link hero %d - power %d missing", l[0], l[1])
		}
	}
	// Self-check of the model: with nothing to flush, loaded relations
	// hold what the rows say.
	if len(errs) == 0 && !r.noSelfCheck && r.clean() {
		for _, o := range r.objs {
			if o.st != gmPersistent {
				continue
			}
			for _, lazy := range []bool{false, true} {
				rel := &o.coll
				if lazy {
					if o.kind != gmKHero {
						continue
					}
					rel = &o.lazy
				}
				if rel.st != gmLoaded {
					continue
				}
				if want, ok := r.truth(o, lazy); !ok || !r.sameSet(rel.items, want) {
					bad("model self-check: %s loaded relation (lazy %v) holds %v, the rows say %v", o, lazy, rel.items, want)
				}
			}
		}
	}
	return errs
}

func anys[T any](items []*T) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

// ---- the driver ----

type gmOp struct {
	name string
	w    int
	fn   func(r *gmRun) bool
}

var gmOps = []gmOp{
	{"add hero", 8, (*gmRun).opAddHero},
	{"add team", 4, (*gmRun).opAddTeam},
	{"add power", 4, (*gmRun).opAddPower},
	{"re-add key", 1, (*gmRun).opReAdd},
	{"delete", 5, (*gmRun).opDelete},
	{"change column", 6, (*gmRun).opChangeColumn},
	{"change key", 2, (*gmRun).opChangePK},
	{"set team", 7, (*gmRun).opSetTeam},
	{"set team id", 2, (*gmRun).opSetTeamID},
	{"move hero", 5, (*gmRun).opMoveHero},
	{"remove hero", 3, (*gmRun).opRemoveHero},
	{"link", 9, (*gmRun).opLink},
	{"set links", 3, (*gmRun).opSetLinks},
	{"expunge", 2, (*gmRun).opExpunge},
	{"merge", 2, (*gmRun).opMerge},
	{"get", 5, (*gmRun).opGet},
	{"load", 10, (*gmRun).opLoad},
	{"expire", 3, (*gmRun).opExpire},
	{"flush", 5, (*gmRun).opFlush},
	{"savepoint", 3, (*gmRun).opBeginNested},
	{"release", 2, (*gmRun).opRelease},
	{"rollback", 3, (*gmRun).opRollback},
	{"commit", 2, (*gmRun).opCommit},
	{"reach detached", 2, (*gmRun).opReachDetached},
}

func (r *gmRun) live(k gmKind) int {
	n := 0
	for _, o := range r.objs {
		if o.kind == k && o.live() {
			n++
		}
	}
	return n
}

func (r *gmRun) pickOp() gmOp {
	total := 0
	weight := func(op gmOp) int {
		// Keep the world small, so that operations meet the same objects.
		switch op.name {
		case "add hero":
			if r.live(gmKHero) > 12 {
				return 1
			}
		case "add team", "add power":
			if r.live(gmKTeam)+r.live(gmKPower) > 12 {
				return 1
			}
		}
		return op.w
	}
	for _, op := range gmOps {
		total += weight(op)
	}
	n := r.rng.IntN(total)
	for _, op := range gmOps {
		if n -= weight(op); n < 0 {
			return op
		}
	}
	return gmOps[0]
}

func gmEnvInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil {
			return n
		}
	}
	return def
}

func (r *gmRun) run() {
	r.begin()
	for r.step = 1; r.step <= r.steps; r.step++ {
		for tries := 0; ; tries++ {
			if tries > 100 {
				r.flush("flush")
				break
			}
			if op := r.pickOp(); op.fn(r) {
				break
			}
		}
		if r.trace {
			r.t.Logf("after step %d (%s):\n%s%s", r.step, r.log[len(r.log)-1], r.rec.Dump(), r.s.DebugState())
		}
		r.check()
		r.rec.Reset()
	}
	r.step++
	r.opCommit()
	r.check()
}

func TestGraphModel(t *testing.T) {
	steps := gmEnvInt("GM_STEPS", 300)
	runs := gmEnvInt("GM_RUNS", 8)
	var seeds []uint64
	if v := os.Getenv("GM_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("GM_SEED=%q: %v", v, err)
		}
		seeds = []uint64{s}
	} else {
		base := uint64(time.Now().UnixNano())
		for i := range runs {
			seeds = append(seeds, base+uint64(i))
		}
	}
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(len(seeds))*5*time.Minute)
		defer cancel()
		if err := db.CreateAll(ctx, &gmTeam{}, &gmHero{}, &gmPower{}); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		rdb, rec := testkit.Record(db)
		start := time.Now()
		for _, seed := range seeds {
			for _, table := range []string{"gm_hero_power", "gm_hero", "gm_power", "gm_team"} {
				if _, err := db.SQL().ExecContext(ctx, "DELETE FROM "+db.Dialect().Quote(table)); err != nil {
					t.Fatalf("clear %s: %v", table, err)
				}
			}
			t.Logf("seed %d (GM_SEED=%d to replay)", seed, seed)
			r := &gmRun{
				t: t, ctx: ctx, db: rdb, rec: rec, seed: seed, steps: steps,
				rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
				byPtr:  map[any]*gmObj{},
				mdb:    gmDB{teams: map[int64]gmVals{}, heroes: map[int64]gmVals{}, powers: map[int64]gmVals{}, links: map[[2]int64]bool{}},
				pend:   map[gmPair]bool{},
				nextPK: 1 << 30,
				known:  [3]map[int64]bool{{}, {}, {}},
				trace:  os.Getenv("GM_TRACE") != "",
			}
			// Half the runs with AutoFlush (queries, Get misses, Refresh
			// and loads flush first), half without.
			cfg := orm.DefaultSessionConfig()
			cfg.AutoFlush = seed%2 == 0
			r.s = orm.NewSessionWithConfig(rdb, cfg)
			r.s.DisableN1Detection() // loads one parent at a time on purpose
			// Each run has its own deadline: GM_RUNS=12 on a loaded machine
			// takes longer than one budget for all runs.
			runCtx, runCancel := context.WithTimeout(ctx, 5*time.Minute)
			r.ctx = runCtx
			r.run()
			err := r.s.Close()
			runCancel()
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
		}
		t.Logf("%d runs x %d steps in %v", len(seeds), steps, time.Since(start).Round(time.Millisecond))
	})
}
