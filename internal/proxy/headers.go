package proxy

import (
	"net/http"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// Client headers reach an upstream on an allow-list: what the official
// OpenAI and Anthropic SDKs send that a vendor acts on. Everything else —
// X-Forwarded-For, X-Real-Ip, Forwarded, Via, tracing, the SDKs' own
// X-Stainless-* telemetry (it describes the client's SDK and its retries
// of the gateway, not the gateway's request), any other X-* — stays at
// the gateway unless the provider lists it in forwardHeaders.
var (
	// forwardedToAll go to every vendor (adapters set their own
	// Content-Type and Accept over the client's where the wire needs it).
	// The headers a vendor's API defines go only to that vendor: each
	// registers its own (providers.Vendor.ForwardHeaders).
	forwardedToAll = []string{"Accept", "Content-Type", "User-Agent", "Idempotency-Key"}
)

// headerPolicy is which client headers go to one provider.
type headerPolicy struct {
	names    map[string]bool // canonical names
	prefixes []string        // canonical prefixes (forwardHeaders "X-Mock-*")
}

func newHeaderPolicy(p *config.Provider) headerPolicy {
	hp := headerPolicy{names: map[string]bool{}}
	for _, h := range forwardedToAll {
		hp.names[h] = true
	}
	v, _ := providers.Lookup(p.Type)
	for _, h := range v.ForwardHeaders {
		hp.names[http.CanonicalHeaderKey(h)] = true
	}
	for _, h := range p.ForwardHeaders {
		if name, ok := strings.CutSuffix(h, "*"); ok {
			hp.prefixes = append(hp.prefixes, http.CanonicalHeaderKey(name))
		} else {
			hp.names[http.CanonicalHeaderKey(h)] = true
		}
	}
	return hp
}

func (hp headerPolicy) allows(name string) bool {
	if hp.names[name] {
		return true
	}
	for _, p := range hp.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// forward returns the client's headers this provider may be sent: those
// allowed, never one config.NeverForwarded names or the client's
// Connection header lists (hop-by-hop by declaration).
func (hp headerPolicy) forward(src http.Header) http.Header {
	dst := make(http.Header, 4)
	conn := src["Connection"]
	for k, v := range src {
		if len(v) == 0 || !hp.allows(k) || config.NeverForwarded(k) {
			continue
		}
		if len(conn) > 0 && listedIn(conn, k) {
			continue
		}
		dst[k] = v
	}
	return dst
}
