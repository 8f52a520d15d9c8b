package resources

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func ptr[T any](v T) *T { return &v }

func gateway(mut func(*v1alpha1.AIGateway)) *v1alpha1.AIGateway {
	gw := &v1alpha1.AIGateway{
		ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: "team-a", UID: types.UID("0b6a7b1e-5d0e-4a43-9a43-1f2f3e4d5c6b"), Generation: 1},
		Spec:       v1alpha1.AIGatewaySpec{Replicas: ptr(int32(1))},
	}
	if mut != nil {
		mut(gw)
	}
	return gw
}

// gatewayCases are the AIGateways every builder is rendered for.
var gatewayCases = map[string]*v1alpha1.AIGateway{
	"minimal":    gateway(nil),
	"autoscaled": gateway(func(gw *v1alpha1.AIGateway) { gw.Spec.Replicas = nil }),
	"full": gateway(func(gw *v1alpha1.AIGateway) {
		gw.Spec.Replicas = ptr(int32(3))
		gw.Spec.Image = ptr("registry.example.com/tollgate:v9")
		gw.Spec.Listener = &v1alpha1.Listener{Port: 8443, MetricsPort: 9443, TLS: &v1alpha1.ListenerTLS{
			IssuerRef: &v1alpha1.IssuerReference{Name: "letsencrypt", Kind: "ClusterIssuer", Group: "cert-manager.io"},
			DNSNames:  []v1alpha1.PreciseHostname{"ai.example.com"},
		}}
		gw.Spec.Service = &v1alpha1.ServiceSettings{Type: "LoadBalancer", Annotations: map[string]string{"lb.example.com/internal": "true"}}
		gw.Spec.Server = &v1alpha1.ServerSettings{DrainTimeout: ptr(v1alpha1.Duration("40s"))}
		gw.Spec.HTTPRoute = &v1alpha1.HTTPRouteSettings{
			ParentRefs: []v1alpha1.ParentReference{{Name: "public", Namespace: ptr(v1alpha1.Namespace("gateways")), SectionName: ptr("https")}},
			Hostnames:  []v1alpha1.Hostname{"ai.example.com"},
		}
		gw.Spec.Monitoring = &v1alpha1.Monitoring{ServiceMonitor: &v1alpha1.ServiceMonitorSettings{Enabled: true, Interval: ptr(v1alpha1.Duration("15s")), Labels: map[string]string{"release": "prometheus"}}}
		gw.Spec.PodTemplate = &v1alpha1.PodTemplate{
			Labels:      map[string]string{"team": "ai", LabelGateway: "cannot-override"},
			Annotations: map[string]string{"example.com/scrape": "false"},
			Resources: &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
			},
			NodeSelector:      map[string]string{"kubernetes.io/os": "linux"},
			Tolerations:       []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "ai", Effect: corev1.TaintEffectNoSchedule}},
			PriorityClassName: ptr("high"),
			ImagePullSecrets:  []corev1.LocalObjectReference{{Name: "regcred"}},
		}
	}),
	"tls-own-secret": gateway(func(gw *v1alpha1.AIGateway) {
		gw.Spec.Listener = &v1alpha1.Listener{TLS: &v1alpha1.ListenerTLS{SecretName: ptr(v1alpha1.ObjectName("my-cert"))}}
	}),
}

var settings = Settings{Image: "ghcr.io/tollgate-dev/tollgate:v1.0.0"}

// builders renders every child of a gateway; a nil object means the child
// must not exist, and then there must be no golden file for it.
func builders(gw *v1alpha1.AIGateway) map[string]any {
	orNil := func(isNil bool, v any) any {
		if isNil {
			return nil
		}
		return v
	}
	pdb, cert, sm, hr := PodDisruptionBudget(gw), Certificate(gw), ServiceMonitor(gw), HTTPRoute(gw)
	return map[string]any{
		"configsecret":        ConfigSecret(gw, []byte("{\"version\":\"tollgate.dev/gateway/v1\"}\n")),
		"deployment":          Deployment(gw, settings, TLSEnabled(gw)),
		"service":             Service(gw),
		"serviceaccount":      ServiceAccount(gw),
		"role":                Role(gw, nil),
		"rolebinding":         RoleBinding(gw),
		"poddisruptionbudget": orNil(pdb == nil, pdb),
		"certificate":         orNil(cert == nil, cert),
		"servicemonitor":      orNil(sm == nil, sm),
		"httproute":           orNil(hr == nil, hr),
	}
}

func TestGatewayGolden(t *testing.T) {
	for name, gw := range gatewayCases {
		for kind, obj := range builders(gw) {
			t.Run(kind+"/"+name, func(t *testing.T) {
				golden(t, filepath.Join("testdata", kind, name+".yaml"), obj)
			})
		}
	}
}

func TestConsumerKeySecretGolden(t *testing.T) {
	cs := &v1alpha1.Consumer{
		ObjectMeta: metav1.ObjectMeta{Name: "search", Namespace: "team-a", UID: types.UID("7c1d6a55-0a5e-4c3e-8d7e-2b1c0a9f8e7d")},
		Spec:       v1alpha1.ConsumerSpec{Credentials: v1alpha1.ConsumerCredentials{Generate: &v1alpha1.GeneratedKey{Rotation: 2}}},
	}
	golden(t, "testdata/consumerkey/fresh.yaml", ConsumerKeySecret(cs, ConsumerKey{Key: "tg-aaaaaaaa_fake", Rotation: 0}))
	golden(t, "testdata/consumerkey/rotated.yaml", ConsumerKeySecret(cs, ConsumerKey{
		Key: "tg-bbbbbbbb_fake", Rotation: 2, Previous: "tg-aaaaaaaa_fake",
		PreviousExpiresAt: time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC),
	}))
}

// A sharded gateway: a shard Secret carries its id as a label, and the
// Role names the root and every shard the operator lists.
func TestConfigShardGolden(t *testing.T) {
	gw := gateway(nil)
	sh, err := config.MarshalShard("s1-0001", []config.Consumer{{Name: "team-a", Keys: []config.Key{{ID: "h0123456789abcdef", SHA256: strings.Repeat("ab", 32)}}}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/configshard/minimal.yaml", ConfigShardSecret(gw, sh))
	golden(t, "testdata/role/minimal-sharded.yaml", Role(gw, []string{ConfigShardName(gw, "s1-0000"), ConfigShardName(gw, "s1-0001")}))
}

func golden(t *testing.T, file string, obj any) {
	t.Helper()
	if obj == nil {
		if _, err := os.Stat(file); err == nil {
			if *update {
				if err := os.Remove(file); err != nil {
					t.Fatal(err)
				}
				return
			}
			t.Fatalf("builder returned nil but %s exists (run with -update to remove it)", file)
		}
		return
	}
	got, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the builder's output (run with -update after checking the diff):\n--- want\n%s\n--- got\n%s", file, want, got)
	}
}

func TestNames(t *testing.T) {
	gw := gatewayCases["full"]
	checks := map[string][2]string{
		"config secret": {ConfigSecretName(gw), "main-config"},
		"sa":            {ServiceAccountName(gw), "main-proxy"},
		"tls default":   {TLSSecretName(gw), "main-tls"},
		"tls own":       {TLSSecretName(gatewayCases["tls-own-secret"]), "my-cert"},
		"url https":     {URL(gw, true), "https://main.team-a.svc:8443"},
		"url http":      {URL(gatewayCases["minimal"], false), "http://main.team-a.svc:8080"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s: got %q, want %q", name, c[0], c[1])
		}
	}
	if got := Deployment(gw, settings, true).Spec.Template.Labels[LabelGateway]; got != "main" {
		t.Errorf("pod template labels must not override the selector: %s=%q", LabelGateway, got)
	}
	if d := Deployment(gatewayCases["autoscaled"], settings, false); d.Spec.Replicas != nil {
		t.Errorf("replicas must stay unset when spec.replicas is nil (an autoscaler owns it)")
	}
	if !strings.HasSuffix(Deployment(gw, settings, false).Spec.Template.Spec.Containers[0].Args[2], "/main-config") {
		t.Errorf("proxy args must name the config Secret")
	}
}

// TestPodTemplateRollsOnlyForItsInputs: the Deployment controller starts a
// rollout exactly when the pod template changes (its pod-template-hash).
// The template must change for the proxy image and for the gateway's own
// pod settings, and stay byte-for-byte the same for everything else:
// replicas (scaling is no rollout), the gateway's metadata and generation,
// and the compiled config, which the proxy hot-reloads (it is not an input
// of the builder at all). So an operator upgrade that keeps the proxy image
// rolls no gateway pod.
func TestPodTemplateRollsOnlyForItsInputs(t *testing.T) {
	base := gateway(nil)
	template := func(gw *v1alpha1.AIGateway, s Settings) corev1.PodTemplateSpec {
		return Deployment(gw, s, TLSEnabled(gw)).Spec.Template
	}
	want := template(base, settings)
	for name, tc := range map[string]struct {
		mut   func(*v1alpha1.AIGateway)
		s     Settings
		rolls bool
	}{
		"rebuilt unchanged": {nil, settings, false},
		"scaled":            {func(gw *v1alpha1.AIGateway) { gw.Spec.Replicas = ptr(int32(5)) }, settings, false},
		"autoscaled":        {func(gw *v1alpha1.AIGateway) { gw.Spec.Replicas = nil }, settings, false},
		"metadata and generation": {func(gw *v1alpha1.AIGateway) {
			gw.Generation = 7
			gw.Labels = map[string]string{"team": "b"}
			gw.Annotations = map[string]string{"note": "x"}
		}, settings, false},
		"service type":    {func(gw *v1alpha1.AIGateway) { gw.Spec.Service = &v1alpha1.ServiceSettings{Type: "LoadBalancer"} }, settings, false},
		"new proxy image": {nil, Settings{Image: "ghcr.io/tollgate-dev/tollgate:v1.1.0"}, true},
		"spec.image":      {func(gw *v1alpha1.AIGateway) { gw.Spec.Image = ptr("registry.example.com/tollgate:v9") }, settings, true},
		"pod resources": {func(gw *v1alpha1.AIGateway) {
			gw.Spec.PodTemplate = &v1alpha1.PodTemplate{Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}}
		}, settings, true},
		"drain timeout": {func(gw *v1alpha1.AIGateway) {
			gw.Spec.Server = &v1alpha1.ServerSettings{DrainTimeout: ptr(v1alpha1.Duration("40s"))}
		}, settings, true},
		"port": {func(gw *v1alpha1.AIGateway) { gw.Spec.Listener = &v1alpha1.Listener{Port: 8443} }, settings, true},
		"tls enabled": {func(gw *v1alpha1.AIGateway) {
			gw.Spec.Listener = &v1alpha1.Listener{TLS: &v1alpha1.ListenerTLS{SecretName: ptr(v1alpha1.ObjectName("c"))}}
		}, settings, true},
	} {
		t.Run(name, func(t *testing.T) {
			gw := base.DeepCopy()
			if tc.mut != nil {
				tc.mut(gw)
			}
			got := template(gw, tc.s)
			if rolls := !apiequality.Semantic.DeepEqual(want, got); rolls != tc.rolls {
				a, _ := yaml.Marshal(want)
				b, _ := yaml.Marshal(got)
				t.Errorf("template changed = %v, want %v:\n--- before\n%s\n--- after\n%s", rolls, tc.rolls, a, b)
			}
		})
	}
}
