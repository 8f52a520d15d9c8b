package controller

import (
	"context"
	"fmt"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// gatewayScope is what one reconcile of an AIGateway read and decided.
type gatewayScope struct {
	gw, before *v1alpha1.AIGateway

	providers []v1alpha1.ModelProvider
	consumers []v1alpha1.Consumer
	policies  []v1alpha1.TokenPolicy
	secrets   map[string]*corev1.Secret

	// Which requested integrations have their CRD installed.
	certCRD, routeCRD, monitorCRD bool
	crdMissing                    bool

	result     compile.Result
	configJSON []byte
	hash       string
	// tls reports whether the proxy serves HTTPS with a mounted Secret.
	tls bool

	applyErr   error
	deployment *appsv1.Deployment
	cert       *cmv1.Certificate
	certErr    error
	route      *gwv1.HTTPRoute
	routeErr   error
	monitorErr error
}

// gather reads the namespace's providers, consumers and policies from the
// cache and the Secrets they refer to.
func (r *AIGatewayReconciler) gather(ctx context.Context, s *gatewayScope) error {
	ns := s.gw.Namespace
	var mps v1alpha1.ModelProviderList
	var css v1alpha1.ConsumerList
	var tps v1alpha1.TokenPolicyList
	for _, l := range []client.ObjectList{&mps, &css, &tps} {
		if err := r.client.List(ctx, l, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("listing %T in %s: %w", l, ns, err)
		}
	}
	s.providers, s.consumers, s.policies = mps.Items, css.Items, tps.Items

	// User Secrets first, uncached; then generated keys from the cache.
	var wanted []string
	sel, selErr := metav1.LabelSelectorAsSelector(s.gw.Spec.ProviderSelector)
	for i := range s.providers {
		if s.gw.Spec.ProviderSelector == nil || (selErr == nil && sel.Matches(labels.Set(s.providers[i].Labels))) {
			wanted = append(wanted, providerSecrets(&s.providers[i])...)
		}
	}
	for i := range s.consumers {
		if compile.Targets(&s.consumers[i], s.gw) {
			wanted = append(wanted, consumerSecrets(&s.consumers[i])...)
		}
	}
	wanted = append(wanted, gatewaySecrets(s.gw)...)
	s.secrets = map[string]*corev1.Secret{}
	if err := readSecrets(ctx, r.api, ns, wanted, s.secrets); err != nil {
		return err
	}
	return keySecrets(ctx, r.client, ns, s.secrets)
}

// integrations finds which requested optional CRDs are installed.
func (r *AIGatewayReconciler) integrations(s *gatewayScope) error {
	for _, it := range []struct {
		i   *integration
		out *bool
	}{{certManager, &s.certCRD}, {gatewayAPI, &s.routeCRD}, {serviceMonitors, &s.monitorCRD}} {
		if !it.i.requested(s.gw) {
			continue
		}
		ok, err := r.caps.available(it.i)
		if err != nil {
			return err
		}
		*it.out = ok
		s.crdMissing = s.crdMissing || !ok
	}
	return nil
}

// compile runs the pure compiler, told whether cert-manager is installed
// (without it a certificate it would issue cannot exist, so the gateway
// keeps serving plain HTTP), and serialises the config.
func (r *AIGatewayReconciler) compile(s *gatewayScope) error {
	s.result = compile.Compile(compile.Input{
		Gateway: s.gw, Providers: s.providers, Consumers: s.consumers, Policies: s.policies,
		Secrets: s.secrets, Now: r.now(), WithoutCertManager: !s.certCRD,
	})
	s.tls = s.result.Config.Listener.TLS != nil
	data, err := config.Marshal(s.result.Config)
	if err != nil {
		return fmt.Errorf("serialising the config of %s/%s: %w", s.gw.Namespace, s.gw.Name, err)
	}
	s.configJSON, s.hash = data, config.Hash(data)
	return nil
}

// applyCore applies the config Secret, the proxy's identity, the
// Deployment and the Service, and the PodDisruptionBudget when wanted. An
// AIGateway whose own spec compile rejects keeps its last good config.
func (r *AIGatewayReconciler) applyCore(ctx context.Context, s *gatewayScope) error {
	if gatewayRejected(s.result.Problems, s.gw.Name) {
		return nil
	}
	gw := s.gw
	dep := resources.Deployment(gw, r.settings, s.tls)
	for _, obj := range []client.Object{
		resources.ConfigSecret(gw, s.configJSON),
		resources.ServiceAccount(gw),
		resources.Role(gw),
		resources.RoleBinding(gw),
		dep,
		resources.Service(gw),
	} {
		if err := r.apply(ctx, obj); err != nil {
			s.applyErr = err
			return err
		}
	}
	s.deployment = dep // the apply answer carries the Deployment's status
	if pdb := resources.PodDisruptionBudget(gw); pdb != nil {
		if err := r.apply(ctx, pdb); err != nil {
			s.applyErr = err
			return err
		}
	} else if err := r.deleteIfOwned(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: gw.Namespace, Name: gw.Name}}, gw); err != nil {
		s.applyErr = err
		return err
	}
	return nil
}

func (r *AIGatewayReconciler) reconcileCertificate(ctx context.Context, s *gatewayScope) error {
	want := resources.Certificate(s.gw)
	if want == nil {
		return r.ensureNoChild(ctx, s.gw, certManager)
	}
	if !s.certCRD {
		return nil
	}
	if err := r.apply(ctx, want); err != nil {
		s.certErr = err
		return err
	}
	s.cert = want
	return nil
}

func (r *AIGatewayReconciler) reconcileServiceMonitor(ctx context.Context, s *gatewayScope) error {
	want := resources.ServiceMonitor(s.gw)
	if want == nil {
		return r.ensureNoChild(ctx, s.gw, serviceMonitors)
	}
	if !s.monitorCRD {
		return nil
	}
	if err := r.apply(ctx, want); err != nil {
		s.monitorErr = err
		return err
	}
	return nil
}

func (r *AIGatewayReconciler) reconcileHTTPRoute(ctx context.Context, s *gatewayScope) error {
	want := resources.HTTPRoute(s.gw)
	if want == nil {
		return r.ensureNoChild(ctx, s.gw, gatewayAPI)
	}
	if !s.routeCRD {
		return nil
	}
	if err := r.apply(ctx, want); err != nil {
		s.routeErr = err
		return err
	}
	s.route = want
	return nil
}

// gatewayRejected reports whether compile found the AIGateway's own spec
// unusable (Accepted=False).
func gatewayRejected(problems []compile.Problem, name string) bool {
	for _, p := range problems {
		if p.Kind == v1alpha1.KindAIGateway && p.Name == name && p.Condition == v1alpha1.ConditionAccepted {
			return true
		}
	}
	return false
}
