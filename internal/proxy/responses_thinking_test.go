package proxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// TestResponsesAnthropicThinkingSurvives: a Responses client (store
// false, include reasoning.encrypted_content, as Codex sends) served by an
// Anthropic backend through the translation gets the signed thinking block
// in its reasoning item's encrypted_content; sending the items back, the
// next Messages request carries the thinking block with its signature
// first in the assistant turn, as Anthropic requires. The same state sent
// to an OpenAI chat backend is not forwarded (no such server knows it).
func TestResponsesAnthropicThinkingSurvives(t *testing.T) {
	up := mockup.New(t)
	an := config.Provider{Name: "an", Type: config.ProviderAnthropic, Endpoint: up.URL, APIKey: "sk-ant", AllowPrivateNetwork: true}
	oa := upstreamProvider("oa", up)
	oa.Type = config.ProviderOpenAICompatible
	cfg, key := baseConfig(t, []config.Provider{an, oa}, config.Backend{Provider: "an", UpstreamModel: "claude-up"})
	cfg.Routes = append(cfg.Routes, config.Route{Model: "chat", Backends: []config.Backend{{Provider: "oa", UpstreamModel: "m-up"}}})
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg)

	resp := g.do(t, http.MethodPost, responsesPath, key, `{"model":"m","input":"think first","store":false,`+
		`"reasoning":{"effort":"low"},"include":["reasoning.encrypted_content"],"max_output_tokens":4096}`, nil)
	b := readAll(t, resp)
	var first struct {
		Output []json.RawMessage `json:"output"`
	}
	if err := json.Unmarshal([]byte(b), &first); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("first turn: %d %s", resp.StatusCode, b)
	}
	var reasoning struct {
		Type             string `json:"type"`
		EncryptedContent string `json:"encrypted_content"`
	}
	if len(first.Output) == 0 || json.Unmarshal(first.Output[0], &reasoning) != nil || reasoning.Type != "reasoning" || reasoning.EncryptedContent == "" {
		t.Fatalf("no reasoning item with encrypted_content: %s", b)
	}
	if strings.Contains(b, mockup.MockSignature) {
		t.Fatalf("the signature is shown in the clear: %s", b)
	}
	items := `{"role":"user","content":"think first"},` + string(first.Output[0])
	for _, it := range first.Output[1:] {
		items += "," + string(it)
	}
	items += `,{"role":"user","content":"and now?"}`

	resp = g.do(t, http.MethodPost, responsesPath, key, `{"model":"m","store":false,"reasoning":{"effort":"low"},`+
		`"max_output_tokens":4096,"input":[`+items+`]}`, nil)
	if b := readAll(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("second turn: %d %s", resp.StatusCode, b)
	}
	rec, _ := up.Last()
	var sent struct {
		Messages []struct {
			Role    string `json:"role"`
			Content []struct {
				Type      string `json:"type"`
				Thinking  string `json:"thinking"`
				Signature string `json:"signature"`
			} `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(rec.Body, &sent); err != nil || rec.Path != "/v1/messages" || len(sent.Messages) != 3 {
		t.Fatalf("upstream got %s %s (%v)", rec.Path, rec.Body, err)
	}
	if c := sent.Messages[1].Content; sent.Messages[1].Role != "assistant" || len(c) == 0 || c[0].Type != "thinking" ||
		c[0].Signature != mockup.MockSignature || c[0].Thinking != "The mock thinks." {
		t.Fatalf("the assistant turn lost its signed thinking: %s", rec.Body)
	}

	resp = g.do(t, http.MethodPost, responsesPath, key, `{"model":"chat","store":false,"input":[`+items+`]}`, nil)
	if b := readAll(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("to the chat backend: %d %s", resp.StatusCode, b)
	}
	if rec, _ = up.Last(); strings.Contains(string(rec.Body), "reasoning_encrypted_content") || strings.Contains(string(rec.Body), mockup.MockSignature) {
		t.Fatalf("reasoning state went to an OpenAI-compatible server: %s", rec.Body)
	}
}
