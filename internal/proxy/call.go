package proxy

import (
	"net/http"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/telemetry"
)

// call is one client request on its way through the pipeline: what it is
// (API, consumer, model), where it went, and what it came to. The access
// log, the metrics and the settlement are fed from it when it ends. Only
// the pipeline changes it: an attempt returns a result, which record folds
// in.
type call struct {
	s   *Server
	sn  *snapshot
	w   http.ResponseWriter
	r   *http.Request
	rc  *http.ResponseController
	api clientAPI

	start    time.Time
	genID    string // the generation id the answer carries
	app      string // the app the client named (X-Title, else HTTP-Referer's host)
	appURL   string // HTTP-Referer
	category string // X-Tollgate-Category, normalised
	consumer string
	// subject is the sub claim of the request's verified JWT ("" for a key).
	subject string
	// model labels metrics and usage: the public model served, or its
	// route's pattern for a glob (a client's names cannot grow them);
	// "" until routed.
	model    string
	asked    string // model the client asked for, when downgraded
	served   string // public model served (the client's, or the downgrade's): answers and the access log name it
	budgeted bool   // the consumer has a spending budget: never serve unpriced
	stream   bool
	op       providers.Operation
	estimate int64
	limited  bool // denied by a TokenPolicy
	// wantUsage is OpenRouter's usage: {include: true}: a stream ends
	// with a usage chunk (with its cost) as if include_usage were set.
	wantUsage bool
	// byok is true when the last attempt carried the consumer's own
	// vendor key: the call is charged $0 against budgets.
	byok bool
	// ownKeys are the upstreams carrying the request's own keys (its
	// X-Tollgate-Provider-Key header), by provider name.
	ownKeys map[string]*upstream

	backend  *backend // of the last attempt
	session  affinity // the request's session placement (see sessionAffinity)
	attempts int
	reached  bool // a request went upstream: its prompt may have been processed
	// status is what the client was answered; sent is true once the status
	// line went out, after which nothing can be retried.
	status    int
	sent      bool
	cancelled bool
	usage     providers.Usage
	cost      float64
	chunks    int64 // content chunks written to the client
	answer    int64 // bytes of a non-streamed answer
	ttft      time.Duration
	errClass  string
	errDetail string
	// tries are the attempts' outcomes for the availability windows.
	tries []tried
	// span is the request's trace span, upSpan the attempt's (nil when
	// tracing is off).
	span   *telemetry.Span
	upSpan *telemetry.Attempt
	// guard is the call's guardrails (nil when none applies).
	guard *callGuard
	// cached is true when the answer came from the response cache.
	cached bool
	// storeTo stores a completed answer in the response cache (nil: not
	// cacheable).
	storeTo func()
	// capture holds the bodies when the consumer's calls are captured
	// (nil by default; see capture.go).
	capture *capture
}

// result is what one upstream attempt came to.
type result struct {
	// committed is true once the client's status line was sent: the
	// answer is this attempt's, whatever happens after.
	committed bool
	// reached is true once the request was sent upstream; upstatus is
	// the upstream's HTTP status (0 when none came).
	reached   bool
	upstatus  int
	cancelled bool // the client went away
	usage     providers.Usage
	chunks    int64
	answer    int64
	ttft      time.Duration
	// err is nil when the answer was sent in full; otherwise the failure
	// (to retry or answer when not committed, logged when committed).
	err *providers.Error
	// class is the logged error class of a committed failure ("" when the
	// client left).
	class string
	// detail is the failure's detail for the log, scrubbed of secrets.
	detail string
}

// record folds b's attempt's result into the call; reported usage is
// checked first (upstream data is not trusted).
func (c *call) record(b *backend, res result) {
	c.reached = c.reached || res.reached
	if res.usage.Reported {
		c.usage = c.checkUsage(b, res.usage)
	}
	if res.detail != "" {
		c.errDetail = res.detail
	}
	if res.cancelled {
		c.cancelled = true
	}
	if !res.committed {
		return
	}
	c.sent, c.status = true, http.StatusOK
	c.chunks, c.answer, c.ttft = res.chunks, res.answer, res.ttft
	if res.class != "" {
		c.errClass = res.class
	}
}

// fail answers e (nothing having been sent yet), logged as class.
func (c *call) fail(class string, e *apiError) {
	c.status, c.errClass = e.Status, class
	c.api.writeError(c.w, e)
}

// reject refuses the call before it went upstream.
func (c *call) reject(reason string, e *apiError) {
	c.s.m.Rejected.WithLabelValues(reason).Inc()
	c.span.Rejected(reason)
	c.fail(reason, e)
}

// completeUsage fills in usage the upstream did not report: the input
// estimate and one token per streamed chunk (or per 4 bytes of a whole
// answer) when something reached the client; the input estimate when the
// client left after its prompt went upstream; else nothing.
func (c *call) completeUsage() {
	if c.usage.Reported {
		return
	}
	switch {
	case c.chunks > 0:
		c.usage.InputTokens, c.usage.OutputTokens = c.estimate, c.chunks
	case c.answer > 0 && c.status == http.StatusOK:
		c.usage.InputTokens, c.usage.OutputTokens = c.estimate, (c.answer+3)/4
	case c.cancelled && c.reached:
		// The prompt went upstream, which processed (and bills) it.
		c.usage = providers.Usage{InputTokens: c.estimate}
	default:
		c.usage = providers.Usage{}
	}
}

// costUSD prices usage: the input tokens read from the prompt cache at the
// cached price and those written to it at the cache-write price (each the
// input price when unset), the rest of the input and the output at theirs.
func costUSD(p config.Pricing, u providers.Usage) float64 {
	cachedPrice := orPrice(p.CachedInputPerMillion, p.InputPerMillion)
	writePrice := orPrice(p.CacheWritePerMillion, p.InputPerMillion)
	// Reads and writes are parts of the input (plausibleUsage bounds
	// each by it): together they are counted no more than it.
	cached := min(max(u.CachedInputTokens, 0), u.InputTokens)
	written := min(max(u.CacheWriteTokens, 0), u.InputTokens-cached)
	in := max(u.InputTokens-cached-written, 0)
	return (float64(in)*p.InputPerMillion + float64(cached)*cachedPrice +
		float64(written)*writePrice + float64(u.OutputTokens)*p.OutputPerMillion) / 1e6
}

func orPrice(price, def float64) float64 {
	if price == 0 {
		return def
	}
	return price
}
