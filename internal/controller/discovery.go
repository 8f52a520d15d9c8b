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
	"github.com/tollgate-dev/tollgate/internal/netguard"
)

// Model discovery: list a vendor's models with the provider's own
// credential, through the same dial-time SSRF guard the gateway uses, with
// a bounded timeout and no redirects.

const (
	// discoveryTimeout bounds one whole discovery (every page).
	discoveryTimeout = 10 * time.Second
	// discoveryPages bounds the pages read from a paginated listing.
	discoveryPages = 10
	// discoveryBodyLimit bounds one page's body.
	discoveryBodyLimit = 4 << 20
	// maxDiscovered is status.discoveredModels' MaxItems.
	maxDiscovered = 1024
	// defaultAnthropicVersion is the anthropic-version header the gateway
	// sends by default.
	defaultAnthropicVersion = "2023-06-01"
)

// modelNamePattern is v1alpha1.ModelName's schema pattern: a discovered
// name that does not match it cannot be written to status.
var modelNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$`)

// discoverySupported reports whether discovery knows the vendor's listing.
func discoverySupported(t v1alpha1.ProviderType) bool {
	switch t {
	case v1alpha1.ProviderOpenAI, v1alpha1.ProviderOpenAICompatible, v1alpha1.ProviderAnthropic, v1alpha1.ProviderGemini:
		return true
	}
	return false
}

// discoverModels lists mp's models at its vendor with key (empty for an
// OpenAICompatible server without credentials). It returns the names
// matching spec.discovery.include, valid as model names, sorted and at
// most maxDiscovered. Errors name the URL and the vendor's HTTP status,
// never the key.
func discoverModels(ctx context.Context, mp *v1alpha1.ModelProvider, key string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	hc := netguard.Client(mp.Spec.AllowPrivateNetwork, discoveryTimeout)
	base := strings.TrimRight(compile.ProviderEndpoint(mp), "/")
	var names []string
	var err error
	switch mp.Spec.Type {
	case v1alpha1.ProviderOpenAI, v1alpha1.ProviderOpenAICompatible:
		names, err = listOpenAI(ctx, hc, mp, base, key)
	case v1alpha1.ProviderAnthropic:
		names, err = listAnthropic(ctx, hc, mp, base, key)
	case v1alpha1.ProviderGemini:
		names, err = listGemini(ctx, hc, mp, base, key)
	default:
		return nil, fmt.Errorf("discovery is not supported for type %s", mp.Spec.Type)
	}
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

func listOpenAI(ctx context.Context, hc *http.Client, mp *v1alpha1.ModelProvider, base, key string) ([]string, error) {
	h := http.Header{}
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := getJSON(ctx, hc, mp, base+"/models", h, &page); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(page.Data))
	for _, m := range page.Data {
		out = append(out, m.ID)
	}
	return out, nil
}

func listAnthropic(ctx context.Context, hc *http.Client, mp *v1alpha1.ModelProvider, base, key string) ([]string, error) {
	version := defaultAnthropicVersion
	if a := mp.Spec.Anthropic; a != nil && a.Version != "" {
		version = a.Version
	}
	h := http.Header{"X-Api-Key": {key}, "Anthropic-Version": {version}}
	var out []string
	after := ""
	for range discoveryPages {
		q := url.Values{"limit": {"1000"}}
		if after != "" {
			q.Set("after_id", after)
		}
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			HasMore bool   `json:"has_more"`
			LastID  string `json:"last_id"`
		}
		if err := getJSON(ctx, hc, mp, base+"/v1/models?"+q.Encode(), h, &page); err != nil {
			return nil, err
		}
		for _, m := range page.Data {
			out = append(out, m.ID)
		}
		if !page.HasMore || page.LastID == "" || page.LastID == after {
			break
		}
		after = page.LastID
	}
	return out, nil
}

func listGemini(ctx context.Context, hc *http.Client, mp *v1alpha1.ModelProvider, base, key string) ([]string, error) {
	h := http.Header{"X-Goog-Api-Key": {key}}
	var out []string
	token := ""
	for range discoveryPages {
		q := url.Values{"pageSize": {"1000"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		var page struct {
			Models []struct {
				Name string `json:"name"`
			} `json:"models"`
			NextPageToken string `json:"nextPageToken"`
		}
		if err := getJSON(ctx, hc, mp, base+"/v1beta/models?"+q.Encode(), h, &page); err != nil {
			return nil, err
		}
		for _, m := range page.Models {
			out = append(out, strings.TrimPrefix(m.Name, "models/"))
		}
		if page.NextPageToken == "" || page.NextPageToken == token {
			break
		}
		token = page.NextPageToken
	}
	return out, nil
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
