package session

import (
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"
	"weak"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// identity is the identity-map key: a model and its normalised primary-key
// tuple. Single keys are stored as their normalised value; composite keys as
// an unambiguous, length-prefixed encoding of the normalised values (not a
// hash: two different tuples never share an identity).
type identity struct {
	model *schema.Model
	key   any
}

func (id identity) String() string { return fmt.Sprint(id.key) }

// normKey normalises one key value so that equal keys of different Go
// integer types (int, int32, int64) compare equal.
func normKey(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, fmt.Errorf("NULL primary key")
	case int64:
		return x, nil
	case string:
		return x, nil
	case []byte:
		return "b:" + string(x), nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	case bool:
		return x, nil
	case driver.Valuer:
		dv, err := x.Value()
		if err != nil {
			return nil, err
		}
		return normKey(dv)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u <= math.MaxInt64 {
			return int64(u), nil
		}
		return u, nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	}
	return nil, fmt.Errorf("unsupported key type %T", v)
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
		s := fmt.Sprintf("%T:%v", k, k)
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	return identity{m, b.String()}, true, nil
}

// entry is one tracked object.
type entry struct {
	model *schema.Model
	// strong keeps the object alive; nil when the object is held weakly
	// (WeakIdentityMap and clean).
	strong unsafe.Pointer
	weak   weak.Pointer[byte]
	addr   uintptr // address of the object, the byPtr key

	state ObjectState // StateNew, StatePersistent or StateDeleted; StateExpired is the expired flag
	id    identity
	keyed bool // id is valid
	// snapshot is a deep copy of the struct as last loaded or flushed; nil
	// for StateNew objects, and for objects attached by MarkDirty without a load
	// (then every column counts as changed).
	snapshot unsafe.Pointer
	// expired marks values to reload; expiredCols limits it to some
	// columns (nil means all).
	expired     bool
	expiredCols map[string]bool
	seq         uint64 // add order
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

// obj returns the object as a *T in an interface.
func (e *entry) obj() any {
	p := e.ptr()
	if p == nil {
		return nil
	}
	return reflect.NewAt(e.model.Type, p).Interface()
}

// identityMap indexes tracked objects by identity and by address.
type identityMap struct {
	byID  map[identity]*entry
	byPtr map[uintptr]*entry
	seq   uint64
	weak  bool
}

func newIdentityMap(weakClean bool) identityMap {
	return identityMap{byID: map[identity]*entry{}, byPtr: map[uintptr]*entry{}, weak: weakClean}
}

// lookupPtr returns the entry of the object at p.
func (im *identityMap) lookupPtr(p unsafe.Pointer) *entry {
	e := im.byPtr[uintptr(p)]
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
	e := im.byID[id]
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
	e := &entry{model: m, strong: p, addr: uintptr(p), state: state, seq: im.seq}
	im.byPtr[e.addr] = e
	return e
}

// setID (re)keys an entry.
func (im *identityMap) setID(e *entry, id identity) {
	if e.keyed && im.byID[e.id] == e {
		delete(im.byID, e.id)
	}
	e.id, e.keyed = id, true
	im.byID[id] = e
}

func (im *identityMap) drop(e *entry) {
	if im.byPtr[e.addr] == e {
		delete(im.byPtr, e.addr)
	}
	if e.keyed && im.byID[e.id] == e {
		delete(im.byID, e.id)
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
		return
	}
	e.strong = p
}

// entries returns live entries in add order.
func (im *identityMap) entries() []*entry {
	out := make([]*entry, 0, len(im.byPtr))
	for _, e := range im.byPtr {
		if e.ptr() == nil {
			im.drop(e)
			continue
		}
		out = append(out, e)
	}
	sortEntries(out)
	return out
}
