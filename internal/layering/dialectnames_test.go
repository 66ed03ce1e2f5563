package layering

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoDialectNameComparisons: outside orm/dialect, no code tells databases
// apart by name. A difference between databases is a dialect capability
// (a Features flag or a Dialect method; see orm/dialect/doc.go), so that a
// new dialect, or a flavor of one, states what it can do in one place.
//
// The check is syntactic (the module has no type checker dependency), and
// precise because it looks for dialect names: it reports a call X.Name()
// or X.Flavor() (or a variable assigned from one in the same function)
// that is compared with ==/!= to a string literal naming a database or
// driver, used as the tag of a switch with such a case, used as the key into
// a map literal keyed by such names, or passed to a function together with
// such a literal (strings.EqualFold, strings.HasPrefix...). Name() compared
// with anything else (reflect.Type.Name() == typeName) is not reported.
func TestNoDialectNameComparisons(t *testing.T) {
	root := moduleRoot(t)
	var found []string
	files := 0
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			name := e.Name()
			if rel == "orm/dialect" || name == "testdata" || name == "vendor" ||
				(rel != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_"))) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		v, err := dialectNameComparisons(rel, src)
		if err != nil {
			return err
		}
		found = append(found, v...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("checked only %d files under %s; is it the module root?", files, root)
	}
	for _, f := range found {
		t.Errorf("%s: compares a dialect's name; use a Features flag or a Dialect method (orm/dialect/doc.go)", f)
	}
}

// TestDialectNameCheck runs the check on small sources, so that it is
// known to find what it looks for (and TestNoDialectNameComparisons does
// not pass for having found nothing to look at).
func TestDialectNameCheck(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want int // reports
	}{
		{"equal", `if d.Name() == "postgres" {}`, 1},
		{"not equal, literal first", `if "mysql" != db.dialect.Name() {}`, 1},
		{"flavor", `ok := d.Flavor() == "mariadb"; _ = ok`, 1},
		{"in a condition", `if x > 0 && (b.d.Name() == "sqlite") {}`, 1},
		{"switch", `switch d.Name() { case "mysql": ; case "postgres": }`, 1},
		{"switch on flavor", `switch db.Dialect().Flavor() { case "mariadb": }`, 1},
		{"map literal", `x := map[string]string{"postgres": "postgres", "sqlite": "sqlite3"}[d.Name()]; _ = x`, 1},
		{"through a variable", `n := d.Name(); if n == "mysql" {}`, 1},
		{"declared variable", `var n = d.Flavor(); switch n { case "mariadb": }`, 1},
		{"EqualFold", `if strings.EqualFold(d.Name(), "Postgres") {}`, 1},
		{"two", `if d.Name() == "mysql" || d.Name() == "sqlite" {}`, 2},

		{"reflect type name", `if c.Type.Name() == typeName {}`, 0},
		{"type name literal", `if t.Name() == "Time" {}`, 0},
		{"switch on other names", `switch f.Name() { case "ID", "Name": }`, 0},
		{"name printed", `fmt.Println(d.Name(), "postgres")`, 0},
		{"name as cache key", `k := key{m, d.Name()}; _ = k`, 0},
		{"driver string", `if driver == "sqlite3" {}`, 0},
		{"name with arguments", `if r.Name(1) == "mysql" {}`, 0},
		{"other variable", `n := d.Quote("x"); if n == "mysql" {}`, 0},
	}
	for _, c := range cases {
		src := "package p\n\nfunc f() {\n" + c.src + "\n}\n"
		got, err := dialectNameComparisons("p.go", []byte(src))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(got) != c.want {
			t.Errorf("%s: %q: %d reports %q, want %d", c.name, c.src, len(got), got, c.want)
		}
	}
}

// dialectNames are the names of databases, dialects, flavors and drivers
// that a name comparison would test for (compared case-insensitively).
var dialectNames = map[string]bool{
	"postgres": true, "postgresql": true, "pgx": true, "pgx/v5": true, "pq": true,
	"mysql": true, "mariadb": true,
	"sqlite": true, "sqlite3": true,
}

func isDialectLiteral(e ast.Expr) bool {
	lit, ok := ast.Unparen(e).(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return false
	}
	s, err := strconv.Unquote(lit.Value)
	return err == nil && dialectNames[strings.ToLower(s)]
}

// nameCall reports whether e is X.Name() or X.Flavor() without arguments.
func nameCall(e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok || len(call.Args) != 0 {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && (sel.Sel.Name == "Name" || sel.Sel.Name == "Flavor")
}

// dialectNameComparisons returns the positions (file:line) where the
// Go source src compares a Name() or Flavor() with a dialect name.
func dialectNameComparisons(file string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []string
	report := func(n ast.Node, what string) {
		p := fset.Position(n.Pos())
		out = append(out, fmt.Sprintf("%s:%d: %s", p.Filename, p.Line, what))
	}
	// Variables holding a name, by function: n := d.Name().
	ast.Inspect(f, func(n ast.Node) bool {
		var body *ast.BlockStmt
		switch fn := n.(type) {
		case *ast.FuncDecl:
			body = fn.Body
		case *ast.FuncLit:
			body = fn.Body
		default:
			return true
		}
		if body == nil {
			return false
		}
		names := map[string]bool{}
		ast.Inspect(body, func(n ast.Node) bool {
			switch s := n.(type) {
			case *ast.AssignStmt:
				if len(s.Lhs) == len(s.Rhs) {
					for i, r := range s.Rhs {
						if id, ok := s.Lhs[i].(*ast.Ident); ok && nameCall(r) {
							names[id.Name] = true
						}
					}
				}
			case *ast.ValueSpec:
				if len(s.Names) == len(s.Values) {
					for i, r := range s.Values {
						if nameCall(r) {
							names[s.Names[i].Name] = true
						}
					}
				}
			}
			return true
		})
		isName := func(e ast.Expr) bool {
			if nameCall(e) {
				return true
			}
			id, ok := ast.Unparen(e).(*ast.Ident)
			return ok && names[id.Name]
		}
		ast.Inspect(body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BinaryExpr:
				if (x.Op == token.EQL || x.Op == token.NEQ) &&
					(isName(x.X) && isDialectLiteral(x.Y) || isName(x.Y) && isDialectLiteral(x.X)) {
					report(x, "name "+x.Op.String()+" a dialect name")
				}
			case *ast.SwitchStmt:
				if x.Tag == nil || !isName(x.Tag) {
					return true
				}
				for _, st := range x.Body.List {
					cc := st.(*ast.CaseClause)
					if hasDialectLiteral(cc.List) {
						report(x, "switch on a name with dialect names as cases")
						break
					}
				}
			case *ast.IndexExpr:
				lit, ok := ast.Unparen(x.X).(*ast.CompositeLit)
				if !ok || !isName(x.Index) {
					return true
				}
				for _, el := range lit.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok && isDialectLiteral(kv.Key) {
						report(x, "map literal keyed by dialect names indexed by a name")
						break
					}
				}
			case *ast.CallExpr:
				named := false
				for _, a := range x.Args {
					named = named || isName(a)
				}
				if named && hasDialectLiteral(x.Args) && !isPrint(x.Fun) {
					report(x, "a name and a dialect name passed to one call")
				}
			}
			return true
		})
		return false
	})
	return out, nil
}

func hasDialectLiteral(es []ast.Expr) bool {
	for _, e := range es {
		if isDialectLiteral(e) {
			return true
		}
	}
	return false
}

// isPrint reports calls that only format their arguments (fmt.Println,
// fmt.Errorf, t.Logf...), where a name next to a dialect name is text.
func isPrint(fun ast.Expr) bool {
	sel, ok := fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	n := sel.Sel.Name
	return strings.HasPrefix(n, "Print") || strings.HasPrefix(n, "Fprint") || strings.HasPrefix(n, "Sprint") ||
		strings.HasPrefix(n, "Error") || strings.HasPrefix(n, "Log") || strings.HasPrefix(n, "Fatal") ||
		strings.HasPrefix(n, "Skip") || n == "Errorf"
}

// moduleRoot is the directory of go.mod, two levels above this package,
// checked to be this module's.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			if strings.TrimSpace(m) != module {
				t.Fatalf("%s/go.mod is module %q, want %q", root, m, module)
			}
			return root
		}
	}
	t.Fatalf("%s/go.mod has no module line", root)
	return ""
}
