package session

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// RawOption changes how Raw maps columns.
type RawOption func(*rawConfig)

type rawConfig struct{ ignoreUnknown bool }

// IgnoreUnknownColumns lets Raw skip result columns that are not columns of
// the model (by default they are an error).
func IgnoreUnknownColumns() RawOption { return func(c *rawConfig) { c.ignoreUnknown = true } }

// binding maps the result columns of a raw query to fields of a model; it is
// built once per (model, column list) and cached on the DB.
type binding struct {
	fields []*schema.Field // nil entries are ignored columns
	// missing are the model's columns the result does not have (a partial
	// row): they are left unloaded on the objects.
	missing []*schema.Field
}

func (db *DB) bindingFor(m *schema.Model, cols []string, ignore bool) (*binding, error) {
	key := sqlKey{model: m, kind: 'r', sig: strings.Join(cols, "\x00") + fmt.Sprint(ignore), n: 0}
	if v, ok := db.bindings.Load(key); ok {
		return v.(*binding), nil
	}
	b := &binding{fields: make([]*schema.Field, len(cols))}
	for i, c := range cols {
		f, ok := m.FieldByColumn(c)
		if !ok {
			f, ok = m.FieldByColumn(strings.ToLower(c))
		}
		if !ok && !ignore {
			return nil, fmt.Errorf("orm: Raw: result %w %q: not a column of %s (use IgnoreUnknownColumns to skip it)", query.ErrUnknownColumn, c, m.Name)
		}
		b.fields[i] = f
	}
	for _, f := range m.Fields {
		if !slices.Contains(b.fields, f) {
			b.missing = append(b.missing, f)
		}
	}
	db.bindings.Store(key, b)
	return b, nil
}

// Raw runs a SELECT written by hand ('?' placeholders, rebound for the
// dialect) and returns one new T per row. On a session the statement runs
// in its transaction when one is open (after the autoflush, as for every
// read).
//
// For a registered model, columns map to fields by column name and rows
// resolve through the identity map, as for Select.
//
// Any other struct is filled by column name and not tracked (a report, a
// count per group, a join's columns): a field's column is its
// `sqlmodel:"column=NAME"`, else its `db:"NAME"` tag (sqlx's), else the
// snake_case of its name, as for models; "-" in either tag skips it, and
// embedded structs are flattened. A result column with no field is an
// error (unless IgnoreUnknownColumns), a field with no column keeps its
// zero value. A struct with a `sqlmodel:"pk"` field that is not registered
// is ErrUnmapped: it is a model this DB does not know, and would not be
// tracked.
//
// Any other type (int64, string, float64, bool, []byte, time.Time, a
// pointer such as *string for a NULL, sql.NullString, sql.Null[T] or
// another sql.Scanner) takes a result of exactly one column: Raw[int64]
// returns one *int64 per row. RawValue returns a single row's value.
func Raw[T any](ctx context.Context, q Querier, sqlText string, args ...any) ([]*T, error) {
	return rawWithOptions[T](ctx, q, "Raw", nil, sqlText, args)
}

// RawWithOptions is Raw with options such as IgnoreUnknownColumns.
func RawWithOptions[T any](ctx context.Context, q Querier, opts []RawOption, sqlText string, args ...any) ([]*T, error) {
	return rawWithOptions[T](ctx, q, "RawWithOptions", opts, sqlText, args)
}

func rawWithOptions[T any](ctx context.Context, q Querier, op string, opts []RawOption, sqlText string, args []any) ([]*T, error) {
	var cfg rawConfig
	for _, o := range opts {
		o(&cfg)
	}
	if q != nil && !reflect.ValueOf(q).IsNil() {
		db, _ := q.queryTarget()
		t := reflect.TypeFor[T]()
		if _, ok := db.registry.Lookup(t); !ok && adhocType(t) {
			return rawAdhoc[T](ctx, q, op, cfg, sqlText, args)
		}
	}
	sel := Select[T](q)
	if sel.err != nil {
		return nil, sel.err
	}
	if err := sel.enter(op); err != nil {
		return nil, err
	}
	defer sel.exit()
	text, bound, err := rebind(sel.db, sqlText, args)
	if err != nil {
		return nil, err
	}
	c, inTx, err := sel.prepare(ctx)
	if err != nil {
		return nil, err
	}
	if !inTx && sel.db.rawOnReplica(ctx) {
		// Hand-written SQL may write or lock: only the caller can say
		// that a replica may serve it (ReadFromReplica).
		c = sel.db.readerFor(ctx, sel.s, c)
	}
	m := sel.sel.Model
	var b *binding
	var dest []any
	var scanners []*schema.ColumnScanner
	out := []*T{}
	_, err = sel.db.query(ctx, c, inTx, text, bound, func(rows *sql.Rows) error {
		if b == nil {
			cols, err := rows.Columns()
			if err != nil {
				return err
			}
			if b, err = sel.db.bindingFor(m, cols, cfg.ignoreUnknown); err != nil {
				return err
			}
			dest, scanners = scanTargets(b)
		}
		_, p := m.New()
		for _, sc := range scanners {
			if sc != nil {
				sc.Bind(p)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		var obj unsafe.Pointer
		if sel.s != nil && len(b.missing) > 0 {
			obj, err = sel.s.resolvePartial(ctx, m, p, b.missing)
		} else {
			obj, err = sel.resolve(ctx, m, p)
		}
		if err != nil {
			return err
		}
		out = append(out, (*T)(obj))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scanTargets makes the Scan destinations of a binding's columns: a
// ColumnScanner per model field (bound to each row's object before its
// Scan), and a discarded RawBytes for the columns no field takes.
func scanTargets(b *binding) (dest []any, scanners []*schema.ColumnScanner) {
	dest = make([]any, len(b.fields))
	scanners = make([]*schema.ColumnScanner, len(b.fields))
	for i, f := range b.fields {
		if f == nil {
			dest[i] = new(sql.RawBytes)
			continue
		}
		scanners[i] = f.Scanner()
		dest[i] = scanners[i]
	}
	return dest, scanners
}

// Exec runs a statement written by hand ('?' placeholders, rebound for the
// dialect) on a session (inside its transaction, opened if needed) or a DB.
// The session does not know what it changed: expire affected objects
// yourself.
func Exec(ctx context.Context, q Querier, sqlText string, args ...any) (sql.Result, error) {
	if q == nil || reflect.ValueOf(q).IsNil() {
		return nil, invalid("Exec on a nil Session or DB")
	}
	db, s := q.queryTarget()
	text, bound, err := rebind(db, sqlText, args)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return db.exec(ctx, db.x, false, text, bound...)
	}
	if err := s.enter("Exec"); err != nil {
		return nil, err
	}
	defer s.exit()
	if s.closed {
		return nil, ErrSessionClosed
	}
	if err := s.autoFlush(ctx); err != nil {
		return nil, err
	}
	s.wrote = true
	if s.tx == nil {
		if err := s.begin(context.WithoutCancel(ctx), s.cfg.TxOptions); err != nil {
			return nil, err
		}
	}
	c, inTx := s.conn()
	return db.exec(ctx, c, inTx, text, bound...)
}
