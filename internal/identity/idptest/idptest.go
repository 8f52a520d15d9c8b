// Package idptest is a test OIDC issuer on 127.0.0.1: it serves a
// discovery document and a JWKS, signs tokens with its current key (RS256
// through go-jose) and rotates keys on demand.
package idptest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is a running test issuer.
type Issuer struct {
	URL string
	srv *httptest.Server

	mu      sync.Mutex
	keys    []*rsa.PrivateKey // published; the last one signs
	kids    []string
	n       int
	fetches atomic.Int64
}

// Start serves an issuer with one key until the test ends.
func Start(t testing.TB) *Issuer {
	t.Helper()
	is := &Issuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/jwks",
			"authorization_endpoint": is.URL + "/auth", "token_endpoint": is.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		is.fetches.Add(1)
		_ = json.NewEncoder(w).Encode(is.JWKS())
	})
	is.srv = httptest.NewServer(mux)
	is.URL = is.srv.URL
	t.Cleanup(is.srv.Close)
	is.Rotate(t, false)
	return is
}

// Fetches is how many times the JWKS was read.
func (is *Issuer) Fetches() int64 { return is.fetches.Load() }

// Rotate adds a new signing key; with retire, the previous keys are no
// longer published.
func (is *Issuer) Rotate(t testing.TB, retire bool) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.n++
	if retire {
		is.keys, is.kids = nil, nil
	}
	is.keys = append(is.keys, k)
	is.kids = append(is.kids, fmt.Sprintf("key-%d", is.n))
}

// JWKS is the published key set.
func (is *Issuer) JWKS() jose.JSONWebKeySet {
	is.mu.Lock()
	defer is.mu.Unlock()
	var set jose.JSONWebKeySet
	for i, k := range is.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: is.kids[i], Algorithm: "RS256", Use: "sig"})
	}
	return set
}

// Claims are a token's claims; zero times are filled from now.
type Claims struct {
	Subject  string
	Audience string
	Email    string
	Groups   []string
	Issuer   string // default the issuer's URL
	Expiry   time.Time
	IssuedAt time.Time
}

// Sign returns a token signed with the current key.
func (is *Issuer) Sign(t testing.TB, c Claims) string {
	t.Helper()
	is.mu.Lock()
	key, kid := is.keys[len(is.keys)-1], is.kids[len(is.kids)-1]
	is.mu.Unlock()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	return Build(t, sig, is.claims(c))
}

func (is *Issuer) claims(c Claims) map[string]any {
	now := time.Now()
	if c.Issuer == "" {
		c.Issuer = is.URL
	}
	if c.Expiry.IsZero() {
		c.Expiry = now.Add(time.Hour)
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now.Add(-time.Minute)
	}
	m := map[string]any{"iss": c.Issuer, "sub": c.Subject, "aud": c.Audience,
		"exp": c.Expiry.Unix(), "iat": c.IssuedAt.Unix()}
	if c.Email != "" {
		m["email"], m["email_verified"] = c.Email, true
	}
	if c.Groups != nil {
		m["groups"] = c.Groups
	}
	return m
}

// Build serialises claims signed by sig.
func Build(t testing.TB, sig jose.Signer, claims map[string]any) string {
	t.Helper()
	tok, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Unsigned returns the claims as a token with alg "none" and an empty
// signature, and as the same token signed with HMAC over the key "k".
func (is *Issuer) Unsigned(t testing.TB, c Claims) (none, hmac string) {
	t.Helper()
	claims, err := json.Marshal(is.claims(c))
	if err != nil {
		t.Fatal(err)
	}
	none = b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(string(claims)) + "."
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("k-k-k-k-k-k-k-k-k-k-k-k-k-k-k-k-")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return none, Build(t, sig, is.claims(c))
}
