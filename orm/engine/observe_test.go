package engine

import "testing"

// TableOf reads the table of the statement forms the ORM writes and gives
// up ("") on anything that names more than one table or that it cannot
// read with certainty; OperationOf reads the verb.
func TestTableOf(t *testing.T) {
	for _, c := range []struct{ q, table, op string }{
		{`INSERT INTO "hero" ("name") VALUES ($1) RETURNING "id"`, "hero", "INSERT"},
		{"INSERT INTO `hero` (`name`) VALUES (?)", "hero", "INSERT"},
		{`UPDATE "we""ird" SET "a" = $1 WHERE "id" = $2`, `we"ird`, "UPDATE"},
		{"update `t` set `a` = ? where `id` = ?", "t", "UPDATE"},
		{`DELETE FROM "s"."hero" WHERE "id" IN ($1, $2)`, "s.hero", "DELETE"},
		{`SELECT "id", "name" FROM "hero" WHERE "id" = $1`, "hero", "SELECT"},
		{`SELECT "id" FROM "hero" AS "h" WHERE "h"."id" = $1 FOR UPDATE`, "hero", "SELECT"},
		{`SELECT "from" FROM "order" ORDER BY "from" LIMIT 3`, "order", "SELECT"},
		{`SELECT count(*) FROM hero h`, "hero", "SELECT"},
		{`SELECT * FROM "hero"`, "hero", "SELECT"},
		{`SELECT "a" FROM "hero" JOIN "team" ON "team"."id" = "hero"."team_id"`, "", "SELECT"},
		{`SELECT "a" FROM "hero" h LEFT JOIN "team" t ON t.id = h.team_id`, "", "SELECT"},
		{`SELECT a FROM hero, team`, "", "SELECT"},
		{`SELECT a FROM (SELECT a FROM hero) x`, "", "SELECT"},
		{`SELECT a FROM hero UNION SELECT a FROM team`, "", "SELECT"},
		{`SELECT 'FROM x' AS s`, "", "SELECT"},
		{`SELECT 1`, "", "SELECT"},
		{`WITH x AS (SELECT 1) SELECT * FROM x`, "", "WITH"},
		{`BEGIN`, "", "BEGIN"},
		{`SAVEPOINT "sqlm_flush_1"`, "", "SAVEPOINT"},
		{`INSERT INTO "unterminated`, "", "INSERT"},
		{``, "", ""},
		{`   `, "", ""},
	} {
		if got := TableOf(c.q); got != c.table {
			t.Errorf("TableOf(%q) = %q; want %q", c.q, got, c.table)
		}
		if got := OperationOf(c.q); got != c.op {
			t.Errorf("OperationOf(%q) = %q; want %q", c.q, got, c.op)
		}
	}
}

// A DB whose hooks implement no observer interface has no observers: the
// flush, transaction and attempt points cost it a nil check.
func TestNewObserversNone(t *testing.T) {
	if o := newObservers([]QueryHook{AfterQueryFunc(nil), slogHook{}}); o != nil {
		t.Fatalf("newObservers of plain hooks = %+v; want nil", o)
	}
	var e Engine
	if ctx, ev := e.BeforeFlush(t.Context(), nil); ev != nil || ctx != t.Context() {
		t.Fatal("BeforeFlush without observers returned an event or a new context")
	}
	if _, ev := e.BeforeTx(t.Context(), nil); ev != nil {
		t.Fatal("BeforeTx without observers returned an event")
	}
	if _, ev := e.BeforeAttempt(t.Context(), 1, nil); ev != nil {
		t.Fatal("BeforeAttempt without observers returned an event")
	}
}
