package proxy

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// TestGlobRouteNamesTheAskedModel: through a glob route, answers (whole
// and streamed, in every client API) and the access log name the model the
// client asked for, the log adding the route's pattern and the upstream
// model; metrics and usage stay folded into the pattern
// (TestModelCardinalityBounded).
func TestGlobRouteNamesTheAskedModel(t *testing.T) {
	up := mockup.New(t)
	p := upstreamProvider("a", up)
	p.Type = config.ProviderOpenAICompatible
	cfg, key := baseConfig(t, []config.Provider{p}, config.Backend{Provider: "a", UpstreamModel: "m"})
	cfg.Routes = append(cfg.Routes, config.Route{Model: "x-*", Backends: []config.Backend{{Provider: "a", Weight: new(1)}}})
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg)
	for _, tc := range []struct{ path, body string }{
		{"/v1/messages", `{"model":"x-7","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/messages", `{"model":"x-7","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/responses", `{"model":"x-7","input":"hi"}`},
		{"/v1/responses", `{"model":"x-7","input":"hi","stream":true}`},
	} {
		resp := g.do(t, http.MethodPost, tc.path, key, tc.body, map[string]string{"anthropic-version": "2023-06-01"})
		b := readAll(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(b, `"model":"x-7"`) || strings.Contains(b, `x-*`) {
			t.Errorf("%s %s: %d %s", tc.path, tc.body, resp.StatusCode, b)
		}
	}
	logs := g.logs.String()
	if !strings.Contains(logs, `"model":"x-7"`) || !strings.Contains(logs, `"route":"x-*"`) || !strings.Contains(logs, `"upstream_model":"x-7"`) {
		t.Errorf("access log: %s", logs)
	}
}

// TestAliasRouteNamesThePublicModel: a route whose backend serves another
// upstream model answers under the public name on the OpenAI APIs too
// (whole, streamed, embeddings); the upstream model is in the access log.
func TestAliasRouteNamesThePublicModel(t *testing.T) {
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "vendor-model-7"})
	g := startGateway(t, cfg)
	for _, tc := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/embeddings", `{"model":"m","input":"hi"}`},
	} {
		resp := g.do(t, http.MethodPost, tc.path, key, tc.body, nil)
		b := readAll(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(b, `"model":"m"`) || strings.Contains(b, "vendor-model-7") ||
			resp.Header.Get(HeaderUpstreamModel) != "vendor-model-7" {
			t.Errorf("%s %s: %d %s", tc.path, tc.body, resp.StatusCode, b)
		}
	}
	if logs := g.logs.String(); !strings.Contains(logs, `"upstream_model":"vendor-model-7"`) {
		t.Errorf("access log: %s", logs)
	}
	for _, r := range up.Requests() {
		if !strings.Contains(string(r.Body), `"vendor-model-7"`) {
			t.Errorf("upstream was asked for another model: %s", r.Body)
		}
	}
}
