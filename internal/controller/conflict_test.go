package controller_test

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/internal/poll"
)

// TestConflictingWriter: another field manager sets the Deployment's
// replicas. Server-side apply takes the field back (ForceOwnership) and
// the exchange settles instead of looping.
func TestConflictingWriter(t *testing.T) {
	c, ns, _ := convergedSamples(t)
	ctx := context.Background()
	quiet(t, converge)
	start := reconciles(t, "aigateway")

	other := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"namespace": ns, "name": "main"},
		"spec":     map[string]any{"replicas": int64(5)},
	}}
	must(t, c.Apply(ctx, client.ApplyConfigurationFromUnstructured(other), client.FieldOwner("someone-else"), client.ForceOwnership))
	poll.Until(t, converge, func() error {
		var d appsv1.Deployment
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main"}, &d); err != nil {
			return err
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
			return fmt.Errorf("replicas = %v, want the AIGateway's 1", d.Spec.Replicas)
		}
		return nil
	})
	// Settled: the operator gets quiet (a hot loop never does), and it
	// took a bounded number of gateway reconciles to get there (taking the
	// field back, then seeing its own write; a loop would be hundreds).
	quiet(t, converge)
	if n := reconciles(t, "aigateway") - start; n > 10 {
		t.Errorf("%v gateway reconciles between the conflicting write and quiet: a hot loop", n)
	}
	// Quiet means no pending work: nothing writes the Deployment anymore.
	var settled appsv1.Deployment
	must(t, c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main"}, &settled))
	quiet(t, converge)
	var again appsv1.Deployment
	must(t, c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main"}, &again))
	if again.ResourceVersion != settled.ResourceVersion {
		t.Errorf("the Deployment was written again after the exchange settled (resourceVersion %s → %s)", settled.ResourceVersion, again.ResourceVersion)
	}
	var d appsv1.Deployment
	must(t, c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main"}, &d))
	managers := map[string]bool{}
	for _, mf := range d.ManagedFields {
		managers[mf.Manager] = true
	}
	if !managers["tollgate"] {
		t.Errorf("field managers %v: want tollgate", managers)
	}
}
