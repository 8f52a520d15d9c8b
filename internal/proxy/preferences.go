package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// HeaderProvider names the provider (AIGateway provider name) whose
// backend served the answer.
const HeaderProvider = "X-Tollgate-Provider"

// HeaderUpstreamModel names the vendor's model that served the answer;
// the answer's own "model" is the public name the client asked for.
const HeaderUpstreamModel = "X-Tollgate-Upstream-Model"

// routingMembers are OpenRouter's per-request routing members: read by the
// gateway and removed from the body before anything else judges it, so
// no upstream ever sees them.
var routingMembers = []string{"provider", "models", "usage"}

// routing is what a request asked of the gateway's routing: its provider
// preferences (nil when none), its fallback models, and whether it asked
// for usage accounting (OpenRouter's usage: {include: true}).
type routing struct {
	prefs  *providerPrefs
	models []string
	usage  bool
}

// providerPrefs is OpenRouter's "provider" object, the part Tollgate
// honours: it only restricts and orders the backends the route (and so
// the AIGateway) already has.
type providerPrefs struct {
	Order          []string `json:"order"`
	AllowFallbacks *bool    `json:"allow_fallbacks"`
	Only           []string `json:"only"`
	Ignore         []string `json:"ignore"`
	Sort           string   `json:"sort"`
	// MaxPrice keeps the backends whose price is known and within it
	// (USD per million prompt and completion tokens).
	MaxPrice json.RawMessage `json:"max_price"`
	maxPrice *maxPrice
	// RequireParameters keeps only the backends that honour every
	// parameter the request sets (sent).
	RequireParameters bool `json:"require_parameters"`
	sent              []string
}

// Model variant suffixes, shorthands for a sort.
var variantSort = map[string]string{":floor": "price", ":nitro": "throughput"}

// takeRouting strips the routing members from a client body and decodes
// them; the body returned is what is parsed and sent upstream.
func takeRouting(body []byte) ([]byte, *routing, *apiError) {
	rq := &routing{}
	if !bytes.Contains(body, []byte(`"provider"`)) && !bytes.Contains(body, []byte(`"models"`)) && !bytes.Contains(body, []byte(`"usage"`)) {
		return body, rq, nil
	}
	if aerr := checkJSON(body); aerr != nil {
		return nil, nil, aerr
	}
	out, found, err := openai.Strip(body, routingMembers...)
	if err != nil {
		return nil, nil, invalidBody(err)
	}
	if raw, ok := found["models"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &rq.models); err != nil {
			return nil, nil, badRequest("\"models\" must be a list of model names.", "models")
		}
		if len(rq.models) > maxFallbackModels {
			return nil, nil, badRequest(fmt.Sprintf("\"models\" lists at most %d models.", maxFallbackModels), "models")
		}
		for _, m := range rq.models {
			if m == "" {
				return nil, nil, badRequest("\"models\" must not list an empty model name.", "models")
			}
		}
		if out, err = modelFromList(out, rq.models); err != nil {
			return nil, nil, invalidBody(err)
		}
	}
	if raw, ok := found["usage"]; ok && string(raw) != "null" {
		var u struct {
			Include bool `json:"include"`
		}
		if err := json.Unmarshal(raw, &u); err != nil {
			return nil, nil, badRequest("\"usage\" must be an object such as {\"include\": true}.", "usage")
		}
		rq.usage = u.Include
	}
	raw, ok := found["provider"]
	if !ok || string(raw) == "null" {
		return out, rq, nil
	}
	var p providerPrefs
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, nil, badRequest("\"provider\" must be an object of routing preferences: "+truncate(err.Error(), 200)+".", "provider")
	}
	if len(p.MaxPrice) > 0 && string(p.MaxPrice) != "null" {
		mp, aerr := parseMaxPrice(p.MaxPrice)
		if aerr != nil {
			return nil, nil, aerr
		}
		p.maxPrice = mp
	}
	switch p.Sort {
	case "", "price", "throughput", "latency":
	default:
		return nil, nil, badRequest("provider.sort must be \"price\", \"throughput\" or \"latency\".", "provider.sort")
	}
	if len(p.Order)+len(p.Only)+len(p.Ignore) > 64 {
		return nil, nil, badRequest("provider lists name at most 64 providers.", "provider")
	}
	rq.prefs = &p
	return out, rq, nil
}

// modelFromList names the first of models as the body's model when it
// has none (absent, null or ""), as OpenRouter does: "models" may stand
// alone, its first entry the model asked for.
func modelFromList(body []byte, models []string) ([]byte, error) {
	if len(models) == 0 {
		return body, nil
	}
	raw, err := openai.Member(body, "model")
	if err != nil {
		return nil, err
	}
	if s := string(raw); s != "" && s != "null" && s != `""` {
		return body, nil
	}
	name, _ := json.Marshal(models[0]) // a string: cannot fail
	return openai.SetMember(body, "model", name)
}

// splitVariant cuts a :floor or :nitro suffix off model, returning the
// sort it stands for.
func splitVariant(model string) (string, string) {
	for suf, s := range variantSort {
		if m, ok := strings.CutSuffix(model, suf); ok && m != "" {
			return m, s
		}
	}
	return model, ""
}

// names reports whether a provider preference names b: its provider's
// name, its vendor type, or its backend label (case-insensitive).
func names(list []string, b *backend) bool {
	for _, n := range list {
		if strings.EqualFold(n, b.up.name) || strings.EqualFold(n, string(b.up.vendor)) || strings.EqualFold(n, b.label) {
			return true
		}
	}
	return false
}

// apply returns rt restricted and ordered by the preferences: only and
// ignore drop backends, order puts the named ones first (each a tier of
// its own, in the order given; with allow_fallbacks false nothing else),
// sort orders every backend by price, latency or throughput from the
// availability window. It never adds a backend: the result's backends are
// a subset of rt's. nil when none is left.
func (p *providerPrefs) apply(rt *route, s *Server, sortBy string) *route {
	if rt == nil || (p == nil && sortBy == "") {
		return rt
	}
	if p == nil {
		p = &providerPrefs{}
	}
	if sortBy == "" {
		sortBy = p.Sort
	}
	var kept []*backend
	for _, tier := range rt.tiers {
		for _, b := range tier {
			if b.weight <= 0 || (len(p.Only) > 0 && !names(p.Only, b)) || names(p.Ignore, b) || (p.RequireParameters && !b.supports(p.sent)) ||
				!p.maxPrice.admits(b.pricing) {
				continue
			}
			kept = append(kept, b)
		}
	}
	var tiers [][]*backend
	if len(p.Order) > 0 {
		var rest []*backend
		for _, n := range p.Order {
			for _, b := range kept {
				if names([]string{n}, b) && !inTiers(tiers, b) {
					tiers = append(tiers, []*backend{b})
				}
			}
		}
		for _, b := range kept {
			if !inTiers(tiers, b) {
				rest = append(rest, b)
			}
		}
		if p.AllowFallbacks == nil || *p.AllowFallbacks {
			tiers = append(tiers, regroup(rt, rest)...)
		}
	} else if sortBy != "" {
		now := time.Now()
		score := func(b *backend) float64 {
			switch sortBy {
			case "price":
				return b.pricing.InputPerMillion + b.pricing.OutputPerMillion
			case "latency":
				if st := s.avail.Lookup(b.label).Stats(now); st.LatencyP50 > 0 {
					return float64(st.LatencyP50)
				}
			case "throughput":
				if st := s.avail.Lookup(b.label).Stats(now); st.ThroughputP50 > 0 {
					return -st.ThroughputP50
				}
			}
			return math.Inf(1) // unmeasured last
		}
		sort.SliceStable(kept, func(i, j int) bool { return score(kept[i]) < score(kept[j]) })
		for _, b := range kept {
			tiers = append(tiers, []*backend{b})
		}
	} else {
		tiers = regroup(rt, kept)
	}
	if p.AllowFallbacks != nil && !*p.AllowFallbacks && len(tiers) > 1 && len(p.Order) == 0 {
		tiers = tiers[:1]
	}
	if len(tiers) == 0 {
		return nil
	}
	out := *rt
	out.tiers = tiers
	return &out
}

// regroup keeps the route's own tiers for the backends in keep.
func regroup(rt *route, keep []*backend) [][]*backend {
	var out [][]*backend
	for _, tier := range rt.tiers {
		var t []*backend
		for _, b := range tier {
			for _, k := range keep {
				if k == b {
					t = append(t, b)
				}
			}
		}
		if len(t) > 0 {
			out = append(out, t)
		}
	}
	return out
}

func inTiers(tiers [][]*backend, b *backend) bool {
	for _, t := range tiers {
		for _, x := range t {
			if x == b {
				return true
			}
		}
	}
	return false
}

// errNoPreferredBackend answers provider preferences that leave none of
// the route's backends.
func errNoPreferredBackend(model string) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "no_provider_matches", Param: "provider",
		Message: "No backend of the model '" + truncate(model, 128) + "' matches the request's provider preferences (only, ignore, order with allow_fallbacks false)."}
}
