package cluster_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/hack/packaging"
)

// testArgoHealth runs Argo CD's health checks (argocd/<group>/<Kind>/
// health.lua, as test/packaging runs them) on objects read from the
// cluster: the samples are Healthy, a Consumer of a gateway that does not
// exist is Degraded.
func testArgoHealth(t *testing.T) {
	applyYAML(t, `apiVersion: ai.tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: orphan, namespace: default}
spec:
  gateways: [no-such-gateway]
  credentials: {generate: {}}
`)
	cases := []struct{ kind, name, want string }{
		{"AIGateway", "main", "Healthy"},
		{"Consumer", "demo", "Healthy"},
		{"ModelProvider", "mock", "Healthy"},
		{"TokenPolicy", "standard", "Healthy"},
		{"Consumer", "orphan", "Degraded"},
	}
	for _, tc := range cases {
		script, err := os.ReadFile(filepath.Join(root, packaging.ArgoCDDir, "ai.tollgate.dev", tc.kind, "health.lua"))
		if err != nil {
			t.Fatal(err)
		}
		var status, message string
		eventually(t, time.Minute, tc.kind+"/"+tc.name+" "+tc.want, func() bool {
			var obj map[string]any
			if err := json.Unmarshal([]byte(kubectl(t, "get", tc.kind+".ai.tollgate.dev/"+tc.name, "-o", "json")), &obj); err != nil {
				t.Fatal(err)
			}
			status, message, err = packaging.RunHealth(string(script), obj)
			if err != nil {
				t.Fatal(err)
			}
			return status == tc.want
		})
		t.Logf("%s/%s: %s %q", tc.kind, tc.name, status, message)
	}
}
