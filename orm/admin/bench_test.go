package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/admin"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// BenchmarkListPage100k renders list pages of a 100,000-row SQLite table:
// the first page, a keyset page deep in the table, and a page sorted on an
// indexed column. Each op is one full request through the handler.
func BenchmarkListPage100k(b *testing.B) {
	ctx := context.Background()
	db := ormtest.Open(b, "sqlite")
	if err := db.CreateAll(ctx, allModels...); err != nil {
		b.Fatal(err)
	}
	teams := make([]*Team, 20)
	for i := range teams {
		teams[i] = &Team{Name: fmt.Sprintf("team %d", i)}
	}
	if _, err := orm.BulkInsert(ctx, db, teams, orm.BulkReturnKeys()); err != nil {
		b.Fatal(err)
	}
	heroes := make([]*Hero, 100_000)
	for i := range heroes {
		heroes[i] = &Hero{Name: fmt.Sprintf("hero %06d", (i*7919)%100_000), Score: float64(i % 1000), TeamID: &teams[i%20].ID, Version: 1}
	}
	if _, err := orm.BulkInsert(ctx, db, heroes); err != nil {
		b.Fatal(err)
	}
	h, err := admin.New(db, admin.Models(admin.Model[Team](), admin.Model[Hero](admin.ListColumns("id", "name", "score", "team_id"))),
		admin.Authorize(func(*http.Request, string, admin.Action) bool { return true }))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, query string }{
		{"first", "/hero?size=50"},
		{"keyset-deep", "/hero?size=50&after=90000"},
		{"sorted-by-name-deep", "/hero?size=50&sort=name&after=" + "hero+090000%2C1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				rr := httptest.NewRecorder()
				h.ServeHTTP(rr, httptest.NewRequest("GET", bc.query, nil))
				if rr.Code != http.StatusOK || !strings.Contains(rr.Body.String(), "more than 10000 rows") || strings.Count(rr.Body.String(), "<tr data-key=") != 50 {
					b.Fatalf("status %d, %d rows", rr.Code, strings.Count(rr.Body.String(), "<tr data-key="))
				}
			}
		})
	}
}
