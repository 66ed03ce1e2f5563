package schema_test

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/relations"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// The models below have every relation kind: md_team has many md_hero
// (one-to-many, back-populated by a many-to-one) and one md_badge
// (one-to-one); md_hero has many md_power through a synthesised link table
// (many-to-many); md_sidekick holds a many-to-one behind an embedded
// pointer. mdMany is a placeholder with no IsLoaded method and mdBare one
// that exposes nothing, as a third-party placeholder might.

type mdTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes relations.RelatedMany[mdHero] `sqlmodel:"back_populates=Team"`
	Badge  relations.Lazy[mdBadge]       `sqlmodel:"back_populates=Team"`
}

func (mdTeam) TableName() string { return "md_team" }

type mdHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Nick   *string                        `sqlmodel:"default='none'"`
	TeamID *int64                         `sqlmodel:"fk=md_team.id"`
	Team   relations.Lazy[mdTeam]         `sqlmodel:"back_populates=Heroes"`
	Powers relations.RelatedMany[mdPower] `sqlmodel:"link=md_hero_power"`
}

func (mdHero) TableName() string { return "md_hero" }

type mdBadge struct {
	ID     int64                  `sqlmodel:"pk"`
	TeamID int64                  `sqlmodel:"fk=md_team.id,unique"`
	Team   relations.Lazy[mdTeam] `sqlmodel:"back_populates=Badge"`
}

func (mdBadge) TableName() string { return "md_badge" }

type mdPower struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes mdMany[mdHero] `sqlmodel:"link=md_hero_power"`
	Bare   mdBare[mdTeam] `sqlmodel:"link=md_power_team"`
}

func (mdPower) TableName() string { return "md_power" }

type mdExtra struct {
	MentorID *int64
	Mentor   relations.Lazy[mdHero]
}

type mdSidekick struct {
	ID int64 `sqlmodel:"pk"`
	*mdExtra
}

func (mdSidekick) TableName() string { return "md_sidekick" }

type mdMany[T any] struct {
	items  []any
	loaded bool
}

func (*mdMany[T]) RelationShape() schema.Shape     { return schema.ToMany }
func (*mdMany[T]) RelationTarget() reflect.Type    { return reflect.TypeFor[T]() }
func (m *mdMany[T]) RelatedObjects() ([]any, bool) { return m.items, m.loaded }
func (m *mdMany[T]) SetRelated(objs []any)         { m.items, m.loaded = objs, true }

type mdBare[T any] struct{}

// mdTenant and mdAccount give a composite primary key; mdLogin references
// it with a composite foreign key.
type mdTenant struct {
	ID int64 `sqlmodel:"pk"`
}

func (mdTenant) TableName() string { return "md_tenant" }

type mdAccount struct {
	TenantID int64 `sqlmodel:"pk,fk=md_tenant.id"`
	Number   int64 `sqlmodel:"pk"`
}

func (mdAccount) TableName() string { return "md_account" }

type mdLogin struct {
	ID       int64 `sqlmodel:"pk"`
	TenantID int64 `sqlmodel:"fk=md_account.tenant_id"`
	Number   int64 `sqlmodel:"fk=md_account.number"`
}

func (mdLogin) TableName() string { return "md_login" }

func (*mdBare[T]) RelationShape() schema.Shape  { return schema.ToMany }
func (*mdBare[T]) RelationTarget() reflect.Type { return reflect.TypeFor[T]() }

// mdModels registers the relation models and returns them by table.
func mdModels(t *testing.T) map[string]*schema.Model {
	t.Helper()
	r, _ := register(t, mdTeam{}, mdHero{}, mdBadge{}, mdPower{}, mdSidekick{})
	out := map[string]*schema.Model{}
	for _, m := range r.Models() {
		out[m.Table] = m
	}
	return out
}

func mdRel(t *testing.T, m *schema.Model, name string) *schema.Relation {
	t.Helper()
	r, ok := m.Relation(name)
	if !ok {
		t.Fatalf("%s has no relation %s", m.Name, name)
	}
	return r
}

func TestFieldIndex(t *testing.T) {
	ms := mdModels(t)
	for _, m := range ms {
		for i, f := range m.Fields {
			if got := m.FieldIndex(f); got != i {
				t.Errorf("%s.FieldIndex(%s) = %d, want %d", m.Table, f.Column, got, i)
			}
		}
	}
	hero, team := ms["md_hero"], ms["md_team"]
	if got := hero.FieldIndex(team.Fields[0]); got != -1 {
		t.Errorf("FieldIndex of another model's field = %d, want -1", got)
	}
	if got := hero.FieldIndex(nil); got != -1 {
		t.Errorf("FieldIndex(nil) = %d, want -1", got)
	}
}

func TestSameFields(t *testing.T) {
	hero := mdModels(t)["md_hero"]
	a, b := hero.Fields[0], hero.Fields[1]
	for _, tc := range []struct {
		x, y []*schema.Field
		want bool
	}{
		{nil, nil, true},
		{nil, []*schema.Field{}, true},
		{[]*schema.Field{a, b}, []*schema.Field{a, b}, true},
		{[]*schema.Field{a, b}, []*schema.Field{b, a}, false},
		{[]*schema.Field{a}, []*schema.Field{a, b}, false},
	} {
		if got := schema.SameFields(tc.x, tc.y); got != tc.want {
			t.Errorf("SameFields(%d fields, %d fields) = %v, want %v", len(tc.x), len(tc.y), got, tc.want)
		}
	}
}

func TestForeignKeyOf(t *testing.T) {
	ms := mdModels(t)
	hero, badge := ms["md_hero"], ms["md_badge"]
	teamID := field(t, hero, "TeamID")
	fk := hero.ForeignKeyOf([]*schema.Field{teamID})
	if fk == nil || fk.RefTable != "md_team" || len(fk.Fields) != 1 || fk.Fields[0] != teamID {
		t.Fatalf("ForeignKeyOf(TeamID) = %+v", fk)
	}
	if got := hero.ForeignKeyOf(hero.PrimaryKey); got != nil {
		t.Errorf("ForeignKeyOf(primary key) = %+v, want nil", got)
	}
	if got := hero.ForeignKeyOf(nil); got != nil {
		t.Errorf("ForeignKeyOf(nil) = %+v, want nil", got)
	}
	if got := badge.ForeignKeyOf([]*schema.Field{teamID}); got != nil {
		t.Errorf("ForeignKeyOf(another model's field) = %+v, want nil", got)
	}

	// A composite key is found only with all its fields, in order.
	_, cms := register(t, mdTenant{}, mdAccount{}, mdLogin{})
	note := cms[2]
	var comp *schema.ForeignKey
	for _, k := range note.ForeignKeys {
		if len(k.Fields) == 2 {
			comp = k
		}
	}
	if comp == nil {
		t.Fatal("md_login has no composite foreign key")
	}
	if got := note.ForeignKeyOf(comp.Fields); got != comp {
		t.Errorf("ForeignKeyOf(composite) = %+v, want %+v", got, comp)
	}
	if got := note.ForeignKeyOf(comp.Fields[:1]); got != nil {
		t.Errorf("ForeignKeyOf(part of a composite key) = %+v, want nil", got)
	}
	if got := note.ForeignKeyOf([]*schema.Field{comp.Fields[1], comp.Fields[0]}); got != nil {
		t.Errorf("ForeignKeyOf(composite, swapped) = %+v, want nil", got)
	}
}

func TestRelationForeignKey(t *testing.T) {
	ms := mdModels(t)
	team, hero, badge, power, side := ms["md_team"], ms["md_hero"], ms["md_badge"], ms["md_power"], ms["md_sidekick"]
	heroFK := hero.ForeignKeyOf([]*schema.Field{field(t, hero, "TeamID")})
	badgeFK := badge.ForeignKeyOf([]*schema.Field{field(t, badge, "TeamID")})
	sideFK := side.ForeignKeyOf([]*schema.Field{field(t, side, "MentorID")})
	if heroFK == nil || badgeFK == nil || sideFK == nil {
		t.Fatalf("missing foreign keys: %v %v %v", heroFK, badgeFK, sideFK)
	}
	for _, tc := range []struct {
		m    *schema.Model
		rel  string
		kind schema.RelKind
		want *schema.ForeignKey
	}{
		{hero, "Team", schema.ManyToOne, heroFK},
		{team, "Heroes", schema.OneToMany, heroFK},
		{team, "Badge", schema.OneToOne, badgeFK},
		{badge, "Team", schema.ManyToOne, badgeFK},
		{side, "Mentor", schema.ManyToOne, sideFK},
		{hero, "Powers", schema.ManyToMany, nil},
		{power, "Heroes", schema.ManyToMany, nil},
	} {
		r := mdRel(t, tc.m, tc.rel)
		if r.Kind != tc.kind {
			t.Errorf("%s.%s is %s, want %s", tc.m.Table, tc.rel, r.Kind, tc.kind)
		}
		if r.ForeignKey != tc.want {
			t.Errorf("%s.%s ForeignKey = %+v, want %+v", tc.m.Table, tc.rel, r.ForeignKey, tc.want)
		}
		// It is what ForeignKeyOf gives for the relation's key fields.
		switch r.Kind {
		case schema.ManyToOne:
			if got := r.Model.ForeignKeyOf(r.LocalFields); got != r.ForeignKey {
				t.Errorf("%s.%s: ForeignKeyOf(LocalFields) = %v, ForeignKey = %v", tc.m.Table, tc.rel, got, r.ForeignKey)
			}
		case schema.OneToMany, schema.OneToOne:
			if got := r.Target.ForeignKeyOf(r.RemoteFields); got != r.ForeignKey {
				t.Errorf("%s.%s: ForeignKeyOf(RemoteFields) = %v, ForeignKey = %v", tc.m.Table, tc.rel, got, r.ForeignKey)
			}
		}
	}
}

func TestInsertColumns(t *testing.T) {
	hero := mdModels(t)["md_hero"]
	id, name, nick, teamID := field(t, hero, "ID"), field(t, hero, "Name"), field(t, hero, "Nick"), field(t, hero, "TeamID")
	s := "x"
	n := int64(3)
	for _, tc := range []struct {
		name          string
		obj           mdHero
		write, gen    []*schema.Field
		writeMaskBits []int
	}{
		{"zero key, nil default", mdHero{}, []*schema.Field{name, teamID}, []*schema.Field{id, nick}, nil},
		{"explicit key", mdHero{ID: 7}, []*schema.Field{id, name, teamID}, []*schema.Field{nick}, nil},
		{"default given", mdHero{Nick: &s, TeamID: &n}, []*schema.Field{name, nick, teamID}, []*schema.Field{id}, nil},
		{"all given", mdHero{ID: 1, Nick: &s}, []*schema.Field{id, name, nick, teamID}, nil, nil},
	} {
		p := unsafe.Pointer(&tc.obj)
		write, gen := hero.InsertColumns(p)
		if !schema.SameFields(write, tc.write) || !schema.SameFields(gen, tc.gen) {
			t.Errorf("%s: InsertColumns = %s / %s, want %s / %s", tc.name, cols(write), cols(gen), cols(tc.write), cols(tc.gen))
		}
		mask, ok := hero.InsertMask(p)
		var want uint64
		for _, f := range tc.write {
			want |= 1 << hero.FieldIndex(f)
		}
		if !ok || mask != want {
			t.Errorf("%s: InsertMask = %b, %v; want %b, true", tc.name, mask, ok, want)
		}
	}

	// A model of more than 64 columns has no mask but the same columns.
	fields := []reflect.StructField{{Name: "MdWideBase", Type: reflect.TypeFor[MdWideBase](), Anonymous: true}}
	for i := range 64 {
		fields = append(fields, reflect.StructField{Name: "C" + strings.Repeat("x", i), Type: reflect.TypeFor[int32]()})
	}
	wide := registerOne(t, reflect.New(reflect.StructOf(fields)).Interface())
	obj := reflect.New(wide.Type).UnsafePointer()
	if mask, ok := wide.InsertMask(obj); ok || mask != 0 {
		t.Errorf("InsertMask of %d columns = %b, %v; want 0, false", len(wide.Fields), mask, ok)
	}
	if write, gen := wide.InsertColumns(obj); len(write) != 64 || len(gen) != 1 || gen[0] != wide.AutoIncrement {
		t.Errorf("InsertColumns of the wide model: %d written, generated %s", len(write), cols(gen))
	}
}

// MdWideBase is embedded first in a struct type built with
// reflect.StructOf, which promotes its TableName method.
type MdWideBase struct {
	ID int64 `sqlmodel:"pk"`
}

// TableName names the wide model's table.
func (MdWideBase) TableName() string { return "md_wide" }

func cols(fs []*schema.Field) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.Column
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestMemoryLayout(t *testing.T) {
	ms := mdModels(t)
	power, hero, side := ms["md_power"], ms["md_hero"], ms["md_sidekick"]

	l := power.MemoryLayout()
	if l.Indirect || !l.Shallow {
		t.Errorf("md_power: Indirect %v Shallow %v, want false true", l.Indirect, l.Shallow)
	}
	// ID and Name are adjacent: one span.
	want := []schema.Span{{Offset: 0, Size: unsafe.Sizeof(int64(0)) + unsafe.Sizeof("")}}
	if !reflect.DeepEqual(l.Spans, want) {
		t.Errorf("md_power spans = %+v, want %+v", l.Spans, want)
	}
	if len(l.Columns) != len(power.Fields) {
		t.Fatalf("md_power: %d column layouts for %d fields", len(l.Columns), len(power.Fields))
	}
	for i, f := range power.Fields {
		off, size, direct := f.Layout()
		if c := l.Columns[i]; c != (schema.ColumnLayout{Offset: off, Size: size, Direct: direct}) {
			t.Errorf("md_power column %s: %+v, want %d %d %v", f.Column, c, off, size, direct)
		}
	}
	a, b := mdPower{ID: 1, Name: "x"}, mdPower{ID: 1, Name: "x"}
	if !l.SameBytes(unsafe.Pointer(&a), unsafe.Pointer(&b)) {
		t.Error("SameBytes of identical structs is false")
	}
	b.ID = 2
	if l.SameBytes(unsafe.Pointer(&a), unsafe.Pointer(&b)) {
		t.Error("SameBytes of different keys is true")
	}
	a.Heroes.loaded = true // relation fields lie outside the spans
	b.ID = 1
	if !l.SameBytes(unsafe.Pointer(&a), unsafe.Pointer(&b)) {
		t.Error("SameBytes looks at a relation field")
	}

	// Pointers make a model deep; the relation fields after the columns of
	// md_hero leave them one span.
	if l := hero.MemoryLayout(); l.Indirect || l.Shallow || len(l.Spans) != 1 {
		t.Errorf("md_hero: Indirect %v Shallow %v spans %+v", l.Indirect, l.Shallow, l.Spans)
	}
	// A column behind an embedded pointer is indirect and outside the spans.
	if l := side.MemoryLayout(); !l.Indirect || l.Shallow || len(l.Spans) != 1 || l.Columns[1].Direct {
		t.Errorf("md_sidekick: Indirect %v Shallow %v spans %+v columns %+v", l.Indirect, l.Shallow, l.Spans, l.Columns)
	}
}

func TestRelationAccess(t *testing.T) {
	ms := mdModels(t)
	team, hero, power := ms["md_team"], ms["md_hero"], ms["md_power"]
	heroTeam, heroes, badge := mdRel(t, hero, "Team"), mdRel(t, team, "Heroes"), mdRel(t, team, "Badge")
	powers, powerHeroes, bare := mdRel(t, hero, "Powers"), mdRel(t, power, "Heroes"), mdRel(t, power, "Bare")

	var h mdHero
	hp := unsafe.Pointer(&h)
	if objs, loaded := heroTeam.Objects(hp); objs != nil || loaded || heroTeam.Loaded(hp) {
		t.Errorf("fresh Lazy: Objects %v %v, Loaded %v", objs, loaded, heroTeam.Loaded(hp))
	}
	tm := &mdTeam{ID: 3}
	heroTeam.SetObjects(hp, []any{tm})
	if got, ok := h.Team.Get(); !ok || got != tm {
		t.Errorf("SetObjects on a Lazy: Get = %v, %v", got, ok)
	}
	if objs, loaded := heroTeam.Objects(hp); !loaded || len(objs) != 1 || objs[0] != tm || !heroTeam.Loaded(hp) {
		t.Errorf("set Lazy: Objects %v %v", objs, loaded)
	}
	heroTeam.SetObjects(hp, nil)
	if objs, loaded := heroTeam.Objects(hp); objs != nil || !loaded || !heroTeam.Loaded(hp) {
		t.Errorf("Lazy set to none: Objects %v %v", objs, loaded)
	}

	p1, p2 := &mdPower{ID: 1}, &mdPower{ID: 2}
	powers.SetObjects(hp, []any{p1, p2})
	if items, ok := h.Powers.Get(); !ok || len(items) != 2 || items[0] != p1 || items[1] != p2 {
		t.Errorf("SetObjects on a RelatedMany: %v %v", items, ok)
	}
	if objs, loaded := powers.Objects(hp); !loaded || len(objs) != 2 || objs[1] != p2 || !powers.Loaded(hp) {
		t.Errorf("RelatedMany: Objects %v %v", objs, loaded)
	}

	// FieldValue is the field's address, typed as the placeholder pointer.
	fv, err := heroes.FieldValue(unsafe.Pointer(tm))
	if err != nil || fv.Type() != reflect.TypeFor[*relations.RelatedMany[mdHero]]() || fv.Pointer() != uintptr(unsafe.Pointer(&tm.Heroes)) {
		t.Errorf("FieldValue = %v (%v), %v", fv, fv.Type(), err)
	}
	if _, ok := fv.Interface().(schema.RelationEditor); !ok {
		t.Error("FieldValue's interface is not a RelationEditor")
	}
	badge.SetObjects(unsafe.Pointer(tm), []any{&mdBadge{ID: 9}})
	if b, ok := tm.Badge.Get(); !ok || b.ID != 9 {
		t.Errorf("SetObjects on a one-to-one: %v %v", b, ok)
	}

	// A placeholder without IsLoaded: Loaded asks RelatedObjects.
	var pw mdPower
	pp := unsafe.Pointer(&pw)
	if powerHeroes.Loaded(pp) {
		t.Error("fresh mdMany is loaded")
	}
	powerHeroes.SetObjects(pp, []any{&h})
	if !powerHeroes.Loaded(pp) || len(pw.Heroes.items) != 1 {
		t.Errorf("mdMany after SetObjects: loaded %v items %v", pw.Heroes.loaded, pw.Heroes.items)
	}
	// A placeholder without RelatedObjects holds nothing.
	if objs, loaded := bare.Objects(pp); objs != nil || loaded {
		t.Errorf("mdBare: Objects %v %v", objs, loaded)
	}
}

func TestRelationAccessEmbeddedPointer(t *testing.T) {
	side := mdModels(t)["md_sidekick"]
	mentor := mdRel(t, side, "Mentor")

	var s mdSidekick // nil *mdExtra: the field cannot be reached
	sp := unsafe.Pointer(&s)
	if _, err := mentor.FieldValue(sp); err == nil {
		t.Error("FieldValue through a nil embedded pointer: no error")
	}
	if objs, loaded := mentor.Objects(sp); objs != nil || loaded || mentor.Loaded(sp) {
		t.Errorf("nil embedded pointer: Objects %v %v", objs, loaded)
	}
	mentor.SetObjects(sp, []any{&mdHero{}}) // left alone
	if s.mdExtra != nil {
		t.Error("SetObjects allocated the embedded struct")
	}

	s.mdExtra = &mdExtra{}
	h := &mdHero{ID: 4}
	mentor.SetObjects(sp, []any{h})
	if got, ok := s.Mentor.Get(); !ok || got != h {
		t.Errorf("SetObjects through an embedded pointer: %v %v", got, ok)
	}
	fv, err := mentor.FieldValue(sp)
	if err != nil || fv.Pointer() != uintptr(unsafe.Pointer(&s.Mentor)) {
		t.Errorf("FieldValue through an embedded pointer: %v, %v", fv, err)
	}
	if objs, loaded := mentor.Objects(sp); !loaded || len(objs) != 1 || objs[0] != h || !mentor.Loaded(sp) {
		t.Errorf("embedded pointer: Objects %v %v", objs, loaded)
	}
}

// TestInsertColumnsOfMatchesInsertColumns: the cached column sets per mask
// are the ones InsertColumns computes for an object with that mask.
func TestInsertColumnsOfMatchesInsertColumns(t *testing.T) {
	type icRow struct {
		ID   int64 `sqlmodel:"pk"`
		Name string
		Note *string `sqlmodel:"default='x'"`
	}
	ms, err := schema.NewRegistry().Register(&icRow{})
	if err != nil {
		t.Fatal(err)
	}
	m := ms[0]
	note := "n"
	for _, obj := range []*icRow{{}, {ID: 7}, {Note: &note}, {ID: 3, Note: &note}} {
		p := unsafe.Pointer(obj)
		mask, ok := m.InsertMask(p)
		if !ok {
			t.Fatal("InsertMask: not ok for a small model")
		}
		w1, g1 := m.InsertColumns(p)
		for round := 0; round < 2; round++ { // computed, then cached
			w2, g2 := m.InsertColumnsOf(mask)
			if !schema.SameFields(w1, w2) || !schema.SameFields(g1, g2) {
				t.Fatalf("%+v: InsertColumnsOf(%b) = %v / %v, InsertColumns = %v / %v", obj, mask, w2, g2, w1, g1)
			}
		}
	}
}
