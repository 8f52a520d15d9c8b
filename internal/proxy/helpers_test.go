package proxy

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// gw is a gateway under test on 127.0.0.1.
type gw struct {
	s    *Server
	ts   *httptest.Server
	url  string
	logs *proxytest.Logs
	key  string
}

// startGateway serves cfg with a fresh Server; logs are captured.
func startGateway(t testing.TB, cfg *config.Config, opts ...func(*Options)) *gw {
	t.Helper()
	logs := &proxytest.Logs{}
	o := Options{Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, f := range opts {
		f(&o)
	}
	s := New(o)
	ts := proxytest.Serve(t, s, cfg)
	return &gw{s: s, ts: ts, url: ts.URL, logs: logs}
}

// newKey makes a consumer key and its config entry.
func newKey(t testing.TB) (string, config.Key) { t.Helper(); return proxytest.Key(t) }

// upstreamProvider is an OpenAI provider at a test upstream (127.0.0.1,
// so AllowPrivateNetwork is set explicitly) that is forwarded the mock's
// x-mock-* fault headers.
func upstreamProvider(name string, up *mockup.Server) config.Provider {
	return config.Provider{Name: name, Type: config.ProviderOpenAI, Endpoint: up.URL + "/v1", APIKey: "sk-vendor-" + name,
		AllowPrivateNetwork: true, ForwardHeaders: []string{"X-Mock-*"},
		Timeouts: config.Timeouts{Connect: config.D(time.Second), FirstToken: config.D(2 * time.Second), Idle: config.D(2 * time.Second), Request: config.D(20 * time.Second)}}
}

// frontedUpstream is an upstream on 127.0.0.1 before the mock: intercept
// answers the requests it takes (true when it wrote the answer), and
// every other request is relayed to the mock.
func frontedUpstream(t *testing.T, mock *mockup.Server, intercept func(w http.ResponseWriter, r *http.Request) bool) *httptest.Server {
	t.Helper()
	target, err := url.Parse(mock.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intercept(w, r) {
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// baseConfig is a gateway with one consumer (returned key) and the given
// providers; route "m" goes to the backends.
func baseConfig(t testing.TB, providers []config.Provider, backends ...config.Backend) (*config.Config, string) {
	t.Helper()
	key, k := newKey(t)
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "test"},
		Auth:      config.Auth{Mode: config.AuthAPIKey},
		Providers: providers,
		Routes: []config.Route{{Model: "m", Backends: backends,
			Retry: config.Retry{Attempts: 3, Backoff: config.D(time.Millisecond)}}},
		Consumers: []config.Consumer{{Name: "team-a", Keys: []config.Key{k}}},
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg, key
}

// mockConfig is baseConfig with one provider, "p", at a fresh mock
// upstream; route "m" goes to the mock's model "m".
func mockConfig(t testing.TB) (*config.Config, string, *mockup.Server) {
	t.Helper()
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("p", up)}, config.Backend{Provider: "p", UpstreamModel: "m"})
	return cfg, key, up
}

// mockGateway serves mockConfig unchanged.
func mockGateway(t testing.TB) (*gw, string, *mockup.Server) {
	t.Helper()
	cfg, key, up := mockConfig(t)
	return startGateway(t, cfg), key, up
}

func chatBody(stream bool, extra string) string {
	b := `{"model":"m","messages":[{"role":"user","content":"one two three"}]`
	if stream {
		b += `,"stream":true`
	}
	return b + extra + "}"
}

// do sends a request with the key and extra headers.
func (g *gw) do(t testing.TB, method, path, key, body string, hdr map[string]string) *http.Response {
	t.Helper()
	return g.doCtx(t, context.Background(), method, path, key, body, hdr)
}

func (g *gw) doCtx(t testing.TB, ctx context.Context, method, path, key, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := proxytest.NewRequest(ctx, method, g.url+path, key, body, hdr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

// okJSON reads resp and decodes its body into v, failing t unless it is
// a 200 with a JSON body; it returns the body.
func okJSON(t testing.TB, resp *http.Response, v any) string {
	t.Helper()
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, body)
	}
	if err := jsonUnmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s %s: %v: %s", resp.Request.Method, resp.Request.URL.Path, err, body)
	}
	return body
}

// errorBody decodes an OpenAI-shaped error and fails if it is not one.
func errorCode(t testing.TB, body string) string {
	t.Helper()
	var v struct {
		Error *struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
	if err := jsonUnmarshal([]byte(body), &v); err != nil || v.Error == nil || v.Error.Message == "" || v.Error.Type == "" {
		t.Fatalf("not an OpenAI error body: %q", body)
	}
	if v.Error.Code == nil {
		return ""
	}
	return *v.Error.Code
}

// events splits an SSE body into its data payloads.
func events(body string) []string {
	var out []string
	for _, ev := range strings.Split(body, "\n\n") {
		ev = strings.TrimSpace(ev)
		if d, ok := strings.CutPrefix(ev, "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

// eventually polls cond for up to d.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// returned waits for the error of what a goroutine runs (done): the test
// fails on an error, or when it has not returned within 15 s.
func returned(t testing.TB, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

// burst sends n requests at once (send(i) makes the i-th) and returns the
// admitted responses, bodies unread, and how many were answered 429. Any
// other status is an error of t.
func burst(t *testing.T, n int, send func(i int) *http.Response) (admitted []*http.Response, limited int) {
	t.Helper()
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := send(i)
			mu.Lock()
			defer mu.Unlock()
			switch resp.StatusCode {
			case http.StatusOK:
				admitted = append(admitted, resp)
			case http.StatusTooManyRequests:
				limited++
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			default:
				t.Errorf("status %d", resp.StatusCode)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	return admitted, limited
}

// finishStreams reads each stream to its end: it must end with [DONE].
func finishStreams(t *testing.T, streams []*http.Response) {
	t.Helper()
	for _, resp := range streams {
		if b := readAll(t, resp); !strings.HasSuffix(b, "data: [DONE]\n\n") {
			t.Errorf("stream did not finish: %q", b)
		}
	}
}
