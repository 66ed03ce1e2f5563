package orm_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// The model set of orm/dialect/ddl_test.go (the golden DDL), with table names
// prefixed ddl_: every column tag option and every supported Go type,
// created on the real databases and read back from their catalogs.

type DDLPowerKind string

type DDLLevel int

// DDLPoint is a custom Scanner/Valuer stored as the text "x,y".
type DDLPoint struct{ X, Y int }

func (p DDLPoint) Value() (driver.Value, error) { return fmt.Sprintf("%d,%d", p.X, p.Y), nil }

func (p *DDLPoint) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("DDLPoint: cannot scan %T", src)
	}
	_, err := fmt.Sscanf(s, "%d,%d", &p.X, &p.Y)
	return err
}

type DDLInfo struct {
	Origin string `json:"origin"`
	Rank   int    `json:"rank"`
}

type DDLTeam struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique,size=100"`
	Headquarters string
	Budget       float64 `sqlmodel:"default=0"`
	Active       bool    `sqlmodel:"default=true"`
}

type DDLPower struct {
	ID    int32        `sqlmodel:"pk,autoincrement"`
	Name  string       `sqlmodel:"size=50,unique_index=uix_ddl_power_name"`
	Kind  DDLPowerKind `sqlmodel:"index=ix_ddl_power_kind_level"`
	Level DDLLevel     `sqlmodel:"index=ix_ddl_power_kind_level"`
}

type DDLHero struct {
	ID         int64                     `sqlmodel:"pk"`
	Name       string                    `sqlmodel:"index"`
	SecretName string                    `sqlmodel:"column=secret_alias,size=64,notnull"`
	Age        *int                      // pointer: NULL allowed
	Nickname   string                    `sqlmodel:"nullable"`
	Rank       *int                      `sqlmodel:"notnull,default=1"`
	TeamID     *int64                    `sqlmodel:"fk=ddl_team.id,ondelete=set null,onupdate=cascade"`
	TeamName   *string                   `sqlmodel:"fk=ddl_team.name,onupdate=cascade"`
	MentorID   *int64                    `sqlmodel:"fk=ddl_hero.id,ondelete=set null"`
	Version    int64                     `sqlmodel:"version"`
	Powers     orm.RelatedMany[DDLPower] `sqlmodel:"link=ddl_hero_power"`
	Rivals     orm.RelatedMany[DDLHero]  `sqlmodel:"link=ddl_hero_rival(hero_id,rival_id)"`
	Ignored    string                    `sqlmodel:"-"`
}

type DDLMembership struct {
	TeamID   int64  `sqlmodel:"pk,fk=ddl_team.id,ondelete=cascade,onupdate=restrict"`
	HeroID   int64  `sqlmodel:"pk,fk=ddl_hero.id,ondelete=restrict,onupdate=no action"`
	Role     string `sqlmodel:"size=20,default='member'"`
	JoinedAt time.Time
}

type DDLMembershipNote struct {
	ID     int64 `sqlmodel:"pk,noautoincrement"`
	TeamID int64 `sqlmodel:"fk=ddl_membership.team_id,ondelete=no action,unique_index=uix_ddl_note_member"`
	HeroID int64 `sqlmodel:"fk=ddl_membership.hero_id,ondelete=no action,unique_index=uix_ddl_note_member"`
	Body   string
}

type DDLAllTypes struct {
	ID uint64 `sqlmodel:"pk"`

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
	Float32 float32
	Float64 float64
	Bool    bool
	String  string
	Bytes   []byte
	Time    time.Time

	PInt     *int
	PInt8    *int8
	PInt16   *int16
	PInt32   *int32
	PInt64   *int64
	PUint    *uint
	PUint8   *uint8
	PUint16  *uint16
	PUint32  *uint32
	PUint64  *uint64
	PFloat32 *float32
	PFloat64 *float64
	PBool    *bool
	PString  *string
	PBytes   *[]byte
	PTime    *time.Time

	NullString  sql.NullString
	NullInt64   sql.NullInt64
	NullInt32   sql.NullInt32
	NullInt16   sql.NullInt16
	NullByte    sql.NullByte
	NullFloat64 sql.NullFloat64
	NullBool    sql.NullBool
	NullTime    sql.NullTime
	NullGeneric sql.Null[int64]

	Kind  DDLPowerKind
	Level DDLLevel
	Point DDLPoint `sqlmodel:"type=VARCHAR(40)"`

	Raw  json.RawMessage
	Meta map[string]any `sqlmodel:"json"`
	Info DDLInfo        `sqlmodel:"json"`
	Tags []string       `sqlmodel:"json"`

	Code  string  `sqlmodel:"size=8"`
	Hash  []byte  `sqlmodel:"size=32"`
	Price float64 `sqlmodel:"type=NUMERIC(10,2)"`
}

// DDLSidekick uses SET DEFAULT, which the mysql dialect refuses (InnoDB has
// no such action).
type DDLSidekick struct {
	ID     int64 `sqlmodel:"pk"`
	HeroID int64 `sqlmodel:"fk=ddl_hero.id,ondelete=set default,onupdate=set default,default=0"`
}

func ddlModels() []any {
	return []any{&DDLTeam{}, &DDLPower{}, &DDLHero{}, &DDLMembership{}, &DDLMembershipNote{}, &DDLAllTypes{}}
}

// ---------------------------------------------------------------- catalog

// dbColumn is a column as the database reports it.
type dbColumn struct {
	Name     string
	Nullable bool
}

// dbForeignKey is a foreign key as the database reports it. Name is empty on
// SQLite, which does not report constraint names.
type dbForeignKey struct {
	Name       string
	Columns    []string
	RefTable   string
	RefColumns []string
	OnDelete   string // CASCADE, SET NULL, SET DEFAULT, RESTRICT, NO ACTION
	OnUpdate   string
}

// dbIndex is an index that is neither the primary key nor the index behind
// a UNIQUE constraint (on MySQL, which makes no such difference, every
// non-primary index).
type dbIndex struct {
	Name    string
	Columns []string
	Unique  bool
}

type dbTable struct {
	Columns     []dbColumn
	PrimaryKey  []string
	ForeignKeys []dbForeignKey
	Indexes     []dbIndex
	// Uniques are the UNIQUE constraints, by columns (on MySQL every unique
	// index is one).
	Uniques [][]string
}

// catalogQuery runs q on db's pool and calls scan for every row.
func catalogQuery(t *testing.T, db *orm.DB, q string, args []any, scan func(*sql.Rows) error) {
	t.Helper()
	rows, err := db.SQL().QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("catalog query %q: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			t.Fatalf("catalog scan %q: %v", q, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("catalog rows %q: %v", q, err)
	}
}

// listTables returns the tables of the test's schema/database, sorted.
func listTables(t *testing.T, db *orm.DB) []string {
	t.Helper()
	var q string
	switch db.Dialect().Name() {
	case "postgres":
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	case "mysql":
		q = `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`
	case "sqlite":
		q = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`
	}
	var out []string
	catalogQuery(t, db, q, nil, func(r *sql.Rows) error {
		var s string
		err := r.Scan(&s)
		out = append(out, s)
		return err
	})
	sort.Strings(out)
	return out
}

var pgActions = map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

// introspect reads a table back from the database catalog: PostgreSQL from
// information_schema and pg_catalog in current_schema(), MySQL from
// information_schema in DATABASE(), SQLite from its pragma functions.
func introspect(t *testing.T, db *orm.DB, table string) dbTable {
	t.Helper()
	var ti dbTable
	args := []any{table}
	// Foreign keys and indexes come one row per column, in key order.
	fkByName := map[string]*dbForeignKey{}
	var fkOrder []string
	addFK := func(name, ref, onDel, onUpd, col, refCol string) {
		fk := fkByName[name]
		if fk == nil {
			fk = &dbForeignKey{Name: name, RefTable: ref, OnDelete: onDel, OnUpdate: onUpd}
			fkByName[name] = fk
			fkOrder = append(fkOrder, name)
		}
		fk.Columns = append(fk.Columns, col)
		fk.RefColumns = append(fk.RefColumns, refCol)
	}
	ixByName := map[string]*dbIndex{}
	var ixOrder []string
	addIx := func(name string, unique bool, col string) {
		ix := ixByName[name]
		if ix == nil {
			ix = &dbIndex{Name: name, Unique: unique}
			ixByName[name] = ix
			ixOrder = append(ixOrder, name)
		}
		ix.Columns = append(ix.Columns, col)
	}
	uqByName := map[string][]string{}
	var uqOrder []string
	addUq := func(name, col string) {
		if _, ok := uqByName[name]; !ok {
			uqOrder = append(uqOrder, name)
		}
		uqByName[name] = append(uqByName[name], col)
	}

	switch db.Dialect().Name() {
	case "postgres":
		catalogQuery(t, db, `SELECT column_name, is_nullable = 'YES' FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, args,
			func(r *sql.Rows) error {
				var c dbColumn
				err := r.Scan(&c.Name, &c.Nullable)
				ti.Columns = append(ti.Columns, c)
				return err
			})
		const rel = `JOIN pg_class c ON c.oid = %s JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() AND c.relname = $1`
		catalogQuery(t, db, `SELECT a.attname FROM pg_index i `+fmt.Sprintf(rel, "i.indrelid")+`
			CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
			WHERE i.indisprimary ORDER BY k.ord`, args,
			func(r *sql.Rows) error {
				var s string
				err := r.Scan(&s)
				ti.PrimaryKey = append(ti.PrimaryKey, s)
				return err
			})
		catalogQuery(t, db, `SELECT con.conname, rc.relname, con.confdeltype::text, con.confupdtype::text, a.attname, ra.attname
			FROM pg_constraint con `+fmt.Sprintf(rel, "con.conrelid")+`
			JOIN pg_class rc ON rc.oid = con.confrelid
			CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, refnum, ord)
			JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
			JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.refnum
			WHERE con.contype = 'f' ORDER BY con.conname, k.ord`, args,
			func(r *sql.Rows) error {
				var name, ref, del, upd, col, refCol string
				err := r.Scan(&name, &ref, &del, &upd, &col, &refCol)
				addFK(name, ref, pgActions[del], pgActions[upd], col, refCol)
				return err
			})
		// Indexes that back no PRIMARY KEY or UNIQUE constraint.
		catalogQuery(t, db, `SELECT ic.relname, i.indisunique, a.attname FROM pg_index i `+fmt.Sprintf(rel, "i.indrelid")+`
			JOIN pg_class ic ON ic.oid = i.indexrelid
			CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
			WHERE NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid AND x.contype IN ('p', 'u'))
			ORDER BY ic.relname, k.ord`, args,
			func(r *sql.Rows) error {
				var name, col string
				var unique bool
				err := r.Scan(&name, &unique, &col)
				addIx(name, unique, col)
				return err
			})
		catalogQuery(t, db, `SELECT tc.constraint_name, k.column_name FROM information_schema.table_constraints tc
			JOIN information_schema.key_column_usage k ON k.constraint_schema = tc.constraint_schema
				AND k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name
			WHERE tc.constraint_type = 'UNIQUE' AND tc.table_schema = current_schema() AND tc.table_name = $1
			ORDER BY tc.constraint_name, k.ordinal_position`, args,
			func(r *sql.Rows) error {
				var name, col string
				err := r.Scan(&name, &col)
				addUq(name, col)
				return err
			})
	case "mysql":
		catalogQuery(t, db, `SELECT COLUMN_NAME, IS_NULLABLE = 'YES' FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, args,
			func(r *sql.Rows) error {
				var c dbColumn
				err := r.Scan(&c.Name, &c.Nullable)
				ti.Columns = append(ti.Columns, c)
				return err
			})
		catalogQuery(t, db, `SELECT INDEX_NAME, NON_UNIQUE = 0, COLUMN_NAME FROM information_schema.STATISTICS
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`, args,
			func(r *sql.Rows) error {
				var name, col string
				var unique bool
				err := r.Scan(&name, &unique, &col)
				if name == "PRIMARY" {
					ti.PrimaryKey = append(ti.PrimaryKey, col)
				} else {
					addIx(name, unique, col)
				}
				return err
			})
		catalogQuery(t, db, `SELECT k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, rc.DELETE_RULE, rc.UPDATE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME
			FROM information_schema.KEY_COLUMN_USAGE k
			JOIN information_schema.REFERENTIAL_CONSTRAINTS rc ON rc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA
				AND rc.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND rc.TABLE_NAME = k.TABLE_NAME
			WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
			ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION`, args,
			func(r *sql.Rows) error {
				var name, ref, del, upd, col, refCol string
				err := r.Scan(&name, &ref, &del, &upd, &col, &refCol)
				addFK(name, ref, del, upd, col, refCol)
				return err
			})
		catalogQuery(t, db, `SELECT tc.CONSTRAINT_NAME, k.COLUMN_NAME FROM information_schema.TABLE_CONSTRAINTS tc
			JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA
				AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME AND k.TABLE_NAME = tc.TABLE_NAME
			WHERE tc.CONSTRAINT_TYPE = 'UNIQUE' AND tc.TABLE_SCHEMA = DATABASE() AND tc.TABLE_NAME = ?
			ORDER BY tc.CONSTRAINT_NAME, k.ORDINAL_POSITION`, args,
			func(r *sql.Rows) error {
				var name, col string
				err := r.Scan(&name, &col)
				addUq(name, col)
				return err
			})
	case "sqlite":
		type pkCol struct {
			name string
			pos  int
		}
		var pks []pkCol
		intPK := false
		catalogQuery(t, db, `SELECT name, "notnull", pk, type FROM pragma_table_info(?) ORDER BY cid`, args,
			func(r *sql.Rows) error {
				var c dbColumn
				var notNull bool
				var pk int
				var typ string
				err := r.Scan(&c.Name, &notNull, &pk, &typ)
				c.Nullable = !notNull
				if pk > 0 {
					pks = append(pks, pkCol{c.Name, pk})
					if strings.EqualFold(typ, "INTEGER") {
						intPK = true
					}
				}
				ti.Columns = append(ti.Columns, c)
				return err
			})
		sort.Slice(pks, func(i, j int) bool { return pks[i].pos < pks[j].pos })
		for _, p := range pks {
			ti.PrimaryKey = append(ti.PrimaryKey, p.name)
		}
		// A single INTEGER PRIMARY KEY is the rowid, which cannot be NULL
		// although pragma_table_info reports notnull = 0 for it.
		if len(pks) == 1 && intPK {
			for i := range ti.Columns {
				if ti.Columns[i].Name == pks[0].name {
					ti.Columns[i].Nullable = false
				}
			}
		}
		catalogQuery(t, db, `SELECT id, "table", "from", "to", on_delete, on_update FROM pragma_foreign_key_list(?) ORDER BY id, seq`, args,
			func(r *sql.Rows) error {
				var id int
				var ref, col, refCol, del, upd string
				err := r.Scan(&id, &ref, &col, &refCol, &del, &upd)
				addFK(fmt.Sprint(id), ref, del, upd, col, refCol)
				return err
			})
		type ixRow struct {
			name   string
			unique bool
			origin string
		}
		var ixs []ixRow
		catalogQuery(t, db, `SELECT name, "unique", origin FROM pragma_index_list(?) ORDER BY name`, args,
			func(r *sql.Rows) error {
				var x ixRow
				err := r.Scan(&x.name, &x.unique, &x.origin)
				ixs = append(ixs, x)
				return err
			})
		for _, x := range ixs {
			catalogQuery(t, db, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, []any{x.name},
				func(r *sql.Rows) error {
					var col string
					err := r.Scan(&col)
					switch x.origin {
					case "u":
						addUq(x.name, col)
					case "c":
						addIx(x.name, x.unique, col)
					}
					return err
				})
		}
	default:
		t.Fatalf("introspect: unknown dialect %s", db.Dialect().Name())
	}
	for _, n := range fkOrder {
		fk := *fkByName[n]
		if db.Dialect().Name() == "sqlite" {
			fk.Name = ""
		}
		ti.ForeignKeys = append(ti.ForeignKeys, fk)
	}
	for _, n := range ixOrder {
		ti.Indexes = append(ti.Indexes, *ixByName[n])
	}
	for _, n := range uqOrder {
		ti.Uniques = append(ti.Uniques, uqByName[n])
	}
	return ti
}

// ---------------------------------------------------------------- expectations

// cols describes columns compactly: a trailing "!" marks NOT NULL.
func cols(specs ...string) []dbColumn {
	out := make([]dbColumn, len(specs))
	for i, s := range specs {
		name, notNull := strings.CutSuffix(s, "!")
		out[i] = dbColumn{Name: name, Nullable: !notNull}
	}
	return out
}

type wantTable struct {
	Columns     []dbColumn
	PrimaryKey  []string
	ForeignKeys []dbForeignKey // OnDelete/OnUpdate "" = the database's default (NO ACTION / RESTRICT)
	Indexes     []dbIndex      // declared indexes (index, index=NAME, unique_index=NAME)
	Uniques     [][]string     // columns with the unique option
}

func ddlExpected() map[string]wantTable {
	return map[string]wantTable{
		"ddl_team": {
			Columns:    cols("id!", "name!", "headquarters!", "budget!", "active!"),
			PrimaryKey: []string{"id"},
			Uniques:    [][]string{{"name"}},
		},
		"ddl_power": {
			Columns:    cols("id!", "name!", "kind!", "level!"),
			PrimaryKey: []string{"id"},
			Indexes: []dbIndex{
				{Name: "ix_ddl_power_kind_level", Columns: []string{"kind", "level"}},
				{Name: "uix_ddl_power_name", Columns: []string{"name"}, Unique: true},
			},
		},
		"ddl_hero": {
			Columns: cols("id!", "name!", "secret_alias!", "age", "nickname", "rank!", "team_id", "team_name", "mentor_id",
				"version!"),
			PrimaryKey: []string{"id"},
			ForeignKeys: []dbForeignKey{
				{Name: "fk_ddl_hero_mentor_id", Columns: []string{"mentor_id"}, RefTable: "ddl_hero", RefColumns: []string{"id"}, OnDelete: "SET NULL"},
				{Name: "fk_ddl_hero_team_id", Columns: []string{"team_id"}, RefTable: "ddl_team", RefColumns: []string{"id"}, OnDelete: "SET NULL", OnUpdate: "CASCADE"},
				{Name: "fk_ddl_hero_team_name", Columns: []string{"team_name"}, RefTable: "ddl_team", RefColumns: []string{"name"}, OnUpdate: "CASCADE"},
			},
			Indexes: []dbIndex{{Name: "idx_ddl_hero_name", Columns: []string{"name"}}},
		},
		"ddl_hero_power": {
			Columns:    cols("ddl_hero_id!", "ddl_power_id!"),
			PrimaryKey: []string{"ddl_hero_id", "ddl_power_id"},
			ForeignKeys: []dbForeignKey{
				{Name: "fk_ddl_hero_power_ddl_hero_id", Columns: []string{"ddl_hero_id"}, RefTable: "ddl_hero", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
				{Name: "fk_ddl_hero_power_ddl_power_id", Columns: []string{"ddl_power_id"}, RefTable: "ddl_power", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
			},
		},
		"ddl_hero_rival": {
			Columns:    cols("hero_id!", "rival_id!"),
			PrimaryKey: []string{"hero_id", "rival_id"},
			ForeignKeys: []dbForeignKey{
				{Name: "fk_ddl_hero_rival_hero_id", Columns: []string{"hero_id"}, RefTable: "ddl_hero", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
				{Name: "fk_ddl_hero_rival_rival_id", Columns: []string{"rival_id"}, RefTable: "ddl_hero", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
			},
		},
		"ddl_membership": {
			Columns:    cols("team_id!", "hero_id!", "role!", "joined_at!"),
			PrimaryKey: []string{"team_id", "hero_id"},
			ForeignKeys: []dbForeignKey{
				{Name: "fk_ddl_membership_hero_id", Columns: []string{"hero_id"}, RefTable: "ddl_hero", RefColumns: []string{"id"}, OnDelete: "RESTRICT", OnUpdate: "NO ACTION"},
				{Name: "fk_ddl_membership_team_id", Columns: []string{"team_id"}, RefTable: "ddl_team", RefColumns: []string{"id"}, OnDelete: "CASCADE", OnUpdate: "RESTRICT"},
			},
		},
		"ddl_membership_note": {
			Columns:    cols("id!", "team_id!", "hero_id!", "body!"),
			PrimaryKey: []string{"id"},
			ForeignKeys: []dbForeignKey{
				{Name: "fk_ddl_membership_note_team_id_hero_id", Columns: []string{"team_id", "hero_id"}, RefTable: "ddl_membership",
					RefColumns: []string{"team_id", "hero_id"}, OnDelete: "NO ACTION"},
			},
			Indexes: []dbIndex{{Name: "uix_ddl_note_member", Columns: []string{"team_id", "hero_id"}, Unique: true}},
		},
		"ddl_all_types": {
			Columns: cols("id!",
				"int!", "int8!", "int16!", "int32!", "int64!", "uint!", "uint8!", "uint16!", "uint32!", "uint64!",
				"float32!", "float64!", "bool!", "string!", "bytes", "time!",
				"p_int", "p_int8", "p_int16", "p_int32", "p_int64", "p_uint", "p_uint8", "p_uint16", "p_uint32", "p_uint64",
				"p_float32", "p_float64", "p_bool", "p_string", "p_bytes", "p_time",
				"null_string", "null_int64", "null_int32", "null_int16", "null_byte", "null_float64", "null_bool", "null_time", "null_generic",
				"kind!", "level!", "point!",
				"raw", "meta", "info!", "tags",
				"code!", "hash", "price!"),
			PrimaryKey: []string{"id"},
		},
		"ddl_sidekick": {
			Columns:    cols("id!", "hero_id!"),
			PrimaryKey: []string{"id"},
			ForeignKeys: []dbForeignKey{
				{Name: "fk_ddl_sidekick_hero_id", Columns: []string{"hero_id"}, RefTable: "ddl_hero", RefColumns: []string{"id"}, OnDelete: "SET DEFAULT", OnUpdate: "SET DEFAULT"},
			},
		},
	}
}

func colKey(cs []string) string { return strings.Join(cs, ",") }

func fkKey(fk dbForeignKey) string { return colKey(fk.Columns) + "->" + fk.RefTable }

// defaultAction reports whether got is what the database reports for a
// foreign key without an explicit action.
func defaultAction(dialectName, got string) bool {
	if dialectName == "mysql" {
		return got == "RESTRICT" || got == "NO ACTION"
	}
	return got == "NO ACTION"
}

// checkTable compares a table read from the catalog with the expectation.
func checkTable(t *testing.T, db *orm.DB, table string, got dbTable, want wantTable) {
	t.Helper()
	name := db.Dialect().Name()
	if !slices.Equal(got.Columns, want.Columns) {
		t.Errorf("%s: columns (name, nullable)\n got  %v\n want %v", table, got.Columns, want.Columns)
	}
	if !slices.Equal(got.PrimaryKey, want.PrimaryKey) {
		t.Errorf("%s: primary key %v, want %v", table, got.PrimaryKey, want.PrimaryKey)
	}

	gotFK := map[string]dbForeignKey{}
	for _, fk := range got.ForeignKeys {
		if _, dup := gotFK[fkKey(fk)]; dup {
			t.Errorf("%s: foreign key %s exists twice", table, fkKey(fk))
		}
		gotFK[fkKey(fk)] = fk
	}
	if len(got.ForeignKeys) != len(want.ForeignKeys) {
		t.Errorf("%s: %d foreign keys, want %d: %+v", table, len(got.ForeignKeys), len(want.ForeignKeys), got.ForeignKeys)
	}
	for _, w := range want.ForeignKeys {
		g, ok := gotFK[fkKey(w)]
		if !ok {
			t.Errorf("%s: no foreign key %s; have %+v", table, fkKey(w), got.ForeignKeys)
			continue
		}
		if name != "sqlite" && g.Name != w.Name {
			t.Errorf("%s: foreign key %s is named %q, want %q", table, fkKey(w), g.Name, w.Name)
		}
		if !slices.Equal(g.RefColumns, w.RefColumns) {
			t.Errorf("%s: foreign key %s references %v, want %v", table, fkKey(w), g.RefColumns, w.RefColumns)
		}
		for _, a := range []struct{ what, got, want string }{{"ON DELETE", g.OnDelete, w.OnDelete}, {"ON UPDATE", g.OnUpdate, w.OnUpdate}} {
			if a.want == "" && !defaultAction(name, a.got) || a.want != "" && a.got != a.want {
				t.Errorf("%s: foreign key %s %s %s, want %q", table, fkKey(w), a.what, a.got, a.want)
			}
		}
	}

	wantUq := map[string]bool{}
	for _, u := range want.Uniques {
		wantUq[colKey(u)] = true
	}
	if name == "mysql" { // a unique index is a UNIQUE constraint there
		for _, ix := range want.Indexes {
			if ix.Unique {
				wantUq[colKey(ix.Columns)] = true
			}
		}
	}
	gotUq := map[string]bool{}
	for _, u := range got.Uniques {
		gotUq[colKey(u)] = true
	}
	if len(got.Uniques) != len(wantUq) || len(gotUq) != len(wantUq) {
		t.Errorf("%s: unique constraints %v, want %v", table, got.Uniques, keys(wantUq))
	}
	for k := range wantUq {
		if !gotUq[k] {
			t.Errorf("%s: no unique constraint on (%s); have %v", table, k, got.Uniques)
		}
	}

	gotIx := map[string]dbIndex{}
	for _, ix := range got.Indexes {
		gotIx[ix.Name] = ix
	}
	for _, w := range want.Indexes {
		g, ok := gotIx[w.Name]
		if !ok {
			t.Errorf("%s: no index %s; have %+v", table, w.Name, got.Indexes)
			continue
		}
		if !slices.Equal(g.Columns, w.Columns) || g.Unique != w.Unique {
			t.Errorf("%s: index %s = %v unique=%v, want %v unique=%v", table, w.Name, g.Columns, g.Unique, w.Columns, w.Unique)
		}
		delete(gotIx, w.Name)
	}
	// Anything left must be explained: on MySQL the index behind a column's
	// UNIQUE, and the index InnoDB adds for a foreign key without one.
	for _, ix := range gotIx {
		explained := false
		if name == "mysql" {
			if ix.Unique && gotUq[colKey(ix.Columns)] {
				explained = true
			}
			for _, fk := range want.ForeignKeys {
				if !ix.Unique && ix.Name == fk.Name && slices.Equal(ix.Columns, fk.Columns) {
					explained = true
				}
			}
		}
		if !explained {
			t.Errorf("%s: unexpected index %+v", table, ix)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---------------------------------------------------------------- tests

// TestCreateAllSchema creates the full model set and reads every table back
// from the database catalog.
func TestCreateAllSchema(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		want := ddlExpected()
		models := ddlModels()
		if db.Dialect().Name() == "mysql" {
			delete(want, "ddl_sidekick")
		} else {
			models = append(models, &DDLSidekick{})
		}
		if err := db.CreateAll(ctx, models...); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		if db.Dialect().Name() == "mysql" {
			// SET DEFAULT is refused before any SQL is sent.
			rdb, rec := testkit.Record(db)
			err := rdb.CreateAll(ctx, &DDLSidekick{})
			if !errors.Is(err, orm.ErrUnsupported) {
				t.Errorf("CreateAll with ON DELETE SET DEFAULT on %s: err = %v, want ErrUnsupported", db.Dialect().Flavor(), err)
			}
			if rec.Count() != 0 {
				t.Errorf("refused CreateAll sent statements:\n%s", rec.Dump())
			}
		}
		var wantTables []string
		for name := range want {
			wantTables = append(wantTables, name)
		}
		sort.Strings(wantTables)
		if got := listTables(t, db); !slices.Equal(got, wantTables) {
			t.Fatalf("tables = %v, want %v", got, wantTables)
		}
		for _, table := range wantTables {
			checkTable(t, db, table, introspect(t, db, table), want[table])
		}
	})
}

// TestCreateAllTwiceIsNoOp: a second CreateAll succeeds, sends only
// IF NOT EXISTS statements and changes nothing.
func TestCreateAllTwiceIsNoOp(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		if err := db.CreateAll(ctx, ddlModels()...); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		before := map[string]dbTable{}
		tables := listTables(t, db)
		for _, table := range tables {
			before[table] = introspect(t, db, table)
		}
		rdb, rec := testkit.Record(db)
		if err := rdb.CreateAll(ctx, ddlModels()...); err != nil {
			t.Fatalf("second CreateAll: %v", err)
		}
		creates := 0
		for _, e := range rec.Events() {
			switch e.Op {
			case "exec":
				if !strings.HasPrefix(e.Query, "CREATE ") || !strings.Contains(e.Query, " IF NOT EXISTS ") {
					t.Errorf("second CreateAll sent a statement without IF NOT EXISTS: %s", e.Query)
				}
				creates++
			case "query":
				if !strings.HasPrefix(strings.TrimSpace(e.Query), "SELECT") {
					t.Errorf("second CreateAll sent a query that is not a SELECT: %s", e.Query)
				}
			}
			if strings.Contains(strings.ToUpper(e.Query), "ALTER ") {
				t.Errorf("second CreateAll sent ALTER: %s", e.Query)
			}
		}
		if creates == 0 {
			t.Errorf("second CreateAll sent no CREATE ... IF NOT EXISTS at all:\n%s", rec.Dump())
		}
		if got := listTables(t, db); !slices.Equal(got, tables) {
			t.Errorf("tables after the second CreateAll = %v, want %v", got, tables)
		}
		for _, table := range tables {
			if after := introspect(t, db, table); fmt.Sprint(after) != fmt.Sprint(before[table]) {
				t.Errorf("%s changed:\n before %+v\n after  %+v", table, before[table], after)
			}
		}
	})
}

// createOrder returns the tables of the recorded CREATE TABLE statements in
// order, and checks that each CREATE INDEX follows its table.
func createOrder(t *testing.T, db *orm.DB, rec *testkit.Recorder) []string {
	t.Helper()
	d := db.Dialect()
	var order []string
	for _, q := range rec.SQL() {
		if rest, ok := strings.CutPrefix(q, "CREATE TABLE IF NOT EXISTS "); ok {
			order = append(order, unquoteFirst(d.Quote(""), rest))
			continue
		}
		if strings.HasPrefix(q, "CREATE INDEX") || strings.HasPrefix(q, "CREATE UNIQUE INDEX") {
			_, on, _ := strings.Cut(q, " ON ")
			if table := unquoteFirst(d.Quote(""), on); !slices.Contains(order, table) {
				t.Errorf("%s comes before CREATE TABLE %s", q, table)
			}
		}
	}
	return order
}

// unquoteFirst reads the quoted identifier at the start of s; empty is the
// dialect's quoted empty identifier (two quote characters).
func unquoteFirst(empty, s string) string {
	q := empty[0]
	if len(s) == 0 || s[0] != q {
		return ""
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == q {
			if i+1 < len(s) && s[i+1] == q {
				b.WriteByte(q)
				i++
				continue
			}
			break
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

type DDLChainA struct {
	ID int64 `sqlmodel:"pk"`
}

type DDLChainB struct {
	ID  int64 `sqlmodel:"pk"`
	AID int64 `sqlmodel:"fk=ddl_chain_a.id,column=a_id"`
}

type DDLChainC struct {
	ID  int64  `sqlmodel:"pk"`
	BID int64  `sqlmodel:"fk=ddl_chain_b.id,index,column=b_id"`
	AID *int64 `sqlmodel:"fk=ddl_chain_a.id,column=a_id"`
}

// TestCreateAllForeignKeyOrder: tables are created parents first whatever
// the argument order.
func TestCreateAllForeignKeyOrder(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		rdb, rec := testkit.Record(db)
		if err := rdb.CreateAll(ctx, &DDLChainC{}, &DDLChainB{}, &DDLChainA{}); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		if got, want := createOrder(t, db, rec), []string{"ddl_chain_a", "ddl_chain_b", "ddl_chain_c"}; !slices.Equal(got, want) {
			t.Errorf("CREATE TABLE order = %v, want %v\n%s", got, want, rec.Dump())
		}

		// The full set, dependants first: every table after the tables it
		// references, link tables after both ends.
		rec.Reset()
		if err := rdb.CreateAll(ctx, &DDLMembershipNote{}, &DDLMembership{}, &DDLAllTypes{}, &DDLHero{}, &DDLPower{}, &DDLTeam{}); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		order := createOrder(t, db, rec)
		pos := map[string]int{}
		for i, table := range order {
			pos[table] = i
		}
		if len(order) != 8 {
			t.Fatalf("created %v, want 8 tables", order)
		}
		for table, w := range ddlExpected() {
			if table == "ddl_sidekick" {
				continue
			}
			for _, fk := range w.ForeignKeys {
				if fk.RefTable != table && pos[fk.RefTable] >= pos[table] {
					t.Errorf("%s is created before %s, which it references: %v", table, fk.RefTable, order)
				}
			}
		}
	})
}

type DDLNest struct {
	ID    int64  `sqlmodel:"pk"`
	EggID *int64 `sqlmodel:"fk=ddl_egg.id"` // no ON DELETE action: DropAll must cope with rows in the cycle
}

type DDLEgg struct {
	ID     int64 `sqlmodel:"pk"`
	NestID int64 `sqlmodel:"fk=ddl_nest.id,ondelete=cascade"`
}

// TestCreateAllNullableCycle: two tables referencing each other, one of them
// through a nullable column. Where constraints can be added later the
// cycle-closing key comes as ALTER TABLE after both tables, once; on SQLite it
// is inline. DropAll removes both, data included.
func TestCreateAllNullableCycle(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		d := db.Dialect()
		rdb, rec := testkit.Record(db)
		if err := rdb.CreateAll(ctx, &DDLEgg{}, &DDLNest{}); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		stmts := rec.SQL()
		order := createOrder(t, db, rec)
		if !slices.Equal(order, []string{"ddl_nest", "ddl_egg"}) {
			t.Errorf("CREATE TABLE order = %v, want [ddl_nest ddl_egg]", order)
		}
		var alters []int
		lastCreate := -1
		for i, q := range stmts {
			if strings.HasPrefix(q, "ALTER TABLE") {
				alters = append(alters, i)
			}
			if strings.HasPrefix(q, "CREATE TABLE") {
				lastCreate = i
			}
		}
		fkName := d.Quote("fk_ddl_nest_egg_id")
		if d.Name() == "sqlite" {
			if len(alters) != 0 {
				t.Errorf("sqlite: ALTER TABLE sent:\n%s", rec.Dump())
			}
			if !strings.Contains(stmts[0], fkName) {
				t.Errorf("sqlite: the cycle-closing key is not inline in %s", stmts[0])
			}
		} else {
			if len(alters) != 1 || alters[0] < lastCreate || !strings.Contains(stmts[alters[0]], "ADD CONSTRAINT "+fkName) {
				t.Errorf("want one ALTER TABLE ... ADD CONSTRAINT %s after both CREATE TABLE:\n%s", fkName, rec.Dump())
			}
			for _, q := range stmts {
				if strings.HasPrefix(q, "CREATE TABLE") && strings.Contains(q, fkName) {
					t.Errorf("the deferred key is also inline: %s", q)
				}
			}
		}
		check := func() {
			t.Helper()
			checkTable(t, db, "ddl_nest", introspect(t, db, "ddl_nest"), wantTable{
				Columns: cols("id!", "egg_id"), PrimaryKey: []string{"id"},
				ForeignKeys: []dbForeignKey{{Name: "fk_ddl_nest_egg_id", Columns: []string{"egg_id"}, RefTable: "ddl_egg", RefColumns: []string{"id"}}},
			})
			checkTable(t, db, "ddl_egg", introspect(t, db, "ddl_egg"), wantTable{
				Columns: cols("id!", "nest_id!"), PrimaryKey: []string{"id"},
				ForeignKeys: []dbForeignKey{{Name: "fk_ddl_egg_nest_id", Columns: []string{"nest_id"}, RefTable: "ddl_nest", RefColumns: []string{"id"}, OnDelete: "CASCADE"}},
			})
		}
		check()

		rec.Reset()
		if err := rdb.CreateAll(ctx, &DDLNest{}, &DDLEgg{}); err != nil {
			t.Fatalf("second CreateAll: %v", err)
		}
		for _, q := range rec.SQL() {
			if strings.HasPrefix(q, "ALTER") {
				t.Errorf("second CreateAll added the key again: %s", q)
			}
		}
		check()

		// Rows that use both keys: the cycle is real.
		ph := d.Placeholder
		for _, s := range []struct {
			q    string
			args []any
		}{
			{"INSERT INTO " + d.Quote("ddl_nest") + " (" + d.Quote("id") + ") VALUES (" + ph(1) + ")", []any{1}},
			{"INSERT INTO " + d.Quote("ddl_egg") + " (" + d.Quote("id") + ", " + d.Quote("nest_id") + ") VALUES (" + ph(1) + ", " + ph(2) + ")", []any{1, 1}},
			{"UPDATE " + d.Quote("ddl_nest") + " SET " + d.Quote("egg_id") + " = " + ph(1) + " WHERE " + d.Quote("id") + " = " + ph(2), []any{1, 1}},
		} {
			if _, err := db.ExecContext(ctx, s.q, s.args...); err != nil {
				t.Fatalf("%s: %v", s.q, err)
			}
		}
		if _, err := db.ExecContext(ctx, "UPDATE "+d.Quote("ddl_nest")+" SET "+d.Quote("egg_id")+" = "+ph(1), 42); !errors.Is(err, orm.ErrForeignKeyViolation) {
			t.Errorf("the cycle-closing key is not enforced: err = %v", err)
		}

		rec.Reset()
		if err := rdb.DropAll(ctx, &DDLNest{}, &DDLEgg{}); err != nil {
			t.Fatalf("DropAll: %v\n%s", err, rec.Dump())
		}
		if got := listTables(t, db); len(got) != 0 {
			t.Errorf("tables left after DropAll: %v\n%s", got, rec.Dump())
		}
	})
}

type DDLYin struct {
	ID     int64 `sqlmodel:"pk"`
	YangID int64 `sqlmodel:"fk=ddl_yang.id"`
}

type DDLYang struct {
	ID    int64 `sqlmodel:"pk"`
	YinID int64 `sqlmodel:"fk=ddl_yin.id"`
}

// TestCreateAllNotNullCycle: a cycle of NOT NULL foreign keys cannot be
// created; the error comes before any statement.
func TestCreateAllNotNullCycle(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		rdb, rec := testkit.Record(db)
		err := rdb.CreateAll(context.Background(), &DDLYin{}, &DDLYang{})
		if !errors.Is(err, orm.ErrCircularDependency) {
			t.Fatalf("CreateAll = %v, want ErrCircularDependency", err)
		}
		if !strings.Contains(err.Error(), "ddl_yin") || !strings.Contains(err.Error(), "ddl_yang") {
			t.Errorf("error does not name the tables: %v", err)
		}
		if rec.Count() != 0 {
			t.Errorf("CreateAll sent %d statements before failing:\n%s", rec.Count(), rec.Dump())
		}
		if got := listTables(t, db); len(got) != 0 {
			t.Errorf("tables created: %v", got)
		}
	})
}

// TestDropAll drops the full model set (link tables included), dependants
// before the tables they reference, and leaves nothing; a second DropAll is
// harmless.
func TestDropAll(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		models := ddlModels()
		if db.Dialect().Name() != "mysql" {
			models = append(models, &DDLSidekick{})
		}
		if err := db.CreateAll(ctx, models...); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		if got := listTables(t, db); len(got) != len(models)+2 {
			t.Fatalf("tables = %v", got)
		}
		rdb, rec := testkit.Record(db)
		if err := rdb.DropAll(ctx, models...); err != nil {
			t.Fatalf("DropAll: %v\n%s", err, rec.Dump())
		}
		var order []string
		for _, q := range rec.SQL() {
			if rest, ok := strings.CutPrefix(q, "DROP TABLE IF EXISTS "); ok {
				order = append(order, unquoteFirst(db.Dialect().Quote(""), rest))
			} else {
				t.Errorf("DropAll sent %s", q)
			}
		}
		if len(order) != len(models)+2 {
			t.Errorf("dropped %v, want %d tables", order, len(models)+2)
		}
		pos := map[string]int{}
		for i, table := range order {
			pos[table] = i
		}
		for table, w := range ddlExpected() {
			for _, fk := range w.ForeignKeys {
				_, child := pos[table]
				if child && fk.RefTable != table && pos[fk.RefTable] <= pos[table] {
					t.Errorf("%s is dropped before %s, which references it: %v", fk.RefTable, table, order)
				}
			}
		}
		if got := listTables(t, db); len(got) != 0 {
			t.Errorf("tables left after DropAll: %v", got)
		}
		if err := db.DropAll(ctx, models...); err != nil {
			t.Errorf("second DropAll: %v", err)
		}
	})
}

// TestForeignKeysEnforced: a DB from orm.Open enforces foreign keys on every
// database, SQLite included (which needs them switched on per connection),
// and reports violations as ErrForeignKeyViolation.
func TestForeignKeysEnforced(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := context.Background()
		d := db.Dialect()
		if err := db.CreateAll(ctx, &DDLChainB{}, &DDLChainA{}); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		if d.Name() == "sqlite" {
			// Every pooled connection, not just the first one.
			conns := make([]*sql.Conn, 3)
			for i := range conns {
				c, err := db.SQL().Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				conns[i] = c
				var on int
				if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil || on != 1 {
					t.Errorf("connection %d: PRAGMA foreign_keys = %d, %v; want 1", i, on, err)
				}
			}
			for _, c := range conns {
				c.Close()
			}
		}
		insert := "INSERT INTO " + d.Quote("ddl_chain_b") + " (" + d.Quote("id") + ", " + d.Quote("a_id") + ") VALUES (" +
			d.Placeholder(1) + ", " + d.Placeholder(2) + ")"
		_, err := db.ExecContext(ctx, insert, 1, 999)
		if !errors.Is(err, orm.ErrForeignKeyViolation) {
			t.Fatalf("insert with a dangling foreign key: err = %v, want ErrForeignKeyViolation", err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO "+d.Quote("ddl_chain_a")+" ("+d.Quote("id")+") VALUES ("+d.Placeholder(1)+")", 999); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, insert, 1, 999); err != nil {
			t.Errorf("insert with a valid foreign key: %v", err)
		}
	})
}

type DDLClashA struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=20,index=ix_ddl_clash"`
}

type DDLClashB struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"size=20,index=ix_ddl_clash"`
}

// TestCreateAllIndexNameClash: two tables that declare the same index=NAME.
// PostgreSQL and SQLite scope index names to the schema, where CREATE INDEX
// IF NOT EXISTS would silently skip the second table's index, so
// registration rejects the duplicate name on every database.
func TestCreateAllIndexNameClash(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		db, rec := testkit.Record(db)
		err := db.CreateAll(context.Background(), &DDLClashA{}, &DDLClashB{})
		if !errors.Is(err, orm.ErrInvalidTag) {
			t.Fatalf("CreateAll: got %v, want an error matching orm.ErrInvalidTag", err)
		}
		if !strings.Contains(err.Error(), "ix_ddl_clash") {
			t.Errorf("error %q does not name the index", err)
		}
		if n := rec.Count(); n != 0 {
			t.Errorf("%d statements sent, want none:\n%s", n, rec.Dump())
		}
	})
}
