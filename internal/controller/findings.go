package controller

import (
	"context"
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
)

// consumerFindings carries what compiling a whole gateway finds about a
// Consumer that compiling the Consumer alone cannot: that its key is one
// another Consumer of the gateway already uses. The AIGateway reconciler
// records each gateway's findings; the Consumer reconciler reads them into
// Accepted, woken through events for the Consumers whose findings changed.
// The same way carries an identity match that another Consumer of the
// gateway wins, into IdentitiesUnique.
// Every gateway is reconciled when the operator starts, so the findings
// are rebuilt after a restart.
type consumerFindings struct {
	mu sync.Mutex
	// byGateway maps a gateway to consumer name → Accepted and
	// IdentitiesUnique problems.
	byGateway map[types.NamespacedName]map[string][]compile.Problem
	events    chan event.GenericEvent
}

func newConsumerFindings() *consumerFindings {
	return &consumerFindings{
		byGateway: map[types.NamespacedName]map[string][]compile.Problem{},
		events:    make(chan event.GenericEvent, 1024),
	}
}

// record replaces gateway gw's findings with the Consumer problems of
// Accepted and IdentitiesUnique among problems, and wakes the Consumers whose findings changed.
func (f *consumerFindings) record(ctx context.Context, gw types.NamespacedName, problems []compile.Problem) {
	now := map[string][]compile.Problem{}
	for _, p := range problems {
		if p.Kind == v1alpha1.KindConsumer && (p.Condition == v1alpha1.ConditionAccepted || p.Condition == v1alpha1.ConditionIdentitiesUnique) {
			now[p.Name] = append(now[p.Name], p)
		}
	}
	f.mu.Lock()
	old := f.byGateway[gw]
	if len(now) == 0 {
		delete(f.byGateway, gw)
	} else {
		f.byGateway[gw] = now
	}
	f.mu.Unlock()
	var changed []string
	for name, ps := range now {
		if !slices.Equal(ps, old[name]) {
			changed = append(changed, name)
		}
	}
	for name := range old {
		if _, still := now[name]; !still {
			changed = append(changed, name)
		}
	}
	for _, name := range changed {
		cs := &v1alpha1.Consumer{ObjectMeta: metav1.ObjectMeta{Namespace: gw.Namespace, Name: name}}
		select {
		case f.events <- event.GenericEvent{Object: cs}:
		case <-ctx.Done():
			return
		}
	}
}

// problems returns what the gateways of ns found about Consumer name.
func (f *consumerFindings) problems(ns, name string) []compile.Problem {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []compile.Problem
	for gw, byConsumer := range f.byGateway {
		if gw.Namespace == ns {
			out = append(out, byConsumer[name]...)
		}
	}
	// Map order must not reorder the condition message between passes.
	slices.SortFunc(out, func(a, b compile.Problem) int {
		switch {
		case a.Message < b.Message:
			return -1
		case a.Message > b.Message:
			return 1
		}
		return 0
	})
	return out
}
