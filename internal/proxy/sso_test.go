package proxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/identity"
	"github.com/tollgate-dev/tollgate/internal/identity/idptest"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// JWTs of a test issuer (discovery and JWKS served on 127.0.0.1) through
// the real proxy: identities map to consumers by subject, email and group
// (most specific wins), the subject is in the access log, keys keep
// working, a key rotation mid-run is followed, and expired, wrong-audience,
// unsigned, alg-none and HMAC tokens get the one bad-key 401 of each API.
func TestSSOThroughProxy(t *testing.T) {
	idp := idptest.Start(t)
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "m"})
	cfg.Auth.Issuers = []config.Issuer{{Issuer: idp.URL, Audiences: []string{"tollgate"}, AllowPrivateNetwork: true}}
	cfg.Consumers = append(cfg.Consumers,
		config.Consumer{Name: "team-eng", Identities: []config.IdentityMatch{{Group: "eng"}}},
		config.Consumer{Name: "alice", Identities: []config.IdentityMatch{{Issuer: idp.URL, Subject: "alice"}}},
		config.Consumer{Name: "bob", Identities: []config.IdentityMatch{{Email: "Bob@example.com"}}})
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	g := startGateway(t, cfg, func(o *Options) { o.Now = func() time.Time { return time.Unix(0, now.Load()) } })

	apis := []struct {
		name, path, body, header string
	}{
		{"chat", "/v1/chat/completions", chatBody(false, ""), "Authorization"},
		{"messages", messagesPath, `{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`, "X-Api-Key"},
		{"responses", responsesPath, `{"model":"m","input":"hi"}`, "Authorization"},
	}
	call := func(api int, tok string) (int, string) {
		a := apis[api]
		v := tok
		if a.header == "Authorization" {
			v = "Bearer " + tok
		}
		resp := g.do(t, http.MethodPost, a.path, "", a.body, map[string]string{a.header: v})
		return resp.StatusCode, readAll(t, resp)
	}
	lastLog := func() map[string]any {
		var line map[string]any
		for _, l := range strings.Split(strings.TrimSpace(g.logs.String()), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" {
				line = m
			}
		}
		return line
	}
	sign := func(c idptest.Claims) string {
		if c.Audience == "" {
			c.Audience = "tollgate"
		}
		return idp.Sign(t, c)
	}

	for _, tc := range []struct {
		claims            idptest.Claims
		consumer, subject string
	}{
		{idptest.Claims{Subject: "alice", Email: "alice@example.com", Groups: []string{"eng"}}, "alice", "alice"},
		{idptest.Claims{Subject: "u-bob", Email: "bob@example.com", Groups: []string{"eng"}}, "bob", "u-bob"},
		{idptest.Claims{Subject: "carol", Groups: []string{"sales", "eng"}}, "team-eng", "carol"},
	} {
		tok := sign(tc.claims)
		for i := range apis {
			if code, body := call(i, tok); code != http.StatusOK {
				t.Fatalf("%s as %s: %d %s", apis[i].name, tc.subject, code, body)
			}
			if l := lastLog(); l["consumer"] != tc.consumer || l["subject"] != tc.subject {
				t.Fatalf("%s as %s: access log consumer %v subject %v, want %s %s", apis[i].name, tc.subject, l["consumer"], l["subject"], tc.consumer, tc.subject)
			}
		}
	}
	t.Logf("access log of a JWT request: %s", lastLine(g.logs.String()))
	if code, body := g.doStatus(t, key); code != http.StatusOK {
		t.Fatalf("consumer key beside the issuer: %d %s", code, body)
	}
	if l := lastLog(); l["consumer"] != "team-a" || l["subject"] != nil {
		t.Fatalf("key request logged as %v", l)
	}

	// Every refused token gets, per API, the answer a bad key gets.
	none, hmac := idp.Unsigned(t, idptest.Claims{Subject: "alice", Audience: "tollgate"})
	other := idptest.Start(t)
	refused := map[string]string{
		"expired":        sign(idptest.Claims{Subject: "alice", Expiry: time.Unix(0, now.Load()).Add(-time.Hour)}),
		"wrong audience": sign(idptest.Claims{Subject: "alice", Audience: "other"}),
		"alg none":       none,
		"unsigned hmac":  hmac,
		"other issuer":   other.Sign(t, idptest.Claims{Subject: "alice", Audience: "tollgate", Issuer: idp.URL}),
		"no consumer":    sign(idptest.Claims{Subject: "dave", Groups: []string{"sales"}}),
		"truncated":      strings.TrimRight(sign(idptest.Claims{Subject: "alice"}), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
	}
	before := len(up.Requests())
	for i := range apis {
		_, bad := call(i, key+"x")
		for name, tok := range refused {
			if code, body := call(i, tok); code != http.StatusUnauthorized || body != bad {
				t.Errorf("%s, %s token: %d %s, want the bad-key 401 %s", apis[i].name, name, code, body, bad)
			}
		}
	}
	if n := len(up.Requests()) - before; n != 0 {
		t.Fatalf("refused tokens reached the upstream %d times", n)
	}

	// Rotation mid-run: the issuer retires its key; a token of the new
	// key verifies once the key set may be read again.
	old := sign(idptest.Claims{Subject: "erin", Groups: []string{"eng"}})
	if code, body := call(0, old); code != http.StatusOK {
		t.Fatalf("before the rotation: %d %s", code, body)
	}
	idp.Rotate(t, true)
	now.Add(int64(identity.MinRefetch))
	fresh := sign(idptest.Claims{Subject: "frank", Groups: []string{"eng"}})
	if code, body := call(1, fresh); code != http.StatusOK {
		t.Fatalf("a token of the new key: %d %s", code, body)
	}
	// An uncached token of the retired key is refused.
	retired := refusedAfterRotation(t, idp)
	if code, _ := call(0, retired); code != http.StatusUnauthorized {
		t.Fatalf("a token of a retired key: %d", code)
	}
}

// refusedAfterRotation is a token signed by a key the issuer no longer
// publishes: the idp rotates twice, signing between.
func refusedAfterRotation(t *testing.T, idp *idptest.Issuer) string {
	t.Helper()
	idp.Rotate(t, false)
	tok := idp.Sign(t, idptest.Claims{Subject: "gina", Audience: "tollgate", Groups: []string{"eng"}})
	idp.Rotate(t, true)
	return tok
}

func (g *gw) doStatus(t *testing.T, key string) (int, string) {
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
	return resp.StatusCode, readAll(t, resp)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
