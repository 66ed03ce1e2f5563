package session

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/errwrap"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// Raw into types that are not models: a struct is filled by column name, a
// scalar from a one-column result. Nothing is tracked.

// adhocField is one settable field of an ad-hoc struct.
type adhocField struct {
	index []int
	typ   reflect.Type
}

// adhocColumns maps column names to the fields of an ad-hoc struct type;
// built once per type and never changed (a cache of reflection results).
var adhocColumns sync.Map // reflect.Type -> map[string]adhocField

// columnsOf returns the column names of the exported fields of struct type
// t: `sqlmodel:"column=NAME"`, else `db:"NAME"` (sqlx's tag), else the
// snake_case of the field name, as for models. Fields tagged "-" in either
// tag are skipped; embedded structs (not pointers to them) are flattened,
// their fields coming after the outer ones, which win a name clash.
func columnsOf(t reflect.Type) map[string]adhocField {
	if v, ok := adhocColumns.Load(t); ok {
		return v.(map[string]adhocField)
	}
	cols := map[string]adhocField{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		var embedded []reflect.StructField
		for i := range t.NumField() {
			f := t.Field(i)
			name, skip := adhocName(f)
			switch {
			case skip:
			case f.Anonymous && f.Type.Kind() == reflect.Struct && name == "" && !isScalarType(f.Type):
				embedded = append(embedded, f)
			case !f.IsExported():
			default:
				if name == "" {
					name = schema.SnakeCase(f.Name)
				}
				if _, dup := cols[name]; !dup {
					cols[name] = adhocField{index: append(append([]int(nil), prefix...), i), typ: f.Type}
				}
			}
		}
		for _, f := range embedded {
			walk(f.Type, append(append([]int(nil), prefix...), f.Index...))
		}
	}
	walk(t, nil)
	v, _ := adhocColumns.LoadOrStore(t, cols)
	return v.(map[string]adhocField)
}

// adhocName reads a field's column name from its tags ("" when none is
// given) and whether the field is skipped.
func adhocName(f reflect.StructField) (name string, skip bool) {
	if tag, ok := f.Tag.Lookup("sqlmodel"); ok {
		if tag == "-" {
			return "", true
		}
		for opt := range strings.SplitSeq(tag, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(opt), "column="); ok {
				return v, false
			}
		}
	}
	if tag, ok := f.Tag.Lookup("db"); ok {
		name, _, _ = strings.Cut(tag, ",")
		return name, name == "-"
	}
	return "", false
}

var (
	scannerType = reflect.TypeFor[sql.Scanner]()
	timeType    = reflect.TypeFor[time.Time]()
)

// isScalarType reports whether t is scanned as one value rather than by
// column name: every non-struct type, time.Time, and types whose pointer
// is an sql.Scanner (sql.NullString, sql.Null[T], ...).
func isScalarType(t reflect.Type) bool {
	return t.Kind() != reflect.Struct || t == timeType || reflect.PointerTo(t).Implements(scannerType)
}

// adhocType reports whether Raw scans T without a model: a scalar (but not
// a pointer to a struct, which is a mistaken Raw[*Model]) or a struct that
// does not look like a model.
func adhocType(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer && !isScalarType(t.Elem()) {
		return false
	}
	return isScalarType(t) || !looksLikeModel(t)
}

// looksLikeModel reports whether struct type t has a primary key tag: a
// model its DB does not know, which Raw refuses (ErrUnmapped) rather than
// fill untracked.
func looksLikeModel(t reflect.Type) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && looksLikeModel(f.Type) {
			return true
		}
		for opt := range strings.SplitSeq(f.Tag.Get("sqlmodel"), ",") {
			if strings.TrimSpace(opt) == "pk" {
				return true
			}
		}
	}
	return false
}

// adhocPlan says where each column of a result goes in a T: for a scalar
// the value itself, for a struct the field of each column (nil for a
// column skipped by IgnoreUnknownColumns). It is made once per Raw call,
// from the result's column list.
type adhocPlan struct {
	scalar bool
	fields []*adhocField // per result column
}

func planAdhoc(t reflect.Type, cols []string, ignore bool) (*adhocPlan, error) {
	if isScalarType(t) {
		if len(cols) != 1 {
			return nil, invalid("Raw[%s]: the result has %d columns (%s); a %s takes exactly one", t, len(cols), strings.Join(cols, ", "), t)
		}
		return &adhocPlan{scalar: true}, nil
	}
	byName := columnsOf(t)
	p := &adhocPlan{fields: make([]*adhocField, len(cols))}
	seen := make(map[string]bool, len(cols))
	for i, c := range cols {
		f, ok := byName[c]
		if !ok {
			f, ok = byName[strings.ToLower(c)]
		}
		if !ok {
			if ignore {
				continue
			}
			return nil, fmt.Errorf("%w %q: Raw[%s] has no field for it (fields map by `sqlmodel:\"column=…\"`, `db:\"…\"` or the snake_case field name; use IgnoreUnknownColumns to skip it)", query.ErrUnknownColumn, c, t)
		}
		if seen[c] {
			return nil, invalid("Raw[%s]: the result has column %q twice", t, c)
		}
		seen[c] = true
		p.fields[i] = &f
	}
	return p, nil
}

// dest fills ds with the destinations for the row value at v.
func (p *adhocPlan) dest(v reflect.Value, ds []any) {
	if p.scalar {
		ds[0] = scanDest(v)
		return
	}
	for i, f := range p.fields {
		if f == nil {
			ds[i] = new(sql.RawBytes)
			continue
		}
		ds[i] = scanDest(v.FieldByIndex(f.index))
	}
}

// scanDest is the Scan destination for v: its address, or for a time.Time
// (or *time.Time) a scanner that also reads the text forms in which SQLite
// returns computed times (max(created_at)), which database/sql cannot
// convert.
func scanDest(v reflect.Value) any {
	switch v.Type() {
	case timeType, reflect.PointerTo(timeType):
		return timeScanner{v}
	}
	return v.Addr().Interface()
}

// timeScanner scans into a time.Time or *time.Time value.
type timeScanner struct{ v reflect.Value }

// adhocTimeLayouts are the text forms of times SQLite and MySQL return.
var adhocTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

func (s timeScanner) Scan(src any) error {
	var t time.Time
	switch x := src.(type) {
	case nil:
		if s.v.Kind() != reflect.Pointer {
			return fmt.Errorf("cannot store NULL in %s (use *time.Time or sql.NullTime)", s.v.Type())
		}
		s.v.SetZero()
		return nil
	case time.Time:
		t = x
	case string, []byte:
		text, _ := x.(string)
		if b, ok := x.([]byte); ok {
			text = string(b)
		}
		var err error
		for _, l := range adhocTimeLayouts {
			if t, err = time.Parse(l, text); err == nil {
				break
			}
		}
		if err != nil {
			return fmt.Errorf("cannot parse %q as a time", text)
		}
	default:
		return fmt.Errorf("cannot store %T in %s", src, s.v.Type())
	}
	if s.v.Kind() == reflect.Pointer {
		s.v.Set(reflect.ValueOf(&t))
	} else {
		s.v.Set(reflect.ValueOf(t))
	}
	return nil
}

// rawAdhoc is Raw for a type T that is not a model: each row fills a new
// T (see Raw), untracked. On a session the statement autoflushes first and
// runs in the session's transaction when one is open.
func rawAdhoc[T any](ctx context.Context, q Querier, op string, cfg rawConfig, sqlText string, args []any) ([]*T, error) {
	db, s := q.queryTarget()
	if err := s.enter(op); err != nil {
		return nil, err
	}
	defer s.exit()
	text, bound, err := rebind(db, sqlText, args)
	if err != nil {
		return nil, err
	}
	c, inTx, err := rawConn(ctx, db, s)
	if err != nil {
		return nil, err
	}
	t := reflect.TypeFor[T]()
	var plan *adhocPlan
	var dest []any
	out := []*T{}
	_, err = db.query(ctx, c, inTx, text, bound, func(rows *sql.Rows) error {
		if plan == nil {
			cols, err := rows.Columns()
			if err != nil {
				return err
			}
			if plan, err = planAdhoc(t, cols, cfg.ignoreUnknown); err != nil {
				return err
			}
			dest = make([]any, len(cols))
		}
		obj := new(T)
		plan.dest(reflect.ValueOf(obj).Elem(), dest)
		if err := rows.Scan(dest...); err != nil {
			return errwrap.Wrapf(err, "%s[%s]", op, t)
		}
		out = append(out, obj)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// rawConn is where hand-written SQL runs: the pool of a DB, or a session's
// connection after its autoflush (its transaction when one is open), or a
// replica when ctx allows it (ReadFromReplica) outside a transaction.
func rawConn(ctx context.Context, db *DB, s *Session) (conn, bool, error) {
	var c conn = db.x
	inTx := false
	if s != nil {
		if s.closed {
			return nil, false, ErrSessionClosed
		}
		if err := s.autoFlush(ctx); err != nil {
			return nil, false, err
		}
		c, inTx = s.conn()
	}
	if !inTx && db.rawOnReplica(ctx) {
		c = db.readerFor(ctx, s, c)
	}
	return c, inTx, nil
}

// RawValue runs a hand-written SELECT that must return exactly one row and
// returns it as a T: a scalar from a one-column result (a count, a sum, a
// time; a pointer or sql.Null* type for a NULL) or a struct that is not a
// model, filled by column name as Raw does. No row is ErrNotFound, more
// than one ErrMultipleRows. A model type is refused (ErrInvalidArgument):
// use Raw or Select, which go through the identity map.
func RawValue[T any](ctx context.Context, q Querier, sqlText string, args ...any) (T, error) {
	var zero T
	if q == nil || reflect.ValueOf(q).IsNil() {
		return zero, invalid("RawValue on a nil Session or DB")
	}
	db, _ := q.queryTarget()
	t := reflect.TypeFor[T]()
	if m, ok := db.registry.Lookup(t); ok && m.Type == t {
		return zero, invalid("RawValue[%s]: %s is a model; use Raw or Select, which track it", t, t)
	}
	if !adhocType(t) {
		return zero, fmt.Errorf("%w: RawValue[%s]: not a scalar, and not a struct without a primary key (a model must be registered, and is read with Raw or Select)", ErrUnmapped, t)
	}
	rows, err := rawAdhoc[T](ctx, q, "RawValue", rawConfig{}, sqlText, args)
	switch {
	case err != nil:
		return zero, err
	case len(rows) == 0:
		return zero, fmt.Errorf("%w: RawValue[%s]: the query returned no row", ErrNotFound, t)
	case len(rows) > 1:
		return zero, fmt.Errorf("%w: RawValue[%s]: the query returned %d rows", ErrMultipleRows, t, len(rows))
	}
	return *rows[0], nil
}
