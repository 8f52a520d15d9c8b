// Package agents_test runs the real coding agents — Claude Code and Codex
// CLI, the pinned npm releases hack/install-agents.sh puts in bin/agents —
// non-interactively against a gateway started by the test, served by the
// built-in Mock provider and by the mock upstream (test/upstream) as an
// Anthropic, OpenAI and Gemini backend. On the mock upstream the model's
// turn is scripted (upstream.Script): the first answer calls the agent's
// file-writing tool, the agent runs it for real, and the test checks the
// file on disk and that the second upstream request carried the result.
package agents_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	"github.com/tollgate-dev/tollgate/test/testbin"
	"github.com/tollgate-dev/tollgate/test/upstream"
)

// runTimeout bounds one agent run.
const runTimeout = 3 * time.Minute

// backends are the public models of the test gateway, by the vendor
// behind each ("mock" is the built-in Mock provider).
var backends = map[string]string{
	"agent-mock":      "mock",
	"agent-anthropic": "anthropic",
	"agent-openai":    "openai",
	"agent-gemini":    "gemini",
}

type gateway struct {
	url string
	key string
	up  *upstream.Server
}

// startGateway serves the backends' models through the real proxy.
func startGateway(t *testing.T) *gateway { return startGatewayWith(t, nil) }

// startGatewayWith is startGateway with edit applied to the config before
// it is validated.
func startGatewayWith(t *testing.T, edit func(*config.Config)) *gateway {
	t.Helper()
	up := upstream.New(t)
	key, ck := proxytest.Key(t)
	timeouts := config.Timeouts{Connect: config.D(time.Second), FirstToken: config.D(30 * time.Second),
		Idle: config.D(30 * time.Second), Request: config.D(2 * time.Minute)}
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "agents"},
		Auth:      config.Auth{Mode: config.AuthAPIKey},
		Consumers: []config.Consumer{{Name: "dev", Keys: []config.Key{ck}}},
		Providers: []config.Provider{
			{Name: "mock", Type: config.ProviderMock},
			{Name: "anthropic", Type: config.ProviderAnthropic, Endpoint: up.URL, APIKey: "sk-ant-vendor"},
			{Name: "openai", Type: config.ProviderOpenAI, Endpoint: up.URL + "/v1", APIKey: "sk-openai-vendor"},
			{Name: "gemini", Type: config.ProviderGemini, Endpoint: up.URL, APIKey: "AIza-vendor"},
		},
	}
	for i := range cfg.Providers {
		cfg.Providers[i].AllowPrivateNetwork = true
		cfg.Providers[i].Timeouts = timeouts
	}
	upstreamModel := map[string]string{"mock": "mock-small", "anthropic": "claude-sonnet-4", "openai": "gpt-4o", "gemini": "gemini-2.0-flash"}
	for public, vendor := range backends {
		cfg.Models = append(cfg.Models, config.Model{Name: public, Provider: vendor, UpstreamModel: upstreamModel[vendor],
			ContextWindow: 200000, Capabilities: []config.Capability{config.CapChat, config.CapStreaming, config.CapTools}})
		cfg.Routes = append(cfg.Routes, config.Route{Model: public, Retry: config.Retry{Attempts: 1},
			Backends: []config.Backend{{Provider: vendor, UpstreamModel: upstreamModel[vendor]}}})
	}
	if edit != nil {
		edit(cfg)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := proxytest.Serve(t, proxy.New(proxy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}), cfg)
	return &gateway{url: ts.URL, key: key, up: up}
}

// agentBin is the path of an installed agent (claude or codex), installing
// the pinned agents when they are missing. Without npm the test skips,
// and fails under make (TOLLGATE_REQUIRE_AGENTS=1).
func agentBin(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("TOLLGATE_AGENTS_DIR")
	if dir == "" {
		dir = "../../bin/agents"
	}
	bin, err := filepath.Abs(filepath.Join(dir, "node_modules", ".bin", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(bin, "--version").Run(); err == nil {
		return bin
	}
	script := testbin.Script(t, "install-agents.sh")
	out, err := exec.Command("bash", script, filepath.Dir(filepath.Clean(dir))).CombinedOutput()
	if err == nil && exec.Command(bin, "--version").Run() == nil {
		return bin
	}
	testbin.Missing(t, "TOLLGATE_REQUIRE_AGENTS", fmt.Sprintf("%s is not installed in %s and %s could not install it (%v):\n%s", name, dir, script, err, out))
	return ""
}

// run runs an agent in dir with only env (plus PATH) in its environment,
// bounded by runTimeout; it fails the test unless the agent exits 0, and
// returns its standard output.
func run(t *testing.T, dir string, env []string, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + t.TempDir(), "LANG=C.UTF-8", "NO_COLOR=1"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err != nil {
		t.Fatalf("%s %s: %v (context: %v)\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), strings.Join(args, " "), err, ctx.Err(),
			tail(stdout.String()), tail(stderr.String()))
	}
	return stdout.String()
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

// wantFile checks the file an agent's tool call wrote.
func wantFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the agent's tool call did not write %s: %v", path, err)
	}
	if strings.TrimSpace(string(got)) != strings.TrimSpace(want) {
		t.Errorf("%s holds %q, want %q", path, got, want)
	}
}
