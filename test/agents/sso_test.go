package agents_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/identity/idptest"
)

// ssoGateway trusts a test issuer and serves Consumer "alice" (no key) to
// its tokens for subject alice; the gateway's key is such a token, valid
// for ten minutes: the short-lived token an agent is handed.
func ssoGateway(t *testing.T) *gateway {
	t.Helper()
	idp := idptest.Start(t)
	g := startGatewayWith(t, func(cfg *config.Config) {
		cfg.Auth.Issuers = []config.Issuer{{Issuer: idp.URL, Audiences: []string{"tollgate"}, AllowPrivateNetwork: true}}
		cfg.Consumers = append(cfg.Consumers, config.Consumer{Name: "alice",
			Identities: []config.IdentityMatch{{Issuer: idp.URL, Subject: "alice"}}})
	})
	g.key = idp.Sign(t, idptest.Claims{Subject: "alice", Audience: "tollgate", Expiry: time.Now().Add(10 * time.Minute)})
	return g
}

// TestCodexWithSignedInToken: Codex's `env_key` carries a token of the
// identity provider instead of a gateway key (README, "Sign in instead of
// sharing keys"), and the turn completes.
func TestCodexWithSignedInToken(t *testing.T) {
	g := ssoGateway(t)
	out := codex(t, g, t.TempDir(), "agent-mock", "hello as alice")
	if !strings.Contains(out, "hello as alice") {
		t.Errorf("the Mock provider echoes the prompt; Codex printed:\n%s", out)
	}
}

// TestClaudeCodeAPIKeyHelper: Claude Code gets its credential from an
// `apiKeyHelper` script in its settings (no ANTHROPIC_API_KEY), the script
// prints the signed-in token, and the turn completes.
func TestClaudeCodeAPIKeyHelper(t *testing.T) {
	g := ssoGateway(t)
	bin := agentBin(t, "claude")
	home := t.TempDir()
	helper := filepath.Join(home, "tollgate-token.sh")
	if err := os.WriteFile(helper, []byte("#!/bin/sh\necho '"+g.key+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	settings := `{"apiKeyHelper": "` + helper + `"}`
	if err := os.WriteFile(filepath.Join(home, ".claude", "settings.json"), []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + home, "ANTHROPIC_BASE_URL=" + g.url,
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_AUTOUPDATER=1"}
	out := run(t, t.TempDir(), env, bin, "-p", "hello as alice", "--model", "agent-mock", "--output-format", "text")
	if !strings.Contains(out, "hello as alice") {
		t.Errorf("the Mock provider echoes the prompt; Claude Code printed:\n%s", out)
	}
}
