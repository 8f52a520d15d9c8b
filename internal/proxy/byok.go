package proxy

import (
	"fmt"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// HeaderBYOK is "true" on an answer served with the consumer's own vendor
// key.
const HeaderBYOK = "X-Tollgate-BYOK"

// buildBYOK builds, per consumer and provider, an adapter that carries the
// consumer's own vendor key; every key is added to its provider's
// redactions, so no log line or answer of that provider can show it.
func (sn *snapshot) buildBYOK() error {
	for _, cs := range sn.cfg.Consumers {
		for _, k := range cs.BYOK {
			up, ok := sn.upstreams[k.Provider]
			if !ok {
				return fmt.Errorf("consumer %q: byok: unknown provider %q", cs.Name, k.Provider)
			}
			for i := range sn.cfg.Providers {
				if sn.cfg.Providers[i].Name != k.Provider {
					continue
				}
				p := sn.cfg.Providers[i]
				p.APIKey = k.APIKey
				a, err := providers.New(&p)
				if err != nil {
					return fmt.Errorf("consumer %q: byok for %q: %w", cs.Name, k.Provider, err)
				}
				if sn.byok == nil {
					sn.byok = map[string]map[string]providers.Adapter{}
				}
				if sn.byok[cs.Name] == nil {
					sn.byok[cs.Name] = map[string]providers.Adapter{}
				}
				sn.byok[cs.Name][k.Provider] = a
				up.redacted = append(up.redacted, k.APIKey)
			}
		}
	}
	return nil
}

// requestAdapter is the adapter that builds the call's request to b: the
// request's own key's (a header key) or the consumer's when it brought
// one for b's provider (the call is then byok), else the provider's.
func (c *call) requestAdapter(b *backend) providers.Adapter {
	if b.up.ownKey {
		c.byok = true
		c.w.Header().Set(HeaderBYOK, "true")
		return b.up.adapter
	}
	if a, ok := c.sn.byok[c.consumer][b.up.name]; ok {
		c.byok = true
		c.w.Header().Set(HeaderBYOK, "true")
		return a
	}
	c.byok = false
	c.w.Header().Del(HeaderBYOK)
	return b.up.adapter
}

// ownKey reports whether a call to b carries the consumer's own key.
func (c *call) ownKey(b *backend) bool {
	_, ok := c.sn.byok[c.consumer][b.up.name]
	_, header := c.ownKeys[b.up.name]
	return ok || header
}

// chargedPrice is what admission reserves against budgets for model on
// rt: the price of the first backend, in route order, the gateway pays
// for (one the consumer has no own key to). free is true when there is
// none: every backend the call may go to bills the consumer's own key,
// so budgets are neither reserved nor checked.
func (c *call) chargedPrice(rt *route, model string) (config.Pricing, bool) {
	for _, tier := range rt.tiers {
		for _, b := range tier {
			if !c.ownKey(b) {
				return c.sn.priceOf(b, model), false
			}
		}
	}
	return config.Pricing{}, len(rt.tiers) > 0
}
