package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm/schema"
)

type RenamedCol struct {
	ID       int64  `sqlmodel:"pk"`
	FullName string `sqlmodel:"renamed_from=name,size=40"`
	Alias    string `sqlmodel:"column=alias2,renamed_from=alias"`
}

type RenamedToItself struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"renamed_from=name"`
}

type RenamedNoValue struct {
	ID   int64  `sqlmodel:"pk"`
	Name string `sqlmodel:"renamed_from"`
}

func TestRenamedFrom(t *testing.T) {
	m := registerOne(t, &RenamedCol{})
	if f, _ := m.FieldByName("FullName"); f.Column != "full_name" || f.RenamedFrom != "name" || f.Size != 40 {
		t.Errorf("FullName: column %q renamed from %q size %d", f.Column, f.RenamedFrom, f.Size)
	}
	if f, _ := m.FieldByName("Alias"); f.Column != "alias2" || f.RenamedFrom != "alias" {
		t.Errorf("Alias: column %q renamed from %q", f.Column, f.RenamedFrom)
	}
	for model, reason := range map[any]string{
		&RenamedToItself{}: `renamed_from="name" is not a former name of column "name"`,
		&RenamedNoValue{}:  `option "renamed_from" needs a value`,
	} {
		_, err := schema.NewRegistry().Register(model)
		if !errors.Is(err, schema.ErrInvalidTag) || !strings.Contains(err.Error(), reason) {
			t.Errorf("%T: %v, want %q", model, err, reason)
		}
	}
}
