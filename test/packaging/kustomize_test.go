package packaging_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

const (
	namespace      = "tollgate-system"
	operatorName   = "tollgate-operator"
	operatorImage  = "ghcr.io/tollgate-dev/tollgate"
	defaultDir     = "/config/default"
	operatorHealth = 8081
)

// TestDefaultBuilds builds config/default and decodes every object into
// its Go type, refusing unknown fields.
func TestDefaultBuilds(t *testing.T) {
	objs := build(t, loadConfig(t), defaultDir)
	dec := strictDecoder(t)
	kinds := map[string]int{}
	for _, u := range objs {
		kinds[u.GetKind()]++
		if _, err := decodeStrict(t, dec, u); err != nil {
			t.Errorf("%s %s does not decode: %v", u.GetKind(), u.GetName(), err)
		}
		if u.GetKind() != "CustomResourceDefinition" && !strings.HasPrefix(u.GetName(), "tollgate-") {
			t.Errorf("%s %s: name lacks the tollgate- prefix", u.GetKind(), u.GetName())
		}
		if ns := u.GetNamespace(); ns != "" && ns != namespace {
			t.Errorf("%s %s is in namespace %q, want %s", u.GetKind(), u.GetName(), ns, namespace)
		}
	}
	for kind, want := range map[string]int{
		"CustomResourceDefinition": 5, "Namespace": 1, "Deployment": 1, "ServiceAccount": 1, "Service": 1,
	} {
		if kinds[kind] != want {
			t.Errorf("config/default has %d %s, want %d", kinds[kind], kind, want)
		}
	}
	if kinds["ServiceMonitor"] != 0 {
		t.Errorf("config/default enables the ServiceMonitor: it needs prometheus-operator and must stay optional")
	}
	ns := find(objs, "Namespace")
	if len(ns) == 1 && ns[0].GetLabels()["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("namespace %s does not enforce the restricted Pod Security level", ns[0].GetName())
	}
}

// TestRBAC checks every Role and ClusterRole for wildcards and every
// binding for a role and a ServiceAccount that the build holds.
func TestRBAC(t *testing.T) {
	rb := readRBAC(t, build(t, loadConfig(t), defaultDir))
	if len(rb.roles) == 0 || len(rb.bindings) == 0 {
		t.Fatalf("config/default holds %d roles and %d bindings", len(rb.roles), len(rb.bindings))
	}
	for name, rules := range rb.roles {
		if err := noWildcards(rules); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, b := range rb.bindings {
		if _, ok := rb.roles[b.role]; !ok {
			t.Errorf("%s binds %s, which config/default does not hold (renamed in config/rbac/role.yaml?)", b.name, b.role)
		}
		for _, s := range b.subjects {
			if s.Kind == rbacv1.ServiceAccountKind && !rb.accounts[s.Namespace+"/"+s.Name] {
				t.Errorf("%s names ServiceAccount %s/%s, which config/default does not hold", b.name, s.Namespace, s.Name)
			}
		}
	}
}

// rbac is what a build grants: its roles, bindings and ServiceAccounts.
type rbac struct {
	roles    map[string][]rbacv1.PolicyRule // by roleKey
	bindings []binding
	accounts map[string]bool // by "namespace/name"
}

// binding is a RoleBinding or ClusterRoleBinding.
type binding struct {
	name     string // "RoleBinding name", for messages
	role     string // the roleKey of the role it binds
	ns       string // a RoleBinding's namespace; "" for a ClusterRoleBinding
	subjects []rbacv1.Subject
}

// roleKey names a role: "ClusterRole//name" or "Role/namespace/name" (a
// RoleBinding's Role is in the binding's namespace).
func roleKey(kind, ns, name string) string {
	if kind == "ClusterRole" {
		ns = ""
	}
	return kind + "/" + ns + "/" + name
}

// readRBAC collects the roles, bindings and ServiceAccounts of objs.
func readRBAC(t *testing.T, objs []*unstructured.Unstructured) rbac {
	t.Helper()
	dec := strictDecoder(t)
	rb := rbac{roles: map[string][]rbacv1.PolicyRule{}, accounts: map[string]bool{}}
	for _, u := range objs {
		obj, err := decodeStrict(t, dec, u)
		if err != nil {
			continue // reported by TestDefaultBuilds
		}
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			rb.roles[roleKey("ClusterRole", "", o.Name)] = o.Rules
		case *rbacv1.Role:
			rb.roles[roleKey("Role", o.Namespace, o.Name)] = o.Rules
		case *rbacv1.ClusterRoleBinding:
			rb.bindings = append(rb.bindings, binding{"ClusterRoleBinding " + o.Name, roleKey(o.RoleRef.Kind, "", o.RoleRef.Name), "", o.Subjects})
		case *rbacv1.RoleBinding:
			rb.bindings = append(rb.bindings, binding{"RoleBinding " + o.Name, roleKey(o.RoleRef.Kind, o.Namespace, o.RoleRef.Name), o.Namespace, o.Subjects})
		case *corev1.ServiceAccount:
			rb.accounts[o.Namespace+"/"+o.Name] = true
		}
	}
	return rb
}

// granted reports whether the ServiceAccount saNS/sa may do verb on
// group/resource in namespace ns.
func (rb rbac) granted(saNS, sa, ns, group, resource, verb string) bool {
	has := func(list []string, v string) bool { return slices.Contains(list, v) || slices.Contains(list, "*") }
	for _, b := range rb.bindings {
		if b.ns != "" && b.ns != ns {
			continue
		}
		if !slices.ContainsFunc(b.subjects, func(s rbacv1.Subject) bool {
			return s.Kind == rbacv1.ServiceAccountKind && s.Namespace == saNS && s.Name == sa
		}) {
			continue
		}
		for _, r := range rb.roles[b.role] {
			if has(r.APIGroups, group) && has(r.Resources, resource) && has(r.Verbs, verb) {
				return true
			}
		}
	}
	return false
}

// noWildcards fails on a "*" verb, resource, API group or URL.
func noWildcards(rules []rbacv1.PolicyRule) error {
	for i, r := range rules {
		for field, values := range map[string][]string{
			"verbs": r.Verbs, "resources": r.Resources, "apiGroups": r.APIGroups, "nonResourceURLs": r.NonResourceURLs,
		} {
			for _, v := range values {
				if v == "*" || strings.HasSuffix(v, "/*") {
					return fmt.Errorf("rule %d: wildcard %q in %s", i, v, field)
				}
			}
		}
	}
	return nil
}

func TestNoWildcardsCanFail(t *testing.T) {
	for name, rule := range map[string]rbacv1.PolicyRule{
		"verb":     {APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"*"}},
		"resource": {APIGroups: []string{"apps"}, Resources: []string{"*"}, Verbs: []string{"get"}},
		"group":    {APIGroups: []string{"*"}, Resources: []string{"pods"}, Verbs: []string{"get"}},
		"url":      {NonResourceURLs: []string{"/*"}, Verbs: []string{"get"}},
	} {
		if noWildcards([]rbacv1.PolicyRule{rule}) == nil {
			t.Errorf("a wildcard %s was accepted", name)
		}
	}
}

// operatorDeployment returns the operator Deployment of a build.
func operatorDeployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	dec := strictDecoder(t)
	for _, u := range find(objs, "Deployment") {
		if u.GetName() != operatorName {
			continue
		}
		obj, err := decodeStrict(t, dec, u)
		if err != nil {
			t.Fatalf("Deployment %s: %v", u.GetName(), err)
		}
		return obj.(*appsv1.Deployment)
	}
	t.Fatalf("no Deployment %s in the build", operatorName)
	return nil
}

// restrictedViolations runs the real Pod Security Admission evaluator at
// the restricted level and adds what restricted does not demand but we do:
// a read-only root filesystem.
func restrictedViolations(t *testing.T, meta *appsv1.Deployment, pod *corev1.PodSpec) []string {
	t.Helper()
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatalf("pod security evaluator: %v", err)
	}
	level := psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}
	var out []string
	if res := policy.AggregateCheckResults(eval.EvaluatePod(level, &meta.Spec.Template.ObjectMeta, pod)); !res.Allowed {
		out = append(out, res.ForbiddenDetail())
	}
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			out = append(out, "container "+c.Name+": root filesystem is writable")
		}
	}
	return out
}

// TestOperatorDeployment checks the operator pod: restricted Pod Security,
// leader election, probes, resources, and TOLLGATE_IMAGE equal to its own
// image.
func TestOperatorDeployment(t *testing.T) {
	d := operatorDeployment(t, build(t, loadConfig(t), defaultDir))
	pod := &d.Spec.Template.Spec
	if v := restrictedViolations(t, d, pod); len(v) > 0 {
		t.Errorf("the operator pod is not restricted: %s", strings.Join(v, "; "))
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("the operator pod has %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if !strings.HasPrefix(c.Image, operatorImage+":") {
		t.Errorf("image %q, want %s:<tag>", c.Image, operatorImage)
	}
	if got := envValue(c, "TOLLGATE_IMAGE"); got != c.Image {
		t.Errorf("TOLLGATE_IMAGE is %q, want the container image %q", got, c.Image)
	}
	if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == "POD_NAMESPACE" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace"
	}) {
		t.Error("POD_NAMESPACE must come from metadata.namespace: the operator keeps its leader-election Lease there")
	}
	for _, arg := range []string{"operator", "--leader-elect", "--health-probe-bind-address=:8081", "--metrics-bind-address=:8080"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("args %v lack %s", c.Args, arg)
		}
	}
	for name, p := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != name || containerPort(c, p.HTTPGet.Port.String()) != operatorHealth {
			t.Errorf("probe %s: want an HTTP GET on port %d, got %+v", name, operatorHealth, p)
		}
	}
	for _, res := range []corev1.ResourceList{c.Resources.Requests, c.Resources.Limits} {
		if res.Cpu().IsZero() || res.Memory().IsZero() {
			t.Errorf("resources %+v: set CPU and memory requests and limits", c.Resources)
		}
	}
	if pod.ServiceAccountName != operatorName {
		t.Errorf("serviceAccountName %q, want %s", pod.ServiceAccountName, operatorName)
	}
}

func TestRestrictedCheckCanFail(t *testing.T) {
	d := operatorDeployment(t, build(t, loadConfig(t), defaultDir))
	for name, weaken := range map[string]func(*corev1.PodSpec){
		"privilege escalation": func(p *corev1.PodSpec) {
			yes := true
			p.Containers[0].SecurityContext.AllowPrivilegeEscalation = &yes
		},
		"capabilities kept": func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.Capabilities = nil },
		"writable root":     func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.ReadOnlyRootFilesystem = nil },
		"host network":      func(p *corev1.PodSpec) { p.HostNetwork = true },
		"no seccomp profile": func(p *corev1.PodSpec) {
			p.SecurityContext.SeccompProfile = nil
			p.Containers[0].SecurityContext.SeccompProfile = nil
		},
	} {
		pod := d.Spec.Template.Spec.DeepCopy()
		weaken(pod)
		if len(restrictedViolations(t, d, pod)) == 0 {
			t.Errorf("a pod with %s passed the restricted check", name)
		}
	}
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func containerPort(c corev1.Container, nameOrNumber string) int32 {
	for _, p := range c.Ports {
		if p.Name == nameOrNumber || fmt.Sprint(p.ContainerPort) == nameOrNumber {
			return p.ContainerPort
		}
	}
	return 0
}

// TestImageOverride sets the image in an overlay, as a user pinning a
// release or a registry mirror would: TOLLGATE_IMAGE must follow.
func TestImageOverride(t *testing.T) {
	fsys := loadConfig(t)
	overlay := `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../config/default
images:
- name: ` + operatorImage + `
  newName: registry.example.com/mirror/tollgate
  newTag: v9.9.9
`
	if err := fsys.MkdirAll("/overlay"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.WriteFile("/overlay/kustomization.yaml", []byte(overlay)); err != nil {
		t.Fatal(err)
	}
	c := operatorDeployment(t, build(t, fsys, "/overlay")).Spec.Template.Spec.Containers[0]
	const want = "registry.example.com/mirror/tollgate:v9.9.9"
	if c.Image != want || envValue(c, "TOLLGATE_IMAGE") != want {
		t.Errorf("image %q, TOLLGATE_IMAGE %q: want both %q", c.Image, envValue(c, "TOLLGATE_IMAGE"), want)
	}
	for _, e := range c.Env {
		if e.Name != "TOLLGATE_IMAGE" && strings.Contains(e.Value, "registry.example.com") {
			t.Errorf("env %s was rewritten to %q", e.Name, e.Value)
		}
	}
}

// TestPrometheusComponent enables config/prometheus in config/default, as
// its kustomization tells users to, and checks the ServiceMonitor finds
// the metrics Service.
func TestPrometheusComponent(t *testing.T) {
	fsys := loadConfig(t)
	path := defaultDir + "/kustomization.yaml"
	b, err := fsys.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var k map[string]any
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	k["components"] = []any{"../prometheus"}
	if b, err = yaml.Marshal(k); err != nil {
		t.Fatal(err)
	}
	if err := fsys.WriteFile(path, b); err != nil {
		t.Fatal(err)
	}
	objs := build(t, fsys, defaultDir)
	monitors := find(objs, "ServiceMonitor")
	if len(monitors) != 1 {
		t.Fatalf("%d ServiceMonitors with the component enabled, want 1", len(monitors))
	}
	dec := strictDecoder(t)
	obj, err := decodeStrict(t, dec, monitors[0])
	if err != nil {
		t.Fatalf("ServiceMonitor: %v", err)
	}
	sm := obj.(*monitoringv1.ServiceMonitor)
	if sm.Namespace != namespace || !strings.HasPrefix(sm.Name, "tollgate-") {
		t.Errorf("ServiceMonitor %s/%s: want the tollgate- prefix in %s", sm.Namespace, sm.Name, namespace)
	}
	var svc *corev1.Service
	for _, u := range find(objs, "Service") {
		o, err := decodeStrict(t, dec, u)
		if err != nil {
			t.Fatal(err)
		}
		if s := o.(*corev1.Service); selects(sm.Spec.Selector.MatchLabels, s.Labels) {
			svc = s
		}
	}
	if svc == nil {
		t.Fatalf("the ServiceMonitor's selector %v matches no Service", sm.Spec.Selector.MatchLabels)
	}
	for _, ep := range sm.Spec.Endpoints {
		if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
			t.Errorf("endpoint port %q is not a port of Service %s", ep.Port, svc.Name)
		}
	}
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return len(selector) > 0
}

// TestSamplesBuild builds config/samples: every object is one of our
// kinds, decodes strictly, and none is one of config/samples/invalid
// (they reuse the valid samples' names, so specs are compared).
func TestSamplesBuild(t *testing.T) {
	objs := build(t, loadConfig(t), "/config/samples")
	dec := strictDecoder(t)
	for _, u := range objs {
		if u.GroupVersionKind().Group != "ai.tollgate.dev" {
			t.Errorf("sample %s %s is not a Tollgate kind", u.GetKind(), u.GetName())
		}
		if _, err := decodeStrict(t, dec, u); err != nil {
			t.Errorf("sample %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
	invalid, err := filepath.Glob(filepath.Join(repoRoot(t), "config", "samples", "invalid", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range invalid {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var bad unstructured.Unstructured
		if err := yaml.Unmarshal(b, &bad.Object); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, u := range objs {
			if u.GetKind() == bad.GetKind() && sameJSON(t, u.Object["spec"], bad.Object["spec"]) {
				t.Errorf("config/samples builds %s %s from %s", u.GetKind(), u.GetName(), filepath.Base(f))
			}
		}
	}
}

// sameJSON compares two decoded values through JSON, so 1 (int64, from a
// build) equals 1 (float64, from a YAML file).
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		t.Fatalf("encoding specs: %v, %v", errA, errB)
	}
	return bytes.Equal(ja, jb)
}

// TestOperatorMayRecordEvents: the reconcilers record through
// events.k8s.io, and controller-runtime's leader election through the
// core/v1 events API on its Lease in the operator's namespace. Without the
// core grant every leader acquisition logs `events is forbidden` (seen on
// a real cluster, design/CLUSTER.md).
func TestOperatorMayRecordEvents(t *testing.T) {
	rb := readRBAC(t, build(t, loadConfig(t), defaultDir))
	for _, tc := range []struct {
		group, ns string
		want      bool
	}{
		{"", namespace, true},
		{"events.k8s.io", namespace, true},
		{"events.k8s.io", "team-a", true},
		// Least privilege: core events are needed on the Lease only.
		{"", "team-a", false},
	} {
		for _, verb := range []string{"create", "patch"} {
			if got := rb.granted(namespace, operatorName, tc.ns, tc.group, "events", verb); got != tc.want {
				t.Errorf("ServiceAccount %s may %s %s/events in %s: %v, want %v", operatorName, verb, tc.group, tc.ns, got, tc.want)
			}
		}
	}
}
