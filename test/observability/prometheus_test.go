package observability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
)

const prometheusConfig = `global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: tollgate
    static_configs:
      - targets: ["%s"]
        labels: {namespace: obs, pod: gw-0}
`

// startPrometheus runs Prometheus on 127.0.0.1 scraping target every
// second, with exemplar storage on; it returns the API's base URL.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin := backendBin(t, "prometheus")
	dir := t.TempDir()
	conf := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(conf, fmt.Appendf(nil, prometheusConfig, target), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePorts(t, 1)[0]
	startProcess(t, "prometheus", bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--enable-feature=exemplar-storage", "--log.level=warn")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, base+"/-/ready", 60*time.Second)
	return base
}

// promResult is an instant query's answer.
type promResult struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func promQuery(ctx context.Context, base, q string) (*promResult, error) {
	body, status, err := get(ctx, base+"/api/v1/query?query="+url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	var r promResult
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("status %d: %w: %s", status, err, tail(body, 500))
	}
	return &r, nil
}

// finite reports whether some sample of r is a number (not NaN or Inf):
// a histogram_quantile over buckets that did not move answers NaN.
func (r *promResult) finite() bool {
	for _, s := range r.Data.Result {
		v, err := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		if err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return true
		}
	}
	return false
}

// dashboardQueries are the PromQL of every panel target of the shipped
// dashboard, with its variables as Grafana substitutes them for "All" and a
// 1 s scrape interval.
func dashboardQueries(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../config/grafana/tollgate-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer(`"$namespace"`, `".*"`, `"$model"`, `".*"`, `"$consumer"`, `".*"`,
		"$__rate_interval", "10s", "$__range", "1m")
	out := map[string]string{}
	for _, p := range dash.Panels {
		for i, tg := range p.Targets {
			if tg.Expr != "" {
				out[fmt.Sprintf("%s [%d]", p.Title, i)] = vars.Replace(tg.Expr)
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d dashboard queries found", len(out))
	}
	return out
}

// TestDashboardQueriesAnswerFromRealPrometheus: a real Prometheus scrapes a
// gateway under a bounded mixed load (fallbacks, streams cut by the
// upstream, refused keys, answers no backend could give, a refused
// reload, limits on an unreachable Redis), and every query of every panel of the shipped Grafana dashboard
// returns data through its PromQL API; the GenAI histograms' exemplars
// carry the trace ids of the sampled requests.
func TestDashboardQueriesAnswerFromRealPrometheus(t *testing.T) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer sink.Close()
	deadRedis := fmt.Sprintf("127.0.0.1:%d", freePorts(t, 1)[0])
	g := startGateway(t, func(c *config.Config) {
		price := config.Pricing{InputPerMillion: 2.5, OutputPerMillion: 10}
		for i := range c.Routes[0].Backends {
			c.Routes[0].Backends[i].Pricing = price
		}
		c.Policies = []config.Policy{{Name: "roomy", Limits: []config.Limit{{Window: config.D(time.Minute), Requests: 1 << 30, Tokens: 1 << 40}}}}
		c.Consumers[0].Policies = []string{"roomy"}
		c.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailOpen,
			Redis: &config.Redis{Addresses: []string{deadRedis}, Timeout: config.D(20 * time.Millisecond)}}
		c.Telemetry = config.Telemetry{Tracing: &config.Tracing{Endpoint: sink.URL, Protocol: config.OTLPHTTP}}
	})
	defer g.s.Close()
	base := startPrometheus(t, g.metrics)

	// A config the contract refuses: counted, the previous one serves on.
	if err := g.s.LoadBytes([]byte(`{"version":"` + config.SchemaVersion + `","auth":{"mode":"Nope"}}`)); err == nil {
		t.Fatal("a bad config was loaded")
	}
	// Bounded load: at most 600 requests or 8 s, about one each 15 ms.
	client := &http.Client{Timeout: 10 * time.Second}
	send := func(key, body string, hdr map[string]string) {
		req, err := proxytest.NewRequest(t.Context(), http.MethodPost, g.url+"/v1/chat/completions", key, body, hdr)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	chat := `{"model":"m","messages":[{"role":"user","content":"one two three"}]}`
	stream := `{"model":"m","stream":true,"messages":[{"role":"user","content":"one two three"}]}`
	start := time.Now()
	for i := 0; i < 600 && time.Since(start) < 8*time.Second; i++ {
		switch i % 10 {
		case 3:
			send("sk-not-a-key", chat, nil)
		case 5:
			send(g.key, stream, map[string]string{"X-Mock-Chunks": "6"})
		case 7:
			send(g.key, stream, map[string]string{"X-Mock-Drop-After": "2"})
		case 9:
			send(g.key, chat, map[string]string{"X-Mock-Status": "500"}) // both backends fail: a 5xx
		default:
			send(g.key, chat, nil)
		}
		time.Sleep(15 * time.Millisecond)
	}
	t.Logf("load: %s", time.Since(start).Round(time.Millisecond))

	ctx := context.Background()
	queries := dashboardQueries(t)
	pending := map[string]string{}
	for k, v := range queries {
		pending[k] = v
	}
	why := map[string]string{}
	deadline := time.Now().Add(20 * time.Second)
	for len(pending) > 0 && time.Now().Before(deadline) {
		for name, q := range pending {
			r, err := promQuery(ctx, base, q)
			switch {
			case err != nil:
				why[name] = err.Error()
			case r.Status != "success":
				why[name] = r.ErrorType + ": " + r.Error
			case len(r.Data.Result) == 0:
				why[name] = "no series"
			case strings.Contains(q, "histogram_quantile") && !r.finite():
				why[name] = "NaN quantile"
			default:
				delete(pending, name)
			}
		}
		if len(pending) > 0 {
			time.Sleep(500 * time.Millisecond)
		}
	}
	for name, q := range pending {
		t.Errorf("panel %s: %s\n  %s", name, why[name], q)
	}
	t.Logf("%d dashboard queries answered", len(queries)-len(pending))

	// The exemplars of the GenAI duration histogram name sampled traces.
	now := time.Now()
	body, _, err := get(ctx, fmt.Sprintf("%s/api/v1/query_exemplars?query=%s&start=%d&end=%d", base,
		url.QueryEscape(`gen_ai_server_request_duration_seconds_bucket{namespace="obs"}`), now.Add(-time.Minute).Unix(), now.Unix()))
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Data []struct {
			Exemplars []struct {
				Labels map[string]string `json:"labels"`
			} `json:"exemplars"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ex); err != nil {
		t.Fatal(err)
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	n := 0
	for _, d := range ex.Data {
		for _, e := range d.Exemplars {
			if !hex32.MatchString(e.Labels["trace_id"]) {
				t.Errorf("exemplar without a trace id: %v", e.Labels)
			}
			n++
		}
	}
	if n == 0 {
		t.Errorf("Prometheus stored no exemplar of gen_ai_server_request_duration_seconds: %s", tail(body, 2000))
	}
	t.Logf("%d exemplars with trace ids", n)
}
