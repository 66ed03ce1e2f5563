package errwrap

import (
	"errors"
	"testing"
)

func TestWrapf(t *testing.T) {
	inner := errors.New("orm: not found")
	err := Wrapf(inner, "get %s", "hero")
	if got := err.Error(); got != "orm: get hero: not found" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, inner) {
		t.Error("errors.Is does not reach the wrapped error")
	}
	if got := Wrapf(errors.New("sql: no rows"), "x").Error(); got != "orm: x: sql: no rows" {
		t.Errorf("Error() = %q", got)
	}
}
