package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// BenchmarkTracing is the request path of BenchmarkProxy's "tollgate" case
// with tracing off (no telemetry config: the baseline), on with ratio 0
// (every new trace sampled out) and on at 100% exporting every span over
// OTLP/HTTP to a sink on 127.0.0.1 that discards it.
//
//	go test -run '^$' -bench BenchmarkTracing -benchmem ./internal/proxy/
func BenchmarkTracing(b *testing.B) {
	up := benchUpstream()
	defer up.Close()
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer sink.Close()
	p := config.Provider{Name: "p", Type: config.ProviderOpenAI, Endpoint: up.URL + "/v1", APIKey: "sk-bench", AllowPrivateNetwork: true}
	zero, one := 0.0, 1.0
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	for _, c := range []struct {
		name string
		tel  config.Telemetry
	}{
		{"off", config.Telemetry{}},
		{"on-sampled-out", config.Telemetry{Tracing: &config.Tracing{Endpoint: sink.URL, Protocol: config.OTLPHTTP, SamplingRatio: &zero}}},
		{"on-100pct", config.Telemetry{Tracing: &config.Tracing{Endpoint: sink.URL, Protocol: config.OTLPHTTP, SamplingRatio: &one}}},
	} {
		cfg, key := baseConfig(b, []config.Provider{p}, config.Backend{Provider: "p", UpstreamModel: "m"})
		cfg.Telemetry = c.tel
		s := New(cmdLogging(io.Discard))
		if err := s.Load(cfg); err != nil {
			b.Fatal(err)
		}
		tg := httptest.NewServer(s)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := postBenchChat(client, tg.URL, key); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		tg.Close()
		s.Close()
	}
}
