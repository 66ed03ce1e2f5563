package engine

import (
	"context"
	"database/sql"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// CreateAll creates the tables of the given models (struct values or
// pointers), of every model they reference by foreign key, and the link
// tables of their many-to-many relations, with their indexes, in foreign-key
// order, skipping what already exists: running it twice is harmless. Where
// foreign keys form a cycle through nullable columns, the cycle-closing
// constraints are added once every table exists; a cycle of NOT NULL foreign
// keys is an error matching schema.ErrCircularDependency, reported before any
// SQL runs. On PostgreSQL and SQLite everything happens in one transaction.
func (e *Engine) CreateAll(ctx context.Context, models ...any) error {
	ordered, deferred, err := e.plan(models)
	if err != nil {
		return err
	}
	d := e.dialect
	alter := d.Features().Has(dialect.AlterForeignKeys)
	omit := map[*schema.ForeignKey]bool{}
	if alter {
		for _, fk := range deferred {
			omit[fk] = true
		}
	}
	var stmts []string
	for _, m := range ordered {
		s, err := d.CreateTable(m, func(fk *schema.ForeignKey) bool { return omit[fk] })
		if err != nil {
			return err
		}
		stmts = append(stmts, s...)
	}
	return e.ddl(ctx, func(c Conn, inTx bool) error {
		for _, s := range stmts {
			if _, err := e.Exec(ctx, c, inTx, s); err != nil {
				return errwrap.Wrapf(err, "CreateAll")
			}
		}
		if !alter {
			return nil
		}
		for _, fk := range deferred {
			owner := ownerOf(ordered, fk)
			exists, err := e.exists(ctx, c, inTx, owner, fk)
			if err != nil {
				return errwrap.Wrapf(err, "CreateAll")
			}
			if !exists {
				if _, err := e.Exec(ctx, c, inTx, d.AddForeignKey(owner, fk)); err != nil {
					return errwrap.Wrapf(err, "CreateAll")
				}
			}
		}
		return nil
	})
}

// DropAll drops the tables of the given models and the link tables of their
// many-to-many relations, if they exist, dependants first. Tables of other
// models that still reference them make it fail with the database's error.
func (e *Engine) DropAll(ctx context.Context, models ...any) error {
	ms, err := e.registry.Register(models...)
	if err != nil {
		return err
	}
	var set []*schema.Model
	seen := map[*schema.Model]bool{}
	add := func(m *schema.Model) {
		if !seen[m] {
			seen[m] = true
			set = append(set, m)
		}
	}
	for _, m := range ms {
		add(m)
		for _, r := range m.Relations {
			if r.Kind == schema.ManyToMany && !r.Link.Declared {
				add(r.Link.Model)
			}
		}
	}
	ordered, deferred, err := schema.DependencyOrder(set)
	if err != nil {
		return err
	}
	d := e.dialect
	return e.ddl(ctx, func(c Conn, inTx bool) error {
		if !d.Features().Has(dialect.AlterForeignKeys) && d.DeferForeignKeys() != "" && inTx && len(deferred) > 0 {
			// SQLite cannot drop the keys that close a cycle, and the
			// implicit DELETE of DROP TABLE would violate them when the
			// tables hold rows: check them at COMMIT instead, when every
			// table of the cycle is gone (the pragma ends with the
			// transaction).
			if _, err := e.Exec(ctx, c, inTx, d.DeferForeignKeys()); err != nil {
				return errwrap.Wrapf(err, "DropAll")
			}
		}
		if d.Features().Has(dialect.AlterForeignKeys) {
			for _, fk := range deferred {
				owner := ownerOf(ordered, fk)
				exists, err := e.exists(ctx, c, inTx, owner, fk)
				if err != nil {
					return errwrap.Wrapf(err, "DropAll")
				}
				if exists {
					if _, err := e.Exec(ctx, c, inTx, d.DropForeignKey(owner, fk)); err != nil {
						return errwrap.Wrapf(err, "DropAll")
					}
				}
			}
		}
		for i := len(ordered) - 1; i >= 0; i-- {
			if _, err := e.Exec(ctx, c, inTx, d.DropTable(ordered[i])); err != nil {
				return errwrap.Wrapf(err, "DropAll")
			}
		}
		return nil
	})
}

// plan registers models and orders their closure for CreateAll.
func (e *Engine) plan(models []any) ([]*schema.Model, []*schema.ForeignKey, error) {
	ms, err := e.registry.Register(models...)
	if err != nil {
		return nil, nil, err
	}
	return schema.DependencyOrder(schema.Closure(ms))
}

func ownerOf(models []*schema.Model, fk *schema.ForeignKey) *schema.Model {
	for _, m := range models {
		for _, x := range m.ForeignKeys {
			if x == fk {
				return m
			}
		}
	}
	return nil
}

func (e *Engine) exists(ctx context.Context, c Conn, inTx bool, m *schema.Model, fk *schema.ForeignKey) (bool, error) {
	q, args := e.dialect.ForeignKeyExists(m, fk)
	n, err := e.QueryEach(ctx, c, inTx, q, args, func(*sql.Rows) error { return nil })
	return n > 0, err
}

// ddl runs fn in a transaction where DDL is transactional, else on the pool.
func (e *Engine) ddl(ctx context.Context, fn func(c Conn, inTx bool) error) error {
	if !e.dialect.Features().Has(dialect.TransactionalDDL) {
		return fn(e.x, false)
	}
	tx, err := e.x.BeginTx(ctx, nil)
	if err != nil {
		return errwrap.Wrapf(e.dialect.ClassifyError(err), "begin")
	}
	if err := fn(tx, true); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
