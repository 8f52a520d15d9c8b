package controller

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

// ConsumerReconciler keeps a Consumer's key (generating and rotating it
// when asked) and reports whether its references resolve.
type ConsumerReconciler struct {
	base
	findings *consumerFindings
}

// consumerWorkers is how many Consumers are reconciled at once. One at a
// time, the first status of 4,000 new Consumers took about a minute here
// (one status write's round trip each); a gateway's 100,000 would take
// over 20 minutes. Different Consumers share nothing but the findings
// (locked), and controller-runtime never hands one Consumer to two
// workers.
const consumerWorkers = 4

func (r *ConsumerReconciler) setup(mgr ctrl.Manager, secretMeta *secretMetaCache) error {
	err := ctrl.NewControllerManagedBy(mgr).
		Named("consumer").
		WithOptions(controller.Options{MaxConcurrentReconciles: consumerWorkers}).
		For(&v1alpha1.Consumer{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&corev1.Secret{}).
		Watches(&v1alpha1.TokenPolicy{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return r.consumersBy(ctx, o.GetNamespace(), indexPolicies, o.GetName())
		})).
		Watches(&v1alpha1.AIGateway{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return r.consumersBy(ctx, o.GetNamespace(), indexGateways, o.GetName())
		}), builder.WithPredicates(predicate.Funcs{
			// Only a gateway appearing or going changes GatewayNotFound.
			UpdateFunc: func(event.UpdateEvent) bool { return false },
		})).
		WatchesRawSource(secretMeta.source(func(ctx context.Context, ns, name string) []reconcile.Request {
			return r.consumersBy(ctx, ns, indexSecretRefs, name)
		})).
		// What gateway compiles found about a Consumer (a duplicate key).
		WatchesRawSource(source.Channel(r.findings.events, &handler.EnqueueRequestForObject{})).
		Complete(r)
	if err != nil {
		return fmt.Errorf("setting up the Consumer controller: %w", err)
	}
	return nil
}

func (r *ConsumerReconciler) consumersBy(ctx context.Context, ns, index, value string) []reconcile.Request {
	return indexed(ctx, r.client, &v1alpha1.ConsumerList{}, ns, index, value)
}

// Reconcile: get → key → resolve → status.
func (r *ConsumerReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cs := &v1alpha1.Consumer{}
	if ok, err := r.live(ctx, req.NamespacedName, cs); !ok {
		return ctrl.Result{}, err
	}
	s := &consumerScope{cs: cs, before: cs.DeepCopy()}
	var errs []error
	if err := r.ensureKey(ctx, s); err != nil {
		errs = append(errs, err)
	}
	if err := r.resolve(ctx, s); err != nil {
		errs = append(errs, err)
	}
	setConsumerStatus(&cs.Status, s.facts(), r.now())
	if err := r.writeStatus(ctx, s.before, cs, s.before.Status, cs.Status, s.before.Status.Conditions, cs.Status.Conditions); err != nil {
		errs = append(errs, err)
	}
	var res ctrl.Result
	if k := s.key; k != nil && k.Previous != "" {
		// Drop the previous key from the Secret once it expires.
		res.RequeueAfter = max(k.PreviousExpiresAt.Sub(r.now()), 0) + timeSlack
	}
	return res, errors.Join(errs...)
}
