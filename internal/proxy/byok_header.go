package proxy

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

// HeaderProviderKey carries a request's own vendor keys,
// "<provider>=<key>" (comma-separated for several), where the AIGateway
// accepts them (spec.byok.headerKeys). It is removed from the request
// before anything reads its headers: never logged, traced or forwarded.
const HeaderProviderKey = "X-Tollgate-Provider-Key"

// maxHeaderKeys bounds the keys one request may bring.
const maxHeaderKeys = 16

// takeProviderKeys removes the own-key header from a request and returns
// its values (nil when absent).
func takeProviderKeys(h http.Header) []string {
	v := h.Values(HeaderProviderKey)
	if len(v) > 0 {
		h.Del(HeaderProviderKey)
	}
	return v
}

// headerKeys builds, for a request's own-key header values, one upstream
// per provider named: that provider's, with the request's key in its
// adapter and among its redactions. The header is refused (nothing goes
// upstream) when it is malformed, when the gateway accepts no header key
// for a provider it names, or when the consumer may not bring one. No
// message names a key.
func (c *call) headerKeys(values []string) *apiError {
	if len(values) == 0 {
		return nil
	}
	hk := c.sn.cfg.BYOKHeaderKeys
	var entries []string
	for _, v := range values {
		// SplitN: a header of many commas costs no more than 17 entries.
		entries = append(entries, strings.SplitN(v, ",", maxHeaderKeys+1)...)
		if len(entries) > maxHeaderKeys {
			break
		}
	}
	if len(entries) > maxHeaderKeys {
		return errProviderKey("the header names more than 16 providers")
	}
	for _, e := range entries {
		name, key, ok := strings.Cut(strings.TrimSpace(e), "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || key == "" || strings.ContainsAny(key, " \t\r\n\x00") {
			return errProviderKey("each entry must be <provider>=<key>")
		}
		if _, dup := c.ownKeys[name]; dup {
			return errProviderKey("provider '" + truncate(name, 64) + "' is named twice")
		}
		if hk == nil || !slices.Contains(hk.Providers, name) {
			return errProviderKeyRefused("This gateway accepts no own key in " + HeaderProviderKey + " for provider '" + truncate(name, 64) + "'.")
		}
		_, secretKey := c.sn.byok[c.consumer][name]
		if c.consumer == "" || (!secretKey && !slices.Contains(hk.Consumers, c.consumer)) {
			return errProviderKeyRefused("This key may not bring its own key for provider '" + truncate(name, 64) + "'.")
		}
		up, aerr := c.sn.keyedUpstream(name, key)
		if aerr != nil {
			return aerr
		}
		if c.ownKeys == nil {
			c.ownKeys = map[string]*upstream{}
		}
		c.ownKeys[name] = up
	}
	return nil
}

// keyedUpstream is provider name's upstream with key in place of the
// provider's own: the same client, limits and timeouts, the adapter built
// with key, and key among the redactions.
func (sn *snapshot) keyedUpstream(name, key string) (*upstream, *apiError) {
	up := sn.upstreams[name]
	for i := range sn.cfg.Providers {
		if sn.cfg.Providers[i].Name != name || up == nil {
			continue
		}
		p := sn.cfg.Providers[i]
		p.APIKey = key
		a, err := providers.New(&p)
		if err != nil {
			return nil, errProviderKey("the key cannot be used for provider '" + truncate(name, 64) + "'")
		}
		out := *up
		out.adapter, out.ownKey = a, true
		out.redacted = append(slices.Clone(up.redacted), key)
		return &out, nil
	}
	return nil, errProviderKeyRefused("This gateway accepts no own key in " + HeaderProviderKey + " for provider '" + truncate(name, 64) + "'.")
}

// keyed is b with the request's own key for its provider, b itself when
// the request brought none.
func (c *call) keyed(b *backend) *backend {
	up, ok := c.ownKeys[b.up.name]
	if !ok {
		return b
	}
	out := *b
	out.up = up
	return &out
}

func errProviderKey(why string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_provider_key",
		Message: "Invalid " + HeaderProviderKey + " header: " + why + "."}
}

func errProviderKeyRefused(msg string) *apiError {
	return &apiError{Status: http.StatusForbidden, Type: "permission_error", Code: "provider_key_not_allowed", Message: msg}
}
