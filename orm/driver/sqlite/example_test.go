package sqlite_test

import (
	"context"
	"fmt"

	"github.com/sqlmodel-go/sqlmodel/orm"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite" // registers "sqlite": SQLite in pure Go
)

type Note struct {
	ID   int64 `sqlmodel:"pk"`
	Text string
}

// Importing the package is all it takes: orm.Open knows "sqlite", and the
// program needs no cgo.
func Example() {
	ctx := context.Background()
	db, err := orm.Open("sqlite", ":memory:")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	if err := db.CreateAll(ctx, &Note{}); err != nil {
		fmt.Println(err)
		return
	}
	s := orm.NewSession(db)
	defer s.Close()
	if err := s.Add(&Note{Text: "pure Go"}); err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Commit(ctx); err != nil {
		fmt.Println(err)
		return
	}
	n, err := orm.Get[Note](ctx, s, int64(1))
	fmt.Println(n.Text, err)
	// Output: pure Go <nil>
}
