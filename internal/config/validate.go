package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate checks a defaulted Config and reports every problem at once. It
// refuses everything the CRDs refuse that the contract carries (names,
// enums, ranges, endpoints, header injection, reference integrity), so a
// hand-written config or a broken Secret is refused by the proxy rather
// than served; test/crd proves the parity on the CRD fixtures. The limits
// are the ones of api/v1alpha1's markers.
func (c *Config) Validate() error {
	v := &validator{}
	c.validateListener(v)
	c.Server.validate(v)
	if !slices.Contains([]AuthMode{AuthAPIKey, AuthNone}, c.Auth.Mode) {
		v.bad("auth.mode", "unsupported value %q: want APIKey or None", c.Auth.Mode)
	}
	providers := c.validateProviders(v)
	c.validateModels(v, providers)
	c.validateRoutes(v, providers)
	policies := c.validatePolicies(v)
	issuers := c.Auth.validateIssuers(v)
	c.validateConsumers(v, policies, issuers)
	c.validateBYOKHeaderKeys(v)
	if len(c.Shards) > 0 {
		v.bad("shards", "a sharded root is served with its consumer shards (tollgate proxy --config-secret), not alone")
	}
	c.Limits.validate(v)
	v.upTo("responses.storeTTL", c.Responses.StoreTTL, MaxResponseStoreTTL)
	c.Telemetry.validate(v)
	c.validateGuardrails(v)
	c.validatePrompts(v)
	c.validateMCP(v)
	c.validateActivity(v)
	for i, k := range c.Console.AdminKeys {
		k.validate(v, fmt.Sprintf("console.adminKeys[%d]", i))
	}
	if len(v.errs) > 0 {
		return fmt.Errorf("invalid gateway config: %w", errors.Join(v.errs...))
	}
	return nil
}

// validator collects problems as "field: message".
type validator struct{ errs []error }

func (v *validator) bad(field, format string, a ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
}

// between checks an optional number: 0 is unset, else it must be in [lo, hi].
func (v *validator) between(field string, n, lo, hi int64) {
	if n != 0 && (n < lo || n > hi) {
		v.bad(field, "%d is out of range: want %d to %d", n, lo, hi)
	}
}

// upTo checks an optional duration: 0 is the default; a negative one or
// one over hi is refused.
func (v *validator) upTo(field string, d Duration, hi time.Duration) {
	if d.Duration < 0 || d.Duration > hi {
		v.bad(field, "%s is out of range: want 0 (the default) to %s", d.Duration, hi)
	}
}

// positive checks a defaulted duration.
func (v *validator) positive(field string, d Duration) {
	if d.Duration <= 0 {
		v.bad(field, "must be a positive duration, not %s", d.Duration)
	}
}

func (v *validator) pattern(field, s string, re *regexp.Regexp, maxLen int, what string) {
	if s == "" || len(s) > maxLen || !re.MatchString(s) {
		v.bad(field, "%q is not a valid %s", s, what)
	}
}

// Patterns of api/v1alpha1 (common_types.go).
var (
	objectNamePattern   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	modelNamePattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$`)
	modelPatternPattern = regexp.MustCompile(`^[A-Za-z0-9*?][A-Za-z0-9._:/@+*?-]*$`)
	// toolPatternPattern is the API's ToolPattern.
	toolPatternPattern = regexp.MustCompile(`^[A-Za-z0-9_.*?-]+$`)
	hostPortPattern    = regexp.MustCompile(`^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):[0-9]{1,5}$`)
	hexPattern         = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// MaxBackends bounds the backends of a route, as the CRD does.
const MaxBackends = 16

// Bounds of api/v1alpha1's markers.
const (
	maxNameLen          = 253
	maxModelLen         = 256
	maxToolPatternLen   = 128
	maxHeaders          = 16
	maxHeaderValueLen   = 4096
	maxRetryOn          = 4
	maxLimits           = 16
	maxLimitModels      = 16
	maxConsumerPolicies = 8
	maxAllowedModels    = 64
	maxCapabilities     = 6
	maxRedisAddresses   = 16
	maxCount            = 100_000_000
)

func (c *Config) validateListener(v *validator) {
	ports := map[string]string{}
	for _, l := range []struct{ field, addr string }{{"listener.address", c.Listener.Address}, {"listener.metricsAddress", c.Listener.MetricsAddress}} {
		_, port, err := net.SplitHostPort(l.addr)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 1 || n > 65535 {
			v.bad(l.field, "%q is not host:port with a port from 1 to 65535", l.addr)
			continue
		}
		if other, dup := ports[port]; dup {
			v.bad(l.field, "port %s is also %s: the client and metrics listeners must differ", port, other)
		}
		ports[port] = l.field
	}
	if t := c.Listener.TLS; t != nil && (t.CertFile == "" || t.KeyFile == "") {
		v.bad("listener.tls", "certFile and keyFile are both required")
	}
}

func (s *Server) validate(v *validator) {
	if s.MaxRequestBodyBytes < 1024 || s.MaxRequestBodyBytes > 1<<30 {
		v.bad("server.maxRequestBodyBytes", "%d is out of range: want 1024 to %d", s.MaxRequestBodyBytes, 1<<30)
	}
	if s.MaxInFlight < 1 || s.MaxInFlight > 1_000_000 {
		v.bad("server.maxInFlight", "%d is out of range: want 1 to 1000000", s.MaxInFlight)
	}
	v.positive("server.readHeaderTimeout", s.ReadHeaderTimeout)
	v.positive("server.readTimeout", s.ReadTimeout)
	v.positive("server.writeTimeout", s.WriteTimeout)
	v.positive("server.idleTimeout", s.IdleTimeout)
	v.positive("server.drainTimeout", s.DrainTimeout)
}

// forbiddenHeaders are set by the gateway itself.
var forbiddenHeaders = []string{"authorization", "x-api-key", "api-key", "host", "content-length", "transfer-encoding",
	"connection", "upgrade", "te", "trailer", "keep-alive", "proxy-authorization", "cookie"}

func (c *Config) validateProviders(v *validator) map[string]bool {
	names := map[string]bool{}
	for i := range c.Providers {
		p := &c.Providers[i]
		field := fmt.Sprintf("providers[%d]", i)
		v.pattern(field+".name", p.Name, objectNamePattern, maxNameLen, "provider name (a lowercase DNS name)")
		if names[p.Name] {
			v.bad(field+".name", "duplicate provider %q", p.Name)
		}
		names[p.Name] = true
		for j, h := range p.ForwardHeaders {
			if err := ValidForwardHeader(h); err != nil {
				v.bad(fmt.Sprintf("%s.forwardHeaders[%d]", field, j), "%v", err)
			}
		}
		for j, api := range p.NativeAPIs {
			if (api != NativeResponses && api != NativeCompletions) || p.Type != ProviderOpenAICompatible {
				v.bad(fmt.Sprintf("%s.nativeAPIs[%d]", field, j), "only an OpenAICompatible provider declares native APIs, and only %q or %q", NativeResponses, NativeCompletions)
			}
		}
		rule, known := Rules(p.Type)
		if !known {
			v.bad(field+".type", "unknown type %q: no vendor of this build serves it", p.Type)
			continue
		}
		switch {
		case rule.Endpoint == NeedRequired && p.Endpoint == "":
			v.bad(field+".endpoint", "endpoint is required for type %s", p.Type)
		case rule.Endpoint == NeedForbidden && p.Endpoint != "":
			v.bad(field+".endpoint", "endpoint is not used by type %s", p.Type)
		case p.Endpoint != "":
			validateEndpoint(v, field+".endpoint", p.Endpoint, p.AllowPrivateNetwork)
		}
		if rule.NeedsKey && p.APIKey == "" {
			v.bad(field+".apiKey", "a credential is required for type %s", p.Type)
		}
		for _, b := range []struct {
			name string
			set  bool
		}{{"azure", p.Azure != nil}, {"anthropic", p.Anthropic != nil}, {"bedrock", p.Bedrock != nil}, {"mock", p.Mock != nil}} {
			if b.set && b.name != rule.Settings {
				v.bad(field+"."+b.name, "%s may not be set for type %s", b.name, p.Type)
			}
		}
		if rule.Check != nil {
			rule.Check(p, func(f, format string, a ...any) {
				if f != "" {
					f = "." + f
				}
				v.bad(field+f, format, a...)
			})
		}
		validateHeaders(v, field+".headers", p.Headers)
		v.positive(field+".timeouts.connect", p.Timeouts.Connect)
		v.positive(field+".timeouts.firstToken", p.Timeouts.FirstToken)
		v.positive(field+".timeouts.idle", p.Timeouts.Idle)
		v.positive(field+".timeouts.request", p.Timeouts.Request)
		v.between(field+".maxConcurrentRequests", int64(p.MaxConcurrentRequests), 1, 1_000_000)
		if p.MaxConcurrentRequests < 0 {
			v.bad(field+".maxConcurrentRequests", "must not be negative")
		}
	}
	return names
}

func validateHeaders(v *validator, field string, h map[string]string) {
	if len(h) > maxHeaders {
		v.bad(field, "%d headers: at most %d", len(h), maxHeaders)
	}
	for _, name := range slices.Sorted(maps.Keys(h)) {
		value := h[name]
		if len(name) > maxModelLen || !isToken(name) {
			v.bad(field, "header name %q is not an HTTP token", name)
			continue
		}
		if slices.Contains(forbiddenHeaders, strings.ToLower(name)) {
			v.bad(field+"."+name, "this header is set by the gateway and cannot be configured")
		}
		if len(value) > maxHeaderValueLen || strings.ContainsAny(value, "\r\n\x00") {
			v.bad(field+"."+name, "header values must not contain CR, LF or NUL characters and are at most %d bytes", maxHeaderValueLen)
		}
	}
}

// privateNets are refused without allowPrivateNetwork besides what is not
// global unicast (the list of the ModelProvider CEL rule).
var privateNets = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("fc00::/7"),
}

var numericHost = regexp.MustCompile(`(^|[.])(0[xX][0-9a-fA-F]*|[0-9]+)[.]?$`)

// validateEndpoint mirrors the ModelProvider endpoint rules: an absolute
// https URL naming a host in canonical form, with no credentials or
// fragment; plain http, localhost and private, loopback or link-local IP
// literals only with allowPrivateNetwork.
func validateEndpoint(v *validator, field, endpoint string, allowPrivate bool) {
	u, err := url.Parse(endpoint)
	scheme := ""
	if err == nil {
		scheme = strings.ToLower(u.Scheme)
	}
	switch {
	case len(endpoint) < 8 || len(endpoint) > 2048:
		v.bad(field, "endpoint must be 8 to 2048 characters")
	case err != nil || (scheme != "http" && scheme != "https") || !strings.Contains(endpoint, "://"):
		v.bad(field, "endpoint must be an absolute http(s) URL such as https://api.example.com/v1")
	case u.User != nil:
		v.bad(field, "endpoint must not contain user credentials (user:password@)")
	case strings.Contains(endpoint, "#"):
		v.bad(field, "endpoint must not contain a fragment (#)")
	case u.Hostname() == "":
		v.bad(field, "endpoint must name a host")
	default:
		host := u.Hostname()
		ip, ipErr := netip.ParseAddr(host)
		bracketed := strings.HasPrefix(u.Host, "[")
		if (bracketed && (ipErr != nil || ip.Zone() != "" || ip.Is4In6())) || (!bracketed && ipErr != nil && numericHost.MatchString(host)) {
			v.bad(field, "endpoint host must be a DNS name or an IP address in canonical form")
			return
		}
		if allowPrivate {
			return
		}
		if scheme == "http" {
			v.bad(field, "endpoint must use https; plain http is allowed only with allowPrivateNetwork: true")
		}
		lower := strings.TrimSuffix(strings.ToLower(host), ".")
		if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
			v.bad(field, "endpoint host is loopback (localhost); set allowPrivateNetwork: true to allow it")
		}
		if ipErr == nil && (!ip.IsGlobalUnicast() || slices.ContainsFunc(privateNets, func(p netip.Prefix) bool { return p.Contains(ip) })) {
			v.bad(field, "endpoint is a private, loopback or link-local IP address; set allowPrivateNetwork: true to allow it")
		}
	}
}

var capabilities = []Capability{CapChat, CapStreaming, CapTools, CapVision, CapEmbeddings, CapJSONMode}

func (c *Config) validateModels(v *validator, providers map[string]bool) {
	seen := map[[2]string]bool{}
	for i, m := range c.Models {
		field := fmt.Sprintf("models[%d]", i)
		v.pattern(field+".name", m.Name, modelNamePattern, maxModelLen, "model name")
		if m.UpstreamModel != m.Name {
			v.pattern(field+".upstreamModel", m.UpstreamModel, modelNamePattern, maxModelLen, "model name")
		}
		if !providers[m.Provider] {
			v.bad(field+".provider", "unknown provider %q", m.Provider)
		}
		key := [2]string{m.Provider, m.Name}
		if seen[key] {
			v.bad(field+".name", "duplicate model %q of provider %q", m.Name, m.Provider)
		}
		seen[key] = true
		v.between(field+".contextWindow", m.ContextWindow, 1, maxCount)
		v.between(field+".maxOutputTokens", m.MaxOutputTokens, 1, maxCount)
		if m.ContextWindow < 0 || m.MaxOutputTokens < 0 {
			v.bad(field, "contextWindow and maxOutputTokens must not be negative")
		}
		validatePricing(v, field+".pricing", m.Pricing)
		if len(m.Capabilities) > maxCapabilities {
			v.bad(field+".capabilities", "%d capabilities: at most %d", len(m.Capabilities), maxCapabilities)
		}
		for j, cp := range m.Capabilities {
			if !slices.Contains(capabilities, cp) {
				v.bad(fmt.Sprintf("%s.capabilities[%d]", field, j), "unsupported value %q", cp)
			}
		}
		validateParameters(v, field+".supportedParameters", m.SupportedParameters)
	}
}

// validateParameters checks a supportedParameters list: known names, each once.
func validateParameters(v *validator, field string, params []string) {
	if len(params) > len(RequestParameters) {
		v.bad(field, "%d parameters: at most %d", len(params), len(RequestParameters))
		return
	}
	for j, p := range params {
		if !slices.Contains(RequestParameters, p) || slices.Index(params, p) != j {
			v.bad(fmt.Sprintf("%s[%d]", field, j), "unsupported or repeated parameter %q", p)
		}
	}
}

func validatePricing(v *validator, field string, p Pricing) {
	for _, x := range []struct {
		name  string
		price float64
	}{{"inputPerMillion", p.InputPerMillion}, {"outputPerMillion", p.OutputPerMillion}, {"cachedInputPerMillion", p.CachedInputPerMillion},
		{"cacheWritePerMillion", p.CacheWritePerMillion}} {
		if !(x.price >= 0 && x.price < 1e9) {
			v.bad(field+"."+x.name, "price %v must be a non-negative USD amount below 1e9", x.price)
		}
	}
}

var (
	strategies = []Strategy{StrategyWeighted, StrategyLeastLatency, StrategyLeastBusy, StrategyLowestCost}
	retryOns   = DefaultRetryOn()
)

func (c *Config) validateRoutes(v *validator, providers map[string]bool) {
	models := map[string]bool{}
	for i, r := range c.Routes {
		field := fmt.Sprintf("routes[%d]", i)
		v.pattern(field+".model", r.Model, modelPatternPattern, maxModelLen, "model name or glob (* and ? only)")
		if models[r.Model] {
			v.bad(field+".model", "duplicate route for %q", r.Model)
		}
		models[r.Model] = true
		if !slices.Contains(strategies, r.Strategy) {
			v.bad(field+".strategy", "unsupported value %q", r.Strategy)
		}
		if len(r.Backends) == 0 || len(r.Backends) > MaxBackends {
			v.bad(field+".backends", "%d backends: want 1 to %d", len(r.Backends), MaxBackends)
		}
		pairs := map[[2]string]bool{}
		for j, b := range r.Backends {
			bf := fmt.Sprintf("%s.backends[%d]", field, j)
			if !providers[b.Provider] {
				v.bad(bf+".provider", "unknown provider %q", b.Provider)
			}
			if b.UpstreamModel != "" {
				v.pattern(bf+".upstreamModel", b.UpstreamModel, modelNamePattern, maxModelLen, "model name")
			}
			if pairs[[2]string{b.Provider, b.UpstreamModel}] {
				v.bad(bf, "each backend (provider, model) pair may appear only once in a route")
			}
			pairs[[2]string{b.Provider, b.UpstreamModel}] = true
			if w := b.TrafficWeight(); w < 0 || w > 1_000_000 {
				v.bad(bf+".weight", "%d is out of range: want 0 to 1000000", w)
			}
			if b.Priority < 0 || b.Priority > 9 {
				v.bad(bf+".priority", "%d is out of range: want 0 to 9", b.Priority)
			}
			validatePricing(v, bf+".pricing", b.Pricing)
			validateParameters(v, bf+".supportedParameters", b.SupportedParameters)
		}
		if r.Retry.Attempts < 1 || r.Retry.Attempts > 10 {
			v.bad(field+".retry.attempts", "%d is out of range: want 1 to 10", r.Retry.Attempts)
		}
		if len(r.Retry.RetryOn) > maxRetryOn {
			v.bad(field+".retry.retryOn", "%d classes: at most %d", len(r.Retry.RetryOn), maxRetryOn)
		}
		for j, on := range r.Retry.RetryOn {
			if !slices.Contains(retryOns, on) {
				v.bad(fmt.Sprintf("%s.retry.retryOn[%d]", field, j), "unsupported value %q", on)
			}
		}
		v.positive(field+".retry.backoff", r.Retry.Backoff)
		v.positive(field+".retry.maxCooldown", r.Retry.MaxCooldown)
		r.SessionAffinity.validate(v, field+".sessionAffinity")
	}
}

func (c *Config) validatePolicies(v *validator) map[string]bool {
	names := map[string]bool{}
	for i, p := range c.Policies {
		field := fmt.Sprintf("policies[%d]", i)
		if p.Name == "" {
			v.bad(field+".name", "name is empty")
		}
		if names[p.Name] {
			v.bad(field+".name", "duplicate policy %q", p.Name)
		}
		names[p.Name] = true
		if len(p.Limits) == 0 && p.Budget == nil && p.MaxTokensPerRequest == 0 {
			v.bad(field, "set at least one of limits, budget or maxTokensPerRequest")
		}
		if len(p.Limits) > maxLimits {
			v.bad(field+".limits", "%d limits: at most %d", len(p.Limits), maxLimits)
		}
		for j, l := range p.Limits {
			lf := fmt.Sprintf("%s.limits[%d]", field, j)
			if l.Window.Duration < time.Second {
				v.bad(lf+".window", "window must be at least 1s")
			}
			if l.Requests < 0 || l.Tokens < 0 || l.InputTokens < 0 || l.OutputTokens < 0 || l.ToolCalls < 0 {
				v.bad(lf, "limits must not be negative")
			} else if l.Requests == 0 && l.Tokens == 0 && l.InputTokens == 0 && l.OutputTokens == 0 && l.ToolCalls == 0 {
				v.bad(lf, "a limit must set at least one of requests, tokens, inputTokens, outputTokens or toolCalls")
			}
			validateGlobs(v, lf+".models", l.Models, maxLimitModels)
		}
		if b := p.Budget; b != nil {
			if !(b.AmountUSD >= 0 && b.AmountUSD < 1e9) {
				v.bad(field+".budget.amountUSD", "%v must be a non-negative USD amount below 1e9", b.AmountUSD)
			}
			if !slices.Contains([]BudgetWindow{BudgetDay, BudgetWeek, BudgetMonth}, b.Window) {
				v.bad(field+".budget.window", "unsupported value %q", b.Window)
			}
		}
		v.between(field+".maxTokensPerRequest", p.MaxTokensPerRequest, 1, maxCount)
		if p.MaxTokensPerRequest < 0 {
			v.bad(field+".maxTokensPerRequest", "must not be negative")
		}
		switch p.OnExceeded {
		case ExceededReject:
			if p.DowngradeTo != "" {
				v.bad(field+".downgradeTo", "downgradeTo may only be set when onExceeded is Downgrade")
			}
		case ExceededDowngrade:
			if p.DowngradeTo == "" {
				v.bad(field+".downgradeTo", "downgradeTo is required when onExceeded is Downgrade")
			} else {
				v.pattern(field+".downgradeTo", p.DowngradeTo, modelNamePattern, maxModelLen, "model name")
			}
		default:
			v.bad(field+".onExceeded", "unsupported value %q", p.OnExceeded)
		}
	}
	return names
}

func validateGlobs(v *validator, field string, globs []string, most int) {
	if len(globs) > most {
		v.bad(field, "%d entries: at most %d", len(globs), most)
	}
	for i, g := range globs {
		v.pattern(fmt.Sprintf("%s[%d]", field, i), g, modelPatternPattern, maxModelLen, "model name or glob (* and ? only)")
	}
}

func (c *Config) validateConsumers(v *validator, policies, issuers map[string]bool) {
	owners := map[string]string{}
	names := map[string]bool{}
	for i, cs := range c.Consumers {
		field := fmt.Sprintf("consumers[%d]", i)
		if cs.Name == "" || strings.ContainsAny(cs.Name, " \t\r\n\x00") {
			v.bad(field+".name", "%q is not a consumer name", cs.Name)
		}
		if names[cs.Name] {
			v.bad(field+".name", "duplicate consumer %q", cs.Name)
		}
		names[cs.Name] = true
		if len(cs.Policies) > maxConsumerPolicies {
			v.bad(field+".policies", "%d policies: at most %d", len(cs.Policies), maxConsumerPolicies)
		}
		for _, pn := range cs.Policies {
			if !policies[pn] {
				v.bad(field+".policies", "unknown policy %q", pn)
			}
		}
		validateGlobs(v, field+".allowedModels", cs.AllowedModels, maxAllowedModels)
		c.validateBYOK(v, field+".byok", cs.BYOK)
		if len(cs.AllowedTools) > maxAllowedModels {
			v.bad(field+".allowedTools", "%d entries: at most %d", len(cs.AllowedTools), maxAllowedModels)
		}
		for j, g := range cs.AllowedTools {
			v.pattern(fmt.Sprintf("%s.allowedTools[%d]", field, j), g, toolPatternPattern, maxToolPatternLen, "tool name or glob (letters, digits, _ . - * ? only)")
		}
		cs.validateIdentities(v, field, issuers)
		for j, k := range cs.Keys {
			kf := fmt.Sprintf("%s.keys[%d]", field, j)
			k.validate(v, kf)
			if other, dup := owners[k.SHA256]; dup {
				v.bad(kf, "a key of consumer %q is shared with consumer %q", cs.Name, other)
			}
			owners[k.SHA256] = cs.Name
		}
	}
}

func (k Key) validate(v *validator, field string) {
	if k.ID == "" {
		v.bad(field+".id", "id is empty")
	}
	if !hexPattern.MatchString(k.SHA256) {
		v.bad(field+".sha256", "sha256 must be 64 hex characters, lowercase")
	}
}

func (l *LimitsStore) validate(v *validator) {
	if !slices.Contains([]FailureMode{FailOpen, FailClosed}, l.FailureMode) {
		v.bad("limits.failureMode", "unsupported value %q", l.FailureMode)
	}
	if !slices.Contains([]Enforcement{"", EnforceExact, EnforceLease}, l.Enforcement) {
		v.bad("limits.enforcement", "unsupported value %q", l.Enforcement)
	}
	switch l.Type {
	case StoreLocal:
		if l.Redis != nil {
			v.bad("limits.redis", "redis may only be set when type is Redis")
		}
	case StoreRedis:
		if l.Redis == nil {
			v.bad("limits.redis", "store Redis needs redis.addresses")
			return
		}
		l.Redis.validate(v)
	default:
		v.bad("limits.type", "unsupported value %q", l.Type)
	}
}

func (r *Redis) validate(v *validator) {
	if len(r.Addresses) == 0 || len(r.Addresses) > maxRedisAddresses {
		v.bad("limits.redis.addresses", "store Redis needs redis.addresses: 1 to %d host:port", maxRedisAddresses)
	}
	for i, a := range r.Addresses {
		if !hostPortPattern.MatchString(a) || len(a) > 261 {
			v.bad(fmt.Sprintf("limits.redis.addresses[%d]", i), "%q is not host:port", a)
		}
	}
	switch r.Mode {
	case RedisStandalone, RedisSentinel, RedisCluster:
	default:
		v.bad("limits.redis.mode", "%q is not one of Standalone, Sentinel, Cluster", r.Mode)
	}
	if r.Mode == RedisSentinel && r.MasterName == "" {
		v.bad("limits.redis.masterName", "masterName is required when mode is Sentinel")
	}
	if r.Mode != RedisSentinel && r.MasterName != "" {
		v.bad("limits.redis.masterName", "masterName may only be set when mode is Sentinel")
	}
	if r.Mode == RedisStandalone && len(r.Addresses) > 1 {
		v.bad("limits.redis.addresses", "mode Standalone takes exactly one address; use mode Sentinel or Cluster for several")
	}
	if r.DB < 0 || r.DB > 255 {
		v.bad("limits.redis.db", "%d is out of range: want 0 to 255", r.DB)
	}
	if r.Mode == RedisCluster && r.DB != 0 {
		v.bad("limits.redis.db", "Redis Cluster supports only db 0")
	}
	v.positive("limits.redis.timeout", r.Timeout)
}

// maxBYOK bounds a consumer's own vendor keys, as the CRD does.
const maxBYOK = 16

// maxBYOKHeaderConsumers bounds the consumers a request's own key header
// is allowed to by name, as the CRD does.
const maxBYOKHeaderConsumers = 256

// validateBYOK checks a consumer's own keys: one per known provider that
// authenticates with an API key (Bedrock signs with AWS keys, Mock has
// none), each set.
func (c *Config) validateBYOK(v *validator, field string, keys []BYOKKey) {
	if len(keys) > maxBYOK {
		v.bad(field, "%d keys: at most %d", len(keys), maxBYOK)
	}
	seen := map[string]bool{}
	for j, k := range keys {
		f := fmt.Sprintf("%s[%d]", field, j)
		var p *Provider
		for i := range c.Providers {
			if c.Providers[i].Name == k.Provider {
				p = &c.Providers[i]
			}
		}
		switch {
		case p == nil:
			v.bad(f+".provider", "unknown provider %q", k.Provider)
		case p.Type == ProviderBedrock || p.Type == ProviderMock:
			v.bad(f+".provider", "provider %q of type %s takes no API key", k.Provider, p.Type)
		}
		if seen[k.Provider] {
			v.bad(f+".provider", "duplicate provider %q", k.Provider)
		}
		seen[k.Provider] = true
		if k.APIKey == "" || strings.ContainsAny(k.APIKey, "\r\n\x00") {
			v.bad(f+".apiKey", "must be set, on one line")
		}
	}
}

// validateBYOKHeaderKeys checks the providers a request's own key header
// may be for: known ones that authenticate with an API key, each once.
func (c *Config) validateBYOKHeaderKeys(v *validator) {
	h := c.BYOKHeaderKeys
	if h == nil {
		return
	}
	if len(h.Providers) == 0 || len(h.Providers) > maxBYOK {
		v.bad("byokHeaderKeys.providers", "%d providers: want 1 to %d", len(h.Providers), maxBYOK)
	}
	seen := map[string]bool{}
	for i, name := range h.Providers {
		f := fmt.Sprintf("byokHeaderKeys.providers[%d]", i)
		var p *Provider
		for j := range c.Providers {
			if c.Providers[j].Name == name {
				p = &c.Providers[j]
			}
		}
		switch {
		case p == nil:
			v.bad(f, "unknown provider %q", name)
		case p.Type == ProviderBedrock || p.Type == ProviderMock:
			v.bad(f, "provider %q of type %s takes no API key", name, p.Type)
		case seen[name]:
			v.bad(f, "duplicate provider %q", name)
		}
		seen[name] = true
	}
	if len(h.Consumers) > maxBYOKHeaderConsumers {
		v.bad("byokHeaderKeys.consumers", "%d consumers: at most %d", len(h.Consumers), maxBYOKHeaderConsumers)
	}
}
