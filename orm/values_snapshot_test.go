package orm_test

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
)

// Values compare by what the database stores (issue 15, item 2): raw JSON
// loads clean whatever spaces the database returns, and in-place changes
// to a Valuer slice or a JSON map are noticed and written. Names start
// with "vs", tables with "vs_".

// vsTags is a Scanner/Valuer slice type stored as comma-separated text.
type vsTags []string

func (t vsTags) Value() (driver.Value, error) { return strings.Join(t, ","), nil }

func (t *vsTags) Scan(src any) error {
	var s string
	switch x := src.(type) {
	case nil:
		*t = nil
		return nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return fmt.Errorf("vsTags: cannot scan %T", src)
	}
	if s == "" {
		*t = vsTags{}
		return nil
	}
	*t = strings.Split(s, ",")
	return nil
}

type vsDoc struct {
	ID   int64 `sqlmodel:"pk"`
	Raw  json.RawMessage
	Meta map[string]string `sqlmodel:"json"`
	Tags vsTags            `sqlmodel:"type=TEXT"`
	N    int
}

func (vsDoc) TableName() string { return "vs_doc" }

func TestValuesSnapshotByStoredValue(t *testing.T) {
	testkit.EachDialect(t, func(t *testing.T, db *orm.DB) {
		ctx := rwCtx(t)
		rwCreate(t, db, &vsDoc{})
		// Spaces in the raw text: PostgreSQL's JSONB and MySQL's JSON
		// return it normalised, SQLite as written.
		_, err := db.SQL().ExecContext(ctx, rwQ(db, `INSERT INTO "vs_doc" ("id", "raw", "meta", "tags", "n") VALUES (1, ?, ?, ?, 5)`),
			`{ "a" : 1,  "b" : [1, 2] }`, `{"k": "v"}`, "x,y,z")
		rwOK(t, err, "insert")
		rdb, rec := testkit.Record(db)
		s := rwSession(t, rdb)
		d, err := orm.Get[vsDoc](ctx, s, 1)
		rwOK(t, err, "Get")
		if s.IsModified(d) {
			t.Fatalf("freshly loaded object is modified: %v", s.ModifiedAttributes(d))
		}
		rec.Reset()
		rwOK(t, s.Commit(ctx), "Commit clean")
		rwStatements(t, rec)

		d, err = orm.Get[vsDoc](ctx, s, 1)
		rwOK(t, err, "Get again")
		d.Tags[1] = "w" // in place: the snapshot must not share the slice
		d.Meta["k"] = "v2"
		if got := s.ModifiedAttributes(d); strings.Join(got, ",") != "meta,tags" {
			t.Fatalf("modified %v, want [meta tags]", got)
		}
		rec.Reset()
		rwOK(t, s.Commit(ctx), "Commit change")
		rwStatements(t, rec, "UPDATE vs_doc")
		rwEqual(t, "tags", rwRows(t, db, `SELECT "tags" FROM "vs_doc"`), []string{"x,w,z"})
		var meta map[string]string
		rows := rwRows(t, db, `SELECT "meta" FROM "vs_doc"`)
		rwOK(t, json.Unmarshal([]byte(rows[0]), &meta), "meta json")
		if meta["k"] != "v2" {
			t.Fatalf("meta in the database: %v", meta)
		}
		// A new session loads the written values clean again.
		s2 := rwSession(t, db)
		d2, err := orm.Get[vsDoc](ctx, s2, 1)
		rwOK(t, err, "Get in a new session")
		if s2.IsModified(d2) || d2.N != 5 || strings.Join(d2.Tags, ",") != "x,w,z" {
			t.Fatalf("reloaded: modified %v (%v), n %d, tags %v", s2.IsModified(d2), s2.ModifiedAttributes(d2), d2.N, d2.Tags)
		}
	})
}
