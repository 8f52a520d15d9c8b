package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// outcome is what one client request came to; the access log, metrics and
// the admission ticket are fed from it.
type outcome struct {
	start     time.Time
	consumer  string
	model     string // public model served, "" until a route matched
	asked     string // model the client asked for, when downgraded
	backend   *backend
	status    int
	attempts  int
	stream    bool
	anthropic bool // the client speaks the Messages API
	usage     providers.Usage
	cost      float64
	chunks    int64 // content chunks written to the client
	answer    int64 // bytes of a non-streamed answer
	ttft      time.Duration
	errClass  string
	errDetail string
	cancelled bool
	estimate  int64
	limited   bool // denied by a TokenPolicy
}

// serveInference is the pipeline of POST /v1/chat/completions,
// /v1/embeddings and /v1/messages (anthropic: translated to and from chat
// completions): auth, read, parse, authorise, admit, route, attempt, settle.
func (s *Server) serveInference(w http.ResponseWriter, r *http.Request, sn *snapshot, op providers.Operation, anthropic bool) {
	out := &outcome{start: time.Now(), anthropic: anthropic}
	defer s.finish(r.Context(), out)
	rc := http.NewResponseController(w)
	cons, ok := sn.auth.authenticate(r.Header, s.now())
	if !ok {
		// Answered from the headers alone, before the body is read.
		closeUnread(w, r)
		s.reject(w, out, "unauthenticated", unauthorized)
		return
	}
	out.consumer = cons.name()
	_ = rc.SetReadDeadline(out.start.Add(sn.readTimeout))
	body, aerr := readBody(w, r, sn.maxBody)
	if aerr != nil {
		// The body was not read to its end: the connection cannot be
		// reused, and the read deadline stays so closing it cannot block.
		w.Header().Set("Connection", "close")
		reason := "invalid"
		if aerr == errTooLarge {
			reason = "too_large"
		}
		s.reject(w, out, reason, aerr)
		return
	}
	_ = rc.SetReadDeadline(time.Time{})
	parse := parseRequest
	if anthropic {
		parse = parseMessages
	}
	p, aerr := parse(op, body)
	if aerr != nil {
		s.reject(w, out, "invalid", aerr)
		return
	}
	out.stream, out.estimate = p.fields.Stream, p.estimate
	model := p.fields.Model
	if !cons.allows(model) {
		s.reject(w, out, "forbidden", errModelNotAllowed(truncate(model, 128)))
		return
	}
	rt := sn.router.match(model)
	if rt == nil {
		s.reject(w, out, "unknown_model", notFound("The model '"+truncate(model, 128)+"' does not exist or you do not have access to it."))
		return
	}
	allows := func(m string) bool { return cons.allows(m) && sn.router.match(m) != nil }
	ticket, denial, err := sn.adm.Admit(r.Context(), &Call{Consumer: cons.config(), Model: model, Op: op, Stream: p.fields.Stream,
		EstimatedInputTokens: p.estimate, MaxTokens: p.fields.MaxTokens, MaxTokensField: p.fields.MaxTokensField, Pricing: firstPricing(rt), Now: out.start, Allows: allows})
	if err != nil {
		if r.Context().Err() != nil {
			out.cancelled = true
			return
		}
		s.log.LogAttrs(r.Context(), slog.LevelError, "admission failed", attrErr(err))
		s.reject(w, out, "limited", &apiError{Status: http.StatusServiceUnavailable, Type: "server_error",
			Code: "admission_unavailable", Message: "The gateway could not check this key's limits; retry shortly.", RetryAfter: time.Second})
		return
	}
	if denial != nil {
		out.limited = true
		s.reject(w, out, "limited", denial.apiError())
		return
	}
	// Settle on every path from here: the real usage when the upstream
	// reported it, an estimate for what was streamed or answered, nothing
	// when no answer got through.
	defer func() {
		out.completeUsage()
		if out.backend != nil {
			out.cost = costUSD(out.backend.pricing, out.usage)
		}
		if ticket.Settle != nil {
			ticket.Settle(out.usage, out.cost)
		}
	}()
	for k, v := range ticket.Header {
		w.Header()[k] = v
	}
	if ticket.Downgrade != "" && ticket.Downgrade != model {
		drt := sn.router.match(ticket.Downgrade)
		if drt == nil || !cons.allows(ticket.Downgrade) {
			s.reject(w, out, "unknown_model", notFound("The downgrade model '"+truncate(ticket.Downgrade, 128)+"' is not available to this key."))
			return
		}
		w.Header().Set(HeaderDowngradedFrom, model)
		out.asked, rt, model = model, drt, ticket.Downgrade
	}
	out.model = rt.model
	if !config.IsGlob(rt.model) {
		out.model = model
	}
	s.proxyCall(w, r, rc, sn, rt, p, model, out)
}

// completeUsage fills in usage the upstream did not report: the input
// estimate and one token per streamed chunk (or per 4 bytes of a whole
// answer) when something reached the client, else nothing.
func (out *outcome) completeUsage() {
	if out.usage.Reported {
		return
	}
	switch {
	case out.chunks > 0:
		out.usage.InputTokens, out.usage.OutputTokens = out.estimate, out.chunks
	case out.answer > 0 && out.status == http.StatusOK:
		out.usage.InputTokens, out.usage.OutputTokens = out.estimate, (out.answer+3)/4
	default:
		out.usage = providers.Usage{}
	}
}

func firstPricing(rt *route) config.Pricing {
	if len(rt.tiers) > 0 && len(rt.tiers[0]) > 0 {
		return rt.tiers[0][0].pricing
	}
	return config.Pricing{}
}

func costUSD(p config.Pricing, u providers.Usage) float64 {
	in := u.InputTokens - u.CachedInputTokens
	cachedPrice := p.CachedInputPerMillion
	if cachedPrice == 0 {
		cachedPrice = p.InputPerMillion
	}
	return (float64(in)*p.InputPerMillion + float64(u.CachedInputTokens)*cachedPrice + float64(u.OutputTokens)*p.OutputPerMillion) / 1e6
}

func (s *Server) reject(w http.ResponseWriter, out *outcome, reason string, e *apiError) {
	s.m.Rejected.WithLabelValues(reason).Inc()
	out.status, out.errClass = e.Status, reason
	out.writeError(w, e)
}

// writeError answers e in the client's API shape.
func (out *outcome) writeError(w http.ResponseWriter, e *apiError) {
	if out.anthropic {
		writeAnthropicError(w, e)
		return
	}
	writeError(w, e)
}

// proxyCall runs the attempts of one call: pick a backend, try it, and on a
// retryable failure before the first byte try again (another backend first,
// then the same one after a jittered backoff) until Retry.Attempts is spent.
func (s *Server) proxyCall(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, sn *snapshot,
	rt *route, p *parsed, model string, out *outcome) {
	pk := picker{r: rt}
	req := &providers.Request{Op: p.op, Body: p.body, Stream: p.fields.Stream, ClientWantsUsage: p.fields.IncludeUsage || out.anthropic}
	var last *providers.Error
	var prev *backend
	uses := map[*backend]int{}
	for n := 0; n < rt.attempts; n++ {
		b, coolEnd := pk.next(time.Now())
		if b == nil {
			if last == nil {
				last = &providers.Error{Status: http.StatusTooManyRequests, Type: "rate_limit_error", Code: "rate_limit_exceeded",
					Message:    "Every backend of this model is cooling down after rate limits; retry later.",
					RetryAfter: time.Until(coolEnd), Class: providers.ClassRateLimited}
			}
			break
		}
		if n > 0 {
			s.m.Retries.WithLabelValues(out.model).Inc()
			if b != prev {
				s.m.Fallbacks.WithLabelValues(out.model).Inc()
			}
		}
		if uses[b] > 0 && !sleepCtx(r.Context(), backoff(rt.backoff, uses[b])) {
			break
		}
		uses[b]++
		prev = b
		out.attempts++
		out.backend = b
		req.Model = b.upstreamModel(model)
		ferr := s.attempt(w, r, rc, sn, b, req, out)
		if ferr == nil {
			return
		}
		s.m.UpstreamErrors.WithLabelValues(b.label, className(ferr.Class)).Inc()
		if out.status != 0 || out.cancelled {
			return // bytes were sent or the client is gone: nothing to retry
		}
		last = ferr
		s.noteFailure(b, ferr, rt)
		if !rt.retryable(ferr.Class) {
			break
		}
	}
	if r.Context().Err() != nil {
		out.cancelled = true
		if s.aborting.Load() {
			out.status = http.StatusServiceUnavailable
			out.writeError(w, errShuttingDown)
		}
		return
	}
	if last == nil {
		last = &providers.Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "no_backend", Message: "No backend is available for this model."}
	}
	e := fromUpstream(last)
	// An upstream's Retry-After is relayed no longer than the route's
	// maxCooldown: a vendor cannot park clients for days.
	e.RetryAfter = min(e.RetryAfter, rt.maxCooldown)
	out.status, out.errClass = e.Status, className(last.Class)
	out.writeError(w, e)
}

func (rt *route) retryable(c providers.ErrorClass) bool {
	switch c {
	case providers.ClassRateLimited:
		return rt.retryOn[config.RetryOnRateLimited]
	case providers.ClassServerError:
		return rt.retryOn[config.RetryOnServerError]
	case providers.ClassTimeout:
		return rt.retryOn[config.RetryOnTimeout]
	case providers.ClassConnect:
		return rt.retryOn[config.RetryOnConnectError]
	}
	return false
}

// ejectAfter consecutive failures eject a backend for ejectFor (capped by
// the route's MaxCooldown).
const (
	ejectAfter     = 3
	ejectFor       = 10 * time.Second
	defaultBackoff = time.Second
)

// noteFailure updates passive health: a 429 cools the backend down for
// Retry-After (or a second), capped; repeated failures eject it a while.
func (s *Server) noteFailure(b *backend, e *providers.Error, rt *route) {
	now := time.Now()
	switch e.Class {
	case providers.ClassRateLimited:
		d := e.RetryAfter
		if d <= 0 {
			d = defaultBackoff
		}
		b.state.coolDown(now, min(d, rt.maxCooldown), true)
		s.m.BackendEjected.WithLabelValues(b.label, "rate_limited").Inc()
	case providers.ClassServerError, providers.ClassTimeout, providers.ClassConnect:
		if b.state.failures.Add(1) >= ejectAfter {
			b.state.failures.Store(0)
			b.state.coolDown(now, min(ejectFor, rt.maxCooldown), false)
			s.m.BackendEjected.WithLabelValues(b.label, "failures").Inc()
		}
	}
}

func className(c providers.ErrorClass) string {
	switch c {
	case providers.ClassRateLimited:
		return "rate_limited"
	case providers.ClassServerError:
		return "server_error"
	case providers.ClassTimeout:
		return "timeout"
	case providers.ClassConnect:
		return "connect"
	}
	return "fatal"
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

var (
	errFirstToken     = errors.New("upstream first-token timeout")
	errIdle           = errors.New("upstream idle timeout")
	errRequestTimeout = errors.New("upstream request timeout")
)
