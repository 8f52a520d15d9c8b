package config

import (
	"math"
	"strings"
	"testing"
)

func TestTelemetryDefault(t *testing.T) {
	c := Config{Telemetry: Telemetry{Tracing: &Tracing{Endpoint: "http://collector:4318", Protocol: OTLPHTTP}}}
	c.Telemetry.Default()
	tr := c.Telemetry.Tracing
	if tr.Endpoint != "http://collector:4318/v1/traces" || *tr.SamplingRatio != 1 || tr.MaxContentBytes != DefaultMaxContentBytes {
		t.Errorf("defaults: %+v", tr)
	}
	g := Telemetry{Tracing: &Tracing{Endpoint: "http://collector:4317"}}
	g.Default()
	if g.Tracing.Protocol != OTLPGRPC || g.Tracing.Endpoint != "http://collector:4317" {
		t.Errorf("grpc defaults: %+v", g.Tracing)
	}
	var off Telemetry
	off.Default()
	if off.Tracing != nil {
		t.Error("Default turned tracing on")
	}
}

func TestTelemetryValidate(t *testing.T) {
	ratio := func(r float64) *float64 { return &r }
	for _, tc := range []struct {
		name string
		tr   Tracing
		want string // "" valid
	}{
		{"grpc", Tracing{Endpoint: "https://collector:4317", Headers: []Header{{"Authorization", "Bearer x"}}, SamplingRatio: ratio(0.25)}, ""},
		{"http", Tracing{Endpoint: "http://collector:4318/v1/traces", Protocol: OTLPHTTP, CaptureContent: true, MaxContentBytes: 100}, ""},
		{"no endpoint", Tracing{}, "telemetry.tracing.endpoint: is required"},
		{"bare host", Tracing{Endpoint: "collector:4317"}, "telemetry.tracing.endpoint"},
		{"credentials", Tracing{Endpoint: "https://u:p@collector"}, "telemetry.tracing.endpoint"},
		{"grpc path", Tracing{Endpoint: "http://collector:4317/v1/traces"}, "a grpc endpoint has no path"},
		{"protocol", Tracing{Endpoint: "http://c:1", Protocol: "thrift"}, "telemetry.tracing.protocol"},
		{"ratio high", Tracing{Endpoint: "http://c:1", SamplingRatio: ratio(1.5)}, "telemetry.tracing.samplingRatio"},
		{"ratio NaN", Tracing{Endpoint: "http://c:1", SamplingRatio: ratio(math.NaN())}, "telemetry.tracing.samplingRatio"},
		{"content cap", Tracing{Endpoint: "http://c:1", MaxContentBytes: MaxContentBytes + 1}, "telemetry.tracing.maxContentBytes"},
		{"header CRLF", Tracing{Endpoint: "http://c:1", Headers: []Header{{"X-Key", "secret\r\nX-Evil: 1"}}}, "telemetry.tracing.headers[0].value"},
		{"header name", Tracing{Endpoint: "http://c:1", Headers: []Header{{"Bad Name", "v"}}}, "telemetry.tracing.headers[0].name"},
		{"header twice", Tracing{Endpoint: "http://c:1", Headers: []Header{{"X-A", "1"}, {"x-a", "2"}}}, "telemetry.tracing.headers[1].name"},
		{"exporter header", Tracing{Endpoint: "http://c:1", Headers: []Header{{"Content-Type", "text/plain"}}}, "set by the exporter"},
		{"ca", Tracing{Endpoint: "https://c:1", CACert: "not pem"}, "telemetry.tracing.caCert"},
		{"attribute key", Tracing{Endpoint: "http://c:1", ResourceAttributes: map[string]string{"a b": "x"}}, "telemetry.tracing.resourceAttributes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{Gateway: GatewayMeta{Name: "gw"}, Telemetry: Telemetry{Tracing: &tc.tr}}
			c.Default()
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("a header value is in the error: %v", err)
			}
		})
	}
}
