package controller

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
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
	var stale []string
	for _, n := range wanted {
		if n == "" || into[n] != nil {
			continue
		}
		if s := k.kept[n]; s != nil {
			m := secretMetaObject()
			if err := names.Get(ctx, client.ObjectKey{Namespace: ns, Name: n}, m); err == nil && m.ResourceVersion == s.ResourceVersion {
				into[n] = s
				continue
			}
		}
		stale = append(stale, n)
	}
	if err := readSecrets(ctx, api, ns, stale, into); err != nil {
		return err
	}
	k.kept = make(map[string]*corev1.Secret, len(into))
	for _, n := range wanted {
		if s := into[n]; s != nil {
			k.kept[n] = s
		}
	}
	return nil
}
