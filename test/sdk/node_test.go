package sdk_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// openaiNodeDir is where hack/install-openai-node.sh put the SDK.
func openaiNodeDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("TOLLGATE_OPENAI_NODE_DIR"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../bin/openai-node")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type nodeUsage struct {
	PromptTokens     int64    `json:"prompt_tokens"`
	CompletionTokens int64    `json:"completion_tokens"`
	Cost             *float64 `json:"cost"`
}

func (u *nodeUsage) check(t *testing.T, what string) {
	t.Helper()
	if u == nil || u.Cost == nil {
		t.Fatalf("%s: no usage.cost", what)
	}
	want := (float64(u.PromptTokens)*2 + float64(u.CompletionTokens)*8) / 1e6
	if want == 0 || math.Abs(*u.Cost-want) > 1e-12 {
		t.Errorf("%s: cost %v, want %v", what, *u.Cost, want)
	}
}

// The Node SDK sends "models" and "usage" as extra body members and reads
// usage.cost and provider; it fails, not skips, without the SDK (make
// openai-node installs it).
func TestOpenAINodeSDKRoutePerRequest(t *testing.T) {
	dir := openaiNodeDir(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openai", "package.json")); err != nil {
		t.Fatalf("the OpenAI Node SDK is not installed (make openai-node): %v", err)
	}
	script, err := filepath.Abs("openai_node.mjs")
	if err != nil {
		t.Fatal(err)
	}
	// Node resolves "openai" from the script's folder upwards: run a copy
	// beside the installed module.
	src, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "openai_node_test_run.mjs")
	if err := os.WriteFile(run, src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(run) })
	g := startReplicas(t, 1, priced)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", run)
	cmd.Env = append(os.Environ(), "TOLLGATE_URL="+g.url, "TOLLGATE_KEY="+g.key)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node: %v\n%s\n%s", err, out, stderr)
	}
	var got struct {
		Model    string     `json:"model"`
		Provider string     `json:"provider"`
		Usage    *nodeUsage `json:"usage"`
		Streamed *nodeUsage `json:"streamed"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Model != "gpt" || got.Provider != "openai" {
		t.Errorf("model %q provider %q", got.Model, got.Provider)
	}
	got.Usage.check(t, "answer")
	got.Streamed.check(t, "stream")
}
