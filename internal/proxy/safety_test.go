package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// Row 19: over-limit bodies get 413 before being read whole; malformed or
// hostile JSON gets 400 and nothing goes upstream.
func TestRow19BodyLimitAndMalformedJSON(t *testing.T) {
	cfg, key, up := mockConfig(t)
	cfg.Server.MaxRequestBodyBytes = 1024
	g := startGateway(t, cfg)
	big := chatBody(false, `,"pad":"`+strings.Repeat("x", 4096)+`"`)
	t.Run("413 declared length", func(t *testing.T) {
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, big, nil)
		if body := readAll(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge || errorCode(t, body) != "request_too_large" {
			t.Errorf("status %d body %s", resp.StatusCode, body)
		}
	})
	t.Run("413 chunked", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, g.url+"/v1/chat/completions", io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d body %s", resp.StatusCode, body)
		}
	})
	bad := map[string]string{
		"not JSON":           `{"model":`,
		"array":              `[]`,
		"model not a string": `{"model":1,"messages":[]}`,
		"no messages":        `{"model":"m"}`,
		"stream not boolean": `{"model":"m","messages":[],"stream":"yes"}`,
		"duplicate model":    `{"model":"m","messages":[],"mod\u0065l":"other"}`,
		"deep nesting":       `{"model":"m","messages":` + strings.Repeat("[", 900) + strings.Repeat("]", 900) + `}`,
		"trailing garbage":   `{"model":"m","messages":[]} x`,
		"empty":              ``,
		"negative max":       `{"model":"m","messages":[],"max_tokens":-5}`,
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, body, nil)
			got := readAll(t, resp)
			if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d body %s", resp.StatusCode, got)
			}
			errorCode(t, got)
		})
	}
	if n := up.Count(); n != 0 {
		t.Errorf("%d requests reached the upstream", n)
	}
}

// Row 20: clients trickling headers or body are cut by read deadlines
// while others are served.
func TestRow20SlowClients(t *testing.T) {
	cfg, key, _ := mockConfig(t)
	cfg.Server.ReadHeaderTimeout = config.D(200 * time.Millisecond)
	cfg.Server.ReadTimeout = config.D(300 * time.Millisecond)
	g := startGateway(t, cfg)
	addr := strings.TrimPrefix(g.url, "http://")
	cut := func(t *testing.T, send string) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, send); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(conn) // returns when the server closes the connection
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("slow client was not cut (read %q)", got)
		}
		if strings.Contains(string(got), "200 OK") {
			t.Errorf("slow client was served: %q", got)
		}
	}
	t.Run("headers", func(t *testing.T) {
		cut(t, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+key+"\r\n")
	})
	t.Run("body", func(t *testing.T) {
		cut(t, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+key+"\r\nContent-Length: 500\r\n\r\n{\"model\":")
	})
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
	if body := readAll(t, resp); resp.StatusCode != 200 {
		t.Errorf("a normal client was hurt: %d %s", resp.StatusCode, body)
	}
}

// Row 21: every key failure gets one identical 401; rotation overlaps;
// allowed-model globs give 403 and filter /v1/models.
func TestRow21Keys(t *testing.T) {
	cfg, good, _ := mockConfig(t)
	old, oldK := newKey(t)
	future, past := time.Now().Add(time.Hour), time.Now().Add(-time.Second)
	oldK.NotAfter = &future
	expired, expK := newKey(t)
	expK.NotAfter = &past
	disabled, disK := newKey(t)
	limited, limK := newKey(t)
	cfg.Consumers[0].Keys = append(cfg.Consumers[0].Keys, oldK, expK)
	cfg.Consumers = append(cfg.Consumers,
		config.Consumer{Name: "off", Keys: []config.Key{disK}, Disabled: true},
		config.Consumer{Name: "narrow", Keys: []config.Key{limK}, AllowedModels: []string{"other-*"}})
	cfg.Routes = append(cfg.Routes, config.Route{Model: "other-*", Backends: []config.Backend{{Provider: "p"}}, Retry: config.Retry{Attempts: 1}})
	g := startGateway(t, cfg)
	id := strings.SplitN(good, "_", 2)[0]

	var first string
	for name, hdr := range map[string]map[string]string{
		"missing":    {},
		"not bearer": {"Authorization": "Basic " + good},
		"unknown":    {"Authorization": "Bearer tg-zzzzzzzz_unknownsecret"},
		"wrong":      {"Authorization": "Bearer " + id + "_wrongsecretwrongsecret"},
		"disabled":   {"Authorization": "Bearer " + disabled},
		"expired":    {"Authorization": "Bearer " + expired},
		"any string": {"x-api-key": "sk-not-a-gateway-key"},
	} {
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", "", chatBody(false, ""), hdr)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("%s: 401 body differs: %q vs %q", name, body, first)
		}
	}
	for name, hdr := range map[string]map[string]string{
		"bearer": {"Authorization": "Bearer " + good}, "x-api-key": {"x-api-key": good},
		"api-key": {"api-key": good}, "rotated old key": {"Authorization": "Bearer " + old},
	} {
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", "", chatBody(false, ""), hdr)
		if body := readAll(t, resp); resp.StatusCode != 200 {
			t.Errorf("%s: status %d %s", name, resp.StatusCode, body)
		}
	}
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", limited, chatBody(false, ""), nil)
	if body := readAll(t, resp); resp.StatusCode != http.StatusForbidden || errorCode(t, body) != "model_not_allowed" {
		t.Errorf("not allowed: %d %s", resp.StatusCode, body)
	}
	resp = g.do(t, http.MethodGet, "/v1/models", limited, "", nil)
	if body := readAll(t, resp); strings.Contains(body, `"id":"m"`) {
		t.Errorf("/v1/models shows a model the key may not use: %s", body)
	}
}

// Row 22: client credentials, cookies and hop-by-hop headers never reach
// the upstream; ordinary headers do; the vendor credential is the gateway's.
func TestRow22HeaderHygiene(t *testing.T) {
	cfg, key, up := mockConfig(t)
	// An ordinary header reaches the vendor when the provider forwards it
	// (the allow-list alone does not: TestClientHeadersAllowList).
	prov := &cfg.Providers[0]
	prov.ForwardHeaders = append(prov.ForwardHeaders, "X-Trace-Id")
	g := startGateway(t, cfg)
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), map[string]string{
		"x-api-key": key, "api-key": key, "Cookie": "session=abc", "Proxy-Authorization": "Basic eA==",
		"Connection": "X-Hop", "X-Hop": "1", "Keep-Alive": "timeout=5", "OpenAI-Organization": "org-evil",
		"X-Trace-Id": "trace-1",
	})
	if body := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
	rec, _ := up.Last()
	for _, h := range []string{"X-Api-Key", "Api-Key", "Cookie", "Proxy-Authorization", "X-Hop", "Keep-Alive", "Openai-Organization"} {
		if v := rec.Header.Get(h); v != "" {
			t.Errorf("%s reached the upstream: %q", h, v)
		}
	}
	if got := rec.Header.Get("Authorization"); got != "Bearer sk-vendor-p" {
		t.Errorf("Authorization upstream = %q", got)
	}
	if rec.Header.Get("X-Trace-Id") != "trace-1" {
		t.Errorf("ordinary header not forwarded")
	}
}

// Row 23: private, loopback and link-local targets are refused at dial time
// unless the provider allows them; redirects are not followed.
func TestRow23SSRFAndRedirects(t *testing.T) {
	for addr, blocked := range map[string]bool{
		"127.0.0.1": true, "169.254.169.254": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"100.64.0.1": true, "0.0.0.0": true, "224.0.0.1": true, "::1": true, "fe80::1": true, "fd00::1": true,
		"::ffff:127.0.0.1": true, "8.8.8.8": false, "2606:4700::1111": false,
	} {
		if got := blockedAddr(netip.MustParseAddr(addr)); got != blocked {
			t.Errorf("blockedAddr(%s) = %v, want %v", addr, got, blocked)
		}
	}
	up, served := mockup.New(t), mockup.New(t)
	for _, target := range []string{up.URL, "http://169.254.169.254", "http://10.0.0.1:81"} {
		p := upstreamProvider("p", up)
		p.Endpoint = target + "/v1"
		p.AllowPrivateNetwork = false
		p.Timeouts.Connect = config.D(time.Second)
		// The contract refuses an IP literal of a private network at load,
		// as the CRD does: the previous config keeps serving.
		cfg, key := baseConfig(t, []config.Provider{upstreamProvider("p", served)}, config.Backend{Provider: "p", UpstreamModel: "m"})
		g := startGateway(t, cfg)
		bad := *cfg
		bad.Providers = []config.Provider{p}
		if err := g.s.Load(&bad); err == nil || !strings.Contains(err.Error(), "private, loopback") {
			t.Errorf("%s: load error = %v, want the endpoint refused", target, err)
		}
		if g.s.Config().Providers[0].Endpoint != served.URL+"/v1" {
			t.Errorf("%s: the refused config replaced the served one", target)
		}
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
		if body := readAll(t, resp); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: the previous config stopped serving: %d %s", target, resp.StatusCode, body)
		}
		// A DNS name that resolves to such an address passes validation;
		// the dial guard refuses it when connecting.
		req, _ := http.NewRequest(http.MethodGet, target+"/v1/models", nil)
		_, err := newClient(newTransport(&p)).Do(req)
		if err == nil || !isConnectError(err) || !strings.Contains(err.Error(), "private, loopback") {
			t.Errorf("%s: the dial guard did not refuse it: %v", target, err)
		}
	}
	if up.Count() != 0 {
		t.Errorf("the guarded upstream was reached")
	}
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, up.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redir.Close()
	p := upstreamProvider("p", up)
	p.Endpoint = redir.URL + "/v1"
	cfg, key := baseConfig(t, []config.Provider{p}, config.Backend{Provider: "p", UpstreamModel: "m"})
	g := startGateway(t, cfg)
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
	if body := readAll(t, resp); resp.StatusCode != http.StatusBadGateway || errorCode(t, body) != "upstream_redirect" || up.Count() != 0 {
		t.Errorf("redirect: status %d body %s reached=%d", resp.StatusCode, body, up.Count())
	}
}

// Row 24: a canary consumer key and the vendor key never appear in logs,
// error bodies or metrics, whatever happens.
func TestRow24CanaryNeverLeaks(t *testing.T) {
	up := mockup.New(t)
	p := upstreamProvider("p", up)
	p.APIKey = "sk-canary-vendor-0123456789"
	cfg, key := baseConfig(t, []config.Provider{p}, config.Backend{Provider: "p", UpstreamModel: "m"})
	g := startGateway(t, cfg)
	var bodies []string
	for _, tc := range []struct {
		path, key, body string
		hdr             map[string]string
	}{
		{"/v1/chat/completions", key, chatBody(false, ""), nil},
		{"/v1/chat/completions", key, chatBody(true, ""), nil},
		{"/v1/chat/completions", key + "x", chatBody(false, ""), nil},
		{"/v1/chat/completions", key, `{"model":"nope","messages":[]}`, nil},
		{"/v1/chat/completions", key, `{bad json`, nil},
		{"/v1/chat/completions", key, chatBody(false, ""), map[string]string{"x-mock-status": "401"}},
		{"/v1/chat/completions", key, chatBody(false, ""), map[string]string{"x-mock-status": "500"}},
		{"/v1/chat/completions", key, chatBody(true, ""), map[string]string{"x-mock-drop-after": "1"}},
		{"/v1/models", key, "", nil},
	} {
		method := http.MethodPost
		if tc.body == "" {
			method = http.MethodGet
		}
		resp := g.do(t, method, tc.path, tc.key, tc.body, tc.hdr)
		bodies = append(bodies, readAll(t, resp), fmt.Sprint(resp.Header))
	}
	rec := httptest.NewRecorder()
	g.s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	all := strings.Join(bodies, "\n") + g.logs.String() + rec.Body.String()
	secret := key[strings.IndexByte(key, '_')+1:]
	for _, canary := range []string{secret, p.APIKey, "canary-vendor"} {
		if strings.Contains(all, canary) {
			t.Errorf("secret %q leaked", canary)
		}
	}
	if !strings.Contains(g.logs.String(), `"msg":"request"`) {
		t.Fatal("no access log captured")
	}
}

// Row 29: beyond the in-flight cap, a fast 503 with Retry-After; admitted
// requests complete.
func TestRow29InFlightCap(t *testing.T) {
	cfg, key, up := mockConfig(t)
	cfg.Server.MaxInFlight = 2
	g := startGateway(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var held []*bufio.Reader
	for i := 0; i < 2; i++ {
		resp := g.doCtx(t, ctx, http.MethodPost, "/v1/chat/completions", key, chatBody(true, ""),
			map[string]string{"x-mock-step": "row29", "x-mock-chunks": "2"})
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		readEvent(t, br)
		held = append(held, br)
	}
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || errorCode(t, body) != "gateway_overloaded" {
		t.Fatalf("over the cap: status %d Retry-After %q body %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	for _, br := range held {
		up.Step("row29") <- struct{}{}
		_ = br
	}
	for _, br := range held {
		rest, _ := io.ReadAll(br)
		if !strings.Contains(string(rest), "[DONE]") {
			t.Errorf("an admitted stream did not complete: %q", rest)
		}
	}
}
