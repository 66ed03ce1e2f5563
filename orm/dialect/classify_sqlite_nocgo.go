//go:build !cgo

package dialect

// classifySQLite is the stand-in used without cgo: github.com/mattn/go-sqlite3
// only defines its error types when built with cgo, and without cgo it cannot
// open a database, so there is never a sqlite3.Error to classify.
func classifySQLite(error) (error, bool) { return nil, false }
