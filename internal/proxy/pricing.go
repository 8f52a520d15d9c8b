package proxy

import (
	"net/http"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// priceOf is the price of serving public (the model asked for) on b: the
// backend's own price; else the catalogue entry of b's provider serving
// the upstream model sent; else the catalogue's price of the public model
// (a route may send another provider-side name for it, or a glob route pass
// a catalogue name through). Zero when none is known.
func (sn *snapshot) priceOf(b *backend, public string) config.Pricing {
	if b.pricing != (config.Pricing{}) {
		return b.pricing
	}
	upstream := b.upstreamModel(public)
	var byName config.Pricing
	for i := range sn.cfg.Models {
		m := &sn.cfg.Models[i]
		if m.Pricing == (config.Pricing{}) {
			continue
		}
		if m.Provider == b.up.name && (m.UpstreamModel == upstream || m.Name == upstream) {
			return m.Pricing
		}
		if m.Name == public && (byName == (config.Pricing{}) || m.Provider == b.up.name) {
			byName = m.Pricing
		}
	}
	return byName
}

// budgeted reports whether any of a consumer's policies has a budget.
func budgeted(cfg *config.Config, c *config.Consumer) bool {
	if c == nil {
		return false
	}
	for _, name := range c.Policies {
		for i := range cfg.Policies {
			if cfg.Policies[i].Name == name && cfg.Policies[i].Budget != nil {
				return true
			}
		}
	}
	return false
}

// errUnpriced refuses a model with no known price to a key with a budget:
// serving it would spend without charging the budget.
func errUnpriced(model string) *apiError {
	return &apiError{Status: http.StatusForbidden, Type: "permission_error", Code: "model_not_priced", Param: "model",
		Message: "The model '" + truncate(model, 128) + "' has no price configured, and this key has a spending budget; ask the operator to price it."}
}
