package proxy

import (
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/metrics"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// finish records one request: metrics and a JSON access log line. No key,
// header or body is ever logged; error details are scrubbed of provider
// secrets before they get here.
func (c *call) finish() {
	s, ctx, out := c.s, c.r.Context(), c
	elapsed := time.Since(out.start)
	backend := ""
	provider := ""
	if out.backend != nil {
		backend = out.backend.label
		provider = out.backend.up.name
	}
	if out.cached {
		// No vendor was asked: no token, no cost, counted as served.
		backend = "cache"
		if s.usage != nil && out.consumer != "" {
			s.usage.Record(out.consumer, orUnknown(out.model), "cache", providers.Usage{}, 0)
		}
	}
	status := out.status
	if out.cancelled && !out.sent && status == 0 {
		status = 499
	}
	if out.cancelled {
		s.m.ClientCancelled.Inc()
	}
	model := orUnknown(out.model)
	var cs *callSeries
	if out.backend != nil {
		cs = s.seriesOf(seriesKey{consumer: out.consumer, model: model, backend: backend, provider: provider})
	}
	if cs != nil && metrics.CodeClass(status) == "2xx" {
		cs.served.Inc()
	} else {
		s.m.Requests.WithLabelValues(model, backend, metrics.CodeClass(status)).Inc()
	}
	out.feedAvailability()
	if out.backend != nil {
		tid := out.span.SampledTraceID()
		cs.duration.Observe(elapsed.Seconds())
		if out.ttft > 0 {
			metrics.Observe(cs.ttft, out.ttft.Seconds(), tid)
		}
		u := out.usage
		metrics.Observe(cs.tokensIn, float64(u.InputTokens), tid)
		metrics.Observe(cs.tokensOut, float64(u.OutputTokens), tid)
		out.observeGenAI(model, provider, status, elapsed, tid)
		ct := s.m.ConsumerTokens
		cs.consIn.Add(float64(u.InputTokens))
		cs.consOut.Add(float64(u.OutputTokens))
		if u.CachedInputTokens > 0 {
			ct.WithLabelValues(out.consumer, model, backend, "cached_input").Add(float64(u.CachedInputTokens))
		}
		if u.ReasoningTokens > 0 {
			ct.WithLabelValues(out.consumer, model, backend, "reasoning").Add(float64(u.ReasoningTokens))
		}
		if s.usage != nil && out.consumer != "" {
			s.usage.Record(out.consumer, model, provider, u, out.cost)
		}
		if out.cost > 0 {
			cs.cost.Add(out.cost)
		}
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	hits := out.guard.record(s)
	out.recordActivity(status, backend, provider, elapsed, hits)
	// Room for every optional attribute: the slice is allocated once.
	attrs := append(make([]slog.Attr, 0, 32),
		slog.String("generation_id", out.genID),
		slog.String("consumer", out.consumer),
		slog.String("model", orUnknown(out.served)),
		slog.String("backend", backend),
		slog.Int("status", status),
		slog.Int("attempts", out.attempts),
		slog.Bool("stream", out.stream),
		slog.Int64("input_tokens", out.usage.InputTokens),
		slog.Int64("output_tokens", out.usage.OutputTokens),
		slog.Bool("usage_reported", out.usage.Reported),
		slog.Float64("cost_usd", math.Round(out.cost*1e9)/1e9),
		slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000),
	)
	if u := out.usage; u.CachedInputTokens > 0 || u.ReasoningTokens > 0 {
		attrs = append(attrs, slog.Int64("cached_input_tokens", u.CachedInputTokens), slog.Int64("reasoning_tokens", u.ReasoningTokens))
	}
	if out.served != "" && out.model != out.served {
		attrs = append(attrs, slog.String("route", out.model))
	}
	if out.backend != nil {
		attrs = append(attrs, slog.String("upstream_model", out.backend.upstreamModel(out.served)))
	}
	if out.subject != "" {
		attrs = append(attrs, slog.String("subject", out.subject))
	}
	if api := out.api.name(); api != "" {
		attrs = append(attrs, slog.String("api", api))
	}
	if out.app != "" {
		attrs = append(attrs, slog.String("app", out.app))
	}
	if out.asked != "" {
		attrs = append(attrs, slog.String("downgraded_from", out.asked))
	}
	if out.limited {
		attrs = append(attrs, slog.Bool("limited", true))
	}
	if out.ttft > 0 {
		attrs = append(attrs, slog.Float64("ttft_ms", float64(out.ttft.Microseconds())/1000))
	}
	if out.errClass != "" {
		attrs = append(attrs, slog.String("error", out.errClass))
	}
	if out.errDetail != "" {
		attrs = append(attrs, slog.String("detail", out.errDetail))
	}
	if out.cancelled {
		attrs = append(attrs, slog.Bool("client_cancelled", true))
	}
	if out.cached {
		attrs = append(attrs, slog.Bool("cached", true))
	}
	if out.byok {
		attrs = append(attrs, slog.Bool("byok", true))
	}
	if hits != "" {
		attrs = append(attrs, slog.String("guardrail_hits", hits))
	}
	attrs = out.traceAttrs(attrs)
	out.endSpan(status)
	if !s.writeAccessLine(ctx, level, attrs) {
		s.log.LogAttrs(ctx, level, "request", attrs...)
	}
}

func attrErr(err error) slog.Attr { return slog.String("error", err.Error()) }

func splitComma(s string) []string {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func orUnknown(model string) string {
	if model == "" {
		return "unknown"
	}
	return model
}
