package migrate

import (
	"strconv"
	"strings"
)

// typeChange classifies a change between two normalised column types:
// widening keeps every value the old type can hold (a bigger integer or
// float, a longer or unbounded string or binary, a decimal with more
// digits on both sides of the point, a finer time precision); any other
// change may lose or reject values.
func typeChange(from, to string) (widening bool, how string) {
	a, b := parseType(from), parseType(to)
	if a.family == "" || a.family != b.family {
		return false, "type change"
	}
	switch a.family {
	case "int":
		if a.unsigned == b.unsigned && b.size >= a.size || a.unsigned && !b.unsigned && b.size > a.size {
			return true, "widening"
		}
	case "decimal":
		if b.scale >= a.scale && b.size-b.scale >= a.size-a.scale {
			return true, "widening"
		}
	default:
		if b.size >= a.size {
			return true, "widening"
		}
	}
	return false, "narrowing"
}

// sqlType is a type reduced to what widening compares.
type sqlType struct {
	family   string // int, float, string, binary, decimal, time; "" unknown
	size     int64  // bits, length or precision; unbounded is the largest
	scale    int64  // decimal digits after the point
	unsigned bool
}

const unbounded = int64(1) << 62

var typeFamilies = map[string]sqlType{
	"tinyint": {"int", 8, 0, false}, "smallint": {"int", 16, 0, false}, "mediumint": {"int", 24, 0, false},
	"int": {"int", 32, 0, false}, "integer": {"int", 32, 0, false}, "bigint": {"int", 64, 0, false},
	"real": {"float", 32, 0, false}, "float": {"float", 32, 0, false},
	"double": {"float", 64, 0, false}, "double precision": {"float", 64, 0, false},
	"varchar": {"string", 0, 0, false}, "character varying": {"string", 0, 0, false},
	"char": {"string", 0, 0, false}, "character": {"string", 0, 0, false},
	"tinytext": {"string", 255, 0, false}, "text": {"string", 65535, 0, false},
	"mediumtext": {"string", 1<<24 - 1, 0, false}, "longtext": {"string", unbounded, 0, false},
	"varbinary": {"binary", 0, 0, false}, "binary": {"binary", 0, 0, false},
	"tinyblob": {"binary", 255, 0, false}, "blob": {"binary", 65535, 0, false},
	"mediumblob": {"binary", 1<<24 - 1, 0, false}, "longblob": {"binary", unbounded, 0, false},
	"bytea":   {"binary", unbounded, 0, false},
	"decimal": {"decimal", 0, 0, false}, "numeric": {"decimal", 0, 0, false},
	"datetime": {"time", 0, 0, false},
}

func parseType(s string) sqlType {
	s = strings.ToLower(s)
	base, params, rest := s, "", ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		base = strings.TrimSpace(s[:i])
		if j := strings.IndexByte(s[i:], ')'); j >= 0 {
			params, rest = s[i+1:i+j], s[i+j+1:]
		}
	} else if f := strings.Fields(s); len(f) > 1 && f[len(f)-1] == "unsigned" {
		base, rest = strings.Join(f[:len(f)-1], " "), " unsigned"
	}
	t, ok := typeFamilies[base]
	if !ok {
		return sqlType{}
	}
	t.unsigned = strings.Contains(rest, "unsigned")
	nums := strings.Split(params, ",")
	p, _ := strconv.ParseInt(strings.TrimSpace(nums[0]), 10, 64)
	switch t.family {
	case "string", "binary", "time":
		if params != "" {
			t.size = p
		}
		if params == "" && t.size == 0 && t.family != "time" {
			t.size = unbounded // PostgreSQL VARCHAR without a length
		}
	case "decimal":
		t.size = p
		if len(nums) > 1 {
			t.scale, _ = strconv.ParseInt(strings.TrimSpace(nums[1]), 10, 64)
		}
	}
	if base == "text" && !strings.Contains(s, "tiny") && params == "" {
		t.size = 65535
	}
	return t
}
