package packaging_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/operator-framework/api/pkg/manifests"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	"github.com/operator-framework/api/pkg/validation"
	"github.com/operator-framework/api/pkg/validation/errors"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/hack/packaging"
)

const staleBundle = "bundle/ is stale: run make bundle (hack/bundle.sh) and commit the result"

// TestBundleUpToDate regenerates the bundle and compares it, byte for
// byte, with the checked-in bundle/ and bundle.Dockerfile.
func TestBundleUpToDate(t *testing.T) {
	root := repoRoot(t)
	want, err := packaging.Bundle(root, packaging.DefaultBundleOptions())
	if err != nil {
		t.Fatal(err)
	}
	again, err := packaging.Bundle(root, packaging.DefaultBundleOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, again) {
		t.Fatal("two bundle builds from the same tree differ: the generator is not deterministic")
	}
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Errorf("%s: %v; %s", name, err, staleBundle)
			continue
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%s differs from what hack/bundle generates; %s", name, staleBundle)
		}
	}
	for _, dir := range packaging.BundleDirs {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatalf("%v; %s", err, staleBundle)
		}
		for _, e := range entries {
			if _, ok := want[dir+"/"+e.Name()]; !ok {
				t.Errorf("%s/%s is no longer generated; %s", dir, e.Name(), staleBundle)
			}
		}
	}
}

// TestBundleValidates runs operator-framework/api's validators on the
// checked-in bundle: the default bundle checks (CSV, CRDs, owned CRDs,
// service accounts, size, related images) and OperatorHub's (metadata,
// categories, capabilities, good practices, removed APIs for 1.37).
func TestBundleValidates(t *testing.T) {
	b, err := manifests.GetBundleFromDir(filepath.Join(repoRoot(t), "bundle"))
	if err != nil {
		t.Fatalf("loading bundle/: %v", err)
	}
	for _, r := range validate(t, b) {
		for _, e := range r.Errors {
			t.Errorf("%s: %v", r.Name, e)
		}
		for _, w := range r.Warnings {
			if acceptedWarning(w.Error()) {
				t.Logf("%s: accepted warning: %v", r.Name, w)
				continue
			}
			t.Errorf("%s: warning: %v", r.Name, w)
		}
	}
}

func validate(t *testing.T, b *manifests.Bundle) []errors.ManifestResult {
	t.Helper()
	validators := validation.DefaultBundleValidators.WithValidators(
		validation.OperatorHubV2Validator,
		validation.StandardCategoriesValidator,
		validation.StandardCapabilitiesValidator,
		validation.GoodPracticesValidator,
		validation.AlphaDeprecatedAPIsValidator,
	)
	results := validators.Validate(b, map[string]string{"k8s-version": "1.37"})
	if len(results) == 0 {
		t.Fatal("the validators returned no result")
	}
	return results
}

// TestBundleValidatorsCanFail feeds the validators a bundle whose CSV
// owns none of its CRDs and has no icon: they must report errors.
func TestBundleValidatorsCanFail(t *testing.T) {
	files, err := packaging.Bundle(repoRoot(t), packaging.DefaultBundleOptions())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := packaging.WriteFiles(dir, nil, files); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "bundle", "manifests", "tollgate.clusterserviceversion.yaml")
	u := readYAML(t, path)
	unstructured.RemoveNestedField(u.Object, "spec", "customresourcedefinitions")
	unstructured.RemoveNestedField(u.Object, "spec", "icon")
	broken, err := yaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := manifests.GetBundleFromDir(filepath.Join(dir, "bundle"))
	if err != nil {
		t.Fatalf("loading the broken bundle: %v", err)
	}
	n := 0
	for _, r := range validate(t, b) {
		n += len(r.Errors)
	}
	if n == 0 {
		t.Error("the validators found no error in a CSV without owned CRDs and icon")
	}
}

// acceptedWarning lists the validator warnings we accept, each with why.
func acceptedWarning(msg string) bool {
	// OLM's channel naming convention (candidate, fast, stable) is for
	// released operators; Tollgate's API is v1alpha1 and ships in "alpha"
	// until it has a stability promise.
	return strings.Contains(msg, `channel(s) ["alpha"] are not following the recommended naming convention`)
}

// bundleCSV reads and strictly decodes the checked-in CSV.
func bundleCSV(t *testing.T) *operatorsv1alpha1.ClusterServiceVersion {
	t.Helper()
	u := readYAML(t, filepath.Join(repoRoot(t), "bundle", "manifests", "tollgate.clusterserviceversion.yaml"))
	csv := &operatorsv1alpha1.ClusterServiceVersion{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, csv, true); err != nil {
		t.Fatalf("decoding the CSV: %v", err)
	}
	return csv
}

func readYAML(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return u
}

// TestBundleOwnedCRDs checks the CSV owns exactly the bundle's CRDs, at
// their storage version, with descriptors that name real fields.
func TestBundleOwnedCRDs(t *testing.T) {
	csv := bundleCSV(t)
	crds := map[string]*apiextensionsv1.CustomResourceDefinition{}
	paths, err := filepath.Glob(filepath.Join(repoRoot(t), "bundle", "manifests", "ai.tollgate.dev_*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := strictDecoder(t)
	for _, p := range paths {
		obj, err := decodeStrict(t, dec, readYAML(t, p))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		crd := obj.(*apiextensionsv1.CustomResourceDefinition)
		if want := crd.Spec.Group + "_" + crd.Spec.Names.Plural + ".yaml"; filepath.Base(p) != want {
			t.Errorf("%s holds CRD %s: want the file name %s", filepath.Base(p), crd.Name, want)
		}
		crds[crd.Name] = crd
	}
	if len(crds) != 5 {
		t.Fatalf("bundle/manifests holds %d Tollgate CRDs, want 5", len(crds))
	}
	owned := csv.Spec.CustomResourceDefinitions.Owned
	if len(owned) != len(crds) {
		t.Errorf("the CSV owns %d CRDs, the bundle holds %d", len(owned), len(crds))
	}
	for _, o := range owned {
		crd, ok := crds[o.Name]
		if !ok {
			t.Errorf("the CSV owns %s, which the bundle does not hold", o.Name)
			continue
		}
		var schema *apiextensionsv1.JSONSchemaProps
		for _, v := range crd.Spec.Versions {
			if v.Storage && v.Name == o.Version {
				schema = v.Schema.OpenAPIV3Schema
			}
		}
		if schema == nil || o.Kind != crd.Spec.Names.Kind {
			t.Errorf("owned %s: %s %s is not the CRD's storage version and kind", o.Name, o.Kind, o.Version)
			continue
		}
		if o.DisplayName == "" || o.Description == "" || len(o.SpecDescriptors) == 0 || len(o.StatusDescriptors) == 0 {
			t.Errorf("owned %s: display name, description, spec and status descriptors are all required", o.Name)
		}
		for _, d := range o.SpecDescriptors {
			if _, ok := schema.Properties["spec"].Properties[d.Path]; !ok {
				t.Errorf("owned %s: spec descriptor %q names no field", o.Name, d.Path)
			}
		}
		hasConditions := false
		for _, d := range o.StatusDescriptors {
			if _, ok := schema.Properties["status"].Properties[d.Path]; !ok {
				t.Errorf("owned %s: status descriptor %q names no field", o.Name, d.Path)
			}
			hasConditions = hasConditions || slices.Contains(d.XDescriptors, "urn:alm:descriptor:io.kubernetes.conditions")
		}
		if !hasConditions {
			t.Errorf("owned %s: no status descriptor shows the conditions", o.Name)
		}
	}
}

// TestBundleExamples checks alm-examples: valid objects of owned kinds,
// one per kind at least, exactly the samples config/samples builds.
func TestBundleExamples(t *testing.T) {
	csv := bundleCSV(t)
	var examples []map[string]any
	if err := json.Unmarshal([]byte(csv.Annotations["alm-examples"]), &examples); err != nil {
		t.Fatalf("alm-examples is not a JSON list of objects: %v", err)
	}
	dec := strictDecoder(t)
	kinds := map[string]bool{}
	for _, ex := range examples {
		u := &unstructured.Unstructured{Object: ex}
		if _, err := decodeStrict(t, dec, u); err != nil {
			t.Errorf("alm-example %s %s: %v", u.GetKind(), u.GetName(), err)
		}
		kinds[u.GetKind()] = true
	}
	for _, o := range csv.Spec.CustomResourceDefinitions.Owned {
		if !kinds[o.Kind] {
			t.Errorf("alm-examples has no %s", o.Kind)
		}
	}
	samples := build(t, loadConfig(t), "/config/samples")
	if len(samples) != len(examples) {
		t.Fatalf("alm-examples has %d objects, config/samples builds %d", len(examples), len(samples))
	}
	for i, s := range samples {
		if !sameJSON(t, s.Object, examples[i]) {
			t.Errorf("alm-example %d differs from sample %s %s", i, s.GetKind(), s.GetName())
		}
	}
}

// TestBundleInstall checks the CSV's install strategy: the operator
// Deployment as config/default has it (restricted, one image everywhere)
// and permissions that cover config/rbac/role.yaml without wildcards.
func TestBundleInstall(t *testing.T) {
	csv := bundleCSV(t)
	spec := csv.Spec.InstallStrategy.StrategySpec
	if csv.Spec.InstallStrategy.StrategyName != "deployment" || len(spec.DeploymentSpecs) != 1 {
		t.Fatalf("install strategy %q with %d deployments, want one deployment", csv.Spec.InstallStrategy.StrategyName, len(spec.DeploymentSpecs))
	}
	ds := spec.DeploymentSpecs[0]
	d := &appsv1.Deployment{Spec: ds.Spec}
	if ds.Name != operatorName {
		t.Errorf("deployment %q, want %s", ds.Name, operatorName)
	}
	if v := restrictedViolations(t, d, &d.Spec.Template.Spec); len(v) > 0 {
		t.Errorf("the bundled operator pod is not restricted: %s", strings.Join(v, "; "))
	}
	c := d.Spec.Template.Spec.Containers[0]
	images := []string{c.Image, envValue(c, "TOLLGATE_IMAGE"), csv.Annotations["containerImage"]}
	for _, ri := range csv.Spec.RelatedImages {
		images = append(images, ri.Image)
	}
	for _, img := range images {
		if img != c.Image {
			t.Errorf("images %v: the container, TOLLGATE_IMAGE, containerImage and relatedImages must agree", images)
			break
		}
	}
	if !strings.HasPrefix(c.Image, operatorImage+":v"+csv.Spec.Version.String()) {
		t.Logf("image %s is not tagged v%s (a development bundle?)", c.Image, csv.Spec.Version.String())
	}

	var role rbacv1.ClusterRole
	var lease rbacv1.Role
	for _, u := range splitYAML(t, filepath.Join(repoRoot(t), "config", "rbac", "role.yaml")) {
		var err error
		switch u.GetKind() {
		case "ClusterRole":
			err = runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, &role, true)
		case "Role":
			err = runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, &lease, true)
		}
		if err != nil {
			t.Fatalf("config/rbac/role.yaml: %v", err)
		}
	}
	for _, want := range []struct {
		name  string
		rules []rbacv1.PolicyRule
		perms []operatorsv1alpha1.StrategyDeploymentPermissions
	}{
		{"clusterPermissions", role.Rules, spec.ClusterPermissions},
		{"permissions", lease.Rules, spec.Permissions},
	} {
		if len(want.perms) != 1 || want.perms[0].ServiceAccountName != operatorName {
			t.Errorf("%s: want one entry for ServiceAccount %s, got %d", want.name, operatorName, len(want.perms))
			continue
		}
		if err := noWildcards(want.perms[0].Rules); err != nil {
			t.Errorf("%s: %v", want.name, err)
		}
		if len(want.rules) == 0 {
			t.Errorf("%s: config/rbac/role.yaml has no rules for it", want.name)
		}
		for _, r := range want.rules {
			if !slices.ContainsFunc(want.perms[0].Rules, func(p rbacv1.PolicyRule) bool { return reflect.DeepEqual(p, r) }) {
				t.Errorf("%s lack the rule %+v of config/rbac/role.yaml", want.name, r)
			}
		}
	}
}

func splitYAML(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for _, doc := range bytes.Split(b, []byte("\n---")) {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if string(j) == "null" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, u)
	}
	return out
}

// TestBundleMetadata checks annotations.yaml and that bundle.Dockerfile
// carries the same values as labels.
func TestBundleMetadata(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "bundle", "metadata", "annotations.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		t.Fatalf("annotations.yaml: %v", err)
	}
	want := map[string]string{
		"operators.operatorframework.io.bundle.mediatype.v1":       "registry+v1",
		"operators.operatorframework.io.bundle.manifests.v1":       "manifests/",
		"operators.operatorframework.io.bundle.metadata.v1":        "metadata/",
		"operators.operatorframework.io.bundle.package.v1":         "tollgate",
		"operators.operatorframework.io.bundle.channels.v1":        "alpha",
		"operators.operatorframework.io.bundle.channel.default.v1": "alpha",
	}
	if !reflect.DeepEqual(f.Annotations, want) {
		t.Errorf("annotations.yaml:\n got %v\nwant %v", f.Annotations, want)
	}
	df, err := os.ReadFile(filepath.Join(root, "bundle.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if !bytes.Contains(df, []byte("\nLABEL "+k+"="+v+"\n")) {
			t.Errorf("bundle.Dockerfile lacks LABEL %s=%s", k, v)
		}
	}
	for _, line := range []string{"FROM scratch", "COPY bundle/manifests /manifests/", "COPY bundle/metadata /metadata/"} {
		if !bytes.Contains(df, []byte(line+"\n")) {
			t.Errorf("bundle.Dockerfile lacks %q", line)
		}
	}
}
