package controller_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/poll"
	"github.com/tollgate-dev/tollgate/internal/testenv"
)

// TestScaleConsumers measures convergence of many generated-key Consumers
// (TESTING row 8, BENCHMARKS "reconcile scale"). Opt-in: TOLLGATE_SCALE=1;
// TOLLGATE_SCALE_CONSUMERS sets the count (default 1000; try 10000). It
// reports, and asserts nothing about speed.
func TestScaleConsumers(t *testing.T) {
	n := testenv.ScaleCount(t, "TOLLGATE_SCALE_CONSUMERS", 1000, "measure convergence with many Consumers")
	c := env(t)
	ctx := context.Background()
	ns := namespace(t, c)
	gw := samples(t, c, ns, nil)
	start := time.Now()
	for i := range n {
		cs := consumer(ns, fmt.Sprintf("c%05d", i))
		if err := c.Create(ctx, cs); err != nil {
			t.Fatal(err)
		}
	}
	created := time.Since(start)
	poll.Until(t, 30*time.Minute, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(gw), gw); err != nil {
			return err
		}
		if int(gw.Status.Consumers) != n+1 {
			return fmt.Errorf("%d of %d consumers compiled", gw.Status.Consumers, n+1)
		}
		return nil
	})
	converged := time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var ready int
	var list v1alpha1.ConsumerList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err == nil {
		for _, cs := range list.Items {
			for _, cond := range cs.Status.Conditions {
				if cond.Type == "Ready" && cond.Status == metav1.ConditionTrue {
					ready++
				}
			}
		}
	}
	t.Logf("consumers=%d created in %s, compiled into the gateway after %s; %d Ready; test process heap in use %d MiB (control plane excluded); cores=%d",
		n, created.Round(time.Millisecond), converged.Round(time.Millisecond), ready, ms.HeapInuse>>20, runtime.NumCPU())
}
