package agents_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/upstream"
)

// codex runs one `codex exec` turn against the gateway's /v1/responses
// (wire_api = "responses") with a fresh CODEX_HOME, sandboxed to dir.
// Hosted web search and the subagent tools (a "namespace" tool) are turned
// off: a translated backend cannot run them, and the gateway refuses them
// with a 400 naming the tool rather than drop them.
func codex(t *testing.T, g *gateway, dir, model, prompt string) string {
	t.Helper()
	bin := agentBin(t, "codex")
	home := t.TempDir()
	cfg := `model = "` + model + `"
model_provider = "tollgate"
web_search = "disabled"

[agents]
enabled = false

[model_providers.tollgate]
name = "Tollgate"
base_url = "` + g.url + `/v1"
env_key = "TOLLGATE_API_KEY"
wire_api = "responses"
`
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + home, "CODEX_HOME=" + home, "TOLLGATE_API_KEY=" + g.key}
	return run(t, dir, env, bin, "exec", "--skip-git-repo-check", "--sandbox", "workspace-write", "--color", "never",
		"-C", dir, prompt)
}

// TestCodexMockProvider: a Codex turn served by the built-in Mock provider
// (which echoes the prompt) completes with rc 0.
func TestCodexMockProvider(t *testing.T) {
	g := startGateway(t)
	out := codex(t, g, t.TempDir(), "agent-mock", "hello through the gateway")
	if !strings.Contains(out, "hello through the gateway") {
		t.Errorf("the Mock provider echoes the prompt; Codex printed:\n%s", out)
	}
}

// TestCodexShellThroughEveryVendor: served by an OpenAI, Anthropic or
// Gemini backend (translated through the canonical chat form: native
// Responses pass-through is not wired yet), Codex runs the scripted shell
// call in its sandbox, the file is on disk, the second upstream request
// carries the command's output, and the turn ends with the scripted text.
func TestCodexShellThroughEveryVendor(t *testing.T) {
	g := startGateway(t)
	for _, model := range []string{"agent-openai", "agent-anthropic", "agent-gemini"} {
		t.Run(model, func(t *testing.T) {
			dir := t.TempDir()
			marker := "wrote-" + model
			input, err := json.Marshal(map[string]string{"cmd": "printf 'written by " + model + "\\n' > hello.txt && echo " + marker})
			if err != nil {
				t.Fatal(err)
			}
			g.up.SetScript(&upstream.Script{Tool: "exec_command", Input: input, Text: "The file is written."})
			defer g.up.SetScript(nil)
			before := len(g.up.Requests())
			out := codex(t, g, dir, model, "write hello.txt")
			wantFile(t, filepath.Join(dir, "hello.txt"), "written by "+model)
			if !strings.Contains(out, "The file is written.") {
				t.Errorf("Codex printed %q, want the scripted final text", out)
			}
			key := map[string]string{"openai": "call_script1", "anthropic": "toolu_script1", "gemini": "exec_command"}[backends[model]]
			wantToolResult(t, g.up.Requests()[before:], key, marker)
		})
	}
}
