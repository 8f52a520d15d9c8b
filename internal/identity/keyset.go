package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// Algorithms are the signature algorithms accepted: asymmetric only, so
// "none" and HMAC tokens (signed with a guessable or public secret) are
// refused by go-jose before any key is looked at.
var Algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// maxJWKSBytes bounds a key set or discovery document read.
const maxJWKSBytes = 1 << 20

// MinRefetch is the least time between two key-set reads caused by an
// unknown kid, so tokens naming random kids cannot make the gateway hammer
// the issuer.
const MinRefetch = 10 * time.Second

// keySet is an issuer's JWKS, read through the SSRF-guarded client: on
// first use, every refresh interval, and when a token names a kid it does
// not hold (a rotation), at most once per MinRefetch. It implements
// oidc.KeySet.
type keySet struct {
	issuer  string
	jwksURL string // "" until discovered
	client  *http.Client
	refresh time.Duration
	now     func() time.Time

	mu      sync.Mutex
	keys    jose.JSONWebKeySet
	fetched time.Time // last successful read
	tried   time.Time // last read attempt
}

func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, Algorithms)
	if err != nil {
		return nil, fmt.Errorf("parsing the token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("the token must carry one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, err := k.lookup(ctx, kid)
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		if payload, err := jws.Verify(key); err == nil {
			return payload, nil
		}
	}
	return nil, errors.New("no key of the issuer verifies the token's signature")
}

// lookup returns the keys a token's kid may name (all public keys when
// it names none), reading the set again when it is stale or lacks kid.
func (k *keySet) lookup(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	keys := k.match(kid)
	stale := k.fetched.IsZero() || now.Sub(k.fetched) >= k.refresh
	if (stale || len(keys) == 0) && (k.tried.IsZero() || now.Sub(k.tried) >= MinRefetch) {
		k.tried = now
		if err := k.fetch(ctx); err != nil {
			if len(keys) == 0 {
				return nil, err
			}
			// A failed refresh keeps the keys it had.
			return keys, nil
		}
		k.fetched = now
		keys = k.match(kid)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("the issuer's key set has no key %q", kid)
	}
	return keys, nil
}

func (k *keySet) match(kid string) []jose.JSONWebKey {
	if kid != "" {
		return k.keys.Key(kid)
	}
	return k.keys.Keys
}

func (k *keySet) fetch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.client.Timeout)
	defer cancel()
	if k.jwksURL == "" {
		p, err := oidc.NewProvider(oidc.ClientContext(ctx, k.client), k.issuer)
		if err != nil {
			return fmt.Errorf("discovering issuer %s: %w", k.issuer, err)
		}
		var doc struct {
			JWKSURL string `json:"jwks_uri"`
		}
		if err := p.Claims(&doc); err != nil || doc.JWKSURL == "" {
			return fmt.Errorf("issuer %s's discovery document names no jwks_uri", k.issuer)
		}
		k.jwksURL = doc.JWKSURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.jwksURL, nil)
	if err != nil {
		return fmt.Errorf("reading the key set of %s: %w", k.issuer, err)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("reading the key set of %s: %w", k.issuer, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reading the key set of %s: status %d", k.issuer, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil || len(body) > maxJWKSBytes {
		return fmt.Errorf("reading the key set of %s: unreadable or larger than %d bytes", k.issuer, maxJWKSBytes)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("reading the key set of %s: %w", k.issuer, err)
	}
	pub := set.Keys[:0]
	for _, key := range set.Keys {
		if key.Valid() && key.IsPublic() && key.Use != "enc" {
			pub = append(pub, key)
		}
	}
	k.keys = jose.JSONWebKeySet{Keys: pub}
	return nil
}
