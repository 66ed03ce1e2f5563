package schema

import (
	"fmt"
	"strings"
)

// tagOption is one comma-separated option of a sqlmodel tag: a key with an
// optional value ("pk", "fk=team.id").
type tagOption struct {
	key      string
	value    string
	hasValue bool
}

// parseTag splits a tag into options. Commas inside parentheses or quotes do
// not split, so "default=coalesce(a, 'x,y')" and "link=t(a,b)" are one option
// each. An empty option (",,") or an unbalanced quote or parenthesis is an
// error.
func parseTag(tag string) ([]tagOption, error) {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return nil, nil
	}
	var parts []string
	depth := 0
	var quote rune
	start := 0
	for i, r := range tag {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ')' at offset %d", i)
			}
		case r == ',' && depth == 0:
			parts = append(parts, tag[start:i])
			start = i + 1
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote %q", string(quote))
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced '('")
	}
	parts = append(parts, tag[start:])
	opts := make([]tagOption, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("empty option")
		}
		k, v, has := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if k == "" {
			return nil, fmt.Errorf("option %q has no name", p)
		}
		if has {
			v = strings.TrimSpace(v)
		}
		opts = append(opts, tagOption{key: strings.ToLower(k), value: v, hasValue: has})
	}
	return opts, nil
}
