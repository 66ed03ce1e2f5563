package schema_test

import (
	"slices"
	"testing"
	"unsafe"
)

// AppendPointers and SetPointers go through RelationPointers for the
// package's placeholders and through RelationValue/RelationSetter for a
// placeholder that has only those (mdMany).
func TestRelationPointers(t *testing.T) {
	ms := mdModels(t)
	hero, power := ms["md_hero"], ms["md_power"]
	heroTeam, powers, powerHeroes := mdRel(t, hero, "Team"), mdRel(t, hero, "Powers"), mdRel(t, power, "Heroes")

	var h mdHero
	hp := unsafe.Pointer(&h)
	tm := &mdTeam{ID: 3}
	heroTeam.SetPointers(hp, []unsafe.Pointer{unsafe.Pointer(tm)})
	if got, ok := h.Team.Get(); !ok || got != tm {
		t.Errorf("SetPointers on a Lazy: Get = %v, %v", got, ok)
	}
	if got, loaded := heroTeam.AppendPointers(hp, nil); !loaded || len(got) != 1 || got[0] != unsafe.Pointer(tm) {
		t.Errorf("AppendPointers of a Lazy = %v, %v", got, loaded)
	}

	p1, p2 := &mdPower{ID: 1}, &mdPower{ID: 2}
	want := []unsafe.Pointer{unsafe.Pointer(p1), unsafe.Pointer(p2)}
	powers.SetPointers(hp, slices.Clone(want))
	if items, ok := h.Powers.Get(); !ok || len(items) != 2 || items[0] != p1 || items[1] != p2 {
		t.Errorf("SetPointers on a RelatedMany: %v %v", items, ok)
	}
	if got, loaded := powers.AppendPointers(hp, nil); !loaded || !slices.Equal(got, want) {
		t.Errorf("AppendPointers of a RelatedMany = %v, %v", got, loaded)
	}

	var pw mdPower
	pp := unsafe.Pointer(&pw)
	if got, loaded := powerHeroes.AppendPointers(pp, nil); len(got) != 0 || loaded {
		t.Errorf("fresh mdMany: AppendPointers = %v, %v", got, loaded)
	}
	powerHeroes.SetPointers(pp, []unsafe.Pointer{hp})
	if len(pw.Heroes.items) != 1 || pw.Heroes.items[0] != any(&h) || !pw.Heroes.loaded {
		t.Errorf("mdMany after SetPointers: %v %v", pw.Heroes.items, pw.Heroes.loaded)
	}
	if got, loaded := powerHeroes.AppendPointers(pp, nil); !loaded || len(got) != 1 || got[0] != hp {
		t.Errorf("mdMany: AppendPointers = %v, %v", got, loaded)
	}
}
