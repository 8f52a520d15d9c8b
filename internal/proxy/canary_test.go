package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

const canaryVendorKey = "sk-canary-VENDOR-7f3a9c2e41d8b6"

// echoingUpstream is an OpenAI-format vendor that, asked with x-echo, puts
// the credential it received into its error messages (a 400, or an error
// event inside a stream); every other request goes to the mock.
func echoingUpstream(t *testing.T, mock *mockup.Server) *httptest.Server {
	t.Helper()
	return frontedUpstream(t, mock, func(w http.ResponseWriter, r *http.Request) bool {
		echo := r.Header.Get("X-Echo")
		if echo == "" {
			return false
		}
		msg, _ := json.Marshal("Incorrect API key provided: " + r.Header.Get("Authorization"))
		if echo == "stream" {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n")
			fmt.Fprintf(w, "data: {\"error\":{\"message\":%s,\"type\":\"server_error\"}}\n\n", msg)
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":%s,"type":"invalid_request_error","code":"invalid_api_key"}}`, msg)
		return true
	})
}

// Row 24: a canary consumer key and vendor key used through successes,
// 401s, 429s, upstream errors and streams never appear in a log line, a
// response (body or header), /metrics or /usage.
func TestCanaryKeysNeverLeak(t *testing.T) {
	mock := mockup.New(t)
	echo := echoingUpstream(t, mock)
	prov := config.Provider{Name: "a", Type: config.ProviderOpenAI, Endpoint: echo.URL + "/v1", APIKey: canaryVendorKey,
		ForwardHeaders:      []string{"X-Mock-*", "X-Echo"},
		AllowPrivateNetwork: true, Timeouts: config.Timeouts{FirstToken: config.D(5 * time.Second), Idle: config.D(5 * time.Second)}}
	cfg, key := baseConfig(t, []config.Provider{prov}, config.Backend{Provider: "a", UpstreamModel: "m"})
	cfg.Routes[0].Retry.Attempts = 1
	const admitted = 9
	cfg.Policies = []config.Policy{{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Requests: admitted}}}}
	cfg.Consumers[0].Policies = []string{"std"}
	cfg.Default()
	g := startGateway(t, cfg, withLimitOpts(frozen()))
	secret := key[strings.IndexByte(key, '_')+1:]

	var seen strings.Builder
	record := func(resp *http.Response) int {
		body := readAll(t, resp)
		fmt.Fprintf(&seen, "%d %v %s\n", resp.StatusCode, resp.Header, body)
		return resp.StatusCode
	}
	msgs := `{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`
	steps := []struct {
		name, path, key, body string
		hdr                   map[string]string
		want                  int
	}{
		{"success", "/v1/chat/completions", key, chatBody(false, ""), nil, 200},
		{"stream", "/v1/chat/completions", key, chatBody(true, ""), nil, 200},
		{"messages", messagesPath, key, msgs, nil, 200},
		{"messages stream", messagesPath, key, strings.Replace(msgs, `"hi"}]`, `"hi"}],"stream":true`, 1), nil, 200},
		{"wrong key", "/v1/chat/completions", key + "x", chatBody(false, ""), nil, 401},
		{"wrong key, messages", messagesPath, "", msgs, map[string]string{"x-api-key": key + "x"}, 401},
		{"vendor echoes its key", "/v1/chat/completions", key, chatBody(false, ""), map[string]string{"x-echo": "1"}, 400},
		{"vendor echoes its key, messages", messagesPath, key, msgs, map[string]string{"x-echo": "1"}, 400},
		{"vendor echoes its key mid-stream", "/v1/chat/completions", key, chatBody(true, ""), map[string]string{"x-echo": "stream"}, 200},
		{"vendor 503", "/v1/chat/completions", key, chatBody(false, ""), map[string]string{"x-mock-status": "503"}, 503},
		{"vendor 429", "/v1/chat/completions", key, chatBody(false, ""), map[string]string{"x-mock-status": "429"}, 429},
		{"policy 429", "/v1/chat/completions", key, chatBody(false, ""), nil, 429},
		{"policy 429, messages", messagesPath, key, msgs, nil, 429},
	}
	for _, s := range steps {
		if got := record(g.do(t, http.MethodPost, s.path, s.key, s.body, s.hdr)); got != s.want {
			t.Errorf("%s: status %d, want %d", s.name, got, s.want)
		}
	}
	if got := usageOf(t, g.s, "team-a").Requests; got != admitted {
		t.Errorf("admitted %d requests, want the policy's %d (the run must reach the 429s)", got, admitted)
	}
	rec := httptest.NewRecorder()
	g.s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	_, _, usage := usageReportOf(t, g.s)
	outputs := map[string]string{"log": g.logs.String(), "responses": seen.String(), "/metrics": rec.Body.String(), "/usage": usage}
	if strings.Count(outputs["responses"], "Incorrect API key provided: ") < 3 {
		t.Error("the echoing vendor was not exercised")
	}
	for where, text := range outputs {
		for name, canary := range map[string]string{"consumer key": key, "consumer key secret": secret, "vendor key": canaryVendorKey,
			"vendor key tail": canaryVendorKey[len(canaryVendorKey)-12:]} {
			if strings.Contains(text, canary) {
				t.Errorf("the %s appears in the %s", name, where)
			}
		}
	}
}
