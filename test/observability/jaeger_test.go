package observability

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// jaeger is a Jaeger v2 (all in one, memory storage) on 127.0.0.1.
type jaeger struct {
	OTLPGRPC string // host:port
	OTLPHTTP string
	Query    string // base URL of the query API
}

const jaegerConfig = `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:%[4]d
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:%[3]d
    grpc:
      endpoint: 127.0.0.1:%[5]d
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 1000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%[1]d
      http:
        endpoint: 127.0.0.1:%[2]d
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

func startJaeger(t *testing.T) *jaeger {
	t.Helper()
	bin := backendBin(t, "jaeger")
	p := freePorts(t, 5)
	conf := filepath.Join(t.TempDir(), "jaeger.yaml")
	if err := os.WriteFile(conf, fmt.Appendf(nil, jaegerConfig, p[0], p[1], p[2], p[3], p[4]), 0o600); err != nil {
		t.Fatal(err)
	}
	startProcess(t, "jaeger", bin, "--config=file:"+conf)
	j := &jaeger{OTLPGRPC: fmt.Sprintf("127.0.0.1:%d", p[0]), OTLPHTTP: fmt.Sprintf("127.0.0.1:%d", p[1]),
		Query: fmt.Sprintf("http://127.0.0.1:%d", p[2])}
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/status", p[3]), 30*time.Second)
	waitHTTP(t, j.Query+"/api/services", 30*time.Second)
	return j
}

// jaegerTrace is a trace as Jaeger's query API (/api/traces/{id}) returns it.
type jaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []jaegerSpan             `json:"spans"`
	Processes map[string]jaegerProcess `json:"processes"`
}

type jaegerSpan struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	StartTime int64       `json:"startTime"`
	Duration  int64       `json:"duration"`
	Tags      []jaegerTag `json:"tags"`
	Logs      []struct {
		Timestamp int64       `json:"timestamp"`
		Fields    []jaegerTag `json:"fields"`
	} `json:"logs"`
	ProcessID string `json:"processID"`
}

type jaegerTag struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type jaegerProcess struct {
	ServiceName string      `json:"serviceName"`
	Tags        []jaegerTag `json:"tags"`
}

// tag is a span tag's value as a string ("" when absent).
func (s jaegerSpan) tag(key string) string {
	for _, tg := range s.Tags {
		if tg.Key == key {
			return fmt.Sprint(tg.Value)
		}
	}
	return ""
}

// parent is the span id of the span's CHILD_OF reference ("" for a root).
func (s jaegerSpan) parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// trace polls Jaeger for a trace until it has want spans (bounded).
func (j *jaeger) trace(t *testing.T, traceID string, want int) (*jaegerTrace, []byte) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last []byte
	for time.Now().Before(deadline) {
		body, status, err := get(context.Background(), j.Query+"/api/traces/"+traceID)
		if err == nil && status == 200 {
			last = body
			var out struct {
				Data []jaegerTrace `json:"data"`
			}
			if json.Unmarshal(body, &out) == nil && len(out.Data) == 1 && len(out.Data[0].Spans) >= want {
				return &out.Data[0], body
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("Jaeger has no trace %s with %d spans; last answer: %s", traceID, want, tail(last, 4000))
	return nil, nil
}
