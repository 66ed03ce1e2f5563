package orm_test

import (
	"os"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// TestMain prints, once at the end, which databases were skipped and why
// (see ormtest.Main): go test ./... hides a passing package's output, and a
// database that did not run should not pass unnoticed.
func TestMain(m *testing.M) { os.Exit(ormtest.Main(m)) }
