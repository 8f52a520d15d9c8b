// Command bench measures tollgate's overhead and prints one table of ratios
// (the one docs/performance.md and BENCHMARKS.md describe). Every server is
// its own process on 127.0.0.1: the mock upstream and a bare
// httputil.ReverseProxy (this program re-executed) and tollgate itself
// (`go build ./cmd/tollgate`, then `tollgate proxy --config` with a
// generated config), so each one's CPU time and RSS are its own; the load
// generator stays in this process.
//
// Contenders: direct (the floor), bare proxy (what any HTTP hop costs),
// tollgate (local limits), the same traced at 100% (spans exported over
// OTLP/HTTP to a sink process that discards them), tollgate (Redis
// limits, a redis-server it starts; skipped with a note when none is
// installed) in Exact and in Lease enforcement, and with -portkey the
// Portkey gateway (a peer, against the same upstream). Phases, contenders
// interleaved in rounds so machine noise hits all of them: a fixed rate
// (open loop), saturation (closed loop), streaming (time to first token,
// time between chunks), and memory with many streams open at once.
//
//	go run ./hack/bench                # about 2 minutes on 2 cores
//	go run ./hack/bench -n 40000 -rate-n 10000 -rounds 6
//
// Every load loop is bounded by a count and by -time.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// contender is one server under test and its figures.
type contender struct {
	name   string
	p      *proc
	rate   sample
	sat    sample
	stream streamStats
	mem    *memFigures  // tollgate processes only
	rd     *redisServer // the Redis contender's store
	rdCPU  time.Duration
	rdRuns int64 // scripts redis-server ran during the saturation turns
}

type settings struct {
	n, c, rounds, rateN, streams, streamC, chunks, hold int
	rate                                                float64
	gap, holdGap, limit                                 time.Duration
	bin, baseline                                       string
	portkey                                             bool
}

func run() error {
	var st settings
	flag.IntVar(&st.n, "n", 20000, "requests per contender at saturation (over all rounds)")
	flag.IntVar(&st.c, "c", 16, "concurrent clients at saturation")
	flag.Float64Var(&st.rate, "rate", 1000, "requests/s of the fixed-rate phase")
	flag.IntVar(&st.rateN, "rate-n", 5000, "requests per contender at the fixed rate (over all rounds)")
	flag.IntVar(&st.rounds, "rounds", 4, "turns each contender gets per phase")
	flag.IntVar(&st.streams, "streams", 160, "streams per contender in the streaming phase (0 skips it)")
	flag.IntVar(&st.streamC, "stream-c", 16, "concurrent streams in the streaming phase")
	flag.IntVar(&st.chunks, "chunks", 50, "chunks per stream")
	flag.DurationVar(&st.gap, "gap", 10*time.Millisecond, "time between a stream's chunks")
	flag.IntVar(&st.hold, "hold", 1000, "streams held open at once for the memory figure (0 skips it)")
	flag.DurationVar(&st.holdGap, "hold-gap", 60*time.Millisecond, "time between chunks of the held streams")
	flag.DurationVar(&st.limit, "time", 4*time.Minute, "time limit of the whole run")
	flag.StringVar(&st.bin, "bin", "", "use this tollgate binary instead of building ./cmd/tollgate")
	flag.StringVar(&st.baseline, "baseline", "", "also run this (older) tollgate binary's two contenders, for before/after in one run")
	flag.BoolVar(&st.portkey, "portkey", false, "also run the Portkey gateway (npm @portkey-ai/gateway "+portkeyVersion+", installed under bin/portkey on first use; needs npm)")
	serve := flag.String("serve", "", "internal: run as the benchmark's upstream or bare proxy")
	flag.Parse()
	if *serve != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return serveMode(ctx, *serve, st.chunks, st.gap)
	}
	ctx, cancel := context.WithTimeout(context.Background(), st.limit)
	defer cancel()
	load1 := loadAverage()

	dir, err := os.MkdirTemp("", "tollgate-bench")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program: %w", err)
	}
	bin := st.bin
	if bin == "" {
		if bin, err = buildTollgate(dir); err != nil {
			return err
		}
	}
	cs, cleanup, notes, err := startContenders(self, bin, dir, st)
	defer cleanup()
	if err != nil {
		return err
	}
	key := benchKey

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2048}}
	for _, x := range cs {
		if x.mem != nil {
			x.mem.idle = x.p.rss()
			x.mem.anonIdle = x.p.rssAnon()
			x.mem.heapIdle = x.p.gauge("go_memstats_heap_inuse_bytes")
			x.mem.goroutinesIdle = x.p.gauge("go_goroutines")
		}
	}
	for _, x := range cs { // warm connections and code paths
		closedLoop(ctx, client, x.p.url, key, 500, st.c)
	}
	perRate, perSat := max(st.rateN/st.rounds, 1), max(st.n/st.rounds, 1)
	for r := 0; r < st.rounds && ctx.Err() == nil; r++ {
		for _, x := range cs {
			c0 := x.p.cpu()
			lat, errs, busy := openLoop(ctx, client, x.p.url, key, perRate, st.rate, 512)
			x.rate.add(lat, errs, busy, x.p.cpu()-c0)
		}
	}
	for r := 0; r < st.rounds && ctx.Err() == nil; r++ {
		for _, x := range cs {
			c0, r0, s0 := x.p.cpu(), x.redisCPU(), x.redisScripts()
			lat, errs, busy := closedLoop(ctx, client, x.p.url, key, perSat, st.c)
			x.sat.add(lat, errs, busy, x.p.cpu()-c0)
			x.rdCPU += x.redisCPU() - r0
			x.rdRuns += x.redisScripts() - s0
		}
	}
	if st.streams > 0 {
		const streamRounds = 2
		for r := 0; r < streamRounds && ctx.Err() == nil; r++ {
			for _, x := range cs {
				runStreams(ctx, client, x.p.url, key, max(st.streams/streamRounds, 1), st.streamC, &x.stream)
			}
		}
	}
	if st.hold > 0 {
		for _, x := range cs {
			if x.mem != nil && ctx.Err() == nil {
				holdStreams(ctx, client, x.p, key, st.hold, st.holdGap, x.mem)
			}
		}
	}
	client.CloseIdleConnections()
	time.Sleep(3 * time.Second) // let idle connections close and the GC run
	for _, x := range cs {
		if x.mem != nil {
			x.mem.after = x.p.rss()
			x.mem.heapAfter = x.p.gauge("go_memstats_heap_inuse_bytes")
			x.mem.goroutinesAfter = x.p.gauge("go_goroutines")
		}
	}
	if ctx.Err() != nil {
		notes = append(notes, fmt.Sprintf("the run hit its -time limit (%s): later phases are partial", st.limit))
	}
	report(os.Stdout, cs, st, load1, loadAverage(), notes)
	return nil
}

// benchKey is the one consumer key every contender accepts.
var benchKey = func() string {
	k, err := apikey.Generate()
	if err != nil {
		panic(err)
	}
	return k
}()

// startContenders starts the upstream, the bare proxy and the tollgate
// processes (and a redis-server). cleanup stops whatever was started.
func startContenders(self, bin, dir string, st settings) ([]*contender, func(), []string, error) {
	var procs []*proc
	var stops []func()
	cleanup := func() {
		for _, p := range procs {
			p.stop()
		}
		for _, f := range stops {
			f()
		}
	}
	gapArgs := []string{"-chunks", fmt.Sprint(st.chunks), "-gap", st.gap.String()}
	up, err := startProc("upstream", self, append([]string{"-serve", "upstream"}, gapArgs...)...)
	if err != nil {
		return nil, cleanup, nil, err
	}
	procs = append(procs, up)
	bare, err := startProc("bare proxy", self, "-serve", "bare "+up.url)
	if err != nil {
		return nil, cleanup, nil, err
	}
	procs = append(procs, bare)
	cs := []*contender{{name: "direct", p: up}, {name: "bare proxy", p: bare}}
	if st.portkey {
		pk, err := startPortkey(up.url)
		if err != nil {
			return nil, cleanup, nil, err
		}
		procs = append(procs, pk)
		cs = append(cs, &contender{name: pk.name, p: pk})
	}
	sink, err := startProc("OTLP sink", self, "-serve", "sink")
	if err != nil {
		return nil, cleanup, nil, err
	}
	procs = append(procs, sink)
	var notes []string
	rd, err := startRedis()
	if err != nil {
		notes = append(notes, "the Redis contenders are skipped: "+err.Error())
	} else {
		stops = append(stops, rd.stop)
	}
	bins := [][2]string{{bin, "tollgate"}}
	if st.baseline != "" {
		bins = append(bins, [2]string{st.baseline, "baseline"})
	}
	for i, b := range bins {
		// Each binary runs from a fresh plain copy, so its pages come into
		// the page cache the same way (as an installed one's do) and the
		// contenders' RSS compare fairly: a file just written by the linker
		// maps more of itself into a process than a copy of it (see rssAnon).
		cp, err := copyBinary(b[0], filepath.Join(dir, fmt.Sprintf("tollgate-%d", i)))
		if err != nil {
			return nil, cleanup, nil, err
		}
		bins[i][0] = cp
	}
	for _, b := range bins {
		local, err := startTollgate(b[0], dir, b[1]+" (local limits)", limitedConfig(up.url, benchKey, nil))
		if err != nil {
			return nil, cleanup, nil, err
		}
		procs = append(procs, local)
		cs = append(cs, &contender{name: local.name, p: local, mem: &memFigures{}})
		if b[1] == "tollgate" {
			traced, err := startTollgate(b[0], dir, "tollgate (local limits, traced 100%)", tracedConfig(up.url, benchKey, sink.url))
			if err != nil {
				return nil, cleanup, nil, err
			}
			procs = append(procs, traced)
			cs = append(cs, &contender{name: traced.name, p: traced, mem: &memFigures{}})
		}
		if rd == nil {
			continue
		}
		remote, err := startTollgate(b[0], dir, b[1]+" (Redis limits)", limitedConfig(up.url, benchKey, &rd.addr))
		if err != nil {
			return nil, cleanup, nil, err
		}
		procs = append(procs, remote)
		cs = append(cs, &contender{name: remote.name, p: remote, mem: &memFigures{}, rd: rd})
		if b[1] == "tollgate" {
			lc := limitedConfig(up.url, benchKey, &rd.addr)
			lc.Limits.Enforcement = config.EnforceLease
			leased, err := startTollgate(b[0], dir, "tollgate (Redis limits, Lease)", lc)
			if err != nil {
				return nil, cleanup, nil, err
			}
			procs = append(procs, leased)
			cs = append(cs, &contender{name: leased.name, p: leased, mem: &memFigures{}, rd: rd})
		}
	}
	return cs, cleanup, notes, nil
}

func (x *contender) redisCPU() time.Duration {
	if x.rd == nil {
		return 0
	}
	return x.rd.cpu()
}

func (x *contender) redisScripts() int64 {
	if x.rd == nil {
		return 0
	}
	return scriptCalls(x.rd.addr)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil || len(b) < 14 {
		return "unknown"
	}
	return string(b[:14])
}
