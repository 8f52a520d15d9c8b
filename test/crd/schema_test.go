package crd_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestSchemaConventions checks the generated CRDs, with no API server, for
// the conventions of STYLE.md: every field documented (kubectl explain),
// every string and list bounded (CEL cost and abuse), and the kind-level
// settings every Tollgate kind shares.
func TestSchemaConventions(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 5 {
		t.Fatalf("found %d CRDs in config/crd/bases, want 5 (run hack/generate.sh)", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			crd := readCRD(t, f)
			if crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
				t.Errorf("scope %s, want Namespaced", crd.Spec.Scope)
			}
			if !slices.Contains(crd.Spec.Names.Categories, "tollgate") {
				t.Errorf("categories %v lack tollgate", crd.Spec.Names.Categories)
			}
			if len(crd.Spec.Names.ShortNames) == 0 {
				t.Errorf("no short name")
			}
			checkVersions(t, crd)
			v := crd.Spec.Versions[0]
			if v.Subresources == nil || v.Subresources.Status == nil {
				t.Errorf("no status subresource")
			}
			var columns []string
			for _, c := range v.AdditionalPrinterColumns {
				columns = append(columns, c.Name)
			}
			if !slices.Contains(columns, "Age") {
				t.Errorf("printer columns %v lack Age", columns)
			}
			var problems []string
			walkSchema("", *v.Schema.OpenAPIV3Schema, func(path string, s apiextensionsv1.JSONSchemaProps) {
				problems = append(problems, schemaProblems(path, s)...)
			})
			sort.Strings(problems)
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
}

// foreign are subtrees whose schema is another project's type (core/v1,
// meta/v1 label selectors): documented, but not bounded by us.
var foreign = []string{
	".metadata",
	".spec.providerSelector",
	".spec.gatewaySelector",
	".spec.mcpServerSelector",
	".spec.podTemplate.resources",
	".spec.podTemplate.tolerations",
	".spec.podTemplate.affinity",
	".spec.podTemplate.topologySpreadConstraints",
	".spec.podTemplate.imagePullSecrets",
}

func isForeign(path string) bool {
	for _, f := range foreign {
		if path == f || strings.HasPrefix(path, f+".") || strings.HasPrefix(path, f+"[]") {
			return true
		}
	}
	return false
}

func schemaProblems(path string, s apiextensionsv1.JSONSchemaProps) []string {
	var out []string
	if path != "" && path != ".metadata" && strings.TrimSpace(s.Description) == "" &&
		!strings.HasSuffix(path, "[]") && !strings.HasSuffix(path, "{}") {
		out = append(out, fmt.Sprintf("%s has no description (doc comment)", path))
	}
	if isForeign(path) {
		return out
	}
	switch s.Type {
	case "string":
		if s.MaxLength == nil && len(s.Enum) == 0 && s.Format != "date-time" && !strings.HasSuffix(path, "{}") &&
			path != ".apiVersion" && path != ".kind" {
			out = append(out, fmt.Sprintf("%s is a string without maxLength or enum", path))
		}
	case "array":
		if s.MaxItems == nil {
			out = append(out, fmt.Sprintf("%s is a list without maxItems", path))
		}
	case "object":
		if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil && s.MaxProperties == nil {
			out = append(out, fmt.Sprintf("%s is a map without maxProperties", path))
		}
	}
	return out
}

// walkSchema calls fn for every schema node with a path like
// .spec.routes[].backends[].weight; map values are "{}".
func walkSchema(path string, s apiextensionsv1.JSONSchemaProps, fn func(string, apiextensionsv1.JSONSchemaProps)) {
	fn(path, s)
	for name, p := range s.Properties {
		walkSchema(path+"."+name, p, fn)
	}
	if s.Items != nil && s.Items.Schema != nil {
		walkSchema(path+"[]", *s.Items.Schema, fn)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		walkSchema(path+"{}", *s.AdditionalProperties.Schema, fn)
	}
}

// checkVersions: a CRD serves v1alpha1 and v1beta1 (generated from it by
// hack/v1beta1.sh) with the same schema, subresources and printer columns
// (names of the version aside), stores v1alpha1 and converts with strategy
// None, which is only valid while the schemas match.
func checkVersions(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	var names []string
	for _, v := range crd.Spec.Versions {
		names = append(names, fmt.Sprintf("%s served=%v storage=%v", v.Name, v.Served, v.Storage))
	}
	if got, want := strings.Join(names, ", "), "v1alpha1 served=true storage=true, v1beta1 served=true storage=false"; got != want {
		t.Fatalf("versions %s, want %s", got, want)
	}
	if c := crd.Spec.Conversion; c != nil && c.Strategy != apiextensionsv1.NoneConverter {
		t.Errorf("conversion strategy %s, want None", c.Strategy)
	}
	alpha, beta := crd.Spec.Versions[0], crd.Spec.Versions[1]
	alpha.Name, alpha.Storage = beta.Name, beta.Storage
	a, err := json.Marshal(alpha)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(beta)
	if err != nil {
		t.Fatal(err)
	}
	if string(bytes.ReplaceAll(a, []byte("v1alpha1"), []byte("v1beta1"))) != string(b) {
		t.Error("v1alpha1 and v1beta1 differ: run make generate (hack/v1beta1.sh copies api/v1alpha1)")
	}
}

func readCRD(t *testing.T, file string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		t.Fatalf("decoding %s: %v", file, err)
	}
	return crd
}
