// Package metrics holds the gateway's Prometheus collectors. Names follow
// OpenTelemetry's GenAI semantic conventions where one exists, as an OTel
// to Prometheus translation writes them (dots become underscores, the unit
// a suffix: gen_ai_client_token_usage, gen_ai_server_request_duration_seconds,
// gen_ai_server_time_to_first_token_seconds,
// gen_ai_server_time_per_output_token_seconds), and use the tollgate_ prefix
// otherwise. The GenAI histograms carry exemplars with the trace id of
// sampled requests (OpenMetrics exposition). Every label has bounded cardinality: model and
// backend names come from the config, never from the client, and no label
// ever carries key material.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one registry with the gateway's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	Requests        *prometheus.CounterVec   // model, backend, code
	Duration        *prometheus.HistogramVec // model, backend
	TimeToFirst     *prometheus.HistogramVec // gen_ai_request_model, backend
	UpstreamErrors  *prometheus.CounterVec   // backend, class
	Retries         *prometheus.CounterVec   // model
	Fallbacks       *prometheus.CounterVec   // model
	InFlight        prometheus.Gauge
	TokenUsage      *prometheus.HistogramVec // gen_ai_token_type, gen_ai_request_model, gen_ai_provider_name
	ConsumerTokens  *prometheus.CounterVec   // consumer, model, backend, type
	Cost            *prometheus.CounterVec   // consumer, model, backend
	Rejected        *prometheus.CounterVec   // reason
	ReloadFailures  prometheus.Counter
	ActivityDropped *prometheus.CounterVec // reason
	Reloads         prometheus.Counter
	ConfigInfo      *prometheus.GaugeVec // hash
	BackendEjected  *prometheus.CounterVec
	StreamsTrimmed  prometheus.Counter
	ClientCancelled prometheus.Counter
	// UsageImplausible counts upstream usage reports the proxy clamped.
	UsageImplausible *prometheus.CounterVec
	// RequestDuration and TimePerOutputToken are the GenAI server
	// histograms: gen_ai_operation_name, gen_ai_provider_name,
	// gen_ai_request_model (and error_type for the duration).
	RequestDuration    *prometheus.HistogramVec
	TimePerOutputToken *prometheus.HistogramVec
	// GuardrailHits counts guardrail findings by guardrail, rule,
	// action and phase (request, answer, external); never the value.
	GuardrailHits *prometheus.CounterVec
	// CacheLookups counts response-cache lookups by model and result
	// (hit, miss, bypass).
	CacheLookups *prometheus.CounterVec
}

// New registers the collectors in a fresh registry (with the Go and process
// collectors), so tests and several gateways in one process do not clash.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{Registry: r}
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	latency := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	m.Requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_requests_total",
		Help: "Client requests by public model, backend that answered and status class (2xx, 4xx, 5xx)."},
		[]string{"model", "backend", "code"})
	m.Duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tollgate_request_duration_seconds",
		Help: "Client request duration, until the last byte.", Buckets: latency}, []string{"model", "backend"})
	m.TimeToFirst = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_server_time_to_first_token_seconds",
		Help: "Time from the request to the first token (first stream chunk or the whole body).", Buckets: latency},
		[]string{"gen_ai_request_model", "backend"})
	m.UpstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_upstream_errors_total",
		Help: "Failed upstream attempts by backend and class (rate_limited, server_error, timeout, connect, fatal, stream)."},
		[]string{"backend", "class"})
	m.Retries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_retries_total",
		Help: "Upstream attempts after the first, by public model."}, []string{"model"})
	m.Fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_fallbacks_total",
		Help: "Attempts sent to a different backend than the one before, by public model."}, []string{"model"})
	m.InFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tollgate_requests_in_flight",
		Help: "Client requests being served."})
	m.TokenUsage = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_client_token_usage",
		Help:    "Tokens per request by type (input, output), as the upstream reported them.",
		Buckets: []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304}},
		[]string{"gen_ai_token_type", "gen_ai_request_model", "gen_ai_provider_name"})
	m.ConsumerTokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_tokens_total",
		Help: "Tokens by consumer, public model, backend that served them and type (input, output, cached_input, reasoning)."},
		[]string{"consumer", "model", "backend", "type"})
	m.Cost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_cost_usd_total",
		Help: "Cost in USD by consumer, public model and backend, from backend pricing."}, []string{"consumer", "model", "backend"})
	m.Rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_rejected_total",
		Help: "Requests refused before routing, by reason (overloaded, unauthenticated, forbidden, limited, invalid, too_large)."},
		[]string{"reason"})
	m.ReloadFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "tollgate_config_reload_failures_total",
		Help: "Config reloads refused (the previous config keeps serving)."})
	m.ActivityDropped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_activity_dropped_total",
		Help: "Activity log records not kept, by reason (queue_full, store, encode, closed); the requests were served."}, []string{"reason"})
	m.Reloads = prometheus.NewCounter(prometheus.CounterOpts{Name: "tollgate_config_reloads_total",
		Help: "Configs loaded and swapped in."})
	m.ConfigInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tollgate_config_info",
		Help: "1 for the hash of the config being served."}, []string{"hash"})
	m.BackendEjected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_backend_ejections_total",
		Help: "Backends put in cooldown, by backend and reason (retry_after, failures)."}, []string{"backend", "reason"})
	m.StreamsTrimmed = prometheus.NewCounter(prometheus.CounterOpts{Name: "tollgate_streams_terminated_total",
		Help: "Streams ended with a terminal error event after bytes were sent."})
	m.ClientCancelled = prometheus.NewCounter(prometheus.CounterOpts{Name: "tollgate_client_cancelled_total",
		Help: "Requests whose client went away before the answer was complete."})
	m.UsageImplausible = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_upstream_usage_implausible_total",
		Help: "Upstream usage reports clamped as implausible (negative, or above the model's context window), by provider."}, []string{"provider"})
	// The GenAI semantic conventions' bucket advice.
	m.RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_server_request_duration_seconds",
		Help:    "GenAI request duration, until the last byte, by operation, provider, public model and error class (\"\" on success).",
		Buckets: []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}},
		[]string{"gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "error_type"})
	m.TimePerOutputToken = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_server_time_per_output_token_seconds",
		Help:    "Time per output token after the first, of successful answers with more than one output token.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5}},
		[]string{"gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model"})
	m.GuardrailHits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_guardrail_hits_total",
		Help: "Guardrail findings by guardrail, rule, action (Mask, Block, Log) and phase (request, answer, external); never the value."},
		[]string{"guardrail", "rule", "action", "phase"})
	m.CacheLookups = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_response_cache_lookups_total",
		Help: "Response cache lookups by public model and result (hit, miss, bypass, error: the shared store did not answer)."}, []string{"model", "result"})
	for _, c := range []prometheus.Collector{m.GuardrailHits, m.CacheLookups, m.Requests, m.Duration, m.TimeToFirst, m.UpstreamErrors, m.Retries,
		m.Fallbacks, m.InFlight, m.TokenUsage, m.ConsumerTokens, m.Cost, m.Rejected, m.ReloadFailures, m.ActivityDropped, m.Reloads,
		m.ConfigInfo, m.BackendEjected, m.StreamsTrimmed, m.ClientCancelled, m.UsageImplausible,
		m.RequestDuration, m.TimePerOutputToken,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

// SetConfigHash makes hash the only tollgate_config_info series.
func (m *Metrics) SetConfigHash(hash string) {
	m.ConfigInfo.Reset()
	m.ConfigInfo.WithLabelValues(hash).Set(1)
}

// Handler serves /metrics: the Prometheus text format, or OpenMetrics
// (with the exemplars) to a scraper that asks for it.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry, EnableOpenMetrics: true})
}

// Observe records v, with the trace id as its exemplar when there is one
// (a sampled request): a histogram bucket then links to the trace.
func Observe(o prometheus.Observer, v float64, traceID string) {
	if eo, ok := o.(prometheus.ExemplarObserver); ok && traceID != "" {
		eo.ObserveWithExemplar(v, prometheus.Labels{"trace_id": traceID})
		return
	}
	o.Observe(v)
}

// CodeClass maps a status to its class label ("2xx"...).
func CodeClass(status int) string {
	switch {
	case status >= 500:
		return "5xx"
	case status >= 400:
		return "4xx"
	case status >= 300:
		return "3xx"
	case status >= 200:
		return "2xx"
	}
	return "other"
}
