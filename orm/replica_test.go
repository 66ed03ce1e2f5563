package orm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/faultdriver"
	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
)

// Replica routing on the local servers: the "replicas" are more pools on
// the same database, so every node sees the same data and the hook's
// QueryEvent.Node tells which pool served each statement. The real
// standby and the Galera cluster are in cluster_test.go.

type rpTeam struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes orm.RelatedMany[rpHero] `sqlmodel:"back_populates=Team,order_by=id"`
}

func (rpTeam) TableName() string { return "rp_team" }

type rpHero struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	TeamID *int64           `sqlmodel:"fk=rp_team.id"`
	Team   orm.Lazy[rpTeam] `sqlmodel:"fk=TeamID,back_populates=Heroes"`
}

func (rpHero) TableName() string { return "rp_hero" }

// rpSetup creates the tables on db's primary and seeds two teams and four
// heroes (ids 1-4, heroes 1-3 in team 1).
func rpSetup(t *testing.T, db *orm.DB) context.Context {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateAll(ctx, &rpTeam{}, &rpHero{}); err != nil {
		t.Fatalf("CreateAll: %v", err)
	}
	if _, err := orm.Exec(ctx, db, `INSERT INTO rp_team (id, name) VALUES (?, ?), (?, ?)`, 1, "Preventers", 2, "Z-Force"); err != nil {
		t.Fatal(err)
	}
	if _, err := orm.Exec(ctx, db, `INSERT INTO rp_hero (id, name, team_id) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)`,
		1, "Deadpond", 1, 2, "Spider-Boy", 1, 3, "Rusty-Man", 1, 4, "Black Lion", nil); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// rpOpen opens tg with two replicas that are pools on the same database,
// and returns a recording copy of it.
func rpOpen(t *testing.T, tg testkit.Target, opts ...orm.Option) (*orm.DB, *orm.DB, *testkit.Recorder) {
	t.Helper()
	db := testkit.OpenORM(t, tg, append([]orm.Option{orm.WithReplicas(tg.DSN, tg.DSN)}, opts...)...)
	rdb, rec := testkit.Record(db)
	return db, rdb, rec
}

// rpNodes lists the node of every recorded statement.
func rpNodes(rec *testkit.Recorder) []string {
	var out []string
	for _, e := range rec.Events() {
		out = append(out, e.Node)
	}
	return out
}

// rpExpect checks that what sent at least one statement and that every
// statement ran where want says: "replica" (any replica, outside a
// transaction) or "primary"; then it resets the recorder.
func rpExpect(t *testing.T, rec *testkit.Recorder, what, want string) {
	t.Helper()
	evs := rec.Events()
	if len(evs) == 0 {
		t.Errorf("%s: no statement recorded", what)
	}
	for _, e := range evs {
		ok := e.Node == orm.NodePrimary
		if want == "replica" {
			ok = strings.HasPrefix(e.Node, "replica:") && !e.InTx
		}
		if !ok {
			t.Errorf("%s: %s %q ran on %q (in tx %v), want %s\n%s", what, e.Op, e.Query, e.Node, e.InTx, want, rec.Dump())
			break
		}
	}
	rec.Reset()
}

func TestReplicaReadsOutsideTransactions(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		db, rdb, rec := rpOpen(t, tg)
		ctx := rpSetup(t, db)
		// AutoFlush off: the hero expunged below while the team's loaded
		// collection still holds it would be inserted again by the save
		// cascade of the flush before the next Get (a known limit of the
		// flush's save cascade, which has no relation history yet).
		cfg := orm.DefaultSessionConfig()
		cfg.AutoFlush = false
		s := orm.NewSessionWithConfig(rdb, cfg)
		defer s.Close()

		h, err := orm.Get[rpHero](ctx, s, 1)
		if err != nil || h.Name != "Deadpond" {
			t.Fatalf("Get: %v %+v", err, h)
		}
		rpExpect(t, rec, "Get miss", "replica")
		if _, err := orm.Get[rpHero](ctx, s, 99); !errors.Is(err, orm.ErrNotFound) {
			t.Fatalf("Get of a missing row: %v", err)
		}
		rpExpect(t, rec, "Get of a missing row", "replica")

		all, err := orm.Select[rpHero](s).OrderBy("id").All(ctx)
		if err != nil || len(all) != 4 {
			t.Fatalf("All: %v %d", err, len(all))
		}
		rpExpect(t, rec, "All", "replica")
		if n, err := orm.Select[rpHero](s).Where("team_id = ?", 1).Count(ctx); err != nil || n != 3 {
			t.Fatalf("Count: %v %d", err, n)
		}
		rpExpect(t, rec, "Count", "replica")
		if ok, err := orm.Select[rpHero](s).Where("name = ?", "Rusty-Man").Exists(ctx); err != nil || !ok {
			t.Fatalf("Exists: %v %v", err, ok)
		}
		rpExpect(t, rec, "Exists", "replica")
		if names, err := orm.Scalars[string](ctx, orm.Select[rpHero](s).OrderBy("id"), "name"); err != nil || len(names) != 4 {
			t.Fatalf("Scalars: %v %v", err, names)
		}
		rpExpect(t, rec, "Scalars", "replica")
		n := 0
		for h, err := range orm.Select[rpHero](s).OrderBy("id").Iter(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; h.ID == 2 {
				break
			}
		}
		rpExpect(t, rec, "Iter stopped early", "replica")

		// Loaders: a to-many collection and a to-one relation.
		team, err := orm.Get[rpTeam](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		if _, err := orm.LoadOneToMany(ctx, s, []*rpTeam{team}, func(t *rpTeam) *orm.RelatedMany[rpHero] { return &t.Heroes }); err != nil {
			t.Fatal(err)
		}
		if got := len(team.Heroes.Items()); got != 3 {
			t.Fatalf("loaded %d heroes, want 3", got)
		}
		rpExpect(t, rec, "LoadOneToMany", "replica")
		s.Expunge(all[0])
		rec.Reset()
		h1, err := orm.Get[rpHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := orm.LoadLazy(ctx, s, &h1.Team); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "Get and LoadLazy", "replica")

		// Reload of an expired object.
		s.Expire(h1)
		if err := orm.Refresh(ctx, s, h1); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "Refresh", "replica")

		// Queries on the DB itself, outside any session.
		if n, err := orm.Select[rpTeam](rdb).Count(ctx); err != nil || n != 2 {
			t.Fatalf("DB Count: %v %d", err, n)
		}
		rpExpect(t, rec, "Count on the DB", "replica")

		// Round-robin: consecutive reads alternate between the replicas.
		seen := map[string]int{}
		for range 6 {
			if _, err := orm.Select[rpTeam](rdb).Count(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range rpNodes(rec) {
			seen[n]++
		}
		if seen["replica:0"] != 3 || seen["replica:1"] != 3 {
			t.Errorf("6 reads spread as %v, want 3 on each replica", seen)
		}
		rec.Reset()
		if !s.Config().ReadYourWrites || !orm.DefaultSessionConfig().ReadYourWrites {
			t.Error("ReadYourWrites is not on by default")
		}
	})
}

func TestReplicaPrimaryStatements(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		db, rdb, rec := rpOpen(t, tg)
		ctx := rpSetup(t, db)

		// Raw goes to the primary unless the caller allows a replica;
		// Exec always does.
		if _, err := orm.Raw[rpHero](ctx, rdb, `SELECT id, name, team_id FROM rp_hero WHERE id = ?`, 1); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "Raw", "primary")
		if hs, err := orm.Raw[rpHero](orm.ReadFromReplica(ctx), rdb, `SELECT id, name, team_id FROM rp_hero WHERE id = ?`, 1); err != nil || len(hs) != 1 {
			t.Fatalf("Raw on a replica: %v %d", err, len(hs))
		}
		rpExpect(t, rec, "Raw with ReadFromReplica", "replica")
		if _, err := orm.Exec(orm.ReadFromReplica(ctx), rdb, `UPDATE rp_team SET name = ? WHERE id = ?`, "Preventers", 1); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "Exec with ReadFromReplica", "primary")

		// ReadFromPrimary keeps a read on the primary.
		if _, err := orm.Select[rpHero](rdb).All(orm.ReadFromPrimary(ctx)); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "All with ReadFromPrimary", "primary")

		// Bulk writes on the DB.
		if _, err := orm.Select[rpHero](rdb).Where("id = ?", 4).Update(ctx, map[string]any{"name": "Black Lion"}); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "Update on the DB", "primary")

		// Everything of a transaction, reads included.
		s := orm.NewSession(rdb)
		defer s.Close()
		if err := s.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.Get[rpHero](ctx, s, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.Select[rpTeam](s).All(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "reads in a transaction", "primary")

		err := orm.RunInTx(ctx, rdb, func(s *orm.Session) error {
			_, err := orm.Select[rpHero](s).Count(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "RunInTx", "primary")

		// Row locks open a transaction on the primary.
		if db.Dialect().Features().Has(dialect.RowLocking) {
			s2 := orm.NewSession(rdb)
			if _, err := orm.Select[rpHero](s2).Where("id = ?", 1).ForUpdate().All(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := orm.GetWithOptions[rpHero](ctx, s2, orm.GetOptions{ForUpdate: true}, 2); err != nil {
				t.Fatal(err)
			}
			if err := s2.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			rpExpect(t, rec, "FOR UPDATE", "primary")
			// On the DB outside a session, a locking read is still no
			// replica's business.
			if _, err := orm.Select[rpHero](rdb).Where("id = ?", 1).ForUpdate(query.SkipLocked).All(ctx); err != nil {
				t.Fatal(err)
			}
			rpExpect(t, rec, "FOR UPDATE on the DB", "primary")
		}

		// A DB without replicas labels everything primary.
		plain, prec := testkit.Record(testkit.OpenORM(t, tg, orm.WithRegistry(db.Registry())))
		if _, err := orm.Select[rpHero](plain).Count(ctx); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, prec, "no replicas", "primary")
		if plain.Replicas() != nil {
			t.Errorf("Replicas() of a DB without replicas: %v", plain.Replicas())
		}
	})
}

func TestReplicaReadYourWrites(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		db, rdb, rec := rpOpen(t, tg)
		ctx := rpSetup(t, db)

		s := orm.NewSession(rdb)
		defer s.Close()
		h, err := orm.Get[rpHero](ctx, s, 1)
		if err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "read before writing", "replica")
		h.Name = "Deadpond II"
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "flush and commit", "primary")
		got, err := orm.Select[rpHero](s).Where("id = ?", 1).One(ctx)
		if err != nil || got.Name != "Deadpond II" {
			t.Fatalf("read after the commit: %v %+v", err, got)
		}
		if _, err := orm.Get[rpHero](ctx, s, 3); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "reads after writing", "primary")

		// Other sessions still read replicas.
		other := orm.NewSession(rdb)
		defer other.Close()
		if _, err := orm.Get[rpHero](ctx, other, 1); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "another session", "replica")

		// Exec and bulk Update count as writes.
		for name, write := range map[string]func(s *orm.Session) error{
			"Exec": func(s *orm.Session) error {
				_, err := orm.Exec(ctx, s, `UPDATE rp_hero SET name = name WHERE id = ?`, 2)
				return err
			},
			"Update": func(s *orm.Session) error {
				_, err := orm.Select[rpHero](s).Where("id = ?", 2).Update(ctx, map[string]any{"name": "Spider-Boy"})
				return err
			},
		} {
			ws := orm.NewSession(rdb)
			if err := write(ws); err != nil {
				t.Fatal(err)
			}
			if err := ws.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			rec.Reset()
			if _, err := orm.Select[rpHero](ws).All(ctx); err != nil {
				t.Fatal(err)
			}
			rpExpect(t, rec, "read after "+name, "primary")
			ws.Close()
		}

		// ReadYourWrites off: reads go back to the replicas after the
		// commit.
		cfg := orm.DefaultSessionConfig()
		cfg.ReadYourWrites = false
		loose := orm.NewSessionWithConfig(rdb, cfg)
		defer loose.Close()
		if err := loose.Add(&rpHero{ID: 10, Name: "Tarantula"}); err != nil {
			t.Fatal(err)
		}
		if err := loose.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		if _, err := orm.Get[rpHero](ctx, loose, 3); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "read after writing without ReadYourWrites", "replica")
	})
}

// TestReplicaFailover: a replica whose statement fails and whose health
// check fails too is marked down and skipped; the read moves on to the
// next replica and finally the primary, without an error for the caller.
// Closed pools stand in for stopped servers (cluster_test.go stops a real
// standby).
func TestReplicaFailover(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		// A back-off of a second (not milliseconds): on a loaded machine the
		// four reads below must all fall inside it.
		bad, good := tg.Open(t), tg.Open(t)
		t.Cleanup(func() { bad.Close(); good.Close() })
		if err := bad.Close(); err != nil {
			t.Fatal(err)
		}
		db := testkit.OpenORM(t, tg, orm.WithReplicaDBs(bad, good), orm.WithReplicaBackoff(time.Second, 2*time.Second))
		ctx := rpSetup(t, db)
		rdb, rec := testkit.Record(db)

		for i := range 4 {
			if n, err := orm.Select[rpHero](rdb).Count(ctx); err != nil || n != 4 {
				t.Fatalf("read %d: %v %d", i, err, n)
			}
		}
		evs := rec.Events()
		if len(evs) != 5 || evs[0].Node != "replica:0" || evs[0].Err == nil {
			t.Fatalf("want one failed statement on replica:0 and four reads on replica:1:\n%s", rec.Dump())
		}
		for _, e := range evs[1:] {
			if e.Node != "replica:1" || e.Err != nil {
				t.Fatalf("read on %s (err %v), want replica:1:\n%s", e.Node, e.Err, rec.Dump())
			}
		}
		st := db.Replicas()
		if len(st) != 2 || st[0].Up || st[0].Failures != 1 || st[0].LastError == nil || !st[1].Up || st[0].Node != "replica:0" {
			t.Fatalf("status after the failure: %+v", st)
		}
		firstRetry := st[0].RetryAt
		if d := time.Until(firstRetry); d > time.Second {
			t.Errorf("retry in %v, want at most the base back-off 1s", d)
		}

		// After the back-off, reads probe it again; it still fails, so
		// it stays down with a longer back-off and no statement of a
		// caller is sent to it.
		time.Sleep(time.Until(firstRetry) + 50*time.Millisecond)
		rec.Reset()
		for range 2 {
			if _, err := orm.Select[rpHero](rdb).Count(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range rpNodes(rec) {
			if n != "replica:1" {
				t.Fatalf("read on %s while replica:0 is down", n)
			}
		}
		st = db.Replicas()
		if st[0].Up || st[0].Failures != 2 || !st[0].RetryAt.After(firstRetry) {
			t.Fatalf("status after a failed probe: %+v", st[0])
		}

		// With every replica gone, reads run on the primary, still
		// without an error.
		if err := good.Close(); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		s := orm.NewSession(rdb)
		defer s.Close()
		for id := int64(1); id <= 3; id++ {
			if h, err := orm.Get[rpHero](ctx, s, id); err != nil || h.ID != id {
				t.Fatalf("Get %d with no replica left: %v", id, err)
			}
		}
		evs = rec.Events()
		last := evs[len(evs)-1]
		if last.Node != orm.NodePrimary || last.Err != nil {
			t.Fatalf("last read on %s: %v\n%s", last.Node, last.Err, rec.Dump())
		}
		for _, e := range evs {
			if e.Node == "replica:0" {
				t.Fatalf("a statement ran on the down replica:0 within its back-off:\n%s", rec.Dump())
			}
		}
		if st := db.Replicas(); st[1].Up {
			t.Fatalf("replica:1 still up after its pool closed: %+v", st)
		}
	})
}

// TestReplicaStatementErrors: an error of the statement itself (the replica
// answers its health check) is returned as it is and marks nothing down.
func TestReplicaStatementErrors(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		db, rdb, rec := rpOpen(t, tg)
		ctx := rpSetup(t, db)
		_, err := orm.Raw[rpHero](orm.ReadFromReplica(ctx), rdb, `SELECT id, name, team_id FROM rp_hero WHERE no_such_column = ?`, 1)
		if err == nil {
			t.Fatal("a query of a missing column succeeded")
		}
		evs := rec.Events()
		if len(evs) != 1 || !strings.HasPrefix(evs[0].Node, "replica:") || evs[0].Err == nil {
			t.Fatalf("want the one failed statement on a replica:\n%s", rec.Dump())
		}
		for _, st := range db.Replicas() {
			if !st.Up || st.Failures != 0 {
				t.Fatalf("a statement error marked %s down: %+v", st.Node, st)
			}
		}
		// A cancelled context is the caller's doing, not the replica's.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := orm.Select[rpHero](rdb).All(cctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled read: %v", err)
		}
		for _, st := range db.Replicas() {
			if !st.Up {
				t.Fatalf("a cancelled read marked %s down", st.Node)
			}
		}
	})
}

// TestReplicaHealthyButFailing: a replica that answers its health check
// but failed a read with a broken connection or a replay conflict
// (SQLSTATE 40001 on a standby) hands the read to the primary and stays
// up; other errors are the caller's. Faults come from internal/faultdriver.
func TestReplicaHealthyButFailing(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctl := faultdriver.New()
		t.Cleanup(ctl.Close)
		pool, err := ctl.Open(tg.Driver, tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pool.Close() })
		db := testkit.OpenORM(t, tg, orm.WithReplicaDBs(pool))
		ctx := rpSetup(t, db)
		rdb, rec := testkit.Record(db)
		conflict := &dialect.RetryableError{Kind: dialect.ErrSerialization, Code: "40001", Err: errors.New("canceling statement due to conflict with recovery")}
		for _, c := range []struct {
			name string
			err  error
		}{{"broken connection", io.ErrUnexpectedEOF}, {"replay conflict", conflict}} {
			rec.Reset()
			ctl.Arm(faultdriver.Fault{Action: faultdriver.Fail, At: 1, Err: c.err})
			n, err := orm.Select[rpHero](rdb).Count(ctx)
			if err != nil || n != 4 {
				t.Fatalf("%s: %v, %d", c.name, err, n)
			}
			if len(ctl.Fired()) == 0 {
				t.Fatalf("%s: the fault did not fire", c.name)
			}
			ctl.Reset()
			evs := rec.Events()
			if len(evs) != 2 || evs[0].Node != "replica:0" || evs[0].Err == nil || evs[1].Node != orm.NodePrimary || evs[1].Err != nil {
				t.Fatalf("%s: want a failed read on replica:0, then the primary:\n%s", c.name, rec.Dump())
			}
			if st := db.Replicas(); !st[0].Up || st[0].Failures != 0 {
				t.Fatalf("%s: a healthy replica was marked down: %+v", c.name, st[0])
			}
		}
		// Any other error is returned as it is.
		rec.Reset()
		ctl.Arm(faultdriver.Fault{Action: faultdriver.Fail, At: 1})
		if _, err := orm.Select[rpHero](rdb).Count(ctx); !errors.Is(err, faultdriver.ErrInjected) {
			t.Fatalf("injected statement error: %v", err)
		}
		ctl.Reset()
		if evs := rec.Events(); len(evs) != 1 || evs[0].Node != "replica:0" {
			t.Fatalf("want the one failed read on replica:0:\n%s", rec.Dump())
		}
		// Afterwards the replica serves reads again.
		rec.Reset()
		if _, err := orm.Select[rpHero](rdb).Count(ctx); err != nil {
			t.Fatal(err)
		}
		rpExpect(t, rec, "read after the faults", "replica")
	})
}

func TestReplicaOptionErrors(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		cases := []struct {
			name string
			opts []orm.Option
			want string
		}{
			{"empty DSN", []orm.Option{orm.WithReplicas(tg.DSN, "")}, "DSN 1 is empty"},
			{"nil pool", []orm.Option{orm.WithReplicaDBs(nil)}, "pool 0 is nil"},
			{"zero back-off", []orm.Option{orm.WithReplicas(tg.DSN), orm.WithReplicaBackoff(0, time.Second)}, "WithReplicaBackoff"},
			{"maximum below base", []orm.Option{orm.WithReplicas(tg.DSN), orm.WithReplicaBackoff(time.Second, time.Millisecond)}, "WithReplicaBackoff"},
		}
		for _, c := range cases {
			db, err := orm.Open(tg.Driver, tg.DSN, c.opts...)
			if err == nil {
				db.Close()
				t.Errorf("%s: no error", c.name)
				continue
			}
			if !strings.Contains(err.Error(), c.want) || !errors.Is(err, orm.ErrInvalidArgument) {
				t.Errorf("%s: error %q does not mention %q or does not match ErrInvalidArgument", c.name, err, c.want)
			}
		}
		pool := tg.Open(t)
		defer pool.Close()
		if _, err := orm.OpenDB(pool, tg.Dialect, orm.WithReplicaDBs(pool)); !errors.Is(err, orm.ErrInvalidArgument) || !strings.Contains(err.Error(), "primary's own pool") {
			t.Errorf("the primary's pool as its replica: %v", err)
		}
		if tg.Dialect == "sqlite" {
			if _, err := orm.Open(tg.Driver, tg.DSN, orm.WithReplicas(":memory:")); !errors.Is(err, orm.ErrInvalidArgument) || !strings.Contains(err.Error(), "in-memory") {
				t.Errorf("in-memory SQLite replica: %v", err)
			}
		}

		// OpenDB with replicas by DSN: Close closes those, leaves the
		// caller's pools open.
		rp := tg.Open(t)
		defer rp.Close()
		odb, err := orm.OpenDB(pool, tg.Dialect, orm.WithReplicas(tg.DSN), orm.WithReplicaDBs(rp))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(len(odb.Replicas())); got != "2" {
			t.Fatalf("%s replicas, want 2", got)
		}
		if err := odb.Close(); err != nil {
			t.Fatal(err)
		}
		if err := rp.PingContext(context.Background()); err != nil {
			t.Errorf("Close closed a replica pool the caller owns: %v", err)
		}
		if err := pool.PingContext(context.Background()); err != nil {
			t.Errorf("Close closed the caller's primary pool: %v", err)
		}
	})
}

// Reads a flush depends on go to the primary (issue 15, item 6): the
// delete cascade loads unloaded children there, even before the session
// has written; so do Refresh of an object with pending changes and Merge.
type rpcParent struct {
	ID       int64 `sqlmodel:"pk"`
	Name     string
	Children orm.RelatedMany[rpcChild] `sqlmodel:"cascade_delete,back_populates=Parent"`
}

func (rpcParent) TableName() string { return "rpc_parent" }

type rpcChild struct {
	ID       int64 `sqlmodel:"pk"`
	ParentID int64
	Parent   orm.Lazy[rpcParent] `sqlmodel:"fk=ParentID,back_populates=Children"`
}

func (rpcChild) TableName() string { return "rpc_child" }

func TestReplicaReadsForWritesOnPrimary(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		db, rdb, rec := rpOpen(t, tg)
		ctx := rwCtx(t)
		rwOK(t, db.CreateAll(ctx, &rpcParent{}, &rpcChild{}), "CreateAll")
		p := &rpcParent{Name: "p"}
		p.Children.Set([]*rpcChild{{}, {}})
		rwSeed(t, db, p, &rpcParent{Name: "q"})
		rec.Reset()

		s := orm.NewSession(rdb)
		defer s.Close()
		got, err := orm.Get[rpcParent](ctx, s, p.ID)
		rwOK(t, err, "Get")
		rpExpect(t, rec, "read before writing", "replica")
		rwOK(t, s.Delete(got), "Delete")
		rwOK(t, s.Commit(ctx), "Commit")
		rpExpect(t, rec, "cascade delete (children loaded by the flush)", "primary")
		rwEqual(t, "children left", rwRows(t, db, `SELECT "id" FROM "rpc_child"`), nil)

		s2 := orm.NewSession(rdb)
		defer s2.Close()
		q, err := orm.Select[rpcParent](s2).Where("name = ?", "q").One(ctx)
		rwOK(t, err, "Select q")
		rpExpect(t, rec, "read in a new session", "replica")
		q.Name = "q2"
		rwOK(t, orm.Refresh(ctx, s2, q), "Refresh of a changed object")
		rpExpect(t, rec, "Refresh of a changed object", "primary")
		s3 := orm.NewSession(rdb)
		defer s3.Close()
		_, err = orm.Merge(ctx, s3, &rpcParent{ID: q.ID, Name: "q3"}, true)
		rwOK(t, err, "Merge")
		rpExpect(t, rec, "Merge's load", "primary")
	})
}
