package orm

import (
	"context"
	"database/sql"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/session"
)

// NodePrimary is QueryEvent.Node for statements the primary served.
const NodePrimary = session.NodePrimary

// ReplicaStatus describes one replica's health; see DB.Replicas.
type ReplicaStatus = session.ReplicaStatus

// WithReplicas adds read replicas by DSN (same driver as the primary):
// reads outside transactions go to them round-robin, skipping replicas
// that fail their health check and falling back to the primary. See
// docs/scale-out.md and session.WithReplicas.
func WithReplicas(dsns ...string) Option { return session.WithReplicas(dsns...) }

// WithReplicaDBs adds read replicas as pools the caller opened and closes.
func WithReplicaDBs(dbs ...*sql.DB) Option { return session.WithReplicaDBs(dbs...) }

// WithReplicaBackoff sets how long a failed replica is skipped: base after
// the first failed check, doubling up to maxDelay (defaults 1 s, 30 s).
func WithReplicaBackoff(base, maxDelay time.Duration) Option {
	return session.WithReplicaBackoff(base, maxDelay)
}

// ReadFromPrimary returns a context whose reads run on the primary even
// where a replica could serve them.
func ReadFromPrimary(ctx context.Context) context.Context { return session.ReadFromPrimary(ctx) }

// ReadFromReplica returns a context in which Raw (else always on the
// primary) may run on a replica outside transactions; the SQL must only
// read.
func ReadFromReplica(ctx context.Context) context.Context { return session.ReadFromReplica(ctx) }
