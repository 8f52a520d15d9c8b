package telemetry

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tollgate-dev/tollgate/internal/config"
)

func testTracer(t *testing.T, tc config.Tracing) (*Tracer, *tracetest.InMemoryExporter) {
	t.Helper()
	cfg := &config.Config{Gateway: config.GatewayMeta{Name: "gw", Namespace: "ns"}, Telemetry: config.Telemetry{Tracing: &tc}}
	cfg.Telemetry.Default()
	exp := tracetest.NewInMemoryExporter()
	tr := newTracer(cfg, sdktrace.WithSyncer(exp))
	t.Cleanup(tr.Release)
	return tr, exp
}

func attrs(s tracetest.SpanStub) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes {
		out[string(kv.Key)] = kv.Value.String()
	}
	return out
}

const chat = `{"model":"m","messages":[{"role":"user","content":"hello there, a long prompt"}],"top_p":0.9,"stop":["x"]}`

func TestNilTracerIsOff(t *testing.T) {
	var tr *Tracer
	s := tr.StartRequest(httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil), time.Now())
	s.Request("chat", "m", "c", []byte(chat))
	a := s.Attempt(AttemptInfo{N: 1})
	a.Inject(http.Header{})
	a.End(200, "")
	s.Answer([]byte(`{}`))
	s.Chunk([]byte(`{}`))
	s.Limit("allowed", "")
	s.Rejected("invalid")
	s.End(Outcome{Status: 200})
	if id, sid := s.IDs(); id != "" || sid != "" || s.SampledTraceID() != "" {
		t.Error("a nil span has ids")
	}
	tr.Release()
	if !tr.Same(&config.Config{}) {
		t.Error("no tracer is not the tracer of a config without tracing")
	}
}

func TestContentCaptureIsOffByDefaultAndCapped(t *testing.T) {
	for _, capture := range []bool{false, true} {
		tr, exp := testTracer(t, config.Tracing{Endpoint: "http://c:4317", CaptureContent: capture, MaxContentBytes: 10})
		s := tr.StartRequest(httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil), time.Now())
		s.Request("chat", "m", "team", []byte(chat))
		s.Answer([]byte(`{"model":"gpt-x","choices":[{"message":{"content":"the completion is longer than ten"},"finish_reason":"stop"}]}`))
		s.End(Outcome{Status: 200, InputTokens: 3, OutputTokens: 4})
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%d spans", len(spans))
		}
		a := attrs(spans[0])
		if spans[0].Name != "chat m" || a[AttrResponseModel] != "gpt-x" || a[AttrFinishReasons] != `["stop"]` ||
			a["gen_ai.request.top_p"] != "0.9" || a["gen_ai.request.stop_sequences"] != `["x"]` || a[AttrInputTokens] != "3" {
			t.Errorf("capture %v: span %q attributes %v", capture, spans[0].Name, a)
		}
		in, out := a[AttrInputMessages], a[AttrOutputMessages]
		if !capture && (in != "" || out != "") {
			t.Errorf("content captured while off: %q %q", in, out)
		}
		if capture && (len(in) != 10 || !strings.Contains(out, `"content":"the comple"`)) {
			t.Errorf("captured content not cut at 10 bytes: %q %q", in, out)
		}
	}
}

func TestSamplingFollowsTheParent(t *testing.T) {
	zero := 0.0
	tr, exp := testTracer(t, config.Tracing{Endpoint: "http://c:4317", SamplingRatio: &zero})
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	s := tr.StartRequest(r, time.Now())
	s.End(Outcome{Status: 200})
	if s.SampledTraceID() != "" || len(exp.GetSpans()) != 0 {
		t.Error("ratio 0 recorded a new trace")
	}
	r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	s = tr.StartRequest(r, time.Now())
	a := s.Attempt(AttemptInfo{N: 2, Backend: "p/m", UpstreamModel: "m", Reason: "timeout", Fallback: true})
	h := http.Header{"Traceparent": {"00-00000000000000000000000000000001-0000000000000001-01"}}
	a.Inject(h)
	a.End(504, "timeout")
	s.End(Outcome{Status: 200})
	if s.SampledTraceID() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("a sampled parent's trace was not continued: %q", s.SampledTraceID())
	}
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[1].Parent.SpanID().String() != "00f067aa0ba902b7" || spans[0].Parent.SpanID() != spans[1].SpanContext.SpanID() {
		t.Fatalf("spans %+v", spans)
	}
	if want := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + spans[0].SpanContext.SpanID().String() + "-01"; h.Get("Traceparent") != want {
		t.Errorf("injected %q, want %q", h.Get("Traceparent"), want)
	}
	if a := attrs(spans[0]); a[AttrAttemptKind] != "fallback" || a[AttrReason] != "timeout" || a[AttrErrorType] != "timeout" {
		t.Errorf("attempt attributes %v", a)
	}
}

func TestSameKeepsTheTracerAcrossReloads(t *testing.T) {
	cfg := &config.Config{Gateway: config.GatewayMeta{Name: "gw"}, Telemetry: config.Telemetry{Tracing: &config.Tracing{Endpoint: "http://c:4317"}}}
	cfg.Default()
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Release()
	same := *cfg
	same.Routes = []config.Route{{Model: "other"}}
	changed := *cfg
	changed.Telemetry = config.Telemetry{Tracing: &config.Tracing{Endpoint: "http://c:4317", Protocol: config.OTLPHTTP}}
	if !tr.Same(&same) || tr.Same(&changed) || tr.Same(&config.Config{}) {
		t.Error("Same does not compare the telemetry settings alone")
	}
}

// BenchmarkHooksOff is every hook a request calls with tracing off (a nil
// tracer): what the request path pays for telemetry it does not use.
func BenchmarkHooksOff(b *testing.B) {
	var tr *Tracer
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	body, start, h := []byte(chat), time.Now(), http.Header{}
	b.ReportAllocs()
	for b.Loop() {
		s := tr.StartRequest(r, start)
		s.Request("chat", "m", "c", body)
		s.Limit("allowed", "")
		a := s.Attempt(AttemptInfo{N: 1})
		a.Inject(h)
		a.End(200, "")
		s.Chunk(body)
		s.End(Outcome{Status: 200})
	}
}
