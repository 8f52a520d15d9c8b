package proxy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// benchUpstream answers every chat completion with a fixed body.
func benchUpstream() *httptest.Server {
	body := []byte(`{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}`)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
}

// benchChat is the chat completion the benchmarks and the allocation
// budget send.
const benchChat = `{"model":"m","messages":[{"role":"user","content":"hello there, how are you today?"}],"max_tokens":64}`

// postBenchChat sends benchChat to the gateway (or upstream) at base as
// key and reads the answer to its end: an error unless it is a 200.
func postBenchChat(client *http.Client, base, key string) error {
	req, err := proxytest.NewRequest(context.Background(), http.MethodPost, base+"/v1/chat/completions", key, benchChat, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("status %d: %s", resp.StatusCode, msg)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// benchPrice prices the benchmark's model (a budget needs a price).
var benchPrice = config.Pricing{InputPerMillion: 1, OutputPerMillion: 2}

// BenchmarkProxy compares, against one in-process upstream on 127.0.0.1:
// the upstream directly, a bare httputil.ReverseProxy, and tollgate with
// key auth, two weighted backends, metrics and access logs; then the same
// with a TokenPolicy on local counters and on a real Redis.
//
//	go test -run '^$' -bench BenchmarkProxy -benchmem ./internal/proxy/
func BenchmarkProxy(b *testing.B) {
	up := benchUpstream()
	defer up.Close()
	target, _ := url.Parse(up.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 512}
	bare := httptest.NewServer(rp)
	defer bare.Close()

	mk := func(name string) config.Provider {
		return config.Provider{Name: name, Type: config.ProviderOpenAI, Endpoint: up.URL + "/v1", APIKey: "sk-bench", AllowPrivateNetwork: true}
	}
	cfg, key := baseConfig(b, []config.Provider{mk("p"), mk("q")},
		config.Backend{Provider: "p", UpstreamModel: "m", Weight: new(1), Pricing: benchPrice}, config.Backend{Provider: "q", UpstreamModel: "m", Weight: new(1), Pricing: benchPrice})
	s := New(cmdLogging(io.Discard))
	if err := s.Load(cfg); err != nil {
		b.Fatal(err)
	}
	tg := httptest.NewServer(s)
	defer tg.Close()
	limited := func(store config.LimitsStore) string {
		c := *cfg
		c.Policies = []config.Policy{{Name: "bench", OnExceeded: config.ExceededReject, MaxTokensPerRequest: 4096,
			Limits: []config.Limit{{Window: config.D(time.Minute), Requests: 1 << 40, Tokens: 1 << 50},
				{Window: config.D(24 * time.Hour), Tokens: 1 << 55, Models: []string{"m*"}}},
			Budget: &config.Budget{AmountUSD: 1e8, Window: config.BudgetMonth}}}
		c.Consumers = []config.Consumer{cfg.Consumers[0]}
		c.Consumers[0].Policies = []string{"bench"}
		c.Limits = store
		ls := New(cmdLogging(io.Discard))
		if err := ls.Load(&c); err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(ls)
		b.Cleanup(srv.Close)
		b.Cleanup(ls.Close)
		return srv.URL
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	fixed := func(u string) func() string { return func() string { return u } }
	// Each contender is built when its sub-benchmark runs, so -bench can
	// pick one without starting the others (Redis needs redis-server).
	for _, c := range []struct {
		name string
		url  func() string
	}{
		{"direct", fixed(up.URL)}, {"reverseproxy", fixed(bare.URL)}, {"tollgate", fixed(tg.URL)},
		{"tollgate-local-limits", sync.OnceValue(func() string { return limited(config.LimitsStore{Type: config.StoreLocal}) })},
		{"tollgate-redis-limits", sync.OnceValue(func() string {
			rd := testredis.Start(b)
			return limited(config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
				Redis: &config.Redis{Addresses: []string{rd.Addr}, Timeout: config.D(time.Second)}})
		})},
	} {
		b.Run(c.name, func(b *testing.B) {
			url := c.url()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := postBenchChat(client, url, key); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// cmdLogging is the logging `tollgate proxy` sets up (cmd.go), over w: a
// JSON handler and the access lines written directly, both through one
// NewLogWriter.
func cmdLogging(w io.Writer) Options {
	out := NewLogWriter(w)
	return Options{Logger: slog.New(slog.NewJSONHandler(out, nil)), AccessLog: out}
}
