package packaging_test

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/hack/packaging"
	"github.com/tollgate-dev/tollgate/internal/helmchart"
)

// TestChartLints runs Helm's own linter (helm lint --strict) with the
// default values and with every switch flipped.
func TestChartLints(t *testing.T) {
	dir := filepath.Join(repoRoot(t), packaging.ChartDir)
	for name, vals := range map[string]map[string]any{
		"defaults": nil,
		"flipped": {"createNamespace": true, "proxyImage": "registry.example.com/t:v1", "replicas": 2,
			"leaderElection": map[string]any{"enabled": false}, "metrics": map[string]any{"enabled": false}},
	} {
		t.Run(name, func(t *testing.T) {
			l := action.NewLint()
			l.Strict = true
			l.Namespace = namespace
			res := l.Run([]string{dir}, vals)
			for _, m := range res.Messages {
				t.Logf("helm lint: %s", m)
			}
			if action.HasWarningsOrErrors(res) || res.TotalChartsLinted != 1 {
				t.Errorf("helm lint: %d charts linted, errors %v", res.TotalChartsLinted, res.Errors)
			}
		})
	}
}

// TestChartRendersTheKustomizeBuild renders the chart with its defaults
// (plus createNamespace, which config/default always does) and compares it
// with the kustomize build: the same objects, field for field, once the
// labels Helm adds are taken off; CRDs are the chart's crds/ files.
func TestChartRendersTheKustomizeBuild(t *testing.T) {
	root := repoRoot(t)
	manifest, err := helmchart.Render(helmchart.Options{
		ChartDir: filepath.Join(root, packaging.ChartDir), Namespace: namespace,
		Values: map[string]any{"createNamespace": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	rendered := map[string]*unstructured.Unstructured{}
	for _, doc := range strings.Split(manifest, "\n---") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("rendered manifest: %v\n%s", err, doc)
		}
		if len(u.Object) == 0 {
			continue
		}
		labels := u.GetLabels()
		for _, k := range []string{"helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/instance", "app.kubernetes.io/version"} {
			if labels[k] == "" {
				t.Errorf("%s %s lacks Helm's label %s", u.GetKind(), u.GetName(), k)
			}
			delete(labels, k)
		}
		if len(labels) == 0 {
			labels = nil // kustomize writes no labels: map[] is not the same object
		}
		u.SetLabels(labels)
		rendered[u.GetKind()+"/"+u.GetName()] = u
	}
	crds := 0
	for _, want := range build(t, loadConfig(t), defaultDir) {
		id := want.GetKind() + "/" + want.GetName()
		if want.GetKind() == "CustomResourceDefinition" {
			crds++
			continue
		}
		got, ok := rendered[id]
		if !ok {
			t.Errorf("the chart does not render %s", id)
			continue
		}
		delete(rendered, id)
		// Through YAML both ways, so numbers compare alike.
		a, b := roundTrip(t, want.Object), roundTrip(t, got.Object)
		if !reflect.DeepEqual(a, b) {
			wy, _ := yaml.Marshal(a)
			gy, _ := yaml.Marshal(b)
			t.Errorf("%s differs:\n--- kustomize\n%s\n--- helm\n%s", id, wy, gy)
		}
	}
	for id := range rendered {
		t.Errorf("the chart renders %s, which config/default does not build", id)
	}
	got, err := filepath.Glob(filepath.Join(root, packaging.ChartDir, "crds", "*.yaml"))
	if err != nil || len(got) != crds {
		t.Errorf("crds/ holds %d files, config/default builds %d CRDs (%v)", len(got), crds, err)
	}
}

func roundTrip(t *testing.T, obj map[string]any) map[string]any {
	t.Helper()
	b, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBinaryLinksNoHelm keeps Helm's SDK a test-only dependency: the
// tollgate binary (operator and proxy) must not link it.
func TestBinaryLinksNoHelm(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./cmd/tollgate")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/tollgate: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list -deps listed %d packages, want the binary's whole graph", len(deps))
	}
	for _, p := range deps {
		if strings.HasPrefix(p, "helm.sh/") || strings.HasSuffix(p, "/internal/helmchart") {
			t.Errorf("cmd/tollgate links %s: Helm's SDK is for tests only (docs/design-notes.md)", p)
		}
	}
}
