package config

import (
	"path"
	"strconv"
	"strings"
	"time"
)

// The defaults table: the one place a default value of the gateway lives.
// Default applies it to a Config; compile (ports), resources (container
// ports, grace period) and the proxy read these names instead of repeating
// the numbers. The CRD markers of api/v1alpha1 document the same values for
// kubectl explain; test/crd checks that they agree with this table.
const (
	DefaultPort        = 8080
	DefaultMetricsPort = 9090

	DefaultMaxRequestBodyBytes = 32 << 20
	DefaultMaxInFlight         = 4096
	DefaultReadHeaderTimeout   = 10 * time.Second
	DefaultReadTimeout         = 60 * time.Second
	DefaultWriteTimeout        = 30 * time.Second
	DefaultIdleTimeout         = 120 * time.Second
	DefaultDrainTimeout        = 25 * time.Second

	DefaultConnectTimeout    = 5 * time.Second
	DefaultFirstTokenTimeout = 60 * time.Second
	DefaultIdleStreamTimeout = 60 * time.Second
	DefaultRequestTimeout    = 600 * time.Second

	DefaultStrategy     = StrategyWeighted
	DefaultAttempts     = 3
	DefaultBackoff      = 100 * time.Millisecond
	DefaultMaxCooldown  = 60 * time.Second
	DefaultWeight       = 1
	DefaultRedisTimeout = 50 * time.Millisecond
	// DefaultRedisQueueWait bounds how long a limits call waits for a free
	// Redis connection before its timeout starts (a burst on a healthy
	// store queues; only the store's own answer is timed). 1,000 streams
	// opened at once on the loaded 2-core benchmark machine queued for
	// more than 1 s.
	DefaultRedisQueueWait = 10 * time.Second
	// DefaultRedisDialTimeout is the least time a new Redis connection of
	// the limits store may take (its commands keep Timeout).
	DefaultRedisDialTimeout = time.Second
	DefaultRedisMode        = RedisStandalone

	DefaultAuthMode     = AuthAPIKey
	DefaultStore        = StoreLocal
	DefaultFailureMode  = FailOpen
	DefaultOnExceeded   = ExceededReject
	DefaultBudgetWindow = BudgetMonth

	// MaxResponseStoreTTL bounds Responses.StoreTTL (its default is the
	// response store's own, responsestate.DefaultTTL).
	MaxResponseStoreTTL = 30 * 24 * time.Hour
	// DefaultCacheTTL is ResponseCache.TTL when unset; MaxCacheTTL bounds it.
	DefaultCacheTTL = 5 * time.Minute
	MaxCacheTTL     = 7 * 24 * time.Hour
	// DefaultCacheEntries, DefaultCacheBytes and DefaultCacheEntryBytes
	// bound the local response cache when unset.
	DefaultCacheEntries    = 10_000
	DefaultCacheBytes      = 256 << 20
	DefaultCacheEntryBytes = 4 << 20
	// DefaultExternalTimeout is an external guardrail check's timeout when
	// unset; MaxExternalTimeout bounds it.
	DefaultExternalTimeout = 5 * time.Second
	MaxExternalTimeout     = time.Minute
)

// DefaultRetryOn is every retryable failure class, the default of
// Retry.RetryOn.
func DefaultRetryOn() []RetryOn {
	return []RetryOn{RetryOnRateLimited, RetryOnServerError, RetryOnTimeout, RetryOnConnectError}
}

// ListenAddress is the listener address of a port on every interface.
func ListenAddress(port int) string { return ":" + strconv.Itoa(port) }

// IsGlob reports whether a model name is a glob. Globs use * and ? only
// (Validate refuses character classes and escapes, as the CRDs do).
func IsGlob(s string) bool { return strings.ContainsAny(s, "*?") }

// MatchModel reports whether a model name matches an exact name or glob.
func MatchModel(pattern, model string) bool {
	if pattern == model {
		return true
	}
	if !IsGlob(pattern) {
		return false
	}
	ok, _ := path.Match(pattern, model)
	return ok
}

// Default fills zero fields with their documented defaults, completes the
// routes (one implicit route per catalogue model no route matches, placed
// before the globs) and the catalogue (one entry per exact route name it
// lacks), so every reader of a Config finds backends one way: its routes.
// Default is idempotent; compile calls it, and so does Parse.
func (c *Config) Default() {
	if c.Listener.Address == "" {
		c.Listener.Address = ListenAddress(DefaultPort)
	}
	if c.Listener.MetricsAddress == "" {
		c.Listener.MetricsAddress = ListenAddress(DefaultMetricsPort)
	}
	c.Server.Default()
	c.defaultMCP()
	if c.Auth.Mode == "" {
		c.Auth.Mode = DefaultAuthMode
	}
	for i := range c.Auth.Issuers {
		c.Auth.Issuers[i].Default()
	}
	c.Limits.Default()
	c.Telemetry.Default()
	for i := range c.Providers {
		c.Providers[i].Timeouts.Default()
	}
	for i := range c.Models {
		if c.Models[i].UpstreamModel == "" {
			c.Models[i].UpstreamModel = c.Models[i].Name
		}
	}
	c.implicitRoutes()
	c.routeAliases()
	for i := range c.Routes {
		c.Routes[i].Default()
	}
	for i := range c.Policies {
		p := &c.Policies[i]
		if p.OnExceeded == "" {
			p.OnExceeded = DefaultOnExceeded
		}
		if p.Budget != nil && p.Budget.Window == "" {
			p.Budget.Window = DefaultBudgetWindow
		}
	}
}

// Default fills the server's zero limits and timeouts.
func (s *Server) Default() {
	if s.MaxRequestBodyBytes == 0 {
		s.MaxRequestBodyBytes = DefaultMaxRequestBodyBytes
	}
	if s.MaxInFlight == 0 {
		s.MaxInFlight = DefaultMaxInFlight
	}
	orDefault(&s.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	orDefault(&s.ReadTimeout, DefaultReadTimeout)
	orDefault(&s.WriteTimeout, DefaultWriteTimeout)
	orDefault(&s.IdleTimeout, DefaultIdleTimeout)
	orDefault(&s.DrainTimeout, DefaultDrainTimeout)
}

// Default fills a provider's zero timeouts.
func (t *Timeouts) Default() {
	orDefault(&t.Connect, DefaultConnectTimeout)
	orDefault(&t.FirstToken, DefaultFirstTokenTimeout)
	orDefault(&t.Idle, DefaultIdleStreamTimeout)
	orDefault(&t.Request, DefaultRequestTimeout)
}

// Default fills the store's zero settings.
func (l *LimitsStore) Default() {
	if l.Type == "" {
		l.Type = DefaultStore
	}
	if l.FailureMode == "" {
		l.FailureMode = DefaultFailureMode
	}
	if l.Redis != nil {
		orDefault(&l.Redis.Timeout, DefaultRedisTimeout)
		if l.Redis.Mode == "" {
			l.Redis.Mode = DefaultRedisMode
		}
	}
}

// Default fills a route's zero strategy, retry and backend weights.
func (r *Route) Default() {
	if r.Strategy == "" {
		r.Strategy = DefaultStrategy
	}
	if r.SessionAffinity.Mode == "" {
		r.SessionAffinity.Mode = DefaultSessionAffinity
	}
	if r.Retry.Attempts == 0 {
		r.Retry.Attempts = DefaultAttempts
	}
	if len(r.Retry.RetryOn) == 0 {
		r.Retry.RetryOn = DefaultRetryOn()
	}
	orDefault(&r.Retry.Backoff, DefaultBackoff)
	orDefault(&r.Retry.MaxCooldown, DefaultMaxCooldown)
	for j := range r.Backends {
		if r.Backends[j].Weight == nil {
			r.Backends[j].Weight = new(DefaultWeight)
		}
	}
}

// orDefault sets a zero duration; a negative one is left for Validate.
func orDefault(d *Duration, def time.Duration) {
	if d.Duration == 0 {
		d.Duration = def
	}
}

// implicitRoutes adds a route for every catalogue model name no route
// matches, with one backend per catalogue entry of that name, in
// catalogue order. They go after the exact routes and before the globs.
func (c *Config) implicitRoutes() {
	var implicit []Route
	index := map[string]int{}
	for _, m := range c.Models {
		if m.Name == "" || c.routed(m.Name) {
			continue
		}
		i, ok := index[m.Name]
		if !ok {
			i = len(implicit)
			index[m.Name] = i
			implicit = append(implicit, Route{Model: m.Name})
		}
		implicit[i].Backends = append(implicit[i].Backends, Backend{Provider: m.Provider, UpstreamModel: m.UpstreamModel, Pricing: m.Pricing})
	}
	if len(implicit) == 0 {
		return
	}
	at := len(c.Routes)
	for i, r := range c.Routes {
		if IsGlob(r.Model) {
			at = i
			break
		}
	}
	routes := make([]Route, 0, len(c.Routes)+len(implicit))
	routes = append(routes, c.Routes[:at]...)
	routes = append(routes, implicit...)
	c.Routes = append(routes, c.Routes[at:]...)
}

func (c *Config) routed(model string) bool {
	for _, r := range c.Routes {
		if MatchModel(r.Model, model) {
			return true
		}
	}
	return false
}

// routeAliases adds a catalogue entry for every exact route name the
// catalogue lacks, served by the route's first backend.
func (c *Config) routeAliases() {
	known := map[string]bool{}
	for _, m := range c.Models {
		known[m.Name] = true
	}
	for _, r := range c.Routes {
		if IsGlob(r.Model) || r.Model == "" || len(r.Backends) == 0 || known[r.Model] {
			continue
		}
		known[r.Model] = true
		b := r.Backends[0]
		up := b.UpstreamModel
		if up == "" {
			up = r.Model
		}
		c.Models = append(c.Models, Model{Name: r.Model, Provider: b.Provider, UpstreamModel: up, Pricing: b.Pricing})
	}
}
