package identity_test

import (
	"sync"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/identity"
	"github.com/tollgate-dev/tollgate/internal/identity/idptest"
)

// clock is a test clock that starts at the wall time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func issuerConfig(url, jwks string) config.Issuer {
	is := config.Issuer{Issuer: url, JWKSURL: jwks, Audiences: []string{"tollgate"}, AllowPrivateNetwork: true}
	is.Default()
	return is
}

func TestVerify(t *testing.T) {
	idp := idptest.Start(t)
	clk := &clock{t: time.Now()}
	for _, jwks := range []string{"", idp.URL + "/jwks"} {
		v := identity.New([]config.Issuer{issuerConfig(idp.URL, jwks)}, clk.now)
		tok := idp.Sign(t, idptest.Claims{Subject: "alice", Audience: "tollgate", Email: "Alice@Example.com", Groups: []string{"eng"}})
		id, err := v.Verify(t.Context(), tok)
		if err != nil {
			t.Fatalf("jwks %q: %v", jwks, err)
		}
		if id.Subject != "alice" || id.Email != "alice@example.com" || len(id.Groups) != 1 || id.Groups[0] != "eng" {
			t.Fatalf("identity %+v", id)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	idp := idptest.Start(t)
	other := idptest.Start(t)
	clk := &clock{t: time.Now()}
	v := identity.New([]config.Issuer{issuerConfig(idp.URL, "")}, clk.now)
	none, hmac := idp.Unsigned(t, idptest.Claims{Subject: "alice", Audience: "tollgate"})
	cases := map[string]string{
		"expired":        idp.Sign(t, idptest.Claims{Subject: "alice", Audience: "tollgate", Expiry: time.Now().Add(-time.Minute)}),
		"wrong audience": idp.Sign(t, idptest.Claims{Subject: "alice", Audience: "someone-else"}),
		"alg none":       none,
		"hmac":           hmac,
		"untrusted":      other.Sign(t, idptest.Claims{Subject: "alice", Audience: "tollgate"}),
		"forged issuer":  other.Sign(t, idptest.Claims{Subject: "alice", Audience: "tollgate", Issuer: idp.URL}),
		"no subject":     idp.Sign(t, idptest.Claims{Audience: "tollgate"}),
		"future iat":     idp.Sign(t, idptest.Claims{Subject: "alice", Audience: "tollgate", IssuedAt: time.Now().Add(time.Hour)}),
		"garbage":        "eyJhbGciOiJSUzI1NiJ9.e30.AAAA",
	}
	for name, tok := range cases {
		if id, err := v.Verify(t.Context(), tok); err == nil {
			t.Errorf("%s: verified as %+v", name, id)
		}
	}
}

func TestClockSkewAndCacheExpiry(t *testing.T) {
	idp := idptest.Start(t)
	clk := &clock{t: time.Now()}
	v := identity.New([]config.Issuer{issuerConfig(idp.URL, "")}, clk.now)
	tok := idp.Sign(t, idptest.Claims{Subject: "alice", Audience: "tollgate", Expiry: clk.now().Add(time.Minute)})
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Minute + config.DefaultIssuerClockSkew/2) // expired, within the skew
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("within the clock skew: %v", err)
	}
	clk.add(config.DefaultIssuerClockSkew) // beyond it: the cached entry is gone too
	if _, err := v.Verify(t.Context(), tok); err == nil {
		t.Fatal("an expired token beyond the skew was accepted")
	}
}

func TestRotation(t *testing.T) {
	idp := idptest.Start(t)
	clk := &clock{t: time.Now()}
	v := identity.New([]config.Issuer{issuerConfig(idp.URL, "")}, clk.now)
	old := idp.Sign(t, idptest.Claims{Subject: "alice", Audience: "tollgate"})
	if _, err := v.Verify(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	idp.Rotate(t, true)
	fresh := idp.Sign(t, idptest.Claims{Subject: "bob", Audience: "tollgate"})
	// Within MinRefetch of the last read the unknown kid is not fetched.
	if _, err := v.Verify(t.Context(), fresh); err == nil {
		t.Fatal("a token of an unknown kid verified without a key-set read")
	}
	fetches := idp.Fetches()
	clk.add(identity.MinRefetch)
	if _, err := v.Verify(t.Context(), fresh); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
	if idp.Fetches() != fetches+1 {
		t.Fatalf("key set read %d times for one unknown kid", idp.Fetches()-fetches)
	}
	// The retired key's token stays valid while cached (until it expires).
	if _, err := v.Verify(t.Context(), old); err != nil {
		t.Fatalf("cached token of a retired key: %v", err)
	}
	// Tokens naming random kids cost no more reads within MinRefetch.
	other := idptest.Start(t)
	forged := other.Sign(t, idptest.Claims{Subject: "mallory", Audience: "tollgate", Issuer: idp.URL})
	for range 20 {
		if _, err := v.Verify(t.Context(), forged); err == nil {
			t.Fatal("forged token verified")
		}
	}
	if idp.Fetches() != fetches+1 {
		t.Fatalf("forged kids caused %d key-set reads", idp.Fetches()-fetches-1)
	}
}

func TestSSRFGuard(t *testing.T) {
	idp := idptest.Start(t)
	cfg := issuerConfig(idp.URL, "")
	cfg.AllowPrivateNetwork = false
	v := identity.New([]config.Issuer{cfg}, time.Now)
	if _, err := v.Verify(t.Context(), idp.Sign(t, idptest.Claims{Subject: "alice", Audience: "tollgate"})); err == nil {
		t.Fatal("the key set was read from 127.0.0.1 without allowPrivateNetwork")
	}
	if idp.Fetches() != 0 {
		t.Fatal("the JWKS was fetched through the guard")
	}
}
