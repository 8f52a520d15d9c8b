package agents_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/upstream"
)

// claude runs one `claude -p` turn against the gateway with a fresh HOME.
func claude(t *testing.T, g *gateway, dir, model, prompt string) string {
	t.Helper()
	bin := agentBin(t, "claude")
	env := []string{
		"HOME=" + t.TempDir(),
		"ANTHROPIC_BASE_URL=" + g.url,
		"ANTHROPIC_API_KEY=" + g.key,
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_AUTOUPDATER=1",
	}
	return run(t, dir, env, bin, "-p", prompt, "--model", model, "--allowedTools", "Write", "--output-format", "text")
}

// TestClaudeCodeMockProvider: a Claude Code turn served by the built-in
// Mock provider (which echoes the prompt) completes with rc 0.
func TestClaudeCodeMockProvider(t *testing.T) {
	g := startGateway(t)
	out := claude(t, g, t.TempDir(), "agent-mock", "hello through the gateway")
	if !strings.Contains(out, "hello through the gateway") {
		t.Errorf("the Mock provider echoes the prompt; Claude Code printed:\n%s", out)
	}
}

// TestClaudeCodeWritesThroughEveryVendor: served by an Anthropic, OpenAI
// or Gemini backend, Claude Code runs the scripted Write call, the file is
// on disk, the second upstream request carries the tool's result, and the
// turn ends with the scripted text.
func TestClaudeCodeWritesThroughEveryVendor(t *testing.T) {
	g := startGateway(t)
	for _, model := range []string{"agent-anthropic", "agent-openai", "agent-gemini"} {
		t.Run(model, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "hello.txt")
			input, err := json.Marshal(map[string]string{"file_path": path, "content": "written by " + model + "\n"})
			if err != nil {
				t.Fatal(err)
			}
			g.up.SetScript(&upstream.Script{Tool: "Write", Input: input, Text: "The file is written."})
			defer g.up.SetScript(nil)
			before := len(g.up.Requests())
			out := claude(t, g, dir, model, "write hello.txt")
			wantFile(t, path, "written by "+model)
			if !strings.Contains(out, "The file is written.") {
				t.Errorf("Claude Code printed %q, want the scripted final text", out)
			}
			key := "toolu_script1"
			switch backends[model] {
			case "openai":
				key = "call_script1"
			case "gemini":
				key = "Write"
			}
			wantToolResult(t, g.up.Requests()[before:], key, path)
		})
	}
}
