package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
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
	// discoveryInterval is how often discovered models are refreshed.
	discoveryInterval time.Duration
	// discover lists a vendor's models (discoverModels; tests may swap it).
	discover func(ctx context.Context, mp *v1alpha1.ModelProvider, key string) ([]string, error)
}

// discoveryRetry is how soon a failed discovery is tried again.
const discoveryRetry = time.Minute

func (r *ModelProviderReconciler) setup(mgr ctrl.Manager, secretMeta *secretMetaCache) error {
	err := ctrl.NewControllerManagedBy(mgr).
		Named("modelprovider").
		For(&v1alpha1.ModelProvider{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(secretMeta.source(func(ctx context.Context, ns, name string) []reconcile.Request {
			return indexed(ctx, r.client, &v1alpha1.ModelProviderList{}, ns, indexSecretRefs, name)
		})).
		Complete(r)
	if err != nil {
		return fmt.Errorf("setting up the ModelProvider controller: %w", err)
	}
	return nil
}

// Reconcile: get → read its Secrets → compile it alone → discover → status.
func (r *ModelProviderReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	mp := &v1alpha1.ModelProvider{}
	if ok, err := r.live(ctx, req.NamespacedName, mp); !ok {
		return ctrl.Result{}, err
	}
	before := mp.DeepCopy()
	secrets := map[string]*corev1.Secret{}
	if err := readSecrets(ctx, r.api, mp.Namespace, providerSecrets(mp), secrets); err != nil {
		return ctrl.Result{}, err
	}
	problems := r.compileAlone(compile.Input{Providers: []v1alpha1.ModelProvider{*mp}, Secrets: secrets}, v1alpha1.KindModelProvider, mp)
	var res ctrl.Result
	var discoveryErr error
	switch d := mp.Spec.Discovery; {
	case d == nil || !d.Enabled:
		mp.Status.DiscoveredModels = nil
	case len(problems) == 0 && discoverySupported(mp.Spec.Type):
		found, err := r.discover(ctx, mp, providerKey(mp, secrets))
		if err != nil {
			// The vendor's answer is reported in Ready, not retried with
			// backoff: the last list keeps serving meanwhile.
			discoveryErr = err
			res.RequeueAfter = min(discoveryRetry, r.discoveryInterval)
			break
		}
		mp.Status.DiscoveredModels = make([]v1alpha1.ModelName, 0, len(found))
		for _, n := range found {
			mp.Status.DiscoveredModels = append(mp.Status.DiscoveredModels, v1alpha1.ModelName(n))
		}
		res.RequeueAfter = r.discoveryInterval
	}
	setProviderStatus(&mp.Status, mp, problems, discoveryErr, r.now())
	return res, r.writeStatus(ctx, before, mp, before.Status, mp.Status, before.Status.Conditions, mp.Status.Conditions)
}

// providerKey is the vendor key of mp from secrets, empty when it has none.
func providerKey(mp *v1alpha1.ModelProvider, secrets map[string]*corev1.Secret) string {
	c := mp.Spec.Credentials
	if c == nil {
		return ""
	}
	s := secrets[string(c.SecretRef.Name)]
	if s == nil {
		return ""
	}
	return string(s.Data[compile.DataKey(&c.SecretRef)])
}

// setProviderStatus writes a ModelProvider's conditions and model count.
// mp.Status.DiscoveredModels is already set; discoveryErr is why the last
// discovery failed, if it did.
func setProviderStatus(st *v1alpha1.ModelProviderStatus, mp *v1alpha1.ModelProvider, problems []compile.Problem, discoveryErr error, now time.Time) {
	gen := mp.Generation
	st.ObservedGeneration = gen
	discovered := len(compile.Discovered(mp))
	total := len(mp.Spec.Models) + discovered
	st.Models = int32(total)
	accepted := fromProblems(problems, v1alpha1.ConditionAccepted, v1alpha1.ReasonAccepted, "The ModelProvider is valid.")
	refs := fromProblems(problems, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonResolvedRefs, "The provider's credentials resolved.")
	msg := fmt.Sprintf("The provider serves %d models.", total)
	if d := mp.Spec.Discovery; d != nil && d.Enabled {
		msg = fmt.Sprintf("The provider serves %d models, %d of them discovered.", total, discovered)
	}
	ready := readyFrom(msg, accepted, refs)
	switch {
	case ready.Status != metav1.ConditionTrue:
	case discoveryErr != nil:
		ready = conditions.False(v1alpha1.ConditionReady, v1alpha1.ReasonDiscoveryFailed, fmt.Sprintf(
			"Listing the vendor's models failed: %v. The last list (%d discovered models) keeps serving; discovery is retried shortly. Check spec.endpoint, the credential and the network path to the vendor.",
			discoveryErr, len(mp.Status.DiscoveredModels)))
	case total == 0:
		ready = conditions.False(v1alpha1.ConditionReady, v1alpha1.ReasonInvalid,
			"The provider lists no models; add spec.models (or enable spec.discovery) so gateways can route to it.")
	}
	for _, c := range []conditions.Condition{accepted, refs, ready} {
		conditions.Set(&st.Conditions, gen, c, now)
	}
}
