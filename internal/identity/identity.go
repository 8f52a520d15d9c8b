// Package identity verifies OIDC/JWT bearer tokens of the issuers an
// AIGateway trusts (go-oidc and go-jose do the parsing and the signature
// checks) and maps a verified identity to the Consumer that stands for it.
package identity

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/netguard"
)

// Identity is a verified token's subject and the claims consumers match.
type Identity struct {
	Issuer  string
	Subject string
	// Email is set only when the token does not say email_verified: false.
	Email  string
	Groups []string
	Expiry time.Time
}

// ErrNotTrusted is returned for a token of an issuer the gateway does not trust.
var ErrNotTrusted = errors.New("the token's issuer is not trusted")

// fetchTimeout bounds a discovery or key-set read.
const fetchTimeout = 5 * time.Second

// DefaultCacheSize bounds the verified-token cache.
const DefaultCacheSize = 10000

// Verifier verifies tokens of a set of issuers and caches the verified
// ones until they expire.
type Verifier struct {
	issuers map[string]*issuer
	now     func() time.Time
	cache   *cache
}

type issuer struct {
	cfg      config.Issuer
	verifier *oidc.IDTokenVerifier
}

// New returns a Verifier of the (defaulted) issuers; now is the clock.
// Nothing is fetched until a token of an issuer is presented.
func New(issuers []config.Issuer, now func() time.Time) *Verifier {
	v := &Verifier{issuers: map[string]*issuer{}, now: now, cache: newCache(DefaultCacheSize)}
	algs := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		algs[i] = string(a)
	}
	for _, cfg := range issuers {
		ks := &keySet{issuer: cfg.Issuer, jwksURL: cfg.JWKSURL, client: netguard.Client(cfg.AllowPrivateNetwork, fetchTimeout),
			refresh: cfg.JWKSRefresh.Duration, now: now}
		skew := cfg.ClockSkew.Duration
		v.issuers[cfg.Issuer] = &issuer{cfg: cfg, verifier: oidc.NewVerifier(cfg.Issuer, ks, &oidc.Config{
			SkipClientIDCheck:    true, // audiences are checked against the list below
			SupportedSigningAlgs: algs,
			Now:                  func() time.Time { return now().Add(-skew) },
		})}
	}
	return v
}

// LooksLikeJWT reports whether a presented credential is shaped like a
// compact JWS (three base64url parts, a JSON header), not a consumer key.
func LooksLikeJWT(s string) bool {
	return strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") == 2
}

// Verify returns the identity of a valid token: signed by a key of a
// trusted issuer's key set with an accepted algorithm, for one of the
// issuer's audiences, not expired (within the clock skew) and not used
// before its nbf/iat.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Identity, error) {
	now := v.now()
	key := sha256.Sum256([]byte(raw))
	if id := v.cache.get(key, now); id != nil {
		return id, nil
	}
	// The issuer is read from the unverified claims only to pick the key
	// set the token is then verified against.
	tok, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil {
		return nil, fmt.Errorf("parsing the token: %w", err)
	}
	var head jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&head); err != nil {
		return nil, fmt.Errorf("reading the token's claims: %w", err)
	}
	is := v.issuers[head.Issuer]
	if is == nil {
		return nil, ErrNotTrusted
	}
	t, err := is.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verifying the token: %w", err)
	}
	if !slices.ContainsFunc(t.Audience, func(a string) bool { return slices.Contains(is.cfg.Audiences, a) }) {
		return nil, errors.New("the token is for another audience")
	}
	skew := is.cfg.ClockSkew.Duration
	if !t.IssuedAt.IsZero() && t.IssuedAt.After(now.Add(skew)) {
		return nil, errors.New("the token was issued in the future")
	}
	if t.Subject == "" {
		return nil, errors.New("the token has no subject")
	}
	var claims map[string]any
	if err := t.Claims(&claims); err != nil {
		return nil, fmt.Errorf("reading the token's claims: %w", err)
	}
	id := &Identity{Issuer: t.Issuer, Subject: t.Subject, Expiry: t.Expiry.Add(skew), Groups: stringsClaim(claims[is.cfg.GroupsClaim])}
	if email, ok := claims["email"].(string); ok {
		if verified, ok := claims["email_verified"].(bool); !ok || verified {
			id.Email = strings.ToLower(email)
		}
	}
	if t.Expiry.IsZero() {
		// A token that never expires is verified on every use, never cached.
		return id, nil
	}
	v.cache.put(key, id, now)
	return id, nil
}

// stringsClaim reads a claim that is a string or a list of strings.
func stringsClaim(c any) []string {
	switch c := c.(type) {
	case string:
		return []string{c}
	case []any:
		out := make([]string, 0, len(c))
		for _, e := range c {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// cache holds verified identities by the SHA-256 of the token until
// their expiry, at most size of them.
type cache struct {
	mu   sync.RWMutex
	size int
	m    map[[32]byte]*Identity
}

func newCache(size int) *cache { return &cache{size: size, m: map[[32]byte]*Identity{}} }

func (c *cache) get(key [32]byte, now time.Time) *Identity {
	c.mu.RLock()
	id := c.m[key]
	c.mu.RUnlock()
	if id == nil || !now.Before(id.Expiry) {
		return nil
	}
	return id
}

func (c *cache) put(key [32]byte, id *Identity, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.size {
		for k, e := range c.m {
			if !now.Before(e.Expiry) {
				delete(c.m, k)
			}
		}
	}
	for k := range c.m {
		if len(c.m) < c.size {
			break
		}
		delete(c.m, k)
	}
	c.m[key] = id
}
