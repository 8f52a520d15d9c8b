// Command scale measures the control-plane path at scale: N Consumers and
// M ModelProviders compiled into one gateway config (render.Compile, the
// operator's pure compile step), its size, the proxy's Server.LoadBytes of
// it, and reloads of it under load with every answer checked (no request
// lost, no stream cut). Everything runs in this process on 127.0.0.1.
//
//	go run ./hack/scale                          # 10,000 consumers, 100 providers
//	go run ./hack/scale -consumers 1000 -reloads 10
//
// The load loop is bounded by -n requests and by -time.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/render"
	"github.com/tollgate-dev/tollgate/test/loadupstream"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run() error {
	consumers := flag.Int("consumers", 10000, "Consumers")
	providers := flag.Int("providers", 100, "ModelProviders (two models each)")
	repeat := flag.Int("repeat", 5, "compile and load repetitions (the median and max are printed)")
	reloads := flag.Int("reloads", 20, "reloads while the load runs")
	n := flag.Int("n", 20000, "requests of the load loop at most")
	conc := flag.Int("c", 8, "concurrent clients of the load loop")
	limit := flag.Duration("time", 90*time.Second, "time limit of the load loop")
	sharded := flag.Bool("shards", true, "measure the sharded distribution: cold compile, a one-Consumer change, the gateway's reload of one shard")
	whole := flag.Bool("whole", true, "measure loading the whole config as one document (tollgate proxy --config) and reloads of it under load")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the sharded measurement to this file")
	flag.Parse()
	// The reloads under load alternate the last two compiled configs.
	if *whole && *repeat < 2 {
		return fmt.Errorf("-repeat %d: the whole-config reloads alternate two compiled configs, so -repeat must be at least 2 (or -whole=false)", *repeat)
	}
	if *repeat < 1 {
		return fmt.Errorf("-repeat %d: must be at least 1", *repeat)
	}

	up, err := serve(loadupstream.Handler(10, 5*time.Millisecond))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tollgate-scale")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	keys, err := writeObjects(dir, up, *consumers, *providers)
	if err != nil {
		return err
	}
	t0 := time.Now()
	objs, err := render.LoadPaths("scale", dir)
	if err != nil {
		return fmt.Errorf("reading the objects: %w", err)
	}
	yamlTime := time.Since(t0)

	var compiles, loads []time.Duration
	var configs [2][]byte
	s := proxy.New(proxy.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	defer s.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range *repeat {
		if !*whole {
			break
		}
		t := time.Now()
		res, err := render.Compile(objs, "main", time.Now())
		if err != nil {
			return fmt.Errorf("compiling: %w", err)
		}
		compiles = append(compiles, time.Since(t))
		if len(res) != 1 || len(res[0].Problems) > 0 {
			return fmt.Errorf("compile reported problems: %+v", res[0].Problems[:min(3, len(res[0].Problems))])
		}
		// Alternate a setting that does not touch the load (the drain
		// timeout) so every load is a real reload with a new hash.
		res[0].Config.Server.DrainTimeout.Duration = time.Duration(10+i%2) * time.Second
		data, err := marshal(res[0].Config)
		if err != nil {
			return err
		}
		configs[i%2] = data
		t = time.Now()
		if err := s.LoadBytes(data); err != nil {
			return fmt.Errorf("loading: %w", err)
		}
		loads = append(loads, time.Since(t))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)

	fmt.Printf("# tollgate control-plane scale\n\n")
	fmt.Printf("machine: %d cores, %s; command: go run ./hack/scale %s\n\n", runtime.NumCPU(), runtime.Version(), strings.Join(os.Args[1:], " "))
	fmt.Printf("| figure | value |\n|---|---|\n")
	fmt.Printf("| Consumers / ModelProviders / models | %d / %d / %d |\n", *consumers, *providers, 2**providers)
	fmt.Printf("| reading %d YAML objects (not part of compile: the operator gets them from its cache) | %s |\n", *consumers*2+*providers+11, yamlTime.Round(time.Millisecond))
	if *whole {
		fmt.Printf("| compile (render.Compile), median / max of %d | %s / %s |\n", *repeat, med(compiles), slices.Max(compiles).Round(time.Millisecond))
		fmt.Printf("| compiled config size | %.1f MiB |\n", float64(len(configs[0]))/(1<<20))
		fmt.Printf("| proxy Server.LoadBytes (parse, validate, build, swap), median / max | %s / %s |\n", med(loads), slices.Max(loads).Round(time.Millisecond))
		fmt.Printf("| compile + load, median | %s (target < 1s) |\n", (medD(compiles) + medD(loads)).Round(time.Millisecond))
		fmt.Printf("| Go heap in use after GC: with the YAML objects and the config loaded / before the first load | %.1f MiB / %.1f MiB |\n", float64(after.HeapInuse)/(1<<20), float64(before.HeapInuse)/(1<<20))
	}

	if *sharded {
		if *cpuProfile != "" {
			pf, err := os.Create(*cpuProfile)
			if err != nil {
				return fmt.Errorf("profile: %w", err)
			}
			defer pf.Close()
			if err := pprof.StartCPUProfile(pf); err != nil {
				return fmt.Errorf("profile: %w", err)
			}
			defer pprof.StopCPUProfile()
		}
		f, err := measureShards(objs, *repeat)
		if err != nil {
			return err
		}
		f.print()
		if err := f.record(*consumers); err != nil {
			return err
		}
	}

	if !*whole {
		return nil
	}
	srv, err := serve(s)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	st := reloadUnderLoad(ctx, s, srv, keys, configs, *providers, *n, *conc, *reloads)
	fmt.Printf("| reloads under load (%d clients, 1 in 4 a stream) | %d, median %s, max %s |\n", *conc, len(st.reloads), med(st.reloads), maxD(st.reloads))
	fmt.Printf("| requests during the reloads / non-2xx or failed / streams cut | %d / %d / %d |\n", st.sent.Load(), st.failed.Load(), st.cut.Load())
	for _, e := range st.samples() {
		fmt.Printf("\nfailure: %s\n", e)
	}
	if st.failed.Load() > 0 || st.cut.Load() > 0 {
		return errors.New("requests were lost during the reloads")
	}
	return nil
}

// writeObjects writes the gateway, providers, policies, consumers and
// their key Secrets as YAML; it returns the consumers' keys.
func writeObjects(dir, up string, consumers, providers int) ([]string, error) {
	f, err := os.Create(filepath.Join(dir, "objects.yaml"))
	if err != nil {
		return nil, fmt.Errorf("writing objects: %w", err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "apiVersion: ai.tollgate.dev/v1alpha1\nkind: AIGateway\nmetadata: {name: main}\nspec:\n  auth: {mode: APIKey}\n")
	for p := range providers {
		fmt.Fprintf(w, "---\napiVersion: ai.tollgate.dev/v1alpha1\nkind: ModelProvider\nmetadata: {name: p%d}\nspec:\n  type: OpenAICompatible\n  endpoint: %s/v1\n  allowPrivateNetwork: true\n  models:\n  - {name: m%d-a, pricing: {inputPerMillion: \"1\", outputPerMillion: \"2\"}}\n  - {name: m%d-b, pricing: {inputPerMillion: \"3\", outputPerMillion: \"4\"}}\n", p, up, p, p)
	}
	for p := range 10 {
		fmt.Fprintf(w, "---\napiVersion: ai.tollgate.dev/v1alpha1\nkind: TokenPolicy\nmetadata: {name: tp%d}\nspec:\n  limits:\n  - {window: 1m, requests: 100000, tokens: 100000000}\n  budget: {amountUSD: \"100000\", window: Month}\n", p)
	}
	keys := make([]string, consumers)
	for c := range consumers {
		keys[c] = fmt.Sprintf("tg-scale-%08d-%016x", c, rand.Uint64())
		fmt.Fprintf(w, "---\napiVersion: ai.tollgate.dev/v1alpha1\nkind: Consumer\nmetadata: {name: c%d}\nspec:\n  credentials: {generate: {}}\n  allowedModels: [\"m*\"]\n  tokenPolicies: [tp%d]\n", c, c%10)
		fmt.Fprintf(w, "---\napiVersion: v1\nkind: Secret\nmetadata: {name: c%d-key}\nstringData: {apiKey: %s}\n", c, keys[c])
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("writing objects: %w", err)
	}
	return keys, nil
}

func serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening: %w", err)
	}
	go func() { _ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

func med(d []time.Duration) string { return medD(d).Round(time.Millisecond).String() }

func medD(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func maxD(d []time.Duration) string {
	if len(d) == 0 {
		return "n/a"
	}
	return slices.Max(d).Round(time.Millisecond).String()
}

// loadStats are what the load loop saw.
type loadStats struct {
	sent, failed, cut atomic.Int64
	mu                sync.Mutex
	errs              []string
	reloads           []time.Duration
}

func (st *loadStats) fail(cut bool, msg string) {
	if cut {
		st.cut.Add(1)
	} else {
		st.failed.Add(1)
	}
	st.mu.Lock()
	if len(st.errs) < 5 {
		st.errs = append(st.errs, msg)
	}
	st.mu.Unlock()
}

func (st *loadStats) samples() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.errs)
}
