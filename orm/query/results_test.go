package query_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/dialect"
	"github.com/sqlmodel-go/sqlmodel/orm/query"
)

// TestEscapeLike: every wildcard and the escape character get a backslash,
// nothing else changes.
func TestEscapeLike(t *testing.T) {
	for in, want := range map[string]string{
		"":          "",
		"plain":     "plain",
		"50%":       `50\%`,
		"a_b":       `a\_b`,
		`a\b`:       `a\\b`,
		`%_\`:       `\%\_\\`,
		"École 100": "École 100",
		`\%`:        `\\\%`,
	} {
		if got := query.EscapeLike(in); got != want {
			t.Errorf("EscapeLike(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEmptyListContext: an empty list is a constant predicate only when it
// stands alone in IN (?) or NOT IN (?), however spelled; elsewhere it is
// ErrInvalidArgument. Non-empty lists expand as always.
func TestEmptyListContext(t *testing.T) {
	d := dialect.SQLite()
	empty := []int{}
	for _, tc := range []struct {
		sql, want string
	}{
		{"x IN (?)", "x IN (NULL) IS NOT NULL"},
		{"x in(?)", "x in(NULL) IS NOT NULL"},
		{"x NOT IN (?)", "x NOT IN (NULL) IS NULL"},
		{"x not  in ( ? )", "x not  in ( NULL) IS NULL"},
		{"x NOT\n\tIN\n(\n?\n)", "x NOT\n\tIN\n(\nNULL) IS NULL"},
		{"f(x) NOT IN (?)", "f(x) NOT IN (NULL) IS NULL"},
		{`"not" IN (?)`, `"not" IN (NULL) IS NOT NULL`},
		{"cannot IN (?)", "cannot IN (NULL) IS NOT NULL"},
		{"(x)NOT IN (?)", "(x)NOT IN (NULL) IS NULL"},
		{"a NOT IN (?) AND b IN (?)", "a NOT IN (NULL) IS NULL AND b IN (NULL) IS NOT NULL"},
	} {
		args := make([]any, strings.Count(tc.sql, "?"))
		for i := range args {
			args[i] = empty
		}
		got, bound, err := query.Rebind(d, tc.sql, args)
		if err != nil || got != tc.want || len(bound) != 0 {
			t.Errorf("%q: %q %v, %v; want %q", tc.sql, got, bound, err, tc.want)
		}
	}
	for _, sql := range []string{
		"x JOIN (?)", "x IN (?, 1)", "x IN (1, ?)", "x IN ((?))", "COALESCE(?)", "x = ANY(?)", "x IN ?", "x NOTIN (?)", "x BETWEEN (?)",
	} {
		got, _, err := query.Rebind(d, sql, []any{empty})
		if !errors.Is(err, query.ErrInvalidArgument) {
			t.Errorf("%q with an empty list: %q, %v; want ErrInvalidArgument", sql, got, err)
		}
	}
	// The same text with a non-empty list expands.
	got, bound, err := query.Rebind(d, "x NOT IN (?)", []any{[]int{1, 2}})
	if err != nil || got != "x NOT IN (?, ?)" || len(bound) != 2 {
		t.Errorf("non-empty NOT IN: %q %v, %v", got, bound, err)
	}
}

// TestListOf: any slice or array becomes its elements; other values are a
// one-element list; nil is empty.
func TestListOf(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int
	}{
		{[]uint8{1, 2, 3}, 3}, {[]byte("ab"), 2}, {[2]string{"a", "b"}, 2}, {nil, 0}, {7, 1}, {"abc", 1}, {query.List{1}, 1}, {[]any{}, 0},
	} {
		l := query.ListOf(tc.in)
		if len(l) != tc.want || !query.Expands(l) {
			t.Errorf("ListOf(%#v) = %#v; want %d elements, expanding", tc.in, l, tc.want)
		}
	}
	for _, v := range []any{[]byte{1}, valuerList{"a"}, "s", 1, nil} {
		if query.Expands(v) {
			t.Errorf("Expands(%#v) = true, want one value", v)
		}
	}
	for _, v := range []any{[]int{1}, []uint16{1}, [3]int{}, []string{}, query.List{}} {
		if !query.Expands(v) {
			t.Errorf("Expands(%#v) = false, want a list", v)
		}
	}
}
