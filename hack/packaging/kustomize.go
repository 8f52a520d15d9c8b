// Package packaging builds Tollgate's install artefacts from config/: the
// kustomize builds, the OLM bundle and the Argo CD argocd-cm snippet.
// hack/bundle and hack/argocd-cm write them into the tree; test/packaging
// regenerates them and fails when the checked-in copies are stale.
//
// Everything here is deterministic: the same files in give the same bytes
// out, with no timestamps.
package packaging

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// ConfigRoot is where LoadConfig puts the repository's config/ directory in
// the in-memory file system: kustomize paths look like /config/default.
const ConfigRoot = "/config"

// LoadConfig copies root/config into an in-memory file system, so builds
// see one consistent snapshot and callers may add overlays next to it
// without touching the tree.
func LoadConfig(root string) (filesys.FileSystem, error) {
	mem := filesys.MakeFsInMemory()
	src := filepath.Join(root, "config")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		dst := filepath.ToSlash(filepath.Join(ConfigRoot, rel))
		if d.IsDir() {
			return mem.MkdirAll(dst)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return mem.WriteFile(dst, b)
	})
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", src, err)
	}
	return mem, nil
}

// Build runs kustomize on dir (a path in fsys, such as /config/default) and
// returns the objects in kustomize's output order.
func Build(fsys filesys.FileSystem, dir string) ([]*unstructured.Unstructured, error) {
	opts := krusty.MakeDefaultOptions()
	// The order kubectl apply -k uses: Namespace and CRDs before the
	// objects that need them.
	opts.Reorder = krusty.ReorderOptionLegacy
	res, err := krusty.MakeKustomizer(opts).Run(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var out []*unstructured.Unstructured
	for _, r := range res.Resources() {
		// Through JSON, so numbers are int64/float64 as in any object
		// read from the API (kyaml's maps hold plain ints).
		j, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: reading %s: %w", dir, r.CurId(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			return nil, fmt.Errorf("kustomize build %s: decoding %s: %w", dir, r.CurId(), err)
		}
		out = append(out, u)
	}
	return out, nil
}
