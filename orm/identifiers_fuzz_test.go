package orm_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// Identifier quoting end to end (issue 8, item 5): any table or column
// name either round-trips through CreateAll, insert, select, update and
// delete, with the database's catalog holding exactly that name, or is
// refused with an error; it never changes another table.
//
// Table names come from a TableName method that returns a variable, with a
// fresh registry per name; column names come from a struct type built at
// run time with reflect.StructOf and a column= tag.
//
//	go test -run '^$' -fuzz '^FuzzIdentifierRoundTrip$' -fuzztime 30s ./orm

// idfzTable is the table name idfzRow reports; guarded by idfzMu.
var (
	idfzMu    sync.Mutex
	idfzTable string
	idfzSeq   atomic.Int64 // makes statement texts unique
)

type idfzRow struct {
	ID   int64 `sqlmodel:"pk"`
	Name string
	Note *string
}

func (idfzRow) TableName() string { return idfzTable }

// IdfzColBase is embedded first in the run-time struct types, whose table
// name it provides (reflect.StructOf promotes the method).
type IdfzColBase struct {
	ID int64 `sqlmodel:"pk"`
}

// TableName names the table of the run-time column models.
func (IdfzColBase) TableName() string { return "idfz_col" }

const idfzSentinel = "idfz_sentinel"

// idfzOutcome is what happened to one name.
type idfzOutcome struct {
	stage string // where it was refused: "register", "create"; "" when it round-tripped
	err   error
}

// idfzEnv is a database with the sentinel table.
type idfzEnv struct {
	sqlDB   *sql.DB
	dialect string
}

func idfzSetup(ctx context.Context, sqlDB *sql.DB, dialect string) (idfzEnv, error) {
	env := idfzEnv{sqlDB: sqlDB, dialect: dialect}
	if _, err := sqlDB.ExecContext(ctx, "CREATE TABLE "+idfzSentinel+" (id INTEGER PRIMARY KEY)"); err != nil {
		return env, err
	}
	_, err := sqlDB.ExecContext(ctx, "INSERT INTO "+idfzSentinel+" (id) VALUES (7)")
	return env, err
}

// db returns an orm.DB on the pool with a fresh registry.
func (e idfzEnv) db() (*orm.DB, error) {
	return orm.OpenDB(e.sqlDB, e.dialect, orm.WithRegistry(orm.NewRegistry()))
}

// checkSentinel fails when a statement touched the sentinel table.
func (e idfzEnv) checkSentinel(ctx context.Context) error {
	var id int
	if err := e.sqlDB.QueryRowContext(ctx, "SELECT id FROM "+idfzSentinel).Scan(&id); err != nil || id != 7 {
		return fmt.Errorf("sentinel table changed: %d, %v", id, err)
	}
	return nil
}

// catalogTables returns the names of the tables other than the sentinel.
func (e idfzEnv) catalogTables(ctx context.Context) ([]string, error) {
	var q string
	switch e.dialect {
	case "postgres":
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	case "mysql":
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
	default:
		q = "SELECT name FROM sqlite_master WHERE type = 'table'"
	}
	return idfzStrings(ctx, e.sqlDB, q)
}

// catalogColumns returns the column names of table.
func (e idfzEnv) catalogColumns(ctx context.Context, table string) ([]string, error) {
	switch e.dialect {
	case "postgres":
		return idfzStrings(ctx, e.sqlDB, "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position", table)
	case "mysql":
		return idfzStrings(ctx, e.sqlDB, "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position", table)
	default:
		return idfzStrings(ctx, e.sqlDB, "SELECT name FROM pragma_table_info(?) ORDER BY cid", table)
	}
}

func idfzStrings(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if s != idfzSentinel {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}

// tableRoundTrip creates a table named name, writes, reads, updates and
// deletes a row of it through the session API, checks the catalog and
// drops the table. A refusal is reported in the outcome; a wrong result
// is the error.
func (e idfzEnv) tableRoundTrip(ctx context.Context, name, value string) (idfzOutcome, error) {
	idfzMu.Lock()
	defer idfzMu.Unlock()
	idfzTable = name
	db, err := e.db()
	if err != nil {
		return idfzOutcome{}, err
	}
	if err := db.Register(&idfzRow{}); err != nil {
		if !errors.Is(err, orm.ErrInvalidTag) {
			return idfzOutcome{}, fmt.Errorf("Register: %v does not match ErrInvalidTag", err)
		}
		return idfzOutcome{stage: "register", err: err}, e.checkSentinel(ctx)
	}
	if err := db.CreateAll(ctx, &idfzRow{}); err != nil {
		if tables, cerr := e.catalogTables(ctx); cerr != nil || len(tables) != 0 {
			return idfzOutcome{}, fmt.Errorf("CreateAll failed (%v) but left tables %q (%v)", err, tables, cerr)
		}
		return idfzOutcome{stage: "create", err: err}, e.checkSentinel(ctx)
	}
	defer func() { _ = db.DropAll(context.WithoutCancel(ctx), &idfzRow{}) }()
	if tables, err := e.catalogTables(ctx); err != nil || len(tables) != 1 || tables[0] != name {
		return idfzOutcome{}, fmt.Errorf("catalog tables %q (%v), want exactly %q", tables, err, name)
	}

	cfg := orm.DefaultSessionConfig()
	cfg.ExpireOnCommit = false
	s := orm.NewSessionWithConfig(db, cfg)
	defer s.Close()
	note := value + "!"
	row := &idfzRow{Name: value, Note: &note}
	if err := s.Add(row); err != nil {
		return idfzOutcome{}, err
	}
	if err := s.Commit(ctx); err != nil {
		return idfzOutcome{}, fmt.Errorf("insert: %w", err)
	}
	s2 := orm.NewSession(db)
	defer s2.Close()
	got, err := orm.Get[idfzRow](ctx, s2, row.ID)
	if err != nil || got.Name != value || got.Note == nil || *got.Note != note {
		return idfzOutcome{}, fmt.Errorf("Get = %+v, %v", got, err)
	}
	all, err := orm.Select[idfzRow](db).Filter(orm.Col("name").Eq(value)).OrderBy("-id").All(ctx)
	if err != nil || len(all) != 1 || all[0].ID != row.ID {
		return idfzOutcome{}, fmt.Errorf("Select = %v, %v", all, err)
	}
	row.Name = value + value
	if err := s.Commit(ctx); err != nil {
		return idfzOutcome{}, fmt.Errorf("update: %w", err)
	}
	if n, err := orm.Select[idfzRow](db).Filter(orm.Col("name").Eq(value + value)).Count(ctx); err != nil || n != 1 {
		return idfzOutcome{}, fmt.Errorf("after update: Count = %d, %v", n, err)
	}
	if err := s.Delete(row); err != nil {
		return idfzOutcome{}, err
	}
	if err := s.Commit(ctx); err != nil {
		return idfzOutcome{}, fmt.Errorf("delete: %w", err)
	}
	if n, err := orm.Select[idfzRow](db).Count(ctx); err != nil || n != 0 {
		return idfzOutcome{}, fmt.Errorf("after delete: Count = %d, %v", n, err)
	}
	if err := e.checkSentinel(ctx); err != nil {
		return idfzOutcome{}, err
	}
	if err := db.DropAll(ctx, &idfzRow{}); err != nil {
		return idfzOutcome{}, fmt.Errorf("DropAll: %w", err)
	}
	if tables, err := e.catalogTables(ctx); err != nil || len(tables) != 0 {
		return idfzOutcome{}, fmt.Errorf("after DropAll: tables %q, %v", tables, err)
	}
	return idfzOutcome{}, nil
}

// columnType returns a struct type with a string column named name.
func idfzColumnType(name string) reflect.Type {
	return reflect.StructOf([]reflect.StructField{
		{Name: "IdfzColBase", Type: reflect.TypeFor[IdfzColBase](), Anonymous: true},
		{Name: "V", Type: reflect.TypeFor[string](), Tag: reflect.StructTag("sqlmodel:" + strconv.Quote("column="+name))},
	})
}

// columnRoundTrip is tableRoundTrip for a column name: the table idfz_col
// has the columns id and name.
func (e idfzEnv) columnRoundTrip(ctx context.Context, name, value string) (idfzOutcome, error) {
	db, err := e.db()
	if err != nil {
		return idfzOutcome{}, err
	}
	typ := idfzColumnType(name)
	ms, err := db.Registry().Register(typ)
	if err != nil {
		if !errors.Is(err, orm.ErrInvalidTag) {
			return idfzOutcome{}, fmt.Errorf("Register: %v does not match ErrInvalidTag", err)
		}
		return idfzOutcome{stage: "register", err: err}, e.checkSentinel(ctx)
	}
	if err := db.CreateAll(ctx, reflect.New(typ).Interface()); err != nil {
		if tables, cerr := e.catalogTables(ctx); cerr != nil || len(tables) != 0 {
			return idfzOutcome{}, fmt.Errorf("CreateAll failed (%v) but left tables %q (%v)", err, tables, cerr)
		}
		return idfzOutcome{stage: "create", err: err}, e.checkSentinel(ctx)
	}
	defer func() { _ = db.DropAll(context.WithoutCancel(ctx), reflect.New(typ).Interface()) }()
	// The tag syntax trims spaces around a value: "column= x " is "x".
	col := ms[0].Fields[1].Column
	if col != strings.TrimSpace(name) {
		return idfzOutcome{}, fmt.Errorf("column=%q registered the column %q", name, col)
	}
	if cols, err := e.catalogColumns(ctx, "idfz_col"); err != nil || len(cols) != 2 || cols[0] != "id" || cols[1] != col {
		return idfzOutcome{}, fmt.Errorf("catalog columns %q (%v), want id and %q", cols, err, col)
	}

	cfg := orm.DefaultSessionConfig()
	cfg.ExpireOnCommit = false
	s := orm.NewSessionWithConfig(db, cfg)
	defer s.Close()
	obj := reflect.New(typ)
	obj.Elem().Field(1).SetString(value)
	if err := s.Add(obj.Interface()); err != nil {
		return idfzOutcome{}, err
	}
	if err := s.Commit(ctx); err != nil {
		return idfzOutcome{}, fmt.Errorf("insert: %w", err)
	}
	id := obj.Elem().Field(0).Field(0).Int()
	// SELECT * reads the row without naming the column.
	// The statement text differs per name: pgx caches prepared statements
	// by text, and the table's columns change between names.
	n := idfzSeq.Add(1)
	selectAll := fmt.Sprintf("SELECT * FROM idfz_col WHERE %d = %d", n, n)
	read := func() (map[int64]string, error) {
		rows, err := e.sqlDB.QueryContext(ctx, selectAll)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[int64]string{}
		for rows.Next() {
			var k int64
			var v string
			if err := rows.Scan(&k, &v); err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, rows.Err()
	}
	if got, err := read(); err != nil || len(got) != 1 || got[id] != value {
		return idfzOutcome{}, fmt.Errorf("after insert: rows %v, %v", got, err)
	}
	obj.Elem().Field(1).SetString(value + value)
	if err := s.Commit(ctx); err != nil {
		return idfzOutcome{}, fmt.Errorf("update: %w", err)
	}
	if got, err := read(); err != nil || len(got) != 1 || got[id] != value+value {
		return idfzOutcome{}, fmt.Errorf("after update: rows %v, %v", got, err)
	}
	if err := s.Delete(obj.Interface()); err != nil {
		return idfzOutcome{}, err
	}
	if err := s.Commit(ctx); err != nil {
		return idfzOutcome{}, fmt.Errorf("delete: %w", err)
	}
	if got, err := read(); err != nil || len(got) != 0 {
		return idfzOutcome{}, fmt.Errorf("after delete: rows %v, %v", got, err)
	}
	if err := e.checkSentinel(ctx); err != nil {
		return idfzOutcome{}, err
	}
	if err := db.DropAll(ctx, reflect.New(typ).Interface()); err != nil {
		return idfzOutcome{}, fmt.Errorf("DropAll: %w", err)
	}
	return idfzOutcome{}, nil
}

// idfzSQLiteMustAccept reports whether SQLite must accept name as a table
// (column=false) or column name: it is not empty, has no NUL (refused at
// registration: no database takes one), does not start with SQLite's
// reserved prefix sqlite_, and as a column does not collide with "id"
// (SQLite compares names without regard to ASCII case) or contain what
// the tag syntax may not carry in a column= value (quotes, parentheses,
// commas; spaces around it are trimmed).
func idfzSQLiteMustAccept(name string, column bool) bool {
	if column {
		name = strings.TrimSpace(name)
		if strings.EqualFold(name, "id") || strings.ContainsAny(name, `,'"()`) {
			return false
		}
	}
	return name != "" && !strings.ContainsRune(name, 0) && !strings.HasPrefix(strings.ToLower(name), "sqlite_")
}

func FuzzIdentifierRoundTrip(f *testing.F) {
	for _, s := range idfzHostile {
		f.Add(s, "v")
	}
	f.Add("plain", "")
	f.Fuzz(func(t *testing.T, name, value string) {
		if strings.ContainsRune(value, 0) {
			value = strings.ReplaceAll(value, "\x00", "") // values are not under test here
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sqlDB, err := sql.Open(ormtest.SQLiteDriver(), "file::memory:")
		if err != nil {
			t.Fatal(err)
		}
		defer sqlDB.Close()
		sqlDB.SetMaxOpenConns(1) // one in-memory database
		env, err := idfzSetup(ctx, sqlDB, "sqlite")
		if err != nil {
			t.Fatal(err)
		}
		for _, column := range []bool{false, true} {
			var out idfzOutcome
			if column {
				out, err = env.columnRoundTrip(ctx, name, value)
			} else {
				out, err = env.tableRoundTrip(ctx, name, value)
			}
			if err != nil {
				t.Fatalf("name %q (column %v): %v", name, column, err)
			}
			if out.stage != "" && idfzSQLiteMustAccept(name, column) {
				t.Fatalf("name %q (column %v) refused at %s: %v", name, column, out.stage, out.err)
			}
		}
	})
}

// idfzHostile are names that break SQL built by concatenation.
var idfzHostile = []string{
	`we"ird`, `""`, "back`tick", "``", "it's", "semi;colon",
	`x"; DROP TABLE idfz_sentinel; --`, "x`; DROP TABLE idfz_sentinel; --", "x'); DROP TABLE idfz_sentinel; --",
	"-- comment", "/* c */", "with space", "  leading", "trailing ", "tab\there", "new\nline",
	"größe", "héros", "日本語", "emoji 😀", "order", "select", "user", "group", "table", "a.b", "$1", "?", "%s", `\`, `\"`,
	"NUL\x00byte", "Mixed Case", "UPPER", "(paren", "comma,name", "eq=sign", "bad utf8 \xff\xfe",
	"sixty_four_bytes_long_name_is_the_mysql_limit_and_this_is_longer_x",
}

// TestIdentifierHostileNames runs the hostile names through the round trip
// on every database. A name a database refuses must be refused with an
// error at CreateAll (nothing created); every other name round-trips.
func TestIdentifierHostileNames(t *testing.T) {
	testkit.EachTarget(t, func(t *testing.T, tg testkit.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		sqlDB := tg.Open(t)
		defer sqlDB.Close()
		env, err := idfzSetup(ctx, sqlDB, tg.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		for _, column := range []bool{false, true} {
			for _, name := range idfzHostile {
				var out idfzOutcome
				if column {
					out, err = env.columnRoundTrip(ctx, name, "v'; --")
				} else {
					out, err = env.tableRoundTrip(ctx, name, "v'; --")
				}
				if err != nil {
					t.Errorf("%q (column %v): %v", name, column, err)
					continue
				}
				want := idfzExpectRefusal(tg.Dialect, name, column)
				if want == "register?" {
					if out.stage == "" || out.stage == "register" {
						continue
					}
					want = "register"
				}
				switch {
				case out.stage == "" && want != "":
					t.Errorf("%q (column %v) was accepted, want it refused at %s", name, column, want)
				case out.stage != want:
					t.Errorf("%q (column %v) refused at %q (%v), want %q", name, column, out.stage, out.err, want)
				case out.stage != "":
					t.Logf("%q (column %v) refused at %s: %v", name, column, out.stage, out.err)
				}
			}
		}
	})
}

// idfzExpectRefusal returns where a database refuses a hostile name: ""
// when it accepts it, "register" when the registry does (a NUL byte, or
// for a column= value a quote, parenthesis or comma that the tag syntax
// reads as syntax: such a name may also be accepted), "create" when the
// database does.
func idfzExpectRefusal(dialect, name string, column bool) string {
	if column && strings.ContainsAny(name, `,'"()`) {
		return "register?"
	}
	if strings.ContainsRune(name, 0) {
		return "register"
	}
	if column {
		name = strings.TrimSpace(name)
	}
	switch {
	case dialect == "mysql" && strings.HasSuffix(name, " "):
		return "create" // MySQL and MariaDB refuse names ending with a space
	case dialect == "mysql" && strings.ContainsFunc(name, func(r rune) bool { return r > 0xFFFF }):
		return "create" // and characters outside the Basic Multilingual Plane
	case dialect == "mysql" && len(name) > 64, dialect == "postgres" && !utf8.ValidString(name):
		return "create"
	case dialect == "postgres" && len(name) > 63:
		return "create" // refused by CreateAll: PostgreSQL would truncate it
	case dialect == "mysql" && !utf8.ValidString(name):
		return "create"
	}
	return ""
}
