package compile

import (
	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// byokHeaderKeys compiles spec.byok.headerKeys: the providers a request's
// own key header may be for, among those the gateway serves that take an
// API key (another is a problem and left out), and the consumers allowed
// by name. None left: the header stays refused.
func (c *compiler) byokHeaderKeys(cfg *config.Config) {
	b := c.in.Gateway.Spec.BYOK
	if b == nil || b.HeaderKeys == nil {
		return
	}
	gw := c.in.Gateway
	out := &config.BYOKHeaderKeys{}
	for i, name := range b.HeaderKeys.Providers {
		var p *config.Provider
		for j := range cfg.Providers {
			if cfg.Providers[j].Name == string(name) {
				p = &cfg.Providers[j]
			}
		}
		switch {
		case p == nil:
			c.problem(v1alpha1.KindAIGateway, gw.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonProviderNotFound,
				"spec.byok.headerKeys.providers[%d] names ModelProvider %q, which this gateway does not serve; no header key is accepted for it.", i, name)
		case p.Type == config.ProviderBedrock || p.Type == config.ProviderMock:
			c.problem(v1alpha1.KindAIGateway, gw.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
				"spec.byok.headerKeys.providers[%d]: ModelProvider %q of type %s takes no API key; no header key is accepted for it.", i, name, p.Type)
		default:
			out.Providers = append(out.Providers, p.Name)
		}
	}
	if len(out.Providers) == 0 {
		return
	}
	for _, n := range b.HeaderKeys.Consumers {
		out.Consumers = append(out.Consumers, string(n))
	}
	cfg.BYOKHeaderKeys = out
}
