package schema

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// The conversions below turn a value as a driver returns it (int64,
// float64, bool, []byte, string, time.Time) into the Go type of a column;
// the integer conversions refuse values that overflow or are not whole.

// intConv converts driver values to a signed integer of the given size.
func intConv[T int8 | int16 | int32 | int64](bits int) func(any) (T, error) {
	return func(v any) (T, error) {
		var i int64
		switch x := v.(type) {
		case int64:
			i = x
		case int:
			i = int64(x)
		case int32:
			i = int64(x)
		case uint64:
			if x > math.MaxInt64 {
				return 0, fmt.Errorf("value %d overflows int%d", x, bits)
			}
			i = int64(x)
		case float64:
			if x != math.Trunc(x) {
				return 0, fmt.Errorf("value %v is not an integer", x)
			}
			i = int64(x)
		case bool:
			if x {
				i = 1
			}
		case []byte:
			n, err := strconv.ParseInt(string(x), 10, bits)
			if err != nil {
				return 0, err
			}
			i = n
		case string:
			n, err := strconv.ParseInt(x, 10, bits)
			if err != nil {
				return 0, err
			}
			i = n
		default:
			return 0, fmt.Errorf("cannot store %T in int%d", v, bits)
		}
		if bits < 64 && (i < -(1<<(bits-1)) || i > 1<<(bits-1)-1) {
			return 0, fmt.Errorf("value %d overflows int%d", i, bits)
		}
		return T(i), nil
	}
}

// uintConv converts driver values to an unsigned integer of the given size.
func uintConv[T uint8 | uint16 | uint32 | uint64](bits int) func(any) (T, error) {
	return func(v any) (T, error) {
		var u uint64
		switch x := v.(type) {
		case int64:
			if x < 0 {
				return 0, fmt.Errorf("value %d overflows uint%d", x, bits)
			}
			u = uint64(x)
		case int:
			if x < 0 {
				return 0, fmt.Errorf("value %d overflows uint%d", x, bits)
			}
			u = uint64(x)
		case uint64:
			u = x
		case float64:
			if x < 0 || x != math.Trunc(x) {
				return 0, fmt.Errorf("value %v is not an unsigned integer", x)
			}
			u = uint64(x)
		case []byte:
			n, err := strconv.ParseUint(string(x), 10, bits)
			if err != nil {
				return 0, err
			}
			u = n
		case string:
			n, err := strconv.ParseUint(x, 10, bits)
			if err != nil {
				return 0, err
			}
			u = n
		default:
			return 0, fmt.Errorf("cannot store %T in uint%d", v, bits)
		}
		if bits < 64 && u > 1<<bits-1 {
			return 0, fmt.Errorf("value %d overflows uint%d", u, bits)
		}
		return T(u), nil
	}
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case []byte:
		return strconv.ParseFloat(string(x), 64)
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("cannot store %T in a float", v)
}

func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case []byte:
		return strconv.ParseBool(string(x))
	case string:
		return strconv.ParseBool(x)
	}
	return false, fmt.Errorf("cannot store %T in a bool", v)
}

func toString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("cannot store %T in a string", v)
}

// timeLayouts are the text forms SQLite and MySQL (without parseTime) use.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

func toTime(v any) (time.Time, error) {
	var s string
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case []byte:
		s = string(x)
	case string:
		s = x
	case int64: // unix seconds, as SQLite may store them
		return time.Unix(x, 0).UTC(), nil
	default:
		return time.Time{}, fmt.Errorf("cannot store %T in time.Time", v)
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse %q as a time", s)
}
