// Command nodriver opens a database without importing any driver package,
// for TestOpenWithoutDriverPackage: it prints the error of orm.Open.
package main

import (
	"errors"
	"fmt"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

func main() {
	_, err := orm.Open("pgx", "postgres://localhost/app")
	fmt.Println(errors.Is(err, orm.ErrInvalidArgument), err)
}
