package telemetry

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Span is the server span of one client request. A nil *Span (tracing
// off) ignores every call. Spans that are not sampled record nothing: each
// method returns after one check, so the content and answer hooks never
// read a body for a span nobody will see.
type Span struct {
	t    *Tracer
	ctx  context.Context
	span trace.Span
	rec  bool
	op   string

	respModel string
	finish    []string
	output    []byte // captured completion text, at most t.maxText
}

// StartRequest starts the server span of r, continuing the trace of its
// traceparent/tracestate headers when they are valid, at start (when the
// request was received).
func (t *Tracer) StartRequest(r *http.Request, start time.Time) *Span {
	if t == nil {
		return nil
	}
	ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, sp := t.tr.Start(ctx, "gen_ai "+r.URL.Path, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
	return &Span{t: t, ctx: ctx, span: sp, rec: sp.IsRecording()}
}

// IDs are the span's trace and span ids in hex ("" when nil).
func (s *Span) IDs() (traceID, spanID string) {
	if s == nil {
		return "", ""
	}
	sc := s.span.SpanContext()
	if !sc.IsValid() {
		return "", ""
	}
	return sc.TraceID().String(), sc.SpanID().String()
}

// SampledTraceID is the trace id of a recorded span, for exemplars; ""
// otherwise (an exemplar should point at a trace one can open).
func (s *Span) SampledTraceID() string {
	if s == nil || !s.span.SpanContext().IsSampled() {
		return ""
	}
	return s.span.SpanContext().TraceID().String()
}

// Request names the span after the operation and the requested model
// ("chat gpt-4o") and records the request's parameters and, when content
// capture is on, its prompt.
func (s *Span) Request(op, model, consumer string, body []byte) {
	if s == nil || !s.rec {
		return
	}
	s.op = op
	s.span.SetName(op + " " + model)
	attrs := append(make([]attribute.KeyValue, 0, 12),
		attribute.String(AttrOperationName, op), attribute.String(AttrRequestModel, model))
	if consumer != "" {
		attrs = append(attrs, attribute.String(AttrConsumer, consumer))
	}
	attrs = append(attrs, requestParams(body)...)
	if s.t.capture {
		if in := inputMessages(body); len(in) > 0 {
			attrs = append(attrs, attribute.String(AttrInputMessages, capText(in, s.t.maxText)))
		}
	}
	s.span.SetAttributes(attrs...)
}

// Rejected records that the gateway refused the call itself (reason is
// the access log's reason: unauthenticated, invalid, limited, ...).
func (s *Span) Rejected(reason string) {
	if s == nil || !s.rec {
		return
	}
	s.span.AddEvent(EventRejected, trace.WithAttributes(attribute.String(AttrReason, reason)))
}

// Limit records the limits decision on the call: "allowed", "denied" or
// "downgraded" (to the model downgrade).
func (s *Span) Limit(decision, downgrade string) {
	if s == nil || !s.rec {
		return
	}
	if downgrade != "" && decision == "allowed" {
		decision = "downgraded"
	}
	attrs := []attribute.KeyValue{attribute.String(AttrDecision, decision)}
	if downgrade != "" {
		attrs = append(attrs, attribute.String(AttrDowngradeTo, downgrade))
	}
	s.span.AddEvent(EventLimit, trace.WithAttributes(attrs...))
}

// Answer reads a canonical (OpenAI chat.completion) answer for the
// response model, the finish reasons and, when captured, the completion.
func (s *Span) Answer(canonical []byte) {
	if s == nil || !s.rec {
		return
	}
	s.readAnswer(canonical)
}

// Chunk reads one canonical stream chunk the same way.
func (s *Span) Chunk(data []byte) {
	if s == nil || !s.rec {
		return
	}
	s.readChunk(data)
}

// Outcome is how a request ended, for End.
type Outcome struct {
	Status       int
	Provider     string // gen_ai.provider.name of the last backend ("" when none)
	InputTokens  int64
	OutputTokens int64
	// FirstToken is the time from receipt to the first answer byte (0 when
	// none was sent).
	FirstToken time.Duration
	Start      time.Time
	// ErrorType is the failure class ("" on success).
	ErrorType string
	Stream    bool
}

// End ends the server span with the request's outcome.
func (s *Span) End(o Outcome) {
	if s == nil {
		return
	}
	if s.rec {
		attrs := append(make([]attribute.KeyValue, 0, 10), attribute.Int("http.response.status_code", o.Status))
		if o.Provider != "" {
			attrs = append(attrs, attribute.String(AttrProviderName, o.Provider))
		}
		if o.InputTokens > 0 || o.OutputTokens > 0 {
			attrs = append(attrs, attribute.Int64(AttrInputTokens, o.InputTokens), attribute.Int64(AttrOutputTokens, o.OutputTokens))
		}
		if s.respModel != "" {
			attrs = append(attrs, attribute.String(AttrResponseModel, s.respModel))
		}
		if len(s.finish) > 0 {
			attrs = append(attrs, attribute.StringSlice(AttrFinishReasons, s.finish))
		}
		if s.t.capture && len(s.output) > 0 {
			attrs = append(attrs, attribute.String(AttrOutputMessages, outputMessages(s.output)))
		}
		if o.Stream {
			attrs = append(attrs, attribute.Bool(AttrStream, true))
		}
		if o.FirstToken > 0 {
			s.span.AddEvent(EventFirstToken, trace.WithTimestamp(o.Start.Add(o.FirstToken)),
				trace.WithAttributes(attribute.Float64(AttrTimeToFirstToken, o.FirstToken.Seconds())))
		}
		if o.ErrorType != "" {
			attrs = append(attrs, attribute.String(AttrErrorType, o.ErrorType))
		}
		if o.Status >= 500 || (o.ErrorType != "" && o.Status == 0) {
			s.span.SetStatus(codes.Error, o.ErrorType)
		}
		s.span.SetAttributes(attrs...)
	}
	s.span.End()
}

// Attempt is the client span of one upstream attempt; nil ignores calls.
type Attempt struct {
	span trace.Span
	ctx  context.Context
	t    *Tracer
}

// AttemptInfo describes an upstream attempt.
type AttemptInfo struct {
	N             int    // 1 for the first attempt
	Backend       string // provider/model label
	Provider      string // gen_ai.provider.name
	UpstreamModel string
	// Reason is why this attempt was made: "" for the first, else the
	// previous attempt's failure class; Fallback says it went to another
	// backend than the previous one.
	Reason   string
	Fallback bool
}

// Attempt starts the span of an upstream attempt, a child of the server
// span, named "<operation> <upstream model>" (the GenAI client span).
func (s *Span) Attempt(info AttemptInfo) *Attempt {
	if s == nil {
		return nil
	}
	name := s.op + " " + info.UpstreamModel
	if s.op == "" {
		name = "upstream " + info.UpstreamModel
	}
	attrs := []attribute.KeyValue{
		attribute.Int(AttrAttempt, info.N), attribute.String(AttrBackend, info.Backend),
		attribute.String(AttrProviderName, info.Provider), attribute.String(AttrRequestModel, info.UpstreamModel),
	}
	if s.op != "" {
		attrs = append(attrs, attribute.String(AttrOperationName, s.op))
	}
	if info.N > 1 {
		kind := "retry"
		if info.Fallback {
			kind = "fallback"
		}
		attrs = append(attrs, attribute.String(AttrAttemptKind, kind), attribute.String(AttrReason, info.Reason))
	}
	ctx, sp := s.t.tr.Start(s.ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return &Attempt{span: sp, ctx: ctx, t: s.t}
}

// Inject writes the attempt's trace context (traceparent, tracestate) into
// the upstream request's headers, replacing the client's: the upstream's
// spans are children of this attempt.
func (a *Attempt) Inject(h http.Header) {
	if a == nil {
		return
	}
	h.Del("Traceparent")
	h.Del("Tracestate")
	a.t.prop.Inject(a.ctx, propagation.HeaderCarrier(h))
}

// End ends the attempt: the upstream's status (0 when none came) and the
// failure class ("" on success).
func (a *Attempt) End(status int, errorType string) {
	if a == nil {
		return
	}
	if status > 0 {
		a.span.SetAttributes(attribute.Int("http.response.status_code", status))
	}
	if errorType != "" {
		a.span.SetAttributes(attribute.String(AttrErrorType, errorType))
		a.span.SetStatus(codes.Error, errorType)
	}
	a.span.End()
}
