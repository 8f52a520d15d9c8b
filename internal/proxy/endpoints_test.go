package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

type endpointsAnswer struct {
	Data struct {
		ID        string `json:"id"`
		Endpoints []struct {
			Name          string   `json:"name"`
			ProviderName  string   `json:"provider_name"`
			ContextLength *int64   `json:"context_length"`
			Uptime        *float64 `json:"uptime_last_30m"`
			Latency       *struct {
				P50 float64 `json:"p50"`
				P95 float64 `json:"p95"`
			} `json:"latency_last_30m"`
			Throughput *struct {
				P50 float64 `json:"p50"`
			} `json:"throughput_last_30m"`
			Pricing *struct {
				Prompt     string `json:"prompt"`
				Completion string `json:"completion"`
			} `json:"pricing"`
			Stats struct {
				Backend     string            `json:"backend"`
				Priority    int               `json:"priority"`
				Requests    uint64            `json:"requests"`
				Succeeded   uint64            `json:"succeeded"`
				SuccessRate *float64          `json:"success_rate"`
				Errors      map[string]uint64 `json:"errors"`
				TTFT        *struct {
					P50 float64 `json:"p50"`
				} `json:"ttft_ms"`
			} `json:"stats"`
		} `json:"endpoints"`
	} `json:"data"`
}

// The availability figures through the real proxy: backend a fails with
// 503s (each request falls back to b), b answers streams after an
// injected delay; /v1/models/m/endpoints shows a down, b up and slow.
func TestModelEndpointsUnderFaults(t *testing.T) {
	ua, ub := mockup.New(t), mockup.New(t)
	pa, pb := upstreamProvider("a", ua), upstreamProvider("b", ub)
	pa.Headers = map[string]string{"x-mock-status": "503"}
	pb.Headers = map[string]string{"x-mock-delay": "150ms", "x-mock-chunks": "5"}
	cfg, key := baseConfig(t, []config.Provider{pa, pb},
		config.Backend{Provider: "a", UpstreamModel: "m-a", Pricing: config.Pricing{InputPerMillion: 1, OutputPerMillion: 2}},
		config.Backend{Provider: "b", UpstreamModel: "m-b", Priority: 1})
	cfg.Models = append(cfg.Models, config.Model{Name: "m-b", Provider: "b", ContextWindow: 32000,
		Pricing: config.Pricing{InputPerMillion: 3, OutputPerMillion: 4}})
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg)

	// Before any traffic: both listed, nothing known.
	got := g.endpoints(t, key, "m")
	if len(got.Data.Endpoints) != 2 || got.Data.Endpoints[0].Uptime != nil || got.Data.Endpoints[0].Latency != nil {
		t.Fatalf("before traffic: %+v", got)
	}
	const n = 4
	for range n {
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(true, ""), nil)
		if body := readAll(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	}
	got = g.endpoints(t, key, "m")
	if got.Data.ID != "m" || len(got.Data.Endpoints) != 2 {
		t.Fatalf("%+v", got)
	}
	a, b := got.Data.Endpoints[0], got.Data.Endpoints[1]
	if a.ProviderName != "a" || a.Name != "a | m-a" || a.Stats.Backend != "a/m-a" || b.Stats.Priority != 1 {
		t.Errorf("identity: %+v / %+v", a, b)
	}
	// a: every attempt 503 until passive health ejected it.
	if a.Stats.Succeeded != 0 || a.Stats.Requests < ejectAfter || a.Stats.Errors["server_error"] != a.Stats.Requests ||
		a.Uptime == nil || *a.Uptime != 0 || a.Stats.SuccessRate == nil || *a.Stats.SuccessRate != 0 {
		t.Errorf("a: %+v uptime %v", a.Stats, a.Uptime)
	}
	if a.Pricing == nil || a.Pricing.Prompt != "0.000001" || a.Pricing.Completion != "0.000002" {
		t.Errorf("a pricing %+v", a.Pricing)
	}
	// b: every call answered, after the injected 150ms.
	if b.Stats.Requests != n || b.Stats.Succeeded != n || b.Uptime == nil || *b.Uptime != 100 || len(b.Stats.Errors) != 0 {
		t.Errorf("b: %+v", b.Stats)
	}
	if b.Latency == nil || b.Latency.P50 < 100 || b.Stats.TTFT == nil || b.Stats.TTFT.P50 < 100 {
		t.Errorf("b latency %+v ttft %+v: want at least the injected delay", b.Latency, b.Stats.TTFT)
	}
	if b.Throughput == nil || b.Throughput.P50 <= 0 {
		t.Errorf("b throughput %+v", b.Throughput)
	}
	if b.ContextLength == nil || *b.ContextLength != 32000 || b.Pricing == nil || b.Pricing.Prompt != "0.000003" {
		t.Errorf("b catalogue facts: ctx %v pricing %+v", b.ContextLength, b.Pricing)
	}
	// The window is the server's read API too.
	if st := g.s.Availability().Lookup("b/m-b").Stats(time.Now()); st.Succeeded != n {
		t.Errorf("registry: %+v", st)
	}
}

func TestModelEndpointsRefusals(t *testing.T) {
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a"})
	other, ok := newKey(t)
	cfg.Consumers = append(cfg.Consumers, config.Consumer{Name: "narrow", Keys: []config.Key{ok}, AllowedModels: []string{"x"}})
	cfg.Default()
	g := startGateway(t, cfg)
	for name, tc := range map[string]struct {
		key, path string
		status    int
	}{
		"no key":             {"", "/v1/models/m/endpoints", http.StatusUnauthorized},
		"unknown model":      {key, "/v1/models/nope/endpoints", http.StatusNotFound},
		"model not allowed":  {other, "/v1/models/m/endpoints", http.StatusNotFound},
		"allowed and routed": {key, "/v1/models/m/endpoints", http.StatusOK},
		"the model itself":   {key, "/v1/models/m", http.StatusOK},
		"nothing before it":  {key, "/v1/models//endpoints", http.StatusNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			resp := g.do(t, http.MethodGet, tc.path, tc.key, "", nil)
			body := readAll(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if tc.status != http.StatusOK {
				errorCode(t, body)
			}
		})
	}
}

func (g *gw) endpoints(t *testing.T, key, model string) endpointsAnswer {
	t.Helper()
	var out endpointsAnswer
	okJSON(t, g.do(t, http.MethodGet, "/v1/models/"+model+"/endpoints", key, "", nil), &out)
	return out
}
