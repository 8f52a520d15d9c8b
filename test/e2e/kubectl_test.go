package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// TestKubectlExperience: printer columns, short names, the tollgate
// category, kubectl wait and kubectl explain, with the real kubectl.
func TestKubectlExperience(t *testing.T) {
	out := kubectl(t, "get", "tollgate", "-n", "default")
	for _, want := range []string{
		"aigateway.ai.tollgate.dev/main", "consumer.ai.tollgate.dev/demo",
		"modelprovider.ai.tollgate.dev/mock", "tokenpolicy.ai.tollgate.dev/standard",
		"READY", "URL", "MODELS", "CONSUMERS", "KEY",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get tollgate lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^demo\s+True\s+tg-`).MatchString(kubectl(t, "get", "csm")) {
		t.Errorf("kubectl get csm should show demo Ready with its key prefix:\n%s", kubectl(t, "get", "csm"))
	}
	if !regexp.MustCompile(`(?m)^mock\s+Mock\s+3\s+True`).MatchString(kubectl(t, "get", "mp")) {
		t.Errorf("kubectl get mp:\n%s", kubectl(t, "get", "mp"))
	}
	kubectl(t, "wait", "--for=condition=Programmed", "aigw/main", "--timeout=60s")
	kubectl(t, "wait", "--for=condition=Ready", "mp/mock", "csm/demo", "--timeout=60s")
	if url := kubectl(t, "get", "aigw", "main", "-o", "jsonpath={.status.url}"); url != "http://main.default.svc:8080" {
		t.Errorf("status.url = %q", url)
	}
	explain := kubectl(t, "explain", "aigateway.spec")
	for _, field := range []string{"routes", "providerSelector", "listener", "httpRoute", "monitoring", "limits"} {
		if !strings.Contains(explain, field) {
			t.Errorf("kubectl explain aigateway.spec lacks %q", field)
		}
	}
	// An invalid object is refused at admission with the field path.
	_, err := kubectlErr("apply", "-f", "../../config/samples/invalid")
	if err == nil {
		t.Error("the invalid samples were accepted")
	}
}
