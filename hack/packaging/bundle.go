package packaging

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// BundleOptions name the OLM package and its channels.
type BundleOptions struct {
	Package        string
	Channels       []string
	DefaultChannel string
}

// DefaultBundleOptions are what make bundle uses and the checked-in
// bundle/ holds.
func DefaultBundleOptions() BundleOptions {
	return BundleOptions{Package: "tollgate", Channels: []string{"alpha"}, DefaultChannel: "alpha"}
}

// apiGroup is the group of Tollgate's own kinds: their objects in the
// build are samples and become the CSV's alm-examples.
const apiGroup = "ai.tollgate.dev"

// bundleKinds may be shipped in bundle/manifests besides the CSV and CRDs
// (the registry+v1 format's list, restricted to what we could produce).
var bundleKinds = map[string]bool{
	"Service": true, "ConfigMap": true, "Secret": true, "ServiceAccount": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "Role": true, "RoleBinding": true,
	"ServiceMonitor": true, "PrometheusRule": true, "PodDisruptionBudget": true, "PriorityClass": true,
}

// Bundle builds config/manifests under root and returns the OLM bundle's
// files by path relative to root: bundle/manifests/*,
// bundle/metadata/annotations.yaml and bundle.Dockerfile.
func Bundle(root string, opts BundleOptions) (map[string][]byte, error) {
	fsys, err := LoadConfig(root)
	if err != nil {
		return nil, err
	}
	objs, err := Build(fsys, ConfigRoot+"/manifests")
	if err != nil {
		return nil, err
	}
	markers, err := readMarkers(filepath.Join(root, "api", "v1alpha1"))
	if err != nil {
		return nil, err
	}
	in, err := sortObjects(objs)
	if err != nil {
		return nil, err
	}
	csv, err := fillCSV(in, markers, opts)
	if err != nil {
		return nil, err
	}

	files := map[string][]byte{}
	put := func(name string, obj any) error {
		b, err := cleanYAML(obj)
		if err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		files["bundle/manifests/"+name] = b
		return nil
	}
	if err := put(opts.Package+".clusterserviceversion.yaml", csv); err != nil {
		return nil, err
	}
	for _, crd := range in.crds {
		group, plural := crd.Spec.Group, crd.Spec.Names.Plural
		if err := put(group+"_"+plural+".yaml", in.crdRaw[crd.Name].Object); err != nil {
			return nil, err
		}
	}
	for _, u := range in.others {
		u.SetNamespace("") // OLM installs into the OperatorGroup's namespace
		gv := strings.ReplaceAll(u.GetAPIVersion(), "/", "_")
		if err := put(fmt.Sprintf("%s_%s_%s.yaml", u.GetName(), gv, strings.ToLower(u.GetKind())), u.Object); err != nil {
			return nil, err
		}
	}
	files["bundle/metadata/annotations.yaml"] = annotationsYAML(opts)
	files["bundle.Dockerfile"] = dockerfile(opts)
	return files, nil
}

// objects is the build, sorted by what the bundle does with each object.
type objects struct {
	csv          *unstructured.Unstructured // the base, as written
	version      string                     // the base's spec.version
	crds         []*apiextensionsv1.CustomResourceDefinition
	crdRaw       map[string]*unstructured.Unstructured // by CRD name, as built
	deployments  []*unstructured.Unstructured
	examples     []*unstructured.Unstructured
	clusterRoles map[string]*rbacv1.ClusterRole
	roles        map[string]*rbacv1.Role
	crbs         []*rbacv1.ClusterRoleBinding
	rbs          []*rbacv1.RoleBinding
	accounts     []*unstructured.Unstructured
	others       []*unstructured.Unstructured
	// raw holds the RBAC objects as built, by "Kind/name", for those
	// that stay bundle manifests.
	raw map[string]*unstructured.Unstructured
}

func sortObjects(objs []*unstructured.Unstructured) (*objects, error) {
	in := &objects{
		clusterRoles: map[string]*rbacv1.ClusterRole{}, roles: map[string]*rbacv1.Role{},
		raw: map[string]*unstructured.Unstructured{}, crdRaw: map[string]*unstructured.Unstructured{},
	}
	for _, u := range objs {
		id := u.GetKind() + " " + u.GetName()
		if strings.HasPrefix(u.GetAPIVersion(), rbacv1.GroupName+"/") {
			key := u.GetKind() + "/" + u.GetName()
			if in.raw[key] != nil {
				return nil, fmt.Errorf("the build holds two objects %s", key)
			}
			in.raw[key] = u
		}
		var err error
		switch kind := u.GetKind(); {
		case u.GroupVersionKind().Group == apiGroup:
			in.examples = append(in.examples, u)
		case kind == "ClusterServiceVersion":
			if in.csv != nil {
				return nil, fmt.Errorf("config/manifests holds two ClusterServiceVersions")
			}
			in.csv = u
			base := &operatorsv1alpha1.ClusterServiceVersion{}
			err = decode(u, base)
			in.version = base.Spec.Version.String()
		case kind == "CustomResourceDefinition":
			crd := &apiextensionsv1.CustomResourceDefinition{}
			err = decode(u, crd)
			in.crds = append(in.crds, crd)
			in.crdRaw[u.GetName()] = u
		case kind == "Deployment":
			err = decode(u, &appsv1.Deployment{})
			in.deployments = append(in.deployments, u)
		case kind == "Namespace":
			// OLM installs into the namespace of the OperatorGroup.
		case kind == "ClusterRole":
			r := &rbacv1.ClusterRole{}
			err = decode(u, r)
			in.clusterRoles[r.Name] = r
		case kind == "Role":
			r := &rbacv1.Role{}
			err = decode(u, r)
			in.roles[r.Name] = r
		case kind == "ClusterRoleBinding":
			b := &rbacv1.ClusterRoleBinding{}
			err = decode(u, b)
			in.crbs = append(in.crbs, b)
		case kind == "RoleBinding":
			b := &rbacv1.RoleBinding{}
			err = decode(u, b)
			in.rbs = append(in.rbs, b)
		case kind == "ServiceAccount":
			in.accounts = append(in.accounts, u)
		case bundleKinds[kind]:
			in.others = append(in.others, u)
		default:
			return nil, fmt.Errorf("%s cannot be shipped in an OLM bundle; create it from the operator or leave it out of config/default", id)
		}
		if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", id, err)
		}
	}
	switch {
	case in.csv == nil:
		return nil, fmt.Errorf("config/manifests holds no ClusterServiceVersion base")
	case len(in.deployments) == 0:
		return nil, fmt.Errorf("config/manifests holds no operator Deployment")
	case len(in.crds) == 0:
		return nil, fmt.Errorf("config/manifests holds no CustomResourceDefinition")
	}
	sort.Slice(in.crds, func(i, j int) bool { return in.crds[i].Name < in.crds[j].Name })
	return in, nil
}

// decode converts u into the typed out, refusing fields out does not know.
func decode(u *unstructured.Unstructured, out any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, out, true)
}

// fillCSV completes the CSV base from the build. It works on the base's
// own fields, so what the base says is written back as it was.
func fillCSV(in *objects, markers map[string]kindMarker, opts BundleOptions) (map[string]any, error) {
	csv := in.csv.DeepCopy()
	csv.SetName(fmt.Sprintf("%s.v%s", opts.Package, in.version))
	csv.SetNamespace("")

	var owned []operatorsv1alpha1.CRDDescription
	for _, crd := range in.crds {
		d, err := ownedCRD(crd, markers)
		if err != nil {
			return nil, err
		}
		owned = append(owned, d)
	}

	examples := make([]map[string]any, 0, len(in.examples))
	for _, u := range in.examples {
		ex := u.DeepCopy()
		ex.SetNamespace("")
		examples = append(examples, ex.Object)
	}
	almExamples, err := json.MarshalIndent(examples, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding alm-examples: %w", err)
	}

	install, image, err := installStrategy(in)
	if err != nil {
		return nil, err
	}
	annotations := csv.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations["alm-examples"] = string(almExamples)
	annotations["containerImage"] = image
	csv.SetAnnotations(annotations)

	for _, f := range []struct {
		value any
		path  []string
	}{
		{owned, []string{"spec", "customresourcedefinitions", "owned"}},
		{install, []string{"spec", "install"}},
		{[]operatorsv1alpha1.RelatedImage{{Name: opts.Package, Image: image}}, []string{"spec", "relatedImages"}},
	} {
		v, err := jsonValue(f.value)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", strings.Join(f.path, "."), err)
		}
		if err := unstructured.SetNestedField(csv.Object, v, f.path...); err != nil {
			return nil, fmt.Errorf("setting %s: %w", strings.Join(f.path, "."), err)
		}
	}
	return csv.Object, nil
}

// installSpec is the CSV's spec.install with the Deployment specs kept as
// built (a typed round trip would add empty fields).
type installSpec struct {
	Strategy string `json:"strategy"`
	Spec     struct {
		Deployments        []deploymentSpec                                  `json:"deployments"`
		Permissions        []operatorsv1alpha1.StrategyDeploymentPermissions `json:"permissions,omitempty"`
		ClusterPermissions []operatorsv1alpha1.StrategyDeploymentPermissions `json:"clusterPermissions,omitempty"`
	} `json:"spec"`
}

type deploymentSpec struct {
	Name  string            `json:"name"`
	Label map[string]string `json:"label,omitempty"`
	Spec  any               `json:"spec"`
}

// installStrategy turns the Deployments into the CSV's install spec and
// folds the roles bound to their ServiceAccounts into permissions, as
// operator-sdk does; roles bound to nobody else stay bundle manifests.
func installStrategy(in *objects) (installSpec, string, error) {
	var s installSpec
	s.Strategy = operatorsv1alpha1.InstallStrategyNameDeployment
	accounts := map[string]bool{}
	image := ""
	for _, u := range in.deployments {
		d := &appsv1.Deployment{}
		if err := decode(u, d); err != nil {
			return s, "", fmt.Errorf("decoding Deployment %s: %w", u.GetName(), err)
		}
		sa := d.Spec.Template.Spec.ServiceAccountName
		if sa == "" {
			return s, "", fmt.Errorf("Deployment %s names no serviceAccountName", d.Name)
		}
		accounts[sa] = true
		if image == "" && len(d.Spec.Template.Spec.Containers) > 0 {
			image = d.Spec.Template.Spec.Containers[0].Image
		}
		s.Spec.Deployments = append(s.Spec.Deployments, deploymentSpec{Name: d.Name, Label: d.Labels, Spec: u.Object["spec"]})
	}
	for _, u := range in.accounts {
		if !accounts[u.GetName()] { // OLM creates the operator's own
			in.others = append(in.others, u)
		}
	}

	cluster := map[string][]rbacv1.PolicyRule{}
	folded := map[string]bool{}
	for _, b := range sortedByName(in.crbs, func(b *rbacv1.ClusterRoleBinding) string { return b.Name }) {
		sa, ok := boundAccount(b.Subjects, accounts)
		if !ok {
			in.others = append(in.others, in.raw["ClusterRoleBinding/"+b.Name])
			continue
		}
		r, ok := in.clusterRoles[b.RoleRef.Name]
		if !ok || b.RoleRef.Kind != "ClusterRole" {
			return s, "", fmt.Errorf("ClusterRoleBinding %s binds %s %s, which is not in the build", b.Name, b.RoleRef.Kind, b.RoleRef.Name)
		}
		cluster[sa] = append(cluster[sa], r.Rules...)
		folded["ClusterRole/"+r.Name] = true
	}
	namespaced := map[string][]rbacv1.PolicyRule{}
	for _, b := range sortedByName(in.rbs, func(b *rbacv1.RoleBinding) string { return b.Name }) {
		sa, ok := boundAccount(b.Subjects, accounts)
		if !ok {
			in.others = append(in.others, in.raw["RoleBinding/"+b.Name])
			continue
		}
		var rules []rbacv1.PolicyRule
		switch b.RoleRef.Kind {
		case "Role":
			r, ok := in.roles[b.RoleRef.Name]
			if !ok {
				return s, "", fmt.Errorf("RoleBinding %s binds Role %s, which is not in the build", b.Name, b.RoleRef.Name)
			}
			rules = r.Rules
		case "ClusterRole":
			r, ok := in.clusterRoles[b.RoleRef.Name]
			if !ok {
				return s, "", fmt.Errorf("RoleBinding %s binds ClusterRole %s, which is not in the build", b.Name, b.RoleRef.Name)
			}
			rules = r.Rules
		}
		namespaced[sa] = append(namespaced[sa], rules...)
		folded[b.RoleRef.Kind+"/"+b.RoleRef.Name] = true
	}
	s.Spec.ClusterPermissions = permissions(cluster)
	s.Spec.Permissions = permissions(namespaced)

	for _, name := range sortedKeys(in.clusterRoles) {
		if !folded["ClusterRole/"+name] {
			in.others = append(in.others, in.raw["ClusterRole/"+name])
		}
	}
	for _, name := range sortedKeys(in.roles) {
		if !folded["Role/"+name] {
			in.others = append(in.others, in.raw["Role/"+name])
		}
	}
	return s, image, nil
}

// jsonValue turns a typed value into the plain maps and slices of an
// unstructured object.
func jsonValue(v any) (any, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(j, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// boundAccount returns the operator ServiceAccount a binding's subjects
// are, when they are exactly one of them.
func boundAccount(subjects []rbacv1.Subject, accounts map[string]bool) (string, bool) {
	if len(subjects) != 1 || subjects[0].Kind != rbacv1.ServiceAccountKind || !accounts[subjects[0].Name] {
		return "", false
	}
	return subjects[0].Name, true
}

func permissions(rules map[string][]rbacv1.PolicyRule) []operatorsv1alpha1.StrategyDeploymentPermissions {
	var out []operatorsv1alpha1.StrategyDeploymentPermissions
	for _, sa := range sortedKeys(rules) {
		out = append(out, operatorsv1alpha1.StrategyDeploymentPermissions{ServiceAccountName: sa, Rules: rules[sa]})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedByName[T any](in []T, name func(T) string) []T {
	out := append([]T(nil), in...)
	sort.Slice(out, func(i, j int) bool { return name(out[i]) < name(out[j]) })
	return out
}

// cleanYAML renders obj as YAML without the empty fields typed objects
// carry (creationTimestamp: null, status: {}).
func cleanYAML(obj any) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	prune(m)
	if s, ok := m["status"].(map[string]any); ok && len(s) == 0 {
		delete(m, "status")
	}
	return yaml.Marshal(m)
}

// prune removes every creationTimestamp: null, at any depth.
func prune(v any) {
	switch t := v.(type) {
	case map[string]any:
		if ts, ok := t["creationTimestamp"]; ok && ts == nil {
			delete(t, "creationTimestamp")
		}
		for _, c := range t {
			prune(c)
		}
	case []any:
		for _, c := range t {
			prune(c)
		}
	}
}

// Bundle metadata keys (registry+v1).
const (
	keyMediaType      = "operators.operatorframework.io.bundle.mediatype.v1"
	keyManifests      = "operators.operatorframework.io.bundle.manifests.v1"
	keyMetadata       = "operators.operatorframework.io.bundle.metadata.v1"
	keyPackage        = "operators.operatorframework.io.bundle.package.v1"
	keyChannels       = "operators.operatorframework.io.bundle.channels.v1"
	keyDefaultChannel = "operators.operatorframework.io.bundle.channel.default.v1"
)

func bundleLabels(opts BundleOptions) [][2]string {
	return [][2]string{
		{keyMediaType, "registry+v1"},
		{keyManifests, "manifests/"},
		{keyMetadata, "metadata/"},
		{keyPackage, opts.Package},
		{keyChannels, strings.Join(opts.Channels, ",")},
		{keyDefaultChannel, opts.DefaultChannel},
	}
}

func annotationsYAML(opts BundleOptions) []byte {
	var b strings.Builder
	b.WriteString("# Generated by hack/bundle (make bundle). DO NOT EDIT.\nannotations:\n")
	for _, kv := range bundleLabels(opts) {
		fmt.Fprintf(&b, "  %s: %s\n", kv[0], kv[1])
	}
	return []byte(b.String())
}

func dockerfile(opts BundleOptions) []byte {
	var b strings.Builder
	b.WriteString("# Generated by hack/bundle (make bundle). DO NOT EDIT.\n")
	b.WriteString("# The OLM bundle image: docker build -f bundle.Dockerfile -t REGISTRY/tollgate-bundle:vVERSION .\n")
	b.WriteString("FROM scratch\n\n")
	for _, kv := range bundleLabels(opts) {
		fmt.Fprintf(&b, "LABEL %s=%s\n", kv[0], kv[1])
	}
	b.WriteString("\nCOPY bundle/manifests /manifests/\nCOPY bundle/metadata /metadata/\n")
	return []byte(b.String())
}
