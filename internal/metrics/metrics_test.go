package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCodeClass(t *testing.T) {
	for status, want := range map[int]string{200: "2xx", 204: "2xx", 302: "3xx", 404: "4xx", 429: "4xx", 502: "5xx", 499: "4xx", 0: "other"} {
		if got := CodeClass(status); got != want {
			t.Errorf("CodeClass(%d) = %s, want %s", status, got, want)
		}
	}
}

func TestExposition(t *testing.T) {
	m := New()
	m.SetConfigHash("aaa")
	m.SetConfigHash("bbb")
	m.TokenUsage.WithLabelValues("input", "gpt", "openai").Observe(10)
	m.ReloadFailures.Inc()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{`tollgate_config_info{hash="bbb"} 1`, `gen_ai_client_token_usage_sum{gen_ai_provider_name="openai",gen_ai_request_model="gpt",gen_ai_token_type="input"} 10`,
		"tollgate_config_reload_failures_total 1", "go_goroutines"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(out, `hash="aaa"`) {
		t.Error("an old config hash is still exported")
	}
}
