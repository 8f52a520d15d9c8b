package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

// collector is what the usage and availability collectors share: the
// gateway replicas they read (their metrics listeners, through one
// fetcher that bounds the reads in flight), the round they run every
// interval, and how they write what they read into status. Both are
// leader-elected manager.Runnables.
type collector struct {
	client   client.Client
	interval time.Duration
	// endpoints finds a gateway's metrics listeners.
	endpoints func(ctx context.Context, gw *v1alpha1.AIGateway) ([]string, error)
	fetcher   *usageFetcher
	now       func() time.Time
	log       logr.Logger
}

// NeedLeaderElection: only the leader writes status.
func (c *collector) NeedLeaderElection() bool { return true }

// run runs round at once and then every interval until ctx ends. A failed
// round is logged and retried on the next tick (status still differs).
func (c *collector) run(ctx context.Context, what string, round func(context.Context) error) error {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		if err := round(ctx); err != nil && ctx.Err() == nil {
			c.log.Error(err, "collecting "+what+"; retrying next interval", "interval", c.interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// patchStatus merge-patches after's status over before (a copy of the
// object as read); an object deleted meanwhile is not an error. what
// names the write in the error ("the usage of Consumer ns/name").
func (c *collector) patchStatus(ctx context.Context, before, after client.Object, what string) error {
	if err := c.client.Status().Patch(ctx, after, client.MergeFrom(before), client.FieldOwner(FieldOwner)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("writing %s: %w", what, err))
	}
	return nil
}

// readGateways reads every gateway at once and returns the readings of
// those read, by gateway; one that is not is logged at debug level with
// msg.
func readGateways[T any](gws []v1alpha1.AIGateway, log logr.Logger, msg string, read func(gw *v1alpha1.AIGateway) (T, error)) map[types.NamespacedName]T {
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[types.NamespacedName]T{}
	for i := range gws {
		gw := &gws[i]
		wg.Go(func() {
			r, err := read(gw)
			if err != nil {
				log.V(1).Info(msg, "gateway", client.ObjectKeyFromObject(gw), "error", err.Error())
				return
			}
			mu.Lock()
			out[client.ObjectKeyFromObject(gw)] = r
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// readReplicas reads every replica address at once: the readings and the
// errors, in addrs' order.
func readReplicas[T any](addrs []string, read func(addr string) (T, error)) ([]T, []error) {
	readings := make([]T, len(addrs))
	errs := make([]error, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Go(func() { readings[i], errs[i] = read(a) })
	}
	wg.Wait()
	return readings, errs
}
