package config

import (
	"slices"
	"sync"
)

// The contract does not know its vendors. Each vendor package registers
// the rules of its provider types (providers.Register passes them on), so
// Validate checks a provider by what its vendor says and refuses a type no
// linked vendor serves. A binary that validates configs links the vendors
// (internal/providers/vendors).
var (
	rulesMu sync.RWMutex
	rules   = map[ProviderType]ProviderRules{}
)

// Need says whether a provider type needs a field.
type Need int

const (
	// NeedOptional: the field may be set or not.
	NeedOptional Need = iota
	// NeedRequired: the field must be set.
	NeedRequired
	// NeedForbidden: the field must not be set.
	NeedForbidden
)

// ProviderRules is what Validate checks of a provider of one type beyond
// what every provider is checked for.
type ProviderRules struct {
	// Endpoint says whether the provider needs an endpoint. A set endpoint
	// is always checked (https, no private address without
	// allowPrivateNetwork).
	Endpoint Need
	// NeedsKey requires APIKey; a type with credentials of its own (in its
	// settings block) checks them in Check instead.
	NeedsKey bool
	// Settings is the JSON name of the one settings block ("azure",
	// "bedrock", ...) a provider of this type may carry; "" for none.
	Settings string
	// Check reports problems of the type's own fields through bad, with
	// fields relative to the provider ("bedrock.region"); nil for none.
	Check func(p *Provider, bad func(field, format string, a ...any))
}

// RegisterProviderType makes r the rules of type t, replacing any earlier.
func RegisterProviderType(t ProviderType, r ProviderRules) {
	rulesMu.Lock()
	defer rulesMu.Unlock()
	rules[t] = r
}

// Rules returns the rules registered for t.
func Rules(t ProviderType) (ProviderRules, bool) {
	rulesMu.RLock()
	defer rulesMu.RUnlock()
	r, ok := rules[t]
	return r, ok
}

// ProviderTypes lists the registered provider types, sorted.
func ProviderTypes() []ProviderType {
	rulesMu.RLock()
	defer rulesMu.RUnlock()
	out := make([]ProviderType, 0, len(rules))
	for t := range rules {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
