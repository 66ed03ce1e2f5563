package schema

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTag(t *testing.T) {
	opt := func(k, v string, has bool) tagOption { return tagOption{key: k, value: v, hasValue: has} }
	cases := []struct {
		name string
		tag  string
		want []tagOption
		err  string
	}{
		{name: "empty", tag: "", want: nil},
		{name: "blank", tag: "   ", want: nil},
		{name: "flag", tag: "pk", want: []tagOption{opt("pk", "", false)}},
		{name: "key lowered, value kept", tag: "PK,Column=MyCol", want: []tagOption{opt("pk", "", false), opt("column", "MyCol", true)}},
		{name: "spaces trimmed", tag: "  unique ,  size = 20 ", want: []tagOption{opt("unique", "", false), opt("size", "20", true)}},
		{name: "empty value", tag: "column=", want: []tagOption{opt("column", "", true)}},
		{name: "value with equals", tag: "default=a=b", want: []tagOption{opt("default", "a=b", true)}},
		{name: "comma in parentheses", tag: "type=NUMERIC(10,2),notnull", want: []tagOption{opt("type", "NUMERIC(10,2)", true), opt("notnull", "", false)}},
		{name: "nested parentheses", tag: "default=coalesce(f(a, b), 'x'),pk", want: []tagOption{opt("default", "coalesce(f(a, b), 'x')", true), opt("pk", "", false)}},
		{name: "comma in single quotes", tag: "default='a,b',index", want: []tagOption{opt("default", "'a,b'", true), opt("index", "", false)}},
		{name: "comma in double quotes", tag: `default="x,y"`, want: []tagOption{opt("default", `"x,y"`, true)}},
		{name: "parenthesis in quotes", tag: "default=')',pk", want: []tagOption{opt("default", "')'", true), opt("pk", "", false)}},
		{name: "other quote inside quotes", tag: `default='say "hi, there"'`, want: []tagOption{opt("default", `'say "hi, there"'`, true)}},
		{name: "link with columns", tag: "link=hero_power(a;b,c;d),back_populates=X", want: []tagOption{opt("link", "hero_power(a;b,c;d)", true), opt("back_populates", "X", true)}},
		{name: "semicolon list", tag: "order_by=name;-age", want: []tagOption{opt("order_by", "name;-age", true)}},
		{name: "value with space", tag: "ondelete=set null", want: []tagOption{opt("ondelete", "set null", true)}},
		{name: "empty option in the middle", tag: "pk,,unique", err: "empty option"},
		{name: "trailing comma", tag: "pk,", err: "empty option"},
		{name: "leading comma", tag: ",pk", err: "empty option"},
		{name: "no name", tag: "=x", err: "has no name"},
		{name: "unbalanced open", tag: "default=f(x", err: "unbalanced '('"},
		{name: "unbalanced close", tag: "default=x)", err: "unbalanced ')'"},
		{name: "unterminated single quote", tag: "default='x", err: "unterminated quote"},
		{name: "unterminated double quote", tag: `default="x`, err: "unterminated quote"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseTag(tc.tag)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseTag(%q) error = %v, want %q", tc.tag, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseTag(%q): %v", tc.tag, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseTag(%q) = %+v, want %+v", tc.tag, got, tc.want)
			}
		})
	}
}

func TestParseLink(t *testing.T) {
	cases := []struct {
		in   string
		name string
		cols [2][]string
		err  bool
	}{
		{in: "hero_power", name: "hero_power"},
		{in: " hero_power ", name: "hero_power"},
		{in: "t(a,b)", name: "t", cols: [2][]string{{"a"}, {"b"}}},
		{in: "t( a ; b , c ;d )", name: "t", cols: [2][]string{{"a", "b"}, {"c", "d"}}},
		{in: "t(a)", err: true},
		{in: "t(,b)", err: true},
		{in: "t(a,)", err: true},
		{in: "(a,b)", err: true},
		{in: "t(a,b", err: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			name, cols, err := parseLink(tc.in)
			if tc.err {
				if err == nil {
					t.Fatalf("parseLink(%q) = %q, %v; want an error", tc.in, name, cols)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name != tc.name || !reflect.DeepEqual(cols, tc.cols) {
				t.Errorf("parseLink(%q) = %q, %q; want %q, %q", tc.in, name, cols, tc.name, tc.cols)
			}
		})
	}
}

func TestLimitName(t *testing.T) {
	short := "idx_hero_name"
	if got := limitName(short); got != short {
		t.Errorf("limitName(%q) = %q", short, got)
	}
	exact := strings.Repeat("a", 63)
	if got := limitName(exact); got != exact {
		t.Errorf("a 63-character name was changed to %q", got)
	}
	a := limitName(strings.Repeat("x", 70) + "_one")
	b := limitName(strings.Repeat("x", 70) + "_two")
	if len(a) != 63 || len(b) != 63 {
		t.Errorf("lengths %d, %d; want 63", len(a), len(b))
	}
	if a == b {
		t.Errorf("two long names collide: %q", a)
	}
	if !strings.HasPrefix(a, strings.Repeat("x", 54)+"_") {
		t.Errorf("prefix lost: %q", a)
	}
}
