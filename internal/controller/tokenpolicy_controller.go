package controller

import (
	"context"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/conditions"
)

// TokenPolicyReconciler reports whether a TokenPolicy is valid and how
// many Consumers refer to it.
type TokenPolicyReconciler struct {
	base
}

func (r *TokenPolicyReconciler) setup(mgr ctrl.Manager) error {
	err := ctrl.NewControllerManagedBy(mgr).
		Named("tokenpolicy").
		For(&v1alpha1.TokenPolicy{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// Update events map both the old and the new object, so a policy a
		// consumer stops naming is recounted too.
		Watches(&v1alpha1.Consumer{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			cs := o.(*v1alpha1.Consumer)
			out := make([]reconcile.Request, 0, len(cs.Spec.TokenPolicies))
			for _, p := range cs.Spec.TokenPolicies {
				out = append(out, reconcile.Request{NamespacedName: client.ObjectKey{Namespace: cs.Namespace, Name: string(p)}})
			}
			return out
		}), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
	if err != nil {
		return fmt.Errorf("setting up the TokenPolicy controller: %w", err)
	}
	return nil
}

// Reconcile: get → compile it alone → count its consumers → status.
func (r *TokenPolicyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	tp := &v1alpha1.TokenPolicy{}
	if ok, err := r.live(ctx, req.NamespacedName, tp); !ok {
		return ctrl.Result{}, err
	}
	before := tp.DeepCopy()
	var users v1alpha1.ConsumerList
	if err := r.client.List(ctx, &users, client.InNamespace(tp.Namespace), client.MatchingFields{indexPolicies: tp.Name}); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing consumers of TokenPolicy %s: %w", tp.Name, err)
	}
	problems := r.compileAlone(compile.Input{Policies: []v1alpha1.TokenPolicy{*tp}}, v1alpha1.KindTokenPolicy, tp)
	setPolicyStatus(&tp.Status, tp, problems, len(users.Items), r.now())
	return ctrl.Result{}, r.writeStatus(ctx, before, tp, before.Status, tp.Status, before.Status.Conditions, tp.Status.Conditions)
}

func setPolicyStatus(st *v1alpha1.TokenPolicyStatus, tp *v1alpha1.TokenPolicy, problems []compile.Problem, consumers int, now time.Time) {
	st.ObservedGeneration = tp.Generation
	st.Consumers = int32(consumers)
	conditions.Set(&st.Conditions, tp.Generation,
		fromProblems(problems, v1alpha1.ConditionAccepted, v1alpha1.ReasonAccepted, "The TokenPolicy is valid."), now)
}
