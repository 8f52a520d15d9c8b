// Command bench measures tollgate's overhead against the same in-process
// upstream on 127.0.0.1, side by side with the floor (direct) and a bare
// httputil.ReverseProxy, and prints one table of ratios. Contenders: the
// full pipeline, the same with a generous TokenPolicy on local counters,
// and on a real redis-server it starts (skipped, with a note, when
// redis-server is not installed). A streaming phase measures added time to
// first token and between chunks.
//
//	go run ./hack/bench -n 20000 -c 16 -time 60s -streams 160 -chunks 50 -gap 10ms
//
// Contenders run in turns (rounds), so machine noise hits all of them. The
// load generator is bounded by request count and by time.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type contender struct {
	name string
	url  string
	lat  []time.Duration
	busy time.Duration
	errs int
}

func run() error {
	n := flag.Int("n", 10000, "requests per contender")
	c := flag.Int("c", 16, "concurrent clients")
	rounds := flag.Int("rounds", 5, "turns each contender gets")
	limit := flag.Duration("time", 120*time.Second, "time limit of the request phase")
	streams := flag.Int("streams", 160, "streams per contender in the streaming phase (0 skips it)")
	chunks := flag.Int("chunks", 50, "chunks per stream")
	gap := flag.Duration("gap", 10*time.Millisecond, "time between a stream's chunks")
	streamLimit := flag.Duration("stream-time", 90*time.Second, "time limit of the streaming phase")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()

	up, err := serve(upstreamHandler(*chunks, *gap))
	if err != nil {
		return err
	}
	target, _ := url.Parse(up)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 1024}
	bare, err := serve(rp)
	if err != nil {
		return err
	}
	key, err := apikey.Generate()
	if err != nil {
		return err
	}
	cs := []*contender{{name: "direct", url: up}, {name: "bare proxy", url: bare}}
	for _, g := range []struct {
		name   string
		limits func(*config.Config)
	}{{"tollgate", nil}, {"tollgate (local limits)", localLimits}} {
		u, _, err := startTollgate(up, key, g.limits)
		if err != nil {
			return err
		}
		cs = append(cs, &contender{name: g.name, url: u})
	}
	var notes []string
	if rd, err := startRedis(); err != nil {
		notes = append(notes, "tollgate + Redis skipped: "+err.Error())
	} else {
		defer rd.stop()
		u, s, err := startTollgate(up, key, redisLimits(rd.addr))
		if err != nil {
			return err
		}
		defer s.Close()
		cs = append(cs, &contender{name: "tollgate + Redis", url: u})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}}
	per := max(*n / *rounds, 1)
	for _, x := range cs { // warm connections and code paths
		load(ctx, client, x, key, 200, *c, true)
	}
	for r := 0; r < *rounds && ctx.Err() == nil; r++ {
		for _, x := range cs {
			load(ctx, client, x, key, per, *c, false)
		}
	}
	report(cs, *c, *rounds, per)
	if *streams > 0 {
		sctx, scancel := context.WithTimeout(context.Background(), *streamLimit)
		defer scancel()
		streamPhase(sctx, client, cs, key, *streams, *c, *chunks, *gap)
	}
	for _, note := range notes {
		fmt.Println("\nnote:", note)
	}
	return nil
}

// startTollgate serves the full pipeline (with tune applied to the config)
// on 127.0.0.1.
func startTollgate(up, key string, tune func(*config.Config)) (string, *proxy.Server, error) {
	s := proxy.New(proxy.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	cfg := gatewayConfig(up, key)
	if tune != nil {
		tune(cfg)
		cfg.Default()
	}
	if err := s.Load(cfg); err != nil {
		return "", nil, fmt.Errorf("loading the tollgate config: %w", err)
	}
	u, err := serve(s)
	return u, s, err
}

func serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening: %w", err)
	}
	go func() { _ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

func upstreamHandler(chunks int, gap time.Duration) http.Handler {
	body := []byte(`{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}`)
	chunk := []byte("data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok \"},\"finish_reason\":null}]}\n\n")
	usage := []byte(fmt.Sprintf("data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\ndata: [DONE]\n\n", chunks, chunks+9))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		if !bytes.Contains(in, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for i := 0; i < chunks; i++ {
			if i > 0 {
				t := time.NewTimer(gap)
				select {
				case <-r.Context().Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
			_ = rc.Flush()
		}
		_, _ = w.Write(usage)
	})
}

// gatewayConfig is the full pipeline: key auth, a route over two weighted
// backends (two providers on the same upstream), metrics and access logs.
func gatewayConfig(up, key string) *config.Config {
	p := func(name string) config.Provider {
		return config.Provider{Name: name, Type: config.ProviderOpenAI, Endpoint: up + "/v1", APIKey: "sk-bench", AllowPrivateNetwork: true}
	}
	c := &config.Config{Version: config.SchemaVersion, Auth: config.Auth{Mode: config.AuthAPIKey},
		Providers: []config.Provider{p("a"), p("b")},
		Models:    []config.Model{{Name: "m", Provider: "a", Pricing: config.Pricing{InputPerMillion: 1, OutputPerMillion: 2}}},
		Routes: []config.Route{{Model: "m", Backends: []config.Backend{
			{Provider: "a", UpstreamModel: "m", Weight: 3}, {Provider: "b", UpstreamModel: "m", Weight: 1}}}},
		Consumers: []config.Consumer{{Name: "bench", AllowedModels: []string{"m*"},
			Keys: []config.Key{{ID: apikey.ID(key), SHA256: apikey.Hash(key)}}}},
	}
	c.Default()
	return c
}

const reqBody = `{"model":"m","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"hello there, how are you today?"}],"max_tokens":64}`

// load sends count requests with conc workers, recording latencies.
func load(ctx context.Context, client *http.Client, x *contender, key string, count, conc int, warm bool) {
	var mu sync.Mutex
	jobs := make(chan struct{}, count)
	for i := 0; i < count; i++ {
		jobs <- struct{}{}
	}
	close(jobs)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, count/conc+1)
			errs := 0
			for range jobs {
				if ctx.Err() != nil {
					break
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, x.url+"/v1/chat/completions", strings.NewReader(reqBody))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if resp.StatusCode != 200 {
					errs++
					continue
				}
				local = append(local, d)
			}
			if !warm {
				mu.Lock()
				x.lat = append(x.lat, local...)
				x.errs += errs
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if !warm {
		x.busy += time.Since(start)
	}
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(int(float64(len(d))*p), len(d)-1)]
}

func report(cs []*contender, conc, rounds, per int) {
	for _, x := range cs {
		sort.Slice(x.lat, func(i, j int) bool { return x.lat[i] < x.lat[j] })
	}
	direct, bare := cs[0], cs[1]
	rps := func(x *contender) float64 { return float64(len(x.lat)) / x.busy.Seconds() }
	fmt.Printf("tollgate proxy overhead — %s, %d cores, %s/%s\n", runtime.Version(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("command: go run ./hack/bench %s   (%d rounds × %d requests, %d concurrent, 127.0.0.1)\n\n",
		strings.Join(os.Args[1:], " "), rounds, per, conc)
	fmt.Printf("| contender               | requests | errors | p50      | p99      | added p50 | added p99 | req/s   |\n")
	fmt.Printf("|-------------------------|----------|--------|----------|----------|-----------|-----------|---------|\n")
	for _, x := range cs {
		fmt.Printf("| %-23s | %8d | %6d | %8s | %8s | %9s | %9s | %7.0f |\n", x.name, len(x.lat), x.errs,
			r(pct(x.lat, .5)), r(pct(x.lat, .99)), r(pct(x.lat, .5)-pct(direct.lat, .5)), r(pct(x.lat, .99)-pct(direct.lat, .99)), rps(x))
	}
	fmt.Printf("\n| figure (vs bare proxy)                              | value | target |\n|---|---|---|\n")
	for _, tg := range cs[2:] {
		fmt.Printf("| %s added p50 / bare-proxy added p50 | %s | ≤ 1.5 |\n", tg.name,
			ratio(pct(tg.lat, .5)-pct(direct.lat, .5), pct(bare.lat, .5)-pct(direct.lat, .5)))
		fmt.Printf("| %s added p99 / bare-proxy added p99 | %s | ≤ 2 |\n", tg.name,
			ratio(pct(tg.lat, .99)-pct(direct.lat, .99), pct(bare.lat, .99)-pct(direct.lat, .99)))
		fmt.Printf("| %s throughput / bare-proxy throughput | %.2f | ≥ 0.8 |\n", tg.name, rps(tg)/rps(bare))
	}
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func r(d time.Duration) string { return d.Round(time.Microsecond).String() }
