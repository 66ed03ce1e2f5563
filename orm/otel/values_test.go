package otel_test

import (
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// secret is a bound value the telemetry must never show.
const secret = "s3cr3t-v4lue-4711"

// uniqueCode is db.response.status_code of a unique violation.
var uniqueCode = map[string]string{"postgres": "23505", "mysql": "1062", "sqlite": "2067"}

// No bound value reaches a span name, attribute, event or status, nor the
// metric's attributes, including the failures whose driver messages quote
// the value (MySQL's "Duplicate entry '…'", PostgreSQL's "invalid input
// syntax for type integer: "…""). The failures carry
// db.response.status_code and error.type instead.
func TestNoParameterValues(t *testing.T) {
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		idb, tm := instrument(t, db)
		ctx := testCtx(t)
		dialect := db.Dialect().Name()
		if dialect == "mariadb" {
			dialect = "mysql"
		}
		s := orm.NewSession(idb)
		defer s.Close()
		ok(t, s.Add(&otTeam{Name: secret}), "Add")
		ok(t, s.Commit(ctx), "Commit")
		_, err := orm.Select[otTeam](s).Where("name = ?", secret).All(ctx)
		ok(t, err, "Select")

		// A unique violation, whose MySQL message quotes the value.
		ok(t, s.Add(&otTeam{Name: secret}), "Add duplicate")
		if err := s.Commit(ctx); !errors.Is(err, orm.ErrUniqueViolation) {
			t.Fatalf("Commit of a duplicate: %v; want ErrUniqueViolation", err)
		}
		ok(t, s.Rollback(ctx), "Rollback")

		// A bad integer, whose PostgreSQL and MySQL messages quote it
		// (SQLite stores the text: no failure there).
		q := "UPDATE ot_team SET size = " + db.Dialect().Placeholder(1) + " WHERE name = " + db.Dialect().Placeholder(2)
		_, err = idb.ExecContext(ctx, q, secret, secret)
		if dialect != "sqlite" && (err == nil || !strings.Contains(err.Error(), secret)) {
			t.Fatalf("Exec of a bad integer: %v; want a driver message quoting the value (else the test proves nothing)", err)
		}

		failed := 0
		for _, sp := range tm.spans.Ended() {
			for _, text := range spanTexts(sp) {
				if strings.Contains(text, secret) {
					t.Errorf("span %q shows the bound value: %q", sp.Name(), text)
				}
			}
			if sp.Status().Code != codes.Error || !strings.HasPrefix(sp.Name(), "INSERT") {
				continue
			}
			failed++
			if got := attr(sp, "db.response.status_code"); got != uniqueCode[dialect] {
				t.Errorf("failed INSERT: db.response.status_code %q; want %q", got, uniqueCode[dialect])
			}
			if got := attr(sp, "error.type"); got != uniqueCode[dialect] {
				t.Errorf("failed INSERT: error.type %q; want %q", got, uniqueCode[dialect])
			}
			if d := sp.Status().Description; !strings.Contains(d, "unique") {
				t.Errorf("failed INSERT: status %q; want the classified kind", d)
			}
		}
		if failed != 1 {
			t.Errorf("%d failed INSERT spans; want 1", failed)
		}
		// The bad integer's code, read from the driver's own error.
		if want := map[string]string{"postgres": "22P02", "mysql": "1366"}[dialect]; want != "" {
			up := only(t, tm.spans.Ended(), "UPDATE ot_team")
			if got := attr(up, "db.response.status_code"); got != want || up.Status().Code != codes.Error {
				t.Errorf("failed UPDATE: db.response.status_code %q (status %v); want %q", got, up.Status(), want)
			}
		}
		var rm metricdata.ResourceMetrics
		ok(t, tm.reader.Collect(ctx, &rm), "Collect")
		for _, dp := range histogram(t, rm).DataPoints {
			for _, kv := range dp.Attributes.ToSlice() {
				if strings.Contains(kv.Value.Emit(), secret) {
					t.Errorf("metric attribute %s shows the bound value", kv.Key)
				}
			}
		}
	})
}

// spanTexts returns every text a span carries: its name, attribute keys
// and values, events and their attributes, status description, links.
func spanTexts(sp sdktrace.ReadOnlySpan) []string {
	out := []string{sp.Name(), sp.Status().Description}
	for _, kv := range sp.Attributes() {
		out = append(out, string(kv.Key), kv.Value.Emit())
	}
	for _, ev := range sp.Events() {
		out = append(out, ev.Name)
		for _, kv := range ev.Attributes {
			out = append(out, string(kv.Key), kv.Value.Emit())
		}
	}
	for _, l := range sp.Links() {
		for _, kv := range l.Attributes {
			out = append(out, kv.Value.Emit())
		}
	}
	return out
}
