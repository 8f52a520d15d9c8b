package proxy

import (
	"math"
	"math/rand/v2"
	"path"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// router maps a public model to its route: exact names first, then globs
// in config order. A drained route (every backend has weight 0) is not
// served: the model falls to the next matching route, or is unknown.
type router struct {
	exact map[string]*route
	globs []*route
}

// all lists the routes, exact ones first.
func (rt *router) all() []*route {
	out := make([]*route, 0, len(rt.exact)+len(rt.globs))
	for _, r := range rt.exact {
		out = append(out, r)
	}
	return append(out, rt.globs...)
}

func (rt *router) match(model string) *route {
	if r, ok := rt.exact[model]; ok && !r.drained() {
		return r
	}
	for _, r := range rt.globs {
		if ok, _ := path.Match(r.model, model); ok && !r.drained() {
			return r
		}
	}
	return nil
}

// route is a compiled config.Route. A backend of weight 0 is drained: it
// stays in its tier (its state and metrics label survive) but no strategy
// picks it, so a tier whose backends all have weight 0 is skipped.
type route struct {
	model       string
	strategy    config.Strategy
	tiers       [][]*backend
	attempts    int
	retryOn     map[config.RetryOn]bool
	backoff     time.Duration
	maxCooldown time.Duration
	affinity    config.SessionAffinity
}

// backend is one (upstream, model) pair; its state outlives reloads.
type backend struct {
	label   string // provider/model, a bounded metric label
	up      *upstream
	model   string // upstream model; "" sends the public name
	weight  int
	pricing config.Pricing
	params  []string // the request parameters it honours (config.RequestParameters)
	state   *backendState
	hash    uint64 // labelHash(label), for session affinity
}

func (b *backend) upstreamModel(public string) string {
	if b.model == "" {
		return public
	}
	return b.model
}

// backendState is the passive health and load of a backend.
type backendState struct {
	inflight  atomic.Int64
	ewmaNanos atomic.Int64 // latency EWMA; 0 = never measured
	failures  atomic.Int32 // consecutive failures
	coolUntil atomic.Int64 // unix nanos
	rateLimit atomic.Bool  // cooldown is from a 429 (else from failures)
}

const ewmaWeight = 0.2

// observe records a successful attempt's latency to the first byte.
func (s *backendState) observe(d time.Duration) {
	s.failures.Store(0)
	for {
		old := s.ewmaNanos.Load()
		nv := int64(d)
		if old != 0 {
			nv = int64(float64(old)*(1-ewmaWeight) + float64(d)*ewmaWeight)
		}
		if s.ewmaNanos.CompareAndSwap(old, nv) {
			return
		}
	}
}

// coolDown ejects the backend until now+d unless it already is longer.
func (s *backendState) coolDown(now time.Time, d time.Duration, rateLimited bool) {
	until := now.Add(d).UnixNano()
	for {
		old := s.coolUntil.Load()
		if old >= until {
			return
		}
		if s.coolUntil.CompareAndSwap(old, until) {
			s.rateLimit.Store(rateLimited)
			return
		}
	}
}

func (s *backendState) cooling(now int64) bool { return s.coolUntil.Load() > now }

// drained reports whether no backend of r has a positive weight.
func (r *route) drained() bool {
	for _, tier := range r.tiers {
		for _, b := range tier {
			if b.weight > 0 {
				return false
			}
		}
	}
	return true
}

// picker chooses backends for one request's attempts.
type picker struct {
	r       *route
	tried   []*backend
	session affinity
}

// next returns the backend for the next attempt: the first tier with an
// untried backend that is not cooling down, then tried ones again, then
// (panic mode) backends ejected for failures rather than for rate limits.
// With nothing left it returns nil and the earliest end of a cooldown.
func (p *picker) next(now time.Time) (*backend, time.Time) {
	n := now.UnixNano()
	var buf [8]*backend
	for pass := 0; pass < 3; pass++ {
		for _, tier := range p.r.tiers {
			cands := buf[:0]
			for _, b := range tier {
				if b.weight <= 0 {
					continue // drained
				}
				switch pass {
				case 0:
					if b.state.cooling(n) || p.wasTried(b) {
						continue
					}
				case 1:
					if b.state.cooling(n) {
						continue
					}
				case 2:
					if b.state.cooling(n) && b.state.rateLimit.Load() {
						continue
					}
				}
				cands = append(cands, b)
			}
			if len(cands) > 0 {
				b := choose(p.r, cands, p.session)
				p.tried = append(p.tried, b)
				return b, time.Time{}
			}
		}
	}
	earliest := int64(math.MaxInt64)
	for _, tier := range p.r.tiers {
		for _, b := range tier {
			if u := b.state.coolUntil.Load(); b.weight > 0 && u < earliest {
				earliest = u
			}
		}
	}
	return nil, time.Unix(0, earliest)
}

func (p *picker) wasTried(b *backend) bool {
	for _, t := range p.tried {
		if t == b {
			return true
		}
	}
	return false
}

// choose applies the route's strategy to candidates of one tier. A
// request with a session is placed by rendezvous hashing among them (for
// LowestCost, among the cheapest): the load-driven strategies give way to
// keeping the session's prompt cache warm.
func choose(r *route, cands []*backend, session affinity) *backend {
	if len(cands) == 1 {
		return cands[0]
	}
	if session.set {
		if r.strategy == config.StrategyLowestCost {
			cands = lowest(cands, price)
		}
		return rendezvous(session.h, cands)
	}
	switch r.strategy {
	case config.StrategyLeastBusy:
		return minBy(cands, func(b *backend) float64 { return float64(b.state.inflight.Load()) })
	case config.StrategyLeastLatency:
		// Unmeasured backends first, so every backend gets probed.
		return minBy(cands, func(b *backend) float64 { return float64(b.state.ewmaNanos.Load()) })
	case config.StrategyLowestCost:
		return minBy(cands, price)
	}
	return weighted(cands)
}

// price is a backend's list price, the LowestCost score.
func price(b *backend) float64 { return b.pricing.InputPerMillion + b.pricing.OutputPerMillion }

// minBy returns the candidate with the lowest score, ties broken by weight.
func minBy(cands []*backend, score func(*backend) float64) *backend {
	return weighted(lowest(cands, score))
}

// lowest returns the candidates with the lowest score.
func lowest(cands []*backend, score func(*backend) float64) []*backend {
	best := math.Inf(1)
	var ties [8]*backend
	tied := ties[:0]
	for _, b := range cands {
		s := score(b)
		switch {
		case s < best:
			best = s
			tied = append(tied[:0], b)
		case s == best:
			tied = append(tied, b)
		}
	}
	return tied
}

// weighted picks at random in proportion to weight.
func weighted(cands []*backend) *backend {
	if len(cands) == 1 {
		return cands[0]
	}
	total := 0
	for _, b := range cands {
		total += max(b.weight, 0)
	}
	if total <= 0 {
		return cands[rand.IntN(len(cands))]
	}
	x := rand.IntN(total)
	for _, b := range cands {
		x -= max(b.weight, 0)
		if x < 0 {
			return b
		}
	}
	return cands[len(cands)-1]
}

// backoff is the jittered exponential wait before retry n (1-based) of the
// same backend: base·2^(n-1), times a random factor in [0.5, 1.5), at most 5s.
func backoff(base time.Duration, n int) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base << min(n-1, 16)
	if d > 5*time.Second || d <= 0 {
		d = 5 * time.Second
	}
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}
