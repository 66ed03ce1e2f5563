package relations_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/relations"
)

type jsTeam struct {
	ID     int64                         `json:"id"`
	Heroes relations.RelatedMany[jsHero] `json:"heroes,omitzero"`
}

type jsHero struct {
	ID   int64                  `json:"id"`
	Team relations.Lazy[jsTeam] `json:"team,omitzero"`
}

// A loaded relation encodes its objects; a relation not loaded is left out
// with omitzero (null without it); decoding gives loaded relations back,
// and null or a missing key leaves them not loaded.
func TestJSONRoundTrip(t *testing.T) {
	team := &jsTeam{ID: 1}
	h := &jsHero{ID: 2}
	team.Heroes.Set([]*jsHero{h})
	b, err := json.Marshal(team)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != `{"id":1,"heroes":[{"id":2}]}` {
		t.Fatalf("Marshal = %s", got)
	}
	var back jsTeam
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	items, loaded := back.Heroes.Get()
	if !loaded || len(items) != 1 || items[0].ID != 2 || items[0].Team.IsLoaded() {
		t.Fatalf("decoded heroes %v (loaded %v)", items, loaded)
	}

	h.Team.Set(&jsTeam{ID: 7})
	b, err = json.Marshal(h)
	if err != nil || string(b) != `{"id":2,"team":{"id":7}}` {
		t.Fatalf("Marshal hero = %s, %v", b, err)
	}
	var hb jsHero
	if err := json.Unmarshal(b, &hb); err != nil {
		t.Fatal(err)
	}
	if v, ok := hb.Team.Get(); !ok || v == nil || v.ID != 7 || v.Heroes.IsLoaded() {
		t.Fatalf("decoded team %+v (loaded %v)", v, ok)
	}

	// Empty but loaded: [], kept loaded.
	var empty jsTeam
	empty.Heroes.Set(nil)
	if b, _ := json.Marshal(empty); string(b) != `{"id":0,"heroes":[]}` {
		t.Fatalf("empty collection = %s", b)
	}
	var eb jsTeam
	if err := json.Unmarshal([]byte(`{"id":3,"heroes":[]}`), &eb); err != nil || !eb.Heroes.IsLoaded() || eb.Heroes.Len() != 0 {
		t.Fatalf("decoded [] : loaded %v len %d, %v", eb.Heroes.IsLoaded(), eb.Heroes.Len(), err)
	}

	// null and missing keys: not loaded; a value not loaded encodes as
	// null without omitzero.
	var nb jsHero
	if err := json.Unmarshal([]byte(`{"id":4,"team":null}`), &nb); err != nil || nb.Team.IsLoaded() {
		t.Fatalf("team null: loaded %v, %v", nb.Team.IsLoaded(), err)
	}
	var nt jsTeam
	if err := json.Unmarshal([]byte(`{"id":5,"heroes":null}`), &nt); err != nil || nt.Heroes.IsLoaded() {
		t.Fatalf("heroes null: loaded %v, %v", nt.Heroes.IsLoaded(), err)
	}
	var plain struct {
		Team   relations.Lazy[jsTeam]
		Heroes relations.RelatedMany[jsHero]
	}
	if b, _ := json.Marshal(plain); string(b) != `{"Team":null,"Heroes":null}` {
		t.Fatalf("not loaded without omitzero = %s", b)
	}

	// A null item of a collection is an error, not a nil object.
	var bad jsTeam
	if err := json.Unmarshal([]byte(`{"heroes":[{"id":1},null]}`), &bad); err == nil || !strings.Contains(err.Error(), "index 1") {
		t.Fatalf("null item: %v", err)
	}
}
