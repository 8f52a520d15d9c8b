package compile

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/identity"
)

// KeySecretName is the Secret holding a consumer's key.
func KeySecretName(cs *v1alpha1.Consumer) string {
	if g := cs.Spec.Credentials.Generate; g != nil && g.SecretName != nil && *g.SecretName != "" {
		return string(*g.SecretName)
	}
	if r := cs.Spec.Credentials.SecretRef; r != nil {
		return string(r.Name)
	}
	return cs.Name + "-key"
}

// HasKey reports whether a Consumer has key credentials; one with only
// spec.identities has none and is reached by signed-in tokens alone.
func HasKey(cs *v1alpha1.Consumer) bool {
	return cs.Spec.Credentials.Generate != nil || cs.Spec.Credentials.SecretRef != nil
}

// Targets reports whether a Consumer calls the gateway: listed by name, or
// selected by label; a Consumer naming neither calls every gateway of its
// namespace.
func Targets(cs *v1alpha1.Consumer, gw *v1alpha1.AIGateway) bool {
	if len(cs.Spec.Gateways) == 0 && cs.Spec.GatewaySelector == nil {
		return true
	}
	if slices.Contains(cs.Spec.Gateways, v1alpha1.ObjectName(gw.Name)) {
		return true
	}
	if cs.Spec.GatewaySelector != nil {
		ok, err := selects(cs.Spec.GatewaySelector, gw.Labels)
		return err == nil && ok
	}
	return false
}

// policies compiles every TokenPolicy of the namespace; consumers decide
// which apply. Only the ones in use are kept in the config.
func (c *compiler) policies(cfg *config.Config) map[string]config.Policy {
	out := map[string]config.Policy{}
	for _, tp := range c.in.Policies {
		if tp.DeletionTimestamp != nil {
			continue
		}
		s := tp.Spec
		p := config.Policy{Name: tp.Name, OnExceeded: config.ExceededAction(s.OnExceeded), Pooled: s.Pooled}
		if s.MaxTokensPerRequest != nil {
			p.MaxTokensPerRequest = *s.MaxTokensPerRequest
		}
		if s.DowngradeTo != nil {
			p.DowngradeTo = string(*s.DowngradeTo)
		}
		ok := true
		for _, l := range s.Limits {
			w := dur(&l.Window)
			if w.Duration <= 0 {
				c.problem(v1alpha1.KindTokenPolicy, tp.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
					"TokenPolicy %q has a limit with window %q, which is not a positive duration.", tp.Name, l.Window)
				ok = false
				continue
			}
			cl := config.Limit{Window: w, Requests: val(l.Requests), Tokens: val(l.Tokens), InputTokens: val(l.InputTokens), OutputTokens: val(l.OutputTokens), ToolCalls: val(l.ToolCalls)}
			for _, m := range l.Models {
				cl.Models = append(cl.Models, string(m))
			}
			p.Limits = append(p.Limits, cl)
		}
		if b := s.Budget; b != nil {
			p.Budget = &config.Budget{AmountUSD: decimal(&b.AmountUSD), Window: config.BudgetWindow(b.Window)}
		}
		if ok {
			out[tp.Name] = p
		}
	}
	return out
}

func val(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// consumers compiles the Consumers that call this gateway. A consumer whose
// key or policies cannot be resolved is left out (it must not get in
// unlimited, or with no key), and so is one whose key another consumer
// already uses. It returns the names compiled.
func (c *compiler) consumers(cfg *config.Config, policies map[string]config.Policy) []string {
	gw := c.in.Gateway
	// Sorted by pointer: copying and swapping 100,000 Consumer objects
	// cost more than compiling them.
	list := make([]*v1alpha1.Consumer, len(c.in.Consumers))
	for i := range c.in.Consumers {
		list[i] = &c.in.Consumers[i]
	}
	slices.SortFunc(list, func(a, b *v1alpha1.Consumer) int { return strings.Compare(a.Name, b.Name) })
	used := map[string]bool{}
	owner := make(map[string]string, len(list)) // key hash → consumer
	names := make([]string, 0, len(list))
	cfg.Consumers = make([]config.Consumer, 0, len(list))
	c.fingerprints = make([]string, 0, len(list))
	cache := c.in.Cache.begin(c.cacheContext(cfg, policies))
	for _, cs := range list {
		if cs.DeletionTimestamp != nil || !Targets(cs, gw) {
			continue
		}
		fp, cacheable := c.fingerprint(cache, cs)
		e, hit := cache.get(cs.Name, fp)
		if hit {
			c.problems = append(c.problems, e.problems...)
		} else {
			from := len(c.problems)
			e.out, e.ok = c.consumer(cfg, policies, cs)
			if cacheable {
				e.fp, e.problems = fp, slices.Clone(c.problems[from:])
				cache.put(cs.Name, e)
			}
		}
		if !e.ok {
			continue
		}
		out := e.out
		keys := out.Keys
		dup := false
		for _, k := range keys {
			if other, taken := owner[k.SHA256]; taken {
				c.problem(v1alpha1.KindConsumer, cs.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
					"Consumer %q uses the same API key as Consumer %q; give each consumer its own key.", cs.Name, other)
				dup = true
			}
		}
		if dup {
			continue
		}
		for _, k := range keys {
			owner[k.SHA256] = cs.Name
		}
		for _, pn := range out.Policies {
			used[pn] = true
		}
		cfg.Consumers = append(cfg.Consumers, out)
		names = append(names, cs.Name)
		c.fingerprints = append(c.fingerprints, cache.key(fp, cacheable))
	}
	cache.end()
	if len(names) == 0 { // none compiled: as before the capacity was set
		names, cfg.Consumers, c.fingerprints = nil, nil, nil
	}
	for _, sh := range identity.Shadowed(cfg.Consumers) {
		c.problem(v1alpha1.KindConsumer, sh.Consumer, v1alpha1.ConditionIdentitiesUnique, v1alpha1.ReasonIdentityShadowed, "%s", sh.Message)
	}
	pnames := make([]string, 0, len(used))
	for pn := range used {
		pnames = append(pnames, pn)
	}
	sort.Strings(pnames)
	for _, pn := range pnames {
		cfg.Policies = append(cfg.Policies, policies[pn])
	}
	return names
}

// consumer compiles one Consumer on its own (the duplicate-key check,
// which compares consumers, is the caller's); false leaves it out.
func (c *compiler) consumer(cfg *config.Config, policies map[string]config.Policy, cs *v1alpha1.Consumer) (config.Consumer, bool) {
	gw := c.in.Gateway
	out := config.Consumer{Name: cs.Name, Disabled: cs.Spec.Disabled, Capture: bodyCapture(cs.Spec.BodyCapture)}
	ok := true
	for _, pn := range cs.Spec.TokenPolicies {
		if _, found := policies[string(pn)]; !found {
			c.problem(v1alpha1.KindConsumer, cs.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonPolicyNotFound,
				"TokenPolicy %q named in spec.tokenPolicies does not exist in namespace %q or is invalid; the consumer is not admitted until it does.", pn, gw.Namespace)
			ok = false
			continue
		}
		out.Policies = append(out.Policies, string(pn))
	}
	for _, t := range cs.Spec.AllowedTools {
		out.AllowedTools = append(out.AllowedTools, string(t))
	}
	for _, m := range cs.Spec.AllowedModels {
		out.AllowedModels = append(out.AllowedModels, string(m))
	}
	ids, iok := c.identities(cs, cfg.Auth.Issuers)
	if !iok {
		return out, false
	}
	out.Identities = ids
	if !HasKey(cs) && len(cs.Spec.Identities) == 0 {
		c.problem(v1alpha1.KindConsumer, cs.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
			"Consumer %q has neither spec.credentials nor spec.identities; set a key, an identity, or both.", cs.Name)
		return out, false
	}
	var bok bool
	out.BYOK, bok = c.byokKeys(cfg, cs)
	keys, kok := c.consumerKeys(cs)
	out.Keys = keys
	return out, ok && kok && bok
}

// identities compiles a consumer's identity matches that the gateway can
// serve: a match naming an issuer the gateway does not trust, or any match
// on a gateway that trusts none, never meets a token there and is left
// out (the same Consumer may call another gateway that trusts it). A
// match that does not set exactly one of subject, email or group (the CRD
// refuses it) leaves the consumer out.
func (c *compiler) identities(cs *v1alpha1.Consumer, issuers []config.Issuer) ([]config.IdentityMatch, bool) {
	var out []config.IdentityMatch
	for i, m := range cs.Spec.Identities {
		set := 0
		for _, v := range []string{m.Subject, m.Email, m.Group} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			c.problem(v1alpha1.KindConsumer, cs.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
				"spec.identities[%d] of Consumer %q must set exactly one of subject, email or group.", i, cs.Name)
			return nil, false
		}
		if len(issuers) == 0 || (m.Issuer != "" && !slices.ContainsFunc(issuers, func(is config.Issuer) bool { return is.Issuer == m.Issuer })) {
			continue
		}
		out = append(out, config.IdentityMatch{Issuer: m.Issuer, Subject: m.Subject, Email: m.Email, Group: m.Group})
	}
	return out, true
}

// consumerKeys hashes a consumer's current key and, during a rotation
// overlap, its previous one. A consumer without key credentials has no
// key, which is not a problem.
func (c *compiler) consumerKeys(cs *v1alpha1.Consumer) ([]config.Key, bool) {
	if !HasKey(cs) {
		return nil, true
	}
	name := KeySecretName(cs)
	dataKey := KeyAPIKey
	if r := cs.Spec.Credentials.SecretRef; r != nil {
		dataKey = DataKey(r)
	}
	if cs.Spec.Credentials.Generate != nil {
		if _, exists := c.secrets[name]; !exists {
			c.problem(v1alpha1.KindConsumer, cs.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonKeyNotReady,
				"The key Secret %q of Consumer %q has not been generated yet.", name, cs.Name)
			return nil, false
		}
	}
	key, ok := c.secretValue(v1alpha1.KindConsumer, cs.Name, name, dataKey)
	if !ok {
		return nil, false
	}
	keys := []config.Key{{ID: apikey.ID(key), SHA256: apikey.Hash(key)}}
	s := c.secrets[name]
	if prev := string(s.Data[KeyPreviousAPIKey]); prev != "" && prev != key {
		if until, err := time.Parse(time.RFC3339, s.Annotations[AnnotationPreviousKeyExpiresAt]); err == nil && c.in.Now.Before(until) {
			u := until.UTC()
			keys = append(keys, config.Key{ID: apikey.ID(prev), SHA256: apikey.Hash(prev), NotAfter: &u})
		}
	}
	return keys, true
}

// checkDowngrades reports policies whose downgrade model no route serves.
func (c *compiler) checkDowngrades(cfg *config.Config) {
	for i := range cfg.Policies {
		p := &cfg.Policies[i]
		if p.OnExceeded != config.ExceededDowngrade || p.DowngradeTo == "" {
			continue
		}
		served := false
		for _, r := range cfg.Routes {
			if config.MatchModel(r.Model, p.DowngradeTo) {
				served = true
				break
			}
		}
		if !served {
			c.problem(v1alpha1.KindTokenPolicy, p.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonModelNotFound,
				"TokenPolicy %q downgrades to model %q, which gateway %q does not serve; requests over the limit are rejected instead.", p.Name, p.DowngradeTo, c.in.Gateway.Name)
			p.OnExceeded, p.DowngradeTo = config.ExceededReject, ""
		}
	}
}

// byokKeys reads a consumer's own vendor keys from their Secrets, for the
// providers this gateway serves; one for a provider it does not serve is
// left out (another gateway may). A key whose Secret (or its entry) is
// missing refuses the consumer (false), with a problem naming the field:
// served without it, its calls would go out on the gateway's own key and
// be charged to the gateway. Two keys for one provider refuse it too, as
// the CRD does.
func (c *compiler) byokKeys(cfg *config.Config, cs *v1alpha1.Consumer) ([]config.BYOKKey, bool) {
	var out []config.BYOKKey
	seen := map[v1alpha1.ObjectName]bool{}
	for i, k := range cs.Spec.BYOK {
		if seen[k.Provider] {
			c.problem(v1alpha1.KindConsumer, cs.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
				"Consumer %q lists two BYOK keys for provider %q; give one.", cs.Name, k.Provider)
			return nil, false
		}
		seen[k.Provider] = true
		served := false
		for _, p := range cfg.Providers {
			served = served || (p.Name == string(k.Provider) && p.Type != config.ProviderBedrock && p.Type != config.ProviderMock)
		}
		if !served {
			continue
		}
		key, ok := c.secretValueAt(v1alpha1.KindConsumer, cs.Name, fmt.Sprintf("spec.byok[%d].secretRef", i), string(k.SecretRef.Name), DataKey(&k.SecretRef))
		if !ok {
			return nil, false
		}
		out = append(out, config.BYOKKey{Provider: string(k.Provider), APIKey: key})
	}
	return out, true
}
