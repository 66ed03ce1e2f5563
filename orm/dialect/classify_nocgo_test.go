//go:build !cgo

package dialect_test

import "testing"

// sameMattnError fails: without cgo there is no mattn/go-sqlite3 to
// classify errors of.
func sameMattnError(t *testing.T, _, _ error) {
	t.Helper()
	t.Fatal(`driver "sqlite3" (mattn/go-sqlite3) needs cgo`)
}

// mattnResultCode finds nothing without cgo.
func mattnResultCode(error) (int, bool) { return 0, false }

// mattnPassThrough is empty without cgo.
func mattnPassThrough() []error { return nil }

// mattnBusy is empty without cgo.
func mattnBusy() []error { return nil }

// mattnDriverErrors is empty without cgo.
func mattnDriverErrors() []handMadeError { return nil }
