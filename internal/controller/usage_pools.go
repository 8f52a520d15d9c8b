package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

// A gateway's /usage reading carries the spend of its pooled policies
// beside its consumers' totals, in the same map under a key no Consumer
// name can be (names hold no ':'), so replicas of the Local store and
// gateways are summed by the same merge as consumers.
func poolReadingKey(policy string) string { return ":pool:" + policy }

// poolTotals sums a pooled TokenPolicy's spend over the gateways of its
// namespace that report it. It reports false, leaving status alone, when
// a gateway of the namespace has no reading yet or none reports the pool.
func poolTotals(tp *v1alpha1.TokenPolicy, gws []v1alpha1.AIGateway, readings map[types.NamespacedName]gatewayUsage) (usageTotals, bool) {
	return sumReadings(gws, readings, poolReadingKey(tp.Name), func(gw *v1alpha1.AIGateway) bool { return gw.Namespace == tp.Namespace })
}

// writePools writes status.pool of every pooled TokenPolicy whose reading
// changed. Pools are few (one per team), so they are not paced.
func (c *usageCollector) writePools(ctx context.Context, gws []v1alpha1.AIGateway, readings map[types.NamespacedName]gatewayUsage) error {
	var tps v1alpha1.TokenPolicyList
	if err := c.client.List(ctx, &tps, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing TokenPolicies: %w", err)
	}
	var errs []error
	for i := range tps.Items {
		tp := &tps.Items[i]
		if !tp.Spec.Pooled || tp.Spec.Budget == nil || !tp.DeletionTimestamp.IsZero() {
			continue
		}
		t, ok := poolTotals(tp, gws, readings)
		if !ok {
			continue
		}
		want := &v1alpha1.PoolUsage{Window: t.window, CostUSD: formatUSD(t.costUSD)}
		if cur := tp.Status.Pool; cur != nil && cur.Window == want.Window && cur.CostUSD == want.CostUSD {
			continue
		}
		want.UpdatedAt = &metav1.Time{Time: c.now().UTC().Truncate(time.Second)}
		before := tp.DeepCopy()
		after := tp.DeepCopy()
		after.Status.Pool = want
		if err := c.patchStatus(ctx, before, after, fmt.Sprintf("the pool spend of TokenPolicy %s/%s", tp.Namespace, tp.Name)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
