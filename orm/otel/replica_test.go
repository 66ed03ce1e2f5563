package otel_test

import (
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// Replica routing shows in the spans' sqlmodel.node attribute: a
// read outside a transaction goes to the replica (here the same database
// under a second pool), a write and the read in its transaction to the
// primary.
func TestReplicaNodeAttribute(t *testing.T) {
	ormtest.EachTarget(t, func(t *testing.T, tg ormtest.Target) {
		db := tg.OpenORM(t, orm.WithReplicas(tg.DSN))
		idb, tm := instrument(t, db)
		ctx := testCtx(t)
		s := orm.NewSession(idb)
		defer s.Close()
		_, err := orm.Select[otTeam](s).All(ctx)
		ok(t, err, "Select on the replica")
		ok(t, s.Add(&otTeam{Name: "primary"}), "Add")
		ok(t, s.Add(&otHero{Name: "h"}), "Add hero")
		ok(t, s.Flush(ctx), "Flush")
		_, err = orm.Select[otTeam](s).All(ctx)
		ok(t, err, "Select in the transaction")
		ok(t, s.Commit(ctx), "Commit")
		var nodes []string
		for _, sp := range tm.spans.Ended() {
			if sp.Name() == "SELECT ot_team" {
				nodes = append(nodes, attr(sp, "sqlmodel.node"))
			}
		}
		if len(nodes) != 2 || nodes[0] != "replica:0" || nodes[1] != "primary" {
			t.Errorf("SELECT spans' nodes %q; want [replica:0 primary]", nodes)
		}
		if n := attr(only(t, tm.spans.Ended(), "INSERT ot_team"), "sqlmodel.node"); n != "primary" {
			t.Errorf("INSERT node %q; want primary", n)
		}
	})
}
