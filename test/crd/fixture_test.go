package crd_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// fixture is one custom resource read from a YAML file. An invalid fixture
// lists, in leading comment lines, the errors the API server must give:
//
//	# expect: spec.endpoint: endpoint must use https
//
// that is the field path of the error cause, a colon, and a substring of
// its message. A fixture may list several.
type fixture struct {
	// file is the path, relative to the repository root, for messages.
	file string
	// source groups fixtures ("valid", "invalid", "samples",
	// "samples-invalid") for namespaces and golden files.
	source string
	obj    *unstructured.Unstructured
	expect []expectation
}

type expectation struct {
	field   string
	message string
}

func (e expectation) String() string { return e.field + ": " + e.message }

var expectLine = regexp.MustCompile(`^#\s*expect:\s*(\S+?):\s+(.+?)\s*$`)

// loadFixtures reads every *.yaml in dir except kustomization.yaml, sorted.
// fixtureSource is a folder of fixtures and the source it counts as.
type fixtureSource struct{ dir, source string }

// The fixtures every object must pass (validSources) or be refused with
// its '# expect:' lines (invalidSources).
var (
	validSources   = []fixtureSource{{"test/crd/testdata/valid", "valid"}, {"config/samples", "samples"}}
	invalidSources = []fixtureSource{{"test/crd/testdata/invalid", "invalid"}, {"config/samples/invalid", "samples-invalid"}}
)

// fixturesOf loads the fixtures of every source.
func fixturesOf(t *testing.T, root string, sources []fixtureSource) []fixture {
	t.Helper()
	var all []fixture
	for _, src := range sources {
		fx, err := loadFixtures(root, src.dir, src.source)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, fx...)
	}
	return all
}

func loadFixtures(root, dir, source string) ([]fixture, error) {
	files, err := filepath.Glob(filepath.Join(root, dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	sort.Strings(files)
	var out []fixture
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		fx, err := readFixture(f)
		if err != nil {
			return nil, err
		}
		fx.file, _ = filepath.Rel(root, f)
		fx.source = source
		out = append(out, fx)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no fixtures in %s", dir)
	}
	return out, nil
}

func readFixture(file string) (fixture, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return fixture{}, fmt.Errorf("reading fixture: %w", err)
	}
	var fx fixture
	for _, line := range strings.Split(string(data), "\n") {
		if m := expectLine.FindStringSubmatch(line); m != nil {
			fx.expect = append(fx.expect, expectation{field: m[1], message: m[2]})
		}
	}
	if bytes.Contains(data, []byte("\n---")) {
		return fixture{}, fmt.Errorf("%s: a fixture holds exactly one object", file)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		return fixture{}, fmt.Errorf("%s: %w", file, err)
	}
	if obj == nil {
		return fixture{}, fmt.Errorf("%s: no object", file)
	}
	fx.obj = &unstructured.Unstructured{Object: obj}
	if fx.obj.GetKind() == "" || fx.obj.GetName() == "" {
		return fixture{}, fmt.Errorf("%s: kind and metadata.name are required", file)
	}
	return fx, nil
}

// namespace is a namespace of the fixture's own, so fixtures never collide.
func (fx fixture) namespace() string {
	base := strings.TrimSuffix(filepath.Base(fx.file), ".yaml")
	ns := strings.ToLower(fx.source + "-" + base)
	ns = regexp.MustCompile(`[^a-z0-9-]+`).ReplaceAllString(ns, "-")
	if len(ns) > 63 {
		ns = ns[:63]
	}
	return strings.Trim(ns, "-")
}
