package proxy

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/pause"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// serveInference is the pipeline of every inference API (see clientAPI):
// auth, read, translate to canonical, parse, authorise, admit, route,
// attempt, settle.
func (s *Server) serveInference(w http.ResponseWriter, r *http.Request, sn *snapshot, api clientAPI) {
	// A request's own vendor keys are taken out of its headers before
	// anything (traces, logs, upstreams) reads them.
	ownKeys := takeProviderKeys(r.Header)
	c := &call{s: s, sn: sn, w: w, r: r, rc: http.NewResponseController(w), api: api, start: time.Now()}
	c.span = sn.tracer.StartRequest(r, c.start)
	c.beginActivity()
	defer c.finish()
	cons, ok := sn.auth.authenticate(r.Context(), r.Header, s.now())
	if !ok {
		// Answered from the headers alone, before the body is read.
		closeUnread(w, r)
		c.reject("unauthenticated", unauthorized)
		return
	}
	c.consumer, c.subject = cons.name(), cons.subject
	c.startCapture(cons.consumer)
	if cs, ok := api.(consumerScoped); ok {
		cs.authenticated(c.consumer)
	}
	if aerr := c.headerKeys(ownKeys); aerr != nil {
		closeUnread(w, r)
		reason := "forbidden"
		if aerr.Status == http.StatusBadRequest {
			reason = "invalid"
		}
		c.reject(reason, aerr)
		return
	}
	_ = c.rc.SetReadDeadline(c.start.Add(sn.readTimeout))
	body, aerr := readBody(w, r, sn.maxBody)
	if aerr != nil {
		// The body was not read to its end: the connection cannot be
		// reused, and the read deadline stays so closing it cannot block.
		w.Header().Set("Connection", "close")
		reason := "invalid"
		if aerr == errTooLarge {
			reason = "too_large"
		}
		c.reject(reason, aerr)
		return
	}
	_ = c.rc.SetReadDeadline(time.Time{})
	c.captureRequest(body)
	// OpenRouter's routing members are read and removed first: what is
	// parsed, judged and sent upstream is the body without them.
	body, rq, aerr := takeRouting(body)
	if aerr != nil {
		c.reject("invalid", aerr)
		return
	}
	body, tmpl, aerr := takeTemplate(body)
	if aerr != nil {
		c.reject("invalid", aerr)
		return
	}
	prefs := rq.prefs
	c.wantUsage = rq.usage
	p, aerr := api.parse(body)
	if aerr != nil {
		c.reject("invalid", aerr)
		return
	}
	c.stream, c.estimate = p.fields.Stream, p.estimate
	model := p.fields.Model
	sortBy := ""
	if base, s := splitVariant(model); s != "" && sn.router.match(model) == nil {
		model, sortBy = base, s
	}
	if aerr := c.applyPrompts(model, tmpl, p); aerr != nil {
		c.reject("invalid", aerr)
		return
	}
	c.estimate = p.estimate
	c.parsed(p)
	if !cons.allows(model) {
		c.reject("forbidden", errModelNotAllowed(truncate(model, 128)))
		return
	}
	rt := sn.router.match(model)
	if rt == nil {
		c.reject("unknown_model", modelNotFound("model", model))
		return
	}
	if aerr := sn.checkCapabilities(model, p); aerr != nil {
		c.reject("unsupported", aerr)
		return
	}
	if prefs != nil && prefs.RequireParameters {
		prefs.sent = requestParameters(p)
	}
	all := rt
	if rt = prefs.apply(rt, s, sortBy); rt == nil {
		c.reject("unknown_model", prefs.noBackendError(all, s, sortBy, model))
		return
	}
	if aerr := c.guardRequest(cons.consumer, model, p); aerr != nil {
		c.reject("guardrail", aerr)
		return
	}
	if aerr := c.checkExternal(p); aerr != nil {
		c.reject("guardrail", aerr)
		return
	}
	hops, herr := c.fallbackHops(cons, p, model, rq)
	if herr != nil {
		c.reject("invalid", herr)
		return
	}
	price, free := c.chargedPrice(rt, model)
	if c.budgeted = budgeted(sn.cfg, cons.config()); c.budgeted && !free && price == (config.Pricing{}) {
		c.reject("unpriced", errUnpriced(model))
		return
	}
	allows := func(m string) bool { return cons.allows(m) && sn.router.match(m) != nil }
	ticket, denial, err := c.admit(limits.Call{Consumer: c.consumer, Model: model, InputTokens: p.estimate,
		MaxOutputTokens: p.fields.MaxTokens, MaxOutputField: p.fields.MaxTokensField, Pricing: price, Free: free, Allowed: allows})
	if err != nil {
		if r.Context().Err() != nil {
			c.cancelled = true
			return
		}
		s.log.LogAttrs(r.Context(), slog.LevelError, "admission failed", attrErr(err))
		c.reject("limited", errAdmission)
		return
	}
	if denial != nil {
		c.span.Limit("denied", "")
		c.limited = true
		c.reject("limited", denialError(denial))
		return
	}
	// Settle on every path from here: the real usage when the upstream
	// reported it, an estimate for what was streamed or answered, nothing
	// when no answer got through.
	defer c.settle(ticket)
	c.span.Limit("allowed", ticket.DowngradeTo)
	for k, v := range ticket.Headers() {
		w.Header()[k] = v
	}
	if d := ticket.DowngradeTo; d != "" && d != model {
		drt := prefs.apply(sn.router.match(d), s, sortBy)
		if drt == nil || !cons.allows(d) {
			c.reject("unknown_model", notFound("The downgrade model '"+truncate(d, 128)+"' is not available to this key."))
			return
		}
		w.Header().Set(HeaderDowngradedFrom, model)
		c.asked, rt, model = model, drt, d
	}
	c.model, c.served = rt.model, model
	if !config.IsGlob(rt.model) {
		c.model = model
	}
	c.w.Header().Set(HeaderModel, model)
	if len(rq.models) == 0 && c.serveCached(p, rt.model, model, body) {
		return
	}
	c.session = sessionAffinity(rt, c.consumer, r.Header, body)
	c.runHops(rt, p, model, ticket, hops)
	if c.storeTo != nil {
		c.storeTo()
	}
}

// settle charges the call's usage (completed by estimate) and cost.
func (c *call) settle(t *limits.Ticket) {
	c.completeUsage()
	if c.backend != nil {
		c.cost = costUSD(c.sn.priceOf(c.backend, c.served), c.usage)
	}
	if c.byok {
		c.cost = 0 // the vendor bills the key's owner; tokens still count
	}
	// Settle detaches from the request's cancellation: a client that left
	// is still charged.
	if err := t.Settle(c.r.Context(), c.usage, c.cost); err != nil {
		c.s.log.LogAttrs(c.r.Context(), slog.LevelWarn, "settling usage failed", slog.String("consumer", c.consumer), attrErr(err))
	}
}

// tryRoute makes the attempts of one call on one route: pick a backend,
// try it, and on a retryable failure before the first byte try again
// (another backend first, then the same one after a jittered backoff)
// until the route's attempts are spent. It returns the failure to answer
// and its logged class, nil when the call was answered (or the client
// left, or the gateway is shutting down and said so).
func (c *call) tryRoute(rt *route, p *parsed, model string) (*apiError, string) {
	s, ctx := c.s, c.r.Context()
	if p.pin != "" {
		if rt = rt.pinned(p.pin); rt == nil {
			return fromUpstream(errChainElsewhere), "chain_unavailable"
		}
	}
	pk := picker{r: rt, session: c.session}
	req := &providers.Request{Op: p.op, Body: p.body, Stream: p.fields.Stream, ClientWantsUsage: p.fields.IncludeUsage || c.wantUsage || c.api.usageInStream()}
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
		fallback := n > 0 && b != prev
		if n > 0 {
			s.m.Retries.WithLabelValues(c.model).Inc()
			if fallback {
				s.m.Fallbacks.WithLabelValues(c.model).Inc()
			}
		}
		if uses[b] > 0 && !pause.For(ctx, backoff(rt.backoff, uses[b])) {
			break
		}
		if c.budgeted && !c.ownKey(b) && c.sn.priceOf(b, model) == (config.Pricing{}) {
			last = upstreamUnavailable("model_not_priced", "The backend left for this model has no price, and this key has a spending budget.")
			continue
		}
		if perr := c.prepare(req, p, b, b.upstreamModel(model)); perr != nil {
			last = perr
			continue
		}
		uses[b]++
		prev = b
		c.attempts++
		// The attempt goes out on the request's own key when it brought
		// one for b's provider (the same backend otherwise).
		c.backend = c.keyed(b)
		c.w.Header().Set(HeaderProvider, b.up.name)
		c.w.Header().Set(HeaderUpstreamModel, b.upstreamModel(model))
		started := time.Now()
		res := c.tracedAttempt(c.backend, req, last, fallback)
		c.record(b, res)
		c.noteAttempt(b, res, started)
		if res.err == nil {
			return nil, ""
		}
		s.m.UpstreamErrors.WithLabelValues(b.label, className(res.err.Class)).Inc()
		if res.committed || res.cancelled {
			return nil, "" // bytes were sent or the client is gone: nothing to retry
		}
		last = res.err
		s.noteFailure(b, res.err, rt)
		if !rt.retryable(res.err.Class) {
			break
		}
	}
	if ctx.Err() != nil {
		c.cancelled = true
		if s.aborting.Load() {
			c.fail("", errShuttingDown)
		}
		return nil, ""
	}
	c.w.Header().Del(HeaderProvider)
	c.w.Header().Del(HeaderUpstreamModel)
	if last == nil {
		last = upstreamUnavailable("no_backend", "No backend is available for this model.")
	}
	e := fromUpstream(last)
	if last.Raw != nil {
		// A native upstream's own refusal, in its own words.
		e.Raw, e.Status = redactBytes(last.Raw, c.backend.up.redacted), last.RawStatus
	}
	// An upstream's Retry-After is relayed no longer than the route's
	// maxCooldown: a vendor cannot park clients for days.
	e.RetryAfter = min(e.RetryAfter, rt.maxCooldown)
	return e, className(last.Class)
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

var (
	errFirstToken     = errors.New("upstream first-token timeout")
	errIdle           = errors.New("upstream idle timeout")
	errRequestTimeout = errors.New("upstream request timeout")
)
