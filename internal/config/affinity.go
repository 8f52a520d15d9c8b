package config

import (
	"slices"
	"strings"
)

// SessionAffinityMode says how a route places the requests of one
// conversation (see the API's SessionAffinity).
type SessionAffinityMode string

// Session affinity modes.
const (
	// AffinitySession keeps the requests that carry one session key on one
	// backend of a tier while it is healthy (a weighted rendezvous hash).
	AffinitySession SessionAffinityMode = "Session"
	// AffinityNone lets the strategy choose per request.
	AffinityNone SessionAffinityMode = "None"
)

// DefaultSessionAffinity is a route's mode when none is set.
const DefaultSessionAffinity = AffinitySession

// SessionAffinity keeps the requests of one conversation on one backend.
type SessionAffinity struct {
	Mode SessionAffinityMode `json:"mode,omitempty"`
	// Header is a request header read as the session key before the
	// built-in sources; "" for none.
	Header string `json:"header,omitempty"`
}

// credentialHeaders are refused as session-key headers: a credential must
// not be hashed into placement (the CRD refuses the same list).
var credentialHeaders = []string{"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie"}

func (a SessionAffinity) validate(v *validator, field string) {
	if a.Mode != AffinitySession && a.Mode != AffinityNone {
		v.bad(field+".mode", "unsupported value %q", a.Mode)
	}
	if a.Header == "" {
		return
	}
	if a.Mode == AffinityNone {
		v.bad(field+".header", "header is only read when mode is Session")
	}
	if len(a.Header) > 256 || !isToken(a.Header) {
		v.bad(field+".header", "%q is not a header name", a.Header)
	} else if slices.Contains(credentialHeaders, strings.ToLower(a.Header)) {
		v.bad(field+".header", "a credential header cannot be the session key")
	}
}
