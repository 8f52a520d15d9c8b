// Package limits enforces TokenPolicies: request, token and cost limits over
// fixed and calendar windows, shared by every gateway replica through Redis
// or kept in process.
//
// Per request the proxy calls Admit with an estimate; admission checks every
// applicable counter and, only if all fit, reserves the estimate — atomically,
// in one Redis round trip — so a concurrent burst on any number of replicas
// cannot overshoot a limit by more than the estimates allow. When the
// upstream reports real usage (a stream ends, or the client goes away), the
// proxy calls Ticket.Settle, which adds the difference between actual and
// estimate without checking.
package limits

import (
	"context"
	"errors"
	"fmt"
	"path"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// DefaultOutputTokens is reserved for a request that sets no max_tokens and
// has no policy cap: a typical answer's size, corrected at settlement.
const DefaultOutputTokens = 1024

// Option configures an Engine.
type Option func(*options)

type options struct {
	reg           prometheus.Registerer
	now           func() time.Time
	store         Store
	defaultOutput int64
	backoff       time.Duration
	localMaxKeys  int
	asyncSettle   bool
	settleQueue   int
}

// WithRegisterer registers the engine's metrics there (nil: not registered).
// Registering twice (a reloaded engine) reuses the existing collectors.
func WithRegisterer(r prometheus.Registerer) Option { return func(o *options) { o.reg = r } }

// WithClock replaces time.Now for windows, TTLs and the circuit.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithStore uses s as the shared store instead of the one cfg.Limits names.
// It is guarded by the circuit and the failure mode like Redis; the caller
// owns it and closes it.
func WithStore(s Store) Option { return func(o *options) { o.store = s } }

// WithDefaultOutputTokens sets the output reserved when a request has no
// max_tokens (default DefaultOutputTokens).
func WithDefaultOutputTokens(n int64) Option { return func(o *options) { o.defaultOutput = n } }

// WithBackoff sets how long an unreachable shared store is skipped before it
// is probed again (default DefaultBackoff).
func WithBackoff(d time.Duration) Option { return func(o *options) { o.backoff = d } }

// WithAsyncSettle writes settlements into a shared store (Redis) in the
// background: a bounded queue of queue settlements (0: DefaultSettleQueue)
// drained by one goroutine that sends a batch in one pipelined call, so a
// request makes one store round trip, its reservation. A full queue makes
// Settle write synchronously; Close writes what is queued. Consumers with
// no checked limit are then not reserved synchronously either: their usage
// counters go through the same queue. Local stores always settle at once.
func WithAsyncSettle(queue int) Option {
	return func(o *options) { o.asyncSettle, o.settleQueue = true, queue }
}

// WithLocalMaxKeys bounds the Local and fallback stores (default
// DefaultLocalMaxKeys).
func WithLocalMaxKeys(n int) Option { return func(o *options) { o.localMaxKeys = n } }

// Engine admits requests against the policies of one compiled Config. It is
// safe for concurrent use.
type Engine struct {
	opts      options
	consumers map[string]*consumerRT
	// policies are the compiled policies by name and policySrc what each
	// was compiled from, so that Reload keeps the compiled form of every
	// unchanged policy and consumer (see reuse).
	policies  map[string]*policyRT
	policySrc map[string]config.Policy
	pricing   map[string]config.Pricing
	maxOutput map[string]int64 // catalogue model → maxOutputTokens
	routes    []config.Route
	prefix    string
	mode      config.FailureMode
	b         *backend
	m         *metrics
	now       func() time.Time
	closed    atomic.Bool
	fields    sync.Map // model → *[4]string, its usage field names
	nfields   atomic.Int32
}

// New builds an Engine from a compiled Config and connects its store.
func New(cfg *config.Config, opts ...Option) (*Engine, error) {
	o := options{now: time.Now, defaultOutput: DefaultOutputTokens, backoff: DefaultBackoff}
	for _, opt := range opts {
		opt(&o)
	}
	if o.now == nil {
		o.now = time.Now
	}
	return build(cfg, o, nil, nil)
}

// Reload builds an Engine for a new Config. While the store settings are
// unchanged the new engine shares this one's counters, connections and
// circuit, so a reload resets nothing. Close the old engine once its
// in-flight requests have settled.
func (e *Engine) Reload(cfg *config.Config) (*Engine, error) {
	if e.b.sameSettings(cfg.Limits, e.opts.store) {
		return build(cfg, e.opts, e.b, e)
	}
	return build(cfg, e.opts, nil, e)
}

// build compiles cfg. When prev is an engine of the same key prefix, a
// policy compiled from an equal config.Policy is prev's, and a consumer
// whose policies are all prev's, in the same order, is prev's compiled
// consumer, cached window keys included: a reload that changes one
// Consumer of 100,000 compiles one (the rest is a map insert each).
// Neither is ever written after build, but for the keys' atomic slots.
func build(cfg *config.Config, o options, shared *backend, prev *Engine) (*Engine, error) {
	if cfg == nil {
		return nil, errors.New("limits: nil config")
	}
	e := &Engine{opts: o, consumers: make(map[string]*consumerRT, len(cfg.Consumers)),
		policies: make(map[string]*policyRT, len(cfg.Policies)), policySrc: make(map[string]config.Policy, len(cfg.Policies)),
		pricing: map[string]config.Pricing{}, maxOutput: map[string]int64{},
		routes: cfg.Routes, mode: cfg.Limits.FailureMode, now: o.now}
	if e.mode == "" {
		e.mode = config.FailOpen
	}
	e.prefix = KeyPrefix(cfg)
	if prev != nil && prev.prefix != e.prefix {
		prev = nil
	}

	for _, p := range cfg.Policies {
		rt, err := e.policy(p, prev)
		if err != nil {
			return nil, fmt.Errorf("limits: %w", err)
		}
		e.policies[p.Name], e.policySrc[p.Name] = rt, p
	}
	// The consumers' key slots come from slabs of 4,096 (100,000
	// consumers: about 100 allocations, not 100,000).
	var slab []atomic.Pointer[windowKeys]
	for _, c := range cfg.Consumers {
		if rt := reusable(prev, c, e.policies); rt != nil {
			e.consumers[c.Name] = rt
			continue
		}
		rt := &consumerRT{name: c.Name, base: e.prefix + "{" + escapeTag(c.Name) + "}:", usageWindow: config.BudgetMonth}
		budgetSeen := false
		for _, pn := range c.Policies {
			p, ok := e.policies[pn]
			if !ok {
				return nil, fmt.Errorf("limits: consumer %q refers to unknown policy %q", c.Name, pn)
			}
			rt.policies = append(rt.policies, p)
			if p.budget != nil && !budgetSeen {
				rt.usageWindow, budgetSeen = p.budget.Window, true
			}
		}
		rt.ncounters = countersOf(rt.policies)
		n := keySlots(rt.policies)
		if len(slab) < n {
			slab = make([]atomic.Pointer[windowKeys], max(n, 4096))
		}
		rt.keys, slab = slab[:n:n], slab[n:]
		e.consumers[c.Name] = rt
	}
	for _, m := range cfg.Models {
		e.pricing[m.Name] = m.Pricing
		if m.MaxOutputTokens > 0 {
			e.maxOutput[m.Name] = m.MaxOutputTokens
		}
	}

	if shared == nil {
		var err error
		if shared, err = newBackend(cfg.Limits, o); err != nil {
			return nil, err
		}
	}
	shared.refs.Add(1)
	e.b, e.m = shared, shared.m
	return e, nil
}

func newBackend(ls config.LimitsStore, o options) (*backend, error) {
	m, err := newMetrics(o.reg)
	if err != nil {
		return nil, fmt.Errorf("limits: registering metrics: %w", err)
	}
	b := &backend{settings: ls, m: m, now: o.now, backoff: o.backoff, custom: o.store}
	if b.backoff <= 0 {
		b.backoff = DefaultBackoff
	}
	switch {
	case o.store != nil:
		b.primary, b.remote = o.store, true
	case ls.Type == config.StoreRedis:
		r, err := NewRedis(ls.Redis)
		if err != nil {
			return nil, fmt.Errorf("limits: %w", err)
		}
		b.primary, b.remote = r, true
	case ls.Type == "" || ls.Type == config.StoreLocal:
		b.primary = NewLocal(o.localMaxKeys, o.now)
	default:
		return nil, fmt.Errorf("limits: unknown store type %q (want Local or Redis)", ls.Type)
	}
	if b.remote {
		b.fallback = NewLocal(o.localMaxKeys, o.now)
		if o.asyncSettle {
			b.settler = newSettler(b, o.settleQueue)
		}
		if ls.Enforcement == config.EnforceLease {
			b.leases = newLeases(b)
		}
	}
	return b, nil
}

// Close releases the engine's store when no reloaded engine shares it.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	return e.b.release()
}

// Flush waits until the settlements queued so far (WithAsyncSettle) have
// been written to the shared store, or ctx ends. Without a queue it
// returns at once.
func (e *Engine) Flush(ctx context.Context) error {
	if e.b.settler == nil {
		return nil
	}
	return e.b.settler.flush(ctx)
}

// Degraded reports whether the shared store is currently unreachable.
func (e *Engine) Degraded() bool { return e.b.remote && e.b.isDegraded() }

// consumer returns the consumer's compiled policies; an unknown or
// anonymous consumer has none, and only usage is counted for it.
func (e *Engine) consumer(name string) *consumerRT {
	if c, ok := e.consumers[name]; ok {
		return c
	}
	return &consumerRT{name: name, base: e.prefix + "{" + escapeTag(name) + "}:", usageWindow: config.BudgetMonth}
}

// pricingOf finds a model's price in the catalogue, then in the first
// route that matches it.
func (e *Engine) pricingOf(model string) config.Pricing {
	if p, ok := e.pricing[model]; ok {
		return p
	}
	for _, r := range e.routes {
		if ok, _ := path.Match(r.Model, model); ok && len(r.Backends) > 0 {
			return r.Backends[0].Pricing
		}
	}
	return config.Pricing{}
}

// KeyPrefix is the prefix of every key the limits of cfg keep in Redis
// (other gateway state in the same Redis, such as stored responses, goes
// under it too).
func KeyPrefix(cfg *config.Config) string {
	p := "tollgate:" + cfg.Gateway.Namespace + "/" + cfg.Gateway.Name + ":"
	if cfg.Limits.Redis != nil && cfg.Limits.Redis.KeyPrefix != "" {
		p = cfg.Limits.Redis.KeyPrefix
	}
	return sanitizePrefix(p)
}

// policy compiles p, or returns prev's compiled form of an equal policy.
func (e *Engine) policy(p config.Policy, prev *Engine) (*policyRT, error) {
	if prev != nil {
		if old, ok := prev.policySrc[p.Name]; ok && reflect.DeepEqual(old, p) {
			return prev.policies[p.Name], nil
		}
	}
	rt, err := compilePolicy(p)
	if err != nil {
		return nil, err
	}
	if rt.onExceeded == "" {
		rt.onExceeded = config.ExceededReject
	}
	if p.Pooled {
		rt.pool = e.prefix + "{" + poolTag + escapeTag(p.Name) + "}:"
	}
	return rt, nil
}

// reusable is prev's compiled consumer c when it still holds: the same
// policies, each the very compiled policy the new engine uses. nil
// otherwise (and on a nil prev).
func reusable(prev *Engine, c config.Consumer, policies map[string]*policyRT) *consumerRT {
	if prev == nil {
		return nil
	}
	rt := prev.consumers[c.Name]
	if rt == nil || len(rt.policies) != len(c.Policies) {
		return nil
	}
	for i, pn := range c.Policies {
		if p := policies[pn]; p == nil || p != rt.policies[i] {
			return nil
		}
	}
	return rt
}
