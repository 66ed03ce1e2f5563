package schema_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

type FgCountry struct {
	ID int64 `sqlmodel:"pk"`
}

type FgCity struct {
	ID        int64 `sqlmodel:"pk"`
	CountryID int64 `sqlmodel:"fk=fg_country.id"`
}

type FgStreet struct {
	ID     int64 `sqlmodel:"pk"`
	CityID int64 `sqlmodel:"fk=fg_city.id"`
	// A second FK to a grandparent does not change the order.
	CountryID *int64 `sqlmodel:"fk=fg_country.id"`
}

type FgLone struct {
	ID int64 `sqlmodel:"pk"`
}

type FgLone2 struct {
	ID int64 `sqlmodel:"pk"`
}

type FgNode struct {
	ID       int64  `sqlmodel:"pk"`
	ParentID *int64 `sqlmodel:"fk=fg_node.id"`
}

type FgNodeStrict struct {
	ID       int64 `sqlmodel:"pk"`
	ParentID int64 `sqlmodel:"fk=fg_node_strict.id"`
}

type FgA struct {
	ID  int64  `sqlmodel:"pk"`
	BID *int64 `sqlmodel:"fk=fg_b.id"`
}

type FgB struct {
	ID  int64 `sqlmodel:"pk"`
	AID int64 `sqlmodel:"fk=fg_a.id"`
}

type FgX struct {
	ID  int64 `sqlmodel:"pk"`
	YID int64 `sqlmodel:"fk=fg_y.id"`
}

type FgY struct {
	ID  int64 `sqlmodel:"pk"`
	XID int64 `sqlmodel:"fk=fg_x.id"`
}

type FgP struct {
	ID  int64 `sqlmodel:"pk"`
	QID int64 `sqlmodel:"fk=fg_q.id"`
}

type FgQ struct {
	ID  int64 `sqlmodel:"pk"`
	RID int64 `sqlmodel:"fk=fg_r.id"`
}

type FgR struct {
	ID  int64  `sqlmodel:"pk"`
	PID *int64 `sqlmodel:"fk=fg_p.id"`
}

// FgMixed has a nullable and a NOT NULL FK to FgMixedPeer, which has a NOT
// NULL FK back: the edge is not made only of nullable keys, so the cycle
// cannot be broken.
type FgMixed struct {
	ID     int64  `sqlmodel:"pk"`
	PeerID int64  `sqlmodel:"fk=fg_mixed_peer.id"`
	AltID  *int64 `sqlmodel:"fk=fg_mixed_peer.id"`
}

type FgMixedPeer struct {
	ID      int64 `sqlmodel:"pk"`
	MixedID int64 `sqlmodel:"fk=fg_mixed.id"`
}

func fgRegistry(t *testing.T) *schema.Registry {
	t.Helper()
	r, _ := register(t, &FgCountry{}, &FgCity{}, &FgStreet{}, &FgLone{}, &FgLone2{}, &FgNode{}, &FgNodeStrict{},
		&FgA{}, &FgB{}, &FgX{}, &FgY{}, &FgP{}, &FgQ{}, &FgR{}, &FgMixed{}, &FgMixedPeer{})
	return r
}

func tables(t *testing.T, r *schema.Registry, names ...string) []*schema.Model {
	t.Helper()
	out := make([]*schema.Model, len(names))
	for i, n := range names {
		m, ok := r.Table(n)
		if !ok {
			t.Fatalf("no table %s", n)
		}
		out[i] = m
	}
	return out
}

func fkColumns(fks []*schema.ForeignKey) []string {
	var out []string
	for _, fk := range fks {
		out = append(out, fk.Fields[0].Model.Table+"("+strings.Join(fk.Columns, ",")+")")
	}
	return out
}

func TestDependencyOrder(t *testing.T) {
	r := fgRegistry(t)
	cases := []struct {
		name     string
		in       []string
		want     []string
		deferred []string
	}{
		{"already ordered", []string{"fg_country", "fg_city", "fg_street"}, []string{"fg_country", "fg_city", "fg_street"}, nil},
		{"reversed", []string{"fg_street", "fg_city", "fg_country"}, []string{"fg_country", "fg_city", "fg_street"}, nil},
		{"shuffled", []string{"fg_city", "fg_street", "fg_country"}, []string{"fg_country", "fg_city", "fg_street"}, nil},
		{"independents keep input order", []string{"fg_lone2", "fg_lone"}, []string{"fg_lone2", "fg_lone"}, nil},
		{"independents keep input order around a chain", []string{"fg_lone", "fg_street", "fg_lone2", "fg_city", "fg_country"},
			[]string{"fg_lone", "fg_lone2", "fg_country", "fg_city", "fg_street"}, nil},
		{"references outside the input are ignored", []string{"fg_street", "fg_city"}, []string{"fg_city", "fg_street"}, nil},
		{"single model", []string{"fg_street"}, []string{"fg_street"}, nil},
		{"empty", nil, []string{}, nil},
		{"nullable self-reference is not a cycle", []string{"fg_node", "fg_lone"}, []string{"fg_node", "fg_lone"}, nil},
		{"NOT NULL self-reference is not a cycle", []string{"fg_node_strict"}, []string{"fg_node_strict"}, nil},
		{"two-table cycle broken at the nullable FK", []string{"fg_a", "fg_b"}, []string{"fg_a", "fg_b"}, []string{"fg_a(bid)"}},
		{"two-table cycle, other input order", []string{"fg_b", "fg_a"}, []string{"fg_a", "fg_b"}, []string{"fg_a(bid)"}},
		{"three-table cycle broken at its only nullable FK", []string{"fg_p", "fg_q", "fg_r"}, []string{"fg_r", "fg_q", "fg_p"}, []string{"fg_r(pid)"}},
		{"three-table cycle, shuffled", []string{"fg_q", "fg_r", "fg_p"}, []string{"fg_r", "fg_q", "fg_p"}, []string{"fg_r(pid)"}},
		{"cycle and chain together", []string{"fg_b", "fg_street", "fg_a", "fg_city", "fg_country"},
			[]string{"fg_a", "fg_b", "fg_country", "fg_city", "fg_street"}, []string{"fg_a(bid)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tables(t, r, tc.in...)
			inCopy := slices.Clone(in)
			got, deferred, err := schema.DependencyOrder(in)
			if err != nil {
				t.Fatalf("DependencyOrder: %v", err)
			}
			eq(t, "order", tablesOf(got), tc.want)
			eq(t, "deferred", fkColumns(deferred), tc.deferred)
			if !slices.Equal(in, inCopy) {
				t.Error("DependencyOrder modified its input")
			}
			// Every non-deferred FK within the set points backwards.
			pos := map[*schema.Model]int{}
			for i, m := range got {
				pos[m] = i
			}
			for _, m := range got {
				for _, fk := range m.ForeignKeys {
					j, ok := pos[fk.RefModel]
					if !ok || fk.RefModel == m || slices.Contains(deferred, fk) {
						continue
					}
					if j > pos[m] {
						t.Errorf("%s comes before %s, which it references", m.Table, fk.RefTable)
					}
				}
			}
			for _, fk := range deferred {
				if !fk.Nullable() {
					t.Errorf("deferred FK %s is NOT NULL", fk.Name)
				}
			}
		})
	}
}

func TestDependencyOrderCycle(t *testing.T) {
	r := fgRegistry(t)
	cases := []struct {
		name   string
		in     []string
		cycle  []string // the tables the error must name
		extras []string
	}{
		{"NOT NULL two-table cycle", []string{"fg_x", "fg_y"}, []string{"fg_x", "fg_y"}, nil},
		{"NOT NULL cycle next to independent tables", []string{"fg_lone", "fg_y", "fg_country", "fg_x"}, []string{"fg_x", "fg_y"}, []string{"fg_lone", "fg_country"}},
		{"edge with a nullable and a NOT NULL FK", []string{"fg_mixed", "fg_mixed_peer"}, []string{"fg_mixed", "fg_mixed_peer"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ordered, deferred, err := schema.DependencyOrder(tables(t, r, tc.in...))
			if err == nil {
				t.Fatalf("no error; order %v", tablesOf(ordered))
			}
			if ordered != nil || deferred != nil {
				t.Errorf("results returned with an error: %v, %v", tablesOf(ordered), deferred)
			}
			if !errors.Is(err, schema.ErrCircularDependency) {
				t.Errorf("error %v does not match ErrCircularDependency", err)
			}
			var ce *schema.CycleError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *CycleError", err)
			}
			if len(ce.Tables) < 3 || ce.Tables[0] != ce.Tables[len(ce.Tables)-1] {
				t.Errorf("Tables = %v: want the cycle with the first table repeated", ce.Tables)
			}
			for _, tb := range tc.cycle {
				if !slices.Contains(ce.Tables, tb) {
					t.Errorf("Tables %v lacks %s", ce.Tables, tb)
				}
				mustContain(t, err.Error(), tb)
			}
			for _, tb := range tc.extras {
				if slices.Contains(ce.Tables, tb) {
					t.Errorf("Tables %v names %s, which is not on the cycle", ce.Tables, tb)
				}
			}
			mustContain(t, err.Error(), "circular dependency", " -> ")
		})
	}
	t.Run("message", func(t *testing.T) {
		err := &schema.CycleError{Tables: []string{"a", "b", "a"}}
		eq(t, "Error()", err.Error(), "orm/schema: circular dependency between tables: a -> b -> a")
		if errors.Is(err, schema.ErrInvalidTag) {
			t.Error("CycleError matches ErrInvalidTag")
		}
	})
}

func TestDependencyOrderWithLinkTables(t *testing.T) {
	r, _, _, _ := heroModels(t)
	all := r.Models() // sorted by table: hero, hero_power, power, team
	got, deferred, err := schema.DependencyOrder(all)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "order", tablesOf(got), []string{"power", "team", "hero", "hero_power"})
	if len(deferred) != 0 {
		t.Errorf("deferred = %v", fkColumns(deferred))
	}
}

func TestClosure(t *testing.T) {
	r := fgRegistry(t)
	cases := []struct {
		name string
		in   func(t *testing.T) []*schema.Model
		want []string
	}{
		{"FK chain", func(t *testing.T) []*schema.Model { return tables(t, r, "fg_street") }, []string{"fg_street", "fg_city", "fg_country"}},
		{"no duplicates", func(t *testing.T) []*schema.Model {
			return tables(t, r, "fg_city", "fg_street", "fg_city")
		}, []string{"fg_city", "fg_country", "fg_street"}},
		{"nil ignored", func(t *testing.T) []*schema.Model { return append(tables(t, r, "fg_lone"), nil) }, []string{"fg_lone"}},
		{"self reference", func(t *testing.T) []*schema.Model { return tables(t, r, "fg_node") }, []string{"fg_node"}},
		{"cycle", func(t *testing.T) []*schema.Model { return tables(t, r, "fg_a") }, []string{"fg_a", "fg_b"}},
		{"many-to-many reaches target and link table", func(t *testing.T) []*schema.Model {
			_, _, hero, _ := heroModels(t)
			return []*schema.Model{hero}
		}, []string{"hero", "team", "power", "hero_power"}},
		{"from the target side", func(t *testing.T) []*schema.Model {
			_, _, _, power := heroModels(t)
			return []*schema.Model{power}
		}, []string{"power", "hero", "team", "hero_power"}},
		{"one-to-many children are not included", func(t *testing.T) []*schema.Model {
			_, team, _, _ := heroModels(t)
			return []*schema.Model{team}
		}, []string{"team"}},
		{"link_model", func(t *testing.T) []*schema.Model {
			_, ms := register(t, &Actor{}, &Casting{}, &Crewing{})
			return ms[:1]
		}, []string{"actor", "movie", "casting", "crewing"}},
		{"empty", func(t *testing.T) []*schema.Model { return nil }, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := schema.Closure(tc.in(t))
			eq(t, "Closure", tablesOf(got), tc.want)
			seen := map[*schema.Model]bool{}
			for _, m := range got {
				if seen[m] {
					t.Errorf("%s listed twice", m.Table)
				}
				seen[m] = true
			}
		})
	}
}
