package proxy

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/telemetry"
)

// snapshot is everything built from one config. It is immutable once
// published; a request uses the snapshot it started with to its end.
type snapshot struct {
	cfg       *config.Config
	hash      string
	loaded    time.Time
	auth      *authIndex
	router    *router
	upstreams map[string]*upstream
	// byok holds, per consumer and provider, the adapter with the
	// consumer's own vendor key.
	byok   map[string]map[string]providers.Adapter
	models []catalogueEntry
	byName map[string]*catalogueEntry

	maxBody      int64
	maxInFlight  int64
	readTimeout  time.Duration
	writeTimeout time.Duration

	// limits enforces the TokenPolicies and counts usage.
	limits *limits.Engine
	// responses keeps the Responses API's stored responses (nil: the
	// gateway keeps none).
	responses *responseStore
	// tracer records the requests' spans (nil: tracing is off).
	tracer *telemetry.Tracer
	// guards are the compiled guardrails, in config order.
	guards []*guard
	// cache is the response cache (nil: off).
	cache *responseCache
	// mcp serves /mcp (mcp.go).
	mcp *mcpGateway
	// parts is what a sharded config's consumers were built from, for the
	// next swap (shardbuild.go); nil for a config loaded whole.
	parts *shardState

	// refs counts requests using this snapshot; once retired (replaced)
	// and unused, its engine is closed.
	refs      atomic.Int64
	retired   atomic.Bool
	closeOnce sync.Once
}

// upstream is one provider: its adapter, client and limits.
type upstream struct {
	name     string
	vendor   config.ProviderType
	adapter  providers.Adapter
	client   *http.Client
	connect  time.Duration
	first    time.Duration
	idle     time.Duration
	request  time.Duration
	sem      chan struct{}
	redacted []string // secrets to scrub from anything logged or answered
	// headers are the client headers this provider is sent.
	headers headerPolicy
	// ownKey is true on a request's copy carrying its own key (a header
	// key, byok_header.go).
	ownKey bool
}

// catalogueEntry is one public model on /v1/models.
type catalogueEntry struct {
	ID            string   `json:"id"`
	Object        string   `json:"object"`
	Created       int64    `json:"created"`
	OwnedBy       string   `json:"owned_by"`
	ContextWindow int64    `json:"context_window,omitempty"`
	MaxOutput     int64    `json:"max_output_tokens,omitempty"`
	Pricing       *pricing `json:"pricing,omitempty"`
	Capabilities  []string `json:"capabilities,omitempty"`
	// SupportedParameters are the request parameters its owning provider's
	// backend honours, as OpenRouter lists them.
	SupportedParameters []string `json:"supported_parameters,omitempty"`
	// NativeAPIs are the client APIs its provider speaks natively
	// ("messages", "responses"): requests in them are relayed as written
	// rather than translated.
	NativeAPIs []providers.API `json:"native_apis,omitempty"`
}

// pricing is shown like OpenRouter's (USD per token, as strings) and per
// million tokens.
type pricing struct {
	Prompt           string  `json:"prompt"`
	Completion       string  `json:"completion"`
	InputPerMillion  float64 `json:"input_per_million"`
	OutputPerMillion float64 `json:"output_per_million"`
}

// build compiles a config into a snapshot. Nothing is published until
// everything has been built, so a broken config changes nothing. parts,
// when not nil, holds cfg's consumers already built (assembleShards).
func (s *Server) build(cfg *config.Config, hash string, prev *snapshot, parts *shardState) (*snapshot, error) {
	now := time.Now()
	var prevAuth *authIndex
	if prev != nil {
		prevAuth = prev.auth
	}
	var auth *authIndex
	if parts != nil {
		auth = parts.authIndex(cfg, s.now, prevAuth)
	} else {
		auth = newAuthIndex(cfg, s.now, prevAuth)
	}
	sn := &snapshot{cfg: cfg, hash: hash, loaded: now, auth: auth, parts: parts, upstreams: map[string]*upstream{},
		byName:  map[string]*catalogueEntry{},
		maxBody: cfg.Server.MaxRequestBodyBytes, maxInFlight: int64(cfg.Server.MaxInFlight),
		readTimeout: cfg.Server.ReadTimeout.Duration, writeTimeout: cfg.Server.WriteTimeout.Duration}
	for i := range cfg.Providers {
		p := &cfg.Providers[i]
		up, err := s.buildUpstream(p)
		if err != nil {
			return nil, err
		}
		sn.upstreams[p.Name] = up
	}
	if parts != nil {
		if err := parts.useBYOK(sn); err != nil {
			return nil, err
		}
	} else if err := sn.buildBYOK(); err != nil {
		return nil, err
	}
	sn.buildCatalogue(cfg)
	sn.mcp = s.buildMCP(cfg)
	rt, err := s.buildRouter(cfg, sn)
	if err != nil {
		return nil, err
	}
	sn.router = rt
	if sn.guards, err = buildGuards(cfg); err != nil {
		return nil, err
	}
	if sn.cache, err = buildResponseCache(cfg, prev); err != nil {
		return nil, err
	}
	if sn.responses, err = buildResponseStore(cfg, prev); err != nil {
		sn.cache.discard(prev)
		return nil, err
	}
	if sn.tracer, err = buildTracer(cfg, prev); err != nil {
		sn.responses.discard(prev)
		sn.cache.discard(prev)
		return nil, err
	}
	// The engine is built last: nothing after it can fail, so it never
	// needs closing here.
	if sn.limits, err = s.buildLimits(cfg, prev); err != nil {
		sn.responses.discard(prev)
		sn.cache.discard(prev)
		sn.tracer.Release()
		return nil, err
	}
	sn.responses.adopt()
	sn.cache.adopt()
	return sn, nil
}

func (s *Server) buildUpstream(p *config.Provider) (*upstream, error) {
	a, err := providers.New(p)
	if err != nil {
		return nil, err
	}
	up := &upstream{name: p.Name, vendor: p.Type, adapter: a, headers: newHeaderPolicy(p),
		connect: p.Timeouts.Connect.Duration, first: p.Timeouts.FirstToken.Duration,
		idle: p.Timeouts.Idle.Duration, request: p.Timeouts.Request.Duration}
	if t, ok := a.(providers.Transporter); ok {
		up.client = newClient(t.Transport())
	} else {
		up.client = newClient(s.transport(p))
	}
	if p.MaxConcurrentRequests > 0 {
		up.sem = make(chan struct{}, p.MaxConcurrentRequests)
	}
	for _, sec := range p.Secrets() {
		if *sec != "" {
			up.redacted = append(up.redacted, *sec)
		}
	}
	return up, nil
}

// transport returns the shared transport for a provider's connection
// settings, creating it once.
func (s *Server) transport(p *config.Provider) *http.Transport {
	key := transportKey(p)
	s.tmu.Lock()
	defer s.tmu.Unlock()
	if t, ok := s.transports[key]; ok {
		return t
	}
	t := newTransport(p)
	s.transports[key] = t
	return t
}

// pruneTransports closes the idle connections of transports the current
// config no longer uses and forgets them.
func (s *Server) pruneTransports(cfg *config.Config) {
	keep := map[string]bool{}
	for i := range cfg.Providers {
		keep[transportKey(&cfg.Providers[i])] = true
	}
	s.tmu.Lock()
	defer s.tmu.Unlock()
	for k, t := range s.transports {
		if !keep[k] {
			t.CloseIdleConnections()
			delete(s.transports, k)
		}
	}
}

func (sn *snapshot) buildCatalogue(cfg *config.Config) {
	for _, m := range cfg.Models {
		if _, dup := sn.byName[m.Name]; dup {
			continue
		}
		e := catalogueEntry{ID: m.Name, Object: "model", Created: sn.loaded.Unix(), OwnedBy: m.Provider,
			ContextWindow: m.ContextWindow, MaxOutput: m.MaxOutputTokens}
		if m.Pricing != (config.Pricing{}) {
			e.Pricing = &pricing{Prompt: perToken(m.Pricing.InputPerMillion), Completion: perToken(m.Pricing.OutputPerMillion),
				InputPerMillion: m.Pricing.InputPerMillion, OutputPerMillion: m.Pricing.OutputPerMillion}
		}
		for _, c := range m.Capabilities {
			e.Capabilities = append(e.Capabilities, strings.ToLower(string(c)))
		}
		if up, ok := sn.upstreams[m.Provider]; ok {
			e.SupportedParameters = m.SupportedParameters
			if len(e.SupportedParameters) == 0 {
				e.SupportedParameters = config.DefaultParameters(up.vendor)
			}
			if n, ok := up.adapter.(providers.Native); ok {
				e.NativeAPIs = n.NativeAPIs()
			}
		}
		sn.models = append(sn.models, e)
		sn.byName[m.Name] = &sn.models[len(sn.models)-1]
	}
	// config.Default put every exact route name in the catalogue.
	sort.SliceStable(sn.models, func(i, j int) bool { return sn.models[i].ID < sn.models[j].ID })
	for i := range sn.models {
		sn.byName[sn.models[i].ID] = &sn.models[i]
	}
}

func perToken(perMillion float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.12f", perMillion/1e6), "0"), ".")
}

// buildRouter compiles the routes; config.Default has already added the
// implicit route of every catalogue model, so routes are the one way to a
// backend.
func (s *Server) buildRouter(cfg *config.Config, sn *snapshot) (*router, error) {
	rt := &router{exact: map[string]*route{}}
	for i := range cfg.Routes {
		cr, err := s.compileRoute(cfg, sn, &cfg.Routes[i])
		if err != nil {
			return nil, err
		}
		if config.IsGlob(cr.model) {
			rt.globs = append(rt.globs, cr)
		} else if _, dup := rt.exact[cr.model]; !dup {
			rt.exact[cr.model] = cr
		}
	}
	return rt, nil
}

func (s *Server) compileRoute(cfg *config.Config, sn *snapshot, r *config.Route) (*route, error) {
	cr := &route{model: r.Model, strategy: r.Strategy, attempts: r.Retry.Attempts, retryOn: map[config.RetryOn]bool{},
		backoff: r.Retry.Backoff.Duration, maxCooldown: r.Retry.MaxCooldown.Duration, affinity: r.SessionAffinity}
	for _, o := range r.Retry.RetryOn {
		cr.retryOn[o] = true
	}
	tiers := map[int][]*backend{}
	var prios []int
	for _, b := range r.Backends {
		up, ok := sn.upstreams[b.Provider]
		if !ok {
			return nil, fmt.Errorf("route %q: unknown provider %q", r.Model, b.Provider)
		}
		model := b.UpstreamModel
		price := b.Pricing
		if price == (config.Pricing{}) {
			price = catalogPrice(cfg, b.Provider, model, r.Model)
		}
		label := b.Provider + "/" + model
		if model == "" {
			label = b.Provider + "/" + r.Model
		}
		be := &backend{label: label, up: up, model: model, weight: b.TrafficWeight(), pricing: price, state: s.state(label),
			params: backendParams(cfg, b, up.vendor, r.Model), hash: labelHash(label)}
		if _, seen := tiers[b.Priority]; !seen {
			prios = append(prios, b.Priority)
		}
		tiers[b.Priority] = append(tiers[b.Priority], be)
	}
	sort.Ints(prios)
	for _, p := range prios {
		cr.tiers = append(cr.tiers, tiers[p])
	}
	return cr, nil
}

func catalogPrice(cfg *config.Config, provider, upstreamModel, public string) config.Pricing {
	for _, m := range cfg.Models {
		if m.Provider == provider && (m.UpstreamModel == upstreamModel || (upstreamModel == "" && m.Name == public)) {
			return m.Pricing
		}
	}
	return config.Pricing{}
}

// state returns the lasting state of a backend label.
func (s *Server) state(label string) *backendState {
	if v, ok := s.states.Load(label); ok {
		return v.(*backendState)
	}
	v, _ := s.states.LoadOrStore(label, &backendState{})
	return v.(*backendState)
}
