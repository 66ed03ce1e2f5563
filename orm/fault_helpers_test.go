package orm_test

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sqlmodel-go/sqlmodel/internal/faultdriver"
	"github.com/sqlmodel-go/sqlmodel/internal/testkit"
	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
)

// Helpers of the fault-injection, cancellation and dropped-connection tests
// (issue 8, items 1-3; fault_test.go, cancel_test.go, dropconn_test.go).
// Every name of these files starts with "ft", every table with "ft_".

// ---- the reference object graph: authors, books, tags, book-tag links ----

type ftAuthor struct {
	ID    int64                   `sqlmodel:"pk"`
	Name  string                  `sqlmodel:"unique"`
	Books orm.RelatedMany[ftBook] `sqlmodel:"back_populates=Author"`
}

func (ftAuthor) TableName() string { return "ft_author" }

type ftBook struct {
	ID       int64  `sqlmodel:"pk"`
	Title    string `sqlmodel:"unique"`
	AuthorID int64
	Author   orm.Lazy[ftAuthor]     `sqlmodel:"fk=AuthorID,back_populates=Books"`
	Tags     orm.RelatedMany[ftTag] `sqlmodel:"link=ft_book_tag,back_populates=Books"`
	Version  int                    `sqlmodel:"version"`
}

func (ftBook) TableName() string { return "ft_book" }

type ftTag struct {
	ID    int64                   `sqlmodel:"pk"`
	Name  string                  `sqlmodel:"unique"`
	Books orm.RelatedMany[ftBook] `sqlmodel:"link=ft_book_tag,back_populates=Tags"`
}

func (ftTag) TableName() string { return "ft_tag" }

func ftTagsOf(b *ftBook) *orm.RelatedMany[ftTag]     { return &b.Tags }
func ftBooksOf(a *ftAuthor) *orm.RelatedMany[ftBook] { return &a.Books }
func ftAuthorOf(b *ftBook) *orm.Lazy[ftAuthor]       { return &b.Author }
func ftModels() []any                                { return []any{&ftAuthor{}, &ftBook{}, &ftTag{}} }
func ftTables() []string                             { return []string{"ft_author", "ft_book", "ft_tag", "ft_book_tag"} }
func ftBooksOfTag(t *ftTag) *orm.RelatedMany[ftBook] { return &t.Books }
func ftAuthorsByName(x, y *ftAuthor) int             { return strings.Compare(x.Name, y.Name) }
func ftBooksByTitle(x, y *ftBook) int                { return strings.Compare(x.Title, y.Title) }

func ftCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func ftOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ftEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// ftQ turns a neutral statement ("double quotes", ? placeholders) into the
// dialect's text.
func ftQ(db *orm.DB, s string) string {
	d := db.Dialect()
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			j := strings.IndexByte(s[i+1:], '"')
			b.WriteString(d.Quote(s[i+1 : i+1+j]))
			i += j + 1
		case '?':
			n++
			b.WriteString(d.Placeholder(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ftFormat renders a scanned value.
func ftFormat(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// ---- databases ----

// ftEnv is one database reached twice: plain (testkit's own pool, for
// setup and dumps) and faulty (a pool through the fault driver, steered by
// ctl) with the same dialect.
type ftEnv struct {
	tg     testkit.Target
	plain  *orm.DB
	faulty *orm.DB
	pool   *sql.DB
	ctl    *faultdriver.Controller
}

// ftDSN adds to the target's DSN what orm.Open would (orm.OpenDB takes the
// pool as it is), asking the target's driver: MySQL parseTime and
// clientFoundRows; SQLite foreign keys, busy timeout, immediate write
// transactions (and, for the pure-Go driver, the time format and zone).
func ftDSN(t *testing.T, tg testkit.Target) string {
	t.Helper()
	d, err := dialect.LookupDriver(tg.Driver)
	ftOK(t, err, "driver of the target")
	dsn, _, err := d.Adjust(tg.DSN)
	ftOK(t, err, "adjust the DSN")
	return dsn
}

// ftOpen opens both pools on tg and creates the reference tables. At
// cleanup it checks that the faulty pool has no connection in use.
func ftOpen(t *testing.T, tg testkit.Target) *ftEnv {
	t.Helper()
	env := &ftEnv{tg: tg, plain: testkit.OpenORM(t, tg), ctl: faultdriver.New()}
	pool, err := env.ctl.Open(tg.Driver, ftDSN(t, tg))
	ftOK(t, err, "open the fault driver")
	env.pool = pool
	env.faulty, err = orm.OpenDB(pool, env.plain.Dialect().Name())
	ftOK(t, err, "OpenDB")
	t.Cleanup(func() {
		if n := ftSettleInUse(pool); n != 0 {
			t.Errorf("%d connection(s) of the faulty pool still in use at the end of the test", n)
		}
		pool.Close()
		env.ctl.Close()
	})
	ftOK(t, env.plain.CreateAll(ftCtx(t), ftModels()...), "CreateAll")
	ftOK(t, env.faulty.Register(ftModels()...), "Register")
	return env
}

// ftSettleInUse waits up to 2 s for the pool's connections to be returned
// (database/sql returns a cancelled transaction's connection from a
// goroutine of its own) and returns how many are still in use.
func ftSettleInUse(pool *sql.DB) int {
	n := pool.Stats().InUse
	for deadline := time.Now().Add(2 * time.Second); n != 0 && time.Now().Before(deadline); n = pool.Stats().InUse {
		time.Sleep(5 * time.Millisecond)
	}
	return n
}

// ftGoroutines returns the goroutine count with no idle connection in
// either pool (the MySQL driver runs a goroutine per connection, and a
// cancelled read may replace a connection), so that counts taken with
// different numbers of connections compare.
func ftGoroutines(env *ftEnv) int {
	for _, p := range []*sql.DB{env.pool, env.plain.SQL()} {
		p.SetMaxIdleConns(0)
		p.SetMaxIdleConns(2)
	}
	return runtime.NumGoroutine()
}

// ftCheckPool checks that the faulty pool is healthy: nothing in use, a
// query works, and (when base > 0) the goroutine count, taken as
// ftGoroutines does, comes back to base within 2 s.
func ftCheckPool(t *testing.T, env *ftEnv, base int) {
	t.Helper()
	if n := ftSettleInUse(env.pool); n != 0 {
		t.Fatalf("%d connection(s) still in use: %+v", n, env.pool.Stats())
	}
	var one int
	ftOK(t, env.pool.QueryRowContext(ftCtx(t), "SELECT 1").Scan(&one), "query on the pool")
	if base <= 0 {
		return
	}
	n := ftGoroutines(env)
	for deadline := time.Now().Add(2 * time.Second); n > base && time.Now().Before(deadline); n = ftGoroutines(env) {
		time.Sleep(5 * time.Millisecond)
	}
	if n > base {
		buf := make([]byte, 1<<16)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("goroutines: %d, baseline %d: leaked\n%s", n, base, buf)
	}
}

// ---- dumps ----

// ftDump returns every row of every reference table, SELECT * ORDER BY
// the primary key, each row as "table: v1|v2|...", read on the plain pool.
func ftDump(t *testing.T, db *orm.DB) []string {
	t.Helper()
	var out []string
	for _, table := range ftTables() {
		order := "1"
		if table == "ft_book_tag" {
			order = "1, 2"
		}
		rows, err := db.SQL().QueryContext(ftCtx(t), "SELECT * FROM "+db.Dialect().Quote(table)+" ORDER BY "+order)
		ftOK(t, err, "dump "+table)
		cols, err := rows.Columns()
		ftOK(t, err, "columns "+table)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			ftOK(t, rows.Scan(ptrs...), "scan "+table)
			s := make([]string, len(vals))
			for i, v := range vals {
				s[i] = ftFormat(v)
			}
			out = append(out, table+": "+strings.Join(s, "|"))
		}
		ftOK(t, rows.Err(), "rows "+table)
		rows.Close()
	}
	return out
}

// ftLogical returns the reference tables' contents with every generated key
// replaced by the natural key it stands for (author and tag names, book
// titles), so that runs whose sequences moved differently compare equal.
func ftLogical(t *testing.T, db *orm.DB) []string {
	t.Helper()
	q := func(sqlText string) []string {
		rows, err := db.SQL().QueryContext(ftCtx(t), ftQ(db, sqlText))
		ftOK(t, err, sqlText)
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			ftOK(t, rows.Scan(ptrs...), "scan")
			s := make([]string, len(vals))
			for i, v := range vals {
				s[i] = ftFormat(v)
			}
			out = append(out, strings.Join(s, "|"))
		}
		ftOK(t, rows.Err(), "rows")
		return out
	}
	var out []string
	for _, r := range q(`SELECT "name" FROM "ft_author" ORDER BY "name"`) {
		out = append(out, "author: "+r)
	}
	for _, r := range q(`SELECT "b"."title", "a"."name", "b"."version" FROM "ft_book" "b" JOIN "ft_author" "a" ON "a"."id" = "b"."author_id" ORDER BY "b"."title"`) {
		out = append(out, "book: "+r)
	}
	for _, r := range q(`SELECT "name" FROM "ft_tag" ORDER BY "name"`) {
		out = append(out, "tag: "+r)
	}
	for _, r := range q(`SELECT "b"."title", "g"."name" FROM "ft_book_tag" "l" JOIN "ft_book" "b" ON "b"."id" = "l"."ft_book_id" JOIN "ft_tag" "g" ON "g"."id" = "l"."ft_tag_id" ORDER BY "b"."title", "g"."name"`) {
		out = append(out, "link: "+r)
	}
	return out
}

// ---- the scenario ----

// ftScenario is one run of the reference flush. Committed beforehand
// (ftSeed): authors ann, bob; books b1 (ann), b2 (ann), b3 (bob); tags go,
// db; links b1-go, b2-db, b3-go. The flush (stage) then writes
//
//   - inserts in 3 tables with generated keys: author cid, books b4 (cid)
//     and b5 (ann), tag sql;
//   - updates: ann -> ann2, b3 -> b3x (version 1 -> 2), go -> golang;
//   - a delete: b2 (its link b2-db goes first);
//   - link rows b4-sql, b5-golang, b1-sql, and the unlink of b3-golang.
type ftScenario struct {
	ann, bob, cid *ftAuthor
	b1, b2, b3    *ftBook
	b4, b5        *ftBook
	goTag, dbTag  *ftTag
	sqlTag        *ftTag
	objs          []any
}

// ftSeed empties the reference tables and commits the starting rows
// through the plain pool.
func ftSeed(t *testing.T, db *orm.DB) {
	t.Helper()
	ctx := ftCtx(t)
	for _, table := range []string{"ft_book_tag", "ft_book", "ft_tag", "ft_author"} {
		_, err := db.SQL().ExecContext(ctx, "DELETE FROM "+db.Dialect().Quote(table))
		ftOK(t, err, "empty "+table)
	}
	s := orm.NewSession(db)
	defer s.Close()
	ann, bob := &ftAuthor{Name: "ann"}, &ftAuthor{Name: "bob"}
	gt, dt := &ftTag{Name: "go"}, &ftTag{Name: "db"}
	b1, b2, b3 := &ftBook{Title: "b1"}, &ftBook{Title: "b2"}, &ftBook{Title: "b3"}
	b1.Author.Set(ann)
	b2.Author.Set(ann)
	b3.Author.Set(bob)
	ftOK(t, s.AddAll(ann, bob, gt, dt, b1, b2, b3), "seed AddAll")
	ftOK(t, orm.RelateManyToMany(s, b1, ftTagsOf, gt), "seed link b1-go")
	ftOK(t, orm.RelateManyToMany(s, b2, ftTagsOf, dt), "seed link b2-db")
	ftOK(t, orm.RelateManyToMany(s, b3, ftTagsOf, gt), "seed link b3-go")
	ftOK(t, s.Commit(ctx), "seed Commit")
}

// ftGet loads one object by a unique column.
func ftGet[T any](t *testing.T, ctx context.Context, s *orm.Session, col, val string) *T {
	t.Helper()
	o, err := orm.Select[T](s).Filter(orm.Col(col).Eq(val)).One(ctx)
	ftOK(t, err, "load "+val)
	return o
}

// ftStage loads the seeded objects into s and makes the changes of the
// reference flush, which s.Commit then writes.
func ftStage(t *testing.T, ctx context.Context, s *orm.Session) *ftScenario {
	t.Helper()
	sc := &ftScenario{}
	sc.ann = ftGet[ftAuthor](t, ctx, s, "name", "ann")
	sc.bob = ftGet[ftAuthor](t, ctx, s, "name", "bob")
	sc.b1 = ftGet[ftBook](t, ctx, s, "title", "b1")
	sc.b2 = ftGet[ftBook](t, ctx, s, "title", "b2")
	sc.b3 = ftGet[ftBook](t, ctx, s, "title", "b3")
	sc.goTag = ftGet[ftTag](t, ctx, s, "name", "go")
	sc.dbTag = ftGet[ftTag](t, ctx, s, "name", "db")

	sc.cid = &ftAuthor{Name: "cid"}
	sc.b4 = &ftBook{Title: "b4"}
	sc.b5 = &ftBook{Title: "b5"}
	sc.sqlTag = &ftTag{Name: "sql"}
	ftOK(t, s.AddAll(sc.cid, sc.b4, sc.b5, sc.sqlTag), "AddAll")
	ftOK(t, orm.RelateToOne(s, sc.b4, ftAuthorOf, sc.cid), "b4 -> cid")
	ftOK(t, orm.RelateToOne(s, sc.b5, ftAuthorOf, sc.ann), "b5 -> ann")

	sc.ann.Name = "ann2"
	sc.b3.Title = "b3x"
	sc.goTag.Name = "golang"
	ftOK(t, s.Delete(sc.b2), "Delete b2")

	ftOK(t, orm.RelateManyToMany(s, sc.b4, ftTagsOf, sc.sqlTag), "link b4-sql")
	ftOK(t, orm.RelateManyToMany(s, sc.b5, ftTagsOf, sc.goTag), "link b5-go")
	ftOK(t, orm.RelateManyToMany(s, sc.b1, ftTagsOf, sc.sqlTag), "link b1-sql")
	ftOK(t, orm.UnrelateManyToMany(s, sc.b3, ftTagsOf, sc.goTag), "unlink b3-go")
	sc.objs = []any{sc.ann, sc.bob, sc.cid, sc.b1, sc.b2, sc.b3, sc.b4, sc.b5, sc.goTag, sc.dbTag, sc.sqlTag}
	return sc
}

// ftWant is the logical content after the reference flush.
var ftWant = []string{
	"author: ann2", "author: bob", "author: cid",
	"book: b1|ann2|1", "book: b3x|bob|2", "book: b4|cid|1", "book: b5|ann2|1",
	"tag: db", "tag: golang", "tag: sql",
	"link: b1|golang", "link: b1|sql", "link: b4|sql", "link: b5|golang",
}

// ftPtr names a pointer by its object in the scenario, so that captures of
// relation fields compare by identity.
func (sc *ftScenario) ftPtr(p any) string {
	for i, o := range sc.objs {
		if o == p {
			return fmt.Sprintf("#%d", i)
		}
	}
	return fmt.Sprintf("%T(other)", p)
}

func ftMany[T any](sc *ftScenario, r *orm.RelatedMany[T]) string {
	var items []string
	for _, it := range r.Items() {
		items = append(items, sc.ftPtr(it))
	}
	link, unlink := r.PendingLinks()
	var ls, us []string
	for _, o := range link {
		ls = append(ls, sc.ftPtr(o))
	}
	for _, o := range unlink {
		us = append(us, sc.ftPtr(o))
	}
	return fmt.Sprintf("loaded=%v items=%v link=%v unlink=%v", r.IsLoaded(), items, ls, us)
}

// ftCapture describes everything the session knows of the scenario: each
// object's state, field values, relation fields (loaded items, pending
// link operations), modified columns; the pending counts and DebugState.
func (sc *ftScenario) capture(s *orm.Session) []string {
	out := []string{
		fmt.Sprintf("pending new=%d dirty=%d deleted=%d tracked=%d tx=%v",
			s.PendingNewCount(), s.PendingDirtyCount(), s.PendingDeleteCount(), s.TrackedCount(), s.InTransaction()),
		s.DebugState(),
	}
	for i, o := range sc.objs {
		st, tracked := s.ObjectState(o)
		var v string
		switch x := o.(type) {
		case *ftAuthor:
			v = fmt.Sprintf("author id=%d name=%s books[%s]", x.ID, x.Name, ftMany(sc, &x.Books))
		case *ftBook:
			a, ok := x.Author.Get()
			v = fmt.Sprintf("book id=%d title=%s author_id=%d version=%d author=%v/%s tags[%s]",
				x.ID, x.Title, x.AuthorID, x.Version, ok, sc.ftPtr(a), ftMany(sc, &x.Tags))
		case *ftTag:
			v = fmt.Sprintf("tag id=%d name=%s books[%s]", x.ID, x.Name, ftMany(sc, &x.Books))
		}
		out = append(out, fmt.Sprintf("#%d %s tracked=%v modified=%v %v | %s", i, st, tracked, s.IsModified(o), s.ModifiedAttributes(o), v))
	}
	return out
}

// ftSameSession fails when the session's capture differs from want.
func ftSameSession(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		var b strings.Builder
		for i := range max(len(got), len(want)) {
			g, w := "", ""
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				fmt.Fprintf(&b, " got  %s\n want %s\n", g, w)
			}
		}
		t.Fatalf("%s: the session changed:\n%s", what, b.String())
	}
}

// ftCheckDone checks the session after the reference flush landed.
func (sc *ftScenario) checkDone(t *testing.T, s *orm.Session) {
	t.Helper()
	if n := s.PendingNewCount() + s.PendingDirtyCount() + s.PendingDeleteCount(); n != 0 {
		t.Fatalf("%d changes still pending after the flush\n%s", n, s.DebugState())
	}
	if sc.cid.ID == 0 || sc.b4.ID == 0 || sc.b5.ID == 0 || sc.sqlTag.ID == 0 || sc.b4.AuthorID != sc.cid.ID || sc.b5.AuthorID != sc.ann.ID {
		t.Fatalf("keys after the flush: cid %d b4 %d (author %d) b5 %d (author %d) sql %d",
			sc.cid.ID, sc.b4.ID, sc.b4.AuthorID, sc.b5.ID, sc.b5.AuthorID, sc.sqlTag.ID)
	}
	for _, b := range []*ftBook{sc.b1, sc.b3, sc.b4, sc.b5} {
		if b.Tags.HasPendingOps() {
			t.Fatalf("book %s keeps pending link operations", b.Title)
		}
	}
	if st, ok := s.ObjectState(sc.b2); ok {
		t.Fatalf("deleted b2 still tracked (%v)", st)
	}
}
