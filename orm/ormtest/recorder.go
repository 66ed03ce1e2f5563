package ormtest

import (
	"context"
	"strings"
	"sync"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Recorder is an orm.QueryHook that records every statement a DB sends,
// transaction control included, for asserting the SQL an operation sends.
// The zero value is ready to use: pass it to orm.WithQueryHook, or call
// Record. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []orm.QueryEvent
}

// Record returns a copy of db that records its statements (db itself is not
// changed; both share the pool), and the recorder.
func Record(db *orm.DB) (*orm.DB, *Recorder) {
	r := &Recorder{}
	return db.WithQueryHook(r), r
}

// BeforeQuery implements orm.QueryHook.
func (r *Recorder) BeforeQuery(ctx context.Context, _ *orm.QueryEvent) context.Context { return ctx }

// AfterQuery implements orm.QueryHook.
func (r *Recorder) AfterQuery(_ context.Context, e *orm.QueryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *e
	c.Args = append([]any(nil), e.Args...)
	r.events = append(r.events, c)
}

// Events returns a copy of the recorded events.
func (r *Recorder) Events() []orm.QueryEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]orm.QueryEvent(nil), r.events...)
}

// Statements returns the recorded statement texts, transaction control
// included as "begin", "commit", "rollback".
func (r *Recorder) Statements() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Query
	}
	return out
}

// SQL returns the recorded statements that are not transaction control.
func (r *Recorder) SQL() []string {
	var out []string
	for _, e := range r.Events() {
		switch e.Op {
		case "exec", "query":
			out = append(out, e.Query)
		}
	}
	return out
}

// Count returns the number of recorded events.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// Reset forgets the recorded events.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
}

// Dump formats the recorded statements one per line, for failure messages.
func (r *Recorder) Dump() string {
	var b strings.Builder
	for _, e := range r.Events() {
		b.WriteString(e.Op)
		b.WriteString(": ")
		b.WriteString(e.Query)
		b.WriteByte('\n')
	}
	return b.String()
}
