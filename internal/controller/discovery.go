package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/netguard"
	"github.com/tollgate-dev/tollgate/internal/providers"
	_ "github.com/tollgate-dev/tollgate/internal/providers/vendors" // every vendor's model listing
)

// Model discovery: list a vendor's models with the provider's own
// credential, through the same dial-time SSRF guard the gateway uses, with
// a bounded timeout and no redirects.

const (
	// discoveryTimeout bounds one whole discovery (every page).
	discoveryTimeout = 10 * time.Second
	// discoveryBodyLimit bounds one page's body.
	discoveryBodyLimit = 4 << 20
	// maxDiscovered is status.discoveredModels' MaxItems.
	maxDiscovered = 1024
)

// modelNamePattern is v1alpha1.ModelName's schema pattern: a discovered
// name that does not match it cannot be written to status.
var modelNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$`)

// discoverySupported reports whether the vendor registered a model listing.
func discoverySupported(t v1alpha1.ProviderType) bool {
	v, ok := providers.Lookup(config.ProviderType(t))
	return ok && v.ListModels != nil
}

// discoverModels lists mp's models at its vendor with key (empty for an
// OpenAICompatible server without credentials). It returns the names
// matching spec.discovery.include, valid as model names, sorted and at
// most maxDiscovered. Errors name the URL and the vendor's HTTP status,
// never the key.
func discoverModels(ctx context.Context, mp *v1alpha1.ModelProvider, key string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	v, ok := providers.Lookup(config.ProviderType(mp.Spec.Type))
	if !ok || v.ListModels == nil {
		return nil, fmt.Errorf("discovery is not supported for type %s", mp.Spec.Type)
	}
	hc := netguard.Client(mp.Spec.AllowPrivateNetwork, discoveryTimeout)
	p := compile.Provider(mp)
	p.APIKey = key
	get := func(ctx context.Context, u string, h http.Header, v any) error { return getJSON(ctx, hc, mp, u, h, v) }
	names, err := v.ListModels(ctx, get, &p)
	if err != nil {
		if key != "" && strings.Contains(err.Error(), key) {
			err = redacted{err: err, msg: strings.ReplaceAll(err.Error(), key, "[redacted]")}
		}
		return nil, err
	}
	return keepDiscovered(names, mp.Spec.Discovery.Include), nil
}

// redacted is an error whose message had the key taken out.
type redacted struct {
	err error
	msg string
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }

// keepDiscovered filters, de-duplicates, sorts and caps discovered names.
func keepDiscovered(names []string, include []v1alpha1.ModelPattern) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, n := range names {
		if seen[n] || len(n) > 256 || !modelNamePattern.MatchString(n) || !included(n, include) {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Strings(out)
	if len(out) > maxDiscovered {
		out = out[:maxDiscovered]
	}
	return out
}

func included(name string, include []v1alpha1.ModelPattern) bool {
	if len(include) == 0 {
		return true
	}
	for _, p := range include {
		if ok, _ := path.Match(string(p), name); ok {
			return true
		}
	}
	return false
}

// getJSON GETs u with the provider's extra headers and h, and decodes a
// 200 answer into v. Any other status is an error naming it.
func getJSON(ctx context.Context, hc *http.Client, mp *v1alpha1.ModelProvider, u string, h http.Header, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("building the request to %s: %w", redactURL(u), err)
	}
	for _, x := range mp.Spec.Headers {
		req.Header.Set(string(x.Name), x.Value)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named below, once
		}
		return fmt.Errorf("GET %s: %w", redactURL(u), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("GET %s: the vendor answered HTTP %d %s", redactURL(u), resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, discoveryBodyLimit)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: decoding the model list: %w", redactURL(u), err)
	}
	return nil
}

// redactURL drops the query (page tokens) from a URL shown in status.
func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
