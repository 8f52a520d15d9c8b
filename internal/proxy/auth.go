package proxy

import (
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// authIndex finds a consumer from a presented key. It holds only hashes,
// indexed by the key's public lookup id, so a request hashes the key once
// and compares (in constant time) only with the few hashes of that id.
type authIndex struct {
	mode config.AuthMode
	byID map[string][]keyEntry
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

func newAuthIndex(c *config.Config) *authIndex {
	idx := &authIndex{mode: c.Auth.Mode, byID: map[string][]keyEntry{}}
	for i := range c.Consumers {
		cs := &c.Consumers[i]
		info := &consumer{cfg: cs, exact: map[string]bool{}, all: len(cs.AllowedModels) == 0}
		for _, g := range cs.AllowedModels {
			if config.IsGlob(g) {
				info.patterns = append(info.patterns, g)
			} else {
				info.exact[g] = true
			}
		}
		for _, k := range cs.Keys {
			idx.byID[k.ID] = append(idx.byID[k.ID], keyEntry{sha256: strings.ToLower(k.SHA256), notAfter: k.NotAfter, consumer: info})
		}
	}
	return idx
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

// authenticate returns the consumer of a valid key, or nil. Every failure
// looks the same to the caller.
func (a *authIndex) authenticate(h http.Header, now time.Time) (*consumer, bool) {
	if a.mode == config.AuthNone {
		return nil, true
	}
	key := presentedKey(h)
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
