package limits

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names the engine sets.
const (
	HeaderLimitRequests     = "X-Ratelimit-Limit-Requests"
	HeaderRemainingRequests = "X-Ratelimit-Remaining-Requests"
	HeaderResetRequests     = "X-Ratelimit-Reset-Requests"
	HeaderLimitTokens       = "X-Ratelimit-Limit-Tokens"
	HeaderRemainingTokens   = "X-Ratelimit-Remaining-Tokens"
	HeaderResetTokens       = "X-Ratelimit-Reset-Tokens"
	// HeaderDegraded is "degraded" while limits are counted per replica
	// because the shared store is unreachable.
	HeaderDegraded = "X-Tollgate-Ratelimit"
)

// Denial is a refused request, ready to become an OpenAI-shaped error:
// {"error": {"message": Message, "type": Type, "param": Param, "code": Code}}
// with Status and Headers. Messages name the policy and window, never a key.
type Denial struct {
	Status  int
	Type    string
	Code    string
	Param   string
	Message string
	// RetryAfter is the wait until the refusing window resets; 0 when
	// waiting cannot help (the request is larger than the whole limit).
	RetryAfter time.Duration
	// Policy and Window name what refused ("standard", "1m" or "Month").
	Policy string
	Window string
	// Degraded is true when counters were per replica (shared store down).
	Degraded bool
	// Headers hold Retry-After and the x-ratelimit-* headers.
	Headers http.Header

	decision string
	policy   *policyRT
}

func (e *Engine) denial(m meta, need, current int64, now time.Time, tooLarge bool, h http.Header) *Denial {
	d := &Denial{Status: http.StatusTooManyRequests, Policy: m.policy.name, Window: m.window,
		Headers: h, policy: m.policy}
	scope := ""
	if len(m.models) > 0 {
		scope = " for models " + strings.Join(m.models, ", ")
	}
	wait := m.reset.Sub(now)
	switch {
	case m.kind == kindCost && m.policy.budgetMicro == 0:
		d.Type, d.Code, d.decision = "insufficient_quota", "insufficient_quota", "budget"
		d.Message = fmt.Sprintf("budget of policy %q is $0 per %s: no request is allowed", d.Policy, m.window)
	case m.kind == kindCost && tooLarge:
		d.Type, d.Code, d.decision = "insufficient_quota", "insufficient_quota", "too_large"
		d.Message = fmt.Sprintf("request too large for the budget of policy %q: its estimated cost %s exceeds the whole budget of %s per %s; lower max_tokens or shorten the prompt",
			d.Policy, usd(need), usd(m.limit), m.window)
	case m.kind == kindCost:
		d.Type, d.Code, d.decision = "insufficient_quota", "insufficient_quota", "budget"
		d.RetryAfter = ceilSeconds(wait)
		d.Message = fmt.Sprintf("budget exceeded for policy %q: %s per %s (%s), %s spent or reserved, this request may cost up to %s; the budget resets at %s",
			d.Policy, usd(m.limit), m.window, m.period, usd(current), usd(need), m.reset.UTC().Format(time.RFC3339))
	case tooLarge:
		d.Type, d.Code, d.decision = typeOf(m.kind), "rate_limit_exceeded", "too_large"
		d.Message = fmt.Sprintf("request too large for policy %q: it needs an estimated %d %s but the limit is %d %s per %s%s; lower max_tokens or shorten the prompt",
			d.Policy, need, m.kind.noun(), m.limit, m.kind.noun(), m.window, scope)
	default:
		d.Type, d.Code, d.decision = typeOf(m.kind), "rate_limit_exceeded", "limited"
		d.RetryAfter = ceilSeconds(wait)
		d.Message = fmt.Sprintf("rate limit reached for policy %q: %d %s per %s%s; %d used or reserved, this request needs %d; retry after %s",
			d.Policy, m.limit, m.kind.noun(), m.window, scope, current, need, d.RetryAfter)
	}
	if d.RetryAfter > 0 {
		d.Headers.Set("Retry-After", strconv.FormatInt(int64(d.RetryAfter/time.Second), 10))
	}
	return d
}

func typeOf(k kind) string {
	if k == kindRequests {
		return "requests"
	}
	return "tokens"
}

func maxTokensDenial(field string, asked, limit int64, policy string) *Denial {
	if field == "" {
		field = "max_tokens"
	}
	return &Denial{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "max_tokens_exceeded",
		Param: field, Policy: policy, Headers: http.Header{}, decision: "max_tokens",
		Message: fmt.Sprintf("%s %d exceeds the limit of %d tokens per request of policy %q", field, asked, limit, policy)}
}

func unavailableDenial() *Denial {
	h := http.Header{}
	h.Set("Retry-After", "1")
	h.Set(HeaderDegraded, "degraded")
	return &Denial{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "ratelimit_unavailable",
		RetryAfter: time.Second, Degraded: true, Headers: h, decision: "unavailable",
		Message: "rate limits cannot be checked right now (the limit store is unavailable); try again shortly"}
}

// usd prints micro-USD as dollars: "$500.00", "$0.000150".
func usd(micro int64) string {
	if micro%10000 == 0 {
		return fmt.Sprintf("$%.2f", float64(micro)/1e6)
	}
	return fmt.Sprintf("$%.6f", float64(micro)/1e6)
}

// headers computes the x-ratelimit-* headers from the tightest request
// limit and the tightest token limit (input, output or total) of a check:
// the one with the fewest remaining, the later reset on a tie.
func headers(ms []meta, values []int64, now time.Time) http.Header {
	h := make(http.Header, 7)
	req, tok := -1, -1
	better := func(cur, i int) bool {
		if cur < 0 {
			return true
		}
		ri, rc := ms[i].limit-values[i], ms[cur].limit-values[cur]
		return ri < rc || (ri == rc && ms[i].reset.After(ms[cur].reset))
	}
	for i, m := range ms {
		if m.usage || m.limit <= 0 || i >= len(values) {
			continue
		}
		switch m.kind {
		case kindRequests:
			if better(req, i) {
				req = i
			}
		case kindTokens, kindInput, kindOutput:
			if better(tok, i) {
				tok = i
			}
		}
	}
	set := func(i int, limit, remaining, reset string) {
		if i < 0 {
			return
		}
		h[limit] = []string{strconv.FormatInt(ms[i].limit, 10)}
		h[remaining] = []string{strconv.FormatInt(max(ms[i].limit-values[i], 0), 10)}
		h[reset] = []string{formatReset(ms[i].reset.Sub(now))}
	}
	set(req, HeaderLimitRequests, HeaderRemainingRequests, HeaderResetRequests)
	set(tok, HeaderLimitTokens, HeaderRemainingTokens, HeaderResetTokens)
	return h
}
