package session

import (
	"context"
	"fmt"
)

// A Session is for one goroutine. Every exported method and function that
// reads or changes its state takes the session's guard on entry, with one
// atomic compare-and-swap, and gives it back on return. A call that finds
// the guard taken overlaps a call from another goroutine: it returns an
// error matching ErrConcurrentUse, naming itself, and changes nothing
// (methods without an error result panic with that error instead). The
// guard detects misuse; it does not serialize, and it is not a lock that
// makes sharing a session safe.
//
// Exported code never calls exported code of the same session while it
// holds the guard: Commit flushes with flush, Close rolls back with
// rollback, and so on. User code that runs inside a call is the
// exception: session events (OnBeforeFlush...), model hooks (BeforeInsert,
// AfterLoad...), the function given to NoAutoFlush or TrackN1, the
// progress and missing-row callbacks of the bulk operations. While one
// runs the guard is marked "in callback", and calls made from it enter
// freely. Go has no goroutine identity, so a call from another goroutine
// during that time is not detected either. RunInTx holds no guard while
// its function runs, and Query.Iter holds it only while it reads a row,
// not while the loop body runs, so those bodies are checked like any
// other caller.

// Units of the guard word: the low 16 bits count the calls in progress
// (one, or more when calls nest inside a callback), the high bits the
// user callbacks running.
const (
	guardCall     uint32 = 1
	guardCallback uint32 = 1 << 16
)

// enter takes the guard for the exported operation op; every successful
// enter is paired with exit. A nil session enters without a guard, so that
// the operation reports the nil session its own way.
func (s *Session) enter(op string) error {
	if s == nil || s.guard.CompareAndSwap(0, guardCall) {
		return nil
	}
	return s.enterBusy(op)
}

// enterBusy is enter when the guard is taken: allowed while a callback
// runs, ErrConcurrentUse otherwise.
func (s *Session) enterBusy(op string) error {
	if s.guard.Load() >= guardCallback {
		s.guard.Add(guardCall)
		return nil
	}
	return fmt.Errorf("%w: %s called while another call on this session is in progress (a Session is for one goroutine; use one session per goroutine)", ErrConcurrentUse, op)
}

// mustEnter is enter for methods without an error result: overlapping use
// panics with the error.
func (s *Session) mustEnter(op string) {
	if err := s.enter(op); err != nil {
		panic(err)
	}
}

// exit gives back the guard taken by enter.
func (s *Session) exit() {
	if s != nil {
		s.guard.Add(^(guardCall - 1))
	}
}

// beginCallback marks the session as running user code, until the
// matching endCallback.
func (s *Session) beginCallback() { s.guard.Add(guardCallback) }

func (s *Session) endCallback() { s.guard.Add(^(guardCallback - 1)) }

// callback wraps an event handler so that it runs marked as a callback.
func (s *Session) callback(fn EventFunc) EventFunc {
	return func(ctx context.Context) error {
		s.beginCallback()
		defer s.endCallback()
		return fn(ctx)
	}
}

// runCallback runs fn marked as a callback.
func (s *Session) runCallback(fn func()) {
	if s == nil {
		fn()
		return
	}
	s.beginCallback()
	defer s.endCallback()
	fn()
}

// session returns the savepoint's session, nil for a nil savepoint.
func (sp *Savepoint) session() *Session {
	if sp == nil {
		return nil
	}
	return sp.s
}

// sessionOf returns the session a Querier stands for: nil for a DB or a
// nil Querier.
func sessionOf(q Querier) *Session {
	if q == nil {
		return nil
	}
	s, _ := q.(*Session)
	return s
}
