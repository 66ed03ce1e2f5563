package admin

import (
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// ErrBadKey reports a {key} path segment that does not decode to the
// model's primary key.
var ErrBadKey = errors.New("orm/admin: malformed key")

// encodeKey joins the text of a key's columns into one path segment: each
// part query-escaped (so ',' becomes %2C), joined by ','. decodeKey
// reverses it.
func encodeKey(parts []string) string {
	esc := make([]string, len(parts))
	for i, p := range parts {
		esc[i] = url.QueryEscape(p)
	}
	return strings.Join(esc, ",")
}

// decodeKey splits a key segment into n parts.
func decodeKey(seg string, n int) ([]string, error) {
	raw := strings.Split(seg, ",")
	if len(raw) != n {
		return nil, fmt.Errorf("%w: %d part(s), want %d", ErrBadKey, len(raw), n)
	}
	for i, p := range raw {
		u, err := url.QueryUnescape(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		raw[i] = u
	}
	return raw, nil
}

// decodeForDisplay shows an encoded key as text.
func decodeForDisplay(seg string) string {
	parts := strings.Split(seg, ",")
	for i, p := range parts {
		if u, err := url.QueryUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return strings.Join(parts, ", ")
}

// pathUnescape unescapes one path segment.
func pathUnescape(s string) (string, error) { return url.PathUnescape(s) }

// keyValues parses a key segment into the values of the model's primary key.
func (m *model) keyValues(seg string) ([]any, error) {
	parts, err := decodeKey(seg, len(m.meta.PrimaryKey))
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(parts))
	for i, f := range m.meta.PrimaryKey {
		v, err := parseValue(f, parts[i])
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadKey, f.Column, err)
		}
		vals[i] = v
	}
	return vals, nil
}

// timeLayouts are the layouts a time input is parsed with, in order.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"}

// errNotNumber and friends are the type errors shown next to a field.
var (
	errNotInteger = errors.New("not a whole number")
	errNotNumber  = errors.New("not a number")
	errNotBool    = errors.New("not true or false")
	errNotTime    = errors.New("not a date and time (2006-01-02T15:04:05)")
	errNotJSON    = errors.New("not valid JSON")
)

// parseValue turns the text of an input into a value for the field's
// Set, by the field's kind. It never panics on any input.
func parseValue(f *schema.Field, s string) (any, error) {
	switch f.Kind {
	case schema.KindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, bitsOf(f))
		if err != nil {
			return nil, errNotInteger
		}
		return n, nil
	case schema.KindUint:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, bitsOf(f))
		if err != nil {
			return nil, errNotInteger
		}
		if n > math.MaxInt64 {
			return nil, errNotInteger
		}
		return int64(n), nil
	case schema.KindFloat:
		x, err := strconv.ParseFloat(strings.TrimSpace(s), bitsOf(f))
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errNotNumber
		}
		return x, nil
	case schema.KindBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "on", "true", "1", "yes":
			return true, nil
		case "", "off", "false", "0", "no":
			return false, nil
		}
		return nil, errNotBool
	case schema.KindTime:
		return parseTime(s)
	case schema.KindJSON:
		if !json.Valid([]byte(s)) {
			return nil, errNotJSON
		}
		return s, nil
	case schema.KindBytes:
		return []byte(s), nil
	}
	if f.JSON {
		if !json.Valid([]byte(s)) {
			return nil, errNotJSON
		}
	}
	return s, nil
}

// parseTime parses a time input; times without a zone are UTC.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errNotTime
}

// bitsOf returns the size of a numeric field for strconv.
func bitsOf(f *schema.Field) int {
	if f.Bits == 0 {
		return 64
	}
	return f.Bits
}

// formatValue returns the text of a bound value as an input shows it and
// parseValue reads it back; nil is "".
func formatValue(f *schema.Field, v any) string {
	if vr, ok := v.(driver.Valuer); ok {
		dv, err := vr.Value()
		if err != nil {
			return ""
		}
		v = dv
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		if f.Kind == schema.KindBytes && !isText(x) {
			return hex.EncodeToString(x)
		}
		return string(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.999999999")
	case bool:
		return strconv.FormatBool(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// isText reports bytes that are printable UTF-8.
func isText(b []byte) bool {
	for _, r := range string(b) {
		if r == '\uFFFD' || (r < 0x20 && r != '\n' && r != '\t' && r != '\r') {
			return false
		}
	}
	return true
}

// cell is the displayed value of one column of a row.
type cell struct {
	Text string
	Null bool
	Href string // the related row's edit page for foreign keys
}

// valueOf returns the bound value of a column of an object, nil for NULL.
func valueOf(c *column, obj any, m *model) any {
	v, err := c.f.Value(m.pointer(obj))
	if err != nil {
		return nil
	}
	if vr, ok := v.(driver.Valuer); ok {
		dv, err := vr.Value()
		if err != nil {
			return nil
		}
		return dv
	}
	return v
}
