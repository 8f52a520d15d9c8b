package compile

import (
	"sort"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// routes compiles spec.routes and adds one implicit route for every
// catalogue model no explicit route matches, so every model a provider
// declares is served. Order: explicit exact names, implicit names, globs.
// It also completes the public catalogue with exact route names that are
// aliases (not a provider's model name).
func (c *compiler) routes(cfg *config.Config, cat *catalogue) {
	gw := c.in.Gateway
	var exact, globs []config.Route
	for i, r := range gw.Spec.Routes {
		cr := config.Route{Model: string(r.Model), Strategy: config.Strategy(r.Strategy)}
		if rt := r.Retry; rt != nil {
			if rt.Attempts != nil {
				cr.Retry.Attempts = int(*rt.Attempts)
			}
			for _, on := range rt.RetryOn {
				cr.Retry.RetryOn = append(cr.Retry.RetryOn, config.RetryOn(on))
			}
			cr.Retry.Backoff = dur(rt.Backoff)
			cr.Retry.MaxCooldown = dur(rt.MaxCooldown)
		}
		if a := r.SessionAffinity; a != nil {
			cr.SessionAffinity.Mode = config.SessionAffinityMode(a.Mode)
			if a.Header != nil {
				cr.SessionAffinity.Header = string(*a.Header)
			}
		}
		for _, b := range r.Backends {
			if _, ok := cat.byProvider[string(b.Provider)]; !ok {
				c.problem(v1alpha1.KindAIGateway, gw.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonProviderNotFound,
					"spec.routes[%d] (%s) uses ModelProvider %q, which does not exist, is not selected by spec.providerSelector, or has unresolved credentials; that backend is skipped.", i, r.Model, b.Provider)
				continue
			}
			cr.Backends = append(cr.Backends, c.backend(cat, string(b.Provider), modelOf(b, r.Model), weightOf(b), int(b.Priority)))
		}
		if len(cr.Backends) == 0 {
			c.problem(v1alpha1.KindAIGateway, gw.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonProviderNotFound,
				"spec.routes[%d] (%s) has no usable backend, so the model is not served; fix the providers it names.", i, r.Model)
			continue
		}
		if config.IsGlob(cr.Model) {
			globs = append(globs, cr)
		} else {
			exact = append(exact, cr)
		}
	}

	covered := func(name string) bool {
		for _, r := range append(exact, globs...) {
			if config.MatchModel(r.Model, name) {
				return true
			}
		}
		return false
	}
	names := make([]string, 0, len(cat.servers))
	for n := range cat.servers {
		names = append(names, n)
	}
	sort.Strings(names)
	var implicit []config.Route
	for _, n := range names {
		if covered(n) {
			continue
		}
		r := config.Route{Model: n, Strategy: config.StrategyWeighted}
		servers := cat.servers[n]
		if len(servers) > config.MaxBackends {
			c.problem(v1alpha1.KindAIGateway, gw.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
				"Model %q is served by %d providers; a route has at most %d backends, so only the first %d by name serve it. Add a route for it to choose.",
				n, len(servers), config.MaxBackends, config.MaxBackends)
			servers = servers[:config.MaxBackends]
		}
		for _, p := range servers {
			r.Backends = append(r.Backends, c.backend(cat, p, n, new(1), 0))
		}
		implicit = append(implicit, r)
	}
	cfg.Routes = append(append(exact, implicit...), globs...)
	c.catalogue(cfg, cat, names, exact)
}

// modelOf is the provider-side model name of a backend: its own model, or
// the route's model when that is an exact name ("" for globs: the client's
// requested model is passed through).
func modelOf(b v1alpha1.Backend, route v1alpha1.ModelPattern) string {
	if b.Model != nil {
		return string(*b.Model)
	}
	if config.IsGlob(string(route)) {
		return ""
	}
	return string(route)
}

// weightOf is b's weight for the contract: nil (the contract's default, 1)
// when the API object carries none, as in files read by tollgate render.
func weightOf(b v1alpha1.Backend) *int {
	if b.Weight == nil {
		return nil
	}
	return new(int(*b.Weight))
}

// backend resolves a provider-side model name through the provider's
// catalogue (rename and pricing). A name the catalogue does not list is
// sent as is, with no pricing.
func (c *compiler) backend(cat *catalogue, provider, model string, weight *int, priority int) config.Backend {
	b := config.Backend{Provider: provider, UpstreamModel: model, Weight: weight, Priority: priority}
	if m, ok := cat.byProvider[provider][model]; ok {
		b.UpstreamModel = m.UpstreamModel
		b.Pricing = m.Pricing
		b.SupportedParameters = m.SupportedParameters
	}
	return b
}

// catalogue lists every public model once: provider models first (the
// first provider by name owns the entry), then exact route aliases.
func (c *compiler) catalogue(cfg *config.Config, cat *catalogue, names []string, exact []config.Route) {
	seen := map[string]bool{}
	for _, n := range names {
		m := cat.byProvider[cat.servers[n][0]][n]
		cfg.Models = append(cfg.Models, m)
		seen[n] = true
	}
	for _, r := range exact {
		if seen[r.Model] {
			continue
		}
		seen[r.Model] = true
		b := r.Backends[0]
		m := config.Model{Name: r.Model, Provider: b.Provider, UpstreamModel: b.UpstreamModel, Pricing: b.Pricing}
		pms := cat.byProvider[b.Provider]
		keys := make([]string, 0, len(pms))
		for k := range pms {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if pm := pms[k]; pm.UpstreamModel == b.UpstreamModel {
				m.ContextWindow, m.MaxOutputTokens, m.Capabilities = pm.ContextWindow, pm.MaxOutputTokens, pm.Capabilities
				break
			}
		}
		cfg.Models = append(cfg.Models, m)
	}
}
