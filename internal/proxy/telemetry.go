package proxy

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/metrics"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/telemetry"
)

// The proxy's hooks into internal/telemetry. With tracing off the
// snapshot's tracer is nil, every span is nil, and each hook is a nil
// check.

// buildTracer keeps the previous snapshot's tracer when the telemetry
// settings did not change (its exporter connection and batch survive the
// reload), else builds one for cfg.
func buildTracer(cfg *config.Config, prev *snapshot) (*telemetry.Tracer, error) {
	if prev != nil && prev.tracer.Same(cfg) {
		return prev.tracer.Retain(), nil
	}
	t, err := telemetry.New(cfg)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func operationName(op providers.Operation) string {
	if op == providers.OpEmbeddings {
		return "embeddings"
	}
	return "chat"
}

// tracedAttempt is attempt inside an attempt span: a child of the request
// span saying which backend, why (the previous failure, retry or
// fallback) and what came of it.
func (c *call) tracedAttempt(b *backend, req *providers.Request, last *providers.Error, fallback bool) result {
	if c.span == nil {
		return c.attempt(b, req)
	}
	info := telemetry.AttemptInfo{N: c.attempts, Backend: b.label, Provider: telemetry.ProviderName(b.up.vendor),
		UpstreamModel: req.Model, Fallback: fallback}
	if last != nil {
		info.Reason = className(last.Class)
	}
	c.upSpan = c.span.Attempt(info)
	res := c.attempt(b, req)
	errType := ""
	switch {
	case res.err != nil && res.cancelled:
		errType = "client_cancelled"
	case res.err != nil:
		errType = className(res.err.Class)
	}
	status := res.upstatus
	if status == 0 && res.err == nil && res.committed {
		status = 200
	}
	c.upSpan.End(status, errType)
	c.upSpan = nil
	return res
}

// endSpan ends the request span with the call's outcome.
func (c *call) endSpan(status int) {
	if c.span == nil {
		return
	}
	o := telemetry.Outcome{Status: status, InputTokens: c.usage.InputTokens, OutputTokens: c.usage.OutputTokens,
		FirstToken: c.ttft, Start: c.start, ErrorType: c.errClass, Stream: c.stream}
	if c.backend != nil {
		o.Provider = telemetry.ProviderName(c.backend.up.vendor)
	}
	if c.cancelled && o.ErrorType == "" {
		o.ErrorType = "client_cancelled"
	}
	c.span.End(o)
}

// traceAttrs are the access log's trace_id and span_id: the request span's
// when tracing is on, else the trace the client's traceparent names (so
// the gateway's log line joins the caller's trace either way).
func (c *call) traceAttrs(attrs []slog.Attr) []slog.Attr {
	tid, sid := c.span.IDs()
	if tid == "" {
		tid = incomingTraceID(c.r.Header.Get("Traceparent"))
	}
	if tid != "" {
		attrs = append(attrs, slog.String("trace_id", tid))
	}
	if sid != "" {
		attrs = append(attrs, slog.String("span_id", sid))
	}
	return attrs
}

// incomingTraceID is the trace id of a W3C traceparent
// ("00-<32 hex>-<16 hex>-<2 hex>"), or "" when it is not one.
func incomingTraceID(tp string) string {
	if len(tp) < 55 || tp[2] != '-' || tp[35] != '-' {
		return ""
	}
	id := tp[3:35]
	zero := true
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if (ch < '0' || ch > '9') && (ch < 'a' || ch > 'f') {
			return ""
		}
		zero = zero && ch == '0'
	}
	if zero {
		return ""
	}
	return id
}

// parsed notes the parsed request: its operation, and its model and
// parameters on the span.
func (c *call) parsed(p *parsed) {
	c.op = p.op
	c.span.Request(operationName(p.op), p.fields.Model, c.consumer, p.body)
}

// observeGenAI records the GenAI server histograms of a call that reached
// a backend: its duration (with the error class), and for a successful
// stream of several output tokens the time per token after the first.
func (c *call) observeGenAI(model, provider string, status int, elapsed time.Duration, traceID string) {
	m, op := c.s.m, operationName(c.op)
	errType := c.errClass
	if errType == "" && c.cancelled {
		errType = "client_cancelled"
	}
	metrics.Observe(m.RequestDuration.WithLabelValues(op, provider, model, errType), elapsed.Seconds(), traceID)
	if out := c.usage.OutputTokens; c.stream && status == http.StatusOK && errType == "" && out > 1 && c.ttft > 0 && elapsed > c.ttft {
		per := (elapsed - c.ttft).Seconds() / float64(out-1)
		metrics.Observe(m.TimePerOutputToken.WithLabelValues(op, provider, model), per, traceID)
	}
}
