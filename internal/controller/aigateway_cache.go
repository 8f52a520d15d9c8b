package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

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
