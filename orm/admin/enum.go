package admin

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

// choice is one allowed value of an enum-like column: the text the form
// posts and the column stores (an integer's digits for integer kinds), and
// the text shown.
type choice struct {
	Value string
	Label string
}

// typeStringer is fmt.Stringer, the label of a detected enum value.
var typeStringer = reflect.TypeFor[fmt.Stringer]()

// enumChoices returns the values a field's named type declares, nil when it
// declares none. The convention: the type (its value, not its pointer) has
// a method Values() []T, T being the type itself; a string-kind type may
// instead return []string. It is called once, by New, on the zero value.
// Integer kinds store the value's integer and show
// its String() when the type has one; string kinds store and show the text
// (or String()).
func enumChoices(f *schema.Field) (out []choice, err error) {
	if f.JSON || f.Valuer || (f.Kind != schema.KindString && f.Kind != schema.KindInt && f.Kind != schema.KindUint) {
		return nil, nil
	}
	t := f.Type
	if f.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() == "" {
		return nil, nil // string, int, ...: a builtin type declares nothing
	}
	m, ok := t.MethodByName("Values")
	if !ok || m.Type.NumIn() != 1 || m.Type.NumOut() != 1 || m.Type.Out(0).Kind() != reflect.Slice {
		return nil, nil
	}
	elem := m.Type.Out(0).Elem()
	if elem != t && !(f.Kind == schema.KindString && elem == reflect.TypeFor[string]()) {
		return nil, nil
	}
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: %s.Values or String panicked: %v", ErrConfig, t, p)
		}
	}()
	list := m.Func.Call([]reflect.Value{reflect.Zero(t)})[0]
	out = make([]choice, 0, list.Len())
	for i := range list.Len() {
		out = append(out, choiceOf(list.Index(i)))
	}
	return out, nil
}

// choiceOf returns the stored text and the label of one declared value.
func choiceOf(v reflect.Value) choice {
	var c choice
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.Value = strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		c.Value = strconv.FormatUint(v.Uint(), 10)
	default:
		c.Value = v.String()
	}
	c.Label = c.Value
	if v.Type().Implements(typeStringer) {
		c.Label = v.Interface().(fmt.Stringer).String()
	}
	return c
}

// stringChoices makes the choices of admin.Choices: each value its own
// label.
func stringChoices(values []string) []choice {
	out := make([]choice, len(values))
	for i, v := range values {
		out[i] = choice{Value: v, Label: v}
	}
	return out
}

// allows reports whether text is one of the column's choices, compared
// as the column stores it (an integer's canonical digits: " 02" is 2).
func (c *column) allows(text string) bool {
	canon := text
	if c.f.Kind != schema.KindString {
		v, err := parseValue(c.f, text)
		if err != nil {
			return false
		}
		canon = formatValue(c.f, v)
	}
	for _, ch := range c.choices {
		if ch.Value == canon {
			return true
		}
	}
	return false
}

// choiceOptions returns the choices as options of a select.
func (c *column) choiceOptions() []option {
	out := make([]option, len(c.choices))
	for i, ch := range c.choices {
		out[i] = option{Value: ch.Value, Label: ch.Label}
	}
	return out
}

// choiceLabel returns the label of a stored value, the value itself when
// it is not one of the choices (a row written before the list changed).
func (c *column) choiceLabel(value string) string {
	for _, ch := range c.choices {
		if ch.Value == value {
			return ch.Label
		}
	}
	return value
}
