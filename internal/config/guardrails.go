package config

import (
	"fmt"
	"slices"

	"github.com/tollgate-dev/tollgate/internal/guardrail"
)

// Guardrail is one named set of detection rules and where it applies:
// every route and consumer of the gateway, or only the routes (public
// model names or globs) and consumers it names.
type Guardrail struct {
	Name string `json:"name"`
	// Models limits the guardrail to these public models (globs allowed);
	// empty is every model.
	Models []string `json:"models,omitempty"`
	// Consumers limits the guardrail to these consumers; empty is every
	// consumer.
	Consumers []string `json:"consumers,omitempty"`
	// Rules are checked on the request's text (messages, tool-call
	// arguments, embeddings input).
	Rules []GuardrailRule `json:"rules,omitempty"`
	// Answers are rules checked on the answer's text (Mask redacts there,
	// it cannot be restored).
	Answers []GuardrailRule `json:"answers,omitempty"`
	// External sends the request's text to a moderation check.
	External *ExternalCheck `json:"external,omitempty"`
}

// GuardrailRule is one detector and its action (see package guardrail).
type GuardrailRule struct {
	// Detector is Email, Phone, CreditCard, IBAN, IPAddress, Secret, Regex
	// or Keywords.
	Detector string `json:"detector"`
	// Name labels the rule in placeholders, metrics and logs.
	Name     string   `json:"name,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
	Keywords []string `json:"keywords,omitempty"`
	// Action is Mask (default), Block or Log.
	Action string `json:"action,omitempty"`
}

// ExternalCheck is a moderation model reached through one of the
// gateway's own providers.
type ExternalCheck struct {
	// Provider names one of the config's providers.
	Provider string `json:"provider"`
	// Model is the upstream moderation (or judging chat) model.
	Model string `json:"model"`
	// Timeout bounds the check; 0 means DefaultExternalTimeout.
	Timeout Duration `json:"timeout,omitzero"`
	// FailOpen serves the request when the check fails or times out;
	// otherwise it is refused.
	FailOpen bool `json:"failOpen,omitempty"`
}

// ResponseCache configures the exact-match response cache (off unless
// Enabled). It lives in the limits' Redis when the limits use Redis, in
// bounded memory otherwise.
type ResponseCache struct {
	Enabled bool `json:"enabled,omitempty"`
	// TTL is how long an answer is served from the cache; 0 means
	// DefaultCacheTTL.
	TTL Duration `json:"ttl,omitzero"`
	// MaxEntries and MaxBytes bound the local cache (0: the defaults);
	// MaxEntryBytes bounds one answer (larger ones are not cached).
	MaxEntries    int   `json:"maxEntries,omitempty"`
	MaxBytes      int64 `json:"maxBytes,omitempty"`
	MaxEntryBytes int64 `json:"maxEntryBytes,omitempty"`
	// Scope is Consumer (the default: a consumer is served only its own
	// answers) or Shared (every consumer of the gateway).
	Scope string `json:"scope,omitempty"`
	// Models limits caching to these public models (globs); empty is all.
	Models []string `json:"models,omitempty"`
}

// Cache scopes.
const (
	CacheScopeConsumer = "Consumer"
	CacheScopeShared   = "Shared"
)

var guardrailDetectors = []string{"Email", "Phone", "CreditCard", "IBAN", "IPAddress", "Secret", "Regex", "Keywords"}

func (c *Config) validateGuardrails(v *validator) {
	names := map[string]bool{}
	for i, g := range c.Guardrails {
		field := fmt.Sprintf("guardrails[%d]", i)
		if g.Name == "" {
			v.bad(field+".name", "required")
		} else if names[g.Name] {
			v.bad(field+".name", "duplicate guardrail %q", g.Name)
		}
		names[g.Name] = true
		validateGlobs(v, field+".models", g.Models, 256)
		for j, r := range g.Rules {
			r.validate(v, fmt.Sprintf("%s.rules[%d]", field, j))
		}
		for j, r := range g.Answers {
			r.validate(v, fmt.Sprintf("%s.answers[%d]", field, j))
		}
		if e := g.External; e != nil {
			// Which provider it names is checked when the check runs (a
			// provider not served, or not OpenAI-shaped, fails the check).
			if e.Provider == "" {
				v.bad(field+".external.provider", "required")
			}
			if e.Model == "" {
				v.bad(field+".external.model", "required")
			}
			v.upTo(field+".external.timeout", e.Timeout, MaxExternalTimeout)
		}
		if len(g.Rules) == 0 && len(g.Answers) == 0 && g.External == nil {
			v.bad(field, "a guardrail needs rules, answers or an external check")
		}
	}
	rc := c.ResponseCache
	if rc.Scope != "" && rc.Scope != CacheScopeConsumer && rc.Scope != CacheScopeShared {
		v.bad("responseCache.scope", "unsupported value %q: want Consumer or Shared", rc.Scope)
	}
	v.upTo("responseCache.ttl", rc.TTL, MaxCacheTTL)
	v.between("responseCache.maxEntries", int64(rc.MaxEntries), 1, 10_000_000)
	v.between("responseCache.maxBytes", rc.MaxBytes, 1, 1<<40)
	v.between("responseCache.maxEntryBytes", rc.MaxEntryBytes, 1, 64<<20)
	validateGlobs(v, "responseCache.models", rc.Models, 256)
}

func (r GuardrailRule) validate(v *validator, field string) {
	if !slices.Contains(guardrailDetectors, r.Detector) {
		v.bad(field+".detector", "unsupported value %q", r.Detector)
	}
	if r.Action != "" && r.Action != "Mask" && r.Action != "Block" && r.Action != "Log" {
		v.bad(field+".action", "unsupported value %q: want Mask, Block or Log", r.Action)
	}
	if r.Detector == "Regex" && r.Pattern == "" {
		v.bad(field+".pattern", "a Regex rule needs a pattern")
	}
	if r.Detector == "Keywords" && len(r.Keywords) == 0 {
		v.bad(field+".keywords", "a Keywords rule needs keywords")
	}
	if r.Detector == "Regex" && r.Pattern != "" {
		if _, err := guardrail.Compile([]guardrail.Rule{r.Rule()}); err != nil {
			v.bad(field+".pattern", "%v", err)
		}
	}
}

// Rule is r for package guardrail.
func (r GuardrailRule) Rule() guardrail.Rule {
	return guardrail.Rule{Type: r.Detector, Name: r.Name, Pattern: r.Pattern, Keywords: r.Keywords, Action: guardrail.Action(r.Action)}
}

// GuardrailRules converts rules for package guardrail.
func GuardrailRules(rules []GuardrailRule) []guardrail.Rule {
	out := make([]guardrail.Rule, len(rules))
	for i, r := range rules {
		out[i] = r.Rule()
	}
	return out
}
