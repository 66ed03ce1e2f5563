package orm_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// Times written from different zones compare and sort as instants on
// every database (issue 15, item 5): SQLite stores times as text, and the
// session binds them in UTC there. Names start with "tz", tables "tz_".

type tzEvent struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	At   time.Time
}

func (tzEvent) TableName() string { return "tz_event" }

func TestTimesFromMixedZonesCompareAsInstants(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &tzEvent{})
		tokyo := time.FixedZone("JST", 9*3600)
		newYork := time.FixedZone("EST", -5*3600)
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		// In instant order: b (11:00 UTC, written in Tokyo), a (12:00 UTC,
		// written in New York), c (13:30 UTC, written in UTC). As text in
		// their own zones they would sort a, c, b.
		events := []*tzEvent{
			{Name: "a", At: base.In(newYork)},
			{Name: "b", At: base.Add(-time.Hour).In(tokyo)},
			{Name: "c", At: base.Add(90 * time.Minute)},
		}
		s := rwSession(t, db)
		for _, e := range events {
			rwOK(t, s.Add(e), "Add")
		}
		rwOK(t, s.Commit(ctx), "Commit")
		got, err := orm.Select[tzEvent](s).OrderBy("at").All(ctx)
		rwOK(t, err, "ordered")
		rwEqual(t, "ORDER BY at", rwNames(got, func(e *tzEvent) string { return e.Name }), []string{"b", "a", "c"})
		before, err := orm.Select[tzEvent](s).Where("at < ?", base.Add(30*time.Minute).In(tokyo)).OrderBy("at").All(ctx)
		rwOK(t, err, "before")
		rwEqual(t, "at < 12:30 UTC (given in Tokyo time)", rwNames(before, func(e *tzEvent) string { return e.Name }), []string{"b", "a"})
		n, err := orm.Select[tzEvent](s).Where("at = ?", base.In(tokyo)).Count(ctx)
		rwOK(t, err, "equal")
		if n != 1 {
			t.Fatalf("at = 12:00 UTC given in Tokyo time matched %d rows, want 1", n)
		}
		// Values read back are the same instants.
		for _, e := range got {
			want := map[string]time.Time{"a": base, "b": base.Add(-time.Hour), "c": base.Add(90 * time.Minute)}[e.Name]
			if !e.At.Equal(want) {
				t.Fatalf("%s read back as %v, want %v", e.Name, e.At, want)
			}
		}
	})
}

// A private in-memory SQLite database has one connection; a shared-cache
// one gets a real pool and keeps its data while the DB is open.
func TestSQLiteMemoryPools(t *testing.T) {
	ctx := rwCtx(t)
	priv, err := orm.Open(ormtest.SQLiteDriver(), ":memory:")
	rwOK(t, err, "Open :memory:")
	defer priv.Close()
	if n := priv.SQL().Stats().MaxOpenConnections; n != 1 {
		t.Fatalf(":memory: pool allows %d connections, want 1", n)
	}
	name := fmt.Sprintf("file:tz_shared_%d?mode=memory&cache=shared", time.Now().UnixNano())
	shared, err := orm.Open(ormtest.SQLiteDriver(), name)
	rwOK(t, err, "Open shared")
	if n := shared.SQL().Stats().MaxOpenConnections; n == 1 {
		t.Fatal("a shared-cache in-memory database is limited to one connection")
	}
	rwOK(t, shared.CreateAll(ctx, &tzEvent{}), "CreateAll")
	s := orm.NewSession(shared)
	rwOK(t, s.Add(&tzEvent{Name: "kept", At: time.Now()}), "Add")
	rwOK(t, s.Commit(ctx), "Commit")
	rwOK(t, s.Close(), "Close session")
	shared.SQL().SetMaxIdleConns(0) // every idle connection closes: the anchor keeps the database
	n, err := orm.Select[tzEvent](shared).Count(ctx)
	rwOK(t, err, "Count after the idle connections closed")
	if n != 1 {
		t.Fatalf("%d rows in the shared in-memory database, want 1", n)
	}
	rwOK(t, shared.Close(), "Close")
}
