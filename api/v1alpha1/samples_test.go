/*
Copyright The Tollgate Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// TestSamplesDecodeIntoTypes decodes every sample and valid CRD fixture into
// the Go types with unknown fields refused, and checks that encoding the
// result gives back the same document. It catches a sample or fixture that
// drifted from the types (a renamed field, a YAML 1.1 key such as "on" read
// as true) without an API server.
func TestSamplesDecodeIntoTypes(t *testing.T) {
	var files []string
	for _, dir := range []string{"../../config/samples", "../../test/crd/testdata/valid"} {
		f, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f...)
	}
	if len(files) == 0 {
		t.Fatal("no samples found")
	}
	for _, file := range files {
		if filepath.Base(file) == "kustomization.yaml" {
			continue
		}
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var meta struct{ Kind string }
			if err := yaml.Unmarshal(data, &meta); err != nil {
				t.Fatal(err)
			}
			obj := newObject(meta.Kind)
			if obj == nil {
				t.Fatalf("unknown kind %q", meta.Kind)
			}
			if err := yaml.UnmarshalStrict(data, obj); err != nil {
				t.Fatalf("decoding into %T: %v", obj, err)
			}
			var want, got map[string]any
			if err := yaml.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			encoded, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(encoded, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("round trip changed the document:\n got %s\nwant %v", encoded, want)
			}
		})
	}
}

func newObject(kind string) runtime.Object {
	switch kind {
	case "ModelProvider":
		return &ModelProvider{}
	case "AIGateway":
		return &AIGateway{}
	case "Consumer":
		return &Consumer{}
	case "TokenPolicy":
		return &TokenPolicy{}
	case "MCPServer":
		return &MCPServer{}
	}
	return nil
}

// TestDeepCopyIsIndependent guards the generated deepcopy of the types with
// pointers, maps and nested lists.
func TestDeepCopyIsIndependent(t *testing.T) {
	w := int32(3)
	gw := &AIGateway{Spec: AIGatewaySpec{
		Routes:      []Route{{Model: "chat", Backends: []Backend{{Provider: "mock", Weight: &w}}}},
		PodTemplate: &PodTemplate{Labels: map[string]string{"a": "b"}},
	}}
	cp := gw.DeepCopy()
	*cp.Spec.Routes[0].Backends[0].Weight = 9
	cp.Spec.PodTemplate.Labels["a"] = "changed"
	if *gw.Spec.Routes[0].Backends[0].Weight != 3 || gw.Spec.PodTemplate.Labels["a"] != "b" {
		t.Fatalf("DeepCopy shares memory with the original: %+v", gw.Spec)
	}
}

// TestAddToSchemeRegistersEveryKind: the apimachinery SchemeBuilder knows
// each kind and its list, under this group and version.
func TestAddToSchemeRegistersEveryKind(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"ModelProvider", "AIGateway", "Consumer", "TokenPolicy"} {
		for _, k := range []string{kind, kind + "List"} {
			if !s.Recognizes(GroupVersion.WithKind(k)) {
				t.Errorf("scheme does not recognise %s", GroupVersion.WithKind(k))
			}
		}
		gvks, _, err := s.ObjectKinds(newObject(kind))
		if err != nil || len(gvks) != 1 || gvks[0] != GroupVersion.WithKind(kind) {
			t.Errorf("%s: object kinds %v, %v", kind, gvks, err)
		}
	}
}
