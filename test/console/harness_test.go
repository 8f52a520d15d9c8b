package console_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/activity"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/console"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
)

// gateway is the real proxy server with the console mounted beside it, the
// way the lead wires it into the proxy: /console/ to the console handler,
// everything else to the data plane, limits through its limits engine, the
// admin's activity and rankings through the proxy's activity log.
type gateway struct {
	url       string
	logs      *proxytest.Logs
	consumerA string // team-a's key
	consumerB string // team-b's key
	admin     string
}

func key(t *testing.T) (string, config.Key) { t.Helper(); return proxytest.Key(t) }

func mockProvider(name, reply string) config.Provider {
	return config.Provider{Name: name, Type: config.ProviderMock,
		Mock: &config.MockSettings{Reply: reply, Latency: config.D(60 * time.Millisecond), ChunkDelay: config.D(45 * time.Millisecond)}}
}

// gatewayConfig: three chat models on three Mock providers, an embedding
// model, and a model team-a may not use.
func gatewayConfig(t *testing.T) (*config.Config, *gateway) {
	t.Helper()
	g := &gateway{}
	var ka, kb, kadm config.Key
	g.consumerA, ka = key(t)
	g.consumerB, kb = key(t)
	g.admin, kadm = key(t)
	chat := []config.Capability{config.CapChat, config.CapStreaming}
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "console-e2e", Namespace: "test"},
		Auth: config.Auth{Mode: config.AuthAPIKey},
		Providers: []config.Provider{
			mockProvider("openai-mock", "Tollgate routes one OpenAI-compatible API to every vendor, with keys, budgets and fallbacks."),
			mockProvider("anthropic-mock", "Side by side, the same prompt shows how models differ in tone, speed and price."),
			mockProvider("local-vllm", "Short answer: yes."),
		},
		Models: []config.Model{
			{Name: "gpt-fast", Provider: "openai-mock", ContextWindow: 128000, Pricing: config.Pricing{InputPerMillion: 0.5, OutputPerMillion: 1.5},
				Capabilities: append(chat, config.CapTools, config.CapJSONMode)},
			{Name: "claude-smart", Provider: "anthropic-mock", ContextWindow: 200000, Pricing: config.Pricing{InputPerMillion: 3, OutputPerMillion: 15},
				Capabilities: append(chat, config.CapVision, config.CapTools)},
			{Name: "llama-cheap", Provider: "local-vllm", ContextWindow: 32768, Pricing: config.Pricing{InputPerMillion: 0.1, OutputPerMillion: 0.2},
				Capabilities: chat},
			{Name: "embed-small", Provider: "openai-mock", ContextWindow: 8192, Pricing: config.Pricing{InputPerMillion: 0.02},
				Capabilities: []config.Capability{config.CapEmbeddings}},
			{Name: "secret-model", Provider: "anthropic-mock", ContextWindow: 1000000, Pricing: config.Pricing{InputPerMillion: 30, OutputPerMillion: 60},
				Capabilities: chat},
		},
		Policies: []config.Policy{{Name: "monthly", Budget: &config.Budget{AmountUSD: 50, Window: config.BudgetMonth}}},
		Consumers: []config.Consumer{
			{Name: "team-a", Keys: []config.Key{ka}, AllowedModels: []string{"gpt-*", "claude-*", "llama-*", "embed-*"}, Policies: []string{"monthly"}},
			{Name: "team-b", Keys: []config.Key{kb}},
		},
		Console: config.Console{Enabled: true, AdminKeys: []config.Key{kadm}},
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg, g
}

// startGateway serves cfg on 127.0.0.1 with the real proxy wired as
// `tollgate proxy` wires it: the limits engine of each config snapshot, the
// console mounted at /console/ and fed by the proxy's usage recorder hook.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	cfg, g := gatewayConfig(t)
	return serveGateway(t, cfg, g)
}

// serveGateway is startGateway for a config the caller has edited.
func serveGateway(t *testing.T, cfg *config.Config, g *gateway) *gateway {
	t.Helper()
	g.logs = &proxytest.Logs{}
	log := slog.New(slog.NewJSONHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var srv *proxy.Server
	deps := console.FromFunc(func() (*config.Config, *limits.Engine) { return srv.Limits() })
	deps.Logger = log
	deps.Activity = func(ctx context.Context, f activity.Filter) (activity.Page, error) { return srv.Activity(ctx, f) }
	srv = proxy.New(proxy.Options{Logger: log, Console: console.New(deps), Usage: deps.Recorder})
	ts := proxytest.Serve(t, srv, cfg)
	g.url = ts.URL
	return g
}

// assertNoKeys fails when a key appears in the gateway's logs.
func (g *gateway) assertNoKeys(t *testing.T) {
	t.Helper()
	logs := g.logs.String()
	for name, k := range map[string]string{"team-a": g.consumerA, "team-b": g.consumerB, "admin": g.admin} {
		if strings.Contains(logs, k) || strings.Contains(logs, k[len(k)-20:]) {
			t.Errorf("the %s key appears in the gateway's logs", name)
		}
	}
}
