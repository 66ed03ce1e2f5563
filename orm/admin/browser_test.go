package admin_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sqlmodel-go/sqlmodel/orm"
	"github.com/sqlmodel-go/sqlmodel/orm/ormtest"
)

// chromiumPath finds the browser: $SQLMODEL_CHROMIUM, else chromium or
// Chrome on the PATH. Without one the browser tests are skipped, unless
// SQLMODEL_REQUIRE_BROWSER is set (as .ci/run sets it): then they fail.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SQLMODEL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SQLMODEL_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium binary found (set SQLMODEL_CHROMIUM or install Debian's chromium package) and SQLMODEL_REQUIRE_BROWSER is set")
	}
	t.Skip("no chromium binary found: install Debian's chromium package or set SQLMODEL_CHROMIUM to run the browser tests (SQLMODEL_REQUIRE_BROWSER=1 makes this a failure)")
	return ""
}

// artifactsDir is where screenshots go: $SQLMODEL_TEST_ARTIFACTS/admin, or
// a directory under the system's temporary directory, kept after the test.
func artifactsDir(t *testing.T, name string) string {
	t.Helper()
	root := os.Getenv("SQLMODEL_TEST_ARTIFACTS")
	if root == "" {
		root = filepath.Join(os.TempDir(), "sqlmodel-test-artifacts")
	}
	dir := filepath.Join(root, "admin", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser drives one headless Chromium tab against an env.
type browser struct {
	t   *testing.T
	ctx context.Context
	e   *env
	dir string
}

func newBrowser(t *testing.T, e *env, dialect string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	// Start the browser on the long-lived context: the first run binds the
	// browser's life to its context, and steps use shorter ones.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, e: e, dir: artifactsDir(t, dialect)}
}

// do runs actions, failing the test with the step's name.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		b.shot("failed-" + strings.ReplaceAll(step, " ", "-"))
		b.t.Fatalf("%s: %v\npage:\n%s", step, err, clip(html))
	}
}

// open navigates to a path of the admin.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.e.srv.URL+"/admin"+path), chromedp.WaitReady(chromedp.CSS("main")))
}

// text returns the text of the first node matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	// Read through JavaScript, retried: a node the DevTools protocol
	// resolved can be replaced by an htmx swap before its text is read.
	var err error
	for range 50 {
		var s string
		s, err = chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q)?.innerText ?? ""`, sel)))
		if err == nil {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("text of %s: %v", sel, err)
	return ""
}

// waitText waits until the first node matching sel contains want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf("wait for %q in %s", want, sel),
		fmt.Sprintf(`!!(document.querySelector(%q) || {}).textContent?.includes(%q)`, sel, want))
}

// waitJS waits until a JavaScript expression is true. It evaluates the
// expression again and again rather than with one long poll, because a
// poll fails outright when the page it runs in is replaced (a link that
// loads a whole page before htmx has taken it over).
func (b *browser) waitJS(step, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("main")))
	b.shot("failed-" + strings.ReplaceAll(step, " ", "-"))
	b.t.Fatalf("%s: not true after 20s (last error: %v)\npage:\n%s", step, last, clip(html))
}

// shot saves a full-page screenshot as NAME.png in the artifacts directory.
func (b *browser) shot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// rowKeys returns the keys of the rows of the list page shown.
func (b *browser) rowKeys() []string {
	b.t.Helper()
	keys, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("tr[data-key]")].map(r => r.dataset.key)`))
	if err != nil {
		b.t.Fatal(err)
	}
	return keys
}

// fill sets the value of a form control by name.
func fill(name, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`[name=%q]`, name)), value)
}

func TestBrowserWalkthrough(t *testing.T) {
	chromiumPath(t)
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		fly, ice := &Power{Name: "flight"}, &Power{Name: "ice"}
		seed(t, db, fly, ice)
		var extras []any
		for i := range 11 {
			extras = append(extras, &Hero{Name: fmt.Sprintf("Extra %02d", i), Score: float64(i)})
		}
		seed(t, db, extras...)
		dialect := t.Name()[strings.LastIndex(t.Name(), "/")+1:]
		b := newBrowser(t, e, dialect)
		b.open("/")
		b.shot("index")
		teamID := browserCreateTeamAndHeroes(t, b)
		browserFilterSortPage(t, b, teamID)
		browserConflictAndLinks(t, b, db, fly, ice)
		browserBulkDelete(t, b, db, teamID)
		csv, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch("/admin/hero/export.csv").then(r => r.text())`, chromedp.EvalAwaitPromise))
		if err != nil || strings.Count(csv, "\n") != 14 || !strings.Contains(csv, "Iron Boy") {
			t.Fatalf("CSV export in the browser: %v\n%s", err, csv)
		}
		b.open("/hero?sort=-score&size=10")
		b.shot("list")
		t.Logf("screenshots in %s", b.dir)
	})
}

// browserCreateTeamAndHeroes creates a team and two heroes for it through
// the forms, and returns the team's key.
func browserCreateTeamAndHeroes(t *testing.T, b *browser) string {
	b.open("/team")
	b.do("new team", chromedp.Click(chromedp.CSS("#new-row")), chromedp.WaitVisible(chromedp.CSS(`[name="c.name"]`)))
	b.do("save team", fill("c.name", "Avengers"), fill("c.headquarters", "Stark Tower"),
		chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#saved")))
	b.waitText("#saved", "Saved team")
	keys := b.rowKeys()
	if len(keys) != 1 {
		t.Fatalf("teams listed: %v", keys)
	}
	for _, h := range []struct{ name, age string }{{"Iron Boy", "20"}, {"Hulk Kid", "30"}} {
		b.open("/hero/new")
		b.do("save hero "+h.name, fill("c.name", h.name), fill("c.secret_name", "secret"), fill("c.age", h.age),
			fill("c.team_id", keys[0]), fill("c.rank", "rookie"), chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#saved")))
	}
	return keys[0]
}

// browserFilterSortPage filters by team, searches through htmx (a partial
// update, the page is not reloaded), sorts by age and pages through heroes.
func browserFilterSortPage(t *testing.T, b *browser, teamID string) {
	b.open("/hero")
	b.do("filter by team", fill("f.team_id", teamID), chromedp.Click(chromedp.CSS("#apply-filters")))
	b.waitText("#count", "2 rows")
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__kept = 1`))
	b.do("search", chromedp.SendKeys(chromedp.CSS("#search"), "hulk"))
	b.waitText("#count", "1 row")
	if kept, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`window.__kept || 0`)); err != nil || kept != 1 {
		t.Errorf("the search reloaded the page instead of updating the rows in place (%v)", err)
	}
	if !strings.Contains(b.text("table.rows tbody"), "Hulk Kid") {
		t.Errorf("search result: %s", b.text("table.rows tbody"))
	}
	b.open("/hero?f.team_id=" + teamID)
	b.do("sort by age", chromedp.Click(chromedp.CSS(`th a.sort[href*="sort=age"]`)))
	b.waitText("table.rows thead", "▲")
	b.do("sort by age, descending", chromedp.Click(chromedp.CSS(`th a.sort[href*="sort=-age"]`)))
	b.waitText("table.rows thead", "▼")
	if first := b.text("table.rows tbody tr"); !strings.Contains(first, "Hulk Kid") {
		t.Errorf("first row sorted by age descending: %q", first)
	}
	b.open("/hero?size=5&sort=name")
	seen := map[string]bool{}
	for page := 0; ; page++ {
		for _, k := range b.rowKeys() {
			if seen[k] {
				t.Fatalf("row %s on two pages", k)
			}
			seen[k] = true
		}
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#next-page").length`))
		if err != nil || n == 0 || page > 5 {
			break
		}
		first := b.rowKeys()[0]
		changed := fmt.Sprintf(`document.querySelector("tr[data-key]")?.dataset.key !== %q`, first)
		b.do("next page", chromedp.Click(chromedp.CSS("#next-page")))
		b.waitJS("next page shown", changed)
	}
	if len(seen) != 13 {
		t.Errorf("%d heroes seen across pages, want 13", len(seen))
	}
}

// browserConflictAndLinks edits a hero while another session changes it,
// then saves again with powers chosen in the many-to-many select.
func browserConflictAndLinks(t *testing.T, b *browser, db *orm.DB, fly, ice *Power) {
	ctx := context.Background()
	s := orm.NewSession(db)
	defer s.Close()
	hero, err := orm.Select[Hero](s).Where("name = ?", "Iron Boy").One(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.open(fmt.Sprintf("/hero/%d", hero.ID))
	hero.SecretName = "changed elsewhere"
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	b.do("save over a concurrent change", fill("c.age", "21"), chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#conflict")))
	if txt := b.text("#conflict"); !strings.Contains(txt, "changed elsewhere") {
		t.Errorf("conflict table: %q", txt)
	}
	b.shot("conflict")
	b.do("choose powers", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('select[name="m2m.Powers"] option').forEach(o => o.selected = true)`),
		chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#saved")))
	s2 := orm.NewSession(db)
	defer s2.Close()
	got, err := orm.Select[Hero](s2).Where("id = ?", hero.ID).Preload("Powers").One(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Age == nil || *got.Age != 21 || got.Powers.Len() != 2 || got.SecretName != "secret" {
		t.Errorf("hero after the second save: %+v with %d powers", got, got.Powers.Len())
	}
}

// browserBulkDelete deletes the team with its missions through the bulk
// action, after the cascade preview.
func browserBulkDelete(t *testing.T, b *browser, db *orm.DB, teamID string) {
	var id int64
	if _, err := fmt.Sscan(teamID, &id); err != nil {
		t.Fatal(err)
	}
	seed(t, db, &Mission{Name: "Save the city", TeamID: id}, &Mission{Name: "Patrol", TeamID: id})
	b.open("/team")
	b.do("select the team and delete", chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-key=%q] input[type=checkbox]`, teamID))),
		chromedp.Click(chromedp.CSS("#bulk-delete")), chromedp.WaitVisible(chromedp.CSS("#cascade")))
	txt := b.text("#cascade")
	if !strings.Contains(txt, "mission") || !strings.Contains(txt, "deleted") || !strings.Contains(txt, "set to NULL") {
		t.Errorf("cascade preview: %q", txt)
	}
	b.shot("cascade")
	b.do("confirm", chromedp.Click(chromedp.CSS("#confirm-delete")), chromedp.WaitVisible(chromedp.CSS("#deleted")))
	s := orm.NewSession(db)
	defer s.Close()
	if n, err := orm.Select[Mission](s).Count(context.Background()); err != nil || n != 0 {
		t.Errorf("missions after the bulk delete: %d, %v", n, err)
	}
}

// TestBrowserForeignKeyPicker searches a table too large for a select
// from the hero form, picks a team in place (htmx, no page load) and saves.
func TestBrowserForeignKeyPicker(t *testing.T) {
	chromiumPath(t)
	ormtest.Each(t, func(t *testing.T, db *orm.DB) {
		e := newEnv(t, db)
		pv, _ := seedManyTeams(t, db)
		dialect := t.Name()[strings.LastIndex(t.Name(), "/")+1:]
		b := newBrowser(t, e, dialect)
		b.open("/hero/new")
		b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__kept = 1`))
		search := chromedp.CSS(`#fk-team_id input[type=search]`)
		b.do("search teams", chromedp.SendKeys(search, "script"))
		b.waitText("#fk-results-team_id", "<script>alert(1)</script>")
		if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#fk-results-team_id img, #fk-results-team_id script").length`)); err != nil || n != 0 {
			t.Errorf("a stored name became markup in the results: %d nodes, %v", n, err)
		}
		b.do("search again", chromedp.Evaluate[chromedp.Void](`document.querySelector("#fk-team_id input[type=search]").value = ""`), chromedp.SendKeys(search, "prevent"))
		id := fmt.Sprint(pv.ID)
		// Each key typed asks again: wait for the last answer, settled.
		b.waitJS("only Preventers listed", `document.querySelectorAll("#fk-results-team_id a.fk-choice").length === 1 && !document.querySelector(".htmx-request, .htmx-settling, .htmx-swapping")`)
		b.waitText("#fk-results-team_id", "Preventers")
		b.shot("picker")
		// A click from JavaScript: chromedp's mouse click lands on another
		// node here, because headless Chromium scrolls the page (40 px) as
		// the press moves focus off the search box, before the release.
		b.do("pick", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('#fk-results-team_id a.fk-choice[data-key=%q]').click()`, id)))
		b.waitText("#fk-label-team_id", "Preventers")
		b.waitJS("key filled in", fmt.Sprintf(`document.querySelector('[name="c.team_id"]').value === %q`, id))
		if kept, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`window.__kept || 0`)); err != nil || kept != 1 {
			t.Errorf("picking a team reloaded the page instead of updating the picker in place (%v)", err)
		}
		b.do("save", fill("c.name", "Picked"), fill("c.rank", "rookie"), chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#saved")))
		s := orm.NewSession(db)
		defer s.Close()
		h, err := orm.Select[Hero](s).Where("name = ?", "Picked").One(context.Background())
		if err != nil || h.TeamID == nil || *h.TeamID != pv.ID {
			t.Fatalf("hero saved from the picker: %+v, %v; want team %d", h, err, pv.ID)
		}
	})
}
