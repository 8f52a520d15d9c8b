package proxy

import (
	"log/slog"
	"slices"
	"strconv"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
)

// HeaderModel names the public model that served the answer: the one
// asked for, a downgrade, or one of the request's "models" fallbacks.
const HeaderModel = "X-Tollgate-Model"

// maxFallbackModels bounds OpenRouter's "models" list.
const maxFallbackModels = 8

// hop is one fallback model of a request's "models" list: its public name
// and its route, already restricted by the request's provider preferences.
type hop struct {
	model string
	rt    *route
}

// fallbackHops checks a request's "models" list before anything is
// admitted: every model named must be one the consumer may use and the
// gateway routes, fit the request's capabilities, be under the same
// guardrails as the model asked for (the request was masked for those),
// and be priced when the consumer has a budget; otherwise the request is
// refused, naming it. The model asked for and repeats are dropped; a
// model whose backends the provider preferences all exclude is skipped.
func (c *call) fallbackHops(cons principal, p *parsed, model string, rq *routing) ([]hop, *apiError) {
	if len(rq.models) == 0 {
		return nil, nil
	}
	sn := c.sn
	want := c.guardNames(model)
	seen := map[string]bool{model: true}
	var hops []hop
	for i, name := range rq.models {
		param := "models[" + strconv.Itoa(i) + "]"
		m, sortBy := name, ""
		if base, s := splitVariant(name); s != "" && sn.router.match(name) == nil {
			m, sortBy = base, s
		}
		if seen[m] {
			continue
		}
		seen[m] = true
		if !cons.allows(m) {
			e := errModelNotAllowed(truncate(m, 128))
			e.Param = param
			return nil, e
		}
		rt := sn.router.match(m)
		if rt == nil {
			e := modelNotFound("model", m)
			e.Param = param
			return nil, e
		}
		if aerr := sn.checkCapabilities(m, p); aerr != nil {
			aerr.Param = param
			return nil, aerr
		}
		if !slices.Equal(c.guardNames(m), want) {
			return nil, badRequest("The fallback model '"+truncate(m, 128)+"' is under other guardrails than '"+truncate(model, 128)+
				"'; a request's models must share their guardrails.", param)
		}
		if price, free := c.chargedPrice(rt, m); budgeted(sn.cfg, cons.config()) && !free && price == (config.Pricing{}) {
			e := errUnpriced(m)
			e.Param = param
			return nil, e
		}
		if rt = rq.prefs.apply(rt, c.s, sortBy); rt == nil {
			continue
		}
		hops = append(hops, hop{model: m, rt: rt})
	}
	return hops, nil
}

// guardNames lists the guardrails that apply to the call's consumer on
// model, in the snapshot's order.
func (c *call) guardNames(model string) []string {
	var out []string
	for _, g := range c.sn.guards {
		if g.applies(c.consumer, model) {
			out = append(out, g.name)
		}
	}
	return out
}

// runHops serves the call on rt and, while the answer failed before any
// byte reached the client, on each fallback model in turn. Each hop is
// admitted against the consumer's limits for its own model (never
// downgraded: the list is the client's order) and settled before the next
// one; a hop the limits refuse is skipped. The last failure is answered.
func (c *call) runHops(rt *route, p *parsed, model string, ticket *limits.Ticket, hops []hop) {
	e, class := c.tryRoute(rt, p, model)
	asked := model
	for _, h := range hops {
		if e == nil || c.sent || c.cancelled || c.r.Context().Err() != nil {
			break
		}
		c.settle(ticket)
		never := func(string) bool { return false }
		price, free := c.chargedPrice(h.rt, h.model)
		t, denial, err := c.admit(limits.Call{Consumer: c.consumer, Model: h.model, InputTokens: p.estimate,
			MaxOutputTokens: p.fields.MaxTokens, MaxOutputField: p.fields.MaxTokensField, Pricing: price, Free: free, Allowed: never})
		if err != nil {
			if c.r.Context().Err() != nil {
				c.cancelled = true
				return
			}
			c.s.log.LogAttrs(c.r.Context(), slog.LevelError, "admission failed", attrErr(err))
			continue
		}
		if denial != nil {
			continue
		}
		ticket = t
		c.s.m.Fallbacks.WithLabelValues(c.model).Inc()
		c.asked, c.served, c.model = asked, h.model, h.rt.model
		if !config.IsGlob(h.rt.model) {
			c.model = h.model
		}
		c.w.Header().Set(HeaderModel, h.model)
		e, class = c.tryRoute(h.rt, p, h.model)
	}
	defer c.settle(ticket)
	if e != nil {
		c.fail(class, e)
	}
}
