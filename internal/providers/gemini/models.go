package gemini

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
)

// ListModels lists Gemini's models: GET /v1beta/models, paginated by
// pageToken, names without their "models/" prefix.
func ListModels(ctx context.Context, get providers.Getter, p *config.Provider) ([]string, error) {
	base := strings.TrimRight(p.Endpoint, "/")
	h := http.Header{"X-Goog-Api-Key": {p.APIKey}}
	return vendorkit.ListPages(func(token string) ([]string, string, error) {
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
		if err := get(ctx, base+"/v1beta/models?"+q.Encode(), h, &page); err != nil {
			return nil, "", err
		}
		names := make([]string, 0, len(page.Models))
		for _, m := range page.Models {
			names = append(names, strings.TrimPrefix(m.Name, "models/"))
		}
		return names, page.NextPageToken, nil
	})
}
