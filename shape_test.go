package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The rules that hold the shape (ARCHITECTURE.md, "Imports"), checked on
// the source: the console knows only the contract and the shared packages,
// its tests included; the shared packages know no provider; no provider
// knows another.

const module = "ringside"

// sharedImports is what each package that providers and the console share
// may import of ringside: the contract imports only textsafe, and the
// packages beside it import the contract, never the reverse.
var sharedImports = map[string][]string{
	"providers":             {"providers/textsafe"},
	"providers/textsafe":    nil,
	"providers/httpguard":   nil,
	"providers/secretfile":  {"providers/regularfile"},
	"providers/regularfile": nil,
	"providers/statedir":    nil,
	"providers/compact":     {"providers"},
	"providers/ledger":      {"providers", "providers/compact"},
	"providers/stats":       {"providers", "providers/textsafe"},
	"providers/jsonstream":  {"providers", "providers/stats"},
	"providers/directory":   {"providers", "providers/regularfile", "providers/textsafe"},
}

// consoleImports is what ui may import of ringside, in its tests too: they
// run on a fake provider of their own.
var consoleImports = []string{
	"providers", "providers/textsafe", "providers/compact", "providers/stats", "providers/directory", "theme",
}

// providerTrees are the providers (and the recording decorator, which wraps
// any provider but names none); each may import its own subpackages, never
// another's. replay reads its file through record.
var providerTrees = []string{
	"providers/demo", "providers/graph", "providers/genesys", "providers/natsboard", "providers/record", "providers/replay",
}

var crossProvider = map[[2]string]bool{{"providers/replay", "providers/record"}: true}

// treeOf is the provider tree dir lies in, or "".
func treeOf(dir string) string {
	for _, t := range providerTrees {
		if dir == t || strings.HasPrefix(dir, t+"/") {
			return t
		}
	}
	return ""
}

// ringsideImports reads the ringside imports of every Go file under root,
// by package directory (relative, slash-separated), test files apart.
func ringsideImports(t *testing.T, root string) (prod, tests map[string]map[string]bool) {
	t.Helper()
	prod, tests = map[string]map[string]bool{}, map[string]map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(rel)
		into := prod
		if strings.HasSuffix(p, "_test.go") {
			into = tests
		}
		for _, im := range f.Imports {
			ip, err := strconv.Unquote(im.Path.Value)
			if err != nil {
				return err
			}
			if ip != module && !strings.HasPrefix(ip, module+"/") {
				continue
			}
			if into[dir] == nil {
				into[dir] = map[string]bool{}
			}
			into[dir][strings.TrimPrefix(strings.TrimPrefix(ip, module), "/")] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return prod, tests
}

// importViolations is every import of prod and tests that breaks the rules,
// as "dir imports pkg".
func importViolations(prod, tests map[string]map[string]bool) []string {
	var bad []string
	check := func(dir string, imports map[string]bool, ok func(string) bool) {
		for im := range imports {
			if !ok(im) {
				bad = append(bad, dir+" imports "+im)
			}
		}
	}
	for dir, imports := range prod {
		switch {
		case dir == ".":
			// main wires everything together.
		case dir == "ui":
			check(dir, imports, func(im string) bool { return slices.Contains(consoleImports, im) })
		case dir == "theme":
			check(dir, imports, func(string) bool { return false })
		case hasKey(sharedImports, dir):
			check(dir, imports, func(im string) bool { return slices.Contains(sharedImports[dir], im) })
		default:
			own := treeOf(dir)
			check(dir, imports, func(im string) bool {
				other := treeOf(im)
				switch {
				case im == "ui" || im == "theme" || im == ".":
					return false
				case other == "" || other == own:
					return true
				}
				return crossProvider[[2]string{own, other}]
			})
		}
	}
	check("ui (tests)", tests["ui"], func(im string) bool { return slices.Contains(consoleImports, im) })
	slices.Sort(bad)
	return bad
}

func hasKey[V any](m map[string]V, k string) bool { _, ok := m[k]; return ok }

func TestImportsKeepTheShape(t *testing.T) {
	prod, tests := ringsideImports(t, ".")
	for _, dir := range append([]string{"ui", "providers", "providers/demo", "providers/graph", "providers/natsboard/relay"}, providerTrees...) {
		if prod[dir] == nil {
			t.Fatalf("no imports read for %s: the walk missed the tree", dir)
		}
	}
	if bad := importViolations(prod, tests); len(bad) > 0 {
		t.Errorf("imports that break the rules of ARCHITECTURE.md:\n%s", strings.Join(bad, "\n"))
	}
}

// The check itself: each kind of breach is caught.
func TestImportViolationsAreCaught(t *testing.T) {
	for _, c := range []struct {
		dir, imports string
		test         bool
	}{
		{"ui", "providers/demo", false},
		{"ui", "providers/graph", true}, // a console test on a real provider
		{"providers", "providers/ledger", false},
		{"providers/ledger", "providers/demo", false},
		{"providers/graph", "providers/genesys", false},
		{"providers/natsboard/relay", "providers/demo", false},
		{"providers/record", "providers/replay", false},
		{"providers/demo", "ui", false},
		{"theme", "providers", false},
	} {
		prod, tests := map[string]map[string]bool{}, map[string]map[string]bool{}
		into := prod
		if c.test {
			into = tests
		}
		into[c.dir] = map[string]bool{c.imports: true}
		if bad := importViolations(prod, tests); len(bad) != 1 {
			t.Errorf("%s importing %s (test %v): %v, want it refused", c.dir, c.imports, c.test, bad)
		}
	}
	fine := map[string]map[string]bool{
		"providers/replay":          {"providers/record": true, "providers": true},
		"providers/graph":           {"providers/graph/callapi": true, "providers/ledger": true, "providers/httpguard": true},
		"providers/natsboard/relay": {"providers/natsboard/wire": true, "providers/jsonstream": true},
		"ui":                        {"providers/directory": true, "theme": true},
	}
	if bad := importViolations(fine, nil); len(bad) > 0 {
		t.Errorf("allowed imports refused: %v", bad)
	}
}

// Every provider has the same files (ARCHITECTURE.md): a newcomer finds
// the flags, the Provider and the wire-to-call mapping under one name each.
func TestEveryProviderHasTheSameFiles(t *testing.T) {
	for _, dir := range []string{"providers/demo", "providers/graph", "providers/genesys", "providers/natsboard", "providers/replay"} {
		for _, f := range []string{"doc.go", "config.go", "provider.go", "mapping.go"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s has no %s: %v", dir, f, err)
			}
		}
	}
}

// The README's layout and ARCHITECTURE.md name every package and every file
// of main, so that neither drifts from the tree unnoticed. A command under a
// package's cmd/ is named as cmd/NAME beside its package.
func TestLayoutNamesEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	layout := string(readme)
	if i := strings.Index(layout, "## Layout"); i >= 0 {
		layout = layout[i:]
	}
	if i := strings.Index(layout, "\n## "); i >= 0 {
		layout = layout[:i]
	}
	arch, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	prod, _ := ringsideImports(t, ".")
	dirs := map[string]bool{}
	err = filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata"):
			return filepath.SkipDir
		case d.IsDir():
			return nil
		case p == filepath.Base(p) && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go"):
			// main's own files, each named in both.
			if !strings.Contains(layout, p) || !strings.Contains(string(arch), "`"+p+"`") {
				t.Errorf("%s is not named in the README's layout and ARCHITECTURE.md", p)
			}
		case strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go"):
			dirs[filepath.ToSlash(filepath.Dir(p))] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < len(prod)-1 {
		t.Fatalf("found %d packages, the import walk %d", len(dirs), len(prod))
	}
	for dir := range dirs {
		inReadme, inArch := "\n"+dir+"/", "`"+dir+"`"
		if i := strings.Index(dir, "/cmd/"); i >= 0 {
			inReadme, inArch = dir[i+1:], dir[i+1:]
		}
		if !strings.Contains(layout, inReadme) {
			t.Errorf("the README's layout does not name %s", dir)
		}
		if !strings.Contains(string(arch), inArch) {
			t.Errorf("ARCHITECTURE.md does not name %s", dir)
		}
	}
}

// Every style is made in theme (ARCHITECTURE.md): the console only uses
// what theme.Styles holds, so a new colour is one edit in one package.
func TestConsoleMakesNoStyle(t *testing.T) {
	files, err := filepath.Glob("ui/*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, maker := range []string{"NewStyle(", "DefaultStyles(", "DefaultDarkStyles(", "DefaultLightStyles("} {
			if strings.Contains(string(src), maker) {
				t.Errorf("%s makes a style (%s…): it belongs in theme", f, maker)
			}
		}
	}
}
