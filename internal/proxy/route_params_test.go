package proxy

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// provider.require_parameters routes only to backends that honour every
// parameter the request sets, from the catalogue's lists (a's is its
// own, b's and c's their vendor's defaults).
func TestRequireParameters(t *testing.T) {
	onlyBasics := func(c *config.Config) {
		c.Routes[0].Backends[0].SupportedParameters = []string{config.ParamMaxTokens, config.ParamTemperature}
	}
	t.Run("a backend lacking a parameter is passed over", func(t *testing.T) {
		tr := newTrioWith(t, nil, onlyBasics)
		resp, body := tr.chat(t, "m", `,"seed":7,"temperature":0.5,"provider":{"require_parameters":true}`)
		if resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "b" || tr.ua.Count() != 0 {
			t.Errorf("status %d provider %q a=%d: %s", resp.StatusCode, resp.Header.Get(HeaderProvider), tr.ua.Count(), body)
		}
		// Parameters a honours, or no requirement: a (tier 0) serves.
		for _, extra := range []string{`,"temperature":0.5,"max_tokens":9,"provider":{"require_parameters":true}`, `,"seed":7`,
			`,"seed":null,"provider":{"require_parameters":true}`} {
			if resp, body := tr.chat(t, "m", extra); resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "a" {
				t.Errorf("%s: status %d provider %q: %s", extra, resp.StatusCode, resp.Header.Get(HeaderProvider), body)
			}
		}
	})
	t.Run("none supporting a parameter is a clear 400, and nothing goes upstream", func(t *testing.T) {
		tr := newTrioWith(t, nil, onlyBasics)
		resp, body := tr.chat(t, "m", `,"top_k":4,"provider":{"require_parameters":true}`)
		if resp.StatusCode != http.StatusBadRequest || errorCode(t, body) != "unsupported_parameters" || !strings.Contains(body, "top_k") {
			t.Errorf("status %d: %s", resp.StatusCode, body)
		}
		if tr.ua.Count()+tr.ub.Count() != 0 {
			t.Error("went upstream")
		}
	})
	t.Run("structured outputs are asked by a json_schema response format", func(t *testing.T) {
		tr := newTrioWith(t, nil, func(c *config.Config) {
			c.Routes[0].Backends[0].SupportedParameters = []string{config.ParamResponseFormat}
		})
		rf := `,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}},"provider":{"require_parameters":true}`
		if resp, body := tr.chat(t, "m", rf); resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "b" {
			t.Errorf("status %d provider %q: %s", resp.StatusCode, resp.Header.Get(HeaderProvider), body)
		}
	})
	t.Run("a fallback model lacking a parameter is skipped", func(t *testing.T) {
		tr := newTrioWith(t, map[string]map[string]string{"a": {"x-mock-status": "503"}, "b": {"x-mock-status": "503"}}, func(c *config.Config) {
			c.Routes[1].Backends[0].SupportedParameters = []string{config.ParamMaxTokens}
		})
		resp, body := tr.chat(t, "m", `,"seed":1,"models":["other"],"provider":{"require_parameters":true}`)
		if resp.StatusCode != http.StatusServiceUnavailable || tr.uc.Count() != 0 {
			t.Errorf("status %d c=%d: %s", resp.StatusCode, tr.uc.Count(), body)
		}
	})
	t.Run("the vendor defaults and a config naming an unknown parameter", func(t *testing.T) {
		if !strings.Contains(strings.Join(config.DefaultParameters(config.ProviderAnthropic), ","), "tools") ||
			strings.Contains(strings.Join(config.DefaultParameters(config.ProviderAnthropic), ","), "seed") {
			t.Errorf("anthropic defaults %v", config.DefaultParameters(config.ProviderAnthropic))
		}
		cfg, _ := baseConfig(t, []config.Provider{{Name: "a", Type: config.ProviderMock}}, config.Backend{Provider: "a"})
		cfg.Routes[0].Backends[0].SupportedParameters = []string{"temperature", "warp_speed"}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "warp_speed") {
			t.Errorf("validate: %v", err)
		}
	})
}
