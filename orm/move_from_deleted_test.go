package orm_test

import (
	"fmt"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Moving a child to another parent while its old parent is deleted, in the
// same flush, must keep the move: neither the database's ON DELETE SET NULL
// nor the session's own NULLing of the old parent's children may overwrite
// the new key. Two model pairs: the database sets NULL (mvHero), and the
// session does (mvsHero, a nullable key without ON DELETE).

type mvTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes orm.RelatedMany[mvHero] `sqlmodel:"back_populates=Team"`
}

func (mvTeam) TableName() string { return "mv_team" }

type mvHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID *int64           `sqlmodel:"fk=mv_team.id,ondelete=set null"`
	Team   orm.Lazy[mvTeam] `sqlmodel:"fk=TeamID,back_populates=Heroes"`
}

func (mvHero) TableName() string { return "mv_hero" }

type mvsTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes orm.RelatedMany[mvsHero] `sqlmodel:"back_populates=Team"`
}

func (mvsTeam) TableName() string { return "mvs_team" }

type mvsHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID *int64            `sqlmodel:"fk=mvs_team.id"`
	Team   orm.Lazy[mvsTeam] `sqlmodel:"fk=TeamID,back_populates=Heroes"`
}

func (mvsHero) TableName() string { return "mvs_hero" }

// mvPair gives the scenario access to one model pair's fields.
type mvPair[T, H any] struct {
	table    string // the hero table
	newTeam  func(name string) *T
	newHero  func(name string, team *int64) *H
	teamID   func(*T) int64
	heroID   func(*H) int64
	heroTeam func(*H) **int64
	lazy     func(*H) *orm.Lazy[T]
	heroes   func(*T) *orm.RelatedMany[H]
}

// mvMoves are the ways a user moves the hero to the other team.
var mvMoves = []string{"Lazy.Set", "key field", "collection Add", "Lazy.Set to a new team"}

func runMoveFromDeleted[T, H any](t *testing.T, db *orm.DB, p mvPair[T, H]) {
	ctx := rwCtx(t)
	for _, move := range mvMoves {
		for _, deleteFirst := range []bool{true, false} {
			for _, loaded := range []bool{true, false} {
				if move == "collection Add" && !loaded {
					continue // Set on an unloaded collection replaces it
				}
				name := fmt.Sprintf("%s/deleteFirst=%v/loaded=%v", move, deleteFirst, loaded)
				t.Run(name, func(t *testing.T) {
					// Seed: old team with two heroes, another team.
					seed := orm.NewSession(db)
					old, other := p.newTeam("old"), p.newTeam("other")
					rwOK(t, seed.AddAll(old, other), "seed teams")
					rwOK(t, seed.Flush(ctx), "seed flush")
					oid := p.teamID(old)
					mover, stayer := p.newHero("mover", &oid), p.newHero("stayer", &oid)
					rwOK(t, seed.AddAll(mover, stayer), "seed heroes")
					rwOK(t, seed.Commit(ctx), "seed commit")
					rwOK(t, seed.Close(), "seed close")

					s := rwSession(t, db)
					o := rwGet[T](t, s, p.teamID(old))
					dest := rwGet[T](t, s, p.teamID(other))
					h := rwGet[H](t, s, p.heroID(mover))
					if loaded {
						_, err := orm.LoadOneToMany(ctx, s, []*T{o, dest}, p.heroes)
						rwOK(t, err, "load collections")
						_, err = orm.LoadMany(ctx, s, []*H{h}, p.lazy)
						rwOK(t, err, "load Team")
					}
					if move == "Lazy.Set to a new team" {
						dest = p.newTeam("brand new")
					}
					doMove := func() {
						switch move {
						case "Lazy.Set", "Lazy.Set to a new team":
							p.lazy(h).Set(dest)
						case "key field":
							id := p.teamID(dest)
							*p.heroTeam(h) = &id
						case "collection Add":
							c := p.heroes(dest)
							c.Set(append(c.Items(), h))
						}
					}
					if !deleteFirst {
						doMove()
					}
					rwOK(t, s.Delete(o), "Delete old team")
					if deleteFirst {
						doMove()
					}
					rwOK(t, s.Commit(ctx), "Commit")

					want := fmt.Sprint(p.teamID(dest))
					got := rwRows(t, db, fmt.Sprintf(`SELECT team_id FROM %s WHERE id = ?`, p.table), p.heroID(mover))
					rwEqual(t, "mover's team_id in the database", got, []string{want})
					got = rwRows(t, db, fmt.Sprintf(`SELECT team_id FROM %s WHERE id = ?`, p.table), p.heroID(stayer))
					rwEqual(t, "stayer's team_id in the database", got, []string{"NULL"})
					// In memory, after reading it again through the session.
					h2, err := orm.Get[H](ctx, s, p.heroID(mover))
					rwOK(t, err, "Get mover")
					if h2 != h {
						t.Fatal("Get returned another instance of the mover")
					}
					if k := *p.heroTeam(h); k == nil || *k != p.teamID(dest) {
						t.Fatalf("mover's TeamID in memory = %v, want %d", k, p.teamID(dest))
					}
					got2, err := orm.LoadLazy(ctx, s, p.lazy(h))
					rwOK(t, err, "LoadLazy")
					if v, _ := p.lazy(h).Get(); !got2 || v != dest {
						t.Fatalf("mover's Team = %p (found %v), want the destination team %p", v, got2, dest)
					}
				})
			}
		}
	}
}

func TestMoveAwayFromDeletedParentKeepsTheMove(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		rwCreate(t, db, &mvTeam{}, &mvHero{}, &mvsTeam{}, &mvsHero{})
		t.Run("database sets NULL", func(t *testing.T) {
			runMoveFromDeleted(t, db, mvPair[mvTeam, mvHero]{
				table:    "mv_hero",
				newTeam:  func(n string) *mvTeam { return &mvTeam{Name: n} },
				newHero:  func(n string, team *int64) *mvHero { return &mvHero{Name: n, TeamID: team} },
				teamID:   func(x *mvTeam) int64 { return x.ID },
				heroID:   func(x *mvHero) int64 { return x.ID },
				heroTeam: func(x *mvHero) **int64 { return &x.TeamID },
				lazy:     func(x *mvHero) *orm.Lazy[mvTeam] { return &x.Team },
				heroes:   func(x *mvTeam) *orm.RelatedMany[mvHero] { return &x.Heroes },
			})
		})
		t.Run("session sets NULL", func(t *testing.T) {
			runMoveFromDeleted(t, db, mvPair[mvsTeam, mvsHero]{
				table:    "mvs_hero",
				newTeam:  func(n string) *mvsTeam { return &mvsTeam{Name: n} },
				newHero:  func(n string, team *int64) *mvsHero { return &mvsHero{Name: n, TeamID: team} },
				teamID:   func(x *mvsTeam) int64 { return x.ID },
				heroID:   func(x *mvsHero) int64 { return x.ID },
				heroTeam: func(x *mvsHero) **int64 { return &x.TeamID },
				lazy:     func(x *mvsHero) *orm.Lazy[mvsTeam] { return &x.Team },
				heroes:   func(x *mvsTeam) *orm.RelatedMany[mvsHero] { return &x.Heroes },
			})
		})
	})
}
