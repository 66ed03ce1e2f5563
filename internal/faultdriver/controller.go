package faultdriver

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Action is what an armed Fault does when it fires.
type Action int

const (
	// Fail returns Fault.Err (ErrInjected when nil) instead of running the
	// statement. A failing COMMIT rolls the inner transaction back first,
	// as a database that refuses a COMMIT does.
	Fail Action = iota + 1
	// BadConn closes the inner connection and returns driver.ErrBadConn
	// (or Fault.Err when set: a driver's own form of a broken connection,
	// such as mysql.ErrInvalidConn or PostgreSQL's FATAL 57P01); every
	// later use of the connection returns driver.ErrBadConn, and
	// database/sql discards it.
	BadConn
	// Block waits until the statement's context is done and returns its
	// error, without running the statement. The Controller's Blocked
	// channel receives a value when the wait begins. Not for COMMIT, which
	// has no context.
	Block
)

// String returns the action's name.
func (a Action) String() string {
	switch a {
	case Fail:
		return "fail"
	case BadConn:
		return "badconn"
	case Block:
		return "block"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// ErrInjected is the error of a Fail fault without an error of its own.
var ErrInjected = errors.New("faultdriver: injected fault")

// MaxBlock bounds how long a Block fault waits for its context, so that a
// test that forgets to cancel fails instead of hanging.
const MaxBlock = time.Minute

// Fault describes one injected fault. It fires once, then the Controller is
// disarmed.
type Fault struct {
	Action Action
	// At is the 1-based index, counted from Arm, of the statement (Exec or
	// Query) that fires the fault. Ignored when Commit is set.
	At int
	// Commit fires the fault at the next COMMIT instead of a statement.
	Commit bool
	// Begin fires the fault at the next BEGIN instead of a statement.
	// database/sql begins again on another connection after
	// driver.ErrBadConn, so only a Fail fault or a BadConn fault with an
	// Err of its own reaches the caller.
	Begin bool
	// Err is the error of a Fail fault (ErrInjected when nil), or the
	// error a BadConn fault returns instead of driver.ErrBadConn.
	Err error
	// After runs the statement (or COMMIT) in the inner driver first and
	// then reports the fault, as a connection lost before the reply would.
	// Only for Fail and BadConn.
	After bool
}

func (f Fault) String() string {
	where := fmt.Sprintf("statement %d", f.At)
	if f.Commit {
		where = "commit"
	} else if f.Begin {
		where = "begin"
	}
	if f.After {
		where += " (after running it)"
	}
	return f.Action.String() + " at " + where
}

// Counts are the driver calls a Controller saw since its last Reset.
type Counts struct {
	Exec, Query, Begin, Commit, Rollback int
	// Connects counts the connections opened.
	Connects int
}

// Statements returns Exec + Query.
func (c Counts) Statements() int { return c.Exec + c.Query }

// Event is one call the Controller saw: Op is "exec", "query", "begin",
// "commit" or "rollback"; Query is the statement's text.
type Event struct {
	Op    string
	Query string
}

// Controller counts the calls of the pools opened through it and injects
// the armed fault. It is safe for concurrent use.
type Controller struct {
	id      string
	mu      sync.Mutex
	counts  Counts
	log     []Event
	n       int // statements since Arm
	fault   *Fault
	fired   []Fault
	blocked chan struct{}
	live    int // connections open in the inner driver
}

var (
	registerOnce sync.Once
	ctlMu        sync.Mutex
	controllers  = map[string]*Controller{}
)

// New returns a Controller with no fault armed.
func New() *Controller {
	var b [8]byte
	_, _ = rand.Read(b[:])
	c := &Controller{id: hex.EncodeToString(b[:]), blocked: make(chan struct{}, 1)}
	ctlMu.Lock()
	controllers[c.id] = c
	ctlMu.Unlock()
	return c
}

// Close forgets the Controller; pools opened through it can no longer open
// connections.
func (c *Controller) Close() {
	ctlMu.Lock()
	delete(controllers, c.id)
	ctlMu.Unlock()
}

const dsnPrefix = "faultdriver:"

// DSN returns the DSN of the wrapped driver for the inner DSN dsn.
func (c *Controller) DSN(dsn string) string { return dsnPrefix + c.id + ";" + dsn }

// Open opens a pool of the inner driver driverName ("pgx", "postgres",
// "mysql", "sqlite" or, with cgo, "sqlite3") through the wrapper, steered
// by c. The caller closes the pool.
func (c *Controller) Open(driverName, dsn string) (*sql.DB, error) {
	register()
	if _, ok := innerDrivers()[driverName]; !ok {
		return nil, fmt.Errorf("faultdriver: unknown driver %q", driverName)
	}
	return sql.Open(DriverName(driverName), c.DSN(dsn))
}

// DriverName returns the name the wrapper of driverName is registered
// under.
func DriverName(driverName string) string { return "fault+" + driverName }

func lookup(dsn string) (*Controller, string, error) {
	rest, ok := strings.CutPrefix(dsn, dsnPrefix)
	if !ok {
		return nil, "", errors.New("faultdriver: DSN does not come from Controller.DSN")
	}
	id, inner, ok := strings.Cut(rest, ";")
	if !ok {
		return nil, "", errors.New("faultdriver: malformed DSN")
	}
	ctlMu.Lock()
	c := controllers[id]
	ctlMu.Unlock()
	if c == nil {
		return nil, "", errors.New("faultdriver: the DSN's Controller is closed")
	}
	return c, inner, nil
}

// Arm resets the statement index and arms f, replacing any armed fault.
func (c *Controller) Arm(f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = 0
	c.fault = &f
	select { // drop a stale Blocked signal
	case <-c.blocked:
	default:
	}
}

// Disarm removes the armed fault, if any.
func (c *Controller) Disarm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fault = nil
}

// Armed reports whether a fault is armed and has not fired yet.
func (c *Controller) Armed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fault != nil
}

// Fired returns the faults that fired since the last Reset.
func (c *Controller) Fired() []Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Fault(nil), c.fired...)
}

// Reset zeroes the counts, the event log and the statement index, and
// forgets the faults that fired. The armed fault stays armed.
func (c *Controller) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts, c.log, c.n, c.fired = Counts{}, nil, 0, nil
}

// Counts returns the calls seen since the last Reset.
func (c *Controller) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts
}

// Events returns the calls seen since the last Reset, in order.
func (c *Controller) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.log...)
}

// Blocked receives a value each time a Block fault starts waiting.
func (c *Controller) Blocked() <-chan struct{} { return c.blocked }

// statement counts a statement and returns the fault it fires, if any.
func (c *Controller) statement(op, query string) *Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	if op == "exec" {
		c.counts.Exec++
	} else {
		c.counts.Query++
	}
	c.log = append(c.log, Event{Op: op, Query: query})
	c.n++
	if f := c.fault; f != nil && !f.Commit && !f.Begin && f.At == c.n {
		c.fault = nil
		c.fired = append(c.fired, *f)
		return f
	}
	return nil
}

// control counts a transaction-control call and returns the fault a COMMIT
// or BEGIN fires, if any.
func (c *Controller) control(op string) *Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch op {
	case "begin":
		c.counts.Begin++
	case "commit":
		c.counts.Commit++
	case "rollback":
		c.counts.Rollback++
	}
	c.log = append(c.log, Event{Op: op})
	if f := c.fault; f != nil && (op == "commit" && f.Commit || op == "begin" && f.Begin) {
		c.fault = nil
		c.fired = append(c.fired, *f)
		return f
	}
	return nil
}

func (c *Controller) connected() {
	c.mu.Lock()
	c.counts.Connects++
	c.live++
	c.mu.Unlock()
}

func (c *Controller) closed() {
	c.mu.Lock()
	c.live--
	c.mu.Unlock()
}

// Live returns how many inner connections are open: opened and neither
// closed by database/sql nor killed by a BadConn fault. A pool holding no
// dead connection has Stats().OpenConnections == Live().
func (c *Controller) Live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

// block waits for ctx as a Block fault does.
func (c *Controller) block(ctx context.Context) error {
	select {
	case c.blocked <- struct{}{}:
	default:
	}
	t := time.NewTimer(MaxBlock)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("faultdriver: blocked statement: context not cancelled within %v", MaxBlock)
	}
}
