package proxy

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate-dev/tollgate/internal/metrics"
)

// seriesKey names the metric children one call feeds when it ends.
type seriesKey struct{ consumer, model, backend, provider string }

// callSeries are the children of the per-call metrics for one seriesKey,
// looked up once: WithLabelValues checks, hashes and looks up its labels
// under a lock on every call, nine times per request in finish.
type callSeries struct {
	duration, ttft      prometheus.Observer
	tokensIn, tokensOut prometheus.Observer
	consIn, consOut     prometheus.Counter
	cost                prometheus.Counter
	served              prometheus.Counter // Requests with code class 2xx
}

// seriesOf returns the children of k's metrics. They are never deleted
// (no code removes a series of these vectors), so a child stays the one
// the registry exports; the map holds one entry per label set the vectors
// already hold.
func (s *Server) seriesOf(k seriesKey) *callSeries {
	if v, ok := s.series.Load(k); ok {
		return v.(*callSeries)
	}
	m := s.m
	cs := &callSeries{
		duration:  m.Duration.WithLabelValues(k.model, k.backend),
		ttft:      m.TimeToFirst.WithLabelValues(k.model, k.backend),
		tokensIn:  m.TokenUsage.WithLabelValues("input", k.model, k.provider),
		tokensOut: m.TokenUsage.WithLabelValues("output", k.model, k.provider),
		consIn:    m.ConsumerTokens.WithLabelValues(k.consumer, k.model, k.backend, "input"),
		consOut:   m.ConsumerTokens.WithLabelValues(k.consumer, k.model, k.backend, "output"),
		cost:      m.Cost.WithLabelValues(k.consumer, k.model, k.backend),
		served:    m.Requests.WithLabelValues(k.model, k.backend, metrics.CodeClass(200)),
	}
	v, _ := s.series.LoadOrStore(k, cs)
	return v.(*callSeries)
}
