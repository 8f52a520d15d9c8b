package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/conditions"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// The availability collector sets each ModelProvider's Available
// condition. Every round (the usage interval) it reads GET /availability
// from every ready replica of every AIGateway (the windows are per
// replica, in memory), sums the attempts per provider over the gateways of
// its namespace, and folds the sum into the provider's hysteresis state
// (nextAvailability). A provider no gateway reported is left alone; the
// condition is written only when its status or reason changes (or it is
// missing), so steady traffic writes nothing.

// availabilitySpan is how far back one reading looks: short enough that an
// outage ages out of the readings within minutes.
const availabilitySpan = 5 * time.Minute

// availabilityBodyLimit bounds one /availability answer.
const availabilityBodyLimit = 4 << 20

type availabilityCollector struct {
	collector
	// state is each provider's hysteresis state between rounds.
	state map[types.NamespacedName]availabilityState
}

// Start collects every interval until ctx ends.
func (c *availabilityCollector) Start(ctx context.Context) error {
	return c.run(ctx, "availability", c.collect)
}

// collect runs one round.
func (c *availabilityCollector) collect(ctx context.Context) error {
	var gws v1alpha1.AIGatewayList
	if err := c.client.List(ctx, &gws, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing AIGateways: %w", err)
	}
	readings := c.readAll(ctx, gws.Items)
	if len(readings) == 0 {
		return nil
	}
	var mps v1alpha1.ModelProviderList
	if err := c.client.List(ctx, &mps, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing ModelProviders: %w", err)
	}
	var errs []error
	for i := range mps.Items {
		mp := &mps.Items[i]
		k := client.ObjectKeyFromObject(mp)
		r, ok := readings[k]
		if !ok || !mp.DeletionTimestamp.IsZero() {
			continue
		}
		st, seen := c.state[k]
		if !seen {
			st = stateFrom(mp)
		}
		st, msg := nextAvailability(st, r.reading())
		c.state[k] = st
		cur := conditions.Get(mp.Status.Conditions, conditionAvailable)
		if cur != nil && cur.Status == st.Status && cur.Reason == st.Reason && cur.ObservedGeneration == mp.Generation {
			continue
		}
		if err := c.write(ctx, mp, st, msg); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stateFrom resumes from the condition a provider carries (an operator
// restart keeps the status; the streak starts over).
func stateFrom(mp *v1alpha1.ModelProvider) availabilityState {
	if cur := conditions.Get(mp.Status.Conditions, conditionAvailable); cur != nil {
		return availabilityState{Status: cur.Status, Reason: cur.Reason}
	}
	return availabilityState{}
}

func (c *availabilityCollector) write(ctx context.Context, mp *v1alpha1.ModelProvider, st availabilityState, msg string) error {
	before := mp.DeepCopy()
	after := mp.DeepCopy()
	conditions.Set(&after.Status.Conditions, mp.Generation, conditions.Condition{
		Type: conditionAvailable, Status: st.Status, Reason: v1alpha1.ConditionReason(st.Reason), Message: msg,
	}, c.now())
	return c.patchStatus(ctx, before, after, fmt.Sprintf("the Available condition of ModelProvider %s/%s", mp.Namespace, mp.Name))
}

// providerSum is one provider's attempts summed over replicas and gateways.
type providerSum struct {
	attempts, succeeded uint64
	errors              map[string]uint64
}

func (p *providerSum) add(o config.ProviderAvailability) {
	p.attempts += o.Attempts
	p.succeeded += o.Succeeded
	for class, n := range o.Errors {
		if p.errors == nil {
			p.errors = map[string]uint64{}
		}
		p.errors[class] += n
	}
}

// reading is the sum as a hysteresis reading: the most frequent error
// class (by name on a tie) is named.
func (p *providerSum) reading() availabilityReading {
	r := availabilityReading{Requests: p.attempts, Succeeded: p.succeeded}
	classes := make([]string, 0, len(p.errors))
	for class := range p.errors {
		classes = append(classes, class)
	}
	sort.Strings(classes)
	var top uint64
	for _, class := range classes {
		if n := p.errors[class]; n > top {
			top, r.TopError = n, class
		}
	}
	return r
}

// readAll reads every replica of every gateway and sums by provider
// (namespace/name). A replica that cannot be read is skipped: its windows
// are gone with it or will be read next round.
func (c *availabilityCollector) readAll(ctx context.Context, gws []v1alpha1.AIGateway) map[types.NamespacedName]*providerSum {
	reports := readGateways(gws, c.log, "gateway replicas unknown; no availability reading",
		func(gw *v1alpha1.AIGateway) ([]*config.AvailabilityReport, error) {
			addrs, err := c.endpoints(ctx, gw)
			if err != nil {
				return nil, err
			}
			reps, errs := readReplicas(addrs, func(a string) (*config.AvailabilityReport, error) { return c.fetch(ctx, a) })
			for _, err := range errs {
				if err != nil {
					c.log.V(1).Info("availability of a replica unavailable", "gateway", client.ObjectKeyFromObject(gw), "error", err.Error())
				}
			}
			return reps, nil
		})
	out := map[types.NamespacedName]*providerSum{}
	for gw, reps := range reports {
		for _, rep := range reps {
			if rep == nil {
				continue // not read
			}
			for _, p := range rep.Providers {
				k := types.NamespacedName{Namespace: gw.Namespace, Name: p.Name}
				if out[k] == nil {
					out[k] = &providerSum{}
				}
				out[k].add(p)
			}
		}
	}
	return out
}

// fetch reads one replica's GET /availability.
func (c *availabilityCollector) fetch(ctx context.Context, addr string) (*config.AvailabilityReport, error) {
	select {
	case c.fetcher.sem <- struct{}{}:
		defer func() { <-c.fetcher.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var rep config.AvailabilityReport
	u := fmt.Sprintf("http://%s/availability?seconds=%d", addr, int(availabilitySpan/time.Second))
	if err := c.fetcher.getJSON(ctx, u, availabilityBodyLimit, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// newAvailabilityCollector builds the ModelProvider Available collector; it
// reads the replicas the usage collector reads, as often.
func newAvailabilityCollector(mgr ctrl.Manager, opts Options) *availabilityCollector {
	c := newUsageCollector(mgr, opts).collector
	c.log = mgr.GetLogger().WithName("availability")
	return &availabilityCollector{collector: c, state: map[types.NamespacedName]availabilityState{}}
}
