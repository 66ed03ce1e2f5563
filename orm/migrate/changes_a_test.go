package migrate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/migrate"
)

// Columns: add (nullable, NOT NULL with the zero value, with a default),
// widen, narrow, nullability both ways, defaults, drop.

type AddColV1 struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}
type AddColV2 struct {
	ID    int64 `sqlmodel:"pk"`
	Name  string
	Age   *int
	Score int
	Level int    `sqlmodel:"default=7"`
	Note  string `sqlmodel:"size=30,default='n/a'"`
}

func (AddColV1) TableName() string { return "ch_add_col" }
func (AddColV2) TableName() string { return "ch_add_col" }

type WidenV1 struct {
	ID   int64 `sqlmodel:"pk"`
	N    int32
	F    float32
	Code string `sqlmodel:"size=10"`
}
type WidenV2 struct {
	ID   int64 `sqlmodel:"pk"`
	N    int64
	F    float64
	Code string `sqlmodel:"size=100"`
}

func (WidenV1) TableName() string { return "ch_widen" }
func (WidenV2) TableName() string { return "ch_widen" }

type NarrowV1 struct {
	ID   int64  `sqlmodel:"pk"`
	Code string `sqlmodel:"size=100"`
}
type NarrowV2 struct {
	ID   int64  `sqlmodel:"pk"`
	Code string `sqlmodel:"size=10"`
}

func (NarrowV1) TableName() string { return "ch_narrow" }
func (NarrowV2) TableName() string { return "ch_narrow" }

type NotNullV1 struct {
	ID   int64   `sqlmodel:"pk"`
	Nick *string `sqlmodel:"size=40"`
}
type NotNullV2 struct {
	ID   int64  `sqlmodel:"pk"`
	Nick string `sqlmodel:"size=40,default='anon'"`
}

func (NotNullV1) TableName() string { return "ch_not_null" }
func (NotNullV2) TableName() string { return "ch_not_null" }

type NullableV1 struct {
	ID   int64 `sqlmodel:"pk"`
	Nick string
	Rank int `sqlmodel:"default=1"`
}
type NullableV2 struct {
	ID   int64 `sqlmodel:"pk"`
	Nick *string
	Rank int `sqlmodel:"default=2"`
}

func (NullableV1) TableName() string { return "ch_nullable" }
func (NullableV2) TableName() string { return "ch_nullable" }

type DropColV1 struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	Old  string
}
type DropColV2 struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func (DropColV1) TableName() string { return "ch_drop_col" }
func (DropColV2) TableName() string { return "ch_drop_col" }

func columnScenarios() []scenario {
	return append(columnScenarios1(), columnScenarios2()...)
}

func columnScenarios1() []scenario {
	return []scenario{{
		name: "add_columns",
		v1:   []any{&AddColV1{}}, v2: []any{&AddColV2{}},
		seed: func(t *testing.T, s *orm.Session) {
			add(t, s, &AddColV1{ID: 1, Name: "a"}, &AddColV1{ID: 2, Name: "b"})
		},
		kinds: []migrate.Kind{migrate.AddColumn},
		check: func(t *testing.T, cat *migrate.Catalog) {
			if c := column(t, cat, "ch_add_col", "age"); !c.Nullable {
				t.Error("age is NOT NULL")
			}
			if c := column(t, cat, "ch_add_col", "score"); c.Nullable || c.HasDefault {
				t.Errorf("score: %+v, want NOT NULL without default", c)
			}
			if c := column(t, cat, "ch_add_col", "level"); c.Default != "7" {
				t.Errorf("level default %q", c.Default)
			}
		},
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			r := get[AddColV2](t, ctx, db, int64(1))
			if r.Name != "a" || r.Age != nil || r.Score != 0 || r.Level != 7 || r.Note != "n/a" {
				t.Errorf("row 1 after adding columns: %+v", r)
			}
			update(t, ctx, db, int64(2), func(r *AddColV2) { r.Age, r.Score = ptr(30), 5 })
			if r := get[AddColV2](t, ctx, db, int64(2)); *r.Age != 30 || r.Score != 5 {
				t.Errorf("row 2: %+v", r)
			}
			save(t, ctx, db, &AddColV2{ID: 3, Name: "c", Level: 1})
		},
	}, {
		name: "widen",
		v1:   []any{&WidenV1{}}, v2: []any{&WidenV2{}},
		seed: func(t *testing.T, s *orm.Session) {
			add(t, s, &WidenV1{ID: 1, N: 2147483647, F: 1.5, Code: "abcdefghij"})
		},
		kinds: []migrate.Kind{migrate.AlterColumn},
		check: func(t *testing.T, cat *migrate.Catalog) {
			if c := column(t, cat, "ch_widen", "code"); !strings.Contains(strings.ToLower(c.Type), "100") {
				t.Errorf("code type %s", c.Type)
			}
		},
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			r := get[WidenV2](t, ctx, db, int64(1))
			if r.N != 2147483647 || r.F != 1.5 || r.Code != "abcdefghij" {
				t.Errorf("widened row: %+v", r)
			}
			long := strings.Repeat("x", 90)
			update(t, ctx, db, int64(1), func(r *WidenV2) { r.N, r.Code = 1<<40, long })
			if r := get[WidenV2](t, ctx, db, int64(1)); r.N != 1<<40 || r.Code != long {
				t.Errorf("wide values: %+v", r)
			}
		},
	}, {
		name: "narrow",
		v1:   []any{&NarrowV1{}}, v2: []any{&NarrowV2{}},
		seed:        func(t *testing.T, s *orm.Session) { add(t, s, &NarrowV1{ID: 1, Code: "short"}) },
		kinds:       []migrate.Kind{migrate.AlterColumn},
		destructive: true, refuse: "narrowing",
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			if r := get[NarrowV2](t, ctx, db, int64(1)); r.Code != "short" {
				t.Errorf("narrowed row: %+v", r)
			}
		},
	}}
}

func columnScenarios2() []scenario {
	return []scenario{{
		name: "not_null_with_nulls",
		v1:   []any{&NotNullV1{}}, v2: []any{&NotNullV2{}},
		seed: func(t *testing.T, s *orm.Session) {
			add(t, s, &NotNullV1{ID: 1, Nick: ptr("x")}, &NotNullV1{ID: 2}, &NotNullV1{ID: 3})
		},
		kinds:       []migrate.Kind{migrate.AlterColumn},
		destructive: true, refuse: "2 rows hold NULL",
		check: func(t *testing.T, cat *migrate.Catalog) {
			if c := column(t, cat, "ch_not_null", "nick"); c.Nullable {
				t.Error("nick still nullable")
			}
		},
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			if r := get[NotNullV2](t, ctx, db, int64(1)); r.Nick != "x" {
				t.Errorf("row 1: %+v", r)
			}
			if r := get[NotNullV2](t, ctx, db, int64(2)); r.Nick != "anon" {
				t.Errorf("NULL filled with %q, want the default anon", r.Nick)
			}
		},
	}, {
		name: "nullable_and_default",
		v1:   []any{&NullableV1{}}, v2: []any{&NullableV2{}},
		seed:  func(t *testing.T, s *orm.Session) { add(t, s, &NullableV1{ID: 1, Nick: "n", Rank: 4}) },
		kinds: []migrate.Kind{migrate.AlterColumn},
		check: func(t *testing.T, cat *migrate.Catalog) {
			if c := column(t, cat, "ch_nullable", "nick"); !c.Nullable {
				t.Error("nick NOT NULL")
			}
			if c := column(t, cat, "ch_nullable", "rank"); c.Default != "2" {
				t.Errorf("rank default %q", c.Default)
			}
		},
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			if r := get[NullableV2](t, ctx, db, int64(1)); *r.Nick != "n" || r.Rank != 4 {
				t.Errorf("row: %+v", r)
			}
			update(t, ctx, db, int64(1), func(r *NullableV2) { r.Nick = nil })
			if r := get[NullableV2](t, ctx, db, int64(1)); r.Nick != nil {
				t.Errorf("NULL not stored: %+v", r)
			}
		},
	}, {
		name: "drop_column",
		v1:   []any{&DropColV1{}}, v2: []any{&DropColV2{}},
		seed:        func(t *testing.T, s *orm.Session) { add(t, s, &DropColV1{ID: 1, Name: "keep", Old: "gone"}) },
		kinds:       []migrate.Kind{migrate.DropColumn},
		destructive: true, refuse: "drop column ch_drop_col.old",
		check: func(t *testing.T, cat *migrate.Catalog) {
			if _, ok := cat.Table("ch_drop_col").Column("old"); ok {
				t.Error("old still there")
			}
		},
		rows: func(t *testing.T, ctx context.Context, db *orm.DB) {
			if r := get[DropColV2](t, ctx, db, int64(1)); r.Name != "keep" {
				t.Errorf("row: %+v", r)
			}
			save(t, ctx, db, &DropColV2{ID: 2, Name: "new"})
		},
	}}
}

func TestColumnChanges(t *testing.T) {
	for _, sc := range columnScenarios() {
		t.Run(sc.name, func(t *testing.T) { eachDB(t, sc.run) })
	}
}
