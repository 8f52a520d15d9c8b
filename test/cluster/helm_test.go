package cluster_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/helmchart"
	"github.com/tollgate-dev/tollgate/internal/image"
)

// chartOptions installs charts/tollgate into the operator's namespace
// (which the kustomize install created and labelled) with the operator
// image ref and, when given, a pinned proxy image.
func chartOptions(operatorImage, proxyImage string) helmchart.Options {
	repo, tag, _ := strings.Cut(operatorImage, ":")
	return helmchart.Options{
		ChartDir:  filepath.Join(root, helmchart.ChartPath),
		Namespace: operatorNS,
		Values: map[string]any{
			"image":      map[string]any{"repository": repo, "tag": tag, "pullPolicy": "Never"},
			"proxyImage": proxyImage,
		},
		Wait:    true,
		Timeout: 4 * time.Minute,
	}
}

// testHelmInstall replaces the kustomize install with a Helm release
// (Helm's SDK, action.Install with --wait): the kustomize objects go
// except the CRDs and the namespace (what the chart renders is the same
// set, test/packaging compares them), so every Tollgate object stays. The
// new operator then reconciles: a Consumer created now gets its key and
// the gateway serves it. The operator runs RollImage, the image gateway
// main already runs, so dropping main's own image leaves its pods alone.
func testHelmInstall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cfg, err := kc.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	opts := chartOptions(RollImage, "")
	manifest, err := helmchart.Render(opts)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "kustomize-objects.yaml")
	if err := os.WriteFile(f, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	sel := selector(t, "deployment/tollgate-operator", operatorNS)
	kubectl(t, "delete", "-f", f, "--wait=true", "--timeout=2m")
	eventually(t, 2*time.Minute, "the kustomize operator pod gone", func() bool {
		return strings.TrimSpace(kubectl(t, "-n", operatorNS, "get", "pods", "-l", sel, "-o", "name")) == ""
	})
	start := time.Now()
	rel, err := helmchart.Install(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if rel.Info == nil || rel.Info.Status != "deployed" {
		t.Fatalf("release after install: %+v", rel.Info)
	}
	if img := kubectl(t, "-n", operatorNS, "get", "deployment/tollgate-operator", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); img != RollImage {
		t.Fatalf("operator image %q after helm install, want %q", img, RollImage)
	}
	if by := kubectl(t, "-n", operatorNS, "get", "deployment/tollgate-operator", "-o", "jsonpath={.metadata.labels.app\\.kubernetes\\.io/managed-by}"); by != "Helm" {
		t.Errorf("operator Deployment managed-by %q, want Helm", by)
	}
	t.Logf("helm install %s (revision %d, chart %s) Ready in %s", rel.Name, rel.Version, rel.Chart.Metadata.Version, took.Round(time.Second))
	fmt.Printf("test/cluster: helm install of charts/tollgate (Helm SDK, --wait) in %s\n", took.Round(time.Second))
	servesNewConsumer(t, "helm-user")

	before := gatewayPods(t, "main")
	kubectl(t, "patch", "aigateway/main", "--type=json", "-p", `[{"op":"remove","path":"/spec/image"}]`)
	observed(t, "main")
	noRoll(t, "main", before, RollImage, "dropping spec.image when the operator's image is the same")
}

// testOperatorUpgradeRoll upgrades the Helm release twice. First the
// operator image changes with the proxy image pinned to what the gateways
// run: the operator pod rolls, the gateway pods do not. Then the pin goes,
// so the gateways' image is the operator's new one: gateway main's two
// pods roll under load with no request lost.
func testOperatorUpgradeRoll(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cfg, err := kc.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	before := gatewayPods(t, "main")
	oldOperator := operatorPods(t)
	if _, err := helmchart.Upgrade(ctx, cfg, chartOptions(image.TollgateRef, RollImage)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, "the old operator pod gone", func() bool {
		for p := range operatorPods(t) {
			if oldOperator[p] {
				return false
			}
		}
		return true
	})
	// A Consumer the new operator compiles into main's config shows it has
	// reconciled main with the pinned proxy image.
	servesNewConsumer(t, "upgrade-user")
	noRoll(t, "main", before, RollImage, "operator upgrade with the proxy image pinned")

	key := secretValue(t, "default", "load-key", "apiKey")
	ip := kubectl(t, "get", "service/main", "-o", "jsonpath={.spec.clusterIP}")
	rollUnderLoad(t, "main", "http://"+net.JoinHostPort(ip, "8080"), key, image.TollgateRef, "operator upgrade roll", func() {
		if _, err := helmchart.Upgrade(ctx, cfg, chartOptions(image.TollgateRef, "")); err != nil {
			t.Error(err)
		}
	})
}

// servesNewConsumer creates a Consumer of gateway main and waits for its
// generated key to be served: proof the running operator reconciles.
func servesNewConsumer(t *testing.T, name string) {
	t.Helper()
	applyYAML(t, `apiVersion: ai.tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: `+name+`, namespace: default}
spec:
  gateways: [main]
  credentials: {generate: {}}
`)
	key := secretValue(t, "default", name+"-key", "apiKey")
	c := openaiClient(kubectl(t, "get", "aigateway/main", "-o", "jsonpath={.status.url}"), key)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	eventually(t, 90*time.Second, name+"'s key served by main", func() bool {
		resp, err := c.Chat.Completions.New(ctx, chatParams("chat", name))
		return err == nil && len(resp.Choices) > 0 && resp.Choices[0].Message.Content == name
	})
}

// observed waits until the operator has acted on gateway gw's latest
// generation.
func observed(t *testing.T, gw string) {
	t.Helper()
	gen := kubectl(t, "get", "aigateway/"+gw, "-o", "jsonpath={.metadata.generation}")
	kubectl(t, "wait", "--for=jsonpath={.status.observedGeneration}="+gen, "aigateway/"+gw, "--timeout=2m")
}

// noRoll requires gateway gw's pods and its Deployment's image unchanged,
// a few seconds after the change that must not roll them.
func noRoll(t *testing.T, gw string, before map[string]string, img, what string) {
	t.Helper()
	time.Sleep(5 * time.Second)
	if got := kubectl(t, "get", "deployment/"+gw, "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != img {
		t.Errorf("%s: Deployment %s runs %q, want %q", what, gw, got, img)
	}
	after := gatewayPods(t, gw)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("%s rolled gateway %s's pods:\nbefore %v\nafter  %v", what, gw, before, after)
	}
	t.Logf("%s: gateway %s's pods stayed %v", what, gw, after)
}

// operatorPods is the set of the operator's pod names.
func operatorPods(t *testing.T) map[string]bool {
	t.Helper()
	sel := selector(t, "deployment/tollgate-operator", operatorNS)
	pods := map[string]bool{}
	for _, n := range strings.Fields(kubectl(t, "-n", operatorNS, "get", "pods", "-l", sel, "-o", "name")) {
		pods[n] = true
	}
	return pods
}
