package gemini_test

import (
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/gemini"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	"github.com/tollgate-dev/tollgate/test/upstream"
)

// TestAgainstMockUpstream drives the adapter over real HTTP on 127.0.0.1.
// The key must travel in x-goog-api-key, never in the query.
func TestAgainstMockUpstream(t *testing.T) {
	providertest.RunUpstream(t, providertest.UpstreamSuite{
		New: func(endpoint string) (providers.Adapter, error) {
			return gemini.New(&config.Provider{Name: "g", Type: config.ProviderGemini, Endpoint: endpoint, APIKey: "AIza-test"})
		},
		Model: "gemini-2.0-flash",
		Path:  "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
		AuthOK: func(r upstream.Recorded) bool {
			return r.Header.Get("x-goog-api-key") == "AIza-test" && !strings.Contains(r.Query, "key=")
		},
		Key:            "AIza-test",
		InputTokens:    10,
		OverloadStatus: "503",
		StreamToolArgs: `{"city":"Paris"}`,
		Embeddings:     "text-embedding-004",
	})
}
