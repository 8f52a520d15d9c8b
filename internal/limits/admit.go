package limits

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// Call is what the proxy knows about a request before sending it upstream.
type Call struct {
	// Consumer is the authenticated Consumer's name ("" when anonymous).
	Consumer string
	// Model is the public model name the client asked for.
	Model string
	// InputTokens is the estimated prompt size (see EstimateTokens).
	InputTokens int64
	// MaxOutputTokens is the largest output bound the request sets
	// (max_tokens, max_completion_tokens, max_output_tokens,
	// thinking.budget_tokens); 0 when absent. The reservation is that
	// bound, capped at the model's maxOutputTokens when the catalogue
	// knows it; with no bound it is the model's maxOutputTokens, else the
	// default; and never more than the smallest maxTokensPerRequest of
	// the consumer's policies (a bound above that is refused).
	MaxOutputTokens int64
	// MaxOutputField names the request field MaxOutputTokens came from, for
	// the refusal's param ("max_tokens" when empty).
	MaxOutputField string
	// Pricing of Model, for the cost estimate that budgets reserve.
	Pricing config.Pricing
	// Free is true when the call costs the gateway nothing (every backend
	// it may go to is the consumer's own vendor key, BYOK): budgets are
	// neither reserved nor checked; requests and tokens count as usual.
	Free bool
	// Allowed, when set, says whether the caller may be served a model; a
	// Downgrade policy's target it refuses is not tried, and the original
	// denial is returned instead.
	Allowed func(model string) bool
}

// Admit decides whether a request may go upstream. Exactly one of the
// results is non-nil: a Ticket (admitted, perhaps downgraded), a Denial to
// send to the client, or an error when ctx ended first.
func (e *Engine) Admit(ctx context.Context, call Call) (*Ticket, *Denial, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("limits: admit: %w", err)
	}
	c := e.consumer(call.Consumer)
	// Every figure is clamped first: no request field can make a sum wrap.
	in := clampTokens(call.InputTokens)
	asked := max(call.MaxOutputTokens, 0)

	capTokens, capPolicy := int64(0), ""
	for _, p := range c.policies {
		if p.maxTokens > 0 && (capTokens == 0 || p.maxTokens < capTokens) {
			capTokens, capPolicy = p.maxTokens, p.name
		}
	}
	if capTokens > 0 && asked > capTokens {
		e.m.decisions.WithLabelValues("max_tokens").Inc()
		return nil, maxTokensDenial(call.MaxOutputField, asked, capTokens, capPolicy), nil
	}

	t, d, err := e.admitModel(ctx, c, call.Model, call.Pricing, call.Free, in, e.outputEstimate(call.Model, asked, capTokens))
	if err != nil {
		return nil, nil, err
	}
	// Downgrade: only once, only for the policy that refused, and only to
	// a model other than the one asked for.
	if p := policyOf(d); p != nil && p.onExceeded == config.ExceededDowngrade &&
		p.downgradeTo != "" && p.downgradeTo != call.Model && (call.Allowed == nil || call.Allowed(p.downgradeTo)) {
		t, d, err = e.admitModel(ctx, c, p.downgradeTo, e.pricingOf(p.downgradeTo), false, in, e.outputEstimate(p.downgradeTo, asked, capTokens))
		if err != nil {
			return nil, nil, err
		}
		if t != nil {
			t.DowngradeTo = p.downgradeTo
			e.m.decisions.WithLabelValues("downgraded").Inc()
			return t, nil, nil
		}
	}
	if d != nil {
		e.m.decisions.WithLabelValues(d.decision).Inc()
		return nil, d, nil
	}
	e.m.decisions.WithLabelValues("admitted").Inc()
	return t, nil, nil
}

// outputEstimate is the output a request reserves for model: what it
// asked for, capped at the model's maxOutputTokens (an upstream writes no
// more, and refuses or caps a larger bound itself); with no bound, the
// model's maxOutputTokens, else the default; never more than the policy
// cap or MaxRequestTokens.
func (e *Engine) outputEstimate(model string, asked, capTokens int64) int64 {
	modelMax := e.maxOutput[model]
	out := asked
	if out == 0 {
		out = e.opts.defaultOutput
		if modelMax > 0 {
			out = modelMax
		}
	}
	if modelMax > 0 {
		out = min(out, modelMax)
	}
	if capTokens > 0 {
		out = min(out, capTokens)
	}
	return clampTokens(out)
}

func policyOf(d *Denial) *policyRT {
	if d == nil {
		return nil
	}
	return d.policy
}

// admitModel reserves the estimate for one model (nothing against budgets
// when free). A Denial is returned with its refusing policy so Admit can
// decide on a downgrade (a downgrade target is never free: another
// provider may serve it).
func (e *Engine) admitModel(ctx context.Context, c *consumerRT, model string, price config.Pricing, free bool, in, out int64) (*Ticket, *Denial, error) {
	now := e.now()
	est := estimate{in: in, out: out, free: free}
	if !free {
		est.costMicro = microUSD(in, out, price)
	}
	cs, ms := e.counters(c, model, est, now)

	// A request larger than an empty window can never pass: say so rather
	// than asking the client to retry.
	for i, cn := range cs {
		m := ms[i]
		if m.usage {
			continue
		}
		zeroBudget := m.kind == kindCost && m.policy.budgetMicro == 0
		if zeroBudget || (cn.Limit > 0 && cn.Amount > cn.Limit) {
			return nil, e.denial(m, cn.Amount, 0, now, true, http.Header{}), nil
		}
	}

	if t := e.admitUnchecked(model, cs, ms, est); t != nil {
		return t, nil, nil
	}
	if e.b.leases != nil {
		if t := e.admitLeased(ctx, model, cs, ms, est); t != nil {
			return t, nil, nil
		}
	}
	var (
		res      Reservation
		store    Store
		degraded bool
	)
	used, err := e.b.call(ctx, "reserve", func(s Store) error {
		var err error
		res, err = reserveByTag(ctx, s, cs)
		return err
	})
	switch {
	case used && err == nil:
		store = e.b.primary
	case ctx.Err() != nil:
		return nil, nil, fmt.Errorf("limits: admit: %w", ctx.Err())
	case e.mode == config.FailClosed:
		// The shared store is down (or the local one full) and we fail closed.
		return nil, unavailableDenial(), nil
	case !e.b.remote:
		// The Local store is full (ErrLocalFull): fail open means the
		// request goes through uncounted.
		e.m.storeErrors.WithLabelValues("local_full").Inc()
		return &Ticket{e: e, degraded: true, model: model}, nil, nil
	default:
		degraded = true
		if res, err = reserveByTag(ctx, e.b.fallback, cs); err != nil {
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("limits: admit: %w", ctx.Err())
			}
			// Even the bounded fallback is full: uncounted, as above.
			e.m.storeErrors.WithLabelValues("local_full").Inc()
			return &Ticket{e: e, degraded: true, model: model}, nil, nil
		}
		store = e.b.fallback
	}
	if !res.OK {
		m := ms[res.Failed]
		h := headers(ms, res.Values, now)
		d := e.denial(m, cs[res.Failed].Amount, res.Values[res.Failed], now, false, h)
		if degraded {
			d.Degraded = true
			d.Headers.Set(HeaderDegraded, "degraded")
		}
		return nil, d, nil
	}
	return &Ticket{e: e, store: store, degraded: degraded, model: model,
		counters: cs, metas: ms, values: res.Values, est: est}, nil, nil
}

// admitUnchecked admits a request none of whose counters has a limit (a
// consumer without TokenPolicies: usage only) with no store round trip:
// its usage goes through the background settlement queue. It returns nil
// when that does not apply (no queue, a checked counter, the shared store
// known down so the failure mode decides, or a full queue).
func (e *Engine) admitUnchecked(model string, cs []Counter, ms []meta, est estimate) *Ticket {
	if e.b.settler == nil || e.b.isDegraded() {
		return nil
	}
	for _, cn := range cs {
		if cn.Limit > 0 {
			return nil
		}
	}
	if !e.b.settler.enqueue(settleJob{cs: cs}) {
		return nil
	}
	vals := make([]int64, len(cs))
	for i, cn := range cs {
		vals[i] = cn.Amount
	}
	return &Ticket{e: e, store: e.b.primary, model: model, counters: cs, metas: ms, values: vals, est: est}
}
