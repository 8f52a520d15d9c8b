package resources

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// TestPodSecurityRestricted runs the gateway pod through the real Pod
// Security Admission evaluator at the restricted level (TESTING row 10),
// and checks the hardening restricted does not demand (read-only root).
func TestPodSecurityRestricted(t *testing.T) {
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatalf("pod security evaluator: %v", err)
	}
	restricted := psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}
	check := func(t *testing.T, spec *corev1.PodSpec) policy.AggregateCheckResult {
		t.Helper()
		d := Deployment(gateway(nil), settings, false)
		return policy.AggregateCheckResults(eval.EvaluatePod(restricted, &d.Spec.Template.ObjectMeta, spec))
	}
	for name, gw := range gatewayCases {
		t.Run(name, func(t *testing.T) {
			d := Deployment(gw, settings, TLSEnabled(gw))
			pod := &d.Spec.Template.Spec
			if res := check(t, pod); !res.Allowed {
				t.Fatalf("gateway pod violates restricted: %s", res.ForbiddenDetail())
			}
			for _, c := range pod.Containers {
				sc := c.SecurityContext
				if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					t.Errorf("container %s: root filesystem must be read-only", c.Name)
				}
				if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
					t.Errorf("container %s: preStop must use the sleep handler (no shell in the image)", c.Name)
				}
			}
			if pod.AutomountServiceAccountToken == nil || !*pod.AutomountServiceAccountToken || pod.ServiceAccountName != ServiceAccountName(gw) {
				t.Errorf("the proxy needs its own service account token to read its config Secret")
			}
		})
	}
	// The check must be able to fail: a pod that may escalate is refused.
	t.Run("a weakened pod is refused", func(t *testing.T) {
		d := Deployment(gateway(nil), settings, false)
		pod := d.Spec.Template.Spec.DeepCopy()
		yes := true
		pod.Containers[0].SecurityContext.AllowPrivilegeEscalation = &yes
		pod.Containers[0].SecurityContext.Capabilities = nil
		if res := check(t, pod); res.Allowed {
			t.Fatal("restricted check accepted a pod allowing privilege escalation")
		}
	})
}
