package crd_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/internal/testenv"
)

// TestThirdPartyCRDsInstallBesideOurs starts a control plane with Gateway
// API, cert-manager and ServiceMonitor CRDs beside Tollgate's, and creates
// one object of each kind the operator will create, so the versions pinned
// for tests are known to install and serve together.
func TestThirdPartyCRDsInstallBesideOurs(t *testing.T) {
	start := time.Now()
	e := testenv.Start(t, testenv.Options{ThirdParty: testenv.AllThirdParty})
	t.Logf("control plane with all CRDs up in %s", time.Since(start).Round(time.Millisecond))

	installed := map[string]bool{}
	for _, crd := range e.CRDs {
		installed[crd.Name] = true
	}
	for _, name := range []string{
		"modelproviders.ai.tollgate.dev",
		"aigateways.ai.tollgate.dev",
		"consumers.ai.tollgate.dev",
		"tokenpolicies.ai.tollgate.dev",
		"gateways.gateway.networking.k8s.io",
		"httproutes.gateway.networking.k8s.io",
		"certificates.cert-manager.io",
		"issuers.cert-manager.io",
		"clusterissuers.cert-manager.io",
		"servicemonitors.monitoring.coreos.com",
	} {
		if !installed[name] {
			t.Errorf("CRD %s was not installed", name)
		}
	}

	createNamespace(t, e, "thirdparty")
	for _, doc := range []string{thirdPartyGateway, thirdPartyRoute, thirdPartyCertificate, thirdPartyServiceMonitor} {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatalf("decoding test object: %v", err)
		}
		obj.SetNamespace("thirdparty")
		if err := e.Client.Create(t.Context(), obj, strict); err != nil {
			t.Errorf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
	root := repoRoot(t)
	sample, err := readFixture(filepath.Join(root, "config", "samples", "ai_v1alpha1_aigateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sample.obj.SetNamespace("thirdparty")
	if err := e.Client.Create(t.Context(), sample.obj, strict); err != nil {
		t.Errorf("creating the AIGateway sample beside third-party CRDs: %v", err)
	}
}

// TestThirdPartyCRDsAreOptional checks that the default control plane has
// none of them, which the operator's CRDNotInstalled tests rely on.
func TestThirdPartyCRDsAreOptional(t *testing.T) {
	e := needEnv(t)
	var names []string
	for _, crd := range e.CRDs {
		names = append(names, crd.Name)
		if !strings.HasSuffix(crd.Spec.Group, "ai.tollgate.dev") {
			t.Errorf("default control plane installed %s; third-party CRDs must be opt-in", crd.Name)
		}
	}
	if len(names) != 5 {
		t.Errorf("default control plane installed %d CRDs %v, want Tollgate's 5", len(names), names)
	}
}

// The objects below are shaped like those the operator creates.
var (
	thirdPartyGateway = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public}
spec:
  gatewayClassName: example
  listeners:
  - {name: http, protocol: HTTP, port: 80}
`
	thirdPartyRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: main}
spec:
  parentRefs: [{name: public, sectionName: http}]
  hostnames: [ai.example.com]
  rules:
  - backendRefs: [{name: main, port: 8080}]
`
	thirdPartyCertificate = `
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: main}
spec:
  secretName: main-tls
  dnsNames: [ai.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer, group: cert-manager.io}
`
	thirdPartyServiceMonitor = `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: main}
spec:
  selector:
    matchLabels: {app.kubernetes.io/instance: main}
  endpoints:
  - {port: metrics, interval: 30s, path: /metrics}
`
)
