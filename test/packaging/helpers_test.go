// Package packaging_test checks Tollgate's install artefacts without a
// cluster: the kustomize builds (config/default, config/samples, the
// optional components), the OLM bundle (regenerated and compared with
// bundle/, then run through operator-framework's validators) and the Argo
// CD health checks (run with gopher-lua against their fixtures), and the
// Helm chart (helm lint, and rendered with Helm's SDK against the kustomize
// build).
package packaging_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/hack/packaging"
)

// repoRoot is the repository root, two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatalf("finding the repository root: %v", err)
	}
	return root
}

// strictDecoder decodes every kind our manifests use and refuses unknown
// or duplicated fields, so a typo in a manifest fails here rather than
// being dropped by the API server.
func strictDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, v1alpha1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			t.Fatalf("building the scheme: %v", err)
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}

// decodeStrict decodes u into its Go type with strictDecoder.
func decodeStrict(t *testing.T, dec runtime.Decoder, u *unstructured.Unstructured) (runtime.Object, error) {
	t.Helper()
	j, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatalf("encoding %s %s: %v", u.GetKind(), u.GetName(), err)
	}
	obj, _, err := dec.Decode(j, nil, nil)
	return obj, err
}

// build runs kustomize on dir of fsys and fails the test on any error.
func build(t *testing.T, fsys filesys.FileSystem, dir string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := packaging.Build(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatalf("kustomize build %s: no objects", dir)
	}
	return objs
}

// loadConfig is packaging.LoadConfig for the repository under test.
func loadConfig(t *testing.T) filesys.FileSystem {
	t.Helper()
	fsys, err := packaging.LoadConfig(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// find returns the objects of kind in objs.
func find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range objs {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}
