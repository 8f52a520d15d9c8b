package proxy

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/availability"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// endpointsSuffix ends GET /v1/models/{id}/endpoints.
const endpointsSuffix = "/endpoints"

// modelEndpoints is the answer of GET /v1/models/{id}/endpoints, in
// OpenRouter's shape: the public model and the backends its route would
// use, in route order.
type modelEndpoints struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Created   int64      `json:"created"`
	Endpoints []endpoint `json:"endpoints"`
}

// endpoint is one backend. OpenRouter's fields first (uptime in percent,
// latency in milliseconds, throughput in tokens/s, each over the window
// and null when nothing was measured), then Tollgate's own in stats.
type endpoint struct {
	Name                string           `json:"name"`
	ModelName           string           `json:"model_name"`
	ProviderName        string           `json:"provider_name"`
	Tag                 string           `json:"tag"`
	ContextLength       *int64           `json:"context_length"`
	MaxCompletionTokens *int64           `json:"max_completion_tokens"`
	Pricing             *endpointPricing `json:"pricing"`
	Uptime              *float64         `json:"uptime_last_30m"`
	Latency             *percentiles     `json:"latency_last_30m"`
	Throughput          *percentiles     `json:"throughput_last_30m"`
	Stats               endpointStats    `json:"stats"`
	SupportedParameters []string         `json:"supported_parameters,omitempty"`
}

type endpointPricing struct {
	Prompt          string `json:"prompt"`
	Completion      string `json:"completion"`
	InputCacheRead  string `json:"input_cache_read,omitempty"`
	InputCacheWrite string `json:"input_cache_write,omitempty"`
}

type percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95,omitempty"`
}

// endpointStats are the window's figures beyond OpenRouter's.
type endpointStats struct {
	Backend        string            `json:"backend"`
	Priority       int               `json:"priority"`
	Weight         int               `json:"weight"`
	WindowSeconds  float64           `json:"window_seconds"`
	Requests       uint64            `json:"requests"`
	Succeeded      uint64            `json:"succeeded"`
	SuccessRate    *float64          `json:"success_rate"`
	TTFT           *percentiles      `json:"ttft_ms"`
	TokensPerSec   *float64          `json:"tokens_per_second"`
	Errors         map[string]uint64 `json:"errors,omitempty"`
	LastError      *time.Time        `json:"last_error_at,omitempty"`
	LastErrorClass string            `json:"last_error_class,omitempty"`
	CoolingDown    bool              `json:"cooling_down"`
}

// serveEndpoints answers GET /v1/models/{id}/endpoints for a model the
// caller may use and a route serves.
func (s *Server) serveEndpoints(w http.ResponseWriter, r *http.Request, sn *snapshot, id string) {
	cons, ok := s.authenticated(w, r, sn, writeError)
	if !ok {
		return
	}
	rt := sn.router.match(id)
	if rt == nil || !cons.allows(id) {
		writeError(w, modelNotFound("model", id))
		return
	}
	out := modelEndpoints{ID: id, Name: id, Created: sn.loaded.Unix(), Endpoints: []endpoint{}}
	now := time.Now()
	for prio, tier := range rt.tiers {
		for _, b := range tier {
			if b.weight <= 0 {
				continue // drained: no request goes there
			}
			out.Endpoints = append(out.Endpoints, sn.endpointOf(b, id, prio, s.avail.Lookup(b.label).Stats(now), now))
		}
	}
	body, err := json.Marshal(map[string]any{"data": out})
	if err != nil {
		writeError(w, serverError(http.StatusInternalServerError, "", "encoding the endpoints failed", 0))
		return
	}
	_ = writeAnswer(w, http.StatusOK, body)
}

// endpointOf describes backend b serving public model id.
func (sn *snapshot) endpointOf(b *backend, id string, prio int, st availability.Stats, now time.Time) endpoint {
	upstream := b.upstreamModel(id)
	e := endpoint{Name: b.up.name + " | " + upstream, ModelName: upstream, ProviderName: b.up.name, Tag: strings.ToLower(string(b.up.vendor)),
		Stats: endpointStats{Backend: b.label, Priority: prio, Weight: b.weight, WindowSeconds: st.Window.Seconds(),
			Requests: st.Requests, Succeeded: st.Succeeded, Errors: st.Errors, LastErrorClass: st.LastErrorClass,
			CoolingDown: b.state.cooling(now.UnixNano())}}
	if m := sn.catalogueModel(b, id); m != nil {
		e.ContextLength, e.MaxCompletionTokens = positive(m.ContextWindow), positive(m.MaxOutputTokens)
	}
	if p := sn.priceOf(b, id); p != (config.Pricing{}) {
		e.Pricing = &endpointPricing{Prompt: perToken(p.InputPerMillion), Completion: perToken(p.OutputPerMillion)}
		if p.CachedInputPerMillion > 0 {
			e.Pricing.InputCacheRead = perToken(p.CachedInputPerMillion)
		}
		if p.CacheWritePerMillion > 0 {
			e.Pricing.InputCacheWrite = perToken(p.CacheWritePerMillion)
		}
	}
	if st.SuccessRate >= 0 {
		up := round(st.SuccessRate*100, 2)
		rate := round(st.SuccessRate, 4)
		e.Uptime, e.Stats.SuccessRate = &up, &rate
	}
	if st.LatencyP50 > 0 {
		e.Latency = &percentiles{P50: ms(st.LatencyP50), P95: ms(st.LatencyP95)}
	}
	if st.TTFTP50 > 0 {
		e.Stats.TTFT = &percentiles{P50: ms(st.TTFTP50), P95: ms(st.TTFTP95)}
	}
	if st.ThroughputP50 > 0 {
		e.Throughput = &percentiles{P50: round(st.ThroughputP50, 1)}
		tps := round(st.Throughput, 1)
		e.Stats.TokensPerSec = &tps
	}
	if !st.LastError.IsZero() {
		t := st.LastError.UTC()
		e.Stats.LastError = &t
	}
	return e
}

// catalogueModel is the catalogue entry of b's provider serving the
// upstream model b sends for public, else the public model's own entry.
func (sn *snapshot) catalogueModel(b *backend, public string) *config.Model {
	upstream := b.upstreamModel(public)
	var byName *config.Model
	for i := range sn.cfg.Models {
		m := &sn.cfg.Models[i]
		if m.Provider == b.up.name && (m.UpstreamModel == upstream || m.Name == upstream) {
			return m
		}
		if m.Name == public && byName == nil {
			byName = m
		}
	}
	return byName
}

func positive(n int64) *int64 {
	if n <= 0 {
		return nil
	}
	return &n
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 1) }

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}
