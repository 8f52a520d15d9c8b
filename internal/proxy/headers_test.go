package proxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

func bedrockGateway(t *testing.T) (*gw, string, *mockup.Server) {
	t.Helper()
	up := mockup.New(t)
	// X-Client-Trace is forwarded by configuration (not by the allow-list).
	prov := config.Provider{Name: "br", Type: config.ProviderBedrock, Endpoint: up.URL, AllowPrivateNetwork: true,
		ForwardHeaders: []string{"X-Client-Trace", "X-Mock-*"},
		Bedrock:        &config.BedrockSettings{Region: "us-east-1", AccessKeyID: mockup.MockAccessKeyID, SecretAccessKey: mockup.MockSecretKey},
		Timeouts:       config.Timeouts{FirstToken: config.D(5 * time.Second), Idle: config.D(5 * time.Second)}}
	cfg, key := baseConfig(t, []config.Provider{prov}, config.Backend{Provider: "br", UpstreamModel: "amazon.nova-lite-v1:0"})
	return startGateway(t, cfg), key, up
}

// Client X-Amz-* headers never reach Bedrock: the signature is the
// gateway's, made over the final headers, and verified by the mock.
func TestClientAmzHeadersBlocked(t *testing.T) {
	g, key, up := bedrockGateway(t)
	for _, stream := range []bool{false, true} {
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(stream, ""), map[string]string{
			"X-Amz-Security-Token": "client-token", "X-Amz-Date": "20000101T000000Z", "X-Amz-Target": "Evil",
			"X-Client-Trace": "kept"})
		if body := readAll(t, resp); resp.StatusCode != 200 {
			t.Fatalf("stream %v: %d %s", stream, resp.StatusCode, body)
		}
		rec, _ := up.Last()
		if rec.Header.Get("X-Amz-Security-Token") != "" || rec.Header.Get("X-Amz-Target") != "" ||
			rec.Header.Get("X-Amz-Date") == "20000101T000000Z" || rec.Header.Get("X-Amz-Date") == "" {
			t.Errorf("upstream headers %v", rec.Header)
		}
		// A client header the provider forwards is covered by the signature.
		if rec.Header.Get("X-Client-Trace") != "kept" || !strings.Contains(strings.ToLower(rec.Header.Get("Authorization")), "x-client-trace") {
			t.Errorf("x-client-trace not forwarded and signed: %v", rec.Header)
		}
	}
}

// An adapter that refuses a request says why, with its own status.
func TestAdapterRequestErrorAnswered(t *testing.T) {
	g, key, up := bedrockGateway(t)
	resp := g.do(t, http.MethodPost, "/v1/embeddings", key, `{"model":"m","input":"hello"}`, nil)
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest || errorCode(t, body) != "unsupported_operation" || !strings.Contains(body, "chat completions only") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if up.Count() != 0 {
		t.Errorf("a refused request went upstream")
	}
}

// anthropic-* client headers go to no vendor but Anthropic (and there only
// anthropic-beta; anthropic-version is the adapter's).
func TestAnthropicHeadersNotForwarded(t *testing.T) {
	up := mockup.New(t)
	oa := upstreamProvider("oa", up)
	an := config.Provider{Name: "an", Type: config.ProviderAnthropic, Endpoint: up.URL, APIKey: "sk-ant", AllowPrivateNetwork: true,
		Timeouts: oa.Timeouts}
	cfg, key := baseConfig(t, []config.Provider{oa, an}, config.Backend{Provider: "oa", UpstreamModel: "m"})
	cfg.Routes = append(cfg.Routes, config.Route{Model: "claude", Backends: []config.Backend{{Provider: "an", UpstreamModel: "claude-sonnet-4"}}})
	g := startGateway(t, cfg)
	hdr := map[string]string{"anthropic-version": "2023-06-01", "anthropic-beta": "x-2025", "anthropic-dangerous-direct-browser-access": "true"}
	for _, model := range []string{"m", "claude"} {
		body := `{"model":"` + model + `","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`
		resp := g.do(t, http.MethodPost, messagesPath, key, body, hdr)
		if b := readAll(t, resp); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", model, resp.StatusCode, b)
		}
		rec, _ := up.Last()
		for k, v := range rec.Header {
			if !strings.HasPrefix(k, "Anthropic-") {
				continue
			}
			ok := model == "claude" && (k == "Anthropic-Beta" || k == "Anthropic-Version")
			if !ok {
				t.Errorf("%s: %s: %v reached the upstream", model, k, v)
			}
		}
		if model == "claude" && rec.Header.Get("Anthropic-Beta") != "x-2025" {
			t.Errorf("anthropic-beta not forwarded to Anthropic: %v", rec.Header)
		}
	}
}
