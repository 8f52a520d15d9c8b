package controller

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// compileCaches keep, per gateway, what the last compile and split made
// (docs/performance.md, "Incremental compile"): a change to one Consumer
// recompiles that Consumer and marshals the one shard it is in. Keyed by
// the gateway's UID, so a gateway deleted and created again starts empty;
// forget drops a deleted gateway's.
type compileCaches struct {
	mu  sync.Mutex
	byG map[types.UID]*gatewayCache
}

type gatewayCache struct {
	consumers *compile.ConsumerCache
	shards    *config.ShardCache
	secrets   keptSecrets
}

func (cc *compileCaches) of(uid types.UID) *gatewayCache {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.byG == nil {
		cc.byG = map[types.UID]*gatewayCache{}
	}
	g, ok := cc.byG[uid]
	if !ok {
		g = &gatewayCache{consumers: compile.NewConsumerCache(), shards: config.NewShardCache()}
		cc.byG[uid] = g
	}
	return g
}

func (cc *compileCaches) forget(uid types.UID) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	delete(cc.byG, uid)
}

// keptSecrets are the user Secrets one gateway's last reconcile read, by
// name: only Secrets its objects refer to (unrelated Secrets are never
// held), replaced on every read.
type keptSecrets struct {
	mu   sync.Mutex
	kept map[string]*corev1.Secret
}

// read fills into with the wanted user Secrets of ns. A kept Secret whose
// resourceVersion is the one the name-only watch holds now is reused; the
// rest (new, changed, or not in the watch yet) are read from the API
// server as readSecrets does. So a one-Consumer change at 100,000
// Consumers bringing their keys reads one Secret, not a List of 100,000,
// and a Secret changed since is read again: its watch event queues the
// reconcile that sees the new resourceVersion. Afterwards exactly what
// this read returned is kept.
func (k *keptSecrets) read(ctx context.Context, api, names client.Reader, ns string, wanted []string, into map[string]*corev1.Secret) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var current map[string]string
	if len(k.kept) > 0 {
		var err error
		if current, err = secretVersions(ctx, names, ns, wanted); err != nil {
			return err
		}
	}
	var stale []string
	for _, n := range wanted {
		if n == "" || into[n] != nil {
			continue
		}
		if s := k.kept[n]; s != nil && current[n] == s.ResourceVersion {
			into[n] = s
			continue
		}
		stale = append(stale, n)
	}
	if err := readSecrets(ctx, api, ns, stale, into); err != nil {
		return err
	}
	for _, n := range stale {
		if s := into[n]; s != nil {
			into[n] = trimSecret(s)
		}
	}
	k.kept = make(map[string]*corev1.Secret, len(into))
	for _, n := range wanted {
		if s := into[n]; s != nil {
			k.kept[n] = s
		}
	}
	return nil
}

// secretVersions maps the wanted Secrets of ns that the name-only watch
// holds to their resourceVersions. A few are looked up one Get each (a
// namespace may hold many Secrets nothing refers to); past
// listSecretsAbove, as readSecrets does, one uncopied List of the watch
// replaces the Gets (each costs a REST mapping and a copy: 3.0 s of a
// 100,000-Consumer reconcile's CPU, measured).
func secretVersions(ctx context.Context, names client.Reader, ns string, wanted []string) (map[string]string, error) {
	if len(wanted) <= listSecretsAbove {
		out := make(map[string]string, len(wanted))
		for _, n := range wanted {
			if n == "" {
				continue
			}
			m := secretMetaObject()
			if err := names.Get(ctx, client.ObjectKey{Namespace: ns, Name: n}, m); err == nil {
				out[n] = m.ResourceVersion
			}
		}
		return out, nil
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("SecretList"))
	if err := names.List(ctx, list, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing the Secret names of %s: %w", ns, err)
	}
	out := make(map[string]string, len(list.Items))
	for i := range list.Items {
		out[list.Items[i].Name] = list.Items[i].ResourceVersion
	}
	return out, nil
}

// lastApplied is kubectl's annotation holding the whole applied object:
// for a Secret applied with kubectl, its data a second time.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// trimSecret is what compile reads of a Secret (name, resourceVersion,
// labels, annotations, type, data), without the managed fields and
// kubectl's copy of the data, so a kept Secret holds its data once.
func trimSecret(s *corev1.Secret) *corev1.Secret {
	out := &corev1.Secret{TypeMeta: s.TypeMeta, Data: s.Data, StringData: s.StringData, Type: s.Type, Immutable: s.Immutable}
	out.Name, out.Namespace, out.UID, out.ResourceVersion, out.Generation = s.Name, s.Namespace, s.UID, s.ResourceVersion, s.Generation
	out.Labels = s.Labels
	if _, ok := s.Annotations[lastApplied]; ok {
		out.Annotations = make(map[string]string, len(s.Annotations)-1)
		for k, v := range s.Annotations {
			if k != lastApplied {
				out.Annotations[k] = v
			}
		}
	} else {
		out.Annotations = s.Annotations
	}
	return out
}
