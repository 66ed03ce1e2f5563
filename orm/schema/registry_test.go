package schema_test

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/sqlmodel-go/sqlmodel/orm/relations"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ---- the models of the design document ----

type Team struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique"`
	Headquarters string
	Heroes       relations.RelatedMany[Hero] `sqlmodel:"back_populates=Team,cascade_delete,passive_deletes,delete_orphan,order_by=name;-age"`
}

type Hero struct {
	ID         int64  `sqlmodel:"pk"`
	Name       string `sqlmodel:"index"`
	SecretName string
	Age        *int
	TeamID     *int64                       `sqlmodel:"fk=team.id,ondelete=set null"`
	Team       relations.Lazy[Team]         `sqlmodel:"fk=TeamID,back_populates=Heroes"`
	Powers     relations.RelatedMany[Power] `sqlmodel:"link=hero_power,back_populates=Heroes"`
}

type Power struct {
	ID     int64 `sqlmodel:"pk"`
	Name   string
	Heroes relations.RelatedMany[Hero] `sqlmodel:"link=hero_power,back_populates=Powers"`
}

func heroModels(t *testing.T) (r *schema.Registry, team, hero, power *schema.Model) {
	t.Helper()
	r, ms := register(t, &Hero{})
	hero = ms[0]
	var ok bool
	if team, ok = r.Lookup(reflect.TypeFor[Team]()); !ok {
		t.Fatal("Team not registered through Hero.Team")
	}
	if power, ok = r.Lookup(reflect.TypeFor[Power]()); !ok {
		t.Fatal("Power not registered through Hero.Powers")
	}
	return r, team, hero, power
}

// ---- names ----

type HeroTeamLink struct {
	ID int64 `sqlmodel:"pk"`
}

type ValueTableName struct {
	ID int64 `sqlmodel:"pk"`
}

func (ValueTableName) TableName() string { return "custom_value" }

type PtrTableName struct {
	ID int64 `sqlmodel:"pk"`
}

func (*PtrTableName) TableName() string { return "custom_ptr" }

type HTTPServer struct {
	ID int64 `sqlmodel:"pk"`
}

func TestTableName(t *testing.T) {
	cases := []struct {
		name  string
		model any
		table string
	}{
		{"simple", &Hero{}, "hero"},
		{"several words", &HeroTeamLink{}, "hero_team_link"},
		{"acronym", &HTTPServer{}, "http_server"},
		{"TableName on value receiver", &ValueTableName{}, "custom_value"},
		{"TableName on value receiver, registered by value", ValueTableName{}, "custom_value"},
		{"TableName on pointer receiver", &PtrTableName{}, "custom_ptr"},
		{"TableName on pointer receiver, registered by value", PtrTableName{}, "custom_ptr"},
		{"registered by reflect.Type", reflect.TypeFor[HeroTeamLink](), "hero_team_link"},
		{"registered by reflect.Type of pointer", reflect.TypeFor[*PtrTableName](), "custom_ptr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, ms := register(t, tc.model)
			m := ms[0]
			eq(t, "Table", m.Table, tc.table)
			eq(t, "Name", m.Name, typeNameOf(tc.model))
			if got, ok := r.Table(tc.table); !ok || got != m {
				t.Errorf("Table(%q) = %v, %v; want the registered model", tc.table, got, ok)
			}
			if m.Link {
				t.Error("a struct model is marked Link")
			}
		})
	}
}

func typeNameOf(v any) string {
	if rt, ok := v.(reflect.Type); ok {
		for rt.Kind() == reflect.Pointer {
			rt = rt.Elem()
		}
		return rt.String()
	}
	return typeName(v)
}

type ColumnNames struct {
	ID         int64 `sqlmodel:"pk"`
	SecretName string
	TeamID     int64
	HTTPPort   int
	Renamed    string `sqlmodel:"column=other_name"`
	X          bool
	UserURLs   string
}

func TestColumnNames(t *testing.T) {
	m := registerOne(t, &ColumnNames{})
	eq(t, "Columns()", m.Columns(), []string{"id", "secret_name", "team_id", "http_port", "other_name", "x", "user_urls"})
	cases := []struct{ goName, column string }{
		{"ID", "id"}, {"SecretName", "secret_name"}, {"TeamID", "team_id"}, {"HTTPPort", "http_port"},
		{"Renamed", "other_name"}, {"X", "x"}, {"UserURLs", "user_urls"},
	}
	for _, tc := range cases {
		t.Run(tc.goName, func(t *testing.T) {
			f := field(t, m, tc.goName)
			eq(t, "Column", f.Column, tc.column)
			eq(t, "GoName", f.GoName, tc.goName)
			eq(t, "Path", f.Path, tc.goName)
			if f.Model != m {
				t.Error("Field.Model is not the model")
			}
			byCol, ok := m.FieldByColumn(tc.column)
			if !ok || byCol != f {
				t.Errorf("FieldByColumn(%q) = %v, %v", tc.column, byCol, ok)
			}
			byColName, ok := m.FieldByName(tc.column)
			if !ok || byColName != f {
				t.Errorf("FieldByName(column %q) = %v, %v", tc.column, byColName, ok)
			}
		})
	}
	if _, ok := m.FieldByColumn("renamed"); ok {
		t.Error("column= did not replace the default column name")
	}
	if _, ok := m.FieldByName("Nope"); ok {
		t.Error("FieldByName(Nope) found a field")
	}
}

// ---- embedded structs ----

type Base struct {
	ID        int64 `sqlmodel:"pk"`
	CreatedAt time.Time
}

type WithBase struct {
	Base
	Name string
}

type WithBasePtr struct {
	*Base
	Name string
}

type Mid struct {
	Base
	Extra string
}

type Outer struct {
	Mid
	Name string
}

type auditInfo struct {
	UpdatedBy string
	note      string // unexported: ignored
}

type WithUnexportedEmbed struct {
	ID int64 `sqlmodel:"pk"`
	auditInfo
}

type WithEmbeddedPtrUnexported struct {
	ID int64 `sqlmodel:"pk"`
	*auditInfo
}

func TestEmbeddedStructs(t *testing.T) {
	cases := []struct {
		name    string
		model   any
		columns []string
		paths   []string
		pkPath  string
		pkIndex []int
	}{
		{"value", &WithBase{}, []string{"id", "created_at", "name"}, []string{"Base.ID", "Base.CreatedAt", "Name"}, "Base.ID", []int{0, 0}},
		{"pointer", &WithBasePtr{}, []string{"id", "created_at", "name"}, []string{"Base.ID", "Base.CreatedAt", "Name"}, "Base.ID", []int{0, 0}},
		{"two levels", &Outer{}, []string{"id", "created_at", "extra", "name"}, []string{"Mid.Base.ID", "Mid.Base.CreatedAt", "Mid.Extra", "Name"}, "Mid.Base.ID", []int{0, 0, 0}},
		{"unexported embedded value", &WithUnexportedEmbed{}, []string{"id", "updated_by"}, []string{"ID", "auditInfo.UpdatedBy"}, "ID", []int{0}},
		{"unexported embedded pointer", &WithEmbeddedPtrUnexported{}, []string{"id", "updated_by"}, []string{"ID", "auditInfo.UpdatedBy"}, "ID", []int{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := registerOne(t, tc.model)
			eq(t, "Columns()", m.Columns(), tc.columns)
			var paths []string
			for _, f := range m.Fields {
				paths = append(paths, f.Path)
				if byPath, ok := m.FieldByName(f.Path); !ok || byPath != f {
					t.Errorf("FieldByName(%q) does not find the field", f.Path)
				}
				if byGo, ok := m.FieldByName(f.GoName); !ok || byGo != f {
					t.Errorf("FieldByName(%q) (short Go name) does not find the field", f.GoName)
				}
				sf := m.Type.FieldByIndex(f.Index)
				if sf.Name != f.GoName {
					t.Errorf("Index %v of %s leads to %s", f.Index, f.Path, sf.Name)
				}
			}
			eq(t, "paths", paths, tc.paths)
			if len(m.PrimaryKey) != 1 {
				t.Fatalf("PrimaryKey = %v", columnsOf(m.PrimaryKey))
			}
			eq(t, "pk path", m.PrimaryKey[0].Path, tc.pkPath)
			eq(t, "pk index", m.PrimaryKey[0].Index, tc.pkIndex)
			eq(t, "pk GoName", m.PrimaryKey[0].GoName, "ID")
			if m.AutoIncrement != m.PrimaryKey[0] {
				t.Error("the embedded int64 pk is not the autoincrement column")
			}
		})
	}
}

// ---- ignored fields ----

type Ignored struct {
	ID       int64 `sqlmodel:"pk"`
	Name     string
	internal string
	Skipped  string                   `sqlmodel:"-"`
	Chan     chan int                 `sqlmodel:"-"`
	Rel      relations.Lazy[Team]     `sqlmodel:"-"`
	Many     relations.RelatedMany[X] `sqlmodel:" - "`
	counter  int
	ExtraMap map[string]int `sqlmodel:"-"`
}

// X is never registered: the field referring to it is skipped.
type X struct{ Broken chan int }

func TestIgnoredFields(t *testing.T) {
	r, ms := register(t, &Ignored{})
	m := ms[0]
	eq(t, "Columns()", m.Columns(), []string{"id", "name"})
	if len(m.Relations) != 0 {
		t.Errorf("skipped relations registered: %d", len(m.Relations))
	}
	for _, name := range []string{"internal", "Skipped", "Chan", "counter", "ExtraMap"} {
		if _, ok := m.FieldByName(name); ok {
			t.Errorf("field %s is a column", name)
		}
	}
	if _, ok := r.Lookup(reflect.TypeFor[Team]()); ok {
		t.Error("a skipped relation registered its target")
	}
	_ = Ignored{internal: "", counter: 0}
}

// ---- options ----

type Opts struct {
	ID       int64  `sqlmodel:"pk"`
	Email    string `sqlmodel:"unique,size=200"`
	Name     string `sqlmodel:"index"`
	Last     string `sqlmodel:"index=idx_full_name"`
	Middle   string
	First    string         `sqlmodel:"index=idx_full_name"`
	Code     string         `sqlmodel:"unique_index=uix_code"`
	Region   string         `sqlmodel:"unique_index=uix_code"`
	Slug     string         `sqlmodel:"unique_index"`
	Nick     *string        // pointer: nullable
	Bio      string         `sqlmodel:"nullable"`
	Age      *int           `sqlmodel:"notnull"`
	Blob     []byte         // nullable
	Blob2    []byte         `sqlmodel:"notnull"`
	Status   string         `sqlmodel:"default='a,b'"`
	Score    int            `sqlmodel:"default=coalesce(1, 2)"`
	Created  *string        `sqlmodel:"default=CURRENT_TIMESTAMP"`
	Amount   string         `sqlmodel:"type=NUMERIC(10,2)"`
	Ver      int64          `sqlmodel:"version"`
	Meta     map[string]any `sqlmodel:"json"`
	Spaced   string         `sqlmodel:" unique , size = 20 "`
	Upper    string         `sqlmodel:"UNIQUE"`
	Quoted   string         `sqlmodel:"default=\"x,y\""`
	Combined string         `sqlmodel:"notnull,default='',size=5,index"`
}

func TestOptions(t *testing.T) {
	m := registerOne(t, &Opts{})
	type want struct {
		pk, auto, unique, nullable, version, json, hasDefault bool
		def, sqlType                                          string
		size                                                  int
		kind                                                  schema.Kind
	}
	cases := []struct {
		field string
		tag   string
		want  want
	}{
		{"ID", "pk", want{pk: true, auto: true, kind: schema.KindInt}},
		{"Email", "unique,size=200", want{unique: true, size: 200, kind: schema.KindString}},
		{"Name", "index", want{kind: schema.KindString}},
		{"Middle", "", want{kind: schema.KindString}},
		{"Nick", "", want{nullable: true, kind: schema.KindString}},
		{"Bio", "nullable", want{nullable: true, kind: schema.KindString}},
		{"Age", "notnull", want{nullable: false, kind: schema.KindInt}},
		{"Blob", "", want{nullable: true, kind: schema.KindBytes}},
		{"Blob2", "notnull", want{nullable: false, kind: schema.KindBytes}},
		{"Status", "default='a,b'", want{hasDefault: true, def: "'a,b'", kind: schema.KindString}},
		{"Score", "default=coalesce(1, 2)", want{hasDefault: true, def: "coalesce(1, 2)", kind: schema.KindInt}},
		{"Created", "default=CURRENT_TIMESTAMP", want{hasDefault: true, def: "CURRENT_TIMESTAMP", nullable: true, kind: schema.KindString}},
		{"Amount", "type=NUMERIC(10,2)", want{sqlType: "NUMERIC(10,2)", kind: schema.KindString}},
		{"Ver", "version", want{version: true, kind: schema.KindInt}},
		{"Meta", "json", want{json: true, nullable: true, kind: schema.KindJSON}},
		{"Spaced", " unique , size = 20 ", want{unique: true, size: 20, kind: schema.KindString}},
		{"Upper", "UNIQUE", want{unique: true, kind: schema.KindString}},
		{"Quoted", `default="x,y"`, want{hasDefault: true, def: `"x,y"`, kind: schema.KindString}},
		{"Combined", "notnull,default='',size=5,index", want{hasDefault: true, def: "''", size: 5, kind: schema.KindString}},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			f := field(t, m, tc.field)
			got := want{
				pk: f.PrimaryKey, auto: f.AutoIncrement, unique: f.Unique, nullable: f.Nullable, version: f.Version,
				json: f.JSON, hasDefault: f.HasDefault, def: f.Default, sqlType: f.SQLType, size: f.Size, kind: f.Kind,
			}
			eq(t, "parsed options", got, tc.want)
			eq(t, "Tag", strings.TrimSpace(f.Tag), strings.TrimSpace(tc.tag))
		})
	}
	t.Run("model", func(t *testing.T) {
		if m.AutoIncrement != field(t, m, "ID") {
			t.Error("AutoIncrement is not ID")
		}
		if m.Version != field(t, m, "Ver") {
			t.Error("Version is not Ver")
		}
		eq(t, "PrimaryKey", columnsOf(m.PrimaryKey), []string{"id"})
	})
	t.Run("indexes", func(t *testing.T) {
		got := map[string]schema.Index{}
		var order []string
		for _, ix := range m.Indexes {
			got[ix.Name] = *ix
			order = append(order, ix.Name)
		}
		eq(t, "index order", order, []string{"idx_opts_name", "idx_full_name", "uix_code", "uix_opts_slug", "idx_opts_combined"})
		eq(t, "idx_opts_name", got["idx_opts_name"], schema.Index{Name: "idx_opts_name", Columns: []string{"name"}})
		eq(t, "idx_full_name (field order)", got["idx_full_name"], schema.Index{Name: "idx_full_name", Columns: []string{"last", "first"}})
		eq(t, "uix_code", got["uix_code"], schema.Index{Name: "uix_code", Columns: []string{"code", "region"}, Unique: true})
		eq(t, "uix_opts_slug", got["uix_opts_slug"], schema.Index{Name: "uix_opts_slug", Columns: []string{"slug"}, Unique: true})
	})
}

type VeryLongTableNameForIndexLimitsThatKeepsGoing struct {
	ID                                       int64  `sqlmodel:"pk"`
	AnEvenLongerColumnNameThatOverflowsLimit string `sqlmodel:"index"`
}

func TestIndexNameLimit(t *testing.T) {
	m := registerOne(t, &VeryLongTableNameForIndexLimitsThatKeepsGoing{})
	if len(m.Indexes) != 1 {
		t.Fatalf("indexes = %d", len(m.Indexes))
	}
	name := m.Indexes[0].Name
	if len(name) > 63 {
		t.Errorf("index name %q is %d characters, want <= 63", name, len(name))
	}
	if !strings.HasPrefix(name, "idx_very_long_table_name") {
		t.Errorf("index name %q lost its prefix", name)
	}
	// Deterministic.
	m2 := registerOne(t, &VeryLongTableNameForIndexLimitsThatKeepsGoing{})
	eq(t, "name in a second registry", m2.Indexes[0].Name, name)
}

// ---- autoincrement ----

type AutoDefault struct {
	ID int64 `sqlmodel:"pk"`
}

type AutoUint struct {
	ID uint32 `sqlmodel:"pk"`
}

type AutoOff struct {
	ID int64 `sqlmodel:"pk,noautoincrement"`
}

type AutoOn struct {
	ID int64 `sqlmodel:"pk,autoincrement"`
}

type AutoStringPk struct {
	ID string `sqlmodel:"pk"`
}

type AutoTypedPk struct {
	ID int64 `sqlmodel:"pk,type=BIGINT"`
}

type AutoColumnNamed struct {
	ID int64 `sqlmodel:"pk,column=noautoincrement_id"`
}

type AutoDefaultMention struct {
	ID int64 `sqlmodel:"pk,default='noautoincrement'"`
}

type AutoCompositePk struct {
	A int64 `sqlmodel:"pk"`
	B int64 `sqlmodel:"pk"`
}

type AutoPointerPk struct {
	ID *int64 `sqlmodel:"pk"`
}

func TestAutoIncrement(t *testing.T) {
	cases := []struct {
		name  string
		model any
		auto  bool
	}{
		{"single int64 pk is autoincrement by default", &AutoDefault{}, true},
		{"single uint32 pk is autoincrement by default", &AutoUint{}, true},
		{"noautoincrement", &AutoOff{}, false},
		{"explicit autoincrement", &AutoOn{}, true},
		{"string pk", &AutoStringPk{}, false},
		{"pk with type=", &AutoTypedPk{}, false},
		{"column name mentioning noautoincrement", &AutoColumnNamed{}, true},
		{"default mentioning noautoincrement", &AutoDefaultMention{}, true},
		{"composite pk", &AutoCompositePk{}, false},
		{"pointer pk", &AutoPointerPk{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := registerOne(t, tc.model)
			if got := m.AutoIncrement != nil; got != tc.auto {
				t.Fatalf("AutoIncrement set = %v, want %v", got, tc.auto)
			}
			for _, f := range m.PrimaryKey {
				if f.AutoIncrement != (tc.auto && f == m.AutoIncrement) {
					t.Errorf("%s.AutoIncrement = %v", f.Path, f.AutoIncrement)
				}
				if f.Nullable {
					t.Errorf("pk %s is nullable", f.Path)
				}
			}
		})
	}
}

// ---- kinds ----

type Color string

type Level int16

// Upper is a named string with its own Scanner and Valuer.
type Upper string

func (u *Upper) Scan(src any) error {
	switch x := src.(type) {
	case string:
		*u = Upper(strings.ToUpper(x))
	case []byte:
		*u = Upper(strings.ToUpper(string(x)))
	default:
		return fmt.Errorf("Upper: cannot scan %T", src)
	}
	return nil
}

func (u Upper) Value() (driver.Value, error) { return strings.ToLower(string(u)), nil }

// Money is a struct Scanner/Valuer stored as cents in a NUMERIC column.
type Money struct{ Cents int64 }

func (m *Money) Scan(src any) error {
	switch x := src.(type) {
	case int64:
		m.Cents = x
	case nil:
		m.Cents = 0
	default:
		return fmt.Errorf("Money: cannot scan %T", src)
	}
	return nil
}

func (m Money) Value() (driver.Value, error) { return m.Cents, nil }

// OptMoney is a Valuer whose zero value is NULL.
type OptMoney struct {
	Cents int64
	Valid bool
}

func (m *OptMoney) Scan(src any) error {
	if src == nil {
		*m = OptMoney{}
		return nil
	}
	c, ok := src.(int64)
	if !ok {
		return fmt.Errorf("OptMoney: cannot scan %T", src)
	}
	*m = OptMoney{Cents: c, Valid: true}
	return nil
}

func (m OptMoney) Value() (driver.Value, error) {
	if !m.Valid {
		return nil, nil
	}
	return m.Cents, nil
}

type Kinds struct {
	ID      int64 `sqlmodel:"pk"`
	Int     int
	Int8    int8
	Int16   int16
	Int32   int32
	Int64   int64
	Uint    uint
	Uint8   uint8
	Uint16  uint16
	Uint32  uint32
	Uint64  uint64
	F32     float32
	F64     float64
	Bool    bool
	Str     string
	Bytes   []byte
	Time    time.Time
	PInt    *int
	PInt8   *int8
	PUint16 *uint16
	PF32    *float32
	PBool   *bool
	PStr    *string
	PTime   *time.Time
	NS      sql.NullString
	NI64    sql.NullInt64
	NI32    sql.NullInt32
	NI16    sql.NullInt16
	NByte   sql.NullByte
	NF64    sql.NullFloat64
	NBool   sql.NullBool
	NTime   sql.NullTime
	NG64    sql.Null[int64]
	NGStr   sql.Null[string]
	NGTime  sql.Null[time.Time]
	PNS     *sql.NullString
	Money   Money    `sqlmodel:"type=NUMERIC(12,2)"`
	PMoney  *Money   `sqlmodel:"type=NUMERIC(12,2)"`
	OptM    OptMoney `sqlmodel:"type=NUMERIC(12,2)"`
	Upper   Upper
	Color   Color
	PColor  *Color
	Level   Level
	Raw     json.RawMessage
	Addr    Address  `sqlmodel:"json"`
	PAddr   *Address `sqlmodel:"json"`
	Tags    []string `sqlmodel:"json"`
	Any     any      `sqlmodel:"json"`
}

func TestKinds(t *testing.T) {
	m := registerOne(t, &Kinds{})
	type want struct {
		kind     schema.Kind
		bits     int
		nullable bool
		pointer  bool
		valuer   bool
		json     bool
	}
	I, U, F := schema.KindInt, schema.KindUint, schema.KindFloat
	cases := []struct {
		field string
		want  want
	}{
		{"Int", want{kind: I, bits: 64}},
		{"Int8", want{kind: I, bits: 8}},
		{"Int16", want{kind: I, bits: 16}},
		{"Int32", want{kind: I, bits: 32}},
		{"Int64", want{kind: I, bits: 64}},
		{"Uint", want{kind: U, bits: 64}},
		{"Uint8", want{kind: U, bits: 8}},
		{"Uint16", want{kind: U, bits: 16}},
		{"Uint32", want{kind: U, bits: 32}},
		{"Uint64", want{kind: U, bits: 64}},
		{"F32", want{kind: F, bits: 32}},
		{"F64", want{kind: F, bits: 64}},
		{"Bool", want{kind: schema.KindBool}},
		{"Str", want{kind: schema.KindString}},
		{"Bytes", want{kind: schema.KindBytes, nullable: true}},
		{"Time", want{kind: schema.KindTime}},
		{"PInt", want{kind: I, bits: 64, nullable: true, pointer: true}},
		{"PInt8", want{kind: I, bits: 8, nullable: true, pointer: true}},
		{"PUint16", want{kind: U, bits: 16, nullable: true, pointer: true}},
		{"PF32", want{kind: F, bits: 32, nullable: true, pointer: true}},
		{"PBool", want{kind: schema.KindBool, nullable: true, pointer: true}},
		{"PStr", want{kind: schema.KindString, nullable: true, pointer: true}},
		{"PTime", want{kind: schema.KindTime, nullable: true, pointer: true}},
		{"NS", want{kind: schema.KindString, nullable: true, valuer: true}},
		{"NI64", want{kind: I, bits: 64, nullable: true, valuer: true}},
		{"NI32", want{kind: I, bits: 32, nullable: true, valuer: true}},
		{"NI16", want{kind: I, bits: 16, nullable: true, valuer: true}},
		{"NByte", want{kind: U, bits: 8, nullable: true, valuer: true}},
		{"NF64", want{kind: F, bits: 64, nullable: true, valuer: true}},
		{"NBool", want{kind: schema.KindBool, nullable: true, valuer: true}},
		{"NTime", want{kind: schema.KindTime, nullable: true, valuer: true}},
		{"NG64", want{kind: I, bits: 64, nullable: true, valuer: true}},
		{"NGStr", want{kind: schema.KindString, nullable: true, valuer: true}},
		{"NGTime", want{kind: schema.KindTime, nullable: true, valuer: true}},
		{"PNS", want{kind: schema.KindString, nullable: true, pointer: true, valuer: true}},
		{"Money", want{kind: schema.KindCustom, valuer: true}},
		{"PMoney", want{kind: schema.KindCustom, nullable: true, pointer: true, valuer: true}},
		{"OptM", want{kind: schema.KindCustom, nullable: true, valuer: true}},
		{"Upper", want{kind: schema.KindString, valuer: true}},
		{"Color", want{kind: schema.KindString}},
		{"PColor", want{kind: schema.KindString, nullable: true, pointer: true}},
		{"Level", want{kind: I, bits: 16}},
		{"Raw", want{kind: schema.KindJSON, nullable: true, json: true}},
		{"Addr", want{kind: schema.KindJSON, json: true}},
		{"PAddr", want{kind: schema.KindJSON, nullable: true, pointer: true, json: true}},
		{"Tags", want{kind: schema.KindJSON, nullable: true, json: true}},
		{"Any", want{kind: schema.KindJSON, nullable: true, json: true}},
	}
	if len(cases) != len(m.Fields)-1 {
		t.Errorf("%d cases for %d non-pk fields", len(cases), len(m.Fields)-1)
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			f := field(t, m, tc.field)
			got := want{kind: f.Kind, bits: f.ColumnBits(), nullable: f.Nullable, pointer: f.Pointer, valuer: f.Valuer, json: f.JSON}
			eq(t, "kind/bits/flags", got, tc.want)
			sf, _ := reflect.TypeFor[Kinds]().FieldByName(tc.field)
			if f.Type != sf.Type {
				t.Errorf("Type = %v, want %v", f.Type, sf.Type)
			}
		})
	}
	if got := field(t, m, "Money").SQLType; got != "NUMERIC(12,2)" {
		t.Errorf("Money.SQLType = %q", got)
	}
}

func TestKindString(t *testing.T) {
	cases := map[schema.Kind]string{
		schema.KindInvalid: "invalid", schema.KindInt: "int", schema.KindUint: "uint", schema.KindFloat: "float",
		schema.KindBool: "bool", schema.KindString: "string", schema.KindBytes: "bytes", schema.KindTime: "time",
		schema.KindJSON: "json", schema.KindCustom: "custom", schema.Kind(200): "Kind(200)",
	}
	for k, want := range cases {
		t.Run(want, func(t *testing.T) { eq(t, "String()", k.String(), want) })
	}
	rels := map[schema.RelKind]string{
		schema.ManyToOne: "many-to-one", schema.OneToOne: "one-to-one", schema.OneToMany: "one-to-many",
		schema.ManyToMany: "many-to-many", schema.RelKind(9): "RelKind(9)",
	}
	for k, want := range rels {
		t.Run(want, func(t *testing.T) { eq(t, "String()", k.String(), want) })
	}
}

// ---- keys ----

type Membership struct {
	UserID  int64 `sqlmodel:"pk"`
	GroupID int64 `sqlmodel:"pk"`
	Role    string
}

func TestCompositePrimaryKey(t *testing.T) {
	m := registerOne(t, &Membership{})
	eq(t, "PrimaryKey", columnsOf(m.PrimaryKey), []string{"user_id", "group_id"})
	if m.AutoIncrement != nil {
		t.Errorf("composite pk has an autoincrement column %s", m.AutoIncrement.Path)
	}
	for _, f := range m.PrimaryKey {
		if !f.PrimaryKey || f.AutoIncrement || f.Nullable {
			t.Errorf("%s: pk=%v auto=%v nullable=%v", f.Path, f.PrimaryKey, f.AutoIncrement, f.Nullable)
		}
	}
	if field(t, m, "Role").PrimaryKey {
		t.Error("Role is a pk column")
	}
}

type CParent struct {
	A    int64  `sqlmodel:"pk"`
	B    string `sqlmodel:"pk"`
	Name string
}

type CChild struct {
	ID      int64                   `sqlmodel:"pk"`
	ParentA int64                   `sqlmodel:"fk=c_parent.a,ondelete=CASCADE,onupdate=No  Action"`
	ParentB string                  `sqlmodel:"fk=c_parent.b,ondelete=cascade,onupdate=no action"`
	Parent  relations.Lazy[CParent] `sqlmodel:"fk=ParentA;ParentB"`
}

type CChildReversed struct {
	ID      int64  `sqlmodel:"pk"`
	ParentB string `sqlmodel:"fk=c_parent.b"`
	ParentA int64  `sqlmodel:"fk=c_parent.a"`
}

type UParent struct {
	ID   int64  `sqlmodel:"pk"`
	Code string `sqlmodel:"unique"`
	K1   string `sqlmodel:"unique_index=uix_k"`
	K2   int    `sqlmodel:"unique_index=uix_k"`
}

type UChild struct {
	ID         int64  `sqlmodel:"pk"`
	ParentCode string `sqlmodel:"fk=u_parent.code,onupdate=cascade"`
}

type TreeNode struct {
	ID       int64  `sqlmodel:"pk"`
	ParentID *int64 `sqlmodel:"fk=tree_node.id,ondelete=cascade"`
}

type UntaggedFKHero struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64
	Team   relations.Lazy[Team]
}

type LaterRef struct {
	ID     int64 `sqlmodel:"pk"`
	TeamID int64 `sqlmodel:"fk=team.id,ondelete=restrict,onupdate=set default"`
}

func TestForeignKeys(t *testing.T) {
	t.Run("single", func(t *testing.T) {
		_, team, hero, _ := heroModels(t)
		f := field(t, hero, "TeamID")
		eq(t, "ForeignKey", f.ForeignKey, &schema.ColumnRef{Table: "team", Column: "id"})
		eq(t, "ColumnRef.String()", f.ForeignKey.String(), "team.id")
		eq(t, "OnDelete", f.OnDelete, "SET NULL")
		if len(hero.ForeignKeys) != 1 {
			t.Fatalf("ForeignKeys = %d", len(hero.ForeignKeys))
		}
		fk := hero.ForeignKeys[0]
		eq(t, "Name", fk.Name, "fk_hero_team_id")
		eq(t, "Columns", fk.Columns, []string{"team_id"})
		eq(t, "RefTable", fk.RefTable, "team")
		eq(t, "RefColumns", fk.RefColumns, []string{"id"})
		eq(t, "OnDelete", fk.OnDelete, "SET NULL")
		eq(t, "OnUpdate", fk.OnUpdate, "")
		if fk.RefModel != team {
			t.Error("RefModel is not the team model")
		}
		if len(fk.Fields) != 1 || fk.Fields[0] != f {
			t.Error("Fields is not [TeamID]")
		}
		if !fk.Nullable() {
			t.Error("a *int64 FK is not Nullable()")
		}
		if len(team.ForeignKeys) != 0 {
			t.Errorf("team has foreign keys %v", team.ForeignKeys)
		}
	})
	t.Run("composite grouped into one constraint", func(t *testing.T) {
		r, ms := register(t, &CChild{}, &CChildReversed{})
		parent, _ := r.Lookup(reflect.TypeFor[CParent]())
		child := ms[0]
		if len(child.ForeignKeys) != 1 {
			t.Fatalf("ForeignKeys = %d, want one composite", len(child.ForeignKeys))
		}
		fk := child.ForeignKeys[0]
		eq(t, "Name", fk.Name, "fk_c_child_parent_a_parent_b")
		eq(t, "Columns", fk.Columns, []string{"parent_a", "parent_b"})
		eq(t, "RefColumns", fk.RefColumns, []string{"a", "b"})
		eq(t, "OnDelete", fk.OnDelete, "CASCADE")
		eq(t, "OnUpdate", fk.OnUpdate, "NO ACTION")
		if fk.RefModel != parent {
			t.Error("RefModel is not CParent")
		}
		if fk.Nullable() {
			t.Error("NOT NULL composite FK reports Nullable()")
		}
		rev := ms[1]
		if len(rev.ForeignKeys) != 1 {
			t.Fatalf("reversed: ForeignKeys = %d", len(rev.ForeignKeys))
		}
		// Columns follow the referenced primary key.
		eq(t, "reversed Columns", rev.ForeignKeys[0].Columns, []string{"parent_a", "parent_b"})
		eq(t, "reversed RefColumns", rev.ForeignKeys[0].RefColumns, []string{"a", "b"})
		eq(t, "reversed Name", rev.ForeignKeys[0].Name, "fk_c_child_reversed_parent_a_parent_b")
	})
	t.Run("unique column", func(t *testing.T) {
		_, ms := register(t, &UParent{}, &UChild{})
		child := ms[1]
		if len(child.ForeignKeys) != 1 {
			t.Fatalf("ForeignKeys = %d", len(child.ForeignKeys))
		}
		eq(t, "Columns", child.ForeignKeys[0].Columns, []string{"parent_code"})
		eq(t, "RefColumns", child.ForeignKeys[0].RefColumns, []string{"code"})
		eq(t, "OnUpdate", child.ForeignKeys[0].OnUpdate, "CASCADE")
	})
	t.Run("self reference", func(t *testing.T) {
		m := registerOne(t, &TreeNode{})
		if len(m.ForeignKeys) != 1 || m.ForeignKeys[0].RefModel != m {
			t.Fatalf("ForeignKeys = %+v", m.ForeignKeys)
		}
		eq(t, "OnDelete", m.ForeignKeys[0].OnDelete, "CASCADE")
	})
	t.Run("untagged field of a many-to-one", func(t *testing.T) {
		r, ms := register(t, &UntaggedFKHero{})
		m := ms[0]
		team, _ := r.Lookup(reflect.TypeFor[Team]())
		f := field(t, m, "TeamID")
		eq(t, "ForeignKey", f.ForeignKey, &schema.ColumnRef{Table: "team", Column: "id"})
		if len(m.ForeignKeys) != 1 || m.ForeignKeys[0].RefModel != team || m.ForeignKeys[0].OnDelete != "" {
			t.Fatalf("ForeignKeys = %+v", m.ForeignKeys)
		}
		eq(t, "Name", m.ForeignKeys[0].Name, "fk_untagged_fk_hero_team_id")
	})
	t.Run("reference to a model registered before", func(t *testing.T) {
		r := schema.NewRegistry()
		tm, err := r.Register(&Team{})
		if err != nil {
			t.Fatal(err)
		}
		ms, err := r.Register(&LaterRef{})
		if err != nil {
			t.Fatal(err)
		}
		fk := ms[0].ForeignKeys[0]
		if fk.RefModel != tm[0] {
			t.Error("RefModel is not the published team model")
		}
		eq(t, "OnDelete", fk.OnDelete, "RESTRICT")
		eq(t, "OnUpdate", fk.OnUpdate, "SET DEFAULT")
	})
}

// ---- relations ----

type Employee struct {
	ID        int64 `sqlmodel:"pk"`
	Name      string
	ManagerID *int64
	Manager   relations.Lazy[Employee]        `sqlmodel:"fk=ManagerID,back_populates=Reports,lazy=raise"`
	Reports   relations.RelatedMany[Employee] `sqlmodel:"fk=ManagerID,back_populates=Manager,order_by=Name"`
}

type User struct {
	ID      int64                   `sqlmodel:"pk"`
	Profile relations.Lazy[Profile] `sqlmodel:"back_populates=User,cascade_delete,delete_orphan"`
}

type Profile struct {
	ID     int64                `sqlmodel:"pk"`
	UserID int64                `sqlmodel:"fk=user.id,unique"`
	User   relations.Lazy[User] `sqlmodel:"back_populates=Profile,lazy=select"`
}

type Club struct {
	ID      int64                         `sqlmodel:"pk"`
	Members relations.RelatedMany[Player] `sqlmodel:"fk=ClubID,order_by=name desc;id asc"`
	Alumni  relations.RelatedMany[Player] `sqlmodel:"fk=FormerClubID,order_by=-Name;ID"`
}

type Player struct {
	ID           int64 `sqlmodel:"pk"`
	Name         string
	ClubID       int64  `sqlmodel:"fk=club.id"`
	FormerClubID *int64 `sqlmodel:"fk=club.id"`
}

func TestManyToOneAndOneToMany(t *testing.T) {
	_, team, hero, _ := heroModels(t)
	ht := relation(t, hero, "Team")
	th := relation(t, team, "Heroes")
	t.Run("many-to-one", func(t *testing.T) {
		eq(t, "Kind", ht.Kind, schema.ManyToOne)
		eq(t, "Name", ht.Name, "Team")
		if ht.Model != hero || ht.Target != team {
			t.Error("Model/Target wrong")
		}
		eq(t, "LocalFields", columnsOf(ht.LocalFields), []string{"team_id"})
		eq(t, "RemoteFields", columnsOf(ht.RemoteFields), []string{"id"})
		if ht.RemoteFields[0] != team.PrimaryKey[0] {
			t.Error("RemoteFields is not team's pk")
		}
		sf, _ := reflect.TypeFor[Hero]().FieldByName("Team")
		eq(t, "Index", ht.Index, sf.Index)
		eq(t, "BackPopulates", ht.BackPopulates, "Heroes")
		if ht.Back != th {
			t.Error("Hero.Team.Back is not Team.Heroes")
		}
		eq(t, "Tag", ht.Tag, "fk=TeamID,back_populates=Heroes")
		if ht.Link != nil || ht.Raise || ht.CascadeDelete {
			t.Error("unexpected Link/Raise/CascadeDelete on Hero.Team")
		}
	})
	t.Run("one-to-many", func(t *testing.T) {
		eq(t, "Kind", th.Kind, schema.OneToMany)
		if th.Model != team || th.Target != hero {
			t.Error("Model/Target wrong")
		}
		eq(t, "LocalFields", columnsOf(th.LocalFields), []string{"id"})
		eq(t, "RemoteFields", columnsOf(th.RemoteFields), []string{"team_id"})
		if th.Back != ht {
			t.Error("Team.Heroes.Back is not Hero.Team")
		}
		if !th.CascadeDelete || !th.PassiveDeletes || !th.DeleteOrphan {
			t.Errorf("cascade=%v passive=%v orphan=%v", th.CascadeDelete, th.PassiveDeletes, th.DeleteOrphan)
		}
		if len(th.OrderBy) != 2 {
			t.Fatalf("OrderBy = %+v", th.OrderBy)
		}
		if th.OrderBy[0].Field != field(t, hero, "Name") || th.OrderBy[0].Desc {
			t.Errorf("OrderBy[0] = %+v, want name asc", th.OrderBy[0])
		}
		if th.OrderBy[1].Field != field(t, hero, "Age") || !th.OrderBy[1].Desc {
			t.Errorf("OrderBy[1] = %+v, want age desc", th.OrderBy[1])
		}
	})
	t.Run("relations listed in field order", func(t *testing.T) {
		var names []string
		for _, r := range hero.Relations {
			names = append(names, r.Name)
		}
		eq(t, "Hero relations", names, []string{"Team", "Powers"})
		if _, ok := hero.Relation("Nope"); ok {
			t.Error("Relation(Nope) found")
		}
		if _, ok := hero.Relation("TeamID"); ok {
			t.Error("a column is reported as a relation")
		}
	})
	t.Run("self-referencing with fk= and lazy=raise", func(t *testing.T) {
		m := registerOne(t, &Employee{})
		mgr := relation(t, m, "Manager")
		rep := relation(t, m, "Reports")
		eq(t, "Manager.Kind", mgr.Kind, schema.ManyToOne)
		eq(t, "Reports.Kind", rep.Kind, schema.OneToMany)
		eq(t, "Manager.LocalFields", columnsOf(mgr.LocalFields), []string{"manager_id"})
		eq(t, "Reports.RemoteFields", columnsOf(rep.RemoteFields), []string{"manager_id"})
		if mgr.Back != rep || rep.Back != mgr {
			t.Error("Back not linked both ways")
		}
		if !mgr.Raise || rep.Raise {
			t.Errorf("Raise: manager=%v reports=%v", mgr.Raise, rep.Raise)
		}
		if len(rep.OrderBy) != 1 || rep.OrderBy[0].Field != field(t, m, "Name") || rep.OrderBy[0].Desc {
			t.Errorf("Reports.OrderBy = %+v", rep.OrderBy)
		}
		if len(m.ForeignKeys) != 1 || m.ForeignKeys[0].RefModel != m {
			t.Errorf("self FK = %+v", m.ForeignKeys)
		}
	})
	t.Run("one-to-many disambiguated with fk=", func(t *testing.T) {
		_, ms := register(t, &Club{})
		club := ms[0]
		mem := relation(t, club, "Members")
		alu := relation(t, club, "Alumni")
		eq(t, "Members.RemoteFields", columnsOf(mem.RemoteFields), []string{"club_id"})
		eq(t, "Alumni.RemoteFields", columnsOf(alu.RemoteFields), []string{"former_club_id"})
		eq(t, "Members.Kind", mem.Kind, schema.OneToMany)
		type term struct {
			col  string
			desc bool
		}
		terms := func(r *schema.Relation) []term {
			var out []term
			for _, o := range r.OrderBy {
				out = append(out, term{o.Field.Column, o.Desc})
			}
			return out
		}
		eq(t, "Members.OrderBy", terms(mem), []term{{"name", true}, {"id", false}})
		eq(t, "Alumni.OrderBy", terms(alu), []term{{"name", true}, {"id", false}})
		if mem.Back != nil || mem.BackPopulates != "" {
			t.Error("Members has a Back without back_populates")
		}
	})
	t.Run("one-to-one reverse", func(t *testing.T) {
		r, ms := register(t, &User{})
		user := ms[0]
		profile, ok := r.Lookup(reflect.TypeFor[Profile]())
		if !ok {
			t.Fatal("Profile not registered")
		}
		up := relation(t, user, "Profile")
		pu := relation(t, profile, "User")
		eq(t, "User.Profile.Kind", up.Kind, schema.OneToOne)
		eq(t, "Profile.User.Kind", pu.Kind, schema.ManyToOne)
		eq(t, "LocalFields", columnsOf(up.LocalFields), []string{"id"})
		eq(t, "RemoteFields", columnsOf(up.RemoteFields), []string{"user_id"})
		if up.LocalFields[0] != user.PrimaryKey[0] || up.RemoteFields[0] != field(t, profile, "UserID") {
			t.Error("fields are not the models' fields")
		}
		if up.Back != pu || pu.Back != up {
			t.Error("Back not linked both ways")
		}
		if !up.CascadeDelete || !up.DeleteOrphan {
			t.Error("cascade_delete/delete_orphan not set on the one-to-one")
		}
		if pu.Raise {
			t.Error("lazy=select set Raise")
		}
	})
}

type Tenant struct {
	ID int64 `sqlmodel:"pk"`
}

type CLeft struct {
	TenantID int64                        `sqlmodel:"pk,fk=tenant.id"`
	Num      int64                        `sqlmodel:"pk"`
	Rights   relations.RelatedMany[Power] `sqlmodel:"link=c_left_power(l_tenant;l_num,r_power)"`
}

type Student struct {
	ID      int64                         `sqlmodel:"pk"`
	Courses relations.RelatedMany[Course] `sqlmodel:"link=enrollment(student_ref,course_ref),back_populates=Students"`
}

type Course struct {
	ID       uint32                         `sqlmodel:"pk"`
	Students relations.RelatedMany[Student] `sqlmodel:"link=enrollment(course_ref,student_ref),back_populates=Courses"`
}

type Person struct {
	ID       int64                         `sqlmodel:"pk"`
	Friends  relations.RelatedMany[Person] `sqlmodel:"link=friendship(person_id,friend_id),back_populates=FriendOf"`
	FriendOf relations.RelatedMany[Person] `sqlmodel:"link=friendship(friend_id,person_id),back_populates=Friends"`
}

type Actor struct {
	ID     int64                        `sqlmodel:"pk"`
	Movies relations.RelatedMany[Movie] `sqlmodel:"link_model=Casting,back_populates=Actors"`
}

type Movie struct {
	ID     int64                        `sqlmodel:"pk"`
	Actors relations.RelatedMany[Actor] `sqlmodel:"link_model=schema_test.Casting,back_populates=Movies"`
	Crew   relations.RelatedMany[Actor] `sqlmodel:"link_model=Crewing(MovieRef,ActorRef)"`
}

type Casting struct {
	ActorID int64 `sqlmodel:"pk,fk=actor.id,ondelete=cascade"`
	MovieID int64 `sqlmodel:"pk,fk=movie.id,ondelete=cascade"`
	Role    string
	Billing int
}

type Crewing struct {
	ID       int64 `sqlmodel:"pk"`
	MovieRef int64
	ActorRef int64
	Job      string
}

func TestManyToMany(t *testing.T) {
	t.Run("link=TABLE", func(t *testing.T) {
		r, _, hero, power := heroModels(t)
		hp := relation(t, hero, "Powers")
		ph := relation(t, power, "Heroes")
		eq(t, "Kind", hp.Kind, schema.ManyToMany)
		if hp.Link == nil || ph.Link == nil {
			t.Fatal("Link is nil")
		}
		link := hp.Link.Model
		if ph.Link.Model != link {
			t.Fatal("the two sides do not share one link model")
		}
		eq(t, "Table()", hp.Link.Table(), "hero_power")
		eq(t, "Link model Table", link.Table, "hero_power")
		eq(t, "Link model Name", link.Name, "hero_power")
		if !link.Link || link.Type != nil || hp.Link.Declared {
			t.Errorf("Link=%v Type=%v Declared=%v", link.Link, link.Type, hp.Link.Declared)
		}
		eq(t, "columns", link.Columns(), []string{"hero_id", "power_id"})
		eq(t, "pk", columnsOf(link.PrimaryKey), []string{"hero_id", "power_id"})
		for _, f := range link.Fields {
			if !f.PrimaryKey || f.Nullable || f.AutoIncrement || f.Kind != schema.KindInt || f.Bits != 64 {
				t.Errorf("%s: pk=%v nullable=%v auto=%v kind=%v bits=%d", f.Column, f.PrimaryKey, f.Nullable, f.AutoIncrement, f.Kind, f.Bits)
			}
			if f.Model != link {
				t.Errorf("%s.Model is not the link model", f.Column)
			}
		}
		if link.AutoIncrement != nil {
			t.Error("link table has an autoincrement column")
		}
		eq(t, "Hero.Powers LocalColumns", columnsOf(hp.Link.LocalColumns), []string{"hero_id"})
		eq(t, "Hero.Powers RemoteColumns", columnsOf(hp.Link.RemoteColumns), []string{"power_id"})
		eq(t, "Power.Heroes LocalColumns", columnsOf(ph.Link.LocalColumns), []string{"power_id"})
		eq(t, "Power.Heroes RemoteColumns", columnsOf(ph.Link.RemoteColumns), []string{"hero_id"})
		if hp.Link.LocalColumns[0] != ph.Link.RemoteColumns[0] {
			t.Error("the sides use different Field values for hero_id")
		}
		eq(t, "LocalFields", columnsOf(hp.LocalFields), []string{"id"})
		if hp.LocalFields[0] != hero.PrimaryKey[0] || hp.RemoteFields[0] != power.PrimaryKey[0] {
			t.Error("LocalFields/RemoteFields are not the primary keys")
		}
		type fkView struct {
			Name, RefTable, OnDelete string
			Columns, RefColumns      []string
		}
		var fks []fkView
		for _, fk := range link.ForeignKeys {
			fks = append(fks, fkView{fk.Name, fk.RefTable, fk.OnDelete, fk.Columns, fk.RefColumns})
		}
		eq(t, "link foreign keys", fks, []fkView{
			{"fk_hero_power_hero_id", "hero", "CASCADE", []string{"hero_id"}, []string{"id"}},
			{"fk_hero_power_power_id", "power", "CASCADE", []string{"power_id"}, []string{"id"}},
		})
		if link.ForeignKeys[0].RefModel != hero || link.ForeignKeys[1].RefModel != power {
			t.Error("link RefModels wrong")
		}
		if hp.Back != ph || ph.Back != hp {
			t.Error("Back not linked both ways")
		}
		if got, ok := r.Table("hero_power"); !ok || got != link {
			t.Error("Table(hero_power) does not return the link model")
		}
	})
	t.Run("link=TABLE(a,b)", func(t *testing.T) {
		r, ms := register(t, &Student{})
		st := ms[0]
		course, _ := r.Lookup(reflect.TypeFor[Course]())
		sc := relation(t, st, "Courses")
		cs := relation(t, course, "Students")
		link := sc.Link.Model
		if cs.Link.Model != link {
			t.Fatal("sides do not share the link model")
		}
		eq(t, "columns", link.Columns(), []string{"student_ref", "course_ref"})
		eq(t, "LocalColumns", columnsOf(sc.Link.LocalColumns), []string{"student_ref"})
		eq(t, "RemoteColumns", columnsOf(sc.Link.RemoteColumns), []string{"course_ref"})
		cr := field(t, link, "course_ref")
		if cr.Kind != schema.KindUint || cr.Bits != 32 || cr.Type != reflect.TypeFor[uint32]() {
			t.Errorf("course_ref copies the pk type: kind=%v bits=%d type=%v", cr.Kind, cr.Bits, cr.Type)
		}
		eq(t, "ForeignKey", cr.ForeignKey, &schema.ColumnRef{Table: "course", Column: "id"})
		if sc.Back != cs || cs.Back != sc {
			t.Error("Back not linked")
		}
	})
	t.Run("composite link columns", func(t *testing.T) {
		_, ms := register(t, &CLeft{}, &Tenant{})
		rel := relation(t, ms[0], "Rights")
		link := rel.Link.Model
		eq(t, "columns", link.Columns(), []string{"l_tenant", "l_num", "r_power"})
		eq(t, "LocalColumns", columnsOf(rel.Link.LocalColumns), []string{"l_tenant", "l_num"})
		var fks [][]string
		for _, fk := range link.ForeignKeys {
			fks = append(fks, fk.Columns)
		}
		eq(t, "link FKs (composite grouped)", fks, [][]string{{"l_tenant", "l_num"}, {"r_power"}})
		eq(t, "composite name", link.ForeignKeys[0].Name, "fk_c_left_power_l_tenant_l_num")
	})
	t.Run("self-referencing with explicit columns", func(t *testing.T) {
		m := registerOne(t, &Person{})
		fr := relation(t, m, "Friends")
		fo := relation(t, m, "FriendOf")
		if fr.Link.Model != fo.Link.Model {
			t.Fatal("Friends and FriendOf do not share the link model")
		}
		eq(t, "Friends LocalColumns", columnsOf(fr.Link.LocalColumns), []string{"person_id"})
		eq(t, "Friends RemoteColumns", columnsOf(fr.Link.RemoteColumns), []string{"friend_id"})
		eq(t, "FriendOf LocalColumns", columnsOf(fo.Link.LocalColumns), []string{"friend_id"})
		if fr.Back != fo || fo.Back != fr {
			t.Error("Back not linked")
		}
		if n := len(fr.Link.Model.ForeignKeys); n != 2 {
			t.Errorf("link table has %d FKs, want 2 single-column ones", n)
		}
	})
	t.Run("link_model", func(t *testing.T) {
		r, ms := register(t, &Actor{}, &Casting{}, &Crewing{})
		actor := ms[0]
		casting := ms[1]
		movie, _ := r.Lookup(reflect.TypeFor[Movie]())
		am := relation(t, actor, "Movies")
		ma := relation(t, movie, "Actors")
		if am.Kind != schema.ManyToMany || !am.Link.Declared || am.Link.Model != casting || ma.Link.Model != casting {
			t.Fatalf("Actor.Movies: kind=%v link=%+v", am.Kind, am.Link)
		}
		eq(t, "Table()", am.Link.Table(), "casting")
		if casting.Link {
			t.Error("a link_model struct is marked Link (a synthesised link table)")
		}
		eq(t, "LocalColumns", columnsOf(am.Link.LocalColumns), []string{"actor_id"})
		eq(t, "RemoteColumns", columnsOf(am.Link.RemoteColumns), []string{"movie_id"})
		if am.Link.LocalColumns[0] != field(t, casting, "ActorID") {
			t.Error("LocalColumns are not the link_model's fields")
		}
		eq(t, "casting columns (extra columns kept)", casting.Columns(), []string{"actor_id", "movie_id", "role", "billing"})
		if am.Back != ma || ma.Back != am {
			t.Error("Back not linked")
		}
		crew := relation(t, movie, "Crew")
		crewing := ms[2]
		eq(t, "Crew LocalColumns", columnsOf(crew.Link.LocalColumns), []string{"movie_ref"})
		eq(t, "Crew RemoteColumns", columnsOf(crew.Link.RemoteColumns), []string{"actor_ref"})
		var fks []string
		for _, fk := range crewing.ForeignKeys {
			fks = append(fks, fk.Name+"->"+fk.RefTable)
		}
		eq(t, "untagged link_model fields become FKs", fks, []string{"fk_crewing_movie_ref->movie", "fk_crewing_actor_ref->actor"})
	})
}

type LinkTwice1 struct {
	ID     int64                        `sqlmodel:"pk"`
	Powers relations.RelatedMany[Power] `sqlmodel:"link=shared_powers"`
}

type LinkTwice2 struct {
	ID     int64                        `sqlmodel:"pk"`
	Powers relations.RelatedMany[Power] `sqlmodel:"link=shared_powers2"`
}

func TestLinkTableAcrossRegistrations(t *testing.T) {
	r := schema.NewRegistry()
	first, err := r.Register(&Hero{})
	if err != nil {
		t.Fatal(err)
	}
	link, ok := r.Table("hero_power")
	if !ok {
		t.Fatal("hero_power not published")
	}
	// Registering a second time returns the cached models unchanged.
	again, err := r.Register(&Hero{}, &Power{}, &Team{})
	if err != nil {
		t.Fatal(err)
	}
	if again[0] != first[0] {
		t.Error("second Register returned a new Hero model")
	}
	if l2, _ := r.Table("hero_power"); l2 != link {
		t.Error("second Register replaced the link model")
	}
	ms, err := r.Register(&LinkTwice1{}, &LinkTwice2{})
	if err != nil {
		t.Fatal(err)
	}
	if relation(t, ms[0], "Powers").Link.Model == relation(t, ms[1], "Powers").Link.Model {
		t.Error("different link tables share a model")
	}
	pm, _ := r.Lookup(reflect.TypeFor[Power]())
	if len(pm.Relations) != 1 {
		t.Errorf("Power gained relations from later registrations: %d", len(pm.Relations))
	}
}

// ---- lookups ----

type Unregistered struct {
	ID int64 `sqlmodel:"pk"`
}

func TestLookupAndModelOf(t *testing.T) {
	r, team, hero, power := heroModels(t)
	t.Run("Lookup", func(t *testing.T) {
		cases := []struct {
			name string
			typ  reflect.Type
			want *schema.Model
		}{
			{"struct type", reflect.TypeFor[Hero](), hero},
			{"pointer type", reflect.TypeFor[*Hero](), hero},
			{"reached through relation", reflect.TypeFor[Team](), team},
			{"unregistered", reflect.TypeFor[Unregistered](), nil},
			{"nil", nil, nil},
			{"int", reflect.TypeFor[int](), nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, ok := r.Lookup(tc.typ)
				if ok != (tc.want != nil) || got != tc.want {
					t.Errorf("Lookup(%v) = %v, %v", tc.typ, got, ok)
				}
			})
		}
	})
	t.Run("ModelOf", func(t *testing.T) {
		var nilHero *Hero
		cases := []struct {
			name string
			obj  any
			want *schema.Model
			msg  string
		}{
			{"pointer", &Hero{}, hero, ""},
			{"pointer to related model", &Power{}, power, ""},
			{"nil", nil, nil, "nil value"},
			{"non-pointer struct", Hero{}, nil, "is not a pointer to a struct"},
			{"pointer to non-struct", ptr(5), nil, "is not a pointer to a struct"},
			{"nil pointer", nilHero, nil, "nil *schema_test.Hero"},
			{"unregistered", &Unregistered{}, nil, "schema_test.Unregistered is not a registered model"},
			{"pointer to pointer", ptr(&Hero{}), nil, "is not a pointer to a struct"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := r.ModelOf(tc.obj)
				if tc.want != nil {
					if err != nil || got != tc.want {
						t.Fatalf("ModelOf = %v, %v", got, err)
					}
					return
				}
				if !errors.Is(err, schema.ErrUnmapped) {
					t.Fatalf("ModelOf error = %v, want ErrUnmapped", err)
				}
				if errors.Is(err, schema.ErrInvalidTag) {
					t.Error("ErrUnmapped error matches ErrInvalidTag")
				}
				if got != nil {
					t.Errorf("ModelOf returned %v with an error", got)
				}
				mustContain(t, err.Error(), tc.msg)
			})
		}
	})
	t.Run("Table", func(t *testing.T) {
		for table, want := range map[string]*schema.Model{"hero": hero, "team": team, "power": power} {
			if got, ok := r.Table(table); !ok || got != want {
				t.Errorf("Table(%q) = %v, %v", table, got, ok)
			}
		}
		if _, ok := r.Table("unregistered"); ok {
			t.Error("Table(unregistered) found")
		}
	})
	t.Run("Models", func(t *testing.T) {
		eq(t, "tables", tablesOf(r.Models()), []string{"hero", "hero_power", "power", "team"})
		empty := schema.NewRegistry()
		if n := len(empty.Models()); n != 0 {
			t.Errorf("empty registry has %d models", n)
		}
		if _, ok := empty.Table("hero"); ok {
			t.Error("empty registry finds a table")
		}
	})
	t.Run("PointerOf and New", func(t *testing.T) {
		h := &Hero{Name: "x"}
		p, ok := hero.PointerOf(h)
		if !ok || p != unsafe.Pointer(h) {
			t.Errorf("PointerOf(&Hero) = %v, %v", p, ok)
		}
		for _, bad := range []any{Hero{}, &Team{}, (*Hero)(nil), nil, 3} {
			if _, ok := hero.PointerOf(bad); ok {
				t.Errorf("PointerOf(%T) ok", bad)
			}
		}
		obj, np := hero.New()
		hp, ok := obj.(*Hero)
		if !ok || unsafe.Pointer(hp) != np || hp.Name != "" {
			t.Errorf("New() = %T %v", obj, np)
		}
	})
	t.Run("Register returns cached models", func(t *testing.T) {
		ms, err := r.Register(Hero{}, reflect.TypeFor[*Team](), &Power{})
		if err != nil {
			t.Fatal(err)
		}
		if ms[0] != hero || ms[1] != team || ms[2] != power {
			t.Error("Register did not return the published models in argument order")
		}
	})
}

// ---- concurrency ----

type ConcA struct {
	ID   int64                        `sqlmodel:"pk"`
	Bs   relations.RelatedMany[ConcB] `sqlmodel:"back_populates=A"`
	Name string
}

type ConcB struct {
	ID  int64                 `sqlmodel:"pk"`
	AID int64                 `sqlmodel:"fk=conc_a.id"`
	A   relations.Lazy[ConcA] `sqlmodel:"back_populates=Bs"`
}

type ConcC struct {
	ID int64                        `sqlmodel:"pk"`
	Ds relations.RelatedMany[ConcD] `sqlmodel:"link=conc_c_d"`
}

type ConcD struct {
	ID int64 `sqlmodel:"pk"`
}

type ConcE struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
}

func TestConcurrentRegisterAndLookup(t *testing.T) {
	r := schema.NewRegistry()
	types := []any{&ConcA{}, &ConcB{}, &ConcC{}, &ConcD{}, &ConcE{}}
	const workers = 16
	results := make([][]*schema.Model, workers)
	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-start
			res := make([]*schema.Model, len(types))
			for i := 0; i < len(types); i++ {
				k := (w + i) % len(types)
				// Interleave lookups with registration.
				if m, ok := r.Lookup(reflect.TypeOf(types[k])); ok {
					res[k] = m
				}
				ms, err := r.Register(types[k])
				if err != nil {
					errs[w] = err
					return
				}
				if res[k] != nil && res[k] != ms[0] {
					errs[w] = fmt.Errorf("Lookup and Register disagree on %T", types[k])
					return
				}
				res[k] = ms[0]
				_ = r.Models()
				_, _ = r.Table("conc_c_d")
			}
			results[w] = res
		}(w)
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", w, err)
		}
	}
	for k, typ := range types {
		want, ok := r.Lookup(reflect.TypeOf(typ))
		if !ok {
			t.Fatalf("%T not published", typ)
		}
		for w := range results {
			if results[w][k] != want {
				t.Errorf("worker %d got a different *Model for %T", w, typ)
			}
		}
	}
	a, _ := r.Lookup(reflect.TypeFor[ConcA]())
	b, _ := r.Lookup(reflect.TypeFor[ConcB]())
	if relation(t, a, "Bs").Target != b || relation(t, b, "A").Target != a {
		t.Error("relations point at models other than the published ones")
	}
	eq(t, "tables", tablesOf(r.Models()), []string{"conc_a", "conc_b", "conc_c", "conc_c_d", "conc_d", "conc_e"})
}

type OwnedByTeam struct {
	TeamID *int64
	Team   relations.Lazy[Team] `sqlmodel:"lazy=raise"`
}

type EmbRelDoc struct {
	ID int64 `sqlmodel:"pk"`
	OwnedByTeam
}

func TestRelationInEmbeddedStruct(t *testing.T) {
	r, ms := register(t, &EmbRelDoc{})
	m := ms[0]
	team, _ := r.Lookup(reflect.TypeFor[Team]())
	rel := relation(t, m, "Team")
	eq(t, "Index", rel.Index, []int{1, 1})
	eq(t, "Kind", rel.Kind, schema.ManyToOne)
	if rel.Target != team || !rel.Raise {
		t.Errorf("Target=%v Raise=%v", rel.Target, rel.Raise)
	}
	eq(t, "LocalFields", columnsOf(rel.LocalFields), []string{"team_id"})
	eq(t, "LocalFields path", rel.LocalFields[0].Path, "OwnedByTeam.TeamID")
	if len(m.ForeignKeys) != 1 || m.ForeignKeys[0].RefModel != team || !m.ForeignKeys[0].Nullable() {
		t.Errorf("ForeignKeys = %+v", m.ForeignKeys)
	}
}
