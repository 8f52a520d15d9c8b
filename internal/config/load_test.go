package config_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/tollgate-dev/tollgate/internal/config"
	_ "github.com/tollgate-dev/tollgate/internal/providers/vendors" // the provider types' rules
)

const minimal = `
version: tollgate.dev/gateway/v1
gateway: {name: main, namespace: default}
providers:
- {name: mock, type: Mock}
models:
- {name: demo, provider: mock}
routes:
- model: demo
  backends: [{provider: mock, upstreamModel: demo}]
`

func TestParseAppliesDefaults(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Routes[0]
	if c.Listener.Address != ":8080" || c.Auth.Mode != AuthAPIKey || c.Limits.Type != StoreLocal ||
		r.Strategy != StrategyWeighted || r.Retry.Attempts != 3 || len(r.Retry.RetryOn) != 4 ||
		r.Backends[0].Weight == nil || *r.Backends[0].Weight != 1 || c.Models[0].UpstreamModel != "demo" || c.Server.MaxRequestBodyBytes != 32<<20 {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

func TestParseRoundTrip(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	c.Providers[0].Timeouts.Connect = D(1500 * time.Millisecond)
	b, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"connect": "1.5s"`) {
		t.Fatalf("duration not written as a string:\n%s", b)
	}
	c2, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := Marshal(c2)
	if string(b) != string(b2) || Hash(b) != Hash(b2) {
		t.Fatal("marshal is not stable across a round trip")
	}
}

func TestParseRejects(t *testing.T) {
	for name, tc := range map[string]struct{ doc, want string }{
		"not yaml":              {"{", "not valid YAML"},
		"wrong version":         {"version: v0", "not supported"},
		"unknown field":         {minimal + "bogus: 1\n", "unknown field"},
		"unknown backend":       {strings.Replace(minimal, "backends: [{provider: mock", "backends: [{provider: nope", 1), `unknown provider "nope"`},
		"bad duration":          {minimal + "server: {drainTimeout: soon}\n", "invalid duration"},
		"unknown type":          {strings.Replace(minimal, "type: Mock", "type: Nope", 1), `unknown type "Nope"`},
		"bad glob":              {strings.Replace(minimal, "- model: demo", "- model: \"[\"", 1), "glob"},
		"short key hash":        {minimal + "consumers: [{name: a, keys: [{id: x, sha256: abc}]}]\n", "64 hex"},
		"missing policy":        {minimal + "consumers: [{name: a, policies: [p]}]\n", `unknown policy "p"`},
		"negative limit":        {minimal + "policies: [{name: p, limits: [{window: 1m, tokens: -1}]}]\n", "must not be negative"},
		"redis without address": {minimal + "limits: {type: Redis}\n", "redis.addresses"},
		"native API of a Mock":  {strings.Replace(minimal, "type: Mock}", "type: Mock, nativeAPIs: [responses]}", 1), "nativeAPIs[0]"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// The optional durations with a bound: 0 (the default) and the bound are
// served, a negative one and one over the bound are refused with the
// field and the range named.
func TestValidateBoundedDurations(t *testing.T) {
	for _, tc := range []struct {
		field string
		max   time.Duration
		set   func(*Config, time.Duration)
	}{
		{"responses.storeTTL", MaxResponseStoreTTL, func(c *Config, d time.Duration) { c.Responses.StoreTTL = D(d) }},
		{"responseCache.ttl", MaxCacheTTL, func(c *Config, d time.Duration) { c.ResponseCache.TTL = D(d) }},
		{"guardrails[0].external.timeout", MaxExternalTimeout, func(c *Config, d time.Duration) {
			c.Guardrails = []Guardrail{{Name: "mod", External: &ExternalCheck{Provider: "p", Model: "m", Timeout: D(d)}}}
		}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			for _, d := range []time.Duration{0, tc.max, -time.Second, tc.max + time.Second} {
				c := &Config{Version: SchemaVersion, Gateway: GatewayMeta{Name: "g"}}
				c.Default()
				tc.set(c, d)
				err := c.Validate()
				ok := d >= 0 && d <= tc.max
				want := tc.field + ": " + D(d).String() + " is out of range: want 0 (the default) to " + tc.max.String()
				if ok && err != nil || !ok && (err == nil || !strings.Contains(err.Error(), want)) {
					t.Errorf("%s: got %v, want %s", d, err, map[bool]string{true: "no error", false: want}[ok])
				}
			}
		})
	}
}

// The example configs of the README load as they are.
func TestExamplesLoad(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Error(err)
		}
	}
}

// Default completes a hand-written config the way compile does: every
// catalogue model gets a route and every exact route a catalogue entry, so
// the proxy finds backends one way.
func TestDefaultCompletesRoutesAndCatalogue(t *testing.T) {
	c := &Config{Version: SchemaVersion,
		Providers: []Provider{{Name: "a", Type: ProviderMock}, {Name: "b", Type: ProviderMock}},
		Models:    []Model{{Name: "x", Provider: "a"}, {Name: "x", Provider: "b", UpstreamModel: "x-b"}, {Name: "y", Provider: "a"}},
		Routes: []Route{{Model: "y", Backends: []Backend{{Provider: "b", UpstreamModel: "y"}}},
			{Model: "alias", Backends: []Backend{{Provider: "a", UpstreamModel: "x"}}},
			{Model: "g-*", Backends: []Backend{{Provider: "a"}}}},
	}
	c.Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range c.Routes {
		order = append(order, r.Model)
	}
	if strings.Join(order, ",") != "y,alias,x,g-*" {
		t.Fatalf("routes %v, want the implicit route of x before the globs", order)
	}
	if x := c.Routes[2]; len(x.Backends) != 2 || x.Backends[1].UpstreamModel != "x-b" || x.Backends[0].Weight == nil || *x.Backends[0].Weight != DefaultWeight || x.Retry.Attempts != DefaultAttempts {
		t.Errorf("implicit route %+v", x)
	}
	if last := c.Models[len(c.Models)-1]; last.Name != "alias" || last.Provider != "a" || last.UpstreamModel != "x" {
		t.Errorf("alias not in the catalogue: %+v", c.Models)
	}
	b1, _ := Marshal(c)
	c.Default()
	if b2, _ := Marshal(c); string(b1) != string(b2) {
		t.Error("Default is not idempotent")
	}
}
