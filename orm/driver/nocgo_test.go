//go:build !cgo

package driver_test

func cgo() bool { return false }
