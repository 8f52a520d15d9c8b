package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"sigs.k8s.io/yaml"
)

// Parse reads a Config from JSON or YAML, checks its schema version and
// validates it. The returned Config has defaults applied.
func Parse(data []byte) (*Config, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("gateway config is not valid YAML or JSON: %w", err)
	}
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(js)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decoding gateway config: %w", err)
	}
	if c.Version != SchemaVersion {
		return nil, fmt.Errorf("gateway config version %q is not supported (want %q)", c.Version, SchemaVersion)
	}
	c.Default()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Load reads and parses a Config file.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading gateway config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

// Marshal writes a Config as indented JSON with a trailing newline; the
// output is stable for a given Config, so its hash identifies it.
func Marshal(c *Config) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encoding gateway config: %w", err)
	}
	return buf.Bytes(), nil
}

// Hash is a short stable digest of a marshalled Config.
func Hash(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:8])
}

// Default fills zero fields with their documented defaults.
func (c *Config) Default() {
	if c.Listener.Address == "" {
		c.Listener.Address = ":8080"
	}
	if c.Listener.MetricsAddress == "" {
		c.Listener.MetricsAddress = ":9090"
	}
	if c.Server.MaxRequestBodyBytes == 0 {
		c.Server.MaxRequestBodyBytes = 32 << 20
	}
	if c.Server.MaxInFlight == 0 {
		c.Server.MaxInFlight = 4096
	}
	if c.Auth.Mode == "" {
		c.Auth.Mode = AuthAPIKey
	}
	if c.Limits.Type == "" {
		c.Limits.Type = StoreLocal
	}
	if c.Limits.FailureMode == "" {
		c.Limits.FailureMode = FailOpen
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.Strategy == "" {
			r.Strategy = StrategyWeighted
		}
		if r.Retry.Attempts == 0 {
			r.Retry.Attempts = 3
		}
		if len(r.Retry.On) == 0 {
			r.Retry.On = []RetryOn{RetryOnRateLimited, RetryOnServerError, RetryOnTimeout, RetryOnConnectError}
		}
		for j := range r.Backends {
			if r.Backends[j].Weight == 0 {
				r.Backends[j].Weight = 1
			}
		}
	}
	for i := range c.Models {
		if c.Models[i].UpstreamModel == "" {
			c.Models[i].UpstreamModel = c.Models[i].Name
		}
	}
	for i := range c.Policies {
		if c.Policies[i].OnExceeded == "" {
			c.Policies[i].OnExceeded = ExceededReject
		}
	}
}

// Validate checks references and values; it reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	providers := map[string]bool{}
	for i, p := range c.Providers {
		if p.Name == "" {
			bad("providers[%d]: name is empty", i)
		}
		if providers[p.Name] {
			bad("providers[%d]: duplicate provider %q", i, p.Name)
		}
		providers[p.Name] = true
		for j, h := range p.ForwardHeaders {
			if err := ValidForwardHeader(h); err != nil {
				bad("providers[%d] (%s).forwardHeaders[%d]: %v", i, p.Name, j, err)
			}
		}
		switch p.Type {
		case ProviderOpenAI, ProviderAzureOpenAI, ProviderAnthropic, ProviderGemini, ProviderOpenAICompatible:
			if p.Endpoint == "" {
				bad("providers[%d] (%s): endpoint is empty", i, p.Name)
			}
		case ProviderBedrock:
			if p.Bedrock == nil || p.Bedrock.Region == "" {
				bad("providers[%d] (%s): bedrock.region is required", i, p.Name)
			}
		case ProviderMock:
		default:
			bad("providers[%d] (%s): unknown type %q", i, p.Name, p.Type)
		}
	}
	for i, m := range c.Models {
		if m.Name == "" {
			bad("models[%d]: name is empty", i)
		}
		if !providers[m.Provider] {
			bad("models[%d] (%s): unknown provider %q", i, m.Name, m.Provider)
		}
	}
	for i, r := range c.Routes {
		if r.Model == "" {
			bad("routes[%d]: model is empty", i)
		} else if _, err := path.Match(r.Model, ""); err != nil {
			bad("routes[%d]: model glob %q: %v", i, r.Model, err)
		}
		if len(r.Backends) == 0 {
			bad("routes[%d] (%s): no backends", i, r.Model)
		}
		for j, b := range r.Backends {
			if !providers[b.Provider] {
				bad("routes[%d].backends[%d]: unknown provider %q", i, j, b.Provider)
			}
			if b.Weight < 0 || b.Priority < 0 {
				bad("routes[%d].backends[%d]: weight and priority must not be negative", i, j)
			}
		}
		if r.Retry.Attempts < 1 {
			bad("routes[%d] (%s): retry.attempts must be at least 1", i, r.Model)
		}
	}
	policies := map[string]bool{}
	for i, p := range c.Policies {
		if policies[p.Name] {
			bad("policies[%d]: duplicate policy %q", i, p.Name)
		}
		policies[p.Name] = true
		for j, l := range p.Limits {
			if l.Window.Duration <= 0 {
				bad("policies[%d].limits[%d]: window must be positive", i, j)
			}
			if l.Requests < 0 || l.Tokens < 0 || l.InputTokens < 0 || l.OutputTokens < 0 {
				bad("policies[%d].limits[%d]: limits must not be negative", i, j)
			}
		}
		if p.OnExceeded == ExceededDowngrade && p.DowngradeTo == "" {
			bad("policies[%d] (%s): onExceeded Downgrade needs downgradeTo", i, p.Name)
		}
	}
	keys := map[string]string{}
	for i, cs := range c.Consumers {
		for _, pn := range cs.Policies {
			if !policies[pn] {
				bad("consumers[%d] (%s): unknown policy %q", i, cs.Name, pn)
			}
		}
		for j, k := range cs.Keys {
			if len(k.SHA256) != 64 {
				bad("consumers[%d] (%s).keys[%d]: sha256 must be 64 hex characters", i, cs.Name, j)
			}
			if other, dup := keys[k.SHA256]; dup {
				bad("consumers[%d] (%s): a key is shared with consumer %q", i, cs.Name, other)
			}
			keys[k.SHA256] = cs.Name
		}
	}
	if c.Limits.Type == StoreRedis && (c.Limits.Redis == nil || len(c.Limits.Redis.Addresses) == 0) {
		bad("limits: store Redis needs redis.addresses")
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid gateway config: %w", errors.Join(errs...))
	}
	return nil
}
