package doccheck

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/sqlmodel-go/sqlmodel"

// autoImports are the packages snippets use by name without importing them.
var autoImports = map[string]string{
	"orm":     module + "/orm",
	"migrate": module + "/orm/migrate",
	"ormtest": module + "/orm/ormtest",
	"admin":   module + "/orm/admin",
	"context": "context",
	"errors":  "errors",
	"fmt":     "fmt",
	"time":    "time",
	"sql":     "database/sql",
	"slog":    "log/slog",
	"log":     "log",
	"os":      "os",
	"strings": "strings",
	"testing": "testing",
	"json":    "encoding/json",
	"http":    "net/http",
	"pgconn":  "github.com/jackc/pgx/v5/pgconn",
}

// prelude holds the declarations every wrapped snippet starts from, by name:
// a snippet that declares one of these names at file level replaces it.
var prelude = map[string]string{
	"Team":   "type Team struct {\n\tID int64 `sqlmodel:\"pk\"`\n\tName string `sqlmodel:\"unique\"`\n\tHeadquarters string\n\tHeroes orm.RelatedMany[Hero] `sqlmodel:\"back_populates=Team\"`\n}",
	"Hero":   "type Hero struct {\n\tID int64 `sqlmodel:\"pk\"`\n\tName string\n\tSecretName string\n\tAge *int\n\tTeamID *int64 `sqlmodel:\"fk=team.id\"`\n\tTeam orm.Lazy[Team] `sqlmodel:\"fk=TeamID,back_populates=Heroes\"`\n\tPowers orm.RelatedMany[Power] `sqlmodel:\"link=hero_power\"`\n}",
	"Power":  "type Power struct {\n\tID int64 `sqlmodel:\"pk\"`\n\tName string\n}",
	"ctx":    "var ctx context.Context",
	"db":     "var db *orm.DB",
	"s":      "var s *orm.Session",
	"err":    "var err error",
	"hero":   "var hero *Hero",
	"heroes": "var heroes []*Hero",
	"team":   "var team *Team",
	"teams":  "var teams []*Team",
	"power":  "var power *Power",
	"teamID": "var teamID int64",
	// Names the guides use for "some other object", "the request", and so on.
	"h":           "var h *Hero",
	"other":       "var other *Hero",
	"old":         "var old *Hero",
	"ptr":         "func ptr[T any](v T) *T { return &v }",
	"userOf":      "func userOf(*http.Request) struct{ Staff, Superuser bool; Email string } { return struct{ Staff, Superuser bool; Email string }{} }",
	"Account":     "type Account struct {\n\tID int64 `sqlmodel:\"pk\"`\n\tBalance int64\n}",
	"Counter":     "type Counter struct {\n\tID int64 `sqlmodel:\"pk\"`\n\tValue int64\n}",
	"id":          "var id int64",
	"amount":      "var amount int64",
	"t":           "var t *testing.T",
	"r":           "var r *http.Request",
	"dsn":         "var dsn, primaryDSN, replica1DSN, replica2DSN string",
	"primaryPool": "var primaryPool, replicaPool *sql.DB",
	"prefix":      "var prefix string",
	"Applied":     "type Applied struct {\n\tKey string `sqlmodel:\"pk\"`\n}",
	"reqID":       "var reqID string",
	"dir":         "var dir string",
	"metrics":     "var metrics interface{ Observe(node string, d time.Duration) }",
}

// block is one ```go block of a Markdown file.
type block struct {
	file string // path relative to the module root
	line int    // line of the first code line
	code string
	skip string // reason given by <!-- doccheck: skip REASON -->
}

// otherLibrary matches the line that starts another library's code in a
// side-by-side block ("// GORM", "// Bun: ..."): the rest of the block is
// not checked.
var otherLibrary = regexp.MustCompile(`^// (GORM|Bun)\b`)

var directive = regexp.MustCompile(`^<!--\s*doccheck:\s*(\w+)\s*(.*?)\s*-->$`)

// extract returns the ```go blocks of the Markdown file at root/rel.
func extract(t *testing.T, root, rel string) []block {
	t.Helper()
	f, err := os.Open(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []block
	var cur *block
	var code []string
	prev := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```go":
			cur = &block{file: rel, line: n + 1}
			if m := directive.FindStringSubmatch(prev); m != nil {
				if m[1] != "skip" || m[2] == "" {
					t.Errorf("%s:%d: unknown doccheck directive %q (want \"skip REASON\")", rel, n-1, prev)
				}
				cur.skip = m[2]
			}
		case cur != nil && trimmed == "```":
			cur.code = strings.Join(code, "\n")
			if i := slices.IndexFunc(code, otherLibrary.MatchString); i >= 0 {
				cur.code = strings.Join(code[:i], "\n")
			}
			out = append(out, *cur)
			cur, code = nil, nil
		case cur != nil:
			code = append(code, line)
		}
		if trimmed != "" {
			prev = trimmed
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Errorf("%s:%d: unterminated ```go block", rel, cur.line-1)
	}
	return out
}

// wrapped is a block turned into a Go file.
type wrapped struct {
	src     string
	imports []string // import paths the file uses
	prelude string   // for a block with a package clause: a second file of the prelude
}

// preludeFile is a file of package pkg (a package clause) holding the
// prelude's declarations that declared does not name.
func preludeFile(pkg string, declared map[string]bool) string {
	var b strings.Builder
	b.WriteString(pkg + "\n\nimport (\n")
	for _, name := range slices.Sorted(maps.Keys(autoImports)) {
		fmt.Fprintf(&b, "\t%s %q\n", name, autoImports[name])
	}
	b.WriteString(")\n\n")
	for _, name := range slices.Sorted(maps.Keys(prelude)) {
		if !declared[name] {
			b.WriteString(prelude[name] + "\n")
		}
	}
	return b.String()
}

// wrap turns b into a file: see the package documentation.
func wrap(b block, driverExists func(string) bool, logf func(string, ...any)) wrapped {
	lineDir := func(n int) string { return fmt.Sprintf("//line %s:%d\n", b.file, n) }
	if hasPackageClause(b.code) {
		return wrapped{src: lineDir(b.line) + b.code + "\n", imports: importsOf(b.code),
			prelude: preludeFile(packageClause.FindString(b.code), fileDeclared(packageClause.ReplaceAllString(b.code, "")))}
	}
	var imports, fileLevel, body []string
	importLines, rest := splitImports(b.code, b.line)
	for _, il := range importLines {
		path, _ := strconv.Unquote(il.path)
		if il.name == "_" && strings.HasPrefix(path, module+"/orm/driver/") && !driverExists(path) {
			logf("%s:%d: dropped blank import of %s: no such package in this tree yet", b.file, il.line, path)
			continue
		}
		imports = append(imports, il.text)
	}
	if declarationsOnly(rest) {
		fileLevel = append(fileLevel, lineDir(b.line)+rest)
	} else {
		fl, bd := splitBody(rest, b.line)
		for _, c := range fl {
			fileLevel = append(fileLevel, lineDir(c.line)+c.text)
		}
		body = append(body, lineDir(b.line)+bd)
	}
	declared := fileDeclared(strings.Join(fileLevel, "\n"))
	var src strings.Builder
	src.WriteString("package doc\n\nimport (\n")
	used := map[string]bool{}
	for _, il := range imports {
		fmt.Fprintf(&src, "\t%s\n", il)
	}
	for _, name := range slices.Sorted(maps.Keys(autoImports)) {
		if declaredImport(imports, name) {
			continue
		}
		fmt.Fprintf(&src, "\t%s %q\n", name, autoImports[name])
		used[autoImports[name]] = true
	}
	src.WriteString(")\n\n")
	for _, name := range slices.Sorted(maps.Keys(prelude)) {
		if !declared[name] {
			src.WriteString(prelude[name] + "\n")
		}
	}
	for _, d := range fileLevel {
		src.WriteString("\n" + d + "\n")
	}
	if len(body) > 0 {
		src.WriteString("\nfunc _() {\n" + strings.Join(body, "\n") + "\n}\n")
	}
	paths := slices.Collect(maps.Keys(used))
	for _, il := range imports {
		if p, err := strconv.Unquote(il[strings.IndexByte(il, '"'):]); err == nil {
			paths = append(paths, p)
		}
	}
	return wrapped{src: src.String(), imports: paths}
}

var packageClause = regexp.MustCompile(`(?m)^package \w+`)

func hasPackageClause(code string) bool { return packageClause.MatchString(code) }

// importsOf returns the import paths of a whole Go file.
func importsOf(code string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "", code, parser.ImportsOnly)
	if err != nil {
		return nil
	}
	var out []string
	for _, is := range f.Imports {
		p, _ := strconv.Unquote(is.Path.Value)
		out = append(out, p)
	}
	return out
}

type importLine struct {
	text, name, path string
	line             int
}

var importRe = regexp.MustCompile(`^import\s+(?:(\w+|_|\.)\s+)?("[^"]+")\s*$`)

// splitImports takes single-line import declarations out of code (a
// snippet's own `import _ "..."` lines); the other lines are kept in place
// (blank), so that line numbers stay right.
func splitImports(code string, first int) ([]importLine, string) {
	lines := strings.Split(code, "\n")
	var out []importLine
	for i, l := range lines {
		if m := importRe.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			text := m[2]
			if m[1] != "" {
				text = m[1] + " " + m[2]
			}
			out = append(out, importLine{text: text, name: m[1], path: m[2], line: first + i})
			lines[i] = ""
		}
	}
	return out, strings.Join(lines, "\n")
}

func declaredImport(imports []string, name string) bool {
	for _, il := range imports {
		p, err := strconv.Unquote(il[strings.IndexByte(il, '"'):])
		if err != nil {
			continue
		}
		if strings.HasPrefix(il, name+" ") || (!strings.Contains(il, " ") && filepath.Base(p) == name) {
			return true
		}
	}
	return false
}

// declarationsOnly reports whether code parses as file-level declarations.
func declarationsOnly(code string) bool {
	_, err := parser.ParseFile(token.NewFileSet(), "", "package doc\n"+code, parser.SkipObjectResolution)
	return err == nil
}

type chunk struct {
	text string
	line int
}

// splitBody separates a mixed block into file-level chunks (functions and
// methods, from a "func" at the start of a line to the "}" that closes it
// at the start of a line, and the type declarations that get methods there)
// and the rest, a function body with the moved lines left blank.
func splitBody(code string, first int) ([]chunk, string) {
	lines := strings.Split(code, "\n")
	var out []chunk
	receivers := map[string]bool{}
	recvRe := regexp.MustCompile(`^func \(\s*(?:\w+\s+)?\*?(\w+)`)
	take := func(start int, opener string) int {
		end := start
		if !strings.HasSuffix(strings.TrimSpace(lines[start]), "}") || strings.Count(lines[start], "{") != strings.Count(lines[start], "}") {
			for end = start + 1; end < len(lines) && !strings.HasPrefix(lines[end], "}"); end++ {
			}
		}
		end = min(end, len(lines)-1)
		out = append(out, chunk{text: strings.Join(lines[start:end+1], "\n"), line: first + start})
		for i := start; i <= end; i++ {
			lines[i] = ""
		}
		return end
	}
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "func ") {
			if m := recvRe.FindStringSubmatch(lines[i]); m != nil {
				receivers[m[1]] = true
			}
			i = take(i, "func")
		}
	}
	for i := 0; i < len(lines); i++ {
		for r := range receivers {
			if strings.HasPrefix(lines[i], "type "+r+" ") {
				i = take(i, "type")
				break
			}
		}
	}
	return out, strings.Join(lines, "\n")
}

// fileDeclared returns the names declared at file level in src.
func fileDeclared(src string) map[string]bool {
	out := map[string]bool{}
	f, err := parser.ParseFile(token.NewFileSet(), "", "package doc\n"+src, parser.SkipObjectResolution)
	if err != nil {
		return out
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				out[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					out[sp.Name.Name] = true
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						out[n.Name] = true
					}
				}
			}
		}
	}
	return out
}

// moduleRoot is the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// exportData builds the packages (and their dependencies) with go list
// -export and returns where each one's export data is.
func exportData(t *testing.T, root string, paths []string) map[string]string {
	t.Helper()
	args := append([]string{"list", "-e", "-export", "-deps", "-f", "{{if .Export}}{{.ImportPath}}={{.Export}}{{end}}"}, paths...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v\n%s", err, stderr.String())
	}
	m := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

// markdownFiles are the files whose Go blocks are checked.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, d := range docs {
		rel, _ := filepath.Rel(root, d)
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

// ignorable reports type errors that snippets may have: they show calls,
// not whole programs.
func ignorable(err types.Error) bool {
	return strings.Contains(err.Msg, "declared and not used") || strings.Contains(err.Msg, "imported and not used")
}

func TestDocSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module's export data (go list -export); not in -short")
	}
	root := moduleRoot(t)
	driverExists := func(path string) bool {
		_, err := os.Stat(filepath.Join(root, strings.TrimPrefix(path, module+"/")))
		return err == nil
	}
	type job struct {
		b block
		w wrapped
	}
	var jobs []job
	need := map[string]bool{}
	skipped := 0
	for _, md := range markdownFiles(t, root) {
		for _, b := range extract(t, root, md) {
			if b.skip != "" || strings.TrimSpace(b.code) == "" {
				skipped++
				continue
			}
			w := wrap(b, driverExists, t.Logf)
			for _, p := range w.imports {
				need[p] = true
			}
			jobs = append(jobs, job{b, w})
		}
	}
	if len(jobs) == 0 {
		t.Fatal("no Go blocks found: the extraction is broken")
	}
	for _, p := range autoImports {
		need[p] = true
	}
	exports := exportData(t, root, slices.Sorted(maps.Keys(need)))
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s (not a package of the module or the standard library?)", path)
		}
		return os.Open(f)
	})
	for _, j := range jobs {
		f, err := parser.ParseFile(fset, "doc.go", j.w.src, parser.ParseComments)
		if err != nil {
			t.Errorf("%v\n(the block at %s:%d does not parse)", err, j.b.file, j.b.line)
			continue
		}
		files := []*ast.File{f}
		if j.w.prelude != "" {
			pf, err := parser.ParseFile(fset, "prelude.go", j.w.prelude, 0)
			if err != nil {
				t.Fatalf("prelude of %s:%d: %v", j.b.file, j.b.line, err)
			}
			files = append(files, pf)
		}
		var errs []string
		conf := types.Config{Importer: imp, Error: func(err error) {
			if te, ok := err.(types.Error); ok && ignorable(te) {
				return
			}
			errs = append(errs, err.Error())
		}}
		_, _ = conf.Check("doc", fset, files, nil)
		if len(errs) > 0 {
			t.Errorf("the Go block at %s:%d does not compile:\n\t%s", j.b.file, j.b.line, strings.Join(errs, "\n\t"))
			if testing.Verbose() {
				t.Logf("wrapped as:\n%s", j.w.src)
			}
		}
	}
	t.Logf("%d Go blocks type-checked, %d skipped (a skip directive, or only other libraries' code)", len(jobs), skipped)
}
