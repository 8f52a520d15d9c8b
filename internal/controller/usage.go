package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/pause"
)

// The usage collector fills Consumer status.usage. Every interval it reads
// GET /usage from the metrics listener of each AIGateway's replicas and
// sums, per Consumer, over the gateways it calls. With the Redis store one
// replica answers for all (the counters are shared); with the Local store
// each replica counts its own, so every ready replica is read and summed.
//
// Usage is informational: a gateway that cannot be read is logged at debug
// level and its last complete reading stands in, so status keeps its last
// value instead of dropping. Status is written only when the summary
// changed, which happens only when traffic did.

// UsageEndpoints names the metrics listeners ("host:port") of a gateway's
// ready replicas. A nil answer falls back to the gateway's EndpointSlices.
type UsageEndpoints func(gw *v1alpha1.AIGateway) []string

const (
	// DefaultUsageInterval is how often usage is collected by default.
	DefaultUsageInterval = 30 * time.Second
	// usageConcurrency bounds the /usage requests in flight.
	usageConcurrency = 8
	// UsageWritesPerMinute bounds the Consumer status.usage writes of the
	// whole operator. Each round writes at most this rate times the
	// interval, the stalest first, paced over most of the interval; the
	// rest wait for the next round (their status still differs). With A
	// consumers whose usage changes every round, a consumer's usage lags
	// by at most max(interval, A/UsageWritesPerMinute minutes): 30 s up
	// to 450 active consumers, 5 min at 4,500, and 100,000 all active
	// would be 111 min (docs/performance.md).
	UsageWritesPerMinute = 900
)

// usageTotals is one consumer's use in one window.
type usageTotals struct {
	window                              string
	requests, inputTokens, outputTokens int64
	costUSD                             float64
}

func (t *usageTotals) add(o usageTotals) {
	t.requests += o.requests
	t.inputTokens += o.inputTokens
	t.outputTokens += o.outputTokens
	t.costUSD += o.costUSD
}

// merge adds o to t when they count the same window; a later window
// (after a rollover) replaces an earlier one.
func (t *usageTotals) merge(o usageTotals) {
	switch {
	case t.window == "" || o.window > t.window:
		*t = o
	case o.window == t.window:
		t.add(o)
	}
}

// gatewayUsage is one gateway's reading: consumer name → totals.
type gatewayUsage map[string]usageTotals

// usageCollector is a leader-elected manager.Runnable.
type usageCollector struct {
	collector
	// last is the last complete reading of each gateway.
	last map[types.NamespacedName]gatewayUsage
}

// Start collects at once and then every interval until ctx ends.
func (c *usageCollector) Start(ctx context.Context) error { return c.run(ctx, "usage", c.collect) }

// collect runs one round.
func (c *usageCollector) collect(ctx context.Context) error {
	// Read-only views of the cache; write copies what it changes.
	var gws v1alpha1.AIGatewayList
	if err := c.client.List(ctx, &gws, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing AIGateways: %w", err)
	}
	readings := c.readAll(ctx, gws.Items)
	var css v1alpha1.ConsumerList
	if err := c.client.List(ctx, &css, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing Consumers: %w", err)
	}
	var due []usageWrite
	for i := range css.Items {
		cs := &css.Items[i]
		if !cs.DeletionTimestamp.IsZero() {
			continue
		}
		if t, ok := consumerTotals(cs, gws.Items, readings); ok {
			if want := usageStatus(t); !sameUsage(cs.Status.Usage, want) {
				due = append(due, usageWrite{cs: cs, usage: want})
			}
		}
	}
	due = stalestFirst(due, c.writeBudget())
	pace := c.interval * 4 / 5 / time.Duration(max(1, len(due)))
	var errs []error
	if err := c.writePools(ctx, gws.Items, readings); err != nil {
		errs = append(errs, err)
	}
	for i, w := range due {
		if i > 0 && !pause.For(ctx, pace) {
			break
		}
		if err := c.write(ctx, w.cs, w.usage); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// usageWrite is one Consumer whose status.usage differs from its reading.
type usageWrite struct {
	cs    *v1alpha1.Consumer
	usage *v1alpha1.ConsumerUsage
}

// writeBudget is how many usage writes one round may make.
func (c *usageCollector) writeBudget() int {
	return max(1, int(UsageWritesPerMinute*c.interval/time.Minute))
}

// stalestFirst keeps the budget writes whose status is the oldest (never
// written first), so every changed consumer is written in turn.
func stalestFirst(due []usageWrite, budget int) []usageWrite {
	updated := func(w usageWrite) time.Time {
		if u := w.cs.Status.Usage; u != nil && u.UpdatedAt != nil {
			return u.UpdatedAt.Time
		}
		return time.Time{}
	}
	slices.SortStableFunc(due, func(a, b usageWrite) int { return updated(a).Compare(updated(b)) })
	return due[:min(len(due), budget)]
}

// readAll reads every gateway, concurrently, and returns a reading for
// each gateway that has one: fresh, else the last complete one.
func (c *usageCollector) readAll(ctx context.Context, gws []v1alpha1.AIGateway) map[types.NamespacedName]gatewayUsage {
	fresh := readGateways(gws, c.log, "usage of gateway unavailable; keeping its last reading",
		func(gw *v1alpha1.AIGateway) (gatewayUsage, error) { return c.readGateway(ctx, gw) })
	out := make(map[types.NamespacedName]gatewayUsage, len(gws))
	for i := range gws {
		k := client.ObjectKeyFromObject(&gws[i])
		if u, ok := fresh[k]; ok {
			out[k] = u
		} else if u, ok := c.last[k]; ok {
			out[k] = u
		}
	}
	c.last = out // gateways gone are forgotten
	return out
}

// readGateway reads one gateway: one replica with the Redis store, every
// replica summed with the Local store (all must answer).
func (c *usageCollector) readGateway(ctx context.Context, gw *v1alpha1.AIGateway) (gatewayUsage, error) {
	addrs, err := c.endpoints(ctx, gw)
	if err != nil {
		return nil, err
	}
	if sharedCounters(gw) {
		var errs []error
		for _, a := range addrs {
			u, err := c.fetcher.fetch(ctx, a)
			if err == nil {
				return u, nil
			}
			errs = append(errs, err)
		}
		return gatewayUsage{}, errors.Join(errs...)
	}
	readings, errs := readReplicas(addrs, func(a string) (gatewayUsage, error) { return c.fetcher.fetch(ctx, a) })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sum := gatewayUsage{}
	for _, r := range readings {
		for name, t := range r {
			s := sum[name]
			s.merge(t)
			sum[name] = s
		}
	}
	return sum, nil
}

// sharedCounters reports whether a gateway's replicas share one counter
// store (Redis), so that any one of them answers for all.
func sharedCounters(gw *v1alpha1.AIGateway) bool {
	l := gw.Spec.Limits
	return l != nil && l.Store != nil && l.Store.Type == v1alpha1.StoreRedis
}

// consumerTotals sums cs's use over the gateways of its namespace it calls.
// It reports false, leaving status alone, when a gateway it calls has no
// reading yet (a partial sum would look like a drop) or when no gateway
// counted it at all.
func consumerTotals(cs *v1alpha1.Consumer, gws []v1alpha1.AIGateway, readings map[types.NamespacedName]gatewayUsage) (usageTotals, bool) {
	return sumReadings(gws, readings, cs.Name, func(gw *v1alpha1.AIGateway) bool {
		return gw.Namespace == cs.Namespace && compile.Targets(cs, gw)
	})
}

// sumReadings merges the totals under key of the gateways counts picks.
// It reports false when one of them has no reading yet (a partial sum
// would look like a drop) or when none of them has key.
func sumReadings(gws []v1alpha1.AIGateway, readings map[types.NamespacedName]gatewayUsage, key string, counts func(*v1alpha1.AIGateway) bool) (usageTotals, bool) {
	var t usageTotals
	counted := false
	for i := range gws {
		gw := &gws[i]
		if !counts(gw) {
			continue
		}
		r, ok := readings[client.ObjectKeyFromObject(gw)]
		if !ok {
			return usageTotals{}, false
		}
		if u, ok := r[key]; ok {
			t.merge(u)
			counted = true
		}
	}
	return t, counted
}

// usageStatus is the status.usage a reading gives (UpdatedAt is set when
// it is written).
func usageStatus(t usageTotals) *v1alpha1.ConsumerUsage {
	return &v1alpha1.ConsumerUsage{
		Window: t.window, Requests: t.requests, InputTokens: t.inputTokens, OutputTokens: t.outputTokens,
		CostUSD: formatUSD(t.costUSD),
	}
}

// sameUsage compares everything but UpdatedAt.
func sameUsage(cur, want *v1alpha1.ConsumerUsage) bool {
	return cur != nil && cur.Window == want.Window && cur.Requests == want.Requests &&
		cur.InputTokens == want.InputTokens && cur.OutputTokens == want.OutputTokens && cur.CostUSD == want.CostUSD
}

// write patches cs's status.usage.
func (c *usageCollector) write(ctx context.Context, cs *v1alpha1.Consumer, want *v1alpha1.ConsumerUsage) error {
	want.UpdatedAt = &metav1.Time{Time: c.now().UTC().Truncate(time.Second)}
	before := cs.DeepCopy()
	after := cs.DeepCopy()
	after.Status.Usage = want
	return c.patchStatus(ctx, before, after, fmt.Sprintf("the usage of Consumer %s/%s", cs.Namespace, cs.Name))
}

// formatUSD writes dollars with two to six decimals: 1 → "1.00",
// 0.1234567 → "0.123457", 0.000012 → "0.000012".
func formatUSD(v float64) string {
	if v < 0 {
		v = 0
	}
	s := strconv.FormatFloat(v, 'f', 6, 64)
	for strings.HasSuffix(s, "0") && len(s)-strings.IndexByte(s, '.') > 3 {
		s = s[:len(s)-1]
	}
	return s
}
