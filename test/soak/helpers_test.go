// Package soak holds bounded soak and chaos tests of the gateway data plane
// (TESTING rows 27, 28 and 30). The long run is opt-in:
//
//	TOLLGATE_SOAK=1 go test -v -timeout 30m ./test/soak/                          # 60s soak
//	TOLLGATE_SOAK=1 TOLLGATE_SOAK_DURATION=10m go test -v -timeout 30m ./test/soak/ # the long run
//
// Without TOLLGATE_SOAK a short soak (a few seconds) and the SIGTERM test
// run. Every server is on 127.0.0.1; every load loop is bounded by a count
// and a time; nothing asserts on speed.
package soak

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	"github.com/tollgate-dev/tollgate/test/loadupstream"
)

// soakDuration is the soak's length: TOLLGATE_SOAK_DURATION, else 60s when
// TOLLGATE_SOAK=1, else short.
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("TOLLGATE_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("TOLLGATE_SOAK_DURATION=%q: want a positive duration such as 10m", v)
		}
		return d
	}
	if os.Getenv("TOLLGATE_SOAK") == "1" {
		return time.Minute
	}
	return 3 * time.Second
}

func optIn(t *testing.T) {
	if os.Getenv("TOLLGATE_SOAK") != "1" {
		t.Skip("set TOLLGATE_SOAK=1 to run the soak and chaos tests")
	}
}

// mockUpstream answers by the first path element: /ok (loadupstream's
// completion or stream of chunks gap apart), /r429 (rate limited), /e500
// (a server error).
func mockUpstream(chunks int, gap time.Duration) http.Handler {
	ok := loadupstream.Handler(chunks, gap)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/r429/"):
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":{"message":"slow down","type":"rate_limit_error"}}`, http.StatusTooManyRequests)
		case strings.HasPrefix(r.URL.Path, "/e500/"):
			http.Error(w, `{"error":{"message":"boom","type":"server_error"}}`, http.StatusInternalServerError)
		default:
			ok.ServeHTTP(w, r)
		}
	})
}

// serve runs h on 127.0.0.1 with a short idle timeout (idle keep-alive
// connections, and their goroutines, go away soon after the load), closed
// at cleanup.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 300 * time.Millisecond}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String()
}

// keys are the soak's consumers: "free" (no policy) and "tight" (a few
// requests a minute, so it is refused with 429s), and their config entries.
type keys struct {
	free, tight           string
	freeEntry, tightEntry config.Key
}

func newKeys(t *testing.T) keys {
	t.Helper()
	var k keys
	k.free, k.freeEntry = proxytest.Key(t)
	k.tight, k.tightEntry = proxytest.Key(t)
	return k
}

// soakConfig routes model "ok" to two weighted providers on the mock,
// "r429" and "e500" to failing ones, with the two consumers of k.
func soakConfig(t *testing.T, up string, k keys, drain time.Duration) *config.Config {
	t.Helper()
	p := func(name, path string) config.Provider {
		return config.Provider{Name: name, Type: config.ProviderOpenAICompatible, Endpoint: up + "/" + path + "/v1", AllowPrivateNetwork: true}
	}
	route := func(model string, backends ...string) config.Route {
		r := config.Route{Model: model, Retry: config.Retry{Attempts: 2, Backoff: config.D(time.Millisecond), MaxCooldown: config.D(time.Second)}}
		for _, b := range backends {
			r.Backends = append(r.Backends, config.Backend{Provider: b, UpstreamModel: "m", Weight: new(1)})
		}
		return r
	}
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "soak", Namespace: "test"},
		Auth:      config.Auth{Mode: config.AuthAPIKey},
		Providers: []config.Provider{p("a", "ok"), p("b", "ok"), p("slow", "r429"), p("bad", "e500")},
		Routes:    []config.Route{route("ok", "a", "b"), route("r429", "slow"), route("e500", "bad")},
		Policies:  []config.Policy{{Name: "tight", OnExceeded: config.ExceededReject, Limits: []config.Limit{{Window: config.D(time.Minute), Requests: 5}}}},
		Consumers: []config.Consumer{{Name: "free", Keys: []config.Key{k.freeEntry}}, {Name: "tight", Policies: []string{"tight"}, Keys: []config.Key{k.tightEntry}}},
		Server:    config.Server{DrainTimeout: config.D(drain)},
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("soak config: %v", err)
	}
	return cfg
}

func newServer(t *testing.T, cfg *config.Config) (*proxy.Server, string) {
	t.Helper()
	s := proxy.New(proxy.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err := s.Load(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, serve(t, s)
}

// chat sends one chat completion; cancelAfterFirst ends a stream after its
// first chunk. It returns the status and the body read.
func chat(ctx context.Context, client *http.Client, url, key, model string, stream, cancelAfterFirst bool) (int, string, error) {
	code, _, body, err := send(ctx, client, url, key, model, stream, cancelAfterFirst)
	return code, body, err
}

func send(ctx context.Context, client *http.Client, url, key, model string, stream, cancelAfterFirst bool) (int, http.Header, string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"hello"}],"max_tokens":8,"stream":%t}`, model, stream)
	req, err := proxytest.NewRequest(ctx, http.MethodPost, url+"/v1/chat/completions", key, body, nil)
	if err != nil {
		return 0, nil, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	if cancelAfterFirst && resp.StatusCode == http.StatusOK {
		buf := make([]byte, 64)
		_, _ = resp.Body.Read(buf)
		cancel()
		return resp.StatusCode, resp.Header, "", nil
	}
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

// settle polls (bounded: attempts × pause) until cond holds, collecting
// garbage and dropping idle connections between tries; it returns the last
// answer of cond's report.
func settle(attempts int, pause time.Duration, client *http.Client, cond func() (bool, string)) (bool, string) {
	var last string
	for range attempts {
		client.CloseIdleConnections()
		runtime.GC()
		ok, msg := cond()
		if ok {
			return true, msg
		}
		last = msg
		time.Sleep(pause)
	}
	return false, last
}
