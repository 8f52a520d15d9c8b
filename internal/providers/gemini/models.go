package gemini

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// ListModels lists Gemini's models: GET /v1beta/models, paginated by
// pageToken, names without their "models/" prefix.
func ListModels(ctx context.Context, get providers.Getter, p *config.Provider) ([]string, error) {
	base := strings.TrimRight(p.Endpoint, "/")
	h := http.Header{"X-Goog-Api-Key": {p.APIKey}}
	var out []string
	token := ""
	for range providers.MaxListPages {
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
