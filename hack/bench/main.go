// Command bench measures tollgate's overhead against the same in-process
// upstream on 127.0.0.1, side by side with the floor (direct) and a bare
// httputil.ReverseProxy, and prints one table of ratios.
//
//	go run ./hack/bench -n 20000 -c 16 -time 60s
//
// Contenders run in turns (rounds), so machine noise hits all of them. The
// load generator is bounded by request count and by time.
package main

import (
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
	n := flag.Int("n", 20000, "requests per contender")
	c := flag.Int("c", 16, "concurrent clients")
	rounds := flag.Int("rounds", 5, "turns each contender gets")
	limit := flag.Duration("time", 90*time.Second, "overall time limit")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()

	up, err := serve(upstreamHandler())
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
	s := proxy.New(proxy.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err := s.Load(gatewayConfig(up, key)); err != nil {
		return err
	}
	tg, err := serve(s)
	if err != nil {
		return err
	}
	cs := []*contender{{name: "direct", url: up}, {name: "bare proxy", url: bare}, {name: "tollgate", url: tg}}
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
	return nil
}

func serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening: %w", err)
	}
	go func() { _ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

func upstreamHandler() http.Handler {
	body := []byte(`{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
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
	direct, bare, tg := cs[0], cs[1], cs[2]
	rps := func(x *contender) float64 { return float64(len(x.lat)) / x.busy.Seconds() }
	fmt.Printf("tollgate proxy overhead — %s, %d cores, %s/%s\n", runtime.Version(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("command: go run ./hack/bench %s   (%d rounds × %d requests, %d concurrent, 127.0.0.1)\n\n",
		strings.Join(os.Args[1:], " "), rounds, per, conc)
	fmt.Printf("| contender  | requests | errors | p50      | p99      | added p50 | added p99 | req/s   |\n")
	fmt.Printf("|------------|----------|--------|----------|----------|-----------|-----------|---------|\n")
	for _, x := range cs {
		fmt.Printf("| %-10s | %8d | %6d | %8s | %8s | %9s | %9s | %7.0f |\n", x.name, len(x.lat), x.errs,
			r(pct(x.lat, .5)), r(pct(x.lat, .99)), r(pct(x.lat, .5)-pct(direct.lat, .5)), r(pct(x.lat, .99)-pct(direct.lat, .99)), rps(x))
	}
	ratio := func(a, b time.Duration) string {
		if b <= 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f", float64(a)/float64(b))
	}
	fmt.Printf("\n| figure                                         | value | target |\n|---|---|---|\n")
	fmt.Printf("| tollgate added p50 / bare-proxy added p50      | %s | ≤ 1.5 |\n",
		ratio(pct(tg.lat, .5)-pct(direct.lat, .5), pct(bare.lat, .5)-pct(direct.lat, .5)))
	fmt.Printf("| tollgate added p99 / bare-proxy added p99      | %s | ≤ 2 |\n",
		ratio(pct(tg.lat, .99)-pct(direct.lat, .99), pct(bare.lat, .99)-pct(direct.lat, .99)))
	fmt.Printf("| tollgate throughput / bare-proxy throughput    | %.2f | ≥ 0.8 |\n", rps(tg)/rps(bare))
}

func r(d time.Duration) string { return d.Round(time.Microsecond).String() }
