package crd_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestKubectl applies the samples the way a user does (kubectl apply -k,
// which also checks config/samples/kustomization.yaml and kubectl's own
// YAML parsing) and checks what kubectl shows: short names, the tollgate
// category, printer columns and explain text.
func TestKubectl(t *testing.T) {
	e := needEnv(t)
	root := repoRoot(t)
	const ns = "kubectl-samples"
	createNamespace(t, e, ns)

	kubectl := func(args ...string) string {
		t.Helper()
		out, _, err := e.Kubectl(args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	out := kubectl("apply", "-n", ns, "--server-side", "--field-manager=tollgate-test", "-k", filepath.Join(root, "config", "samples"))
	for _, want := range []string{
		"modelprovider.ai.tollgate.dev/mock", "modelprovider.ai.tollgate.dev/mock-eu",
		"aigateway.ai.tollgate.dev/main", "consumer.ai.tollgate.dev/demo", "tokenpolicy.ai.tollgate.dev/standard",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl apply -k config/samples did not apply %s:\n%s", want, out)
		}
	}

	_, stderr, err := e.Kubectl("apply", "-n", ns, "-f", filepath.Join(root, "config", "samples", "invalid", "ai_v1alpha1_modelprovider_metadata_endpoint.yaml"))
	if err == nil || !strings.Contains(stderr, "spec.endpoint") || !strings.Contains(stderr, "set allowPrivateNetwork: true") {
		t.Errorf("kubectl apply of an SSRF endpoint: err %v, stderr %q; want a rejection naming spec.endpoint", err, stderr)
	}

	columns := map[string][]string{
		"aigw": {"NAME", "READY", "URL", "MODELS", "CONSUMERS", "AGE"},
		"mp":   {"NAME", "TYPE", "MODELS", "READY", "AGE"},
		"csm":  {"NAME", "READY", "KEY", "SPEND", "AGE"},
		"tp":   {"NAME", "ACCEPTED", "CONSUMERS", "AGE"},
	}
	for short, want := range columns {
		out := kubectl("get", short, "-n", ns)
		header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
		if strings.Join(header, " ") != strings.Join(want, " ") {
			t.Errorf("kubectl get %s columns %v, want %v", short, header, want)
		}
	}
	// No operator runs here: the condition columns show the CRD's default
	// Unknown, never a blank.
	for _, c := range []struct{ obj, cond string }{
		{"aigw/main", "Ready"}, {"aigw/main", "Programmed"}, {"mp/mock", "Ready"},
		{"csm/demo", "Ready"}, {"tp/standard", "Accepted"},
	} {
		got := kubectl("get", c.obj, "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="`+c.cond+`")].status}`)
		if strings.TrimSpace(got) != "Unknown" {
			t.Errorf("kubectl get %s: %s is %q before the controller ran, want Unknown", c.obj, c.cond, got)
		}
	}

	all := kubectl("get", "tollgate", "-n", ns, "-o", "name")
	if n := len(strings.Fields(all)); n != 6 {
		t.Errorf("kubectl get tollgate listed %d objects, want the 6 samples:\n%s", n, all)
	}

	explain := kubectl("explain", "aigateways.spec.routes.backends.weight")
	if !strings.Contains(explain, "share of traffic") {
		t.Errorf("kubectl explain shows no field documentation:\n%s", explain)
	}
}
