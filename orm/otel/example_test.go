package otel_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlmodel-go/sqlmodel/orm"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite" // registers "sqlite" (pure Go)
	"github.com/sqlmodel-go/sqlmodel/orm/otel"
)

type exHero struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func (exHero) TableName() string { return "ex_hero" }

// Instrument a DB, run a transaction, and print the spans it made as a
// tree: the flush of RunInTx's commit runs under a savepoint of the
// attempt's transaction. A real program gives its own tracer and meter providers (with an
// exporter); here the spans go to an in-memory recorder.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "otel-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := orm.Open("sqlite", "file:"+filepath.Join(dir, "heroes.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.CreateAll(ctx, &exHero{}); err != nil {
		panic(err)
	}

	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	db, err = otel.Instrument(ctx, db, otel.WithTracerProvider(tp))
	if err != nil {
		panic(err)
	}
	err = orm.RunInTx(ctx, db, func(s *orm.Session) error {
		return s.Add(&exHero{Name: "Deadpond"})
	})
	if err != nil {
		panic(err)
	}
	printTree(spans.Ended())
	// Output:
	// sqlmodel.attempt
	//   sqlmodel.transaction
	//     BEGIN
	//     sqlmodel.flush
	//       SAVEPOINT
	//       INSERT ex_hero
	//       RELEASE
	//     COMMIT
}

// printTree prints spans under their parents, in the order they started.
func printTree(spans []sdktrace.ReadOnlySpan) {
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		var kids []sdktrace.ReadOnlySpan
		for _, s := range spans {
			p := ""
			if s.Parent().IsValid() {
				p = s.Parent().SpanID().String()
			}
			if p == parent {
				kids = append(kids, s)
			}
		}
		slices.SortStableFunc(kids, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
		for _, s := range kids {
			fmt.Println(strings.Repeat("  ", depth) + s.Name())
			walk(s.SpanContext().SpanID().String(), depth+1)
		}
	}
	walk("", 0)
}
