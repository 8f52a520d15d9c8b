package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeAuth accepts the keys it maps.
type fakeAuth map[string]Principal

func (f fakeAuth) Authenticate(r *http.Request) (Principal, bool) {
	p, ok := f[bearer(r.Header.Get("Authorization"))]
	return p, ok
}

type fakeCatalog []ModelInfo

func (f fakeCatalog) Models(Principal) []ModelInfo { return f }

// leakyUsage returns every consumer's rows whoever asks, so the handler's
// own scoping is what is tested.
type leakyUsage struct {
	rep UsageReport
	err error
	got []Principal
}

func (l *leakyUsage) Usage(_ context.Context, p Principal) (UsageReport, error) {
	l.got = append(l.got, p)
	return l.rep, l.err
}

var leakyReport = UsageReport{Source: "limits",
	Windows: []ConsumerWindow{{Consumer: "team-a", Window: "Month", Period: "2026-11"}, {Consumer: "team-b", Window: "Day", Period: "2026-11-25"}},
	Rows: []UsageRow{
		{Consumer: "team-a", Model: "small", Provider: "p1", Requests: 2, InputTokens: 10, OutputTokens: 5, CostUSD: 0.5},
		{Consumer: "team-b", Model: "big", Provider: "p2", Requests: 7, InputTokens: 700, OutputTokens: 300, CostUSD: 9},
		{Consumer: "team-a", Model: "big", Provider: "p2", Requests: 1, InputTokens: 100, OutputTokens: 50, CostUSD: 1},
	}}

type fixture struct {
	url   string
	usage *leakyUsage
	logs  *bytes.Buffer
}

func serve(t *testing.T, enabled bool) *fixture {
	t.Helper()
	return serveWith(t, func(d *Deps) { d.Enabled = func() bool { return enabled } })
}

// serveWith serves the console with the tests' auth (team-a's key and an
// admin key), catalogue, usage and a log buffer, after edit has changed
// the Deps.
func serveWith(t *testing.T, edit func(*Deps)) *fixture {
	t.Helper()
	f := &fixture{usage: &leakyUsage{rep: leakyReport}, logs: &bytes.Buffer{}}
	d := Deps{
		Auth:    fakeAuth{"key-a": {Consumer: "team-a"}, "key-admin": {Admin: true}},
		Catalog: fakeCatalog{{ID: "small", Provider: "p1", Providers: []string{"p1"}, Capabilities: []string{"chat"}}},
		Usage:   f.usage,
		Logger:  slog.New(slog.NewTextHandler(f.logs, nil)),
	}
	edit(&d)
	ts := httptest.NewServer(New(d))
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

func (f *fixture) get(t *testing.T, method, path, key string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestAPIAnswersOne401ForEveryAuthFailure(t *testing.T) {
	f := serve(t, true)
	cases := map[string]struct{ method, path, key string }{
		"no key, session":          {"GET", "/console/api/session", ""},
		"no key, models":           {"GET", "/console/api/models", ""},
		"no key, usage":            {"GET", "/console/api/usage", ""},
		"no key, unknown endpoint": {"GET", "/console/api/nope", ""},
		"no key, POST":             {"POST", "/console/api/usage", ""},
		"unknown key":              {"GET", "/console/api/usage", "key-z"},
		"key of another case":      {"GET", "/console/api/models", "KEY-A"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp, body := f.get(t, c.method, c.path, c.key)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			if !bytes.Equal(body, unauthorizedBody) {
				t.Fatalf("body %q differs from the one 401 body", body)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Fatalf("Cache-Control %q", got)
			}
		})
	}
	if len(f.usage.got) != 0 {
		t.Fatalf("the usage source was asked without a valid key: %v", f.usage.got)
	}
}

func decodeUsage(t *testing.T, b []byte) usageResponse {
	t.Helper()
	var u usageResponse
	if err := json.Unmarshal(b, &u); err != nil {
		t.Fatalf("usage body %q: %v", b, err)
	}
	return u
}

func TestConsumerNeverSeesAnotherConsumersUsage(t *testing.T) {
	f := serve(t, true)
	resp, body := f.get(t, "GET", "/console/api/usage", "key-a")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "team-b") {
		t.Fatalf("team-a's answer mentions team-b: %s", body)
	}
	u := decodeUsage(t, body)
	if len(u.Rows) != 2 || len(u.Windows) != 1 || u.Windows[0].Consumer != "team-a" {
		t.Fatalf("rows %+v windows %+v", u.Rows, u.Windows)
	}
	// Sorted by tokens, largest first; totals are team-a's alone.
	if u.Rows[0].Model != "big" || u.Totals.Requests != 3 || u.Totals.InputTokens != 110 || u.Totals.OutputTokens != 55 || u.Totals.CostUSD != 1.5 {
		t.Fatalf("rows %+v totals %+v", u.Rows, u.Totals)
	}
	if u.Principal != (Principal{Consumer: "team-a"}) {
		t.Fatalf("principal %+v", u.Principal)
	}
}

func TestAdminSeesEveryConsumer(t *testing.T) {
	f := serve(t, true)
	resp, body := f.get(t, "GET", "/console/api/usage", "key-admin")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	u := decodeUsage(t, body)
	if len(u.Rows) != 3 || len(u.Windows) != 2 || u.Rows[0].Consumer != "team-b" || u.Totals.Requests != 10 {
		t.Fatalf("rows %+v windows %+v totals %+v", u.Rows, u.Windows, u.Totals)
	}
	if len(f.usage.got) != 1 || !f.usage.got[0].Admin {
		t.Fatalf("source asked with %+v", f.usage.got)
	}
}

func TestSessionModelsAndMethods(t *testing.T) {
	f := serve(t, true)
	_, body := f.get(t, "GET", "/console/api/session", "key-a")
	if strings.TrimSpace(string(body)) != `{"consumer":"team-a","admin":false}` {
		t.Fatalf("session %s", body)
	}
	resp, body := f.get(t, "GET", "/console/api/models", "key-a")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id":"small"`) {
		t.Fatalf("models %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.get(t, "POST", "/console/api/models", "key-a"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST with a key: %d", resp.StatusCode)
	}
	if resp, _ := f.get(t, "GET", "/console/api/nope", "key-a"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown endpoint with a key: %d", resp.StatusCode)
	}
}

func TestUsageSourceFailureIs503WithoutDetails(t *testing.T) {
	f := serve(t, true)
	f.usage.err = errors.New("limits: usage of \"team-a\": redis: connection refused")
	resp, body := f.get(t, "GET", "/console/api/usage", "key-a")
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(body), "redis") {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
	if !strings.Contains(f.logs.String(), "connection refused") || strings.Contains(f.logs.String(), "key-a") {
		t.Fatalf("log %q: want the error, never the key", f.logs.String())
	}
}

func TestDisabledConsoleIsNotThere(t *testing.T) {
	f := serve(t, false)
	for _, p := range []string{"/console/", "/console/api/session", "/console/assets/x.js"} {
		if resp, _ := f.get(t, "GET", p, "key-admin"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestStaticFilesHeaders(t *testing.T) {
	f := serve(t, true)
	resp, body := f.get(t, "GET", "/console/", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `<div id="app">`) {
		t.Fatalf("index %d %s", resp.StatusCode, body)
	}
	want := map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-cache",
		"X-Content-Type-Options": "nosniff",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("index %s = %q, want %q", k, got, v)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	// Every asset the page names is served with its type and a long cache.
	assets := 0
	for _, kind := range []struct{ attr, ext, ctype string }{{`src="`, ".js", "text/javascript; charset=utf-8"}, {`href="`, ".css", "text/css; charset=utf-8"}} {
		for _, part := range strings.Split(string(body), kind.attr)[1:] {
			ref := part[:strings.IndexByte(part, '"')]
			if !strings.HasPrefix(ref, "/console/assets/") || !strings.HasSuffix(ref, kind.ext) {
				continue
			}
			assets++
			r, _ := f.get(t, "GET", ref, "")
			if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != kind.ctype ||
				r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: %d %v", ref, r.StatusCode, r.Header)
			}
		}
	}
	if assets < 2 {
		t.Errorf("index.html names %d assets, want a script and a stylesheet", assets)
	}
	// Revalidation answers 304.
	req, _ := http.NewRequest("GET", f.url+"/console/", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", r.StatusCode)
	}
}

func TestStaticPathsAndMethods(t *testing.T) {
	f := serve(t, true)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := client.Get(f.url + "/console")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "/console/" {
		t.Fatalf("/console: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	for _, p := range []string{"/console/assets/none.js", "/console/../console/index.html%00", "/console/assets/..%2findex.html", "/other"} {
		if resp, _ := f.get(t, "GET", p, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := f.get(t, "POST", "/console/", ""); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/: %d", resp.StatusCode)
	}
}
