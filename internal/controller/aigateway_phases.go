package controller

import (
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// gatewayScope is what one reconcile of an AIGateway read and decided.
// The facts the status is computed from are embedded, written by the
// phases directly rather than copied at the end.
type gatewayScope struct {
	gatewayFacts
	before *v1alpha1.AIGateway

	providers []v1alpha1.ModelProvider
	consumers []v1alpha1.Consumer
	policies  []v1alpha1.TokenPolicy
	secrets   map[string]*corev1.Secret

	// crdMissing: a requested integration's CRD is not installed.
	crdMissing bool
	// dist is the compiled config as stored: a root, and consumer shards
	// when it is large.
	dist *config.Distribution
	// mcp holds the selected MCPServers and what they refer to.
	mcp compile.Input
}

// gatherMCP reads the MCPServers the gateway selects and their Secrets,
// ConfigMaps and documents.
func (r *AIGatewayReconciler) gatherMCP(ctx context.Context, s *gatewayScope) error {
	if s.gw.Spec.MCPServerSelector == nil {
		return nil
	}
	var list v1alpha1.MCPServerList
	if err := r.client.List(ctx, &list, client.InNamespace(s.gw.Namespace)); err != nil {
		return fmt.Errorf("listing MCPServers in %s: %w", s.gw.Namespace, err)
	}
	var selected []v1alpha1.MCPServer
	for i := range list.Items {
		if compile.MCPServerSelected(s.gw, &list.Items[i]) {
			selected = append(selected, list.Items[i])
		}
	}
	in, _, err := mcpInputs(ctx, r.api, s.gw.Namespace, selected)
	if err != nil {
		return err
	}
	for k, v := range in.Secrets {
		s.secrets[k] = v
	}
	s.mcp = in
	return nil
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

	// User Secrets first (kept from the last reconcile while their
	// resourceVersion holds); then generated keys from the cache.
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
	if err := r.caches.of(s.gw.UID).secrets.read(ctx, r.api, r.secretNames, ns, wanted, s.secrets); err != nil {
		return err
	}
	if err := r.gatherMCP(ctx, s); err != nil {
		return err
	}
	return keySecrets(ctx, r.client, ns, s.secrets)
}

// integrations finds which requested optional CRDs are installed.
func (r *AIGatewayReconciler) integrations(s *gatewayScope) error {
	for _, i := range integrations {
		if !i.requested(s.gw) {
			continue
		}
		ok, err := r.caps.available(i)
		if err != nil {
			return err
		}
		s.child(i).installed = ok
		s.crdMissing = s.crdMissing || !ok
	}
	return nil
}

// compile runs the pure compiler, told whether cert-manager is installed
// (without it a certificate it would issue cannot exist, so the gateway
// keeps serving plain HTTP), and serialises the config.
func (r *AIGatewayReconciler) compile(s *gatewayScope) error {
	cache := r.caches.of(s.gw.UID)
	s.result = compile.Compile(compile.Input{
		Gateway: s.gw, Providers: s.providers, Consumers: s.consumers, Policies: s.policies,
		Secrets: s.secrets, Now: r.now(), WithoutCertManager: !s.child(certManager).installed,
		MCPServers: s.mcp.MCPServers, ConfigMaps: s.mcp.ConfigMaps, Documents: s.mcp.Documents,
		Cache: cache.consumers,
	})
	s.problems = s.result.Problems
	s.tls = s.result.Config.Listener.TLS != nil
	dist, err := config.SplitCached(s.result.Config, s.result.ConsumerKeys, cache.shards)
	if err != nil {
		return fmt.Errorf("serialising the config of %s/%s: %w", s.gw.Namespace, s.gw.Name, err)
	}
	s.dist, s.hash = dist, dist.Hash()
	return nil
}

// applyCore applies the config (changed shards, the proxy's identity
// with a Role naming old and new shards, then the root), the Deployment
// and the Service, and the PodDisruptionBudget when wanted; then removes
// the shards the new root no longer names. An AIGateway whose own spec
// compile rejects keeps its last good config.
func (r *AIGatewayReconciler) applyCore(ctx context.Context, s *gatewayScope) error {
	if gatewayRejected(s.result.Problems, s.gw.Name) {
		return nil
	}
	gw := s.gw
	shards, err := r.applyShards(ctx, s)
	if err != nil {
		s.applyErr = err
		return err
	}
	dep := resources.Deployment(gw, r.settings, s.tls)
	objs := []client.Object{
		resources.ServiceAccount(gw),
		resources.Role(gw, shards.readable()),
		resources.RoleBinding(gw),
		resources.ConfigSecret(gw, s.dist.Root),
		dep,
		resources.Service(gw),
	}
	// Pods are never rolled to mount a TLS Secret that holds no
	// certificate yet: the running ones (if any) keep serving until it
	// does, and its arrival (watched by name) reconciles again.
	holdPods := s.tls && !tlsSecretReady(s.secrets[resources.TLSSecretName(gw)])
	if holdPods {
		objs = slices.DeleteFunc(objs, func(o client.Object) bool { return o == dep })
		if dep, err = r.runningDeployment(ctx, gw); err != nil {
			s.applyErr = err
			return err
		}
	}
	for _, obj := range objs {
		if err := r.apply(ctx, obj); err != nil {
			s.applyErr = err
			return err
		}
	}
	if err := r.pruneShards(ctx, s, shards); err != nil {
		s.applyErr = err
		return err
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

// reconcileIntegration applies the child the gateway asks of integration
// i when its CRD is installed, or deletes the one it no longer asks for,
// and records what happened for the status.
func (r *AIGatewayReconciler) reconcileIntegration(ctx context.Context, s *gatewayScope, i *integration) error {
	want := i.child(s.gw)
	if want == nil {
		return r.ensureNoChild(ctx, s.gw, i)
	}
	st := s.child(i)
	if !st.installed {
		return nil
	}
	if err := r.apply(ctx, want); err != nil {
		st.err = err
		return err
	}
	st.applied = want // the apply answer carries the child's status
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

// runningDeployment is the gateway's Deployment as it is, nil when there
// is none.
func (r *AIGatewayReconciler) runningDeployment(ctx context.Context, gw *v1alpha1.AIGateway) (*appsv1.Deployment, error) {
	var d appsv1.Deployment
	if err := r.client.Get(ctx, client.ObjectKeyFromObject(gw), &d); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading Deployment %s/%s: %w", gw.Namespace, gw.Name, err)
	}
	return &d, nil
}
