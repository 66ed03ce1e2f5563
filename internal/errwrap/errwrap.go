// Package errwrap puts context in front of the ORM's errors without
// repeating their "orm: " prefix.
package errwrap

import (
	"fmt"
	"strings"
)

// wrapped is an error with one step of context in front of it: the
// message is "orm: <context>: <err>", with err's own leading "orm: "
// dropped so that a message says "orm:" once ("orm: commit: unique
// constraint violation", not "orm: commit: orm: unique ...").
type wrapped struct {
	context string
	err     error
}

func (e *wrapped) Error() string {
	return "orm: " + e.context + ": " + strings.TrimPrefix(e.err.Error(), "orm: ")
}

// Unwrap returns the wrapped error.
func (e *wrapped) Unwrap() error { return e.err }

// Wrapf returns err with the context format, args in front: errors.Is and
// errors.As reach err, and the message says "orm:" once.
func Wrapf(err error, format string, args ...any) error {
	return &wrapped{context: fmt.Sprintf(format, args...), err: err}
}
