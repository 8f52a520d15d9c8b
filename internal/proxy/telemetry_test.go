package proxy

import (
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
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
	up := mockup.New(t)
	p := upstreamProvider("p", up)
	p.ForwardHeaders = append(p.ForwardHeaders, "Traceparent")
	cfg, key := baseConfig(t, []config.Provider{p}, config.Backend{Provider: "p", UpstreamModel: "m"})
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
