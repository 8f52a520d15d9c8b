package helmchart_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/helmchart"
	"github.com/tollgate-dev/tollgate/internal/poll"
	"github.com/tollgate-dev/tollgate/internal/testenv"
)

// settle bounds each wait for the apiserver to catch up (the chart's
// CRDs served).
const settle = 90 * time.Second

// TestInstallUpgradeUninstall installs charts/tollgate with Helm's SDK
// into a real kube-apiserver (envtest: no pods run, so the objects are
// asserted, not their readiness), upgrades it with new values and removes
// it: every object of the release goes, the CRDs (and so the Tollgate
// objects) stay, as Helm does with crds/.
func TestInstallUpgradeUninstall(t *testing.T) {
	// No Tollgate CRDs at start: the chart's crds/ are what installs them.
	env := testenv.Start(t, testenv.Options{WithoutTollgateCRDs: true})
	ownCRDs, err := testenv.TollgateCRDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(ownCRDs) == 0 {
		t.Fatal("no CRDs under config/crd/bases")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	crds, err := apiextensions.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	const ns = "helm-test"
	opts := helmchart.Options{Namespace: ns, CreateNamespace: true, Values: map[string]any{
		"image": map[string]any{"repository": "registry.example.com/tollgate", "tag": "v1.2.3"},
	}}
	rel, err := helmchart.Install(ctx, env.Config, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Info == nil || rel.Info.Status != "deployed" {
		t.Fatalf("release after install: %+v", rel.Info)
	}
	for _, crd := range ownCRDs {
		if _, err := crds.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("install: CRD %s from crds/: %v", crd.Name, err)
		}
	}
	d := deployment(ctx, t, cs, ns)
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != "registry.example.com/tollgate:v1.2.3" || env1(c, "TOLLGATE_IMAGE") != c.Image || env1(c, "TOLLGATE_PROXY_IMAGE") != "" {
		t.Errorf("install: image %q, TOLLGATE_IMAGE %q, TOLLGATE_PROXY_IMAGE %q", c.Image, env1(c, "TOLLGATE_IMAGE"), env1(c, "TOLLGATE_PROXY_IMAGE"))
	}
	if _, err := cs.CoreV1().Services(ns).Get(ctx, "tollgate-operator-metrics", metav1.GetOptions{}); err != nil {
		t.Errorf("install: metrics Service: %v", err)
	}
	if _, err := cs.RbacV1().ClusterRoles().Get(ctx, "tollgate-operator", metav1.GetOptions{}); err != nil {
		t.Errorf("install: ClusterRole: %v", err)
	}
	crb, err := cs.RbacV1().RoleBindings(ns).Get(ctx, "tollgate-leader-election", metav1.GetOptions{})
	if err != nil || len(crb.Subjects) != 1 || crb.Subjects[0].Namespace != ns {
		t.Errorf("install: leader-election RoleBinding %+v, %v: want its subject in %s", crb, err, ns)
	}

	opts.Values = map[string]any{
		"image":      map[string]any{"repository": "registry.example.com/tollgate", "tag": "v1.2.4"},
		"proxyImage": "registry.example.com/tollgate:v1.2.3",
		"replicas":   2,
		"metrics":    map[string]any{"enabled": false},
	}
	if _, err := helmchart.Upgrade(ctx, env.Config, opts); err != nil {
		t.Fatal(err)
	}
	d = deployment(ctx, t, cs, ns)
	c = d.Spec.Template.Spec.Containers[0]
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 || c.Image != "registry.example.com/tollgate:v1.2.4" || env1(c, "TOLLGATE_PROXY_IMAGE") != "registry.example.com/tollgate:v1.2.3" {
		t.Errorf("upgrade: replicas %v, image %q, TOLLGATE_PROXY_IMAGE %q", d.Spec.Replicas, c.Image, env1(c, "TOLLGATE_PROXY_IMAGE"))
	}
	if _, err := cs.CoreV1().Services(ns).Get(ctx, "tollgate-operator-metrics", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("upgrade with metrics disabled: metrics Service still there (%v)", err)
	}

	// Every object of the installed and of the upgraded release: the
	// metrics Service went in the upgrade, the rest must go now.
	objects := manifestObjects(t, rel.Manifest)
	policy := &v1alpha1.TokenPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "survives", Namespace: "default"},
		Spec:       v1alpha1.TokenPolicySpec{Limits: []v1alpha1.Limit{{Window: "1m", Requests: ptr(int64(10))}}},
	}
	poll.Until(t, settle, func() error {
		if err := env.Client.Create(ctx, policy.DeepCopy()); err != nil {
			return fmt.Errorf("the chart's CRDs not served yet: %w", err)
		}
		return nil
	})
	if err := helmchart.Uninstall(env.Config, opts); err != nil {
		t.Fatal(err)
	}
	if len(objects) < 7 {
		t.Fatalf("the release held %d objects, want the operator's Deployment, ServiceAccount, metrics Service and four RBAC objects", len(objects))
	}
	for _, u := range objects {
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(u), u.DeepCopy())
		if !apierrors.IsNotFound(err) {
			t.Errorf("after uninstall: %s %s/%s: got %v, want NotFound", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
	}
	// CRDs stay (Helm never deletes crds/): Tollgate objects survive.
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(policy), policy.DeepCopy()); err != nil {
		t.Errorf("after uninstall: TokenPolicy default/survives: %v (the CRDs must stay)", err)
	}
}

func ptr[T any](v T) *T { return &v }

// manifestObjects parses a release manifest into its objects.
func manifestObjects(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(manifest, "\n---") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("release manifest: %v", err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
	return out
}

func deployment(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns string) *appsv1.Deployment {
	t.Helper()
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "tollgate-operator", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("operator Deployment: %v", err)
	}
	return d
}

func env1(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}
