package controller_test

import (
	"fmt"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/tollgate-dev/tollgate/internal/poll"
)

// Deterministic settling: instead of sleeping and hoping the operator has
// caught up, tests read controller-runtime's own metrics. The operator is
// quiet when no workqueue holds an item, no worker is busy, and the total
// of reconciles has not moved across quietPolls consecutive polls.

const (
	quietPolls    = 5
	quietInterval = 100 * time.Millisecond
)

// activity sums a metric family's values over every controller (or only
// those named, when names are given).
func activity(t *testing.T, family string, names ...string) float64 {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	must(t, err)
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != family {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := len(want) == 0
			for _, l := range m.GetLabel() {
				if (l.GetName() == "controller" || l.GetName() == "name") && want[l.GetValue()] {
					match = true
				}
			}
			if !match {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				n += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				n += m.GetGauge().GetValue()
			}
		}
	}
	return n
}

// reconciles reads controller-runtime's reconcile counter for controller.
func reconciles(t *testing.T, controller string) float64 {
	t.Helper()
	return activity(t, "controller_runtime_reconcile_total", controller)
}

// quiet waits until the operator's workqueues have drained and the total of
// reconciles stays put across quietPolls polls, and returns that total. A
// hot loop never gets quiet, so it fails after timeout.
func quiet(t *testing.T, timeout time.Duration) float64 {
	t.Helper()
	var total float64
	stable := 0
	poll.Until(t, timeout, func() error {
		for stable = 0; stable < quietPolls; stable++ {
			now := activity(t, "controller_runtime_reconcile_total")
			busy := activity(t, "workqueue_depth") + activity(t, "controller_runtime_active_workers")
			if busy != 0 || (stable > 0 && now != total) {
				total = now
				return fmt.Errorf("the operator is busy: %v queued or running, %v reconciles so far", busy, now)
			}
			total = now
			time.Sleep(quietInterval)
		}
		return nil
	})
	return total
}
