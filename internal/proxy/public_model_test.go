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
	t.Cleanup(g.s.Close)
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
