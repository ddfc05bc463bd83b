package architecture

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Violation is one broken rule, naming the file and what it did.
type Violation struct {
	File string
	Rule string
}

func (v Violation) String() string { return v.File + ": " + v.Rule }

// Check reads every non-test Go file under root/internal and reports each
// rule it breaks. module is the Go module path (its internal packages are
// module + "/internal/...").
func Check(root, module string, layers []Layer) ([]Violation, error) {
	byPath := map[string]Layer{}
	for _, l := range layers {
		byPath[l.Path] = l
	}
	c := checker{module: module + "/internal/", layers: byPath, fset: token.NewFileSet()}
	internal := filepath.Join(root, "internal")
	err := filepath.WalkDir(internal, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(internal, filepath.Dir(path))
		return c.checkFile(path, filepath.ToSlash(rel))
	})
	sort.Slice(c.violations, func(i, j int) bool { return c.violations[i].String() < c.violations[j].String() })
	return c.violations, err
}

type checker struct {
	module     string
	layers     map[string]Layer
	fset       *token.FileSet
	violations []Violation
}

func (c *checker) report(file, format string, args ...any) {
	c.violations = append(c.violations, Violation{File: file, Rule: fmt.Sprintf(format, args...)})
}

func (c *checker) checkFile(path, pkg string) error {
	file, err := parser.ParseFile(c.fset, path, nil, 0)
	if err != nil {
		return err
	}
	layer, ok := c.layers[pkg]
	if !ok {
		c.report(path, "package internal/%s is not classified in architecture.Layers", pkg)
		return nil
	}
	for _, imp := range file.Imports {
		target, _ := strconv.Unquote(imp.Path.Value)
		c.checkImport(path, layer, target)
	}
	if layer.Pure {
		c.checkPureBody(path, file)
	}
	return nil
}

func (c *checker) checkImport(path string, from Layer, target string) {
	if from.Pure {
		for _, exact := range forbiddenExactInPure {
			if target == exact {
				c.report(path, "pure package internal/%s imports %s", from.Path, target)
			}
		}
		for _, prefix := range forbiddenInPure {
			if target == prefix || strings.HasPrefix(target, strings.TrimSuffix(prefix, "/")+"/") {
				c.report(path, "pure package internal/%s imports %s", from.Path, target)
			}
		}
	}
	rel, ok := strings.CutPrefix(target, c.module)
	if !ok {
		return
	}
	to, ok := c.layers[rel]
	if !ok {
		c.report(path, "imports unclassified package internal/%s", rel)
		return
	}
	if from.Side == Harness {
		return
	}
	if to.Side == Harness {
		c.report(path, "pipeline package internal/%s imports harness package internal/%s", from.Path, rel)
		return
	}
	if from.Side == Shared && to.Side != Shared {
		c.report(path, "shared package internal/%s imports %s-side internal/%s", from.Path, to.Side, rel)
	}
	if (from.Side == Copilot && to.Side == Pilot) || (from.Side == Pilot && to.Side == Copilot) {
		c.report(path, "%s-side internal/%s imports %s-side internal/%s", from.Side, from.Path, to.Side, rel)
	}
	if to.Stage > from.Stage {
		c.report(path, "internal/%s (stage %d) imports later stage internal/%s (stage %d) against the data flow", from.Path, from.Stage, rel, to.Stage)
	}
	if from.Pure && !to.Pure {
		c.report(path, "pure package internal/%s imports runner internal/%s", from.Path, rel)
	}
}

// checkPureBody reports goroutines and clock reads in a pure package.
func (c *checker) checkPureBody(path string, file *ast.File) {
	timeName := ""
	for _, imp := range file.Imports {
		if imp.Path.Value == `"time"` {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			c.report(path, "pure package starts a goroutine at line %d", c.fset.Position(n.Pos()).Line)
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && timeName != "" && id.Name == timeName && clockFuncs[n.Sel.Name] {
				c.report(path, "pure package reads the clock (time.%s) at line %d", n.Sel.Name, c.fset.Position(n.Pos()).Line)
			}
		}
		return true
	})
}
