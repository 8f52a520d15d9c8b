package anthropic

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
)

// ListModels lists Anthropic's models: GET /v1/models, paginated by
// after_id, with the provider's anthropic-version.
func ListModels(ctx context.Context, get providers.Getter, p *config.Provider) ([]string, error) {
	version := DefaultVersion
	if a := p.Anthropic; a != nil && a.Version != "" {
		version = a.Version
	}
	base := strings.TrimSuffix(strings.TrimRight(p.Endpoint, "/"), "/v1")
	h := http.Header{"X-Api-Key": {p.APIKey}, "Anthropic-Version": {version}}
	return vendorkit.ListPages(func(after string) ([]string, string, error) {
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
		if err := get(ctx, base+"/v1/models?"+q.Encode(), h, &page); err != nil {
			return nil, "", err
		}
		names := make([]string, 0, len(page.Data))
		for _, m := range page.Data {
			names = append(names, m.ID)
		}
		if !page.HasMore {
			return names, "", nil
		}
		return names, page.LastID, nil
	})
}
