package main

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/render"
)

// shardFigures are the sharded-distribution figures of issue 16's table
// that this process can measure (no API server: the writes are counted,
// the envtest run in make scale times them against a real one).
//
// Every figure is measured twice: wall time, and the CPU time of this
// process (user + system, all threads) over the same span, because on a
// shared machine the wall time mostly says how busy the other tenants are.
type shardFigures struct {
	cold, coldCPU           []time.Duration // compile + split from nothing
	change, changeCPU       []time.Duration // compile + split after one Consumer more, with the caches
	marshalled              int             // shards marshalled for that change (the shard cache's count)
	changed                 int             // shards whose hash differs after it
	shards                  int
	largest                 int
	root                    int
	gatewayCold, gwColdCPU  time.Duration // decode every shard, check and build each, merge, build, swap
	gatewayOne, gatewayOneC []time.Duration
	heap                    uint64 // heap held by the gateway's loaded config
}

// stopwatch measures wall and process CPU time from its start.
type stopwatch struct {
	wall time.Time
	cpu  time.Duration
}

func start() stopwatch { return stopwatch{wall: time.Now(), cpu: cpuTime()} }

func (w stopwatch) stop() (time.Duration, time.Duration) {
	return time.Since(w.wall), cpuTime() - w.cpu
}

// cpuTime is this process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureShards compiles objs into a sharded distribution, changes one
// Consumer and measures what the operator and a gateway do for it.
func measureShards(objs *render.Objects, repeat int) (*shardFigures, error) {
	f := &shardFigures{}
	stamp(objs)
	var base *config.Distribution
	var cc *caches
	for range repeat {
		cc = newCaches() // from cold: nothing cached
		sw := start()
		d, err := compileSplit(objs, cc)
		if err != nil {
			return nil, err
		}
		w, c := sw.stop()
		f.cold, f.coldCPU = append(f.cold, w), append(f.coldCPU, c)
		base = d
	}
	f.shards, f.root = len(base.Shards), len(base.Root)
	for _, s := range base.Shards {
		f.largest = max(f.largest, len(s.Data))
	}

	// The gateway from cold, then its heap.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	gw := proxy.New(proxy.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	defer gw.Close()
	held := map[string][]config.Consumer{}
	sw := start()
	if err := loadDistribution(gw, base, held, nil); err != nil {
		return nil, err
	}
	f.gatewayCold, f.gwColdCPU = sw.stop()
	runtime.GC()
	runtime.ReadMemStats(&after)
	f.heap = after.HeapInuse - min(after.HeapInuse, before.HeapInuse)

	// One Consumer more, repeat times (each a new one), with the caches
	// of the last cold compile, as the operator keeps them per gateway.
	for i := range repeat {
		addConsumer(objs, fmt.Sprintf("zz-new-%d", i))
		sw := start()
		d, err := compileSplit(objs, cc)
		if err != nil {
			return nil, err
		}
		w, c := sw.stop()
		f.change, f.changeCPU = append(f.change, w), append(f.changeCPU, c)
		f.marshalled = max(f.marshalled, cc.shards.Marshalled)
		was := map[string]string{}
		for _, s := range base.Shards {
			was[s.Ref.ID] = s.Ref.SHA256
		}
		var stale []string
		for _, s := range d.Shards {
			if was[s.Ref.ID] != s.Ref.SHA256 {
				stale = append(stale, s.Ref.ID)
			}
		}
		f.changed = max(f.changed, len(stale))
		sw = start()
		if err := loadDistribution(gw, d, held, stale); err != nil {
			return nil, err
		}
		w, c = sw.stop()
		f.gatewayOne, f.gatewayOneC = append(f.gatewayOne, w), append(f.gatewayOneC, c)
		base = d
	}
	return f, nil
}

// caches are what the operator keeps per gateway between compiles.
type caches struct {
	consumers *compile.ConsumerCache
	shards    *config.ShardCache
}

func newCaches() *caches {
	return &caches{consumers: compile.NewConsumerCache(), shards: config.NewShardCache()}
}

// compileSplit compiles gateway "main" as the operator does: the pure
// compile over the listed objects with the gateway's consumer cache, then
// the split with its shard cache.
func compileSplit(objs *render.Objects, cc *caches) (*config.Distribution, error) {
	in := compile.Input{Gateway: &objs.Gateways[0], Providers: objs.Providers, Consumers: objs.Consumers,
		Policies: objs.Policies, Secrets: make(map[string]*corev1.Secret, len(objs.Secrets)), Now: time.Now(),
		Cache: cc.consumers}
	for i := range objs.Secrets {
		in.Secrets[objs.Secrets[i].Name] = &objs.Secrets[i]
	}
	res := compile.Compile(in)
	d, err := config.SplitCached(res.Config, res.ConsumerKeys, cc.shards)
	if err != nil {
		return nil, fmt.Errorf("splitting: %w", err)
	}
	return d, nil
}

// stamp gives the objects read from YAML what the API server gives every
// object (a UID, a generation, a resourceVersion): the caches key on them.
func stamp(objs *render.Objects) {
	for i := range objs.Consumers {
		m := &objs.Consumers[i].ObjectMeta
		m.UID, m.Generation, m.ResourceVersion = types.UID("uid-c-"+m.Name), 1, "1"
	}
	for i := range objs.Secrets {
		m := &objs.Secrets[i].ObjectMeta
		m.UID, m.ResourceVersion = types.UID("uid-s-"+m.Name), "1"
	}
}

// loadDistribution does what the proxy's Secret source does once it has
// read the Secrets: decode the root and the shards named in read (every
// shard when read is nil), reuse the others from held, and load them
// (the gateway builds the shards whose hash changed, reusing the others').
func loadDistribution(gw *proxy.Server, d *config.Distribution, held map[string][]config.Consumer, read []string) error {
	root, err := config.ParseRoot(d.Root)
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	for _, s := range d.Shards {
		if read != nil && !slices.Contains(read, s.Ref.ID) {
			continue
		}
		cs, err := config.ParseShard(s.Ref, s.Data)
		if err != nil {
			return fmt.Errorf("shard: %w", err)
		}
		held[s.Ref.ID] = cs
	}
	if err := gw.LoadParts(root, held, d.Hash()); err != nil {
		return fmt.Errorf("loading the sharded config: %w", err)
	}
	return nil
}

// addConsumer adds a Consumer like the first one, with its own key.
func addConsumer(objs *render.Objects, name string) {
	cs := *objs.Consumers[0].DeepCopy()
	cs.Name, cs.UID = name, types.UID("uid-c-"+name)
	objs.Consumers = append(objs.Consumers, cs)
	objs.Secrets = append(objs.Secrets, corev1.Secret{})
	sec := &objs.Secrets[len(objs.Secrets)-1]
	sec.Name, sec.Namespace = name+"-key", cs.Namespace
	sec.UID, sec.ResourceVersion = types.UID("uid-s-"+sec.Name), "1"
	sec.Data = map[string][]byte{"apiKey": []byte("tg-scale-" + name + "-0123456789abcdef")}
}

func (f *shardFigures) print() {
	fmt.Printf("| sharded: root / shards / largest shard | %d bytes / %d / %d bytes (limit %d) |\n", f.root, f.shards, f.largest, config.MaxShardBytes)
	fmt.Printf("| **full compile from cold** (compile + split): wall median / max; CPU median | **%s** / %s; CPU %s (target < 10 s) |\n", med(f.cold), maxD(f.cold), med(f.coldCPU))
	fmt.Printf("| **one Consumer more: compile + split** (incremental: the gateway's caches): wall median / max; CPU median; shards marshalled; shards to rewrite | **%s** / %s; CPU %s; %d; %d of %d (target < 2 s) |\n", med(f.change), maxD(f.change), med(f.changeCPU), f.marshalled, f.changed, f.shards)
	fmt.Printf("| gateway from cold: decode every shard, check and build each, merge the indexes, build, swap: wall; CPU | %s; CPU %s |\n", f.gatewayCold.Round(time.Millisecond), f.gwColdCPU.Round(time.Millisecond))
	fmt.Printf("| **gateway serving a one-shard change** (decode the root and that shard, check and build its consumers, merge the indexes, build, swap): wall median / max; CPU median | **%s** / %s; CPU %s (target < 3 s after the apply, plus one GET) |\n", med(f.gatewayOne), maxD(f.gatewayOne), med(f.gatewayOneC))
	fmt.Printf("| gateway heap held by the loaded config (HeapInuse delta after GC) | %.0f MiB (target RSS < 512 MiB) |\n", float64(f.heap)/(1<<20))
}
