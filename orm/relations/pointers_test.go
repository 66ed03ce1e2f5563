package relations

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

type ptrItem struct{ N int }

var (
	_ schema.RelationPointers = (*Lazy[ptrItem])(nil)
	_ schema.RelationPointers = (*RelatedMany[ptrItem])(nil)
)

func TestRelatedManyPointers(t *testing.T) {
	a, b, c := &ptrItem{1}, &ptrItem{2}, &ptrItem{3}
	var r RelatedMany[ptrItem]
	if got, loaded := r.AppendRelatedPointers(nil); got != nil || loaded {
		t.Fatalf("zero value: %v, %v", got, loaded)
	}
	r.SetRelatedPointers(nil)
	if items, loaded := r.Get(); items == nil || len(items) != 0 || !loaded {
		t.Fatalf("empty: Get() = %v, %v; want a loaded, empty, non-nil slice", items, loaded)
	}
	r.SetRelatedPointers([]unsafe.Pointer{unsafe.Pointer(a), unsafe.Pointer(b)})
	if items := r.Items(); len(items) != 2 || items[0] != a || items[1] != b {
		t.Fatalf("Items() = %v", items)
	}
	dst := []unsafe.Pointer{unsafe.Pointer(c)}
	got, loaded := r.AppendRelatedPointers(dst)
	if !loaded || !slices.Equal(got, []unsafe.Pointer{unsafe.Pointer(c), unsafe.Pointer(a), unsafe.Pointer(b)}) {
		t.Fatalf("AppendRelatedPointers = %v, %v", got, loaded)
	}
	// Pending Link and Unlink calls apply to what is set, as with SetRelated.
	r.Reset()
	r.Link(c)
	r.Unlink(a)
	r.SetRelatedPointers([]unsafe.Pointer{unsafe.Pointer(a), unsafe.Pointer(b)})
	if items := r.Items(); len(items) != 2 || items[0] != b || items[1] != c {
		t.Fatalf("with pending ops: Items() = %v, want [b c]", items)
	}
}

func TestLazyPointers(t *testing.T) {
	a := &ptrItem{1}
	var l Lazy[ptrItem]
	if got, loaded := l.AppendRelatedPointers(nil); got != nil || loaded {
		t.Fatalf("zero value: %v, %v", got, loaded)
	}
	l.SetRelatedPointers([]unsafe.Pointer{unsafe.Pointer(a)})
	if v, loaded := l.Get(); v != a || !loaded {
		t.Fatalf("Get() = %v, %v", v, loaded)
	}
	if got, _ := l.AppendRelatedPointers(nil); len(got) != 1 || got[0] != unsafe.Pointer(a) {
		t.Fatalf("AppendRelatedPointers = %v", got)
	}
	l.SetRelatedPointers(nil)
	if v, loaded := l.Get(); v != nil || !loaded {
		t.Fatalf("after nil: Get() = %v, %v", v, loaded)
	}
	if got, loaded := l.AppendRelatedPointers(nil); len(got) != 0 || !loaded {
		t.Fatalf("nil object: %v, %v", got, loaded)
	}
}
