package config

import (
	"fmt"
	"net/url"
	"time"
)

// Defaults and bounds of Auth.Issuers (see Issuer).
const (
	DefaultIssuerClockSkew   = 30 * time.Second
	DefaultJWKSRefresh       = time.Hour
	DefaultGroupsClaim       = "groups"
	MaxIssuerClockSkew       = 5 * time.Minute
	MinJWKSRefresh           = time.Minute
	maxIssuers               = 16
	maxIssuerAudiences       = 16
	maxConsumerIdentities    = 256
	maxIdentityMatchValueLen = 512
)

// Default fills an issuer's zero clock skew, refresh and groups claim.
func (is *Issuer) Default() {
	orDefault(&is.ClockSkew, DefaultIssuerClockSkew)
	orDefault(&is.JWKSRefresh, DefaultJWKSRefresh)
	if is.GroupsClaim == "" {
		is.GroupsClaim = DefaultGroupsClaim
	}
}

func (a *Auth) validateIssuers(v *validator) map[string]bool {
	known := map[string]bool{}
	if len(a.Issuers) > maxIssuers {
		v.bad("auth.issuers", "%d issuers: at most %d", len(a.Issuers), maxIssuers)
	}
	for i, is := range a.Issuers {
		field := fmt.Sprintf("auth.issuers[%d]", i)
		if !httpsURL(is.Issuer, is.AllowPrivateNetwork) {
			v.bad(field+".issuer", "%q is not an https URL", is.Issuer)
		}
		if known[is.Issuer] {
			v.bad(field+".issuer", "duplicate issuer %q", is.Issuer)
		}
		known[is.Issuer] = true
		if is.JWKSURL != "" && !httpsURL(is.JWKSURL, is.AllowPrivateNetwork) {
			v.bad(field+".jwksURL", "%q is not an https URL", is.JWKSURL)
		}
		if len(is.Audiences) == 0 || len(is.Audiences) > maxIssuerAudiences {
			v.bad(field+".audiences", "%d audiences: want 1 to %d", len(is.Audiences), maxIssuerAudiences)
		}
		for j, aud := range is.Audiences {
			if aud == "" {
				v.bad(fmt.Sprintf("%s.audiences[%d]", field, j), "audience is empty")
			}
		}
		if d := is.ClockSkew.Duration; d < 0 || d > MaxIssuerClockSkew {
			v.bad(field+".clockSkew", "%s is out of range: want 0 to %s", d, MaxIssuerClockSkew)
		}
		if d := is.JWKSRefresh.Duration; d < MinJWKSRefresh {
			v.bad(field+".jwksRefresh", "%s is too short: at least %s", d, MinJWKSRefresh)
		}
	}
	return known
}

// httpsURL reports whether s is an absolute https URL with a host and no
// credentials; plain http is allowed only with allowPrivate (a test or
// in-cluster issuer).
func httpsURL(s string, allowPrivate bool) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	return u.Scheme == "https" || (allowPrivate && u.Scheme == "http")
}

func (cs *Consumer) validateIdentities(v *validator, field string, issuers map[string]bool) {
	if len(cs.Identities) > maxConsumerIdentities {
		v.bad(field+".identities", "%d identities: at most %d", len(cs.Identities), maxConsumerIdentities)
	}
	for j, m := range cs.Identities {
		f := fmt.Sprintf("%s.identities[%d]", field, j)
		set := 0
		for _, s := range []string{m.Subject, m.Email, m.Group} {
			if s != "" {
				set++
			}
			if len(s) > maxIdentityMatchValueLen {
				v.bad(f, "a match value is longer than %d bytes", maxIdentityMatchValueLen)
			}
		}
		if set != 1 {
			v.bad(f, "set exactly one of subject, email or group")
		}
		if m.Issuer != "" && !issuers[m.Issuer] {
			v.bad(f+".issuer", "%q is not an issuer of auth.issuers", m.Issuer)
		}
	}
	if len(cs.Identities) > 0 && len(issuers) == 0 {
		v.bad(field+".identities", "the gateway trusts no issuer (auth.issuers)")
	}
}
