package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// Row 27: 100 reloads under load: no failed request, no cut stream; a new
// key works and a revoked key fails right after the reload that did it.
func TestRow27ReloadUnderLoad(t *testing.T) {
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("p", up), upstreamProvider("q", up)},
		config.Backend{Provider: "p", UpstreamModel: "m"}, config.Backend{Provider: "q", UpstreamModel: "m"})
	g := startGateway(t, cfg)
	newKeyStr, newK := newKey(t)
	revoked, revK := newKey(t)
	cfg.Consumers[0].Keys = append(cfg.Consumers[0].Keys, revK)
	if err := g.s.Load(cfg); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stop := make(chan struct{})
	var ok, failed atomic.Int64
	var firstFailure atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				stream := (w+i)%2 == 0
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/v1/chat/completions", strings.NewReader(chatBody(stream, "")))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("x-mock-chunks", "4")
				req.Header.Set("x-mock-chunk-delay", "2ms")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				good := err == nil && resp.StatusCode == 200 && (!stream || strings.HasSuffix(strings.TrimSpace(string(body)), "[DONE]"))
				if good {
					ok.Add(1)
				} else {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, string(body))
				}
			}
		}(w)
	}
	for i := 0; i < 100; i++ {
		next := *cfg
		next.Routes = append([]config.Route(nil), cfg.Routes...)
		next.Routes[0].Backends = []config.Backend{{Provider: "p", UpstreamModel: "m", Weight: new(1 + i%5)}, {Provider: "q", UpstreamModel: "m", Weight: new(5 - i%5)}}
		next.Consumers = []config.Consumer{{Name: "team-a", Keys: []config.Key{cfg.Consumers[0].Keys[0]}}}
		if i%2 == 0 {
			next.Consumers[0].Keys = append(next.Consumers[0].Keys, newK)
		} else {
			next.Consumers[0].Keys = append(next.Consumers[0].Keys, revK)
		}
		if i == 99 {
			next.Consumers[0].Keys = []config.Key{cfg.Consumers[0].Keys[0], newK}
		}
		if err := g.s.Load(&next); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Fatalf("ok=%d failed=%d first failure: %v", ok.Load(), failed.Load(), firstFailure.Load())
	}
	if resp := g.do(t, http.MethodPost, "/v1/chat/completions", newKeyStr, chatBody(false, ""), nil); resp.StatusCode != 200 {
		t.Errorf("new key: %d", resp.StatusCode)
	}
	if resp := g.do(t, http.MethodPost, "/v1/chat/completions", revoked, chatBody(false, ""), nil); resp.StatusCode != 401 {
		t.Errorf("revoked key: %d", resp.StatusCode)
	}
	if n := testutil.ToFloat64(g.s.m.Reloads); n < 100 {
		t.Errorf("reloads counted: %v", n)
	}
}

// A broken config is refused; the old one keeps serving; the failure is
// counted. File changes are picked up by the watcher.
func TestReloadRefusedAndFileWatch(t *testing.T) {
	cfg, key, _ := mockConfig(t)
	g := startGateway(t, cfg)
	hash := g.s.ConfigHash()
	for name, doc := range map[string]string{
		"garbage":          "{{{",
		"wrong version":    `{"version":"v0"}`,
		"unknown provider": `{"version":"` + config.SchemaVersion + `","routes":[{"model":"m","backends":[{"provider":"x"}]}]}`,
		"bad endpoint":     `{"version":"` + config.SchemaVersion + `","providers":[{"name":"x","type":"OpenAI","endpoint":"ftp://x"}]}`,
	} {
		if err := g.s.LoadBytes([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if g.s.ConfigHash() != hash || testutil.ToFloat64(g.s.m.ReloadFailures) != 4 {
		t.Errorf("hash %s→%s failures %v", hash, g.s.ConfigHash(), testutil.ToFloat64(g.s.m.ReloadFailures))
	}
	if resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil); resp.StatusCode != 200 {
		t.Errorf("old config stopped serving: %d", resp.StatusCode)
	}
	if !strings.Contains(g.logs.String(), "config refused") {
		t.Errorf("refusal not logged")
	}

	file := filepath.Join(t.TempDir(), "gw.json")
	data, _ := config.Marshal(cfg)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reload := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() { g.s.WatchFile(ctx, file, 20*time.Millisecond, reload); close(done) }()
	cfg2 := *cfg
	cfg2.Gateway.Name = "changed"
	data2, _ := config.Marshal(&cfg2)
	if err := os.WriteFile(file, data2, 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "file change applied", func() bool { return g.s.Config().Gateway.Name == "changed" })
	cancel()
	<-done
}

// Row 28: on drain, readiness fails at once; streams that finish within
// the drain timeout finish; those still open then end with a terminal
// error event and no [DONE]; Drain returns.
func TestRow28Drain(t *testing.T) {
	for _, finishes := range []bool{true, false} {
		cfg, key, up := mockConfig(t)
		cfg.Providers[0].Timeouts.Idle = config.D(30 * time.Second)
		s := New(Options{})
		if err := s.Load(cfg); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hs := s.HTTPServer(cfg)
		go func() { _ = hs.Serve(ln) }()
		step := "drain"
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/v1/chat/completions", strings.NewReader(chatBody(true, "")))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("x-mock-step", step)
		req.Header.Set("x-mock-chunks", "2")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(resp.Body)
		readEvent(t, br)

		drained := make(chan error, 1)
		go func() { drained <- s.Drain(hs, 300*time.Millisecond, 5*time.Second) }()
		eventually(t, 5*time.Second, "readiness to fail", func() bool {
			rec := httptest.NewRecorder()
			s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			return rec.Code == http.StatusServiceUnavailable
		})
		if finishes {
			up.Step(step) <- struct{}{}
		}
		rest, _ := io.ReadAll(br)
		resp.Body.Close()
		returned(t, drained, "drain")
		got := string(rest)
		if finishes && !strings.Contains(got, "[DONE]") {
			t.Errorf("a stream finishing within the drain timeout was cut: %q", got)
		}
		if !finishes && (strings.Contains(got, "[DONE]") || !strings.Contains(got, "gateway_shutdown")) {
			t.Errorf("an open stream did not end with a terminal error event: %q", got)
		}
	}
}

// Issue 12 item 8: a config the CRDs would refuse is refused on every
// load path (a config value, a document as from the Secret watch, and the
// file on SIGHUP): the old config keeps serving, and the refusal is logged
// and counted. Before, maxInFlight -1 and maxRequestBodyBytes -1 loaded
// and then answered every request 503 and 413, and CR/LF in a header name
// was accepted.
func TestReloadRefusesInvalidConfig(t *testing.T) {
	cfg, key, _ := mockConfig(t)
	g := startGateway(t, cfg)
	hash := g.s.ConfigHash()
	file := filepath.Join(t.TempDir(), "gw.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hup := make(chan struct{}, 1)
	go g.s.WatchFile(ctx, file, time.Hour, hup)

	cases := map[string]struct {
		mutate func(*config.Config)
		want   string
	}{
		"maxInFlight -1":         {func(c *config.Config) { c.Server.MaxInFlight = -1 }, "server.maxInFlight"},
		"maxRequestBodyBytes -1": {func(c *config.Config) { c.Server.MaxRequestBodyBytes = -1 }, "server.maxRequestBodyBytes"},
		"CR/LF in a header name": {func(c *config.Config) { c.Providers[0].Headers = map[string]string{"X-A\r\nX-Injected": "1"} }, "not an HTTP token"},
		"CR/LF in a header value": {func(c *config.Config) { c.Providers[0].Headers = map[string]string{"X-A": "1\r\nX-Injected: 2"} },
			"must not contain CR, LF"},
		"gateway-set header":  {func(c *config.Config) { c.Providers[0].Headers = map[string]string{"Authorization": "Bearer x"} }, "set by the gateway"},
		"negative timeout":    {func(c *config.Config) { c.Providers[0].Timeouts.Connect = config.D(-time.Second) }, "timeouts.connect"},
		"unknown strategy":    {func(c *config.Config) { c.Routes[0].Strategy = "RoundRobin" }, "routes[0].strategy"},
		"retry attempts 1000": {func(c *config.Config) { c.Routes[0].Retry.Attempts = 1000 }, "retry.attempts"},
	}
	failures := testutil.ToFloat64(g.s.m.ReloadFailures)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			bad := cloneConfig(t, cfg)
			tc.mutate(bad)
			doc, err := config.Marshal(bad)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.s.Load(bad); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: error %v, want it to name %q", err, tc.want)
			}
			if err := g.s.LoadBytes(doc); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadBytes (the Secret path): error %v, want it to name %q", err, tc.want)
			}
			if err := os.WriteFile(file, doc, 0o600); err != nil {
				t.Fatal(err)
			}
			hup <- struct{}{}
			failures += 3
			eventually(t, 5*time.Second, "the file reload refused", func() bool {
				return testutil.ToFloat64(g.s.m.ReloadFailures) == failures
			})
			if g.s.ConfigHash() != hash {
				t.Fatalf("the refused config replaced the served one")
			}
			resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
			if body := readAll(t, resp); resp.StatusCode != http.StatusOK {
				t.Errorf("the previous config stopped serving: %d %s", resp.StatusCode, body)
			}
		})
	}
	if !strings.Contains(g.logs.String(), "config refused") || !strings.Contains(g.logs.String(), "server.maxInFlight") {
		t.Errorf("refusals not logged with the field: %s", g.logs.String())
	}
}

// cloneConfig deep-copies a config through its JSON form.
func cloneConfig(t *testing.T, c *config.Config) *config.Config {
	t.Helper()
	b, err := config.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out, err := config.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
