package session

import (
	"testing"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

type kgParent struct {
	ID int64 `sqlmodel:"pk"`
}

type kgChild struct {
	ID       int64 `sqlmodel:"pk"`
	ParentID int64 `sqlmodel:"fk=kg_parent.id"`
	Small    int32
	Ptr      *int64 `sqlmodel:"fk=kg_parent.id"`
}

type kgUnsigned struct {
	ID uint64 `sqlmodel:"pk"`
}

func kgModels(t *testing.T) (parent, child, unsigned *schema.Model) {
	t.Helper()
	ms, err := schema.NewRegistry().Register(&kgParent{}, &kgChild{}, &kgUnsigned{})
	if err != nil {
		t.Fatal(err)
	}
	return ms[0], ms[1], ms[2]
}

func field(t *testing.T, m *schema.Model, col string) *schema.Field {
	t.Helper()
	f, ok := m.FieldByColumn(col)
	if !ok {
		t.Fatalf("%s has no column %s", m.Name, col)
	}
	return f
}

func fkOf(t *testing.T, m *schema.Model, col string) *schema.ForeignKey {
	t.Helper()
	for _, fk := range m.ForeignKeys {
		if len(fk.Columns) == 1 && fk.Columns[0] == col {
			return fk
		}
	}
	t.Fatalf("%s has no foreign key on %s", m.Name, col)
	return nil
}

// keysGrow decides whether reorderGenerated has work to do: it must see a
// key that does not grow, read unboxed or (for unsigned keys past
// MaxInt64) boxed.
func TestKeysGrow(t *testing.T) {
	parent, _, unsigned := kgModels(t)
	id := field(t, parent, "id")
	rows := func(keys ...int64) []unsafe.Pointer {
		out := make([]unsafe.Pointer, len(keys))
		for i, k := range keys {
			out[i] = unsafe.Pointer(&kgParent{ID: k})
		}
		return out
	}
	for _, c := range []struct {
		keys []int64
		want bool
	}{
		{[]int64{1, 2, 3}, true},
		{[]int64{5, 9, 300}, true},
		{[]int64{1, 3, 2}, false},
		{[]int64{4, 4}, false},
		{[]int64{-1, 0, 1 << 40}, true},
	} {
		if got := keysGrow(id, rows(c.keys...)); got != c.want {
			t.Errorf("keysGrow(%v) = %v, want %v", c.keys, got, c.want)
		}
	}
	uid := field(t, unsigned, "id")
	big := []unsafe.Pointer{unsafe.Pointer(&kgUnsigned{ID: 1 << 63}), unsafe.Pointer(&kgUnsigned{ID: 1<<63 + 1})}
	if !keysGrow(uid, big) {
		t.Error("keysGrow of growing unsigned keys past MaxInt64 = false, want true")
	}
	if keysGrow(uid, []unsafe.Pointer{big[1], big[0]}) {
		t.Error("keysGrow of falling unsigned keys past MaxInt64 = true, want false")
	}
	// A key that cannot be read unboxed part way: the boxed comparison
	// decides, as it did for every key before.
	mixed := []unsafe.Pointer{unsafe.Pointer(&kgUnsigned{ID: 7}), big[0]}
	if got, want := keysGrow(uid, mixed), keysGrowBoxed(uid, mixed); got != want {
		t.Errorf("keysGrow of a small then a large unsigned key = %v, boxed comparison %v", got, want)
	}
}

// copyIntKey copies a plain integer key into a column of the same type and
// declines everything else, which copyKey then copies through Value/Set.
func TestCopyIntKey(t *testing.T) {
	parent, child, _ := kgModels(t)
	id := field(t, parent, "id")
	p := &kgParent{ID: 1<<40 + 7}
	c := &kgChild{}
	if !copyIntKey(field(t, child, "parent_id"), unsafe.Pointer(c), id, unsafe.Pointer(p)) {
		t.Fatal("copyIntKey into an int64 column declined")
	}
	if c.ParentID != p.ID || c.ID != 0 || c.Small != 0 {
		t.Fatalf("after copyIntKey: %+v, want ParentID %d and nothing else", *c, p.ID)
	}
	if copyIntKey(field(t, child, "small"), unsafe.Pointer(c), id, unsafe.Pointer(p)) || c.Small != 0 {
		t.Errorf("copyIntKey into an int32 column copied (Small = %d)", c.Small)
	}
	if copyIntKey(field(t, child, "ptr"), unsafe.Pointer(c), id, unsafe.Pointer(p)) || c.Ptr != nil {
		t.Error("copyIntKey into a pointer column copied")
	}
	// A nullable foreign key (a pointer) takes the key through copyKey's
	// Value and Set.
	e := &entry{model: parent, strong: unsafe.Pointer(p)}
	if err := copyKey(fkOf(t, child, "ptr"), unsafe.Pointer(c), e); err != nil || c.Ptr == nil || *c.Ptr != p.ID {
		t.Fatalf("copyKey into *int64: Ptr = %v, err %v; want %d", c.Ptr, err, p.ID)
	}
	// A key copied into a column of another type (the schema refuses such
	// foreign keys; copyKey still checks) goes through Set, range checked.
	fk := &schema.ForeignKey{Fields: []*schema.Field{field(t, child, "small")}, RefModel: parent, RefColumns: []string{"id"}}
	e = &entry{model: parent, strong: unsafe.Pointer(&kgParent{ID: 12})}
	if err := copyKey(fk, unsafe.Pointer(c), e); err != nil || c.Small != 12 {
		t.Fatalf("copyKey into int32: Small = %d, err %v; want 12, nil", c.Small, err)
	}
	e.strong = unsafe.Pointer(p) // 1<<40+7 does not fit an int32
	if err := copyKey(fk, unsafe.Pointer(c), e); err == nil {
		t.Fatalf("copyKey of %d into an int32 column: no error (Small = %d)", p.ID, c.Small)
	}
}
