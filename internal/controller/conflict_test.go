package controller_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// reconciles reads controller-runtime's reconcile counter for controller.
func reconciles(t *testing.T, controller string) float64 {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	must(t, err)
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == controller {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// TestConflictingWriter: another field manager sets the Deployment's
// replicas. Server-side apply takes the field back (ForceOwnership) and
// the exchange settles instead of looping.
func TestConflictingWriter(t *testing.T) {
	c := env(t)
	ctx := context.Background()
	ns := namespace(t, c)
	gw := samples(t, c, ns, nil)
	converged(t, c, gw)

	other := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"namespace": ns, "name": "main"},
		"spec":     map[string]any{"replicas": int64(5)},
	}}
	must(t, c.Apply(ctx, client.ApplyConfigurationFromUnstructured(other), client.FieldOwner("someone-else"), client.ForceOwnership))
	eventually(t, converge, func() error {
		var d appsv1.Deployment
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main"}, &d); err != nil {
			return err
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
			return fmt.Errorf("replicas = %v, want the AIGateway's 1", d.Spec.Replicas)
		}
		return nil
	})
	// Settled: over a few seconds the gateway is reconciled a bounded
	// number of times (a hot loop would be hundreds).
	time.Sleep(time.Second)
	start := reconciles(t, "aigateway")
	time.Sleep(5 * time.Second)
	if n := reconciles(t, "aigateway") - start; n > 5 {
		t.Errorf("%v reconciles in 5s after the conflict settled: a hot loop", n)
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
