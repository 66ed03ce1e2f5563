// Command pgxonly is a PostgreSQL-only program, for measuring what a
// program that imports one driver package links (docs/dialects.md).
package main

import (
	"fmt"
	"os"

	"github.com/sqlmodel-go/sqlmodel/orm"
	_ "github.com/sqlmodel-go/sqlmodel/orm/driver/pgx"
)

func main() {
	db, err := orm.Open("pgx", os.Getenv("DATABASE_URL"))
	fmt.Println(db != nil, err)
}
