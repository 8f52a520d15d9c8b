package main

import (
	"fmt"

	"github.com/tollgate-dev/tollgate/test/scalefig"
)

// record adds the sharded figures at n Consumers to the scale run's
// report (make scale, test/scalefig): CPU first, since on the shared
// machine the wall time says more about the neighbours.
func (f *shardFigures) record(n int) error {
	figs := []scalefig.Figure{
		{Key: scalefig.FullCompile, Value: fmt.Sprintf("CPU %s (wall %s)", med(f.coldCPU), med(f.cold))},
		{Key: scalefig.ChangeCompile, Value: fmt.Sprintf("CPU %s (wall %s); %d shard marshalled, %d of %d to rewrite", med(f.changeCPU), med(f.change), f.marshalled, f.changed, f.shards)},
		{Key: scalefig.ChangeServed, Value: fmt.Sprintf("gateway one-shard reload CPU %s (wall %s), after its one GET", med(f.gatewayOneC), med(f.gatewayOne))},
		{Key: scalefig.GatewayMemory, Value: fmt.Sprintf("%.0f MiB of Go heap held by the loaded config; the key lookup is one map read by key id", float64(f.heap)/(1<<20))},
	}
	for _, fig := range figs {
		fig.Consumers, fig.Source = n, "hack/scale"
		if err := scalefig.Record(fig); err != nil {
			return err
		}
	}
	return nil
}
