package bedrock_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/bedrock"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	"github.com/tollgate-dev/tollgate/test/upstream"
)

// TestAgainstMockUpstream drives the adapter over real HTTP on 127.0.0.1;
// the mock verifies every SigV4 signature.
func TestAgainstMockUpstream(t *testing.T) {
	providertest.RunUpstream(t, providertest.UpstreamSuite{
		New: func(endpoint string) (providers.Adapter, error) {
			return bedrock.New(&config.Provider{Name: "b", Type: config.ProviderBedrock, Endpoint: endpoint, Bedrock: &config.BedrockSettings{
				Region: "us-east-1", AccessKeyID: upstream.MockAccessKeyID, SecretAccessKey: upstream.MockSecretKey, SessionToken: "session-token"}})
		},
		Model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
		Path:  "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse-stream",
		AuthOK: func(r upstream.Recorded) bool {
			return strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="+upstream.MockAccessKeyID)
		},
		Key:            upstream.MockSecretKey,
		InputTokens:    10,
		OverloadStatus: "503",
		StreamToolArgs: `{"city": "Paris"}`,
	})
}

// TestWrongSecretIsRejected proves the mock verifies signatures: a request
// signed with another secret is refused, and the adapter reports the
// gateway's credential, not the client, as the problem.
func TestWrongSecretIsRejected(t *testing.T) {
	srv := upstream.New(t)
	a, err := bedrock.New(&config.Provider{Name: "b", Type: config.ProviderBedrock, Endpoint: srv.URL, Bedrock: &config.BedrockSettings{
		Region: "us-east-1", AccessKeyID: upstream.MockAccessKeyID, SecretAccessKey: "not-the-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := upstream.Call(context.Background(), upstream.Client(), a,
		&providers.Request{Body: []byte(providertest.TextBody), Model: "amazon.nova-lite-v1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	providertest.WantError(t, r.Err, 502, providers.ClassServerError, upstream.MockSecretKey)
	if r.Status != 403 || strings.Contains(r.Err.Message, "not-the-secret") {
		t.Errorf("status %d message %q", r.Status, r.Err.Message)
	}
}
