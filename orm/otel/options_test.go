package otel_test

import (
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
	"github.com/sqlmodel-go/sqlmodel/orm/otel"
)

// NewHook, the path for orm.WithQueryHook at Open, takes the database's
// details from its options: WithDatabase, WithServerAddress; without
// WithDatabase db.system.name is other_sql. WithoutQueryText leaves the
// text out.
func TestNewHookOptions(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		ctx := testCtx(t)
		ok(t, db.CreateAll(ctx, &otTeam{}, &otHero{}), "CreateAll")
		for _, c := range []struct {
			name   string
			opts   []otel.Option
			want   map[attribute.Key]string
			noText bool
		}{
			{"bare", nil, map[attribute.Key]string{"db.system.name": "other_sql", "db.namespace": "", "server.address": ""}, false},
			{"options", []otel.Option{otel.WithDatabase(db.Dialect().Name(), "app.public"), otel.WithServerAddress("db.internal", 6432), otel.WithoutQueryText()},
				map[attribute.Key]string{"db.namespace": "app.public", "server.address": "db.internal", "server.port": "6432"}, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				tm := newTelemetry(t)
				opts := append([]otel.Option{otel.WithTracerProvider(tm.tp), otel.WithMeterProvider(tm.mp)}, c.opts...)
				hdb := db.WithQueryHook(otel.NewHook(opts...))
				s := orm.NewSession(hdb)
				defer s.Close()
				_, err := orm.Select[otTeam](s).All(ctx)
				ok(t, err, "Select")
				sel := only(t, tm.spans.Ended(), "SELECT ot_team")
				for k, v := range c.want {
					if got := attr(sel, k); got != v {
						t.Errorf("%s = %q; want %q", k, got, v)
					}
				}
				if c.name == "options" && attr(sel, "db.system.name") == "other_sql" {
					t.Error("WithDatabase: db.system.name still other_sql")
				}
				if got := attr(sel, "db.query.text"); (got == "") != c.noText {
					t.Errorf("db.query.text = %q (WithoutQueryText: %v)", got, c.noText)
				}
			})
		}
	})
}

// A failed flush fails its span and its transaction's, with the code.
func TestFailedFlushSpans(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		idb, tm := instrument(t, db)
		ctx := testCtx(t)
		dialect := db.Dialect().Name()
		if dialect == "mariadb" {
			dialect = "mysql"
		}
		s := orm.NewSession(idb)
		defer s.Close()
		ok(t, s.Add(&otTeam{Name: "dup"}), "Add")
		ok(t, s.Commit(ctx), "Commit")
		ok(t, s.Add(&otTeam{Name: "dup"}), "Add duplicate")
		ok(t, s.Add(&otHero{Name: "h"}), "Add hero") // two statements: a transaction
		if err := s.Commit(ctx); !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("Commit: %v; want ErrUniqueViolation", err)
		}
		var flush, tx int
		for _, sp := range tm.spans.Ended() {
			if sp.Status().Code != codes.Error {
				continue
			}
			switch sp.Name() {
			case otel.FlushSpanName:
				flush++
			case otel.TxSpanName:
				tx++
				if attr(sp, otel.TxEndKey) != "rollback" {
					t.Errorf("failed transaction ended %q", attr(sp, otel.TxEndKey))
				}
			default:
				continue
			}
			if got := attr(sp, "db.response.status_code"); got != uniqueCode[dialect] {
				t.Errorf("%s: status code %q; want %q", sp.Name(), got, uniqueCode[dialect])
			}
			if !strings.Contains(sp.Status().Description, "unique") {
				t.Errorf("%s: status %q", sp.Name(), sp.Status().Description)
			}
		}
		if flush != 1 || tx != 1 {
			t.Errorf("failed spans: %d flush, %d transaction; want 1 and 1", flush, tx)
		}
	})
}

// Instrument refuses a nil DB with ErrInvalidArgument.
func TestInstrumentNil(t *testing.T) {
	if _, err := otel.Instrument(t.Context(), nil); !errors.Is(err, orm.ErrInvalidArgument) {
		t.Fatalf("Instrument(nil) = %v; want ErrInvalidArgument", err)
	}
}
