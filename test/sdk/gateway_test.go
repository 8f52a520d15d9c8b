// Package sdk_test drives the real proxy with the vendors' official SDKs:
// openai-go and anthropic-sdk-go (through the proxy's /v1/messages) against
// every vendor adapter (OpenAI, Anthropic, Gemini, Bedrock, Azure OpenAI)
// behind it. The vendors are the mock upstream on 127.0.0.1.
package sdk_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	"github.com/tollgate-dev/tollgate/test/upstream"
)

// vendorModels maps the public model names the tests use to the vendor
// behind each.
var vendorModels = map[string]string{
	"claude": "anthropic",
	"gemini": "gemini",
	"nova":   "bedrock",
	"gpt-eu": "azure",
	"gpt":    "openai",
}

// openaiFormat is true for the vendors the OpenAI-format mock serves: it
// calls the tool on every turn and streams no tool calls.
func openaiFormat(model string) bool {
	return vendorModels[model] == "azure" || vendorModels[model] == "openai"
}

// fallbackModel is served by an Anthropic backend that answers 529
// (overloaded) first, then an OpenAI backend.
const fallbackModel = "claude-fallback"

type gateway struct {
	url string
	key string
	up  *upstream.Server
}

// startGateway serves one public model per vendor through the real proxy.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	return startReplicas(t, 1, nil)[0]
}

// startReplicas starts n proxies serving one config (edited by edit when
// set): replicas of one gateway in front of one mock upstream.
func startReplicas(t *testing.T, n int, edit func(*config.Config)) []*gateway {
	t.Helper()
	up := upstream.New(t)
	key, ck := proxytest.Key(t)
	timeouts := config.Timeouts{Connect: config.D(time.Second), FirstToken: config.D(5 * time.Second),
		Idle: config.D(5 * time.Second), Request: config.D(20 * time.Second)}
	providers := []config.Provider{
		{Name: "anthropic", Type: config.ProviderAnthropic, Endpoint: up.URL, APIKey: "sk-ant-vendor"},
		{Name: "gemini", Type: config.ProviderGemini, Endpoint: up.URL, APIKey: "AIza-vendor"},
		{Name: "bedrock", Type: config.ProviderBedrock, Endpoint: up.URL, Bedrock: &config.BedrockSettings{
			Region: "us-east-1", AccessKeyID: upstream.MockAccessKeyID, SecretAccessKey: upstream.MockSecretKey}},
		{Name: "azure", Type: config.ProviderAzureOpenAI, Endpoint: up.URL, APIKey: "azure-vendor"},
		{Name: "openai", Type: config.ProviderOpenAI, Endpoint: up.URL + "/v1", APIKey: "sk-openai-vendor"},
		{Name: "anthropic-overloaded", Type: config.ProviderAnthropic, Endpoint: up.URL, APIKey: "sk-ant-vendor",
			Headers: map[string]string{"x-mock-status": "529"}},
	}
	upstreamModel := map[string]string{"anthropic": "claude-sonnet-4", "gemini": "gemini-2.0-flash",
		"bedrock": "amazon.nova-lite-v1:0", "azure": "gpt4o-eu", "openai": "gpt-4o"}
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "sdk"},
		Auth:      config.Auth{Mode: config.AuthAPIKey},
		Consumers: []config.Consumer{{Name: "team", Keys: []config.Key{ck}}},
	}
	for i := range providers {
		providers[i].AllowPrivateNetwork = true
		// The mock upstream's fault headers (x-mock-status) are forwarded.
		providers[i].ForwardHeaders = []string{"X-Mock-*"}
		providers[i].Timeouts = timeouts
	}
	cfg.Providers = providers
	for public, vendor := range vendorModels {
		cfg.Models = append(cfg.Models, config.Model{Name: public, Provider: vendor, UpstreamModel: upstreamModel[vendor],
			Capabilities: []config.Capability{config.CapChat, config.CapStreaming, config.CapTools, config.CapVision, config.CapEmbeddings}})
		cfg.Routes = append(cfg.Routes, config.Route{Model: public, Retry: config.Retry{Attempts: 1},
			Backends: []config.Backend{{Provider: vendor, UpstreamModel: upstreamModel[vendor]}}})
	}
	cfg.Routes = append(cfg.Routes, config.Route{Model: fallbackModel, Retry: config.Retry{Attempts: 2},
		Backends: []config.Backend{{Provider: "anthropic-overloaded", UpstreamModel: "claude-sonnet-4"},
			{Provider: "openai", UpstreamModel: "gpt-4o", Priority: 1}}})
	if edit != nil {
		edit(cfg)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var gws []*gateway
	for range n {
		ts := proxytest.Serve(t, proxy.New(proxy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}), cfg)
		gws = append(gws, &gateway{url: ts.URL, key: key, up: up})
	}
	return gws
}
