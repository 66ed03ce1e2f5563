package dialect_test

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// update rewrites the golden files instead of comparing with them:
//
//	go test ./orm/dialect/ -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// ddlMany is a to-many relation placeholder. The dialect package must not
// import orm/relations, so the test declares its own type; the registry
// recognises relation fields by the schema.RelationField interface alone.
type ddlMany[T any] struct{}

func (*ddlMany[T]) RelationShape() schema.Shape  { return schema.ToMany }
func (*ddlMany[T]) RelationTarget() reflect.Type { return reflect.TypeFor[T]() }

// The model set below covers every column tag option and every supported Go
// type. orm/ddl_test.go creates the same set on the real databases.

type ddlPowerKind string // named string type (an enum)

type ddlLevel int // named int type

// ddlPoint is a custom Scanner/Valuer stored as the text "x,y".
type ddlPoint struct{ X, Y int }

func (p ddlPoint) Value() (driver.Value, error) { return fmt.Sprintf("%d,%d", p.X, p.Y), nil }

func (p *ddlPoint) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("ddlPoint: cannot scan %T", src)
	}
	_, err := fmt.Sscanf(s, "%d,%d", &p.X, &p.Y)
	return err
}

type ddlInfo struct {
	Origin string `json:"origin"`
	Rank   int    `json:"rank"`
}

// Team: a default autoincrement int64 key, a unique sized string that a
// foreign key references, server defaults.
type Team struct {
	ID           int64  `sqlmodel:"pk"`
	Name         string `sqlmodel:"unique,size=100"`
	Headquarters string
	Budget       float64 `sqlmodel:"default=0"`
	Active       bool    `sqlmodel:"default=true"`
}

// Power: explicit autoincrement on an int32 key, a single-column named
// unique index, a composite named index over a named string and a named int.
type Power struct {
	ID    int32        `sqlmodel:"pk,autoincrement"`
	Name  string       `sqlmodel:"size=50,unique_index=uix_power_name"`
	Kind  ddlPowerKind `sqlmodel:"index=ix_power_kind_level"`
	Level ddlLevel     `sqlmodel:"index=ix_power_kind_level"`
}

// Hero: index, column=, notnull on a value and on a pointer, nullable on a
// value, a self-referencing foreign key, foreign keys to a primary key and to
// a unique column, version, a many-to-many link table with generated column
// names and a self-referencing one with explicit names; "-" and unexported
// fields are not columns.
type Hero struct {
	ID         int64          `sqlmodel:"pk"`
	Name       string         `sqlmodel:"index"`
	SecretName string         `sqlmodel:"column=secret_alias,size=64,notnull"`
	Age        *int           // pointer: NULL allowed
	Nickname   string         `sqlmodel:"nullable"`
	Rank       *int           `sqlmodel:"notnull,default=1"`
	TeamID     *int64         `sqlmodel:"fk=team.id,ondelete=set null,onupdate=cascade"`
	TeamName   *string        `sqlmodel:"fk=team.name,onupdate=cascade"`
	MentorID   *int64         `sqlmodel:"fk=hero.id,ondelete=set null"`
	Version    int64          `sqlmodel:"version"`
	Powers     ddlMany[Power] `sqlmodel:"link=hero_power"`
	Rivals     ddlMany[Hero]  `sqlmodel:"link=hero_rival(hero_id,rival_id)"`
	Ignored    string         `sqlmodel:"-"`
	Callback   func()         `sqlmodel:"-"`
	note       string
}

// Membership: a composite primary key made of two foreign keys.
type Membership struct {
	TeamID   int64  `sqlmodel:"pk,fk=team.id,ondelete=cascade,onupdate=restrict"`
	HeroID   int64  `sqlmodel:"pk,fk=hero.id,ondelete=restrict,onupdate=no action"`
	Role     string `sqlmodel:"size=20,default='member'"`
	JoinedAt time.Time
}

// MembershipNote: noautoincrement, a composite foreign key to the composite
// key of Membership, a composite unique index.
type MembershipNote struct {
	ID     int64 `sqlmodel:"pk,noautoincrement"`
	TeamID int64 `sqlmodel:"fk=membership.team_id,ondelete=no action,unique_index=uix_note_member"`
	HeroID int64 `sqlmodel:"fk=membership.hero_id,ondelete=no action,unique_index=uix_note_member"`
	Body   string
}

// AllTypes has a column of every supported Go type.
type AllTypes struct {
	ID uint64 `sqlmodel:"pk"` // unsigned autoincrement key

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

	Kind  ddlPowerKind
	Level ddlLevel
	Point ddlPoint `sqlmodel:"type=VARCHAR(40)"`

	Raw  json.RawMessage
	Meta map[string]any `sqlmodel:"json"`
	Info ddlInfo        `sqlmodel:"json"`
	Tags []string       `sqlmodel:"json"`

	Code  string  `sqlmodel:"size=8"`
	Hash  []byte  `sqlmodel:"size=32"`
	Price float64 `sqlmodel:"type=NUMERIC(10,2)"`
}

// Sidekick uses ON DELETE / ON UPDATE SET DEFAULT, which InnoDB does not
// implement: MySQL rejects it and MariaDB silently drops it.
type Sidekick struct {
	ID     int64 `sqlmodel:"pk"`
	HeroID int64 `sqlmodel:"fk=hero.id,ondelete=set default,onupdate=set default,default=0"`
}

// Nest and Egg reference each other; the cycle is broken at the nullable
// Nest.EggID, whose constraint comes after both tables.
type Nest struct {
	ID    int64  `sqlmodel:"pk"`
	EggID *int64 `sqlmodel:"fk=egg.id,ondelete=set null"`
}

type Egg struct {
	ID     int64 `sqlmodel:"pk"`
	NestID int64 `sqlmodel:"fk=nest.id,ondelete=cascade"`
}

// fullModels is the model set of the golden tests (Sidekick aside).
func fullModels() []any {
	return []any{&Team{}, &Power{}, &Hero{}, &Membership{}, &MembershipNote{}, &AllTypes{}}
}

// ddlDialects are the dialects of the golden files, by file suffix.
var ddlDialects = []struct {
	name string
	d    dialect.Dialect
}{
	{"postgres", dialect.Postgres()},
	{"mysql", dialect.MySQL()},
	{"mariadb", dialect.MariaDB()},
	{"sqlite", dialect.SQLite()},
}

// golden compares got with testdata/golden/<top-level test name>/<file>,
// or rewrites the file with -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	name := strings.SplitN(t.Name(), "/", 2)[0]
	path := filepath.Join("testdata", "golden", name, file)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./orm/dialect/ -run %s -update` to create it)", err, name)
	}
	if string(want) != got {
		t.Errorf("%s differs from the generated DDL (rerun with -update if the change is intended)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// script joins statements into an SQL script, one statement per paragraph.
func script(stmts []string) string {
	var b strings.Builder
	for i, s := range stmts {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s)
		b.WriteString(";\n")
	}
	return b.String()
}

func registerAll(t *testing.T, models ...any) []*schema.Model {
	t.Helper()
	ms, err := schema.NewRegistry().Register(models...)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	return ms
}

// TestDDLGolden writes CREATE TABLE (and CREATE INDEX) of every table of
// the model set per dialect: testdata/golden/TestDDLGolden/<table>.<dialect>.sql.
// A dialect that refuses a table has "-- error: ..." as its file.
func TestDDLGolden(t *testing.T) {
	ms := registerAll(t, append(fullModels(), &Sidekick{})...)
	tables := schema.Closure(ms)
	wantTables := []string{"team", "power", "hero", "hero_power", "hero_rival", "membership", "membership_note", "all_types", "sidekick"}
	if got := tableNames(tables); !sameSet(got, wantTables) {
		t.Fatalf("closure tables = %v, want %v", got, wantTables)
	}
	for _, dd := range ddlDialects {
		t.Run(dd.name, func(t *testing.T) {
			for _, m := range tables {
				stmts, err := dd.d.CreateTable(m, nil)
				out := script(stmts)
				if err != nil {
					out = "-- error: " + err.Error() + "\n"
				}
				golden(t, m.Table+"."+dd.name+".sql", out)
			}
		})
	}
}

// TestDDLGoldenCycle writes the statements CreateAll and DropAll send for two
// tables whose foreign keys form a cycle through a nullable column: the
// cycle-closing key as ALTER TABLE where the database can add it later,
// inline on SQLite.
func TestDDLGoldenCycle(t *testing.T) {
	ms := registerAll(t, &Nest{}, &Egg{})
	ordered, deferred, err := schema.DependencyOrder(schema.Closure(ms))
	if err != nil {
		t.Fatal(err)
	}
	if got := tableNames(ordered); len(got) != 2 || got[0] != "nest" || got[1] != "egg" {
		t.Fatalf("order = %v, want [nest egg]", got)
	}
	if len(deferred) != 1 || deferred[0].Name != "fk_nest_egg_id" {
		t.Fatalf("deferred = %v, want fk_nest_egg_id", deferred)
	}
	nest := ordered[0]
	for _, dd := range ddlDialects {
		t.Run(dd.name, func(t *testing.T) {
			d := dd.d
			alter := d.Features().Has(dialect.AlterForeignKeys)
			omit := func(fk *schema.ForeignKey) bool { return alter && fk == deferred[0] }
			var create []string
			for _, m := range ordered {
				s, err := d.CreateTable(m, omit)
				if err != nil {
					t.Fatal(err)
				}
				create = append(create, s...)
			}
			add := d.AddForeignKey(nest, deferred[0])
			drop := d.DropForeignKey(nest, deferred[0])
			if alter != (add != "") || alter != (drop != "") {
				t.Errorf("AlterForeignKeys=%v but AddForeignKey=%q DropForeignKey=%q", alter, add, drop)
			}
			if add != "" {
				create = append(create, add)
			}
			// DropAll: the deferred key first, then the tables children first.
			var dropAll []string
			if drop != "" {
				dropAll = append(dropAll, drop)
			}
			for i := len(ordered) - 1; i >= 0; i-- {
				dropAll = append(dropAll, d.DropTable(ordered[i]))
			}
			golden(t, "cycle."+dd.name+".sql", "-- CreateAll\n"+script(create)+"\n-- DropAll\n"+script(dropAll))
			if q, args := d.ForeignKeyExists(nest, deferred[0]); q == "" || len(args) == 0 || args[0] != "nest" {
				t.Errorf("ForeignKeyExists = %q %v", q, args)
			}
		})
	}
}

func tableNames(ms []*schema.Model) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Table
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestDDLOmitForeignKey: CreateTable leaves out the keys omit selects where
// the database can add them later, and keeps every key inline on SQLite.
func TestDDLOmitForeignKey(t *testing.T) {
	hero := registerAll(t, &Hero{}, &Team{})[0]
	if len(hero.ForeignKeys) != 3 {
		t.Fatalf("hero has %d foreign keys, want 3", len(hero.ForeignKeys))
	}
	for _, dd := range ddlDialects {
		t.Run(dd.name, func(t *testing.T) {
			all, err := dd.d.CreateTable(hero, nil)
			if err != nil {
				t.Fatal(err)
			}
			none, err := dd.d.CreateTable(hero, func(*schema.ForeignKey) bool { return true })
			if err != nil {
				t.Fatal(err)
			}
			for _, fk := range hero.ForeignKeys {
				name := dd.d.Quote(fk.Name)
				if !strings.Contains(all[0], name) {
					t.Errorf("CreateTable without omit lacks %s:\n%s", name, all[0])
				}
				inline := strings.Contains(none[0], name)
				if want := !dd.d.Features().Has(dialect.AlterForeignKeys); inline != want {
					t.Errorf("CreateTable omitting every key: %s inline = %v, want %v:\n%s", name, inline, want, none[0])
				}
			}
		})
	}
}

// TestDDLSetDefaultUnsupportedOnMySQL: InnoDB has no SET DEFAULT action
// (MySQL rejects the table, MariaDB silently drops the action), so the
// dialect refuses it instead of creating a different constraint.
func TestDDLSetDefaultUnsupportedOnMySQL(t *testing.T) {
	sidekick := registerAll(t, &Sidekick{}, &Hero{}, &Team{})[0]
	for _, d := range []dialect.Dialect{dialect.MySQL(), dialect.MariaDB()} {
		_, err := d.CreateTable(sidekick, nil)
		if !errors.Is(err, dialect.ErrUnsupported) {
			t.Errorf("%s: CreateTable with ON DELETE SET DEFAULT: err = %v, want ErrUnsupported", d.Flavor(), err)
		} else if !strings.Contains(err.Error(), "fk_sidekick_hero_id") {
			t.Errorf("%s: error does not name the constraint: %v", d.Flavor(), err)
		}
		// Also when the key is omitted now, to be added by ALTER TABLE later.
		if _, err := d.CreateTable(sidekick, func(*schema.ForeignKey) bool { return true }); !errors.Is(err, dialect.ErrUnsupported) {
			t.Errorf("%s: CreateTable omitting the SET DEFAULT key: err = %v, want ErrUnsupported", d.Flavor(), err)
		}
	}
	for _, d := range []dialect.Dialect{dialect.Postgres(), dialect.SQLite()} {
		stmts, err := d.CreateTable(sidekick, nil)
		if err != nil {
			t.Errorf("%s: %v", d.Name(), err)
		} else if !strings.Contains(stmts[0], "ON DELETE SET DEFAULT ON UPDATE SET DEFAULT") {
			t.Errorf("%s: %s", d.Name(), stmts[0])
		}
	}
}

func TestQuote(t *testing.T) {
	cases := []struct {
		in, ansi, mysql string
	}{
		{"order", `"order"`, "`order`"},
		{"user", `"user"`, "`user`"},
		{`we"ird`, `"we""ird"`, "`we\"ird`"},
		{`""`, `""""""`, "`\"\"`"},
		{"back`tick", "\"back`tick\"", "`back``tick`"},
		{"``", "\"``\"", "``````"},
		{"with space", `"with space"`, "`with space`"},
		{"größe", `"größe"`, "`größe`"},
		{"a.b", `"a.b"`, "`a.b`"},
		{"", `""`, "``"},
	}
	for _, c := range cases {
		if got := dialect.Postgres().Quote(c.in); got != c.ansi {
			t.Errorf("postgres Quote(%q) = %s, want %s", c.in, got, c.ansi)
		}
		if got := dialect.SQLite().Quote(c.in); got != c.ansi {
			t.Errorf("sqlite Quote(%q) = %s, want %s", c.in, got, c.ansi)
		}
		for _, d := range []dialect.Dialect{dialect.MySQL(), dialect.MariaDB()} {
			if got := d.Quote(c.in); got != c.mysql {
				t.Errorf("%s Quote(%q) = %s, want %s", d.Flavor(), c.in, got, c.mysql)
			}
		}
	}
}

func TestPlaceholderAndBindLimit(t *testing.T) {
	for n, want := range map[int]string{1: "$1", 2: "$2", 10: "$10", 65535: "$65535"} {
		if got := dialect.Postgres().Placeholder(n); got != want {
			t.Errorf("postgres Placeholder(%d) = %q, want %q", n, got, want)
		}
		for _, d := range []dialect.Dialect{dialect.MySQL(), dialect.MariaDB(), dialect.SQLite()} {
			if got := d.Placeholder(n); got != "?" {
				t.Errorf("%s Placeholder(%d) = %q, want ?", d.Flavor(), n, got)
			}
		}
	}
	limits := []struct {
		d    dialect.Dialect
		want int
	}{
		{dialect.Postgres(), 65535}, {dialect.MySQL(), 65535}, {dialect.MariaDB(), 65535}, {dialect.SQLite(), 32766},
	}
	for _, l := range limits {
		if got := l.d.MaxBindParams(); got != l.want {
			t.Errorf("%s MaxBindParams = %d, want %d", l.d.Flavor(), got, l.want)
		}
	}
}

func TestFeatures(t *testing.T) {
	all := []dialect.Feature{
		dialect.InsertReturning, dialect.LastInsertID, dialect.RowLocking, dialect.SkipLocked, dialect.NoWait,
		dialect.Savepoints, dialect.AlterForeignKeys, dialect.TransactionalDDL, dialect.ILike, dialect.TextTimes, dialect.Cursors, dialect.InterleavedResults,
		dialect.TypedCaseParams, dialect.CopyFrom, dialect.UpdateFromValues,
	}
	cases := []struct {
		d    dialect.Dialect
		name string
		has  dialect.Feature
	}{
		{dialect.Postgres(), "postgres", dialect.InsertReturning | dialect.RowLocking | dialect.SkipLocked | dialect.NoWait |
			dialect.Savepoints | dialect.AlterForeignKeys | dialect.TransactionalDDL | dialect.ILike | dialect.Cursors |
			dialect.TypedCaseParams | dialect.CopyFrom},
		{dialect.MySQL(), "mysql", dialect.LastInsertID | dialect.RowLocking | dialect.SkipLocked | dialect.NoWait |
			dialect.Savepoints | dialect.AlterForeignKeys},
		{dialect.MariaDB(), "mariadb", dialect.InsertReturning | dialect.LastInsertID | dialect.RowLocking | dialect.SkipLocked |
			dialect.NoWait | dialect.Savepoints | dialect.AlterForeignKeys},
		{dialect.SQLite(), "sqlite", dialect.InsertReturning | dialect.Savepoints | dialect.TransactionalDDL | dialect.TextTimes | dialect.InterleavedResults |
			dialect.UpdateFromValues},
	}
	for _, c := range cases {
		f := c.d.Features()
		if f != c.has {
			t.Errorf("%s Features = %v, want %v", c.name, f, c.has)
		}
		for _, x := range all {
			if got, want := f.Has(x), c.has&x != 0; got != want {
				t.Errorf("%s Features().Has(%v) = %v, want %v", c.name, x, got, want)
			}
		}
		if !f.Has(0) {
			t.Errorf("%s: Has(0) = false; the empty set is in every set", c.name)
		}
		if !f.Has(c.has) {
			t.Errorf("%s: Has(all of its own features) = false", c.name)
		}
	}
	// Has of several features needs every one of them.
	sqlite := dialect.SQLite().Features()
	if sqlite.Has(dialect.InsertReturning | dialect.RowLocking) {
		t.Error("sqlite Has(InsertReturning|RowLocking) = true; it has no RowLocking")
	}
	if !sqlite.Has(dialect.InsertReturning | dialect.Savepoints) {
		t.Error("sqlite Has(InsertReturning|Savepoints) = false")
	}
	if got, want := (dialect.InsertReturning | dialect.ILike).String(), "InsertReturning|ILike"; got != want {
		t.Errorf("Feature.String = %q, want %q", got, want)
	}
}

func TestLockClause(t *testing.T) {
	want := map[[2]bool]string{
		{false, false}: "FOR UPDATE",
		{true, false}:  "FOR UPDATE SKIP LOCKED",
		{false, true}:  "FOR UPDATE NOWAIT",
		{true, true}:   "FOR UPDATE SKIP LOCKED", // SkipLocked wins over NoWait
	}
	for _, d := range []dialect.Dialect{dialect.Postgres(), dialect.MySQL(), dialect.MariaDB()} {
		for k, w := range want {
			got, err := d.LockClause(k[0], k[1])
			if err != nil || got != w {
				t.Errorf("%s LockClause(skipLocked=%v, noWait=%v) = %q, %v; want %q", d.Flavor(), k[0], k[1], got, err, w)
			}
		}
	}
	for k := range want {
		got, err := dialect.SQLite().LockClause(k[0], k[1])
		if !errors.Is(err, dialect.ErrUnsupported) || got != "" {
			t.Errorf("sqlite LockClause(%v, %v) = %q, %v; want an error matching ErrUnsupported", k[0], k[1], got, err)
		}
	}
}

func TestForDriver(t *testing.T) {
	cases := map[string]string{
		"postgres": "postgres", "postgresql": "postgres", "pgx": "postgres", "pgx/v5": "postgres",
		"mysql": "mysql", "mariadb": "mariadb",
		"sqlite3": "sqlite", "sqlite": "sqlite",
	}
	for driver, flavor := range cases {
		d, err := dialect.ForDriver(driver)
		if err != nil {
			t.Errorf("ForDriver(%q): %v", driver, err)
			continue
		}
		if d.Flavor() != flavor {
			t.Errorf("ForDriver(%q).Flavor() = %q, want %q", driver, d.Flavor(), flavor)
		}
		wantName := flavor
		if flavor == "mariadb" {
			wantName = "mysql"
		}
		if d.Name() != wantName {
			t.Errorf("ForDriver(%q).Name() = %q, want %q", driver, d.Name(), wantName)
		}
	}
	for _, bad := range []string{"", "oracle", "Postgres", "sqlserver"} {
		if d, err := dialect.ForDriver(bad); err == nil {
			t.Errorf("ForDriver(%q) = %v, want an error", bad, d)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("ForDriver(%q) error does not name the driver: %v", bad, err)
		}
	}
}

// TestColumnTypeErrors: a field whose kind no dialect can map (possible only
// with hand-made metadata: registration rejects such types) is an error
// naming the model and the field, not a panic or an empty type; type= wins.
func TestColumnTypeErrors(t *testing.T) {
	m := &schema.Model{Name: "pkg.Thing", Table: "thing"}
	for _, kind := range []schema.Kind{schema.KindInvalid, schema.KindCustom, schema.Kind(200)} {
		f := &schema.Field{Model: m, GoName: "Blob", Path: "Blob", Column: "blob", Kind: kind}
		for _, dd := range ddlDialects {
			typ, err := dd.d.ColumnType(f)
			if err == nil {
				t.Errorf("%s ColumnType(kind %v) = %q, want an error", dd.name, kind, typ)
				continue
			}
			for _, part := range []string{"pkg.Thing", "Blob", "type="} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("%s ColumnType(kind %v) error %q lacks %q", dd.name, kind, err, part)
				}
			}
			f.SQLType = "GEOMETRY"
			if typ, err := dd.d.ColumnType(f); err != nil || typ != "GEOMETRY" {
				t.Errorf("%s ColumnType with type=GEOMETRY = %q, %v", dd.name, typ, err)
			}
			f.SQLType = ""
		}
	}
	// The error reaches CreateTable.
	f := &schema.Field{Model: m, GoName: "Blob", Path: "Blob", Column: "blob", PrimaryKey: true}
	m.Fields, m.PrimaryKey = []*schema.Field{f}, []*schema.Field{f}
	for _, dd := range ddlDialects {
		if stmts, err := dd.d.CreateTable(m, nil); err == nil {
			t.Errorf("%s CreateTable with an unmappable column = %q, want an error", dd.name, stmts)
		}
	}
}

// TestColumnTypeMapping pins the type of every kind and size per dialect,
// read from the registered AllTypes model.
func TestColumnTypeMapping(t *testing.T) {
	m := registerAll(t, &AllTypes{})[0]
	want := map[string][3]string{ // column: postgres, mysql (= mariadb), sqlite
		"id":           {"BIGINT", "BIGINT UNSIGNED", "INTEGER"},
		"int":          {"BIGINT", "BIGINT", "INTEGER"},
		"int8":         {"SMALLINT", "TINYINT", "INTEGER"},
		"int16":        {"SMALLINT", "SMALLINT", "INTEGER"},
		"int32":        {"INTEGER", "INT", "INTEGER"},
		"int64":        {"BIGINT", "BIGINT", "INTEGER"},
		"uint":         {"BIGINT", "BIGINT UNSIGNED", "INTEGER"},
		"uint8":        {"SMALLINT", "TINYINT UNSIGNED", "INTEGER"},
		"uint16":       {"INTEGER", "SMALLINT UNSIGNED", "INTEGER"},
		"uint32":       {"BIGINT", "INT UNSIGNED", "INTEGER"},
		"uint64":       {"BIGINT", "BIGINT UNSIGNED", "INTEGER"},
		"float32":      {"REAL", "FLOAT", "REAL"},
		"float64":      {"DOUBLE PRECISION", "DOUBLE", "REAL"},
		"bool":         {"BOOLEAN", "BOOLEAN", "BOOLEAN"},
		"string":       {"TEXT", "TEXT", "TEXT"},
		"bytes":        {"BYTEA", "LONGBLOB", "BLOB"},
		"time":         {"TIMESTAMPTZ", "DATETIME(6)", "DATETIME"},
		"p_int8":       {"SMALLINT", "TINYINT", "INTEGER"},
		"p_uint16":     {"INTEGER", "SMALLINT UNSIGNED", "INTEGER"},
		"p_float32":    {"REAL", "FLOAT", "REAL"},
		"p_bytes":      {"BYTEA", "LONGBLOB", "BLOB"},
		"p_time":       {"TIMESTAMPTZ", "DATETIME(6)", "DATETIME"},
		"null_string":  {"TEXT", "TEXT", "TEXT"},
		"null_int32":   {"INTEGER", "INT", "INTEGER"},
		"null_int16":   {"SMALLINT", "SMALLINT", "INTEGER"},
		"null_byte":    {"SMALLINT", "TINYINT UNSIGNED", "INTEGER"},
		"null_float64": {"DOUBLE PRECISION", "DOUBLE", "REAL"},
		"null_bool":    {"BOOLEAN", "BOOLEAN", "BOOLEAN"},
		"null_time":    {"TIMESTAMPTZ", "DATETIME(6)", "DATETIME"},
		"null_generic": {"BIGINT", "BIGINT", "INTEGER"},
		"kind":         {"TEXT", "TEXT", "TEXT"},
		"level":        {"BIGINT", "BIGINT", "INTEGER"},
		"point":        {"VARCHAR(40)", "VARCHAR(40)", "VARCHAR(40)"},
		"raw":          {"JSONB", "JSON", "TEXT"},
		"meta":         {"JSONB", "JSON", "TEXT"},
		"info":         {"JSONB", "JSON", "TEXT"},
		"code":         {"VARCHAR(8)", "VARCHAR(8)", "VARCHAR(8)"},
		"hash":         {"BYTEA", "VARBINARY(32)", "BLOB"},
		"price":        {"NUMERIC(10,2)", "NUMERIC(10,2)", "NUMERIC(10,2)"},
	}
	ds := []dialect.Dialect{dialect.Postgres(), dialect.MySQL(), dialect.SQLite()}
	for col, w := range want {
		f, ok := m.FieldByColumn(col)
		if !ok {
			t.Errorf("no column %q", col)
			continue
		}
		for i, d := range ds {
			got, err := d.ColumnType(f)
			if err != nil || got != w[i] {
				t.Errorf("%s ColumnType(%s) = %q, %v; want %q", d.Name(), col, got, err, w[i])
			}
		}
		a, errA := dialect.MySQL().ColumnType(f)
		b, errB := dialect.MariaDB().ColumnType(f)
		if a != b || (errA == nil) != (errB == nil) {
			t.Errorf("mysql and mariadb differ on %s: %q vs %q", col, a, b)
		}
	}
}
