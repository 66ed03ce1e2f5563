package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// NodePrimary is QueryEvent.Node for statements served by the primary
// database (every statement of an engine without replicas).
const NodePrimary = "primary"

// Replica routing
//
// An engine opened with WithReplicas or WithReplicaDBs hands out its
// replicas round-robin (Reader), and the session sends them the reads that
// run outside a transaction: Get misses, queries
// (All, First, One, Iter, Count, Exists, Scalars), relationship loads and
// reloads of expired objects. Everything else runs on the primary: writes,
// row-locking reads (FOR UPDATE), every statement of a transaction, hand-
// written Raw and Exec statements (Raw may be sent to a replica with
// ReadFromReplica), DDL, and the reads of a session that has written when
// its Config.ReadYourWrites is on.
//
// A replica whose statement fails before returning a row is checked with a
// ping; when the ping fails too it is marked down and the statement moves
// to the next replica, and finally to the primary, so that the caller sees
// no error. A down replica is skipped for a back-off period that doubles
// with each failed check (WithReplicaBackoff); after it, the next read
// that would use it pings it first and only uses it when it answers.

// replica is one read-only pool. It implements Conn, so that statements
// run on it like on the primary pool.
type replica struct {
	*sql.DB
	label string
	owned bool // opened from a DSN by the engine: closed with it

	down    atomic.Bool
	mu      sync.Mutex
	fails   int
	retryAt time.Time
	probing bool
	lastErr error
	set     *replicaSet
}

// replicaSet is the replicas of an engine and their routing state.
type replicaSet struct {
	owner        *Engine
	nodes        []*replica
	next         atomic.Uint64
	base, max    time.Duration
	probeTimeout time.Duration
}

// replicaConfig collects the replica options until Open or OpenDB applies
// them.
type replicaConfig struct {
	dsns      []string
	dbs       []*sql.DB
	base, max time.Duration
	backoff   bool
}

func (e *Engine) replicaConfig() *replicaConfig {
	if e.repCfg == nil {
		e.repCfg = &replicaConfig{}
	}
	return e.repCfg
}

// WithReplicas adds read replicas by DSN, opened with the primary's driver
// and DSN adjustments. Reads outside transactions are spread over them
// round-robin; see the package documentation on replica routing. Close
// closes them. Their labels in QueryEvent.Node are "replica:0",
// "replica:1", ... in the order given (DSNs before WithReplicaDBs pools).
func WithReplicas(dsns ...string) Option {
	return func(e *Engine) {
		c := e.replicaConfig()
		c.dsns = append(c.dsns, dsns...)
	}
}

// WithReplicaDBs adds read replicas as pools the caller opened (and
// closes: Close leaves them open). See WithReplicas.
func WithReplicaDBs(dbs ...*sql.DB) Option {
	return func(e *Engine) {
		c := e.replicaConfig()
		c.dbs = append(c.dbs, dbs...)
	}
}

// WithReplicaBackoff sets how long a replica that failed its health check
// is skipped: base after the first failure, doubling with each further
// failed check up to maxDelay (defaults 1 s and 30 s).
func WithReplicaBackoff(base, maxDelay time.Duration) Option {
	return func(e *Engine) {
		c := e.replicaConfig()
		c.base, c.max, c.backoff = base, maxDelay, true
	}
}

// openReplicas applies the replica options (called once by Open and
// OpenDB after the other options).
func (e *Engine) openReplicas(drv *dialect.Driver) error {
	c := e.repCfg
	e.repCfg = nil
	if c == nil {
		return nil
	}
	set := &replicaSet{owner: e, base: time.Second, max: 30 * time.Second, probeTimeout: 2 * time.Second}
	if c.backoff {
		if c.base <= 0 || c.max < c.base {
			return invalid("WithReplicaBackoff(%v, %v): base must be positive and not above the maximum", c.base, c.max)
		}
		set.base, set.max = c.base, c.max
	}
	fail := func(err error) error {
		_ = set.close(e)
		return err
	}
	for i, dsn := range c.dsns {
		if dsn == "" {
			return fail(invalid("WithReplicas: DSN %d is empty", i))
		}
		adj, memory, err := drv.Adjust(dsn)
		if err != nil {
			return fail(fmt.Errorf("%w: WithReplicas: DSN %d: %w", dialect.ErrInvalidArgument, i, redactErr(err, dsnSecrets(dsn))))
		}
		if memory != memNone {
			return fail(invalid("WithReplicas: DSN %d is an in-memory SQLite database, which no other pool can see", i))
		}
		p, err := openPool(drv.OpenName(), adj)
		if err != nil {
			return fail(fmt.Errorf("orm: WithReplicas: open DSN %d: %w", i, err))
		}
		set.nodes = append(set.nodes, &replica{DB: p, owned: true})
	}
	for i, p := range c.dbs {
		if p == nil {
			return fail(invalid("WithReplicaDBs: pool %d is nil", i))
		}
		if p == e.x.DB {
			return fail(invalid("WithReplicaDBs: pool %d is the primary's own pool", i))
		}
		set.nodes = append(set.nodes, &replica{DB: p})
	}
	if len(set.nodes) == 0 {
		return nil
	}
	for i, r := range set.nodes {
		r.label = "replica:" + strconv.Itoa(i)
		r.set = set
	}
	e.replicas = set
	return nil
}

// close closes the replica pools opened from DSNs when owner is the
// engine that opened them (copies made by WithQueryHook share, never close them).
func (s *replicaSet) close(owner *Engine) error {
	if s == nil || s.owner != owner {
		return nil
	}
	var errs []error
	for _, r := range s.nodes {
		if r.owned {
			errs = append(errs, r.Close())
		}
	}
	return errors.Join(errs...)
}

// ReplicaStatus describes one replica's health as the router sees it.
type ReplicaStatus struct {
	// Node is the replica's label in QueryEvent.Node ("replica:0", ...).
	Node string
	// Up reports that reads are sent to it.
	Up bool
	// Failures counts its consecutive failed health checks.
	Failures int
	// RetryAt is when a down replica is checked again.
	RetryAt time.Time
	// LastError is the error of its last failed health check.
	LastError error
}

// Replicas reports the replicas' health, in label order; nil without
// replicas.
func (e *Engine) Replicas() []ReplicaStatus {
	if e.replicas == nil {
		return nil
	}
	out := make([]ReplicaStatus, len(e.replicas.nodes))
	for i, r := range e.replicas.nodes {
		r.mu.Lock()
		out[i] = ReplicaStatus{Node: r.label, Up: !r.down.Load(), Failures: r.fails, RetryAt: r.retryAt, LastError: r.lastErr}
		r.mu.Unlock()
	}
	return out
}

type route uint8

const (
	routeDefault route = iota
	routePrimary
	routeReplica
)

type routeKey struct{}

// ReadFromPrimary returns a context whose reads run on the primary even
// where a replica could serve them (for a read that must see the latest
// committed data of other sessions).
func ReadFromPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, routeKey{}, routePrimary)
}

// ReadFromReplica returns a context in which Raw, which otherwise always
// runs on the primary, may run on a replica when outside a transaction.
// The SQL must only read. Exec always runs on the primary.
func ReadFromReplica(ctx context.Context) context.Context {
	return context.WithValue(ctx, routeKey{}, routeReplica)
}

// ReplicaAllowed reports whether ctx was made by ReadFromReplica: a read
// that would otherwise run on the primary (hand-written SQL) may run on a
// replica.
func ReplicaAllowed(ctx context.Context) bool { return routeOf(ctx) == routeReplica }

func routeOf(ctx context.Context) route {
	r, _ := ctx.Value(routeKey{}).(route)
	return r
}

// nodeOf names the node c runs on, for QueryEvent.Node.
func nodeOf(c Conn) string {
	if r, ok := c.(*replica); ok {
		return r.label
	}
	return NodePrimary
}

// Reader returns where a read outside a transaction runs: a healthy
// replica, or primary (the connection the caller would use otherwise) when
// there is none or when ctx asks for the primary (ReadFromPrimary). A
// replica is a Conn for Exec and QueryEach, which moves a read it fails to
// another replica or the primary.
func (e *Engine) Reader(ctx context.Context, primary Conn) Conn {
	if e.replicas == nil || routeOf(ctx) == routePrimary {
		return primary
	}
	if r := e.replicas.pick(ctx); r != nil {
		return r
	}
	return primary
}

// HasReplicas reports whether the engine was opened with read replicas.
func (e *Engine) HasReplicas() bool { return e.replicas != nil }

// pick returns the next healthy replica round-robin, or nil.
func (s *replicaSet) pick(ctx context.Context) *replica {
	n := uint64(len(s.nodes))
	start := s.next.Add(1) - 1
	for i := range n {
		r := s.nodes[(start+i)%n]
		if !r.down.Load() || r.admit(ctx) {
			return r
		}
	}
	return nil
}

// admit decides whether a down replica may serve again: once its back-off
// has passed, one caller pings it (others skip it meanwhile) and brings it
// back up when it answers.
func (r *replica) admit(ctx context.Context) bool {
	r.mu.Lock()
	if !r.down.Load() {
		r.mu.Unlock()
		return true
	}
	if r.probing || time.Now().Before(r.retryAt) {
		r.mu.Unlock()
		return false
	}
	r.probing = true
	r.mu.Unlock()
	err := r.ping(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.probing = false
	if err != nil {
		r.failedLocked(err)
		return false
	}
	r.fails, r.lastErr = 0, nil
	r.down.Store(false)
	return true
}

func (r *replica) ping(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.set.probeTimeout)
	defer cancel()
	return r.PingContext(pctx)
}

// failedLocked marks r down after a failed health check (r.mu held).
func (r *replica) failedLocked(err error) {
	r.fails++
	d := r.set.base
	for i := 1; i < r.fails && d < r.set.max; i++ {
		d *= 2
	}
	r.retryAt = time.Now().Add(min(d, r.set.max))
	r.lastErr = err
	r.down.Store(true)
}

// verdict is what to do after a replica failed a statement.
type verdict uint8

const (
	keepError  verdict = iota // a genuine error of the statement: return it
	tryNext                   // the replica is down: use the next node
	tryPrimary                // the replica is up but could not serve it
)

// judge checks a replica after its statement failed with err.
func (r *replica) judge(ctx context.Context, err error) verdict {
	if perr := r.ping(ctx); perr != nil {
		r.mu.Lock()
		if !r.down.Load() {
			r.failedLocked(perr)
		}
		r.mu.Unlock()
		return tryNext
	}
	// A standby cancels queries that conflict with replay (SQLSTATE
	// 40001), and a connection of its pool may have broken while the
	// server is fine: the primary serves these.
	if dialect.IsRetryable(err) || connError(err) {
		return tryPrimary
	}
	return keepError
}

// connError reports an error of the connection rather than of the
// statement.
func connError(err error) bool {
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || dialect.IsConnectionLost(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne)
}

// queryReplica runs a read on replica r. When it fails before the first
// row (so that each has not run) and r's health check fails, r is marked
// down and the read runs on the next healthy replica, and at last on the
// primary. The hooks see every attempt with its node.
func (e *Engine) queryReplica(ctx context.Context, r *replica, query string, args []any, each func(*sql.Rows) error) (int64, error) {
	for range len(e.replicas.nodes) + 1 {
		n, err := e.queryOn(ctx, r, false, query, args, each)
		if err == nil || n > 0 || ctx.Err() != nil ||
			errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return n, err
		}
		switch r.judge(ctx, err) {
		case keepError:
			return n, err
		case tryPrimary:
			return e.queryOn(ctx, e.x, false, query, args, each)
		}
		if r = e.replicas.pick(ctx); r == nil {
			break
		}
	}
	return e.queryOn(ctx, e.x, false, query, args, each)
}
