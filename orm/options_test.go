package orm_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

type opHero struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func (opHero) TableName() string { return "op_hero" }

// TestOpenOptions: WithRegistry shares model metadata between DBs, and a
// hook given to Open with WithQueryHook (an AfterQueryFunc) sees every
// statement.
func TestOpenOptions(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx := context.Background()
		reg := orm.NewRegistry()
		var seen atomic.Int64
		var lastSQL atomic.Value
		hook := orm.AfterQueryFunc(func(_ context.Context, e *orm.QueryEvent) {
			seen.Add(1)
			lastSQL.Store(e.Query)
		})
		a := testkit.OpenORM(t, tg, orm.WithRegistry(reg), orm.WithQueryHook(hook))
		b := testkit.OpenORM(t, tg, orm.WithRegistry(reg))
		if a.Registry() != reg || b.Registry() != reg {
			t.Fatal("WithRegistry: the DBs do not use the given registry")
		}
		if err := a.CreateAll(ctx, &opHero{}); err != nil {
			t.Fatal(err)
		}
		if seen.Load() == 0 || !strings.Contains(lastSQL.Load().(string), "op_hero") {
			t.Fatalf("hook saw %d statements, last %v", seen.Load(), lastSQL.Load())
		}
		// b never registered opHero itself: the shared registry has it.
		m, ok := b.Registry().Table("op_hero")
		if !ok || m.Name != "orm_test.opHero" {
			t.Fatalf("shared registry lookup: %v %v", m, ok)
		}
		before := seen.Load()
		s := orm.NewSession(b)
		defer s.Close()
		if err := s.Add(&opHero{Name: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if seen.Load() != before {
			t.Fatalf("a hook on DB a saw statements of DB b")
		}
		n, err := orm.Select[opHero](a).Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("count through a: %d, %v", n, err)
		}
		if seen.Load() != before+1 {
			t.Fatalf("hook saw %d statements for one query", seen.Load()-before)
		}
	})
}
