package session

import (
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
	"weak"

	"github.com/sqlmodel-go/sqlmodel/internal/smallmap"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// identity is the identity-map key: a model and its normalised primary-key
// tuple. Integer keys live in n, string keys in s; other single keys and
// composite keys are an unambiguous, length-prefixed encoding of the
// normalised values in s (not a hash: two different tuples never share an
// identity). A typed struct, not an interface, so that lookups do not
// allocate.
type identity struct {
	model *schema.Model
	key   idKey
}

// idKey is a normalised key value.
type idKey struct {
	kind uint8 // 1 int64, 2 string, 3 encoded
	n    int64
	s    string
}

func (id identity) String() string { return id.key.String() }

func (k idKey) String() string {
	switch k.kind {
	case 1:
		return strconv.FormatInt(k.n, 10)
	case 2:
		return strconv.Quote(k.s)
	}
	return k.s
}

// normKey normalises one key value so that equal keys of different Go
// integer types (int, int32, int64, named types) compare equal.
func normKey(v any) (idKey, error) {
	switch x := v.(type) {
	case nil:
		return idKey{}, fmt.Errorf("NULL primary key")
	case int64:
		return idKey{kind: 1, n: x}, nil
	case int:
		return idKey{kind: 1, n: int64(x)}, nil
	case string:
		return idKey{kind: 2, s: x}, nil
	case []byte:
		return idKey{kind: 3, s: "b:" + string(x)}, nil
	case time.Time:
		return idKey{kind: 3, s: "t:" + x.UTC().Format(time.RFC3339Nano)}, nil
	case bool:
		return idKey{kind: 3, s: "B:" + strconv.FormatBool(x)}, nil
	case driver.Valuer:
		dv, err := x.Value()
		if err != nil {
			return idKey{}, err
		}
		return normKey(dv)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return idKey{kind: 1, n: rv.Int()}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u <= math.MaxInt64 {
			return idKey{kind: 1, n: int64(u)}, nil
		}
		return idKey{kind: 3, s: "u:" + strconv.FormatUint(u, 10)}, nil
	case reflect.Float32, reflect.Float64:
		return idKey{kind: 3, s: "f:" + strconv.FormatFloat(rv.Float(), 'g', -1, 64)}, nil
	case reflect.String:
		return idKey{kind: 2, s: rv.String()}, nil
	case reflect.Bool:
		return idKey{kind: 3, s: "B:" + strconv.FormatBool(rv.Bool())}, nil
	}
	return idKey{}, fmt.Errorf("unsupported key type %T", v)
}

// keyOf reads the primary key of the struct at p. ok is false when any key
// column holds its zero value and is generated (an unsaved autoincrement
// key), or holds NULL.
func keyOf(m *schema.Model, p unsafe.Pointer) (identity, bool, error) {
	return keyOfMode(m, p, false)
}

// rowKeyOf is keyOf for values that come from a row of the database (or
// that the caller passes to Get): there a zero autoincrement key is a real
// key (a row with id 0 exists on PostgreSQL, SQLite, and MySQL with
// NO_AUTO_VALUE_ON_ZERO), not the mark of an unsaved object.
func rowKeyOf(m *schema.Model, p unsafe.Pointer) (identity, bool, error) {
	return keyOfMode(m, p, true)
}

func keyOfMode(m *schema.Model, p unsafe.Pointer, row bool) (identity, bool, error) {
	if len(m.PrimaryKey) == 1 {
		f := m.PrimaryKey[0]
		if n, ok := f.Int64(p); ok { // the common case, without boxing
			if !row && f.AutoIncrement && n == 0 {
				return identity{}, false, nil
			}
			return identity{m, idKey{kind: 1, n: n}}, true, nil
		}
		if !row && f.AutoIncrement && f.IsZero(p) {
			return identity{}, false, nil
		}
		v, err := f.Value(p)
		if err != nil {
			return identity{}, false, err
		}
		if v == nil {
			return identity{}, false, nil
		}
		k, err := normKey(v)
		if err != nil {
			return identity{}, false, fmt.Errorf("%s.%s: %w", m.Name, f.Path, err)
		}
		return identity{m, k}, true, nil
	}
	var b strings.Builder
	for _, f := range m.PrimaryKey {
		v, err := f.Value(p)
		if err != nil {
			return identity{}, false, err
		}
		if v == nil {
			return identity{}, false, nil
		}
		k, err := normKey(v)
		if err != nil {
			return identity{}, false, fmt.Errorf("%s.%s: %w", m.Name, f.Path, err)
		}
		s := strconv.Itoa(int(k.kind)) + ":" + k.String()
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	return identity{m, idKey{kind: 3, s: b.String()}}, true, nil
}

// entry is one tracked object. The flags sit together, after state, so
// that the struct has no padding between them (an entry per loaded row).
type entry struct {
	model *schema.Model
	// strong keeps the object alive; nil when the object is held weakly
	// (WeakIdentityMap and clean).
	strong unsafe.Pointer
	weak   weak.Pointer[byte]
	addr   uintptr // address of the object, the byPtr key

	state ObjectState // StateNew, StatePersistent or StateDeleted; StateExpired is the expired flag
	keyed bool        // id is valid
	// expired marks values to reload; expiredCols limits it to some
	// columns (nil means all).
	expired bool
	// tracked is true while the entry is in the map; inList while it sits
	// in identityMap.list (which compaction catches up with lazily).
	tracked, inList bool
	// watched: a cleanup counts the collection of the weakly held object.
	watched bool

	id identity
	// snapshot is a deep copy of the struct as last loaded or flushed; nil
	// for StateNew objects, and for objects attached by MarkDirty without a load
	// (then every column counts as changed).
	snapshot    unsafe.Pointer
	expiredCols map[string]bool
	seq         uint64 // add order
	// rels are the relation bases (relhistory.go), by position in
	// model.Relations; nil when none was recorded.
	rels []relBase
	// unloaded lists the columns a partial query (Raw with some columns)
	// did not read and that were not loaded since: their values in the
	// object are not the database's, and a flush refuses to write them.
	unloaded map[string]bool
}

// ptr returns the object's address, or nil when a weakly held object has
// been collected.
func (e *entry) ptr() unsafe.Pointer {
	if e.strong != nil {
		return e.strong
	}
	if b := e.weak.Value(); b != nil {
		return unsafe.Pointer(b)
	}
	return nil
}

// identityMap indexes tracked objects by identity and by address.
type identityMap struct {
	// byPtr keeps its first entries inline (a session of a few objects
	// makes no map for it); byID is an idIndex (idindex.go), which does
	// the same.
	byID  idIndex
	byPtr smallmap.Map[uintptr, *entry]
	// list holds the entries in add order for fast sequential scans; it
	// may still hold dropped entries (tracked false) until compaction.
	list []*entry
	dead int // dropped entries still in list
	// withRel counts tracked entries whose model has relations, so that
	// flushes skip the save-cascade scan when there are none.
	withRel int
	seq     uint64
	weak    bool
	// collected counts the weakly held objects the garbage collector
	// reclaimed since the last sweep; once they are many, track drops
	// their entries (with their snapshots), so that streaming many rows
	// through a weak session keeps memory bounded.
	collected *atomic.Int64
	// session owns the map; tag is its entry in the table of owners (see
	// owners.go), made at the first object, nil for weak maps.
	session *Session
	tag     *ownerTag
	// deferClaims holds back the ownership claims of the entries track
	// makes, in pending, until claimPending makes them in one batch (a
	// load that runs no user code in between).
	deferClaims bool
	pending     []*entry
	// slab hands out entries (one allocation for many); snaps hands out
	// the snapshots of rows of one model loaded one after the other
	// (strong maps only: a slab stays allocated while any of its
	// snapshots, or entries, is in use).
	slab  []entry
	snapM *schema.Model // model of the last snapshot taken alone
	snaps *snapSlab     // slab of the model loaded in a row
}

// newEntry allocates a zeroed entry from the slab, which grows 4, 8, … 256.
func (im *identityMap) newEntry() *entry {
	if len(im.slab) == cap(im.slab) {
		im.slab = make([]entry, 0, min(256, max(4, 2*cap(im.slab))))
	}
	im.slab = im.slab[:len(im.slab)+1]
	return &im.slab[len(im.slab)-1]
}

// snapshot copies the columns of a loaded object for change tracking:
// from a slab per model in a strong map, on its own in a weak one (whose
// snapshots go with their objects).
func (im *identityMap) snapshot(m *schema.Model, p unsafe.Pointer) unsafe.Pointer {
	switch {
	case im.weak:
		return takeSnapshot(m, p)
	case im.snaps != nil && im.snaps.m == m:
		return im.snaps.take(p)
	case im.snapM != m:
		// The first of its model (a single Get costs one allocation).
		im.snapM = m
		return takeSnapshot(m, p)
	}
	// A second row of the model in a row: rows of a query.
	im.snaps = newSnapSlab(m, 8)
	return im.snaps.take(p)
}

func newIdentityMap(weakClean bool) identityMap {
	// The maps are made at the first object: a session that only runs
	// one statement (or none) allocates nothing for them.
	return identityMap{weak: weakClean}
}

// ready makes the owner tag before the first object is tracked.
func (im *identityMap) ready() {
	if im.tag == nil && !im.weak && im.session != nil {
		im.tag = newOwnerTag(im.session)
	}
}

// reset forgets every object: the map's claims are released.
func (im *identityMap) reset() {
	if im.tag != nil {
		im.tag.releaseAll()
		im.tag = nil
	}
}

// lookupPtr returns the entry of the object at p.
func (im *identityMap) lookupPtr(p unsafe.Pointer) *entry {
	e := im.byPtr.Get(uintptr(p))
	if e == nil {
		return nil
	}
	if e.ptr() != p { // a collected object whose address was reused
		im.drop(e)
		return nil
	}
	return e
}

// lookupID returns the live entry of an identity.
func (im *identityMap) lookupID(id identity) *entry {
	e := im.byID.get(id)
	if e == nil {
		return nil
	}
	if e.ptr() == nil {
		im.drop(e)
		return nil
	}
	return e
}

func (im *identityMap) track(m *schema.Model, p unsafe.Pointer, state ObjectState) *entry {
	im.seq++
	e := im.newEntry() // zeroed: only the fields set here are written
	e.model, e.strong, e.addr, e.state, e.seq = m, p, uintptr(p), state, im.seq
	im.ready()
	im.byPtr.Set(e.addr, e)
	if im.tag != nil {
		if im.deferClaims {
			im.pending = append(im.pending, e)
		} else {
			im.tag.claim(e.addr)
		}
	}
	im.attach(e)
	if im.collected != nil {
		if n := im.collected.Load(); n >= 1024 && n >= int64(im.byPtr.Len()/4) {
			im.sweep()
		}
	}
	return e
}

// claimPending makes the claims deferClaims held back, of the entries still
// tracked, and stops deferring.
func (im *identityMap) claimPending() {
	im.deferClaims = false
	if len(im.pending) == 0 {
		return
	}
	if im.tag != nil {
		buf := getAddrs(len(im.pending))
		ps := *buf
		for _, e := range im.pending {
			if e.tracked {
				ps = append(ps, e.addr)
			}
		}
		im.tag.claimAll(ps)
		*buf = ps
		putAddrs(buf)
	}
	clear(im.pending)
	im.pending = im.pending[:0]
}

// sweep drops the entries of objects the garbage collector reclaimed
// (weak maps only), and sets the size of the next sweep.
func (im *identityMap) sweep() {
	for _, e := range im.byPtr.All() {
		if e.strong == nil && e.weak.Value() == nil {
			im.drop(e)
		}
	}
	im.compact()
	im.collected.Store(0)
}

// attach marks e tracked and lists it.
func (im *identityMap) attach(e *entry) {
	if e.tracked {
		return
	}
	e.tracked = true
	if len(e.model.Relations) > 0 {
		im.withRel++
	}
	if e.inList {
		im.dead--
		return
	}
	e.inList = true
	im.list = append(im.list, e)
}

// retrack puts a dropped entry back (a rolled-back delete).
func (im *identityMap) retrack(e *entry) {
	im.ready()
	im.byPtr.Set(e.addr, e)
	if im.tag != nil {
		im.tag.claim(e.addr)
	}
	if e.keyed {
		if other := im.lookupID(e.id); other == nil {
			im.byID.set(e.id, e)
		}
	}
	im.attach(e)
}

// live calls fn for every tracked, live entry in list order (add order,
// except for re-tracked entries), dropping collected ones.
func (im *identityMap) live(fn func(e *entry, p unsafe.Pointer)) {
	for _, e := range im.list {
		if !e.tracked {
			continue
		}
		p := e.ptr()
		if p == nil {
			im.drop(e)
			continue
		}
		fn(e, p)
	}
	im.compact()
}

// compact removes dropped entries from list once they are many.
func (im *identityMap) compact() {
	if im.dead < 1024 || im.dead < len(im.list)/2 {
		return
	}
	out := im.list[:0]
	for _, e := range im.list {
		if e.tracked {
			out = append(out, e)
		} else {
			e.inList = false
		}
	}
	clear(im.list[len(out):])
	im.list, im.dead = out, 0
}

// reserveKeys makes room for n more keyed entries of m at once, rather
// than growing the key map step by step while a large flush keys its
// inserts.
func (im *identityMap) reserveKeys(m *schema.Model, n int) {
	im.byID.reserve(m, n)
}

// keyNew keys a new entry e with the integer identity id, which the
// caller has not looked up: when an entry has it already (the same row
// read twice), that entry keeps it, e is dropped, and keyNew returns the
// entry; otherwise it returns nil.
func (im *identityMap) keyNew(e *entry, id identity) *entry {
	if im.byID.add(id, e) {
		e.id, e.keyed = id, true
		return nil
	}
	for i := len(im.list) - 1; i >= 0; i-- {
		if o := im.list[i]; o != e && o.tracked && o.keyed && o.id == id {
			im.byID.set(id, o)
			im.drop(e)
			return o
		}
	}
	// No tracked entry has it (cannot happen: it was in the map): e keeps it.
	e.id, e.keyed = id, true
	return nil
}

// setID (re)keys an entry.
func (im *identityMap) setID(e *entry, id identity) {
	if e.keyed {
		im.byID.remove(e.id, e)
	}
	e.id, e.keyed = id, true
	im.ready()
	im.byID.set(id, e)
}

func (im *identityMap) drop(e *entry) {
	if e.tracked {
		e.tracked = false
		im.dead++
		if len(e.model.Relations) > 0 {
			im.withRel--
		}
	}
	if im.byPtr.Get(e.addr) == e {
		im.byPtr.Delete(e.addr)
		if im.tag != nil {
			im.tag.release(e.addr)
		}
	}
	if e.keyed {
		im.byID.remove(e.id, e)
	}
}

// settle holds a clean persistent object weakly when the map is weak, and
// strongly otherwise; objects with pending work are always held strongly.
func (im *identityMap) settle(e *entry, clean bool) {
	p := e.ptr()
	if p == nil {
		return
	}
	if im.weak && clean && e.state == StatePersistent {
		e.weak = weak.Make((*byte)(p))
		e.strong = nil
		if !e.watched {
			// Count the object's collection, so that track knows when a
			// sweep has entries to drop.
			e.watched = true
			if im.collected == nil {
				im.collected = new(atomic.Int64)
			}
			runtime.AddCleanup((*byte)(p), func(c *atomic.Int64) { c.Add(1) }, im.collected)
		}
		return
	}
	e.strong = p
}

// entries returns live entries in add order.
func (im *identityMap) entries() []*entry {
	out := make([]*entry, 0, im.byPtr.Len())
	im.live(func(e *entry, _ unsafe.Pointer) { out = append(out, e) })
	sortEntries(out)
	return out
}
