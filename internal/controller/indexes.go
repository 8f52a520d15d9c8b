package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// Field indexes on the cached custom resources, so a change of one object
// finds the objects that refer to it without listing everything.
const (
	// indexSecretRefs: names of Secrets (not operator-owned) an object reads.
	indexSecretRefs = "tollgate.secretRefs"
	// indexPolicies: TokenPolicy names in a Consumer's spec.tokenPolicies.
	indexPolicies = "tollgate.spec.tokenPolicies"
	// indexGateways: AIGateway names in a Consumer's spec.gateways.
	indexGateways = "tollgate.spec.gateways"
)

func addIndexes(mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	ctx := context.Background()
	for _, i := range []struct {
		obj   client.Object
		field string
		fn    client.IndexerFunc
	}{
		{&v1alpha1.ModelProvider{}, indexSecretRefs, func(o client.Object) []string { return providerSecrets(o.(*v1alpha1.ModelProvider)) }},
		{&v1alpha1.Consumer{}, indexSecretRefs, func(o client.Object) []string { return consumerSecrets(o.(*v1alpha1.Consumer)) }},
		{&v1alpha1.AIGateway{}, indexSecretRefs, func(o client.Object) []string { return gatewaySecrets(o.(*v1alpha1.AIGateway)) }},
		{&v1alpha1.MCPServer{}, indexSecretRefs, func(o client.Object) []string { return mcpServerSecrets(o.(*v1alpha1.MCPServer)) }},
		{&v1alpha1.Consumer{}, indexPolicies, func(o client.Object) []string {
			return names(o.(*v1alpha1.Consumer).Spec.TokenPolicies)
		}},
		{&v1alpha1.Consumer{}, indexGateways, func(o client.Object) []string {
			return names(o.(*v1alpha1.Consumer).Spec.Gateways)
		}},
	} {
		if err := idx.IndexField(ctx, i.obj, i.field, i.fn); err != nil {
			return fmt.Errorf("indexing %T by %s: %w", i.obj, i.field, err)
		}
	}
	return nil
}

func names(in []v1alpha1.ObjectName) []string {
	out := make([]string, 0, len(in))
	for _, n := range in {
		out = append(out, string(n))
	}
	return out
}

// providerSecrets are the Secrets a ModelProvider reads.
func providerSecrets(mp *v1alpha1.ModelProvider) []string {
	var out []string
	if c := mp.Spec.Credentials; c != nil {
		out = append(out, string(c.SecretRef.Name))
	}
	if b := mp.Spec.Bedrock; b != nil && b.SecretRef != nil {
		out = append(out, string(b.SecretRef.Name))
	}
	return out
}

// consumerSecrets is a Consumer's own key Secret (secretRef) and its own
// vendor keys' (byok). A generated key Secret is owned by the operator and
// watched through the cache.
func consumerSecrets(cs *v1alpha1.Consumer) []string {
	var out []string
	if r := cs.Spec.Credentials.SecretRef; r != nil {
		out = append(out, string(r.Name))
	}
	for _, k := range cs.Spec.BYOK {
		out = append(out, string(k.SecretRef.Name))
	}
	return out
}

// gatewaySecrets are the Secrets an AIGateway itself reads: Redis
// credentials, the console admin key, a TLS Secret brought by the user and
// the tracing headers and CA.
func gatewaySecrets(gw *v1alpha1.AIGateway) []string {
	var out []string
	if l := gw.Spec.Limits; l != nil && l.Store != nil && l.Store.Redis != nil && l.Store.Redis.SecretRef != nil {
		out = append(out, string(l.Store.Redis.SecretRef.Name))
	}
	if c := gw.Spec.Console; c != nil && c.AdminKeySecretRef != nil {
		out = append(out, string(c.AdminKeySecretRef.Name))
	}
	// The serving certificate, brought by the user or written by
	// cert-manager: its arrival is what lets the pods mount it.
	if resources.TLSEnabled(gw) {
		out = append(out, resources.TLSSecretName(gw))
	}
	if t := gw.Spec.Telemetry; t != nil && t.Tracing != nil {
		if r := t.Tracing.HeadersSecretRef; r != nil {
			out = append(out, string(r.Name))
		}
		if tls := t.Tracing.TLS; tls != nil {
			out = append(out, string(tls.CASecretRef.Name))
		}
	}
	return out
}

// indexed enqueues the objects of list's kind in ns whose field index
// holds value (list is filled by the List).
func indexed(ctx context.Context, c client.Reader, list client.ObjectList, ns, index, value string) []reconcile.Request {
	if err := c.List(ctx, list, client.InNamespace(ns), client.MatchingFields{index: value}); err != nil {
		// A cache list cannot fail once synced; requeueing is not possible
		// from a map function, and the periodic resync covers it.
		return nil
	}
	out := make([]reconcile.Request, 0, meta.LenList(list))
	_ = meta.EachListItem(list, func(o runtime.Object) error {
		if obj, ok := o.(client.Object); ok {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
		}
		return nil
	})
	return out
}

// gatewaysIn enqueues every AIGateway of a namespace (accepting filter).
func gatewaysIn(ctx context.Context, c client.Reader, ns string, filter func(*v1alpha1.AIGateway) bool) []reconcile.Request {
	var list v1alpha1.AIGatewayList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		// A cache list cannot fail once synced; requeueing is not possible
		// from a map function, and the periodic resync covers it.
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		if filter == nil || filter(&list.Items[i]) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// secretReferenced reports whether any Tollgate object of ns reads Secret
// name (an index lookup on each kind).
func secretReferenced(ctx context.Context, c client.Reader, ns, name string) bool {
	for _, l := range []client.ObjectList{&v1alpha1.ModelProviderList{}, &v1alpha1.ConsumerList{}, &v1alpha1.AIGatewayList{}, &v1alpha1.MCPServerList{}} {
		if err := c.List(ctx, l, client.InNamespace(ns), client.MatchingFields{indexSecretRefs: name}, client.Limit(1)); err == nil {
			if meta.LenList(l) > 0 {
				return true
			}
		}
	}
	return false
}

// targets is compile.Targets as a filter.
func targets(cs *v1alpha1.Consumer) func(*v1alpha1.AIGateway) bool {
	return func(gw *v1alpha1.AIGateway) bool { return compile.Targets(cs, gw) }
}
