package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/tollgate-dev/tollgate/internal/resources"
)

// How Secrets are read (TESTING row 8: the Secret cache is limited).
//
//   - The manager's cache holds only Secrets labelled
//     app.kubernetes.io/managed-by=tollgate: gateway config Secrets and
//     generated consumer keys. They are read from the cache.
//   - Secrets users bring (vendor keys, their own consumer keys, Redis
//     credentials, console admin keys, TLS) carry no label of ours, so no
//     informer holds them. They are read from the API server (a GET each,
//     or a paged List of the namespace when many are wanted) when an
//     object that refers to them is reconciled. The AIGateway reconciler
//     keeps the ones its gateway refers to between reconciles
//     (keptSecrets) and reads again only those whose resourceVersion in
//     the name-only watch moved: at 100,000 Consumers bringing their keys,
//     a one-Consumer change reads one Secret instead of listing 100,000.
//     A Secret nothing refers to is never held.
//   - To notice such a Secret appear, change or go, a second cache watches
//     Secrets as metadata only, stripped to namespace and name by a
//     transform (no data, no annotations — kubectl's last-applied annotation
//     would otherwise hold the data). An event is mapped through the field
//     indexes to the objects that refer to the name.

// SecretCacheSelector is the label selector of the manager's Secret cache.
func SecretCacheSelector() map[string]string {
	return map[string]string{resources.LabelManagedBy: resources.ManagedBy}
}

// secretMetaCache is the name-only Secret watch.
type secretMetaCache struct{ cache.Cache }

func newSecretMetaCache(mgr ctrl.Manager, namespaces []string) (*secretMetaCache, error) {
	opts := cache.Options{
		HTTPClient:       mgr.GetHTTPClient(),
		Scheme:           mgr.GetScheme(),
		Mapper:           mgr.GetRESTMapper(),
		DefaultTransform: stripToName,
	}
	if len(namespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	c, err := cache.New(mgr.GetConfig(), opts)
	if err != nil {
		return nil, fmt.Errorf("creating the Secret metadata cache: %w", err)
	}
	if err := mgr.Add(c); err != nil {
		return nil, fmt.Errorf("adding the Secret metadata cache: %w", err)
	}
	return &secretMetaCache{c}, nil
}

func secretMetaObject() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	return m
}

// stripToName keeps only what mapping an event needs.
func stripToName(in any) (any, error) {
	m, ok := in.(*metav1.PartialObjectMetadata)
	if !ok {
		return in, nil
	}
	out := &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta}
	out.Name, out.Namespace, out.UID, out.ResourceVersion = m.Name, m.Namespace, m.UID, m.ResourceVersion
	return out, nil
}

// source returns a watch on Secrets' names mapped by fn.
func (s *secretMetaCache) source(fn func(ctx context.Context, ns, name string) []reconcile.Request) source.Source {
	return source.Kind(s.Cache, secretMetaObject(), handler.TypedEnqueueRequestsFromMapFunc(
		func(ctx context.Context, m *metav1.PartialObjectMetadata) []reconcile.Request {
			return fn(ctx, m.Namespace, m.Name)
		}))
}

// listSecretsAbove is the number of wanted user Secrets from which they
// are read with a paged List of the namespace instead of one GET each: a
// gateway of 10,000 Consumers bringing their keys is then 20 reads, not
// 10,000.
const listSecretsAbove = 64

// secretsPage is the page size of that List.
const secretsPage = 500

// readSecrets reads the named user Secrets of ns straight from the API
// server. A missing Secret is left out of the map (compile reports it).
func readSecrets(ctx context.Context, api client.Reader, ns string, names []string, into map[string]*corev1.Secret) error {
	want := map[string]bool{}
	for _, n := range names {
		if n != "" && into[n] == nil {
			want[n] = true
		}
	}
	if len(want) > listSecretsAbove {
		return listSecrets(ctx, api, ns, want, into)
	}
	for n := range want {
		var s corev1.Secret
		if err := api.Get(ctx, client.ObjectKey{Namespace: ns, Name: n}, &s); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("reading Secret %s/%s: %w", ns, n, err)
		}
		into[n] = &s
	}
	return nil
}

// listSecrets reads the Secrets of ns page by page and keeps the wanted.
func listSecrets(ctx context.Context, api client.Reader, ns string, want map[string]bool, into map[string]*corev1.Secret) error {
	cont := ""
	for {
		var list corev1.SecretList
		if err := api.List(ctx, &list, client.InNamespace(ns), client.Limit(secretsPage), client.Continue(cont)); err != nil {
			return fmt.Errorf("listing Secrets of %s: %w", ns, err)
		}
		for i := range list.Items {
			if want[list.Items[i].Name] {
				into[list.Items[i].Name] = &list.Items[i]
			}
		}
		if cont = list.Continue; cont == "" {
			return nil
		}
	}
}

// keySecrets lists the generated consumer key Secrets of ns from the cache,
// by name. A name already in into (a user Secret) is not replaced.
func keySecrets(ctx context.Context, c client.Reader, ns string, into map[string]*corev1.Secret) error {
	var list corev1.SecretList
	if err := c.List(ctx, &list, client.InNamespace(ns), client.MatchingLabels(SecretCacheSelector()), client.HasLabels{resources.LabelConsumer}); err != nil {
		return fmt.Errorf("listing Secrets of %s: %w", ns, err)
	}
	for i := range list.Items {
		if into[list.Items[i].Name] == nil {
			into[list.Items[i].Name] = &list.Items[i]
		}
	}
	return nil
}
