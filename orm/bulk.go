package orm

import (
	"context"

	"github.com/sqlmodel-go/sqlmodel/orm/session"
)

// BulkOption configures BulkInsert and BulkUpdate; see session.BulkOption.
type BulkOption = session.BulkOption

// MissingRowsError lists the objects BulkUpdate found no row for; it
// matches ErrStaleData.
type MissingRowsError = session.MissingRowsError

// Bulk defaults; see session.DefaultBulkBatchSize and session.DefaultCopyThreshold.
const (
	DefaultBulkBatchSize = session.DefaultBulkBatchSize
	DefaultCopyThreshold = session.DefaultCopyThreshold
)

// BulkInsert inserts objs with multi-row INSERTs, or COPY on PostgreSQL for
// large inputs, without tracking them; see session.BulkInsert.
func BulkInsert[T any](ctx context.Context, q Querier, objs []*T, opts ...BulkOption) (int64, error) {
	return session.BulkInsert(ctx, q, objs, opts...)
}

// BulkInsertWithBatchSize is BulkInsert with BulkBatchSize(batchSize).
func BulkInsertWithBatchSize[T any](ctx context.Context, q Querier, objs []*T, batchSize int, opts ...BulkOption) (int64, error) {
	return session.BulkInsertWithBatchSize(ctx, q, objs, batchSize, opts...)
}

// BulkUpdate writes objs to their rows by primary key in one transaction;
// see session.BulkUpdate.
func BulkUpdate[T any](ctx context.Context, q Querier, objs []*T, opts ...BulkOption) (int64, error) {
	return session.BulkUpdate(ctx, q, objs, opts...)
}

// BulkBatchSize sets the rows per INSERT statement (at least 1).
func BulkBatchSize(n int) BulkOption { return session.BulkBatchSize(n) }

// BulkCopy forces COPY on PostgreSQL (an error elsewhere).
func BulkCopy() BulkOption { return session.BulkCopy() }

// BulkNoCopy forces multi-row INSERTs.
func BulkNoCopy() BulkOption { return session.BulkNoCopy() }

// BulkCopyThreshold sets the row count from which COPY is used on PostgreSQL.
func BulkCopyThreshold(rows int) BulkOption { return session.BulkCopyThreshold(rows) }

// BulkReturnKeys writes generated keys back into the objects.
func BulkReturnKeys() BulkOption { return session.BulkReturnKeys() }

// BulkProgress reports rows written so far and the total.
func BulkProgress(fn func(done, total int)) BulkOption { return session.BulkProgress(fn) }

// OnConflictDoNothing keeps existing rows whose key is taken.
func OnConflictDoNothing(target ...string) BulkOption { return session.OnConflictDoNothing(target...) }

// OnConflictUpdate updates existing rows whose key is taken (upsert).
func OnConflictUpdate(columns ...string) BulkOption { return session.OnConflictUpdate(columns...) }

// OnConflictTarget names the unique key an upsert is about.
func OnConflictTarget(columns ...string) BulkOption { return session.OnConflictTarget(columns...) }

// BulkColumns limits BulkUpdate to some columns.
func BulkColumns(columns ...string) BulkOption { return session.BulkColumns(columns...) }

// BulkSkipMissing makes BulkUpdate skip objects whose row is gone.
func BulkSkipMissing(report func(key []any)) BulkOption { return session.BulkSkipMissing(report) }
