// Package mysql registers MySQL and MariaDB through
// github.com/go-sql-driver/mysql with the ORM, under the name "mysql"
// (and "mariadb"):
//
//	import _ "github.com/sqlmodel-go/sqlmodel/orm/driver/mysql"
//
//	db, err := orm.Open("mysql", "user:pass@tcp(localhost:3306)/app")
//
// orm.Open sets two settings of the DSN the ORM depends on: parseTime
// (DATETIME columns scan into time.Time) and clientFoundRows (rows
// affected count matched rows, so that an UPDATE that changes nothing is
// not taken for a stale row). Open asks the server's version to tell
// MariaDB from MySQL.
package mysql

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/go-sql-driver/mysql"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

func init() {
	dialect.RegisterDriver(&dialect.Driver{
		Name:           "mysql",
		Aliases:        []string{"mariadb"},
		Dialect:        dialect.MySQL(),
		AdjustDSN:      AdjustDSN,
		Classify:       classify,
		ConnectionLost: connectionLost,
		ErrorCode:      errorCode,
	})
}

// AdjustDSN sets parseTime and clientFoundRows in a go-sql-driver/mysql
// DSN; orm.Open calls it. Use it for pools opened with sql.Open and given
// to orm.OpenDB.
func AdjustDSN(dsn string) (string, dialect.InMemory, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", dialect.NotInMemory, fmt.Errorf("orm: mysql DSN: %w", err)
	}
	cfg.ParseTime = true
	cfg.ClientFoundRows = true
	return cfg.FormatDSN(), dialect.NotInMemory, nil
}

// classify classifies a *mysql.MySQLError by its error number.
func classify(err error) (error, bool) {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return nil, false
	}
	return dialect.ClassifyMySQL(me.Number, me.Message, err)
}

// connectionLost reports the driver's invalid connection and the error
// numbers of a connection that is gone.
func connectionLost(err error) bool {
	if errors.Is(err, mysql.ErrInvalidConn) {
		return true
	}
	var me *mysql.MySQLError
	return errors.As(err, &me) && dialect.MySQLConnectionLost(me.Number)
}

// errorCode is the error number of a *mysql.MySQLError.
func errorCode(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return strconv.Itoa(int(me.Number))
	}
	return ""
}
