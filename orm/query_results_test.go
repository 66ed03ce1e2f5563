package orm_test

import (
	ormsqlite3 "github.com/sqlmodel-go/sqlmodel/orm/driver/sqlite3"

	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Query results that must never be silently wrong (issue 23): empty lists
// in IN and NOT IN, slices of any element type, comparisons with NULL,
// Limit/Offset under Exists, Count, First and One, set-based writes
// without a condition, LIKE with literal wildcards and Unicode ILIKE,
// ORDER BY "name DESC", and what CreateAll creates. Each result is checked
// against the same filter written by hand in SQL on the same database.
// Every name of this file starts with "qr", every table with "qr_".

type qrItem struct {
	ID    int64  `sqlmodel:"pk"`
	Name  string `sqlmodel:"size=100"`
	Small int16
	Age   *int
	Note  *string `sqlmodel:"size=100"`
	Data  []byte
}

func (qrItem) TableName() string { return "qr_item" }

// qrSetup creates qr_item with eight rows:
//
//	id name           small age  note   data
//	1  Alpha          1     10   ALPHA  01
//	2  École          2     --   --     0102
//	3  50% off        3     30   x      --
//	4  a_b            1     --   --     02
//	5  a\b            5     50   Y      0102
//	6  ÉCOLE normale  6     60   --     --
//	7  500 off        2     --   --     03
//	8  axb            7     80   z      --
func qrSetup(t *testing.T, db *orm.DB) context.Context {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateAll(ctx, &qrItem{}); err != nil {
		t.Fatalf("CreateAll: %v", err)
	}
	age := func(n int) *int { return &n }
	note := func(s string) *string { return &s }
	rows := []qrItem{
		{1, "Alpha", 1, age(10), note("ALPHA"), []byte{1}},
		{2, "École", 2, nil, nil, []byte{1, 2}},
		{3, "50% off", 3, age(30), note("x"), nil},
		{4, "a_b", 1, nil, nil, []byte{2}},
		{5, `a\b`, 5, age(50), note("Y"), []byte{1, 2}},
		{6, "ÉCOLE normale", 6, age(60), nil, nil},
		{7, "500 off", 2, nil, nil, []byte{3}},
		{8, "axb", 7, age(80), note("z"), nil},
	}
	for _, r := range rows {
		var data any
		if r.Data != nil {
			data = r.Data
		}
		if _, err := orm.Exec(ctx, db, `INSERT INTO qr_item (id, name, small, age, note, data) VALUES (?, ?, ?, ?, ?, ?)`,
			r.ID, r.Name, r.Small, r.Age, r.Note, data); err != nil {
			t.Fatalf("seed %d: %v", r.ID, err)
		}
	}
	return ctx
}

// qrHand runs a SELECT of ids written by hand (neutral form, see qySQL)
// straight on the pool, without the ORM, and returns the ids in order.
func qrHand(t *testing.T, ctx context.Context, db *orm.DB, neutral string, args ...any) []int64 {
	t.Helper()
	rows, err := db.SQL().QueryContext(ctx, qySQL(db, neutral), args...)
	if err != nil {
		t.Fatalf("hand-written %q: %v", neutral, err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// qrCount counts the rows of qr_item by hand.
func qrCount(t *testing.T, ctx context.Context, db *orm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM qr_item").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type qrCase struct {
	name string
	q    func(q *orm.Query[qrItem]) *orm.Query[qrItem]
	hand string // the same filter by hand: SELECT id ... ORDER BY id
	args []any
	want []int64
}

// qrCheck runs each case through All (on the DB and on a session) and
// Count, and compares the ids with the hand-written statement's and with
// the expected ones.
func qrCheck(t *testing.T, ctx context.Context, db *orm.DB, cases []qrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hand := qrHand(t, ctx, db, tc.hand, tc.args...)
			if !slices.Equal(hand, tc.want) {
				t.Fatalf("hand-written SQL returns %v, want %v (the oracle itself disagrees)", hand, tc.want)
			}
			got, err := tc.q(orm.Select[qrItem](db)).OrderBy("id").All(ctx)
			if err != nil {
				t.Fatalf("All: %v", err)
			}
			if ids := qyIDs(got); !slices.Equal(ids, hand) {
				t.Errorf("All: %v, hand-written SQL: %v", ids, hand)
			}
			s := qySession(t, db)
			got, err = tc.q(orm.Select[qrItem](s)).OrderBy("id").All(ctx)
			if err != nil {
				t.Fatalf("session All: %v", err)
			}
			if ids := qyIDs(got); !slices.Equal(ids, hand) {
				t.Errorf("session All: %v, hand-written SQL: %v", ids, hand)
			}
			n, err := tc.q(orm.Select[qrItem](db)).Count(ctx)
			if err != nil || n != int64(len(hand)) {
				t.Errorf("Count = %d, %v; want %d", n, err, len(hand))
			}
			ok, err := tc.q(orm.Select[qrItem](db)).Exists(ctx)
			if err != nil || ok != (len(hand) > 0) {
				t.Errorf("Exists = %v, %v; want %v", ok, err, len(hand) > 0)
			}
		})
	}
}

var qrAll = []int64{1, 2, 3, 4, 5, 6, 7, 8}

// TestQREmptyLists: an empty list means nothing for IN and everything for
// NOT IN, written by hand or typed, whatever surrounds it.
func TestQREmptyLists(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qrSetup(t, db)
		col := orm.Col
		qrCheck(t, ctx, db, []qrCase{
			{name: "where_not_in_empty", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Where("id NOT IN (?)", []int64{}) },
				hand: `SELECT id FROM qr_item ORDER BY id`, want: qrAll},
			{name: "typed_not_in_empty", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("id").NotIn([]int64{})) },
				hand: `SELECT id FROM qr_item ORDER BY id`, want: qrAll},
			{name: "where_in_empty", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Where("id IN (?)", []int64{}) },
				hand: `SELECT id FROM qr_item WHERE 1 = 0 ORDER BY id`, want: []int64{}},
			{name: "typed_in_empty", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("id").In([]string{})) },
				hand: `SELECT id FROM qr_item WHERE 1 = 0 ORDER BY id`, want: []int64{}},
			{name: "where_not_in_empty_lower_case_no_space", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Where("name not in(?) and small = ?", []string{}, 1)
			}, hand: `SELECT id FROM qr_item WHERE small = ? ORDER BY id`, args: []any{1}, want: []int64{1, 4}},
			{name: "where_not_in_empty_nullable_column", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Where("age NOT IN (?)", []int{})
			}, hand: `SELECT id FROM qr_item ORDER BY id`, want: qrAll},
			{name: "where_negated_in_empty", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Where("NOT id IN (?)", []int64{}) },
				hand: `SELECT id FROM qr_item ORDER BY id`, want: qrAll},
			{name: "where_negated_group_in_empty", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Where("NOT (id IN (?) OR small = ?)", []int64{}, 1)
			}, hand: `SELECT id FROM qr_item WHERE NOT (small = ?) ORDER BY id`, args: []any{1}, want: []int64{2, 3, 5, 6, 7, 8}},
			{name: "where_in_empty_or_other", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Where("id IN (?) OR small = ?", []int64{}, 2)
			}, hand: `SELECT id FROM qr_item WHERE small = ? ORDER BY id`, args: []any{2}, want: []int64{2, 7}},
			{name: "not_of_typed_in_empty", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(orm.Not(col("id").In())) },
				hand: `SELECT id FROM qr_item ORDER BY id`, want: qrAll},
			{name: "sql_expr_not_in_empty", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Filter(orm.SQL("small NOT IN (?)", orm.List{}))
			}, hand: `SELECT id FROM qr_item ORDER BY id`, want: qrAll},
		})

		// Raw and Exec follow the same rule.
		heroes, err := orm.Raw[qrItem](ctx, db, "SELECT * FROM qr_item WHERE id NOT IN (?) ORDER BY id", []int64{})
		if err != nil || !slices.Equal(qyIDs(heroes), qrAll) {
			t.Errorf("Raw NOT IN () = %v, %v; want every row", qyIDs(heroes), err)
		}
		res, err := orm.Exec(ctx, db, "UPDATE qr_item SET small = small WHERE id IN (?)", []int64{})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("Exec UPDATE ... IN () affected %d rows, want 0", n)
		}

		// An empty list where no constant can stand for it is refused
		// before anything is sent.
		rdb, rec := qyRecord(db)
		for _, bad := range []struct {
			sql  string
			args []any
		}{
			{"id IN (?, ?)", []any{[]int64{}, 1}},
			{"COALESCE(?) IS NULL", []any{[]int64{}}},
			{"id IN ((?))", []any{[]int64{}}},
		} {
			rec.Reset()
			_, err := orm.Select[qrItem](rdb).Where(bad.sql, bad.args...).All(ctx)
			if !errors.Is(err, orm.ErrInvalidArgument) {
				t.Errorf("Where(%q) with an empty list: %v; want ErrInvalidArgument", bad.sql, err)
			}
			qyWantNoSQL(t, rec, bad.sql)
		}
	})
}

// TestQRSliceElementTypes: slices of every element type expand, []uint8
// included where the column holds numbers; a []byte is one value on a
// bytes column and in hand-written SQL (orm.ListOf expands it there).
func TestQRSliceElementTypes(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qrSetup(t, db)
		col := orm.Col
		small12 := `SELECT id FROM qr_item WHERE small IN (1, 2) ORDER BY id`
		want12 := []int64{1, 2, 4, 7}
		qrCheck(t, ctx, db, []qrCase{
			{name: "typed_in_uint8", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("small").In([]uint8{1, 2})) },
				hand: small12, want: want12},
			{name: "typed_not_in_uint8", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("small").NotIn([]uint8{1, 2})) },
				hand: `SELECT id FROM qr_item WHERE small NOT IN (1, 2) ORDER BY id`, want: []int64{3, 5, 6, 8}},
			{name: "typed_in_byte_array", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("small").In([2]byte{1, 2})) },
				hand: small12, want: want12},
			{name: "where_list_of_uint8", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Where("small IN (?)", orm.ListOf([]uint8{1, 2}))
			}, hand: small12, want: want12},
			{name: "where_int8", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Where("small IN (?)", []int8{1, 2}) },
				hand: small12, want: want12},
			{name: "where_int16", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Where("small IN (?)", []int16{1, 2}) },
				hand: small12, want: want12},
			{name: "where_uint16", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Where("small IN (?)", []uint16{1, 2}) },
				hand: small12, want: want12},
			{name: "where_uint32", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Where("small IN (?)", []uint32{1, 2}) },
				hand: small12, want: want12},
			{name: "where_any", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Where("small IN (?)", []any{1, int64(2)}) },
				hand: small12, want: want12},
			{name: "typed_in_uint_array", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("small").In([2]uint{1, 2})) },
				hand: small12, want: want12},
			{name: "typed_in_bytes_column_one_value", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Filter(col("data").In([]byte{1, 2}))
			}, hand: `SELECT id FROM qr_item WHERE data = ? ORDER BY id`, args: []any{[]byte{1, 2}}, want: []int64{2, 5}},
			{name: "typed_in_bytes_column_two_values", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Filter(col("data").In([]byte{1}, []byte{3}))
			}, hand: `SELECT id FROM qr_item WHERE data = ? OR data = ? ORDER BY id`, args: []any{[]byte{1}, []byte{3}}, want: []int64{1, 7}},
			{name: "where_bytes_one_value", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Where("data = ?", []byte{1, 2}) },
				hand: `SELECT id FROM qr_item WHERE data = ? ORDER BY id`, args: []any{[]byte{1, 2}}, want: []int64{2, 5}},
			{name: "typed_eq_bytes", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("data").Eq([]byte{2})) },
				hand: `SELECT id FROM qr_item WHERE data = ? ORDER BY id`, args: []any{[]byte{2}}, want: []int64{4}},
		})
	})
}

// TestQRNullComparisons: Eq(nil) and Ne(nil) (and nil pointers, NULL
// sql.Null* values) are IS NULL and IS NOT NULL, as SQLAlchemy renders
// == None; other comparisons with NULL stay what SQL makes of them.
func TestQRNullComparisons(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qrSetup(t, db)
		col := orm.Col
		isNull := `SELECT id FROM qr_item WHERE age IS NULL ORDER BY id`
		notNull := `SELECT id FROM qr_item WHERE age IS NOT NULL ORDER BY id`
		nulls, values := []int64{2, 4, 7}, []int64{1, 3, 5, 6, 8}
		var nilAge *int
		qrCheck(t, ctx, db, []qrCase{
			{name: "eq_nil", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("age").Eq(nil)) }, hand: isNull, want: nulls},
			{name: "eq_nil_pointer", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("Age").Eq(nilAge)) }, hand: isNull, want: nulls},
			{name: "eq_null_int64", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("age").Eq(sql.NullInt64{})) }, hand: isNull, want: nulls},
			{name: "ne_nil", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("age").Ne(nil)) }, hand: notNull, want: values},
			{name: "ne_nil_pointer", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("age").Ne(nilAge)) }, hand: notNull, want: values},
			{name: "not_eq_nil", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(orm.Not(col("age").Eq(nil))) }, hand: notNull, want: values},
			{name: "eq_pointer_value", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { n := 50; return q.Filter(col("age").Eq(&n)) },
				hand: `SELECT id FROM qr_item WHERE age = ? ORDER BY id`, args: []any{50}, want: []int64{5}},
			{name: "eq_valid_null_int64", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Filter(col("age").Eq(sql.NullInt64{Int64: 30, Valid: true}))
			}, hand: `SELECT id FROM qr_item WHERE age = ? ORDER BY id`, args: []any{30}, want: []int64{3}},
			{name: "or_eq_nil", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Filter(orm.Or(col("age").Eq(nil), col("age").Gt(55)))
			}, hand: `SELECT id FROM qr_item WHERE age IS NULL OR age > ? ORDER BY id`, args: []any{55}, want: []int64{2, 4, 6, 7, 8}},
		})

		// A set-based Update through Eq(nil) reaches the NULL rows.
		n, err := orm.Select[qrItem](db).Filter(col("age").Eq(nil)).Update(ctx, map[string]any{"age": 0})
		if err != nil || n != 3 {
			t.Fatalf("Update where age = nil: %d, %v; want 3", n, err)
		}
		if ids := qrHand(t, ctx, db, `SELECT id FROM qr_item WHERE age = 0 ORDER BY id`); !slices.Equal(ids, nulls) {
			t.Errorf("rows updated: %v, want %v", ids, nulls)
		}
	})
}

// TestQRLimitOffset: Exists, Count, First and One see the rows All
// returns: within Limit and Offset.
func TestQRLimitOffset(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qrSetup(t, db)
		everything := qrHand(t, ctx, db, `SELECT id FROM qr_item ORDER BY id`)
		type window struct {
			name          string
			limit, offset int // limit < 0: none
		}
		for _, w := range []window{
			{"limit_0", 0, 0}, {"offset_100", -1, 100}, {"offset_8", -1, 8}, {"offset_7", -1, 7},
			{"limit_3", 3, 0}, {"limit_1", 1, 0}, {"offset_2", -1, 2}, {"limit_2_offset_5", 2, 5},
			{"limit_5_offset_6", 5, 6}, {"limit_0_offset_1", 0, 1}, {"none", -1, 0},
		} {
			t.Run(w.name, func(t *testing.T) {
				// The window by hand: the ordered ids, sliced.
				want := everything[min(w.offset, len(everything)):]
				if w.limit >= 0 {
					want = want[:min(w.limit, len(want))]
				}
				sel := func() *orm.Query[qrItem] {
					q := orm.Select[qrItem](db).OrderBy("id").Offset(w.offset)
					if w.limit >= 0 {
						q = q.Limit(w.limit)
					}
					return q
				}
				all, err := sel().All(ctx)
				if err != nil || !slices.Equal(qyIDs(all), want) {
					t.Fatalf("All = %v, %v; want %v", qyIDs(all), err, want)
				}
				if ok, err := sel().Exists(ctx); err != nil || ok != (len(want) > 0) {
					t.Errorf("Exists = %v, %v; want %v", ok, err, len(want) > 0)
				}
				if n, err := sel().Count(ctx); err != nil || n != int64(len(want)) {
					t.Errorf("Count = %d, %v; want %d", n, err, len(want))
				}
				first, err := sel().First(ctx)
				switch {
				case len(want) == 0 && !errors.Is(err, orm.ErrNotFound):
					t.Errorf("First = %v, %v; want ErrNotFound", first, err)
				case len(want) > 0 && (err != nil || first.ID != want[0]):
					t.Errorf("First = %v, %v; want id %d", first, err, want[0])
				}
				one, err := sel().OneOrNone(ctx)
				switch len(want) {
				case 0:
					if one != nil || err != nil {
						t.Errorf("OneOrNone = %v, %v; want nil", one, err)
					}
				case 1:
					if err != nil || one == nil || one.ID != want[0] {
						t.Errorf("OneOrNone = %v, %v; want id %d", one, err, want[0])
					}
				default:
					if !errors.Is(err, orm.ErrMultipleRows) {
						t.Errorf("OneOrNone = %v, %v; want ErrMultipleRows", one, err)
					}
				}
				// The query keeps its own Limit after First and One.
				q := sel()
				_, _ = q.First(ctx)
				_, _ = q.OneOrNone(ctx)
				if again, err := q.All(ctx); err != nil || !slices.Equal(qyIDs(again), want) {
					t.Errorf("All after First and One = %v, %v; want %v", qyIDs(again), err, want)
				}
			})
		}

		// One honours the caller's Limit(1) over many matches.
		one, err := orm.Select[qrItem](db).Filter(orm.Col("small").Eq(1)).OrderBy("-id").Limit(1).One(ctx)
		if err != nil || one.ID != 4 {
			t.Errorf("Limit(1).One over two matches = %v, %v; want id 4", one, err)
		}
		if _, err := orm.Select[qrItem](db).Filter(orm.Col("small").Eq(1)).Limit(2).One(ctx); !errors.Is(err, orm.ErrMultipleRows) {
			t.Errorf("Limit(2).One over two matches: %v; want ErrMultipleRows", err)
		}

		// In a session (AutoFlush, the default) a delete is flushed before
		// the query, so every terminal sees the database without the row,
		// and First and One stay inside the caller's window.
		s := qySession(t, db)
		first, err := orm.Get[qrItem](ctx, s, int64(1))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(first); err != nil {
			t.Fatal(err)
		}
		if h, err := orm.Select[qrItem](s).OrderBy("id").First(ctx); err != nil || h.ID != 2 {
			t.Errorf("session First past a deleted row = %v, %v; want id 2", h, err)
		}
		if all, err := orm.Select[qrItem](s).OrderBy("id").Limit(1).All(ctx); err != nil || len(all) != 1 || all[0].ID != 2 {
			t.Errorf("session Limit(1).All = %v, %v; want [2]", qyIDs(all), err)
		}
		if h, err := orm.Select[qrItem](s).OrderBy("id").Limit(1).First(ctx); err != nil || h.ID != 2 {
			t.Errorf("session Limit(1).First after the flushed delete = %v, %v; want id 2 (as All)", h, err)
		}
		if h, err := orm.Select[qrItem](s).OrderBy("id").Limit(1).One(ctx); err != nil || h.ID != 2 {
			t.Errorf("session Limit(1).One = %v, %v; want id 2, the only row of the window", h, err)
		}
		if h, err := orm.Select[qrItem](s).OrderBy("id").Limit(3).OneOrNone(ctx); !errors.Is(err, orm.ErrMultipleRows) {
			t.Errorf("session Limit(3).OneOrNone = %v, %v; want ErrMultipleRows", h, err)
		}
	})
}

// TestQRMissingWhere: a set-based Update or Delete without a condition is
// ErrMissingWhere and sends nothing (no autoflush, no BEGIN), unless the
// query says AllRows.
func TestQRMissingWhere(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qrSetup(t, db)
		rdb, rec := qyRecord(db)

		rec.Reset()
		n, err := orm.Select[qrItem](rdb).Update(ctx, map[string]any{"small": 9})
		if !errors.Is(err, orm.ErrMissingWhere) || n != 0 {
			t.Errorf("Update without a condition = %d, %v; want ErrMissingWhere", n, err)
		}
		n, err = orm.Select[qrItem](rdb).OrderBy("id").Delete(ctx)
		if err == nil || n != 0 {
			t.Errorf("Delete with ORDER BY = %d, %v; want an error", n, err)
		}
		n, err = orm.Select[qrItem](rdb).Delete(ctx)
		if !errors.Is(err, orm.ErrMissingWhere) || n != 0 {
			t.Errorf("Delete without a condition = %d, %v; want ErrMissingWhere", n, err)
		}
		if err != nil && !strings.Contains(err.Error(), "AllRows") {
			t.Errorf("the error does not say how to opt in: %v", err)
		}
		qyWantNoSQL(t, rec, "Update/Delete without a condition on a DB")

		// On a session with AutoFlush: not even the autoflush or a BEGIN.
		cfg := orm.DefaultSessionConfig()
		cfg.AutoFlush = true
		s := orm.NewSessionWithConfig(rdb, cfg)
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Add(&qrItem{ID: 99, Name: "pending"}); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		if _, err := orm.Select[qrItem](s).Delete(ctx); !errors.Is(err, orm.ErrMissingWhere) {
			t.Errorf("session Delete without a condition: %v; want ErrMissingWhere", err)
		}
		if _, err := orm.Select[qrItem](s).Update(ctx, map[string]any{"name": "x"}); !errors.Is(err, orm.ErrMissingWhere) {
			t.Errorf("session Update without a condition: %v; want ErrMissingWhere", err)
		}
		qyWantNoSQL(t, rec, "session Update/Delete without a condition")
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if c := qrCount(t, ctx, db); c != 8 {
			t.Fatalf("rows after refused statements: %d, want 8", c)
		}

		// Any condition is a condition.
		n, err = orm.Select[qrItem](db).Where("small = ?", 1).Update(ctx, map[string]any{"note": "one"})
		if err != nil || n != 2 {
			t.Errorf("Update with a condition = %d, %v; want 2", n, err)
		}
		// AllRows opts in.
		n, err = orm.Select[qrItem](db).AllRows().Update(ctx, map[string]any{"small": 4})
		if err != nil || n != 8 {
			t.Errorf("AllRows().Update = %d, %v; want 8", n, err)
		}
		if ids := qrHand(t, ctx, db, `SELECT id FROM qr_item WHERE small = 4 ORDER BY id`); !slices.Equal(ids, qrAll) {
			t.Errorf("rows updated by AllRows().Update: %v", ids)
		}
		n, err = orm.Select[qrItem](db).AllRows().Delete(ctx)
		if err != nil || n != 8 {
			t.Errorf("AllRows().Delete = %d, %v; want 8", n, err)
		}
		if c := qrCount(t, ctx, db); c != 0 {
			t.Errorf("rows after AllRows().Delete: %d, want 0", c)
		}
	})
}

// TestQRLike: Like and ILike match '%', '_' and '\' literally once escaped
// with EscapeLike, on every database (SQLite has no LIKE escape character
// of its own); ILike folds non-ASCII letters on SQLite too.
func TestQRLike(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qrSetup(t, db)
		col := orm.Col
		qrCheck(t, ctx, db, []qrCase{
			{name: "like_escaped_percent", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Filter(col("name").Like(orm.EscapeLike("50%") + "%"))
			}, hand: `SELECT id FROM qr_item WHERE name = ? ORDER BY id`, args: []any{"50% off"}, want: []int64{3}},
			{name: "like_wildcard_percent", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("name").Like("50%")) },
				hand: `SELECT id FROM qr_item WHERE name IN (?, ?) ORDER BY id`, args: []any{"50% off", "500 off"}, want: []int64{3, 7}},
			{name: "like_escaped_underscore", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Filter(col("name").Like(orm.EscapeLike("a_b")))
			}, hand: `SELECT id FROM qr_item WHERE name = ? ORDER BY id`, args: []any{"a_b"}, want: []int64{4}},
			{name: "like_wildcard_underscore", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("name").Like("a_b")) },
				hand: `SELECT id FROM qr_item WHERE name IN (?, ?, ?) ORDER BY id`, args: []any{"a_b", `a\b`, "axb"}, want: []int64{4, 5, 8}},
			{name: "like_backslash_escapes", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("name").Like(`a\_b`)) },
				hand: `SELECT id FROM qr_item WHERE name = ? ORDER BY id`, args: []any{"a_b"}, want: []int64{4}},
			{name: "like_escaped_backslash", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Filter(col("name").Like(orm.EscapeLike(`a\b`)))
			}, hand: `SELECT id FROM qr_item WHERE name = ? ORDER BY id`, args: []any{`a\b`}, want: []int64{5}},
			{name: "ilike_escaped_percent", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] {
				return q.Filter(col("name").ILike(orm.EscapeLike("50%") + " OFF"))
			}, hand: `SELECT id FROM qr_item WHERE name = ? ORDER BY id`, args: []any{"50% off"}, want: []int64{3}},
			{name: "ilike_ascii", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("note").ILike("alpha")) },
				hand: `SELECT id FROM qr_item WHERE note = ? ORDER BY id`, args: []any{"ALPHA"}, want: []int64{1}},
			{name: "ilike_skips_null", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(col("note").ILike("%")) },
				hand: `SELECT id FROM qr_item WHERE note IS NOT NULL ORDER BY id`, want: []int64{1, 3, 5, 8}},
			{name: "not_ilike_skips_null", q: func(q *orm.Query[qrItem]) *orm.Query[qrItem] { return q.Filter(orm.Not(col("note").ILike("x"))) },
				hand: `SELECT id FROM qr_item WHERE note IS NOT NULL AND note <> ? ORDER BY id`, args: []any{"x"}, want: []int64{1, 5, 8}},
		})

		// Non-ASCII case folding. PostgreSQL's ILIKE follows the
		// database's LC_CTYPE: check that the server can fold É at all.
		if db.Dialect().Name() == "postgres" {
			var folds bool
			if err := db.SQL().QueryRowContext(ctx, `SELECT 'É' ILIKE 'é'`).Scan(&folds); err != nil {
				t.Fatal(err)
			}
			if !folds {
				t.Skip("this PostgreSQL database's LC_CTYPE does not fold É (C locale): ILIKE cannot")
			}
		}
		got, err := orm.Select[qrItem](db).Filter(col("name").ILike("éCOLE%")).OrderBy("id").All(ctx)
		if err != nil || !slices.Equal(qyIDs(got), []int64{2, 6}) {
			t.Errorf(`ILike("éCOLE%%") = %v, %v; want [2 6] ("École", "ÉCOLE normale")`, qyIDs(got), err)
		}
		got, err = orm.Select[qrItem](db).Filter(col("name").ILike("école")).All(ctx)
		if err != nil || !slices.Equal(qyIDs(got), []int64{2}) {
			t.Errorf(`ILike("école") = %v, %v; want [2]`, qyIDs(got), err)
		}
	})
}

// TestQRILikeSQLitePools: a pool of the ORM's SQLite driver gives OpenDB
// the Unicode-aware ILike; a plain "sqlite3" pool keeps SQLite's LOWER,
// which folds ASCII letters only (the documented limit).
func TestQRILikeSQLitePools(t *testing.T) {
	for _, tc := range []struct {
		driver  string
		unicode bool
	}{{ormsqlite3.DriverName, true}, {"sqlite3", false}, {"sqlite", true}} {
		t.Run(tc.driver, func(t *testing.T) {
			if !slices.Contains(sql.Drivers(), tc.driver) {
				t.Skipf("driver %s is not in this build (cgo off)", tc.driver)
			}
			tg, err := testkit.NewTarget(t, "sqlite")
			if err != nil {
				t.Fatal(err)
			}
			pool := tg.OpenWithDriver(t, tc.driver)
			t.Cleanup(func() { _ = pool.Close() })
			db, err := orm.OpenDB(pool, "sqlite")
			if err != nil {
				t.Fatal(err)
			}
			ctx := qrSetup(t, db)
			q := orm.Select[qrItem](db).Filter(orm.Col("name").ILike("éCOLE%")).OrderBy("id")
			text, _, err := q.Build()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(text, "sqlm_lower("); got != tc.unicode {
				t.Errorf("%s: ILike renders %s", tc.driver, text)
			}
			got, err := q.All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []int64{2, 6}
			if !tc.unicode {
				want = []int64{} // LOWER('É') is 'É': nothing starts with "école"
			}
			if !slices.Equal(qyIDs(got), want) {
				t.Errorf("%s: ILike(éCOLE%%) = %v, want %v", tc.driver, qyIDs(got), want)
			}
			// ASCII folds either way.
			if got, err := orm.Select[qrItem](db).Filter(orm.Col("name").ILike("ALPHA")).All(ctx); err != nil || !slices.Equal(qyIDs(got), []int64{1}) {
				t.Errorf("%s: ILike(ALPHA) = %v, %v; want [1]", tc.driver, qyIDs(got), err)
			}
		})
	}
}

// TestQROrderByDirection: OrderBy takes "col DESC" / "col asc" as well as
// "-col"; anything else that is not a column is ErrUnknownColumn.
func TestQROrderByDirection(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := qrSetup(t, db)
		for _, tc := range []struct {
			order []string
			hand  string
		}{
			{[]string{"small DESC", "id asc"}, `SELECT id FROM qr_item ORDER BY small DESC, id ASC`},
			{[]string{"Small desc", "ID Desc"}, `SELECT id FROM qr_item ORDER BY small DESC, id DESC`},
			{[]string{"-small", "id ASC"}, `SELECT id FROM qr_item ORDER BY small DESC, id ASC`},
			{[]string{"small\tASC", "id  DESC"}, `SELECT id FROM qr_item ORDER BY small ASC, id DESC`},
		} {
			got, err := orm.Select[qrItem](db).OrderBy(tc.order...).All(ctx)
			if err != nil {
				t.Fatalf("OrderBy(%q): %v", tc.order, err)
			}
			if ids, want := qyIDs(got), qrHand(t, ctx, db, tc.hand); !slices.Equal(ids, want) {
				t.Errorf("OrderBy(%q) = %v; hand-written SQL: %v", tc.order, ids, want)
			}
		}
		rdb, rec := qyRecord(db)
		for _, bad := range []string{"small sideways", "nope DESC", "small DESC DESC", "small DESC; DROP TABLE qr_item", " DESC", "-small asc", "small DESC NULLS LAST"} {
			rec.Reset()
			_, err := orm.Select[qrItem](rdb).OrderBy(bad).All(ctx)
			if !errors.Is(err, orm.ErrUnknownColumn) {
				t.Errorf("OrderBy(%q): %v; want ErrUnknownColumn", bad, err)
			}
			qyWantNoSQL(t, rec, "OrderBy("+bad+")")
		}
		if c := qrCount(t, ctx, db); c != 8 {
			t.Errorf("rows after refused ORDER BYs: %d", c)
		}
	})
}

// Models of TestQRCreateAllReferences: a child that names its parent's
// table in a tag, and one that reaches its parent through a relation.

type qrParent struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=50"`
}

func (qrParent) TableName() string { return "qr_parent" }

type qrTagChild struct {
	ID       int64 `sqlmodel:"pk"`
	ParentID int64 `sqlmodel:"fk=qr_parent.id"`
}

func (qrTagChild) TableName() string { return "qr_tag_child" }

type qrLazyChild struct {
	ID       int64 `sqlmodel:"pk"`
	ParentID int64
	Parent   orm.Lazy[qrParent]
}

func (qrLazyChild) TableName() string { return "qr_lazy_child" }

// TestQRCreateAllReferences pins what docs/models.md says CreateAll
// creates: the referenced models the registry knows (through a relation
// field, or registered before); an fk=TABLE.COL tag alone names a table
// whose model must be registered, else ErrInvalidTag before any SQL.
func TestQRCreateAllReferences(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		rdb, rec := qyRecord(db)
		tableExists := func(table string) bool {
			t.Helper()
			_, err := db.SQL().ExecContext(ctx, "SELECT 1 FROM "+table+" WHERE 1 = 0")
			return err == nil
		}

		// A tag naming an unregistered table: refused, nothing created.
		rec.Reset()
		err := rdb.CreateAll(ctx, &qrTagChild{})
		if !errors.Is(err, orm.ErrInvalidTag) || !strings.Contains(err.Error(), "qr_parent") {
			t.Fatalf("CreateAll(child) with its parent unknown: %v; want ErrInvalidTag naming qr_parent", err)
		}
		qyWantNoSQL(t, rec, "CreateAll(child) with its parent unknown")
		if tableExists("qr_tag_child") {
			t.Fatal("qr_tag_child was created")
		}

		// A relation field brings its model: both tables are created.
		if err := db.CreateAll(ctx, &qrLazyChild{}); err != nil {
			t.Fatalf("CreateAll(lazy child): %v", err)
		}
		if !tableExists("qr_parent") || !tableExists("qr_lazy_child") {
			t.Fatal("CreateAll(lazy child) did not create qr_parent and qr_lazy_child")
		}

		// Now that qr_parent's model is registered, the tag resolves.
		if err := db.CreateAll(ctx, &qrTagChild{}); err != nil {
			t.Fatalf("CreateAll(tag child) with its parent registered: %v", err)
		}
		if _, err := orm.Exec(ctx, db, "INSERT INTO qr_tag_child (id, parent_id) VALUES (?, ?)", 1, 42); !errors.Is(err, orm.ErrForeignKeyViolation) {
			t.Errorf("child of a missing parent: %v; want ErrForeignKeyViolation (the constraint exists)", err)
		}
	})
}
