package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// AIGatewayReconciler compiles an AIGateway with its namespace's
// providers, consumers and policies, and keeps its children applied.
type AIGatewayReconciler struct {
	base
	settings resources.Settings
	caps     *capabilities
	recheck  time.Duration
	findings *consumerFindings
	caches   compileCaches
	// secretNames is the name-only Secret watch: by its resourceVersions
	// a reconcile knows which kept user Secrets are current.
	secretNames client.Reader
}

func (r *AIGatewayReconciler) setup(mgr ctrl.Manager, secretMeta *secretMetaCache) error {
	r.secretNames = secretMeta
	ctl, err := ctrl.NewControllerManagedBy(mgr).
		Named("aigateway").
		For(&v1alpha1.AIGateway{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&corev1.Secret{}).
		Owns(&corev1.ServiceAccount{}).
		Owns(&rbacv1.Role{}).
		Owns(&rbacv1.RoleBinding{}).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Service{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Watches(&v1alpha1.ModelProvider{}, handler.EnqueueRequestsFromMapFunc(r.namespaceGateways)).
		Watches(&v1alpha1.TokenPolicy{}, handler.EnqueueRequestsFromMapFunc(r.namespaceGateways)).
		// MCPServers: the gateways selecting one, before and after a
		// label change (status is not compiled: spec and labels only).
		Watches(&v1alpha1.MCPServer{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return gatewaysIn(ctx, r.client, o.GetNamespace(), func(gw *v1alpha1.AIGateway) bool {
				return compile.MCPServerSelected(gw, o.(*v1alpha1.MCPServer))
			})
		}), builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		// Consumer status (usage, conditions) is not compiled: spec only.
		Watches(&v1alpha1.Consumer{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return gatewaysIn(ctx, r.client, o.GetNamespace(), targets(o.(*v1alpha1.Consumer)))
		}), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// Generated consumer key Secrets (the cache holds only ours).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			if o.GetLabels()[resources.LabelConsumer] == "" {
				return nil
			}
			return r.namespaceGateways(ctx, o)
		})).
		// Secrets users bring, by name.
		WatchesRawSource(secretMeta.source(func(ctx context.Context, ns, name string) []reconcile.Request {
			if !secretReferenced(ctx, r.client, ns, name) {
				return nil
			}
			return gatewaysIn(ctx, r.client, ns, nil)
		})).
		// Optional CRDs appearing (metadata only, by name).
		WatchesMetadata(&apiextensionsv1.CustomResourceDefinition{}, handler.EnqueueRequestsFromMapFunc(r.crdGateways),
			builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool { return integrationByCRD(o.GetName()) != nil }))).
		Build(r)
	if err != nil {
		return fmt.Errorf("setting up the AIGateway controller: %w", err)
	}
	r.caps.onFound = func(i *integration) error {
		return ctl.Watch(source.Kind(mgr.GetCache(), i.object(), handler.EnqueueRequestForOwner(
			mgr.GetScheme(), mgr.GetRESTMapper(), &v1alpha1.AIGateway{}, handler.OnlyControllerOwner())))
	}
	return nil
}

func (r *AIGatewayReconciler) namespaceGateways(ctx context.Context, o client.Object) []reconcile.Request {
	return gatewaysIn(ctx, r.client, o.GetNamespace(), nil)
}

// crdGateways maps an optional CRD's event to the gateways asking for it.
func (r *AIGatewayReconciler) crdGateways(ctx context.Context, o client.Object) []reconcile.Request {
	i := integrationByCRD(o.GetName())
	if i == nil {
		return nil
	}
	r.caps.invalidate(i)
	var list v1alpha1.AIGatewayList
	if err := r.client.List(ctx, &list); err != nil {
		return nil
	}
	var out []reconcile.Request
	for k := range list.Items {
		if i.requested(&list.Items[k]) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[k])})
		}
	}
	return out
}

// Reconcile: get → gather → compile → apply → status.
func (r *AIGatewayReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	gw := &v1alpha1.AIGateway{}
	if err := r.client.Get(ctx, req.NamespacedName, gw); err != nil {
		if apierrors.IsNotFound(err) {
			r.findings.record(ctx, req.NamespacedName, nil)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !gw.DeletionTimestamp.IsZero() {
		r.findings.record(ctx, req.NamespacedName, nil)
		r.caches.forget(gw.UID)
		return ctrl.Result{}, nil // children go with it (owner references)
	}
	s := &gatewayScope{gatewayFacts: gatewayFacts{gw: gw}, before: gw.DeepCopy()}
	if err := r.gather(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.integrations(s); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.compile(s); err != nil {
		return ctrl.Result{}, err
	}
	r.findings.record(ctx, req.NamespacedName, s.result.Problems)
	var errs []error
	if err := r.applyCore(ctx, s); err != nil {
		errs = append(errs, err)
	}
	for _, i := range integrations {
		if err := r.reconcileIntegration(ctx, s, i); err != nil {
			errs = append(errs, err)
		}
	}
	setGatewayStatus(&gw.Status, s.facts(), r.now())
	if err := r.writeStatus(ctx, s.before, gw, s.before.Status, gw.Status, s.before.Status.Conditions, gw.Status.Conditions); err != nil {
		errs = append(errs, err)
	}
	if s.crdMissing {
		// Besides the CRD watch, look again now and then; soon when a CRD
		// was just created and discovery may not serve it yet.
		after := r.recheck
		if r.caps.settling() {
			after = min(after, 2*time.Second)
		}
		return ctrl.Result{RequeueAfter: after}, errors.Join(errs...)
	}
	return ctrl.Result{}, errors.Join(errs...)
}
