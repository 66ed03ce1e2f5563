//go:build cgo

package driver_test

import (
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3"
)

func cgo() bool { return true }

// cgoAdjustCases are the DSNs of TestAdjustDSN for mattn/go-sqlite3, whose
// AdjustDSN exists only in builds with cgo.
func cgoAdjustCases() []adjustCase {
	return []adjustCase{
		{"sqlite3", sqlite3.AdjustDSN, "file:app.db", "file:app.db?_busy_timeout=5000&_foreign_keys=1&_txlock=immediate", dialect.NotInMemory},
		{"sqlite3", sqlite3.AdjustDSN, "app.db?_fk=0&_timeout=100&_txlock=deferred", "app.db?_fk=0&_timeout=100&_txlock=deferred", dialect.NotInMemory},
		{"sqlite3", sqlite3.AdjustDSN, ":memory:", ":memory:?_busy_timeout=5000&_foreign_keys=1&_txlock=immediate", dialect.PrivateMemory},
		{"sqlite3", sqlite3.AdjustDSN, "file::memory:", "file::memory:?_busy_timeout=5000&_foreign_keys=1&_txlock=immediate", dialect.PrivateMemory},
		{"sqlite3", sqlite3.AdjustDSN, "file:x?mode=memory&cache=shared", "file:x?_busy_timeout=5000&_foreign_keys=1&_txlock=immediate&cache=shared&mode=memory", dialect.SharedMemory},
	}
}
