package engine

import (
	"fmt"
	"strings"
)

// wrapped is an error with one step of context in front of it: the
// message is "orm: <context>: <err>", with err's own leading "orm: "
// dropped so that a message says "orm:" once ("orm: CreateAll: unique
// constraint violation", not "orm: CreateAll: orm: unique ...").
type wrapped struct {
	context string
	err     error
}

func (e *wrapped) Error() string {
	return "orm: " + e.context + ": " + strings.TrimPrefix(e.err.Error(), "orm: ")
}

// Unwrap returns the wrapped error.
func (e *wrapped) Unwrap() error { return e.err }

// wrapf returns err with the context format, args in front (see wrapped).
func wrapf(err error, format string, args ...any) error {
	return &wrapped{context: fmt.Sprintf(format, args...), err: err}
}
