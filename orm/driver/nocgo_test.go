//go:build !cgo

package driver_test

func cgo() bool { return false }

// cgoAdjustCases is empty without cgo: mattn/go-sqlite3's AdjustDSN needs
// it.
func cgoAdjustCases() []adjustCase { return nil }
