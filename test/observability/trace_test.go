package observability

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// gateway is an in-process gateway on 127.0.0.1 with two OpenAI backends
// for model "m": "down" (every answer a 503) tried first, "up" behind it
// (sent the client's x-mock-* fault headers), and its metrics listener.
type gateway struct {
	s        *proxy.Server
	url, key string
	metrics  string // host:port of /metrics
	logs     *proxytest.Logs
	down, up *mockup.Server
}

// startGateway serves the gateway's config, changed by edit.
func startGateway(t *testing.T, edit func(*config.Config)) *gateway {
	t.Helper()
	down, up := mockup.New(t), mockup.New(t)
	key, ck := proxytest.Key(t)
	provider := func(name string, m *mockup.Server, headers map[string]string) config.Provider {
		return config.Provider{Name: name, Type: config.ProviderOpenAI, Endpoint: m.URL + "/v1", APIKey: "sk-vendor-" + name,
			AllowPrivateNetwork: true, Headers: headers}
	}
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "traced", Namespace: "obs"},
		Auth:      config.Auth{Mode: config.AuthAPIKey},
		Providers: []config.Provider{provider("down", down, map[string]string{"x-mock-status": "503"}), provider("up", up, nil)},
		Routes: []config.Route{{Model: "m", Backends: []config.Backend{
			{Provider: "down", UpstreamModel: "gpt-down"}, {Provider: "up", UpstreamModel: "gpt-up", Priority: 1}},
			Retry: config.Retry{Attempts: 2, Backoff: config.D(time.Millisecond)}}},
		Consumers: []config.Consumer{{Name: "team-a", Keys: []config.Key{ck}}},
	}
	cfg.Providers[1].ForwardHeaders = []string{"X-Mock-*"}
	edit(cfg)
	logs := &proxytest.Logs{}
	s := proxy.New(proxy.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	ts := proxytest.Serve(t, s, cfg)
	ms := httptest.NewServer(s.MetricsHandler())
	t.Cleanup(ms.Close)
	return &gateway{s: s, url: ts.URL, key: key, metrics: strings.TrimPrefix(ms.URL, "http://"), logs: logs, down: down, up: up}
}

// TestTraceAcrossFallbackInJaeger: a client span, the gateway's server
// span and its two attempt spans (the first failing over to the second)
// are one trace in a real Jaeger, read back through Jaeger's query API,
// with the GenAI attributes; the upstream got the second attempt as its
// parent; the access log names the trace and the server span.
func TestTraceAcrossFallbackInJaeger(t *testing.T) {
	j := startJaeger(t)
	ctx := context.Background()

	// The client: its own SDK, exporting over OTLP/HTTP; the gateway
	// exports over OTLP/gRPC, so both protocols reach Jaeger.
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL("http://"+j.OTLPHTTP+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	ctp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "test-client"))))
	defer func() { _ = ctp.Shutdown(ctx) }()

	ratio := 1.0
	g := startGateway(t, func(c *config.Config) {
		c.Telemetry = config.Telemetry{Tracing: &config.Tracing{Endpoint: "http://" + j.OTLPGRPC, SamplingRatio: &ratio,
			ResourceAttributes: map[string]string{"deployment.environment.name": "test"}}}
	})

	cctx, client := ctp.Tracer("test").Start(ctx, "client call")
	body := `{"model":"m","messages":[{"role":"user","content":"one two three"}],"temperature":0.5,"max_tokens":64}`
	req, err := proxytest.NewRequest(cctx, http.MethodPost, g.url+"/v1/chat/completions", g.key, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	propagation.TraceContext{}.Inject(cctx, propagation.HeaderCarrier(req.Header))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	client.End()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, answer)
	}
	// Close flushes the gateway's batched spans (the tracer's last user).
	g.s.Close()

	traceID := client.SpanContext().TraceID().String()
	tr, raw := j.trace(t, traceID, 4)
	if testing.Verbose() {
		if f := os.Getenv("TOLLGATE_JAEGER_TRACE_OUT"); f != "" {
			_ = os.WriteFile(f, raw, 0o600)
		}
	}
	byName := map[string][]jaegerSpan{}
	for _, s := range tr.Spans {
		byName[s.OperationName] = append(byName[s.OperationName], s)
	}
	if len(tr.Spans) != 4 || len(byName["client call"]) != 1 || len(byName["chat m"]) != 1 ||
		len(byName["chat gpt-down"]) != 1 || len(byName["chat gpt-up"]) != 1 {
		t.Fatalf("spans %v, want client call, chat m, chat gpt-down, chat gpt-up", names(tr.Spans))
	}
	cl, srv := byName["client call"][0], byName["chat m"][0]
	first, second := byName["chat gpt-down"][0], byName["chat gpt-up"][0]

	if cl.parent() != "" || srv.parent() != cl.SpanID || first.parent() != srv.SpanID || second.parent() != srv.SpanID {
		t.Errorf("parents: client %q, server %q (want %s), attempts %q %q (want %s)",
			cl.parent(), srv.parent(), cl.SpanID, first.parent(), second.parent(), srv.SpanID)
	}
	if svc := tr.Processes[srv.ProcessID].ServiceName; svc != config.DefaultServiceName {
		t.Errorf("gateway service.name %q", svc)
	}
	if svc := tr.Processes[cl.ProcessID].ServiceName; svc != "test-client" {
		t.Errorf("client service.name %q", svc)
	}
	wantTags(t, "server span", srv, map[string]string{
		"span.kind": "server", "gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
		"gen_ai.provider.name": "openai", "gen_ai.response.model": "gpt-up", "gen_ai.request.temperature": "0.5",
		"gen_ai.request.max_tokens": "64", "http.response.status_code": "200", "tollgate.consumer": "team-a",
	})
	for _, k := range []string{"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons"} {
		if srv.tag(k) == "" || srv.tag(k) == "0" {
			t.Errorf("server span has no %s: %v", k, srv.Tags)
		}
	}
	if srv.tag("gen_ai.input.messages") != "" {
		t.Error("the prompt was captured with content capture off")
	}
	if !hasLog(srv, "gen_ai.first_token") || !hasLog(srv, "tollgate.limit") {
		t.Errorf("server span events %v, want gen_ai.first_token and tollgate.limit", srv.Logs)
	}
	wantTags(t, "first attempt", first, map[string]string{
		"span.kind": "client", "tollgate.attempt": "1", "tollgate.backend": "down/gpt-down", "http.response.status_code": "503",
		"error.type": "server_error", "otel.status_code": "ERROR", "gen_ai.provider.name": "openai",
	})
	wantTags(t, "second attempt", second, map[string]string{
		"span.kind": "client", "tollgate.attempt": "2", "tollgate.backend": "up/gpt-up", "http.response.status_code": "200",
		"tollgate.attempt.kind": "fallback", "tollgate.reason": "server_error",
	})
	// The upstream was sent the second attempt as its parent.
	last, ok := g.up.Last()
	if !ok {
		t.Fatal("the up backend got no request")
	}
	if tp := last.Header.Get("Traceparent"); tp != "00-"+traceID+"-"+second.SpanID+"-01" {
		t.Errorf("upstream traceparent %q, want the second attempt (%s)", tp, second.SpanID)
	}
	// The access log line joins the trace.
	var line struct {
		TraceID string `json:"trace_id"`
		SpanID  string `json:"span_id"`
	}
	for _, l := range strings.Split(g.logs.String(), "\n") {
		if strings.Contains(l, `"msg":"request"`) {
			_ = json.Unmarshal([]byte(l), &line)
		}
	}
	if line.TraceID != traceID || line.SpanID != srv.SpanID {
		t.Errorf("access log trace_id %q span_id %q, want %s %s", line.TraceID, line.SpanID, traceID, srv.SpanID)
	}
}

func wantTags(t *testing.T, what string, s jaegerSpan, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := s.tag(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

func hasLog(s jaegerSpan, event string) bool {
	for _, l := range s.Logs {
		for _, f := range l.Fields {
			if f.Key == "event" && f.Value == event {
				return true
			}
		}
	}
	return false
}

func names(spans []jaegerSpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.OperationName)
	}
	return out
}
