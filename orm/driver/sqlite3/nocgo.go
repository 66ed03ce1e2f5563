//go:build !cgo

package sqlite3

import (
	"errors"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// errNoCgo is what orm.Open answers for "sqlite3" in a build without cgo.
var errNoCgo = errors.New(`orm: driver "sqlite3" (github.com/mattn/go-sqlite3) needs cgo, and this program was built with CGO_ENABLED=0: import github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite and open "sqlite" (pure Go) instead`)

func init() {
	dialect.RegisterDriver(&dialect.Driver{
		Name:    "sqlite3",
		Dialect: dialect.SQLite(),
		AdjustDSN: func(string) (string, dialect.InMemory, error) {
			return "", dialect.NotInMemory, errNoCgo
		},
	})
}
