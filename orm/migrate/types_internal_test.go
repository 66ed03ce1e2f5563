package migrate

import "testing"

func TestTypeChange(t *testing.T) {
	for _, c := range []struct {
		from, to string
		widening bool
	}{
		{"integer", "bigint", true},
		{"bigint", "integer", false},
		{"smallint", "integer", true},
		{"tinyint unsigned", "smallint", true},
		{"int unsigned", "int", false},
		{"int", "int unsigned", false},
		{"real", "double precision", true},
		{"double", "float", false},
		{"character varying(10)", "character varying(100)", true},
		{"character varying(100)", "character varying(10)", false},
		{"character varying(100)", "text", true},
		{"text", "character varying(100)", false},
		{"varchar(255)", "longtext", true},
		{"VARCHAR(40)", "TEXT", true},
		{"varbinary(32)", "longblob", true},
		{"numeric(10,2)", "numeric(12,2)", true},
		{"numeric(10,2)", "numeric(10,4)", false},
		{"numeric(10,2)", "numeric(12,4)", true},
		{"datetime(3)", "datetime(6)", true},
		{"integer", "text", false},
		{"jsonb", "text", false},
	} {
		if got, how := typeChange(c.from, c.to); got != c.widening {
			t.Errorf("%s -> %s: widening %v (%s), want %v", c.from, c.to, got, how, c.widening)
		}
	}
}
