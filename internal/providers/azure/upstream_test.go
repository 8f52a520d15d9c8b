package azure_test

import (
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/azure"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	"github.com/tollgate-dev/tollgate/test/upstream"
)

// TestAgainstMockUpstream drives the adapter over real HTTP on 127.0.0.1.
// The mock's OpenAI shape counts 20 input tokens, echoes the question as a
// streamed tool answer, and ends an error frame with a server error.
func TestAgainstMockUpstream(t *testing.T) {
	providertest.RunUpstream(t, providertest.UpstreamSuite{
		New: func(endpoint string) (providers.Adapter, error) {
			return azure.New(&config.Provider{Name: "z", Type: config.ProviderAzureOpenAI, Endpoint: endpoint, APIKey: "azure-key-test"})
		},
		Model: "my-deployment",
		Path:  "/openai/deployments/my-deployment/chat/completions",
		AuthOK: func(r upstream.Recorded) bool {
			return r.Header.Get("api-key") == "azure-key-test" && r.Query == "api-version=2024-10-21"
		},
		Key:            "azure-key-test",
		InputTokens:    20,
		OverloadStatus: "529",
		StreamToolText: "weather?",
		ErrorFrameOK:   func(e *providers.Error) bool { return e.Class == providers.ClassServerError },
		Embeddings:     "ada-eu",
	})
}
