package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/conditions"
)

// ModelProviderReconciler reports whether a ModelProvider's credentials
// resolve and how many models it lists.
type ModelProviderReconciler struct {
	base
}

func (r *ModelProviderReconciler) setup(mgr ctrl.Manager, secretMeta *secretMetaCache) error {
	err := ctrl.NewControllerManagedBy(mgr).
		Named("modelprovider").
		For(&v1alpha1.ModelProvider{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(secretMeta.source(func(ctx context.Context, ns, name string) []reconcile.Request {
			var list v1alpha1.ModelProviderList
			if err := r.client.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{indexSecretRefs: name}); err != nil {
				return nil
			}
			out := make([]reconcile.Request, 0, len(list.Items))
			for i := range list.Items {
				out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
			}
			return out
		})).
		Complete(r)
	if err != nil {
		return fmt.Errorf("setting up the ModelProvider controller: %w", err)
	}
	return nil
}

// Reconcile: get → read its Secrets → compile it alone → status.
func (r *ModelProviderReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	mp := &v1alpha1.ModelProvider{}
	if err := r.client.Get(ctx, req.NamespacedName, mp); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !mp.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	before := mp.DeepCopy()
	secrets := map[string]*corev1.Secret{}
	if err := readSecrets(ctx, r.api, mp.Namespace, providerSecrets(mp), secrets); err != nil {
		return ctrl.Result{}, err
	}
	res := compile.Compile(compile.Input{
		Gateway:   &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Namespace: mp.Namespace}},
		Providers: []v1alpha1.ModelProvider{*mp}, Secrets: secrets, Now: r.now(),
	})
	var problems []compile.Problem
	for _, p := range res.Problems {
		if p.Kind == "ModelProvider" && p.Name == mp.Name {
			problems = append(problems, p)
		}
	}
	setProviderStatus(&mp.Status, mp, problems, r.now())
	return ctrl.Result{}, r.writeStatus(ctx, before, mp, before.Status, mp.Status, before.Status.Conditions, mp.Status.Conditions)
}

// setProviderStatus writes a ModelProvider's conditions and model count.
func setProviderStatus(st *v1alpha1.ModelProviderStatus, mp *v1alpha1.ModelProvider, problems []compile.Problem, now time.Time) {
	gen := mp.Generation
	st.ObservedGeneration = gen
	st.Models = int32(len(mp.Spec.Models))
	accepted := fromProblems(problems, v1alpha1.ConditionAccepted, v1alpha1.ReasonAccepted, "The ModelProvider is valid.")
	refs := fromProblems(problems, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonResolvedRefs, "The provider's credentials resolved.")
	ready := readyFrom(fmt.Sprintf("The provider serves %d models.", len(mp.Spec.Models)), accepted, refs)
	if ready.Status == metav1.ConditionTrue && len(mp.Spec.Models) == 0 {
		ready = conditions.False(v1alpha1.ConditionReady, v1alpha1.ReasonInvalid,
			"The provider lists no models; add spec.models so gateways can route to it.")
	}
	for _, c := range []conditions.Condition{accepted, refs, ready} {
		conditions.Set(&st.Conditions, gen, c, now)
	}
}
