package packaging_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tollgate-dev/tollgate/hack/packaging"
)

// TestChartGenerated checks charts/tollgate is what hack/helm-chart writes
// from config/default now (make helm-chart).
func TestChartGenerated(t *testing.T) {
	root := repoRoot(t)
	files, err := packaging.Chart(root)
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	err = filepath.WalkDir(filepath.Join(root, packaging.ChartDir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			onDisk = append(onDisk, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk) != len(files) {
		t.Errorf("%s holds %d files, the generator writes %d: run make helm-chart", packaging.ChartDir, len(onDisk), len(files))
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale (%v): run make helm-chart (hack/helm-chart.sh) and commit the result", name, err)
		}
	}
}
