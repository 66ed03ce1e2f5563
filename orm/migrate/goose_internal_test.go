package migrate

import (
	"slices"
	"strings"
	"testing"
)

func TestParseGoose(t *testing.T) {
	g, err := parseGoose(`-- a comment before
-- +goose Up
CREATE TABLE a (id INT);
-- a comment
INSERT INTO a VALUES (1);
-- +goose StatementBegin
CREATE TABLE b (
  s TEXT DEFAULT 'x;y'
);
-- +goose StatementEnd

-- +goose Down
DROP TABLE b;
DROP TABLE a;
`)
	if err != nil {
		t.Fatal(err)
	}
	wantUp := []string{"CREATE TABLE a (id INT)", "INSERT INTO a VALUES (1)", "CREATE TABLE b (\n  s TEXT DEFAULT 'x;y'\n)"}
	if !slices.Equal(g.up.stmts, wantUp) || !slices.Equal(g.down.stmts, []string{"DROP TABLE b", "DROP TABLE a"}) || g.noTx {
		t.Errorf("parsed %q / %q / noTx %v", g.up.stmts, g.down.stmts, g.noTx)
	}
	g, err = parseGoose("-- +goose NO TRANSACTION\n-- +goose Up\nSELECT 1;\n")
	if err != nil || !g.noTx || len(g.up.stmts) != 1 || len(g.down.stmts) != 0 {
		t.Errorf("NO TRANSACTION: %+v %v", g, err)
	}
	for text, want := range map[string]string{
		"SELECT 1;\n-- +goose Up\n":                           "SQL before",
		"-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n": "without StatementEnd",
		"-- +goose Up\n-- +goose Sideways\n":                  "unknown annotation",
	} {
		if _, err := parseGoose(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
	// What formatGoose writes, parseGoose reads back.
	text := formatGoose([]string{"CREATE TABLE t (\n  s TEXT DEFAULT ';'\n)"}, []string{"DROP TABLE t"}, []string{"not reversed: x"})
	g, err = parseGoose(text)
	if err != nil || len(g.up.stmts) != 1 || g.up.stmts[0] != "CREATE TABLE t (\n  s TEXT DEFAULT ';'\n)" || len(g.down.stmts) != 1 {
		t.Errorf("round trip of %q: %+v %v", text, g, err)
	}
}
