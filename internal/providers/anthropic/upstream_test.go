package anthropic_test

import (
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/anthropic"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	"github.com/tollgate-dev/tollgate/test/upstream"
)

// TestAgainstMockUpstream drives the adapter over real HTTP on 127.0.0.1.
func TestAgainstMockUpstream(t *testing.T) {
	providertest.RunUpstream(t, providertest.UpstreamSuite{
		New: func(endpoint string) (providers.Adapter, error) {
			return anthropic.New(&config.Provider{Name: "a", Type: config.ProviderAnthropic, Endpoint: endpoint, APIKey: "sk-ant-test"})
		},
		Model: "claude-sonnet-4",
		Path:  "/v1/messages",
		AuthOK: func(r upstream.Recorded) bool {
			return r.Header.Get("x-api-key") == "sk-ant-test" && r.Header.Get("anthropic-version") == anthropic.DefaultVersion
		},
		Key:            "sk-ant-test",
		InputTokens:    10,
		OverloadStatus: "529",
		StreamToolArgs: `{"city": "Paris"}`,
	})
}
