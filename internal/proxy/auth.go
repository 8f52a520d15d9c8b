package proxy

import (
	"context"
	"net/http"
	"path"
	"reflect"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/identity"
)

// authIndex finds a consumer from a presented key. It holds only hashes,
// indexed by the key's public lookup id, so a request hashes the key once
// and compares (in constant time) only with the few hashes of that id.
type authIndex struct {
	mode config.AuthMode
	byID map[string][]keyEntry
	// ids verifies bearer JWTs of the trusted issuers (nil when none);
	// idx maps their identities to consumers (indexes into consumers).
	ids       *identity.Verifier
	issuers   []config.Issuer
	idx       *identity.Index
	consumers []*consumer
}

// principal is who a request was authenticated as: its consumer (nil in
// auth mode None) and, for a JWT, the token's subject.
type principal struct {
	*consumer
	subject string
}

type keyEntry struct {
	sha256   string
	notAfter *time.Time
	consumer *consumer
}

// consumer is a config.Consumer with its allowed-model globs split into
// exact names and patterns.
type consumer struct {
	cfg      *config.Consumer
	exact    map[string]bool
	patterns []string
	all      bool
}

// newAuthIndex indexes a config's consumers. The JWT verifier (its key
// sets and verified-token cache) is kept from prev when the issuers did
// not change.
func newAuthIndex(c *config.Config, now func() time.Time, prev *authIndex) *authIndex {
	idx := newAuthBase(c, now, prev)
	idx.byID = map[string][]keyEntry{}
	for i := range c.Consumers {
		info := newConsumer(&c.Consumers[i])
		idx.consumers = append(idx.consumers, info)
		for _, k := range info.cfg.Keys {
			idx.byID[k.ID] = append(idx.byID[k.ID], info.keyEntry(k))
		}
	}
	return idx
}

// newAuthBase is an index of c's auth mode and issuers, with no keys yet.
func newAuthBase(c *config.Config, now func() time.Time, prev *authIndex) *authIndex {
	idx := &authIndex{mode: c.Auth.Mode, issuers: c.Auth.Issuers}
	if len(c.Auth.Issuers) > 0 {
		if prev != nil && prev.ids != nil && reflect.DeepEqual(prev.issuers, c.Auth.Issuers) {
			idx.ids = prev.ids
		} else {
			idx.ids = identity.New(c.Auth.Issuers, now)
		}
		idx.idx = identity.NewIndex(c.Consumers)
	}
	return idx
}

// newConsumer is the built form of one consumer.
func newConsumer(cs *config.Consumer) *consumer {
	info := &consumer{cfg: cs, exact: map[string]bool{}, all: len(cs.AllowedModels) == 0}
	for _, g := range cs.AllowedModels {
		if config.IsGlob(g) {
			info.patterns = append(info.patterns, g)
		} else {
			info.exact[g] = true
		}
	}
	return info
}

func (c *consumer) keyEntry(k config.Key) keyEntry {
	return keyEntry{sha256: strings.ToLower(k.SHA256), notAfter: k.NotAfter, consumer: c}
}

// presentedKey reads the consumer key from Authorization: Bearer, x-api-key
// or api-key (Azure's header), in that order.
func presentedKey(h http.Header) string {
	if v := h.Get("Authorization"); v != "" {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return strings.TrimSpace(v[7:])
		}
		return ""
	}
	if v := h.Get("X-Api-Key"); v != "" {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(h.Get("Api-Key"))
}

// dummyHash keeps the work done for an unknown id the same as for a known one.
const dummyHash = "0000000000000000000000000000000000000000000000000000000000000000"

// maxJWTBytes bounds a presented bearer token.
const maxJWTBytes = 8 << 10

// authenticate returns the principal of a valid key or token. Every
// failure looks the same to the caller.
func (a *authIndex) authenticate(ctx context.Context, h http.Header, now time.Time) (principal, bool) {
	if a.mode == config.AuthNone {
		return principal{}, true
	}
	key := presentedKey(h)
	if a.ids != nil && identity.LooksLikeJWT(key) && len(key) <= maxJWTBytes {
		return a.authenticateJWT(ctx, key)
	}
	cons, ok := a.authenticateKey(key, now)
	return principal{consumer: cons}, ok
}

// authenticateJWT maps a verified token's identity to its consumer.
func (a *authIndex) authenticateJWT(ctx context.Context, token string) (principal, bool) {
	id, err := a.ids.Verify(ctx, token)
	if err != nil {
		return principal{}, false
	}
	i, _ := a.idx.Resolve(id)
	if i < 0 || a.consumers[i].cfg.Disabled {
		return principal{}, false
	}
	return principal{consumer: a.consumers[i], subject: id.Subject}, true
}

func (a *authIndex) authenticateKey(key string, now time.Time) (*consumer, bool) {
	if key == "" || len(key) > 512 {
		return nil, false
	}
	entries := a.byID[apikey.ID(key)]
	if len(entries) == 0 {
		apikey.Equal(key, dummyHash)
		return nil, false
	}
	var found *keyEntry
	for i := range entries {
		if apikey.Equal(key, entries[i].sha256) && found == nil {
			found = &entries[i]
		}
	}
	if found == nil || found.consumer.cfg.Disabled {
		return nil, false
	}
	if found.notAfter != nil && !now.Before(*found.notAfter) {
		return nil, false
	}
	return found.consumer, true
}

// allows reports whether the consumer may use a public model; a nil
// consumer (auth mode None) may use every model.
func (c *consumer) allows(model string) bool {
	if c == nil || c.all || c.exact[model] {
		return true
	}
	for _, p := range c.patterns {
		if ok, _ := path.Match(p, model); ok {
			return true
		}
	}
	return false
}

func (c *consumer) name() string {
	if c == nil {
		return ""
	}
	return c.cfg.Name
}

func (c *consumer) config() *config.Consumer {
	if c == nil {
		return nil
	}
	return c.cfg
}

var errModelNotAllowed = func(model string) *apiError {
	return &apiError{Status: http.StatusForbidden, Type: "permission_error", Code: "model_not_allowed", Param: "model",
		Message: "This key may not use the model '" + model + "'."}
}
