package packaging_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/hack/packaging"
)

// healthTests is Argo CD's health_test.yaml format.
type healthTests struct {
	Tests []struct {
		HealthStatus struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"healthStatus"`
		InputPath string `json:"inputPath"`
	} `json:"tests"`
}

// TestHealthChecks runs every argocd/<group>/<Kind>/health.lua against its
// fixtures, as Argo CD does (global obj, the returned table's status and
// message), and asserts health_test.yaml's expectations.
func TestHealthChecks(t *testing.T) {
	root := repoRoot(t)
	dirs, err := filepath.Glob(filepath.Join(root, packaging.ArgoCDDir, "ai.tollgate.dev", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		kind := filepath.Base(dir)
		kinds = append(kinds, kind)
		t.Run(kind, func(t *testing.T) { runHealthTests(t, dir, kind) })
	}
	sort.Strings(kinds)
	if want := []string{"AIGateway", "Consumer", "ModelProvider", "TokenPolicy"}; fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("health checks for %v, want one for each kind %v", kinds, want)
	}
}

func runHealthTests(t *testing.T, dir, kind string) {
	script, err := os.ReadFile(filepath.Join(dir, "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tests healthTests
	if err := yaml.UnmarshalStrict(b, &tests); err != nil {
		t.Fatalf("health_test.yaml: %v", err)
	}
	dec := strictDecoder(t)
	used := map[string]bool{}
	statuses := map[string]bool{}
	for _, tc := range tests.Tests {
		used[filepath.Clean(tc.InputPath)] = true
		statuses[tc.HealthStatus.Status] = true
		t.Run(tc.InputPath, func(t *testing.T) {
			u := readYAML(t, filepath.Join(dir, tc.InputPath))
			if u.GetKind() != kind {
				t.Fatalf("fixture is a %s, want %s", u.GetKind(), kind)
			}
			if _, err := decodeStrict(t, dec, u); err != nil {
				t.Fatalf("fixture is not a valid %s: %v", kind, err)
			}
			status, message, err := packaging.RunHealth(string(script), u.Object)
			if err != nil {
				t.Fatal(err)
			}
			if status != tc.HealthStatus.Status || message != tc.HealthStatus.Message {
				t.Errorf("got %s %q, want %s %q", status, message, tc.HealthStatus.Status, tc.HealthStatus.Message)
			}
		})
	}
	fixtures, err := filepath.Glob(filepath.Join(dir, "testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		if rel, _ := filepath.Rel(dir, f); !used[rel] {
			t.Errorf("%s is in no test of health_test.yaml", rel)
		}
	}
	for _, s := range []string{"Healthy", "Progressing", "Degraded"} {
		if !statuses[s] {
			t.Errorf("no test expects %s", s)
		}
	}
}

// TestArgoCDSnippet checks argocd/argocd-cm.yaml is what hack/argocd-cm
// generates and that each entry reads back as its .lua file.
func TestArgoCDSnippet(t *testing.T) {
	root := repoRoot(t)
	checks, err := packaging.HealthChecks(root)
	if err != nil {
		t.Fatal(err)
	}
	want, err := packaging.ArgoCDSnippet(checks)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, packaging.ArgoCDConfigMap))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run make argocd-cm (hack/argocd-cm.sh) and commit the result", packaging.ArgoCDConfigMap)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(got, &cm); err != nil {
		t.Fatalf("%s: %v", packaging.ArgoCDConfigMap, err)
	}
	if cm.Name != "argocd-cm" || len(cm.Data) != len(checks) {
		t.Errorf("ConfigMap %s with %d entries, want argocd-cm with %d", cm.Name, len(cm.Data), len(checks))
	}
	for key, script := range checks {
		if cm.Data[key] != script {
			t.Errorf("%s does not read back as its health.lua", key)
		}
	}
}

// TestHealthScriptsGenerated checks every health.lua is its head.lua with
// the shared argocd/health.lua.tmpl (make argocd-cm), so a helper fixed in
// the template is fixed in all four.
func TestHealthScriptsGenerated(t *testing.T) {
	root := repoRoot(t)
	scripts, err := packaging.HealthScripts(root)
	if err != nil {
		t.Fatal(err)
	}
	checks, err := packaging.HealthChecks(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) != len(checks) {
		t.Errorf("%d head.lua for %d health.lua: every health check needs a head.lua", len(scripts), len(checks))
	}
	for path, want := range scripts {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run make argocd-cm (hack/argocd-cm.sh) and commit the result", path)
		}
	}
}
