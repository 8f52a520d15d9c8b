package openai

import (
	"context"
	"net/http"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// ListModels lists the models of an OpenAI or OpenAI-compatible server:
// GET {endpoint}/models, with the key as a bearer token when there is one.
func ListModels(ctx context.Context, get providers.Getter, p *config.Provider) ([]string, error) {
	h := http.Header{}
	if p.APIKey != "" {
		h.Set("Authorization", "Bearer "+p.APIKey)
	}
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := get(ctx, strings.TrimRight(p.Endpoint, "/")+"/models", h, &page); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(page.Data))
	for _, m := range page.Data {
		out = append(out, m.ID)
	}
	return out, nil
}
