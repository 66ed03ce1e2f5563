package layering

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/sqlmodel-go/sqlmodel"

// A layer is a package path relative to the module. It covers the package and
// the packages below it, except the top layer "orm", which is the root orm
// package alone (everything else lives under it).
func inLayer(pkg, layer string) bool {
	full := module + "/" + layer
	if layer == "orm" {
		return pkg == full
	}
	return pkg == full || strings.HasPrefix(pkg, full+"/")
}

// underORM reports whether pkg is orm or any package below it.
func underORM(pkg string) bool {
	return pkg == module+"/orm" || strings.HasPrefix(pkg, module+"/orm/")
}

type rule struct {
	name      string
	desc      string
	subject   func(pkg string) bool // packages the rule applies to
	forbidden []string              // layers they must not import, even indirectly
	// direct: forbidden applies to the direct imports only (a package
	// that sits on top of orm imports all of it indirectly).
	direct bool
}

func layerRule(name, layer string, forbidden ...string) rule {
	return rule{
		name:      name,
		desc:      layer + " must not import " + strings.Join(forbidden, ", "),
		subject:   func(pkg string) bool { return inLayer(pkg, layer) },
		forbidden: forbidden,
	}
}

// Top to bottom: orm, orm/session, then orm/engine (connections and
// statement execution) and orm/statement (statement text) beside
// orm/query, then orm/relations, orm/dialect, orm/schema, internal/topo.
// Packages side by side do not import each other: orm/engine, orm/statement
// and orm/query (engine and statement also stay clear of orm/relations),
// and orm/relations and orm/dialect.
var rules = []rule{
	layerRule("orm_session", "orm/session", "orm"),
	layerRule("orm_engine", "orm/engine", "orm/statement", "orm/session", "orm/query", "orm/relations", "orm"),
	layerRule("orm_statement", "orm/statement", "orm/engine", "orm/session", "orm/query", "orm/relations", "orm"),
	layerRule("orm_query", "orm/query", "orm/engine", "orm/statement", "orm/session", "orm"),
	layerRule("orm_relations", "orm/relations", "orm/dialect", "orm/engine", "orm/statement", "orm/session", "orm/query", "orm"),
	layerRule("orm_dialect", "orm/dialect", "orm/relations", "orm/engine", "orm/statement", "orm/session", "orm/query", "orm"),
	layerRule("orm_schema", "orm/schema", "orm/dialect", "orm/relations", "orm/engine", "orm/statement", "orm/session", "orm/query", "orm"),
	layerRule("internal_topo", "internal/topo", "orm/schema", "orm/dialect", "orm/relations", "orm/engine", "orm/statement", "orm/session", "orm/query", "orm"),
	{
		name:      "orm_migrate",
		desc:      "orm/migrate imports directly only orm, orm/schema, orm/dialect, orm/engine and orm/session of the module",
		subject:   func(pkg string) bool { return inLayer(pkg, "orm/migrate") },
		forbidden: []string{"orm/statement", "orm/query", "orm/relations", "orm/ormtest", "internal"},
		direct:    true,
	},
	{
		name:      "nothing_under_orm_imports_migrate",
		desc:      "no package under orm but orm/migrate itself may import orm/migrate",
		subject:   func(pkg string) bool { return underORM(pkg) && !inLayer(pkg, "orm/migrate") },
		forbidden: []string{"orm/migrate"},
	},
	{
		name:      "no_testkit_under_orm",
		desc:      "nothing under orm/ may import internal/testkit (outside _test.go files)",
		subject:   underORM,
		forbidden: []string{"internal/testkit"},
	},
	{
		name:      "ormtest_only_in_tests",
		desc:      "no package but internal/testkit may import orm/ormtest (outside _test.go files)",
		subject:   mayNotUseOrmtest,
		forbidden: []string{"orm/ormtest"},
	},
}

// mayNotUseOrmtest reports whether pkg is barred from importing the test
// support package orm/ormtest: every package but ormtest itself and
// internal/testkit, which wraps it for the module's own tests. Tests import
// it from _test.go files, which go list -deps does not follow.
func mayNotUseOrmtest(pkg string) bool {
	return !inLayer(pkg, "orm/ormtest") && !inLayer(pkg, "internal/testkit")
}

// goTool returns the go command of the toolchain running the test, falling
// back to the one in PATH.
func goTool(t *testing.T) string {
	t.Helper()
	if root := runtime.GOROOT(); root != "" {
		p := filepath.Join(root, "bin", "go")
		if runtime.GOOS == "windows" {
			p += ".exe"
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found in GOROOT/bin or PATH: %v", err)
	}
	return p
}

type lister struct {
	t     *testing.T
	gocmd string
	dir   string // module root
}

func (l *lister) run(args ...string) string {
	l.t.Helper()
	cmd := exec.Command(l.gocmd, args...)
	cmd.Dir = l.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		l.t.Fatalf("%s %s: %v\n%s", l.gocmd, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

func newLister(t *testing.T) *lister {
	t.Helper()
	l := &lister{t: t, gocmd: goTool(t)}
	gomod := strings.TrimSpace(l.run("env", "GOMOD"))
	if gomod == "" || gomod == os.DevNull {
		t.Fatalf("not inside a module (go env GOMOD = %q)", gomod)
	}
	l.dir = filepath.Dir(gomod)
	if got := strings.TrimSpace(l.run("list", "-m", "-f", "{{.Path}}")); got != module {
		t.Fatalf("module at %s is %q, want %q", l.dir, got, module)
	}
	return l
}

// packages returns the import paths of the module's packages.
func (l *lister) packages() []string {
	var pkgs []string
	for _, line := range strings.Split(l.run("list", "-e", "-f", "{{.ImportPath}}", "./..."), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			pkgs = append(pkgs, line)
		}
	}
	return pkgs
}

// deps runs `go list -deps` for pkg and returns its dependencies (pkg
// included) with each one's direct imports.
func (l *lister) deps(pkg string) (order []string, imports map[string][]string) {
	imports = map[string][]string{}
	out := l.run("list", "-e", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", pkg)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		order = append(order, f[0])
		imports[f[0]] = f[1:]
	}
	return order, imports
}

// chain returns the shortest import path from -> ... -> to.
func chain(imports map[string][]string, from, to string) ([]string, error) {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			path := []string{to}
			for p := prev[to]; p != ""; p = prev[p] {
				path = append(path, p)
			}
			slices.Reverse(path)
			return path, nil
		}
		for _, next := range imports[cur] {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return nil, errors.New("no import path found")
}

func short(pkg string) string {
	if rel, ok := strings.CutPrefix(pkg, module+"/"); ok {
		return rel
	}
	return pkg
}

func formatChain(path []string) string {
	s := make([]string, len(path))
	for i, p := range path {
		s[i] = short(p)
	}
	return strings.Join(s, " -> ")
}

func TestLayering(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list; skipped in -short mode")
	}
	l := newLister(t)
	pkgs := l.packages()
	if len(pkgs) == 0 {
		t.Fatal("go list ./... found no packages")
	}
	t.Logf("module %s at %s: %d packages", module, l.dir, len(pkgs))

	type depsResult struct {
		order   []string
		imports map[string][]string
	}
	cache := map[string]depsResult{}
	depsOf := func(pkg string) depsResult {
		r, ok := cache[pkg]
		if !ok {
			r.order, r.imports = l.deps(pkg)
			cache[pkg] = r
		}
		return r
	}

	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			var subjects []string
			for _, p := range pkgs {
				if r.subject(p) {
					subjects = append(subjects, p)
				}
			}
			if len(subjects) == 0 {
				t.Skipf("%s: no such package yet", r.desc)
			}
			for _, p := range subjects {
				d := depsOf(p)
				deps := d.order
				if r.direct {
					deps = d.imports[p]
				}
				for _, dep := range deps {
					for _, layer := range r.forbidden {
						if !inLayer(dep, layer) {
							continue
						}
						path, err := chain(d.imports, p, dep)
						via := formatChain(path)
						if err != nil {
							via = fmt.Sprintf("%s ... %s (%v)", short(p), short(dep), err)
						}
						t.Errorf("%s imports %s (layer %s), breaking the rule %q; import chain:\n\t%s",
							short(p), short(dep), layer, r.desc, via)
					}
				}
			}
		})
	}
}

// The checks themselves, on a made-up graph.
func TestChain(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	imports := map[string][]string{
		m("orm/schema"):    {"fmt", m("internal/topo"), m("orm/schema/x")},
		m("orm/schema/x"):  {m("orm/dialect")},
		m("orm/dialect"):   {"errors"},
		m("internal/topo"): {"sort"},
	}
	path, err := chain(imports, m("orm/schema"), m("orm/dialect"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := formatChain(path), "orm/schema -> orm/schema/x -> orm/dialect"; got != want {
		t.Errorf("chain = %q, want %q", got, want)
	}
	if _, err := chain(imports, m("orm/dialect"), m("orm/schema")); err == nil {
		t.Error("chain found a path that does not exist")
	}

	for _, c := range []struct {
		pkg, layer string
		want       bool
	}{
		{m("orm"), "orm", true},
		{m("orm/session"), "orm", false},
		{m("orm/session"), "orm/session", true},
		{m("orm/session/internal/x"), "orm/session", true},
		{m("orm/sessions"), "orm/session", false},
		{m("internal/testkit"), "internal/testkit", true},
	} {
		if got := inLayer(c.pkg, c.layer); got != c.want {
			t.Errorf("inLayer(%s, %s) = %v, want %v", c.pkg, c.layer, got, c.want)
		}
	}
	if !underORM(m("orm")) || !underORM(m("orm/dialect")) || underORM(m("orma")) || underORM(m("internal/topo")) {
		t.Error("underORM is wrong")
	}
	if mayNotUseOrmtest(m("orm/ormtest")) || mayNotUseOrmtest(m("internal/testkit")) ||
		!mayNotUseOrmtest(m("orm")) || !mayNotUseOrmtest(m("orm/session")) || !mayNotUseOrmtest(m("examples/heroes")) {
		t.Error("mayNotUseOrmtest is wrong")
	}
}
