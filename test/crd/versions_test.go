package crd_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/api/v1beta1"
)

// TestVersionsReadEachOther: every sample created as v1alpha1 reads back
// as v1beta1 with the same spec, and created as v1beta1 reads back as
// v1alpha1, through the API server's conversion strategy None; the object
// read also decodes into the typed Go struct of its version without losing
// a field.
func TestVersionsReadEachOther(t *testing.T) {
	e := needEnv(t)
	fxs, err := loadFixtures(repoRoot(t), "config/samples", "versions")
	if err != nil {
		t.Fatal(err)
	}
	versions := []string{v1alpha1.GroupVersion.Version, v1beta1.GroupVersion.Version}
	for _, fx := range fxs {
		for i, from := range versions {
			to := versions[1-i]
			t.Run(fmt.Sprintf("%s/%s-to-%s", fx.file, from, to), func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				obj := fx.objIn(t, e, fx.namespace()+"-"+from)
				obj.SetAPIVersion(v1alpha1.GroupVersion.Group + "/" + from)
				if err := e.Client.Create(ctx, obj, strict); err != nil {
					t.Fatalf("creating as %s: %v", from, err)
				}
				created := &unstructured.Unstructured{}
				created.SetGroupVersionKind(obj.GroupVersionKind())
				if err := e.Client.Get(ctx, keyOf(obj), created); err != nil {
					t.Fatalf("reading as %s: %v", from, err)
				}
				got := &unstructured.Unstructured{}
				got.SetAPIVersion(v1alpha1.GroupVersion.Group + "/" + to)
				got.SetKind(obj.GetKind())
				if err := e.Client.Get(ctx, keyOf(obj), got); err != nil {
					t.Fatalf("reading as %s: %v", to, err)
				}
				if got.GetAPIVersion() != v1alpha1.GroupVersion.Group+"/"+to {
					t.Errorf("read apiVersion %s, want %s", got.GetAPIVersion(), to)
				}
				if a, b := mustJSON(t, created.Object["spec"]), mustJSON(t, got.Object["spec"]); a != b {
					t.Errorf("spec as %s:\n%s\nas %s:\n%s", from, a, to, b)
				}
				typed := typedOf(t, to, got.GetKind())
				if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(got.Object, typed, true); err != nil {
					t.Errorf("decoding into the %s Go type: %v", to, err)
				}
			})
		}
	}
}

// typedOf returns an empty object of the kind in version v.
func typedOf(t *testing.T, v, kind string) runtime.Object {
	t.Helper()
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := v1beta1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	obj, err := s.New(v1alpha1.GroupVersion.WithKind(kind).GroupKind().WithVersion(v))
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
