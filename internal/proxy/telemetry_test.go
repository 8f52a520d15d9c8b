package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
)

func TestIncomingTraceID(t *testing.T) {
	for tp, want := range map[string]string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01": "4bf92f3577b34da6a3ce929d0e0e4736",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01": "",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01": "",
		"00-4bf92f3577b34da6a3ce929d0e0e4736":                     "",
		"":                                                        "",
		"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01": "",
	} {
		if got := incomingTraceID(tp); got != want {
			t.Errorf("incomingTraceID(%q) = %q, want %q", tp, got, want)
		}
	}
}

// TestAccessLogJoinsTheCallersTraceWithTracingOff: with no tracer, the
// access log still names the trace of the client's traceparent (no span
// id: the gateway made none), and the upstream gets the client's
// traceparent only when the provider forwards it.
func TestAccessLogJoinsTheCallersTraceWithTracingOff(t *testing.T) {
	cfg, key, up := mockConfig(t)
	p := &cfg.Providers[0]
	p.ForwardHeaders = append(p.ForwardHeaders, "Traceparent")
	g := startGateway(t, cfg)
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	resp := g.do(t, "POST", "/v1/chat/completions", key, chatBody(false, ""), map[string]string{"Traceparent": tp})
	if body := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	logs := g.logs.String()
	if !strings.Contains(logs, `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`) || strings.Contains(logs, `"span_id"`) {
		t.Errorf("access log: %s", logs)
	}
	if last, _ := up.Last(); last.Header.Get("Traceparent") != tp {
		t.Errorf("upstream traceparent %q, want the client's", last.Header.Get("Traceparent"))
	}
}

// TestGenAIMetricsCarryTraceExemplars: with tracing on, the GenAI
// histograms get the request's trace id as exemplar on the OpenMetrics
// scrape; a streamed answer records the time per output token.
func TestGenAIMetricsCarryTraceExemplars(t *testing.T) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer sink.Close()
	cfg, key, _ := mockConfig(t)
	cfg.Telemetry = config.Telemetry{Tracing: &config.Tracing{Endpoint: sink.URL, Protocol: config.OTLPHTTP}}
	g := startGateway(t, cfg)
	defer g.s.Close()
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	resp := g.do(t, "POST", "/v1/chat/completions", key, chatBody(true, ""), map[string]string{"Traceparent": tp, "X-Mock-Chunks": "4"})
	if body := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	ms := httptest.NewServer(g.s.MetricsHandler())
	defer ms.Close()
	req, _ := http.NewRequest(http.MethodGet, ms.URL+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	mresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	text := readAll(t, mresp)
	for _, want := range []string{
		`gen_ai_server_request_duration_seconds_count{error_type="",gen_ai_operation_name="chat",gen_ai_provider_name="p",gen_ai_request_model="m"} 1`,
		`gen_ai_server_time_per_output_token_seconds_count{gen_ai_operation_name="chat",gen_ai_provider_name="p",gen_ai_request_model="m"} 1`,
		`# {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "gen_ai_server_time_to_first_token_seconds_bucket") && strings.Contains(l, "# {") &&
			!strings.Contains(l, `trace_id="4bf92f3577b34da6a3ce929d0e0e4736"`) {
			t.Errorf("exemplar of another trace: %s", l)
		}
	}
}
