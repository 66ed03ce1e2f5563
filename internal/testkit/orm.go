package testkit

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm"
)

// EachDialect runs fn once per database with an *orm.DB opened on a fresh
// isolated database. At cleanup it fails the test if connections are still
// in use (a leaked *sql.Rows or transaction), then closes the DB.
func EachDialect(t *testing.T, fn func(t *testing.T, db *orm.DB)) {
	t.Helper()
	EachTarget(t, func(t *testing.T, tg Target) {
		db := OpenORM(t, tg)
		fn(t, db)
	})
}

// OpenORM opens tg through orm.Open and registers the leak check and Close
// with t.Cleanup.
func OpenORM(t testing.TB, tg Target, opts ...orm.Option) *orm.DB {
	t.Helper()
	db, err := orm.Open(tg.Driver, tg.DSN, opts...)
	if err != nil {
		t.Fatalf("testkit: orm.Open %s: %v", tg.Dialect, err)
	}
	t.Cleanup(func() {
		// database/sql returns the connection of a transaction whose
		// context was cancelled from a goroutine of its own: give it a
		// moment before calling a connection leaked.
		n := db.SQL().Stats().InUse
		for deadline := time.Now().Add(2 * time.Second); n != 0 && time.Now().Before(deadline); n = db.SQL().Stats().InUse {
			time.Sleep(10 * time.Millisecond)
		}
		if n != 0 {
			t.Errorf("testkit: %d connection(s) still in use at the end of the test (leaked rows or transaction)", n)
		}
		if err := db.Close(); err != nil {
			t.Errorf("testkit: close: %v", err)
		}
	})
	return db
}

// Recorder is a QueryHook that records every statement, for asserting the
// SQL an operation sends. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []orm.QueryEvent
}

// Record returns a copy of db that records its statements, and the recorder.
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
